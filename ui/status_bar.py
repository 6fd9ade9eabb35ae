"""The always-visible status bar: connection, unsynced and rejected changes, last sync, who, where, the time.

It shows a ``SyncStatus`` (``commandroom.sync.status``: online, offline_since, pending,
rejected, last_success, last_error, upgrade_required, syncing, clock_offset,
download_paused_until) pushed by the sync engine; without an engine (offline start, tests)
the main window feeds it the outbox counts.

A long download shows a progress bar with 取消 (``cancel_download_clicked``); a cancelled one
says when it resumes, with 立即继续 (``resume_download_clicked``). When this machine's clock is a
minute or more off the server's, a badge says so (amber, red from 5 minutes) and the clock and
the times shown here follow the server (``SyncStatus.clock_correction``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from commandroom.sync.clock import skew_level
from commandroom.timeutil import fmt_local, to_local, utcnow


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
    basemap_pause_clicked = Signal()
    basemap_resume_clicked = Signal()
    cancel_download_clicked = Signal()
    resume_download_clicked = Signal()

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
        self.cancel_download_button = QPushButton(self.tr("Cancel"))
        self.cancel_download_button.setObjectName("CancelDownload")
        self.cancel_download_button.setToolTip(self.tr(
            "Stop the download. What has arrived is kept; the next sync continues from there."))
        self.cancel_download_button.clicked.connect(self.cancel_download_clicked)
        self.cancel_download_button.hide()
        self.download_note = QLabel()
        self.download_note.setObjectName("DownloadNote")
        self.download_note.hide()
        self.resume_download_button = QPushButton(self.tr("Resume now"))
        self.resume_download_button.setObjectName("ResumeDownload")
        self.resume_download_button.clicked.connect(self.resume_download_clicked)
        self.resume_download_button.hide()
        self.clock_skew_label = QLabel()
        self.clock_skew_label.setObjectName("ClockSkewBadge")
        self.clock_skew_label.hide()
        self.user_label = QLabel()
        self.township_label = QLabel()
        self.clock_label = QLabel()
        self.clock_label.setMinimumWidth(150)
        for w in (self.online_label, self.pending_label, self.rejected_label, self.last_sync_label,
                  self.sync_progress, self.cancel_download_button, self.download_note, self.resume_download_button):
            self.addWidget(w)
        for w in (self.clock_skew_label, self.user_label, self.township_label, self.clock_label):
            self.addPermanentWidget(w)
        self.status: Any = None
        self._correction = 0.0  # seconds to add to this machine's clock for the server's time
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._on_clock_tick)
        self._clock.start()
        self._on_clock_tick()
        self.set_offline(None)
        self.set_counts(0, 0)
        self.set_last_sync(None)
        self._build_basemap_widgets()

    # -- inputs

    def set_sync_status(self, status: Any) -> None:
        """Show a ``SyncStatus`` (any object with its attributes)."""
        self.status = status
        self._correction = float(getattr(status, "clock_correction", 0.0) or 0.0)
        self._show_clock_skew(getattr(status, "clock_offset", None))
        self._on_clock_tick()
        paused = getattr(status, "download_paused_until", None)
        if paused is not None or not getattr(status, "syncing", False):
            self._hide_progress()  # cancelled, or the round ended (done, failed, offline)
        self.download_note.setVisible(paused is not None)
        self.resume_download_button.setVisible(paused is not None)
        if paused is not None:
            self.download_note.setText(self.tr("Download cancelled · continues at {time} with the next sync").format(
                time=fmt_local(self._server_time(paused), "%H:%M")))
        if getattr(status, "upgrade_required", False):
            self._set_online_text(self.tr("Upgrade required"), False, getattr(status, "last_error", "") or "")
        elif getattr(status, "online", False):
            text = self.tr("Syncing…") if getattr(status, "syncing", False) else self.tr("Online")
            self._set_online_text(text, True, getattr(status, "last_error", "") or "")  # e.g. a failed round
        else:
            self.set_offline(getattr(status, "offline_since", None), getattr(status, "last_error", "") or "")
        self.set_counts(int(getattr(status, "pending", 0) or 0), int(getattr(status, "rejected", 0) or 0))
        self.set_last_sync(getattr(status, "last_success", None))

    def set_sync_progress(self, done: int, total: int) -> None:
        """Show a long download (the first sync, a catch-up after days offline); hidden when done or small."""
        if total < self.PROGRESS_MIN_CHANGES or done >= total \
                or getattr(self.status, "download_paused_until", None) is not None:
            self._hide_progress()
            return
        self.sync_progress.setMaximum(total)
        self.sync_progress.setValue(done)
        self.sync_progress.show()
        self.cancel_download_button.show()

    PROGRESS_MIN_CHANGES = 2000
    """Below this many changes a pull is over before a bar would mean anything."""

    def set_offline(self, since: datetime | None, error: str = "") -> None:
        if since is None:
            text = self.tr("Offline")
        else:
            text = self.tr("Offline since {time}").format(time=fmt_local(self._server_time(since), "%H:%M"))
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
            self.last_sync_label.setText(self.tr("Last sync {time}").format(
                time=fmt_local(self._server_time(at), "%H:%M:%S")))

    def set_user(self, name: str, role_label: str, township: str) -> None:
        self.user_label.setText(f"{name} · {role_label}")
        self.township_label.setText(township)

    # -- internals

    def _set_online_text(self, text: str, online: bool, tooltip: str) -> None:
        self.online_label.setText(("● " if online else "○ ") + text)
        self.online_label.setToolTip(tooltip)
        self.online_label.setProperty("online", online)
        _repolish(self.online_label)

    def _hide_progress(self) -> None:
        self.sync_progress.hide()
        self.cancel_download_button.hide()

    def _server_time(self, at: datetime) -> datetime:
        """A time of this machine's clock as the server's clock would say it (the engine stamps with ours)."""
        return at + timedelta(seconds=self._correction) if self._correction else at

    def _show_clock_skew(self, offset: float | None) -> None:
        level = skew_level(offset)  # "", "warn" (amber, ≥ 60 s) or "bad" (red, ≥ 300 s)
        self.clock_skew_label.setVisible(bool(level))
        if not level:
            self.clock_label.setToolTip("")
            return
        assert offset is not None
        amount = self._amount(offset)
        self.clock_skew_label.setText(self.tr("Clock off by {amount}").format(amount=amount))
        ahead = (self.tr("This computer's clock is {amount} ahead of the county server.") if offset < 0
                 else self.tr("This computer's clock is {amount} behind the county server.")).format(amount=amount)
        tip = [ahead, self.tr("Deadline countdowns and the times on this workstation follow the server's clock.")]
        if level == "bad":
            tip.append(self.tr("Ask IT to set this computer's clock: other programs on it use the wrong time."))
        self.clock_skew_label.setToolTip("\n".join(tip))
        self.clock_skew_label.setProperty("level", level)
        _repolish(self.clock_skew_label)
        self.clock_label.setToolTip(self.tr("Server time (this computer's clock is off by {amount})").format(
            amount=amount))

    def _amount(self, offset: float) -> str:
        size = abs(offset)
        if size < 120:
            return self.tr("{n} s").format(n=f"{size:.0f}")
        if size < 2 * 3600:
            return self.tr("{n} min").format(n=f"{size / 60:.0f}")
        if size < 2 * 86400:
            return self.tr("{n} h").format(n=f"{size / 3600:.0f}")
        return self.tr("{n} days").format(n=f"{size / 86400:.0f}")

    def _on_clock_tick(self) -> None:
        # command rooms run on Beijing time whatever the workstation's zone is; the server's clock
        # when this machine's is known to be off
        now = to_local(self._server_time(utcnow()))
        assert now is not None
        self.clock_label.setText(now.strftime("%Y-%m-%d %H:%M:%S"))

    # -- the base map download (commandroom.sync.basemap)

    def _build_basemap_widgets(self) -> None:
        self.basemap_label = QLabel()
        self.basemap_label.setObjectName("BaseMapNote")
        self.basemap_progress = QProgressBar()
        self.basemap_progress.setObjectName("BaseMapProgress")
        self.basemap_progress.setMaximumWidth(160)
        self.basemap_progress.setRange(0, 1000)
        self.basemap_pause_button = QPushButton(self.tr("Pause"))
        self.basemap_pause_button.setObjectName("BaseMapPause")
        self.basemap_pause_button.setToolTip(self.tr(
            "Pause the base map download; what has arrived is kept and it continues where it stopped."))
        self.basemap_pause_button.clicked.connect(self.basemap_pause_clicked)
        self.basemap_resume_button = QPushButton(self.tr("Continue"))
        self.basemap_resume_button.setObjectName("BaseMapResume")
        self.basemap_resume_button.clicked.connect(self.basemap_resume_clicked)
        for w in (self.basemap_label, self.basemap_progress, self.basemap_pause_button, self.basemap_resume_button):
            self.addWidget(w)
            w.hide()

    def set_basemap_progress(self, progress: Any) -> None:
        """Show a ``BaseMapProgress``: bar and 暂停 while it downloads, 继续 when paused, a note on failure."""
        active, paused = bool(getattr(progress, "active", False)), bool(getattr(progress, "paused", False))
        done, total = int(getattr(progress, "done", 0) or 0), int(getattr(progress, "total", 0) or 0)
        error = getattr(progress, "error", "") or ""
        name = getattr(progress, "name", "") or self.tr("base map")
        self.basemap_progress.setVisible(active and total > 0)
        self.basemap_pause_button.setVisible(active and not paused)
        self.basemap_resume_button.setVisible(paused)
        if total:
            self.basemap_progress.setValue(int(1000 * min(done, total) / total))
            self.basemap_progress.setFormat(self.tr("Base map %p%"))
        mb = self.tr("{done:.1f} of {total:.1f} MB").format(done=done / 1e6, total=total / 1e6)
        if paused:
            text = self.tr("Base map download paused ({name}, {mb})").format(name=name, mb=mb)
        elif active:
            text = self.tr("Downloading the base map {name}: {mb}").format(name=name, mb=mb)
        elif error:
            text = self.tr("The base map could not be downloaded; the map keeps the one it has. It is tried again "
                           "after the next sync.")
        else:
            text = ""
        self.basemap_label.setText(text)
        self.basemap_label.setToolTip(error)
        self.basemap_label.setVisible(bool(text))
