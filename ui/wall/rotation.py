"""Page rotation: the pages in order on an interval, or one fixed page; paused during a takeover.

Each step arms a single-shot timer for the next one, so a slow page switch delays the
rotation instead of piling up steps. ``last_step`` (monotonic seconds) is the rotation's
heartbeat: :mod:`ui.wall.watchdog` restarts a rotation whose heartbeat is older than the
interval plus a grace period (Grafana's playlist that stopped on one dashboard after half a
day, grafana/grafana#15465, is the failure this guards against).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)


def next_index(count: int, current: int) -> int:
    """The page after ``current`` in a rotation of ``count`` pages (wrapping)."""
    return 0 if count <= 0 else (current + 1) % count


class Rotator(QObject):
    """Asks for pages in order every ``interval_s`` (``page_requested(key)``).

    Args:
        pages: page keys in rotation order.
        interval_s: seconds per page.
        fixed_page: show only this page; the rotator then never steps.
    """

    page_requested = Signal(str)

    def __init__(self, pages: Sequence[str], interval_s: float, fixed_page: str | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pages = [fixed_page] if fixed_page else list(pages)
        self.fixed = fixed_page is not None or len(self.pages) <= 1
        self.interval_s = interval_s
        self.index = 0
        self.paused = False
        self.running = False
        self.steps = 0
        self.restarts = 0
        self.last_step = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, round(interval_s * 1000)))
        self._timer.timeout.connect(self.step)

    @property
    def current(self) -> str:
        return self.pages[self.index] if self.pages else ""

    @property
    def timer(self) -> QTimer:
        return self._timer

    def start(self) -> None:
        """Show the current page and start stepping."""
        self.running = True
        self.paused = False
        self._show()

    def stop(self) -> None:
        self.running = False
        self._timer.stop()

    def step(self) -> None:
        """Go to the next page now (the timer calls this)."""
        if not self.running or self.paused:
            return
        if not self.fixed:
            self.index = next_index(len(self.pages), self.index)
        self._show()

    def pause(self) -> None:
        """Hold the current page (an urgent takeover); :meth:`resume` continues."""
        self.paused = True
        self._timer.stop()

    def resume(self) -> None:
        """Back to the page shown before the pause, for a full interval."""
        if not self.running:
            return
        self.paused = False
        self._show()

    def restart(self) -> None:
        """Rebuild the timer and go on with the next page (the watchdog's remedy)."""
        self.restarts += 1
        old = self._timer
        old.stop()
        old.timeout.disconnect(self.step)
        old.deleteLater()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, round(self.interval_s * 1000)))
        self._timer.timeout.connect(self.step)
        self.running = True
        self.paused = False
        if not self.fixed:
            self.index = next_index(len(self.pages), self.index)
        self._show()

    def is_stuck(self, now: float | None = None, grace_s: float = 5.0) -> bool:
        """True when a rotating rotator has not stepped for longer than its interval plus ``grace_s``."""
        if not self.running or self.paused or self.fixed:
            return False
        now = time.monotonic() if now is None else now
        return now - self.last_step > self.interval_s + grace_s

    def _show(self) -> None:
        self.last_step = time.monotonic()
        self.steps += 1
        self.page_requested.emit(self.current)
        if not self.fixed and self.running and not self.paused:
            self._timer.start()
