"""Key arrays of the incident table that take live inserts without copying a million keys.

With 1,000,000 incidents in view, ``np.concatenate``/``np.insert`` on every batch of new
rows allocates and copies 8 MB twice on the GUI thread; while the sync writer thread is
busy allocating too, those copies spiked to 25 ms each (page faults under contention),
the biggest part of the longest UI stall (``tests/perf/bench_ui_stall.py``). Here:

* :class:`DisplayKeys` keeps the keys in view order inside a buffer with headroom at
  both ends, so a batch of new rows at the top (or bottom) is one small copy, and the
  buffer grows geometrically when the headroom runs out;
* :class:`SortedKeys` answers "is this key in view?" by binary search over an immutable
  sorted base plus a small sorted array of the keys added since. A value is never changed
  in place: the reader pool gets a snapshot that stays valid while the GUI thread moves on.
"""

from __future__ import annotations

import numpy as np

# np.unique imports numpy.ma on its first call: 10–26 ms on the GUI thread at the first live insert
# (the longest burst of a sync after the collections); imported here, at start-up, instead
import numpy.ma

MERGE_AT = 65_536  # added keys kept apart from the base before one merge


class DisplayKeys:
    """Keys in view order with room to grow at either end (GUI thread only)."""

    def __init__(self, keys: np.ndarray | None = None) -> None:
        self.reset(np.empty(0, dtype=np.int64) if keys is None else keys)

    def reset(self, keys: np.ndarray) -> None:
        self._buf = np.ascontiguousarray(keys, dtype=np.int64)
        self._lo, self._hi = 0, len(self._buf)
        self._moved()

    @classmethod
    def with_room(cls, keys: np.ndarray) -> DisplayKeys:
        """``keys`` in a buffer that already has headroom at both ends.

        Built where the keys are read (the reader pool): otherwise the first live insert after a
        query copies the whole million-key array on the GUI thread (a 20 ms burst).
        """
        n = len(keys)
        room = max(n // 4, 4096)
        out = cls()
        out._buf = np.empty(n + 2 * room, dtype=np.int64)
        out._buf[room:room + n] = keys
        out._lo, out._hi = room, room + n
        out._moved()
        return out

    def _moved(self) -> None:
        # data() reads the keys ~2000 times per repaint: slice once per change, not once per call
        self._view = self._buf[self._lo:self._hi]
        self.count = self._hi - self._lo  # (rowCount, asked twice per painted cell, reads this)

    @property
    def view(self) -> np.ndarray:
        """The keys in view order (a view into the buffer: read it, don't keep it across changes)."""
        return self._view

    def __len__(self) -> int:
        return self._hi - self._lo

    def _grow(self, front: int, back: int) -> None:
        n = len(self)
        room = max(n // 4, 4096)
        buf = np.empty(n + front + back + 2 * room, dtype=np.int64)
        lo = front + room
        buf[lo:lo + n] = self.view
        self._buf, self._lo, self._hi = buf, lo, lo + n
        self._moved()

    def prepend(self, block: np.ndarray) -> None:
        count = len(block)
        if self._lo < count:
            self._grow(count, 0)
        self._buf[self._lo - count:self._lo] = block
        self._lo -= count
        self._moved()

    def append(self, block: np.ndarray) -> None:
        count = len(block)
        if len(self._buf) - self._hi < count:
            self._grow(0, count)
        self._buf[self._hi:self._hi + count] = block
        self._hi += count
        self._moved()

    def delete(self, pos: int) -> None:
        """Remove the key at ``pos``, shifting the shorter side."""
        lo, hi = self._lo, self._hi
        at = lo + pos
        if pos < (hi - lo) // 2:
            self._buf[lo + 1:at + 1] = self._buf[lo:at].copy()
            self._lo += 1
        else:
            self._buf[at:hi - 1] = self._buf[at + 1:hi].copy()
            self._hi -= 1
        self._moved()


class SortedKeys:
    """An immutable set of keys for membership tests: a sorted base and a small sorted delta."""

    __slots__ = ("base", "delta")

    def __init__(self, base: np.ndarray, delta: np.ndarray | None = None) -> None:
        self.base = base
        self.delta = np.empty(0, dtype=np.int64) if delta is None else delta

    def __len__(self) -> int:
        return len(self.base) + len(self.delta)

    def __contains__(self, key: int) -> bool:
        return _in(self.base, key) or _in(self.delta, key)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """For each of ``keys``, whether it is in the set (one vectorised search, not one per key)."""
        keys = np.asarray(keys, dtype=np.int64)
        return _in_many(self.base, keys) | _in_many(self.delta, keys)

    def with_added(self, keys: np.ndarray) -> SortedKeys:
        """A new set with ``keys`` added (the delta is merged into the base once it is large).

        Both are merges of sorted arrays (``np.insert`` at the ``searchsorted`` places), one copy
        each: a ``union1d`` sorts everything again, 10–80 ms on the GUI thread for a million keys.
        """
        keys = np.unique(np.asarray(keys, dtype=np.int64))
        keys = keys[~self.contains(keys)]
        if not len(keys):
            return self
        delta = np.insert(self.delta, np.searchsorted(self.delta, keys), keys)
        if len(delta) >= MERGE_AT:
            return SortedKeys(np.insert(self.base, np.searchsorted(self.base, delta), delta))
        return SortedKeys(self.base, delta)

    def without(self, key: int) -> SortedKeys:
        """A new set without ``key`` (removing from the base copies it: deletions are rare)."""
        i = int(np.searchsorted(self.delta, key))
        if i < len(self.delta) and self.delta[i] == key:
            return SortedKeys(self.base, np.delete(self.delta, i))
        i = int(np.searchsorted(self.base, key))
        if i < len(self.base) and self.base[i] == key:
            return SortedKeys(np.delete(self.base, i), self.delta)
        return self


def _in(arr: np.ndarray, key: int) -> bool:
    i = int(np.searchsorted(arr, key))
    return i < len(arr) and int(arr[i]) == key


def _in_many(arr: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if not len(arr):
        return np.zeros(len(keys), dtype=bool)
    i = np.searchsorted(arr, keys)
    return arr[np.minimum(i, len(arr) - 1)] == keys
