"""The desktop's garbage collection runs on the GUI thread only (a Qt object finalized on a
database thread crashes the app), and never walks the start-up heap again."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def policy(qapp):
    from ui import gc_policy

    was_enabled = gc.isenabled()
    collector = gc_policy.install()
    yield collector
    collector.timer.stop()
    gc.unfreeze()
    if was_enabled:
        gc.enable()


def test_garbage_made_on_a_worker_thread_is_collected_on_the_gui_thread(policy):
    assert not gc.isenabled() and gc.get_freeze_count() > 0
    collected_on: list[str] = []
    refs: list[weakref.ref] = []

    def worker() -> None:
        obj = Cycle()
        weakref.finalize(obj, lambda: collected_on.append(threading.current_thread().name))
        refs.append(weakref.ref(obj))
        del obj
        # plenty of allocations: with automatic collection on, one would run here, on this thread
        junk = [[i] for i in range(200_000)]
        del junk

    t = threading.Thread(target=worker, name="db-reader_test")
    t.start()
    t.join()
    assert refs[0]() is not None and collected_on == []
    policy.collect()
    assert refs[0]() is None
    assert collected_on == [threading.current_thread().name] == ["MainThread"]


def test_a_full_collection_does_not_walk_the_start_up_heap(policy):
    frozen = gc.get_freeze_count()
    before = sum(len(gc.get_objects(g)) for g in range(3))
    # what a collection walks now is what was made since start-up, a small part of the heap
    assert frozen > 5 * before, (frozen, before)


def test_a_full_collection_waits_for_a_quiet_moment_but_not_forever(policy):
    from ui import gc_policy

    start = policy.last_full
    assert not policy.full_due(start + 30)  # a minute has not passed
    policy.last_busy = start + gc_policy.FULL_EVERY_S - 0.5  # a sync is streaming in
    assert not policy.full_due(start + gc_policy.FULL_EVERY_S)
    assert policy.full_due(start + gc_policy.FULL_EVERY_S - 0.5 + gc_policy.QUIET_BEFORE_FULL_S)
    policy.last_busy = start + gc_policy.FULL_AT_LATEST_S - 0.1  # busy all along
    assert not policy.full_due(start + gc_policy.FULL_AT_LATEST_S - 1)
    assert policy.full_due(start + gc_policy.FULL_AT_LATEST_S)


def test_young_collections_follow_what_was_made_and_keep_each_one_small(policy):
    from ui import gc_policy

    gc.collect(1)
    policy.young_runs = 0
    assert policy.tick() == 0 and policy.young_runs == 0  # little made: nothing to do
    refs: list[weakref.ref] = []
    for _ in range(3):
        obj = Cycle()
        refs.append(weakref.ref(obj))
        del obj
        keep = [[i] for i in range(gc_policy.YOUNG_THRESHOLD + 100)]  # a burst of new objects
        policy.tick()
        del keep
    assert policy.young_runs == 3 and all(r() is None for r in refs)  # three young collections, garbage gone
    assert gc.get_count()[0] < gc_policy.YOUNG_THRESHOLD


def test_while_the_app_is_busy_young_garbage_is_collected_though_few_new_objects_are_counted(policy):
    """A cache replacing its entries frees about as many objects as it makes (the count of new objects stays
    low) while the young generation's list grows: when the process is busy, a young collection still comes."""
    from ui import gc_policy

    gc.collect(1)
    policy.tick()
    obj = Cycle()
    ref = weakref.ref(obj)
    del obj
    assert gc.get_count()[0] < gc_policy.YOUNG_THRESHOLD
    policy.last_young -= 2 * gc_policy.YOUNG_EVERY_S
    time.sleep(0.15)  # idle for a while: nothing to do yet
    policy.tick()
    assert ref() is not None
    start = time.process_time()
    while time.process_time() - start < 0.05:  # busy: a sync is streaming in
        pass
    policy.tick()
    assert ref() is None
    policy.last_full -= gc_policy.FULL_EVERY_S  # a minute since the last full collection ...
    assert not policy.full_due(time.monotonic()), "... but busy just now: the full collection waits"


def test_a_full_collection_waits_while_the_app_says_it_is_busy(policy):
    """The incident table says so while it applies a sync's changes: no full collection amid them."""
    from ui import gc_policy

    policy.last_full -= gc_policy.FULL_EVERY_S  # a minute since the last one, and the collector saw nothing
    policy.last_busy = float("-inf")
    assert policy.full_due(time.monotonic())
    gc_policy.note_busy()
    assert not policy.full_due(time.monotonic())
    assert policy.full_due(time.monotonic() + gc_policy.QUIET_BEFORE_FULL_S)


def test_what_survives_a_young_collection_is_not_walked_again_by_the_next_ones(policy):
    """A live cache (the incident table's rows and text layouts while a sync streams in) survives every
    young collection: walked once, it is left to the full collection, so each young collection walks
    only what was made since the one before (collecting the middle generation every tenth time walked
    ten periods' survivors at once, a 9–14 ms burst on the GUI thread)."""
    from ui import gc_policy

    gc.collect(1)
    kept: list[list[list[int]]] = []
    walked: list[int] = []
    for _ in range(4):
        kept.append([[i] for i in range(gc_policy.YOUNG_THRESHOLD + 100)])  # a burst that stays alive
        walked.append(len(gc.get_objects(0)) + len(gc.get_objects(1)))  # what a young collection walks now
        policy.tick()
        assert gc.get_objects(1) == []  # the survivors went on to the old generation
    burst = gc_policy.YOUNG_THRESHOLD + 101
    assert all(burst <= n < 2 * burst for n in walked), walked
    old = {id(o) for o in gc.get_objects(2)}
    assert all(id(batch) in old for batch in kept)
