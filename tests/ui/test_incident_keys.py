"""The incident table's key arrays: live inserts and deletes keep order and membership exact,
and a snapshot handed to the reader pool never changes under it."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.incidents.keys import DisplayKeys, SortedKeys

ops = st.lists(st.tuples(st.sampled_from(["prepend", "append", "delete"]),
                         st.lists(st.integers(0, 10**6), min_size=1, max_size=40)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(start=st.lists(st.integers(0, 10**6), unique=True, max_size=200), steps=ops, seed=st.integers(0, 99),
       roomy=st.booleans())
def test_display_and_sorted_keys_match_a_plain_list(start, steps, seed, roomy):
    rng = random.Random(seed)
    expected = list(start)
    keys = np.asarray(start, dtype=np.int64)
    display = DisplayKeys.with_room(keys) if roomy else DisplayKeys(keys)  # (as the reader pool builds it)
    members = SortedKeys(np.sort(np.asarray(start, dtype=np.int64)))
    for op, values in steps:
        fresh = [v for v in dict.fromkeys(values) if v not in set(expected)]
        if op == "delete":
            if not expected:
                continue
            pos = rng.randrange(len(expected))
            key = expected.pop(pos)
            display.delete(pos)
            members = members.without(key)
            assert key not in members
        elif fresh:
            block = np.asarray(fresh, dtype=np.int64)
            if op == "prepend":
                expected[:0] = fresh
                display.prepend(block)
            else:
                expected.extend(fresh)
                display.append(block)
            members = members.with_added(block)
        assert display.view.tolist() == expected
        assert len(members) == len(expected)
    for key in expected:
        assert key in members
    assert -1 not in members and 10**6 + 1 not in members


def test_a_snapshot_stays_valid_while_the_table_moves_on():
    before = SortedKeys(np.arange(0, 100, 2, dtype=np.int64))
    after = before.with_added(np.array([7, 9], dtype=np.int64)).without(4)
    assert 7 not in before and 4 in before  # what the reader pool was given did not change
    assert 7 in after and 9 in after and 4 not in after


def test_many_inserts_merge_into_the_base(monkeypatch):
    from ui.incidents import keys

    monkeypatch.setattr(keys, "MERGE_AT", 8)
    s = SortedKeys(np.arange(100, dtype=np.int64))
    for k in range(1000, 1010):
        s = s.with_added(np.array([k], dtype=np.int64))
    assert len(s.delta) < 8 and len(s) == 110
    assert all(k in s for k in range(1000, 1010))


@settings(max_examples=100, deadline=None)
@given(base=st.lists(st.integers(0, 500), unique=True, max_size=60),
       added=st.lists(st.lists(st.integers(0, 500), max_size=20), max_size=8),
       probe=st.lists(st.integers(-1, 501), max_size=40))
def test_membership_of_many_keys_at_once_matches_one_at_a_time(base, added, probe):
    members = SortedKeys(np.sort(np.asarray(base, dtype=np.int64)))
    expected = set(base)
    for block in added:  # duplicates within a block and of keys already there are ignored
        members = members.with_added(np.asarray(block, dtype=np.int64))
        expected |= set(block)
    assert len(members) == len(expected)
    got = members.contains(np.asarray(probe, dtype=np.int64))
    assert got.tolist() == [k in expected for k in probe]
    for part in (members.base, members.delta):  # each sorted, and no key in both
        assert part.tolist() == sorted(set(part.tolist()))
    assert sorted(members.base.tolist() + members.delta.tolist()) == sorted(expected)
