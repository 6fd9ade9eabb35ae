"""The main window: left navigation, an urgent-notice banner, the pages, the status bar.

Pages are built when first shown (the inbox at once), so start-up pays only for what
the duty officer looks at first. Pages that belong to other parts of the desktop are
imported lazily; a page whose module has not landed shows a placeholder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.scope import department_of, is_county, scope_of
from ui import i18n
from ui.async_runner import run_read, spawn, store_events
from ui.notifications import (
    BannerArea,
    BreachWarningWatcher,
    DepartmentWorkWatcher,
    Notice,
    Notifier,
    UrgentReportWatcher,
)
from ui.status_bar import StatusBarWidget

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

PAGE_INBOX, PAGE_INCIDENTS, PAGE_CONFLICTS, PAGE_MAP, PAGE_ZONES, PAGE_BOARD, PAGE_ONE_THING = (
    "inbox", "incidents", "conflicts", "map", "zones", "board", "one_thing")
PAGE_ADMIN = "admin"
PAGE_NOTICES = "notices"
PAGE_ARBITRATION = "arbitration"
PAGE_DEPARTMENT = "department"


UNDO_MERGE_KEY = "inbox-undo-merge"  # the inbox's notice with 撤销 after a merge


class MainWindow(QMainWindow):
    """The command room's main window.

    Args:
        store: the workstation's DeskStore.
        actor: the signed-in user (``commandroom.mutations.Actor``).
        sound: play the alert sound for urgent notices.
        sound_dir: where the generated alert WAV is kept.
    """

    page_did_change = Signal(str)
    sync_status_did_change = Signal(object)
    sync_progress_did_change = Signal(int, int)
    basemap_progress_did_change = Signal(object)

    def __init__(self, store: Store, actor: Actor, *, sound: bool = True, sound_dir: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.engine: Any = None
        self.setWindowTitle(self.tr("Command Room"))
        self.resize(1600, 1000)
        from ui import ui_state
        from ui.theme import app_icon

        self.setWindowIcon(app_icon())
        app = QApplication.instance()
        if app is not None and app.windowIcon().isNull():
            app.setWindowIcon(app_icon())  # the tray and the taskbar take the application's icon
        ui_state.remember_geometry(self, "main")  # size and place as the officer left them

        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        nav_panel = QWidget()
        nav_layout = QVBoxLayout(nav_panel)
        nav_layout.setContentsMargins(0, 0, 0, 0)
        nav_layout.setSpacing(0)
        nav_title = QLabel(self.tr("Command Room"))
        nav_title.setObjectName("NavTitle")
        nav_layout.addWidget(nav_title)
        self.nav = QListWidget()
        self.nav.setObjectName("NavList")
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setFixedWidth(184)
        nav_layout.addWidget(self.nav, 1)
        from PySide6.QtWidgets import QPushButton

        self.settings_button = QPushButton(self.tr("Settings"))
        self.settings_button.setObjectName("NavSettings")
        self.settings_button.setIcon(_nav_icon("fa5s.cog"))
        self.settings_button.setToolTip(self.tr("Language, theme, sound, server and workstation (Ctrl+,)"))
        self.settings_button.setShortcut("Ctrl+,")
        self.settings_button.clicked.connect(self.open_settings)
        nav_layout.addWidget(self.settings_button)
        nav_panel.setFixedWidth(184)
        outer.addWidget(nav_panel)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        self.banner = BannerArea()
        right_layout.addWidget(self.banner)
        self.stack = QStackedWidget()
        right_layout.addWidget(self.stack, 1)
        outer.addWidget(right, 1)
        self.setCentralWidget(central)

        self.status_bar = StatusBarWidget()
        self.setStatusBar(self.status_bar)
        self.status_bar.rejected_clicked.connect(lambda: self.show_page(PAGE_CONFLICTS))
        self.sync_status_did_change.connect(self.status_bar.set_sync_status)
        self.sync_progress_did_change.connect(self.status_bar.set_sync_progress)

        self.notifier = Notifier(self.banner, sound=sound, sound_dir=sound_dir, parent=self)
        self.pages: dict[str, QWidget] = {}
        self._builders: dict[str, Callable[[], QWidget]] = {}
        self._keys: list[str] = []
        # a department liaison's seat opens on its workspace; a township desk on the report inbox
        self.department = department_of(actor)
        self.home_page = PAGE_DEPARTMENT if self.department else PAGE_INBOX
        self._add_pages()
        self._fit_nav(nav_panel)
        self.nav.currentRowChanged.connect(self._on_nav_row_changed)

        self.urgent_watcher = UrgentReportWatcher(store, self.notifier, on_show=self._on_show_report, parent=self)
        self.breach_watcher = BreachWarningWatcher(store, self.notifier, on_show=self._on_show_incident, parent=self)
        self.department_watcher = (DepartmentWorkWatcher(store, self.notifier, self.department,
                                                         on_show=self._on_show_incident, parent=self)
                                   if self.department else None)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(200)
        self._counts_timer.timeout.connect(self._refresh_counts)
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._set_user_labels()
        self.show_page(self.home_page)
        self._refresh_counts_now()

        # Ctrl+F anywhere in the window: the current page's search box (pages that have one)
        from PySide6.QtGui import QKeySequence, QShortcut

        self.search_shortcut = QShortcut(QKeySequence("Ctrl+F"), self)
        self.search_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.search_shortcut.activated.connect(self.focus_search)

        # the "Wall screen" action; the wall window itself is imported when first opened
        from ui.wall.toggle import install_wall_toggle

        self.wall_toggle = install_wall_toggle(self)

    # -- pages

    def _add_pages(self) -> None:
        entries = [
            (PAGE_INBOX, self.tr("Report inbox"), "fa5s.inbox", self._build_inbox),
            (PAGE_INCIDENTS, self.tr("Incidents"), "fa5s.clipboard-list", self._build_incidents),
            (PAGE_CONFLICTS, self.tr("Conflicts & rejections"), "fa5s.exchange-alt", self._build_conflicts),
            (PAGE_MAP, self.tr("Map"), "fa5s.map-marked-alt", lambda: self._plugin_page("ui.map.page_plugin")),
            (PAGE_ZONES, self.tr("Enforcement zones"), "fa5s.user-shield",
             lambda: self._plugin_page("ui.zones.page")),
            (PAGE_BOARD, self.tr("Task board"), "fa5s.columns", lambda: self._plugin_page("ui.boards.page")),
            (PAGE_ONE_THING, self.tr("One-thing cases"), "fa5s.project-diagram",
             lambda: self._plugin_page("ui.cases.page")),
        ]
        if self.department:  # the department's seat: its work, the incidents it is on, their map, its returns
            entries = [
                (PAGE_DEPARTMENT, self.tr("Department workspace"), "fa5s.building",
                 lambda: self._plugin_page("ui.department.view")),
                entries[1], entries[3], entries[2],
            ]
        if self.actor.may("notices.read"):  # what the county server sent out for the room
            entries.append((PAGE_NOTICES, self.tr("Notices sent"), "fa5s.paper-plane", self._build_notices))
        if self.actor.may("dispute.decide") and not self.actor.may("admin.users"):  # the county's arbitration
            entries.append((PAGE_ARBITRATION, self.tr("Arbitration"), "fa5s.balance-scale",
                            lambda: self._plugin_page("ui.arbitration.view")))
        if self.actor.may("admin.users"):  # the county administrator's screens
            entries.append((PAGE_ADMIN, self.tr("Administration"), "fa5s.users-cog", self._build_admin))
        for key, title, icon, builder in entries:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setIcon(_nav_icon(icon))
            self.nav.addItem(item)
            self._keys.append(key)
            self._builders[key] = builder
            holder = QWidget()  # replaced by the real page on first show
            self.stack.addWidget(holder)

    def _fit_nav(self, panel: QWidget) -> None:
        """The sidebar as wide as its longest entry in the language in use (English is longer), at least 184 px."""
        self.nav.ensurePolished()
        fm = self.nav.fontMetrics()
        widest = max((fm.horizontalAdvance(self.nav.item(i).text()) for i in range(self.nav.count())), default=0)
        width = max(184, widest + self.nav.iconSize().width() + 56)
        self.nav.setFixedWidth(width)
        panel.setFixedWidth(width)

    def _build_admin(self) -> QWidget:
        if self.engine is None:
            return QLabel(self.tr("Administration needs the county server: sign in while connected."))
        from ui.admin.view import AdminView

        view = AdminView(self.engine._request, self.actor)
        view._start(view.load())
        return view

    def _build_notices(self) -> QWidget:
        if self.engine is None:
            return QLabel(self.tr("The notices log is kept by the county server: sign in while connected."))
        from ui.notices.view import NoticesView

        return NoticesView(self.engine._request, self.actor)

    def page(self, key: str) -> QWidget:
        """The page ``key``, built on first use."""
        page = self.pages.get(key)
        if page is None:
            page = self._builders[key]()
            index = self._keys.index(key)
            old = self.stack.widget(index)
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(old)
            old.deleteLater()
            self.pages[key] = page
        return page

    def show_page(self, key: str) -> QWidget:
        page = self.page(key)
        index = self._keys.index(key)
        self.stack.setCurrentIndex(index)
        if self.nav.currentRow() != index:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(index)
            self.nav.blockSignals(False)
        if key != PAGE_INBOX:
            self.banner.clear_key(UNDO_MERGE_KEY)  # an offer to undo only where the merge was done
        self.page_did_change.emit(key)
        return page

    def current_page_key(self) -> str:
        return self._keys[self.stack.currentIndex()]

    def open_all_pages(self) -> list[str]:
        """Build and show every page once (the self-test); returns the keys in order."""
        for key in self._keys:
            self.show_page(key)
        self.show_page(self.home_page)
        return list(self._keys)

    def open_settings(self) -> None:
        """设置: edit language, theme, sound, server and workstation; theme and sound apply at once."""
        from commandroom.config import load_settings
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(load_settings(), self)
        self.settings_dialog = dialog
        dialog.accepted.connect(lambda: self._apply_settings(dialog.saved))
        dialog.open()

    def _apply_settings(self, saved: dict[str, Any]) -> None:
        from ui.theme import apply_theme

        app = QApplication.instance()
        if app is not None and saved.get("theme"):
            apply_theme(app, saved["theme"])
        self.notifier.sound_enabled = bool(saved.get("sound"))

        async def remember() -> None:  # what the sign-in dialog shows next time
            from ui.async_runner import run_db

            for key in ("server_url", "workstation_name"):
                if saved.get(key):
                    await run_db(self.store.set_meta, key, saved[key])

        spawn(remember())
        self.notifier.notify(Notice(text=self.tr("Settings saved."), level="info", key="settings-saved",
                                    timeout_ms=5_000))

    def focus_search(self) -> None:
        page = self.pages.get(self.current_page_key())
        focus = getattr(page, "focus_search", None)
        if callable(focus):
            focus()

    def _on_inbox_action(self, name: str, _ids: list) -> None:
        """The merge's 撤销 banner belongs to the merge: a later action ends it."""
        if name != "report.merge":
            self.banner.clear_key(UNDO_MERGE_KEY)

    def _on_nav_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._keys):
            self.show_page(self._keys[row])

    def _build_inbox(self) -> QWidget:
        from ui.inbox.view import InboxView

        view = InboxView(self.store, self.actor)
        view.banner_requested.connect(self.notifier.notify)
        view.action_did_finish.connect(self._on_inbox_action)
        view.load(background=True)
        return view

    def _build_incidents(self) -> QWidget:
        from ui.incidents.view import IncidentsView

        view = IncidentsView(self.store, self.actor, self)
        view.banner_requested.connect(self.notifier.notify)
        return view

    def _plugin_page(self, module_name: str) -> QWidget:
        """A page from ``module_name.build_page(window)``, imported when the page is first opened."""
        import importlib

        return importlib.import_module(module_name).build_page(self)

    def _build_conflicts(self) -> QWidget:
        from ui.conflicts.view import ConflictsView

        view = ConflictsView(self.store, self.actor, scope_of(self.actor, self.store))
        view.load()
        return view

    @property
    def inbox(self) -> Any:
        return self.page(PAGE_INBOX)

    @property
    def conflicts(self) -> Any:
        return self.page(PAGE_CONFLICTS)

    # -- user, scope, counts

    def _township_scope(self) -> list[str] | None:
        scope = scope_of(self.actor, self.store)
        return None if scope is None else list(scope)

    def _set_user_labels(self, place: str | None = None) -> None:
        """Name, role and place in the status bar and the title; the place by name, never its code."""
        role = i18n.label(i18n.ROLE_LABELS, self.actor.role)
        if self.department:
            from commandroom.queries.department import department_name

            place = department_name(self.store, self.department)
        elif is_county(self.actor):
            place = self.tr("Whole county")
        elif place is None:
            from commandroom.services.places import place_of

            with self.store.read() as session:
                place = place_of(session, self._township_scope() or [])
        self.status_bar.set_user(self.actor.name, role, place)
        self.setWindowTitle("{} · {}".format(self.tr("Command Room"), place) if place else self.tr("Command Room"))

    def _relabel_place(self) -> None:
        """The township rows arrived (first sync after the first sign-in): name the place now."""

        async def load() -> None:
            codes = self._township_scope() or []
            place = await run_read(lambda: _read_place(self.store, codes))
            self._set_user_labels(place)

        spawn(load())

    def attach_engine(self, engine: Any) -> None:
        """Show the sync engine's status from now on (``engine.on_status(callback)``)."""
        self.engine = engine
        on_status = getattr(engine, "on_status", None)
        if callable(on_status):
            # The engine may report from a worker thread: a signal delivers on the GUI thread.
            on_status(self.sync_status_did_change.emit)
        on_progress = getattr(engine, "on_progress", None)
        if callable(on_progress):
            on_progress(self.sync_progress_did_change.emit)
        cancel = getattr(engine, "cancel_download", None)
        if callable(cancel):
            self.status_bar.cancel_download_clicked.connect(cancel)
        resume = getattr(engine, "resume_download", None)
        if callable(resume):
            self.status_bar.resume_download_clicked.connect(resume)
        from ui.common.photo_viewer import set_photo_source

        set_photo_source(getattr(engine, "photos", None))

    def attach_basemaps(self, downloader: Any) -> None:
        """Show the base map download (a :class:`commandroom.sync.basemap.BaseMapSync`) with pause/continue."""
        self.basemap_downloader = downloader
        self.basemap_progress_did_change.connect(self.status_bar.set_basemap_progress)
        downloader.on_progress(self.basemap_progress_did_change.emit)
        self.status_bar.basemap_pause_clicked.connect(downloader.pause)
        self.status_bar.basemap_resume_clicked.connect(downloader.resume)

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("township") and self.actor.scope_kind != "county":
            self._relabel_place()
        if self.engine is None and changes.touches("local_outbox"):
            self._counts_timer.start()

    def _rejected_count(self) -> int:
        """Rejected (not merged) outbox entries not yet dismissed: what "被拒 N" counts."""
        own = getattr(self.store, "rejected_count", None)
        if callable(own):
            return own()
        return sum(1 for e in self.store.rejected() if e.state == "rejected")

    def _refresh_counts_now(self) -> None:
        if self.engine is None:
            self.status_bar.set_counts(self.store.pending_count(), self._rejected_count())

    def _refresh_counts(self) -> None:
        async def load() -> None:
            pending = await run_read(self.store.pending_count)
            rejected = await run_read(self._rejected_count)
            if self.engine is None:
                self.status_bar.set_counts(pending, rejected)

        spawn(load())

    def _on_show_report(self, report_id: str) -> None:
        inbox = self.show_page(PAGE_INBOX)
        inbox.select_report(report_id)

    def _on_show_incident(self, incident_id: str) -> None:
        incidents = self.show_page(PAGE_INCIDENTS)
        incidents.select_incident(incident_id)

    def show_notice(self, notice: Notice) -> None:
        self.notifier.notify(notice)


def _read_place(store: Store, codes: list[str]) -> str:
    from commandroom.services.places import place_of

    with store.read() as session:
        return place_of(session, codes)


def _nav_icon(name: str) -> Any:
    from ui.theme import icon

    return icon(name, "#c9d4e2")
