"""The wall window: chrome-less and full screen, rotating pages, urgent takeover, staleness banner, ticker.

Built for weeks of unattended operation:

* no dialogs: leaving full screen takes Esc (or F11) twice within 5 seconds, confirmed by a
  strip inside the window; errors are logged, never shown;
* a watchdog (:mod:`ui.wall.watchdog`) restarts a stuck rotation and rebuilds pages that
  stopped updating;
* burn-in protection: the whole content moves by a few pixels every few minutes;
* sizes follow the window height (1.0 at 1080 lines, 2.0 on a 4K wall).

The window reads only through the DeskStore (the reader pool) and listens to its change
events; it writes nothing. ``set_sync_status`` takes the sync engine's status (the desktop
forwards its own; ``commandroom wall`` runs its own engine).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QCursor, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from commandroom.timeutil import to_local, utcnow
from ui.async_runner import store_events
from ui.wall import pages as wp
from ui.wall.banner import StalenessBanner
from ui.wall.config import PAGE_MAP, WallConfig
from ui.wall.rotation import Rotator
from ui.wall.style import scale_for, style_sheet
from ui.wall.ticker import TickerWidget
from ui.wall.urgent import UrgentWatcher
from ui.wall.watchdog import Watchdog

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

CONFIRM_S = 5.0
URGENT_QUEUE = 5
SHIFT_PATTERN = ((0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
WEEKDAYS = (QT_TRANSLATE_NOOP("WallWindow", "Monday"), QT_TRANSLATE_NOOP("WallWindow", "Tuesday"),
            QT_TRANSLATE_NOOP("WallWindow", "Wednesday"), QT_TRANSLATE_NOOP("WallWindow", "Thursday"),
            QT_TRANSLATE_NOOP("WallWindow", "Friday"), QT_TRANSLATE_NOOP("WallWindow", "Saturday"),
            QT_TRANSLATE_NOOP("WallWindow", "Sunday"))


class WallWindow(QWidget):
    """The wall screen.

    Args:
        store: the DeskStore to show (read only).
        config: pages, interval, fixed page, sound… (:class:`ui.wall.config.WallConfig`).
        clock: "now" as naive UTC (a fake clock in the soak driver).
        sound_dir: where the alert WAV is kept (None: no sound file, a beep).
        page_kwargs: extra constructor arguments per page key (tests: a fake map factory).
    """

    sync_status_did_change = Signal(object)
    takeover_did_start = Signal(object)
    takeover_did_end = Signal()
    page_did_change = Signal(str)
    closed = Signal()

    def __init__(self, store: Store, config: WallConfig | None = None, *, clock: Callable[[], datetime] = utcnow,
                 sound_dir: Path | None = None, page_kwargs: dict[str, dict[str, Any]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WallWindow")
        self.setWindowTitle(self.tr("Command Room wall screen"))
        self.store = store
        self.config = config or WallConfig()
        self.clock = clock
        self.sound_dir = sound_dir
        self.page_kwargs = page_kwargs or {}
        self.scale = 0.0
        self.takeovers = 0
        self.rebuilds = 0
        self.page_switches = 0
        self.sounds = 0
        self._closing = False
        self._engine_unsubscribe: Callable[[], Any] | None = None
        self._sound: Any = None
        self._shift_index = 0
        self._confirm_until = 0.0
        self._urgent_queue: deque[Any] = deque(maxlen=URGENT_QUEUE)
        self._urgent_item: Any = None

        outer = QVBoxLayout(self)
        self.outer = outer
        self.content = QWidget()
        self.content.setObjectName("WallContent")
        outer.addWidget(self.content)
        body = QVBoxLayout(self.content)
        self.body = body

        self.header = QFrame()
        self.header.setObjectName("WallHeader")
        head = QHBoxLayout(self.header)
        self.head = head
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title_label = QLabel(self.tr("Integrated Information Command Room"))
        self.title_label.setObjectName("WallTitle")
        self.page_label = QLabel("")
        self.page_label.setObjectName("WallSubtitle")
        titles.addWidget(self.title_label)
        titles.addWidget(self.page_label)
        head.addLayout(titles)
        head.addStretch(1)
        self.dots = QLabel("")
        self.dots.setObjectName("WallDots")
        head.addWidget(self.dots, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        clock_box = QVBoxLayout()
        clock_box.setSpacing(0)
        self.clock_label = QLabel("")
        self.clock_label.setObjectName("WallClock")
        self.clock_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.date_label = QLabel("")
        self.date_label.setObjectName("WallDate")
        self.date_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        clock_box.addWidget(self.clock_label)
        clock_box.addWidget(self.date_label)
        head.addLayout(clock_box)
        body.addWidget(self.header)

        self.banner = StalenessBanner(clock)
        body.addWidget(self.banner)
        self.confirm = QLabel(self.tr("Press Esc again within 5 seconds to leave full screen"))
        self.confirm.setObjectName("ConfirmStrip")
        self.confirm.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confirm.hide()
        body.addWidget(self.confirm)

        self.stack = QStackedWidget()
        self.stack.setObjectName("WallStack")
        # a page that needs more room is clipped; it never pushes the header or the ticker off the screen
        self.stack.setMinimumSize(1, 1)
        body.addWidget(self.stack, 1)
        self.pages: dict[str, wp.WallPage] = {}
        for key in self.config.shown_pages:
            self._add_page(key)
        self.urgent_page = wp.WallUrgentPage()
        self.stack.addWidget(self.urgent_page)

        self.ticker = TickerWidget()
        body.addWidget(self.ticker)
        self.ticker_feed = wp.WallTickerFeed(store, self.config, clock)
        self.ticker_feed.did_update.connect(self._on_ticker_items)

        self.rotator = Rotator(self.config.pages, self.config.interval_s, self.config.fixed_page, self)
        self.rotator.page_requested.connect(self._on_page_requested)
        self.watchdog = Watchdog(self, self.config.watchdog_s, self)
        self.urgent = UrgentWatcher(store, clock, self.config.townships, self)
        self.urgent.urgent_did_arrive.connect(self._on_urgent)
        self._urgent_timer = QTimer(self)
        self._urgent_timer.setSingleShot(True)
        self._urgent_timer.setInterval(max(1, round(self.config.urgent_s * 1000)))
        self._urgent_timer.timeout.connect(self._next_urgent)
        self._confirm_timer = QTimer(self)
        self._confirm_timer.setSingleShot(True)
        self._confirm_timer.setInterval(round(CONFIRM_S * 1000))
        self._confirm_timer.timeout.connect(self._on_confirm_expired)
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(1000)
        self._clock_timer.timeout.connect(self._on_clock_tick)
        self._shift_timer = QTimer(self)
        self._shift_timer.setInterval(max(1000, round(self.config.shift_minutes * 60_000)))
        self._shift_timer.timeout.connect(self._on_shift)
        self.sync_status_did_change.connect(self.banner.set_sync_status)

        self._apply_scale(scale_for(1080))
        self._on_clock_tick()
        self._started = False
        self.place = ""
        self._name_place()
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    # ------------------------------------------------------------------ title

    def _name_place(self) -> None:
        """The title names the township(s) the wall shows (by name; nothing while the names are not synced)."""
        from commandroom.services.places import place_of

        with self.store.read() as session:
            self.place = place_of(session, self.config.townships)
        if self.place:
            self.title_label.setText(self.tr("{place} Integrated Information Command Room").format(place=self.place))
            self.setWindowTitle(self.tr("{place} wall screen").format(place=self.place))
        else:
            self.title_label.setText(self.tr("Integrated Information Command Room"))
            self.setWindowTitle(self.tr("Command Room wall screen"))

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("township") and not self._closing:
            self._name_place()

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        """Start loading, rotating and watching (``showEvent`` calls it once)."""
        if self._started:
            return
        self._started = True
        for page in self.pages.values():
            page.start()
        self.ticker_feed.start()
        self.urgent.start()
        self.rotator.start()
        self.watchdog.start()
        self._clock_timer.start()
        self._shift_timer.start()

    def showEvent(self, event: Any) -> None:  # Qt override
        super().showEvent(event)
        self.start()

    def show_on_screen(self, index: int = 0, *, full_screen: bool = True) -> None:
        """Show on screen ``index`` (the primary one if there is no such screen), full screen, no chrome."""
        screens = QGuiApplication.screens()
        screen = screens[index] if 0 <= index < len(screens) else QGuiApplication.primaryScreen()
        if index >= len(screens):
            log.warning("screen %d does not exist (%d screens); using the primary screen", index, len(screens))
        if screen is not None:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
        if full_screen:
            self.enter_full_screen()
        else:
            self.show()

    def enter_full_screen(self) -> None:
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setCursor(QCursor(Qt.CursorShape.BlankCursor))
        self.showFullScreen()

    def leave_full_screen(self) -> None:
        self.setWindowFlags(Qt.WindowType.Window)
        self.unsetCursor()
        self.showNormal()
        screen = self.screen()
        if screen is not None:
            geo = screen.availableGeometry()
            self.resize(max(960, geo.width() * 2 // 3), max(540, geo.height() * 2 // 3))

    def attach_engine(self, engine: Any) -> None:
        """Show the engine's sync status from now on (``engine.on_status``)."""
        self.detach_engine()
        on_status = getattr(engine, "on_status", None)
        if callable(on_status):
            # the engine reports on the loop's thread; a queued signal keeps widget work on the GUI thread
            self._engine_unsubscribe = on_status(self.sync_status_did_change.emit)

    def detach_engine(self) -> None:
        if self._engine_unsubscribe is not None:
            self._engine_unsubscribe()
            self._engine_unsubscribe = None

    def set_sync_status(self, status: Any) -> None:
        """A SyncStatus, None (no status yet) or :data:`ui.wall.banner.NO_ENGINE`."""
        self.sync_status_did_change.emit(status)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every timer, load and listener (closing the window does this)."""
        if self._closing:
            return
        self._closing = True
        self.detach_engine()
        for timer in (self._urgent_timer, self._confirm_timer, self._clock_timer, self._shift_timer):
            timer.stop()
        self.rotator.stop()
        self.watchdog.stop()
        self.urgent.close()
        self.banner.stop()
        self.ticker.stop()
        self.ticker_feed.close_page()
        for page in self.pages.values():
            page.close_page()
        self.closed.emit()

    # ------------------------------------------------------------------ pages

    def _add_page(self, key: str, index: int = -1) -> wp.WallPage:
        page = wp.build_page(key, self.store, self.config, self.clock, **self.page_kwargs.get(key, {}))
        page.set_scale(self.scale or 1.0)
        self.pages[key] = page
        if index < 0:
            self.stack.addWidget(page)
        else:
            self.stack.insertWidget(index, page)
        return page

    def watched_pages(self) -> dict[str, wp.WallPage]:
        """The pages whose heartbeat the watchdog checks (the shown pages and the ticker's feed)."""
        return {**self.pages, "ticker": self.ticker_feed}

    def rebuild_page(self, key: str) -> None:
        """Replace page ``key`` by a fresh one (the watchdog's remedy for a page that stopped updating)."""
        self.rebuilds += 1
        if key == "ticker":
            old_feed = self.ticker_feed
            old_feed.close_page()
            old_feed.deleteLater()
            self.ticker_feed = wp.WallTickerFeed(self.store, self.config, self.clock)
            self.ticker_feed.did_update.connect(self._on_ticker_items)
            self.ticker_feed.start()
            return
        old = self.pages.get(key)
        if old is None:
            return
        current = self.stack.currentWidget() is old
        index = self.stack.indexOf(old)
        old.close_page()
        page = self._add_page(key, index)
        self.stack.removeWidget(old)
        old.deleteLater()
        if current:
            self.stack.setCurrentWidget(page)
            if key == PAGE_MAP and self._urgent_item is not None and isinstance(page, wp.WallMapPage) and page.has_map:
                page.show_urgent(self._urgent_item, len(self._urgent_queue))
        page.start()

    def current_key(self) -> str:
        widget = self.stack.currentWidget()
        if widget is self.urgent_page:
            return "urgent"
        for key, page in self.pages.items():
            if page is widget:
                return key
        return ""

    def _on_page_requested(self, key: str) -> None:
        page = self.pages.get(key)
        if page is None:
            return
        if isinstance(page, wp.WallMapPage):
            page.clear_urgent()
        self.stack.setCurrentWidget(page)
        self.page_switches += 1
        self.page_label.setText(wp.page_title(key))
        self._update_dots(key)
        self.page_did_change.emit(key)

    def _update_dots(self, key: str) -> None:
        if not self.config.rotating:
            self.dots.setText("")
            return
        self.dots.setText("  ".join("●" if k == key else "○" for k in self.config.pages))

    def _on_ticker_items(self, items: Any) -> None:
        if not items:
            self.ticker.set_items([(self.tr("No reports yet."), False)])
            return
        texts = []
        for item in items:
            loc = to_local(item.at)
            parts = [loc.strftime("%H:%M") if loc else "", f"{item.township} · {item.category}", item.text]
            if item.reporter:
                parts.append(self.tr("reported by {who}").format(who=item.reporter))
            text = "  ".join(p for p in parts if p)
            if item.urgent:
                text = self.tr("[URGENT]") + " " + text
            texts.append((text, item.urgent))
        self.ticker.set_items(texts)

    # ------------------------------------------------------------------ urgent takeover

    def _on_urgent(self, items: list[Any]) -> None:
        for item in items:
            self._urgent_queue.append(item)
        if self._urgent_item is None:
            self._next_urgent()

    def _next_urgent(self) -> None:
        if not self._urgent_queue:
            self._end_takeover()
            return
        item = self._urgent_queue.popleft()
        first = self._urgent_item is None
        self._urgent_item = item
        self.takeovers += 1
        if first:
            self.rotator.pause()
        more = len(self._urgent_queue)
        map_page = self.pages.get(PAGE_MAP)
        if isinstance(map_page, wp.WallMapPage) and map_page.has_map:
            self.stack.setCurrentWidget(map_page)
            map_page.show_urgent(item, more)
        else:
            self.urgent_page.show_item(item, more)
            self.stack.setCurrentWidget(self.urgent_page)
        self.page_label.setText(wp.page_title("urgent"))
        log.info("wall: urgent %s %s takes over for %.0f s", item.kind, item.id, self.config.urgent_s)
        self._play_sound()
        self._urgent_timer.start()
        self.takeover_did_start.emit(item)

    def _end_takeover(self) -> None:
        self._urgent_timer.stop()
        self._urgent_item = None
        map_page = self.pages.get(PAGE_MAP)
        if isinstance(map_page, wp.WallMapPage):
            map_page.clear_urgent()
        self.rotator.resume()
        self.takeover_did_end.emit()

    @property
    def in_takeover(self) -> bool:
        return self._urgent_item is not None

    def _play_sound(self) -> None:
        if not self.config.sound:
            return
        self.sounds += 1
        try:
            if self._sound is None:
                from PySide6.QtCore import QUrl
                from PySide6.QtMultimedia import QSoundEffect

                from ui.notifications import alert_wav

                folder = self.sound_dir or Path.home() / ".cache" / "commandroom"
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(alert_wav(folder / "alert.wav"))))
                effect.setVolume(0.9)
                self._sound = effect
            self._sound.play()
        except Exception:  # no audio device or no Qt Multimedia
            log.info("wall: alert sound unavailable; using a beep", exc_info=True)
            from PySide6.QtWidgets import QApplication

            QApplication.beep()

    # ------------------------------------------------------------------ keys: leaving full screen

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        key = event.key()
        if key in (Qt.Key.Key_Escape, Qt.Key.Key_F11):
            if self.isFullScreen() or self._confirm_until:
                self.request_leave_full_screen()
            elif key == Qt.Key.Key_F11:
                self.enter_full_screen()
            event.accept()
            return
        super().keyPressEvent(event)

    def request_leave_full_screen(self) -> bool:
        """First call: ask (a strip in the window, no dialog); second within 5 s: leave. True when left."""
        now = time.monotonic()
        if self._confirm_until and now <= self._confirm_until:
            self._on_confirm_expired()
            self.leave_full_screen()
            return True
        self._confirm_until = now + CONFIRM_S
        self.confirm.show()
        self._confirm_timer.start()
        return False

    def _on_confirm_expired(self) -> None:
        self._confirm_until = 0.0
        self._confirm_timer.stop()
        self.confirm.hide()

    # ------------------------------------------------------------------ clock, burn-in, scale

    def _on_clock_tick(self) -> None:
        loc = to_local(self.clock())
        if loc is None:
            return
        self.clock_label.setText(loc.strftime("%H:%M:%S"))
        weekday = QCoreApplication.translate("WallWindow", WEEKDAYS[loc.weekday()])
        self.date_label.setText(self.tr("{y}-{m:02d}-{d:02d} · {weekday}").format(
            y=loc.year, m=loc.month, d=loc.day, weekday=weekday))

    def _on_shift(self) -> None:
        self._shift_index = (self._shift_index + 1) % len(SHIFT_PATTERN)
        self._apply_margins()

    @property
    def shift_offset(self) -> tuple[int, int]:
        dx, dy = SHIFT_PATTERN[self._shift_index]
        px = max(1, round(self.config.shift_px * (self.scale or 1.0)))
        return dx * px, dy * px

    def _apply_margins(self) -> None:
        # the content keeps its size; only where it sits moves (burn-in protection)
        px = max(1, round(self.config.shift_px * self.scale))
        dx, dy = self.shift_offset
        self.outer.setContentsMargins(px + dx, px + dy, px - dx, px - dy)

    def resizeEvent(self, event: Any) -> None:  # Qt override
        super().resizeEvent(event)
        scale = scale_for(self.height())
        if abs(scale - self.scale) > 0.01:
            self._apply_scale(scale)

    def _apply_scale(self, scale: float) -> None:
        self.scale = scale
        self.setStyleSheet(style_sheet(scale))
        self._apply_margins()
        m = round(18 * scale)
        self.body.setContentsMargins(m, round(8 * scale), m, round(8 * scale))
        self.body.setSpacing(round(10 * scale))
        self.head.setContentsMargins(0, 0, 0, round(8 * scale))
        for page in self.pages.values():
            page.set_scale(scale)
        self.urgent_page.set_scale(scale)
        self.ticker.set_scale(scale)
