"""Garbage collection on the GUI thread only, and never over the start-up heap.

Two problems with CPython's automatic collector in a Qt app with worker threads:

* it runs in whichever thread happens to allocate past the threshold. On a database reader
  or writer thread it can finalize Qt objects (a socket notifier of the event loop, a
  signal bridge), and Qt aborts or crashes: "QObject::~QObject: Timers cannot be stopped
  from another thread". Anki turns automatic collection off and collects on a GUI timer
  for the same reason;
* a full collection over the ~220,000 objects alive once the main window is built took
  100–130 ms on the GUI thread, a visible stall during a big sync.

:func:`install` freezes what is alive (``gc.freeze``: those objects live as long as the app,
later collections skip them), turns automatic collection off and collects on a GUI-thread
timer: the young objects when enough were made, everything once a minute at a quiet moment.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer

CHECK_EVERY_MS = 100
YOUNG_THRESHOLD = 5_000  # new container objects since the last collection that make a young one due
YOUNG_EVERY_S = 1.0  # ... and while the app is busy, one at least this often (see GuiThreadCollector)
BUSY_CPU_SHARE = 0.3  # the process used this share of a CPU since the last look: busy (a sync streaming in)
FULL_EVERY_S = 60.0  # a full collection every minute ...
QUIET_BEFORE_FULL_S = 2.0  # ... once the app has allocated little for this long (not amid a sync) ...
FULL_AT_LATEST_S = 300.0  # ... and at the latest after five minutes, busy or not

_noted_busy = [float("-inf")]  # when the app last said it was busy (note_busy)


def note_busy() -> None:
    """Say that the app is busy now (a sync's changes being applied): the full collection waits for quiet.

    What the collector sees by itself (objects made, the process's CPU) can look quiet for two
    seconds amid a sync on a loaded machine (the writer waiting for the disk): a full collection
    then lands in the middle of it (11–19 ms at load 7–14, the longest burst left in the UI-stall
    benchmark).
    """
    _noted_busy[0] = time.monotonic()


class GuiThreadCollector(QObject):
    """The timer that collects garbage on the GUI thread (keep a reference: it is the policy).

    It looks ten times a second at how many objects were made since the last collection: a young
    collection is due after :data:`YOUNG_THRESHOLD` of them, so each one walks few objects (a
    collection costs what it walks; one every two seconds walked a whole sync page's worth, 20 ms
    and more). The full collection, whose cost grows with what the app holds, waits for a quiet
    moment: one amid a sync is a dropped frame the officer sees.

    That count is new objects *less the objects freed*, of any age: a cache that replaces its rows
    (the incident table's 6,000 while a sync streams in) keeps it near zero while the young list
    grows (37,000 objects, a 15 ms young collection, in the UI-stall benchmark), and the app looked
    quiet amid a sync, so the full collection ran there (17–19 ms). So the app is also busy when the
    process used more than :data:`BUSY_CPU_SHARE` of a CPU since the last look, and while busy a young
    collection runs at least every :data:`YOUNG_EVERY_S`.

    A young collection takes CPython's two younger generations together (``gc.collect(1)``), so what
    survives one is moved to the old generation after that one look. Collecting the middle generation only
    every tenth time made that collection walk ten young periods' survivors: the incident table's live row
    cache and its text layouts, 16,000–21,000 objects, 9–14 ms at once with nothing found, the longest
    GUI-thread burst left in the UI-stall benchmark. Now each collection walks one period's objects (~5,000,
    1–3 ms); the survivors are walked again only by the full collection, at a quiet moment.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_full = time.monotonic()
        self.last_busy = float("-inf")
        self.last_young = self.last_full
        self.young_runs = 0  # young collections since the last full one
        self._last_look = (self.last_full, time.process_time())
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def full_due(self, now: float) -> bool:
        since_full = now - self.last_full
        if since_full >= FULL_AT_LATEST_S:
            return True
        return since_full >= FULL_EVERY_S and now - max(self.last_busy, _noted_busy[0]) >= QUIET_BEFORE_FULL_S

    def tick(self) -> int:
        """The timer's look: a young, middle or full collection when one is due, else nothing."""
        now = time.monotonic()
        cpu = time.process_time()
        last_now, last_cpu = self._last_look
        self._last_look = (now, cpu)
        young = gc.get_count()[0]
        busy = (young >= YOUNG_THRESHOLD or cpu - last_cpu > BUSY_CPU_SHARE * (now - last_now)
                or now - _noted_busy[0] < QUIET_BEFORE_FULL_S)
        if busy:
            self.last_busy = now
        if self.full_due(now):
            return self._collect(2, now)
        if young >= YOUNG_THRESHOLD or (busy and now - self.last_young >= YOUNG_EVERY_S):
            return self._collect(1, now)
        return 0

    def collect(self) -> int:
        """Collect the young and middle generations now (everything when a full collection is due)."""
        now = time.monotonic()
        return self._collect(2 if self.full_due(now) else 1, now)

    def _collect(self, generation: int, now: float) -> int:
        found = gc.collect(generation)
        self.last_young = now
        if generation == 2:
            self.last_full = now
            self.young_runs = 0
        else:
            self.young_runs += 1
        return found


def install(parent: Any = None) -> GuiThreadCollector:
    """Freeze the heap alive now, stop automatic collection, collect on the GUI thread from now on."""
    gc.freeze()
    gc.disable()
    return GuiThreadCollector(parent)
