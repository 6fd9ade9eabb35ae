"""Honest about staleness: "离线 自 14:03 · 数据截至 14:02" while the server cannot be reached.

The text comes from the sync engine's :class:`commandroom.sync.status.SyncStatus`
(``offline_since``, ``last_success``, ``signed_in``, ``upgrade_required``); the banner hides
itself again when the engine reports success, so it recovers without anyone touching the wall.
Times are Asia/Shanghai, with the date when they are not from today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from commandroom.timeutil import to_local, utcnow

SYNC_DELAYED_AFTER = timedelta(minutes=10)
"""Online, but no successful sync for this long: the figures are called delayed."""

NO_ENGINE = object()
"""``set_sync_status(NO_ENGINE)``: the wall runs without a connection to the server."""


def _when(at: datetime | None, now: datetime) -> str:
    loc, today = to_local(at), to_local(now)
    if loc is None or today is None:
        return ""
    return loc.strftime("%H:%M") if loc.date() == today.date() else loc.strftime("%m-%d %H:%M")


def staleness_text(status: Any, now: datetime) -> tuple[str, str] | None:
    """``(text, level)`` for the banner, or None when the figures are current.

    Args:
        status: a SyncStatus (or any object with its attributes), None before the first
            status, or :data:`NO_ENGINE` when the wall has no connection at all.
        now: naive UTC.
    """
    translate = QCoreApplication.translate
    if status is NO_ENGINE:
        return translate("WallBanner", "Not connected to the server · showing this workstation's data"), "info"
    if status is None:
        return None
    last = getattr(status, "last_success", None)
    as_of = (translate("WallBanner", "data as of {time}").format(time=_when(last, now)) if last
             else translate("WallBanner", "not synced yet"))
    if getattr(status, "upgrade_required", None):
        return translate("WallBanner", "Client upgrade required · {as_of}").format(as_of=as_of), "alert"
    if not getattr(status, "signed_in", True):
        return translate("WallBanner", "Sign-in expired · {as_of}").format(as_of=as_of), "alert"
    if not getattr(status, "online", False):
        since = getattr(status, "offline_since", None)
        if since is not None:
            return translate("WallBanner", "Offline since {since} · {as_of}").format(
                since=_when(since, now), as_of=as_of), "alert"
        return translate("WallBanner", "Offline · {as_of}").format(as_of=as_of), "alert"
    if last is not None and now - last > SYNC_DELAYED_AFTER:
        return translate("WallBanner", "Sync delayed · {as_of}").format(as_of=as_of), "alert"
    return None


class StalenessBanner(QLabel):
    """The banner under the wall's header; hidden while the figures are current.

    Args:
        clock: "now" as naive UTC (re-checked every 30 s: an online engine that stops
            succeeding turns into "sync delayed" without a new status).
    """

    def __init__(self, clock: Callable[[], datetime] = utcnow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StaleBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.clock = clock
        self.status: Any = None
        self._timer = QTimer(self)
        self._timer.setInterval(30_000)
        self._timer.timeout.connect(self.recheck)
        self._timer.start()
        self.hide()

    def set_sync_status(self, status: Any) -> None:
        self.status = status
        self.recheck()

    def recheck(self) -> None:
        shown = staleness_text(self.status, self.clock())
        if shown is None:
            self.hide()
            return
        text, level = shown
        self.setText(text)
        if self.property("level") != level:
            self.setProperty("level", level)
            self.style().unpolish(self)
            self.style().polish(self)
        self.show()

    def stop(self) -> None:
        self._timer.stop()
