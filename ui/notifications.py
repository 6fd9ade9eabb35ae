"""Notices: the in-app banner, the system tray message and the alert sound.

* :class:`Notice` is what a view asks to show (``banner_requested`` signals carry one).
* :class:`BannerArea` stacks notices above the pages; urgent ones stay until closed,
  informational ones fade after a while; a notice may carry one action (Undo, Show).
* :class:`Notifier` adds the tray message (``QSystemTrayIcon`` when the platform has a
  tray) and the sound (a short WAV generated on first use and played by ``QSoundEffect``;
  ``QApplication.beep`` when Qt Multimedia is unavailable).
* :class:`UrgentReportWatcher` turns change events into notices for reports that arrive
  waiting and marked urgent (L1) by the reporter; each report alerts once.
"""

from __future__ import annotations

import logging
import math
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.async_runner import run_read, spawn, store_events

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)


@dataclass
class Notice:
    """Something to tell the duty officer now.

    Args:
        text: the translated message.
        level: ``urgent`` (red, stays until closed, tray + sound) or ``info`` (fades).
        action_text: label of the one action button (empty: none).
        action: called when the action button is pressed; the notice closes.
        key: a notice with the same key replaces the previous one (e.g. "undo-merge").
        timeout_ms: for ``info`` notices, how long they stay.
    """

    text: str
    level: str = "info"
    action_text: str = ""
    action: Callable[[], Any] | None = None
    key: str = ""
    timeout_ms: int = 15_000
    data: dict[str, Any] = field(default_factory=dict)


class BannerWidget(QFrame):
    """One notice in the banner area."""

    closed = Signal()

    def __init__(self, notice: Notice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice = notice
        self.setObjectName("Banner")
        self.setProperty("level", notice.level)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        self.icon_label = QLabel("⚠" if notice.level == "urgent" else "ℹ")
        layout.addWidget(self.icon_label)
        self.text_label = QLabel(notice.text)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text_label, 1)
        self.action_button: QPushButton | None = None
        if notice.action_text:
            self.action_button = QPushButton(notice.action_text)
            self.action_button.clicked.connect(self._on_action_clicked)
            layout.addWidget(self.action_button)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip(self.tr("Close"))
        close.clicked.connect(self.close_notice)
        layout.addWidget(close)

    def _on_action_clicked(self) -> None:
        action = self.notice.action
        self.close_notice()
        if action is not None:
            action()

    def close_notice(self) -> None:
        self.hide()
        self.closed.emit()
        self.deleteLater()


class BannerArea(QWidget):
    """The stack of notices shown above the pages of the main window (at most 4 at once)."""

    MAX = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        self._layout.setSpacing(4)
        self._banners: list[BannerWidget] = []
        self.hide()

    @property
    def banners(self) -> list[BannerWidget]:
        return list(self._banners)

    def show_notice(self, notice: Notice) -> BannerWidget:
        """Show ``notice`` on top; one with the same key replaces the old one."""
        if notice.key:
            for banner in list(self._banners):
                if banner.notice.key == notice.key:
                    self._remove(banner)
                    banner.close_notice()
        banner = BannerWidget(notice, self)
        banner.closed.connect(lambda b=banner: self._remove(b))
        self._banners.insert(0, banner)
        self._layout.insertWidget(0, banner)
        while len(self._banners) > self.MAX:
            oldest = self._banners[-1]
            self._remove(oldest)
            oldest.close_notice()
        if notice.level != "urgent" and notice.timeout_ms > 0:
            QTimer.singleShot(notice.timeout_ms, banner, banner.close_notice)
        self.show()
        return banner

    def clear_key(self, key: str) -> None:
        for banner in list(self._banners):
            if banner.notice.key == key:
                self._remove(banner)
                banner.close_notice()

    def _remove(self, banner: BannerWidget) -> None:
        if banner in self._banners:
            self._banners.remove(banner)
        if not self._banners:
            self.hide()


def alert_wav(path: Path) -> Path:
    """Write a short two-tone alert (0.5 s, 16-bit mono, 22 050 Hz) to ``path`` once; returns it."""
    if path.exists() and path.stat().st_size > 1000:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 22_050
    frames = bytearray()
    for i in range(int(rate * 0.5)):
        t = i / rate
        freq = 880.0 if t < 0.25 else 660.0
        envelope = min(1.0, (0.25 - (t % 0.25)) * 40) * min(1.0, (t % 0.25) * 200)
        frames += struct.pack("<h", int(12_000 * envelope * math.sin(2 * math.pi * freq * t)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


class Notifier(QObject):
    """Shows notices: the banner always, the tray message and the sound for urgent ones.

    Args:
        banner: where notices appear in the window.
        sound: play the alert sound for urgent notices (settings.sound).
        sound_dir: where the generated WAV is kept (the data dir).
    """

    notice_did_show = Signal(object)

    def __init__(self, banner: BannerArea, *, sound: bool = True, sound_dir: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.banner = banner
        self.sound_enabled = sound
        self.sound_dir = sound_dir
        self._tray: Any = None
        self._effect: Any = None
        self.tray_messages: list[tuple[str, str]] = []  # what was sent to the tray (tests, wall log)

    def notify(self, notice: Notice) -> None:
        self.banner.show_notice(notice)
        if notice.level == "urgent":
            self._tray_message(self.tr("Urgent report"), notice.text)
            self._play_sound()
        self.notice_did_show.emit(notice)

    def _tray_message(self, title: str, text: str) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        self.tray_messages.append((title, text))
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self._tray is None:
            app = QApplication.instance()
            self._tray = QSystemTrayIcon(app.windowIcon() if app else None, self)
            self._tray.setToolTip(self.tr("Command Room"))
            self._tray.show()
        self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 10_000)

    def _play_sound(self) -> None:
        if not self.sound_enabled:
            return
        try:
            if self._effect is None:
                from PySide6.QtCore import QUrl
                from PySide6.QtMultimedia import QSoundEffect

                folder = self.sound_dir or Path.home() / ".cache" / "commandroom"
                self._effect = QSoundEffect(self)
                self._effect.setSource(QUrl.fromLocalFile(str(alert_wav(folder / "alert.wav"))))
                self._effect.setVolume(0.8)
            self._effect.play()
        except Exception:  # no audio device or no Qt Multimedia: a beep will do
            log.info("alert sound unavailable; using beep", exc_info=True)
            QApplication.beep()


class _ArrivalWatcher(QObject):
    """Looks at each new or changed row of one table once, and announces the ones that need it.

    Subclasses name the table and implement ``_check(ids)`` (a read on the database thread, then notices).
    """

    watched_table = ""

    def __init__(self, store: Store, notifier: Notifier | None, *, on_show: Callable[[str], Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.notifier = notifier
        self.on_show = on_show
        self._notified: set[str] = set()
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    def _on_store_changes(self, changes: Any) -> None:
        ids = set(changes.ids(self.watched_table)) - self._notified
        if ids:
            spawn(self._check(ids))

    async def _check(self, ids: set[str]) -> None:
        raise NotImplementedError


class UrgentReportWatcher(_ArrivalWatcher):
    """Raises an urgent notice when a waiting report marked L1 arrives (once per report)."""

    urgent_reports_did_arrive = Signal(list)
    watched_table = "report"

    async def _check(self, ids: set[str]) -> None:
        from commandroom.queries.inbox import urgent_new_reports

        rows = await run_read(urgent_new_reports, self.store, ids)
        rows = [r for r in rows if r.id not in self._notified]
        if not rows:
            return
        self._notified.update(r.id for r in rows)
        self.urgent_reports_did_arrive.emit(rows)
        if self.notifier is None:
            return
        on_show = self.on_show
        for row in rows:
            text = self.tr("Urgent report: {category} at {place}, {township}").format(
                category=row.category_name, place=row.address or row.grid_name or "—", township=row.township_name)
            self.notifier.notify(Notice(
                text=text, level="urgent", key=f"urgent-{row.id}",
                action_text=self.tr("Show") if on_show else "",
                action=(lambda rid=row.id, show=on_show: show(rid)) if on_show else None,
                data={"report_id": row.id},
            ))


class BreachWarningWatcher(_ArrivalWatcher):
    """Raises a banner when the county server's pre-breach warning (即将超时预警) of a running clock arrives.

    The server's scheduler writes the warning once per clock; this desk shows it once, while the clock runs.
    """

    warnings_did_arrive = Signal(list)
    watched_table = "timeline_entry"

    async def _check(self, ids: set[str]) -> None:
        from commandroom.services.notices import breach_warnings

        def read(store: Store, entry_ids: set[str]) -> list[Any]:
            with store.read() as session:
                return breach_warnings(session, entry_ids, store.now())

        rows = [w for w in await run_read(read, self.store, ids) if w.entry_id not in self._notified]
        if not rows:
            return
        self._notified.update(w.entry_id for w in rows)
        self.warnings_did_arrive.emit(rows)
        if self.notifier is None:
            return
        clocks = {"ack": self.tr("acknowledgement"), "onsite": self.tr("arrival on site"),
                  "close": self.tr("closure")}
        for w in rows:
            from commandroom.timeutil import fmt_local

            text = self.tr("About to run out: the {clock} deadline of {township} {number} “{title}” is {due}").format(
                clock=clocks[w.clock], township=w.township_name, number=w.number, title=w.title,
                due=fmt_local(w.due, "%m-%d %H:%M"))
            self.notifier.notify(Notice(
                text=text, level="urgent", key=f"breach-{w.incident_id}-{w.clock}",
                action_text=self.tr("Show") if self.on_show else "",
                action=(lambda iid=w.incident_id, show=self.on_show: show(iid)) if self.on_show else None,
                data={"incident_id": w.incident_id},
            ))


class DepartmentWorkWatcher(_ArrivalWatcher):
    """On a department's seat: a new assignment, summons, one-thing case or escalation for it, live.

    Reads the timeline entries as they arrive by sync (:func:`commandroom.queries.department.department_notices`);
    each is announced once, in the banner and the tray.
    """

    work_did_arrive = Signal(list)
    watched_table = "timeline_entry"

    def __init__(self, store: Any, notifier: Notifier | None, department: str, *,
                 on_show: Callable[[str], Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(store, notifier, on_show=on_show, parent=parent)
        self.department = department

    async def _check(self, ids: set[str]) -> None:
        from commandroom.queries.department import department_notices

        rows = [n for n in await run_read(department_notices, self.store, self.department, sorted(ids))
                if n.entry_id not in self._notified]
        self._notified.update(ids)
        if not rows:
            return
        self.work_did_arrive.emit(rows)
        if self.notifier is None:
            return
        texts = {
            "dispatch": self.tr("New assignment for your department: {township} {number} “{title}”"),
            "summon": self.tr("Your department is summoned: {township} {number} “{title}”; check in"),
            "case_open": self.tr("New one-thing case for your department: {township} {number} “{title}”"),
            "escalate": self.tr("Escalated: {township} {number} “{title}”"),
        }
        for n in rows:
            self.notifier.notify(Notice(
                text=texts[n.kind].format(township=n.township_name, number=n.number, title=n.title),
                level="urgent", key=f"dept-{n.entry_id}",
                action_text=self.tr("Show") if self.on_show else "",
                action=(lambda iid=n.incident_id, show=self.on_show: show(iid)) if self.on_show else None,
                data={"incident_id": n.incident_id, "kind": n.kind},
            ))
