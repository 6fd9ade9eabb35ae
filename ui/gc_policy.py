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
timer: the young generations often, everything now and then.
"""

from __future__ import annotations

import gc
from typing import Any

from PySide6.QtCore import QObject, QTimer

YOUNG_EVERY_MS = 2_000
FULL_EVERY_TICKS = 30  # a full collection every minute


class GuiThreadCollector(QObject):
    """The timer that collects garbage on the GUI thread (keep a reference: it is the policy)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ticks = 0
        self.timer = QTimer(self)
        self.timer.setInterval(YOUNG_EVERY_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> int:
        """One scheduled collection (young generations, or everything every :data:`FULL_EVERY_TICKS`)."""
        self.ticks += 1
        return gc.collect(2 if self.ticks % FULL_EVERY_TICKS == 0 else 1)


def install(parent: Any = None) -> GuiThreadCollector:
    """Freeze the heap alive now, stop automatic collection, collect on the GUI thread from now on."""
    gc.freeze()
    gc.disable()
    return GuiThreadCollector(parent)
