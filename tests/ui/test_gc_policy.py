"""The desktop's garbage collection runs on the GUI thread only (a Qt object finalized on a
database thread crashes the app), and never walks the start-up heap again."""

from __future__ import annotations

import gc
import threading
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
