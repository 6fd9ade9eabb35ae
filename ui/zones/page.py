"""The 执法片区 page: zone board, team members, duty roster, dispatches and response times.

``build_page(window)`` is the main window's plugin hook. The zone chooser at the top
drives the per-zone tabs (members, roster, dispatches, the member statistics); the
board always shows all 7 zones. Tabs load when first shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from commandroom.queries.zones import ZoneInfo, zone_infos
from commandroom.timeutil import utcnow
from ui.zones.board import ZoneBoardWidget
from ui.zones.dispatches import ZoneDispatchView
from ui.zones.members import MembersView
from ui.zones.roster import RosterEditor
from ui.zones.stats import StatsView

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

TAB_BOARD, TAB_MEMBERS, TAB_ROSTER, TAB_DISPATCHES, TAB_STATS = range(5)


class ZonesPage(QWidget):
    """The enforcement zones page (see the module doc).

    Args:
        store: the workstation's DeskStore.
        actor: the signed-in user.
        now_fn: the clock (tests and screenshots freeze it).
    """

    show_on_map_requested = Signal(str)
    zone_did_change = Signal(str)

    def __init__(self, store: Store, actor: Actor, *, now_fn: Callable[[], datetime] = utcnow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.now_fn = now_fn
        self.zones: list[ZoneInfo] = zone_infos(store)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        title = QLabel(self.tr("Enforcement zones"))
        title.setObjectName("DetailTitle")
        bar.addWidget(title)
        bar.addSpacing(16)
        bar.addWidget(QLabel(self.tr("Zone")))
        self.zone_combo = QComboBox()
        for z in self.zones:
            self.zone_combo.addItem(f"{z.name}（{'、'.join(z.township_names)}）", z.id)
        bar.addWidget(self.zone_combo)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.board = ZoneBoardWidget(store, actor, now_fn=now_fn)
        self.members = MembersView(store, actor, now_fn=now_fn)
        self.roster = RosterEditor(store, actor, now_fn=now_fn)
        self.dispatches = ZoneDispatchView(store, actor, now_fn=now_fn)
        self.stats = StatsView(store, now_fn=now_fn)
        self.stats.export_button.setVisible(actor.may("export.zone_stats"))
        self.tabs.addTab(self.board, self.tr("Zone board"))
        self.tabs.addTab(self.members, self.tr("Team members"))
        self.tabs.addTab(self.roster, self.tr("Duty roster"))
        self.tabs.addTab(self.dispatches, self.tr("Dispatches"))
        self.tabs.addTab(self.stats, self.tr("Response times"))
        self._loaded: set[int] = set()
        self.board.show_on_map_requested.connect(self.show_on_map_requested)
        self.zone_combo.currentIndexChanged.connect(self._on_zone_changed)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._preselect_zone()
        self._on_tab_changed(self.tabs.currentIndex())

    @property
    def zone_id(self) -> str | None:
        return self.zone_combo.currentData()

    def _preselect_zone(self) -> None:
        township = self.actor.township_code
        zone = next((z.id for z in self.zones if township and township in z.township_codes), None)
        if zone is not None:
            self.zone_combo.setCurrentIndex(max(0, self.zone_combo.findData(zone)))

    def set_zone(self, zone_id: str) -> None:
        self.zone_combo.setCurrentIndex(max(0, self.zone_combo.findData(zone_id)))

    def show_tab(self, index: int) -> QWidget:
        self.tabs.setCurrentIndex(index)
        return self.tabs.widget(index)

    def _on_zone_changed(self, *_: Any) -> None:
        zone_id = self.zone_id
        if zone_id is None:
            return
        for index in self._loaded:
            self._apply_zone(index, zone_id)
        self.zone_did_change.emit(zone_id)

    def _apply_zone(self, index: int, zone_id: str) -> None:
        if index == TAB_MEMBERS:
            self.members.set_zone(zone_id)
        elif index == TAB_ROSTER:
            self.roster.set_zone(zone_id)
        elif index == TAB_DISPATCHES:
            self.dispatches.set_zone(zone_id)
        elif index == TAB_STATS:
            name = next((z.name for z in self.zones if z.id == zone_id), None)
            self.stats.set_zone_name(name)

    def _on_tab_changed(self, index: int) -> None:
        if index in self._loaded:
            return
        self._loaded.add(index)
        zone_id = self.zone_id
        if index == TAB_BOARD:
            self.board.load()
        elif index == TAB_STATS:
            self.stats.reload()
        if zone_id is not None:
            self._apply_zone(index, zone_id)


def build_page(window: Any) -> QWidget:
    """The main window's plugin hook: the page for ``window.store`` and ``window.actor``."""
    # countdowns and rosters by the server's clock when this machine's is off (DeskStore.now)
    page = ZonesPage(window.store, window.actor, now_fn=getattr(window.store, "now", utcnow))

    def on_show_on_map(zone_id: str) -> None:
        show_page = getattr(window, "show_page", None)
        if show_page is None:
            return
        try:
            map_page = show_page("map")
        except (KeyError, ValueError):
            return
        show_zone = getattr(map_page, "show_zone", None)
        if callable(show_zone):
            show_zone(zone_id)

    page.show_on_map_requested.connect(on_show_on_map)
    return page
