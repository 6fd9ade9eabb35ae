"""The wall's watchdog: restarts a stuck rotation and rebuilds a page that stopped updating.

Every ``watchdog_s`` a ``QTimer`` looks at two heartbeats:

* the rotation's (:attr:`ui.wall.rotation.Rotator.last_step`): older than the interval plus a
  grace period while rotating → :meth:`Rotator.restart` (a new timer, the next page);
* each page's (:attr:`ui.wall.pages.WallPage.last_update`): older than ``config.page_stale_s``
  → the window builds a fresh page in its place (``WallWindow.rebuild_page``).

Every remedy is logged at WARNING with what was stuck and for how long, and counted in
:attr:`Watchdog.events` (the soak driver asserts none happen in a healthy run).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)


class Watchdog(QObject):
    """Checks the window's rotation and pages (see the module docstring).

    Args:
        window: a :class:`ui.wall.window.WallWindow` (``rotator``, ``watched_pages()``,
            ``rebuild_page``, ``config``).
        interval_s: seconds between checks.
    """

    did_intervene = Signal(str, float)  # what ("rotation" / "page:<key>"), how long it was stuck (s)

    def __init__(self, window: Any, interval_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.events: list[tuple[str, float]] = []  # the last hundred remedies
        self.total = 0
        self.checks = 0
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(interval_s * 1000)))
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> None:
        """One round of checks (the timer calls this; tests call it directly)."""
        self.checks += 1
        now = time.monotonic()
        rotator = self.window.rotator
        grace = max(5.0, rotator.interval_s * 0.5)
        if rotator.is_stuck(now, grace):
            stuck = now - rotator.last_step
            log.warning("wall watchdog: the rotation has not moved for %.0f s (interval %.0f s); restarting it",
                        stuck, rotator.interval_s)
            rotator.restart()
            self._record("rotation", stuck)
        limit = self.window.config.page_stale_s
        for key, page in list(self.window.watched_pages().items()):
            age = page.age(now)
            if age > limit:
                log.warning("wall watchdog: page %s has not updated for %.0f s (limit %.0f s; %d loads, "
                            "%d errors, loading=%s); rebuilding it", key, age, limit, page.update_count,
                            page.error_count, page.loading)
                self.window.rebuild_page(key)
                self._record(f"page:{key}", age)

    def _record(self, what: str, stuck_s: float) -> None:
        self.total += 1
        self.events.append((what, stuck_s))
        del self.events[:-100]  # a wall runs for weeks: keep the last hundred
        self.did_intervene.emit(what, stuck_s)
