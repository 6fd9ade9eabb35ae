"""The always-visible status bar: connection, unsynced and rejected changes, last sync, who, where, the time.

It shows a ``SyncStatus`` (``commandroom.sync.status``: online, offline_since, pending,
rejected, last_success, last_error, upgrade_required, syncing) pushed by the sync engine;
without an engine (offline start, tests) the main window feeds it the outbox counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from commandroom.timeutil import SHANGHAI, fmt_local


def _repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class ClickableLabel(QLabel):
    clicked = Signal()

    def mousePressEvent(self, event: Any) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)


class StatusBarWidget(QStatusBar):
    """Status bar of the main window (see module docstring)."""

    rejected_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.online_label = QLabel()
        self.online_label.setObjectName("OnlineBadge")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("PendingBadge")
        self.rejected_label = ClickableLabel()
        self.rejected_label.setObjectName("RejectedBadge")
        self.rejected_label.setToolTip(self.tr("Open the conflicts panel"))
        self.rejected_label.clicked.connect(self.rejected_clicked)
        self.last_sync_label = QLabel()
        self.sync_progress = QProgressBar()
        self.sync_progress.setObjectName("SyncProgress")
        self.sync_progress.setMaximumWidth(220)
        self.sync_progress.setFormat(self.tr("Downloading %p%"))
        self.sync_progress.hide()
        self.user_label = QLabel()
        self.township_label = QLabel()
        self.clock_label = QLabel()
        self.clock_label.setMinimumWidth(150)
        for w in (self.online_label, self.pending_label, self.rejected_label, self.last_sync_label,
                  self.sync_progress):
            self.addWidget(w)
        for w in (self.user_label, self.township_label, self.clock_label):
            self.addPermanentWidget(w)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._on_clock_tick)
        self._clock.start()
        self._on_clock_tick()
        self.status: Any = None
        self.set_offline(None)
        self.set_counts(0, 0)
        self.set_last_sync(None)

    # -- inputs

    def set_sync_status(self, status: Any) -> None:
        """Show a ``SyncStatus`` (any object with its attributes)."""
        self.status = status
        if getattr(status, "upgrade_required", False):
            self._set_online_text(self.tr("Upgrade required"), False, getattr(status, "last_error", "") or "")
        elif getattr(status, "online", False):
            text = self.tr("Syncing…") if getattr(status, "syncing", False) else self.tr("Online")
            self._set_online_text(text, True, "")
        else:
            self.set_offline(getattr(status, "offline_since", None), getattr(status, "last_error", "") or "")
        self.set_counts(int(getattr(status, "pending", 0) or 0), int(getattr(status, "rejected", 0) or 0))
        self.set_last_sync(getattr(status, "last_success", None))

    def set_sync_progress(self, done: int, total: int) -> None:
        """Show a long download (the first sync, a catch-up after days offline); hidden when done or small."""
        if total < self.PROGRESS_MIN_CHANGES or done >= total:
            self.sync_progress.hide()
            return
        self.sync_progress.setMaximum(total)
        self.sync_progress.setValue(done)
        self.sync_progress.show()

    PROGRESS_MIN_CHANGES = 2000
    """Below this many changes a pull is over before a bar would mean anything."""

    def set_offline(self, since: datetime | None, error: str = "") -> None:
        if since is None:
            text = self.tr("Offline")
        else:
            text = self.tr("Offline since {time}").format(time=fmt_local(since, "%H:%M"))
        self._set_online_text(text, False, error)

    def set_counts(self, pending: int, rejected: int) -> None:
        self.pending_label.setText(self.tr("Unsynced {n}").format(n=pending))
        self.pending_label.setProperty("alert", pending > 0)
        _repolish(self.pending_label)
        self.rejected_label.setText(self.tr("Rejected {n}").format(n=rejected))
        self.rejected_label.setProperty("alert", rejected > 0)
        _repolish(self.rejected_label)

    def set_last_sync(self, at: datetime | None) -> None:
        if at is None:
            self.last_sync_label.setText(self.tr("Not synced yet"))
        else:
            self.last_sync_label.setText(self.tr("Last sync {time}").format(time=fmt_local(at, "%H:%M:%S")))

    def set_user(self, name: str, role_label: str, township: str) -> None:
        self.user_label.setText(f"{name} · {role_label}")
        self.township_label.setText(township)

    # -- internals

    def _set_online_text(self, text: str, online: bool, tooltip: str) -> None:
        self.online_label.setText(("● " if online else "○ ") + text)
        self.online_label.setToolTip(tooltip)
        self.online_label.setProperty("online", online)
        _repolish(self.online_label)

    def _on_clock_tick(self) -> None:
        # command rooms run on Beijing time whatever the workstation's zone is
        self.clock_label.setText(datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
