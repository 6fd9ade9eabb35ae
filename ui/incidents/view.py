"""The incidents page: filter bar, the million-row incident table, and the detail panel.

Keys (the page has focus): D dispatch · K acknowledge · G on site · P start · N note ·
S submit · V verify · C close · T return · E escalate · R remind · O reopen ·
Ctrl+F search · Ctrl+Shift+O overdue only · F5 refresh · Ctrl+H shift handover.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.incidents import COLUMN_KEYS, IncidentQuery, filter_choices
from commandroom.queries.scope import scope_of
from ui.incidents import refcounts
from ui.incidents.detail import IncidentDetailPanel
from ui.incidents.filter_bar import IncidentFilterBar
from ui.incidents.table_model import COL_CLOCK, COL_TITLE, IdRole, IncidentTableModel
from ui.incidents.table_view import IncidentTable

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

_COLUMN_WIDTHS = (138, 200, 50, 62, 62, 86, 104, 112, 176, 56)


class IncidentsView(QWidget):
    """The incident list with its filters and the detail of the selected incident.

    Args:
        store: the workstation's DeskStore.
        actor: the signed-in officer (their scope decides which townships are listed).
        parent: the owning widget.
    """

    banner_requested = Signal(object)  # a ui.notifications.Notice
    count_did_change = Signal(int)

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None) -> None:
        refcounts.install()  # PySide6 6.12 on CPython 3.11: see ui/incidents/refcounts.py
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.scope = scope_of(actor, store)
        self._selected_id: str | None = None
        self.open_dialog: Any = None

        self.filter_bar = IncidentFilterBar(filter_choices(store, self.scope), self.scope)
        self.model = IncidentTableModel(store, self.filter_bar.query(), self)
        self.detail = IncidentDetailPanel(store, actor)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_toolbar())
        layout.addWidget(self.filter_bar)

        self.table = IncidentTable()  # rows selected whole, fixed heights, text laid out once per cell
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        self._fit_columns()
        header.setSortIndicator(COLUMN_KEYS.index("created"), Qt.SortOrder.DescendingOrder)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self._on_sort_changed)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([1010, 590])
        layout.addWidget(splitter, 1)
        self.splitter = splitter
        from ui import ui_state

        ui_state.remember_splitter(splitter, "incidents")

        for act in self.detail.actions.values():
            self.addAction(act)  # the workflow keys work while the table has focus
        self.detail.after_action = self._refocus_table
        self.filter_bar.query_changed.connect(self._on_query_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.model.keys_did_load.connect(self._on_keys_loaded)
        self.model.keys_did_complete.connect(self._on_keys_completed)
        self.model.loading_did_change.connect(self._on_loading_changed)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)
        QTimer.singleShot(0, self._start)

    # -- building

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar(self.tr("Incidents"))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

        def action(text: str, key: str, slot: Any, icon: str = "") -> QAction:
            act = QAction(text, self)
            if key:
                act.setShortcut(QKeySequence(key))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                act.setToolTip(f"{text} ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})")
            if icon:
                try:
                    import qtawesome

                    act.setIcon(qtawesome.icon(icon))
                except Exception:
                    log.debug("no icon %s", icon, exc_info=True)
            act.triggered.connect(slot)
            self.addAction(act)
            bar.addAction(act)
            return act

        self.refresh_action = action(self.tr("Refresh"), "F5", self.refresh, "fa5s.sync")
        # Ctrl+F is the main window's (one shortcut for every page with a search box): see focus_search
        self.search_action = action(self.tr("Search"), "", self.filter_bar.focus_search, "fa5s.search")
        self.search_action.setToolTip(f"{self.tr('Search')} (Ctrl+F)")
        self.overdue_action = action(self.tr("Overdue"), "Ctrl+Shift+O", self.filter_bar.show_overdue,
                                     "fa5s.exclamation-circle")
        bar.addSeparator()
        self.handover_action = action(self.tr("Shift handover"), "Ctrl+H", self._on_handover_triggered,
                                      "fa5s.exchange-alt")
        self.briefing_action = action(self.tr("Daily briefing"), "", self._on_briefing_triggered, "fa5s.file-pdf")
        for flag in (self.briefing_action.setVisible, self.briefing_action.setEnabled):  # the briefing exports incidents
            flag(self.actor.may("export.incidents"))
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        self.count_label.setMinimumWidth(120)
        self.count_label.setContentsMargins(8, 0, 14, 0)  # clear of the window's right edge
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.count_label)
        return bar

    # -- loading

    def _fit_columns(self) -> None:
        """Column widths; texts of a fixed shape get exactly their width in the font in use."""
        self.table.ensurePolished()  # the style sheet's font size applies from here on
        fm = self.table.fontMetrics()
        widths = list(_COLUMN_WIDTHS)
        widths[COLUMN_KEYS.index("number")] = fm.horizontalAdvance("QC-2026-000000") + 22
        widths[COLUMN_KEYS.index("created")] = fm.horizontalAdvance("26-11-26 00:00") + 22
        header_fm = self.table.horizontalHeader().fontMetrics()
        for col, width in enumerate(widths):
            if col != COL_TITLE:
                # never narrower than its header (紧急程度 in Chinese, "Lead department" in English) + sort arrow
                title = str(self.model.headerData(col, Qt.Orientation.Horizontal) or "")
                self.table.setColumnWidth(col, max(width, header_fm.horizontalAdvance(title) + 22))

    def _start(self) -> None:
        self._fit_columns()
        from ui import ui_state

        ui_state.remember_header(self.table.horizontalHeader(), "incidents")  # the officer's widths win
        self.model.refresh()

    def refresh(self) -> None:
        self.model.refresh()

    def set_now(self, now: datetime | None) -> None:
        """Freeze the countdowns (tests, screenshots)."""
        self.model.set_now(now)
        self.detail.set_now(now)

    async def wait_idle(self) -> None:
        """Wait for the re-query, the detail load and a running action (tests)."""
        await self.model.wait_idle()
        await self.detail.wait_idle()
        await self.model.wait_idle()

    def _on_query_changed(self, query: IncidentQuery) -> None:
        self._remember_selection()
        self.model.set_query(query)

    def _on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        self._remember_selection()
        self.filter_bar.set_sort(COLUMN_KEYS[column], order == Qt.SortOrder.DescendingOrder)
        self.model.sort(column, order)

    def _remember_selection(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._selected_id = self.model.data(index, IdRole)

    def _on_keys_loaded(self, count: int, seconds: float) -> None:
        """The first page of a re-query is shown: keep the selected incident if it is there."""
        self._update_count()
        if self._selected_id and self._reselect(self._selected_id):
            return
        if not count:
            self.detail.load(None)

    def _on_keys_completed(self, count: int, seconds: float) -> None:
        """Every key is in: the selected incident may be further down; else select the first row."""
        self._update_count()
        if self._selected_id and self.table.currentIndex().isValid() \
                and self.model.data(self.table.currentIndex(), IdRole) == self._selected_id:
            return
        if self._selected_id and self._reselect(self._selected_id):
            return
        if count:
            self.select_row(0)

    def _reselect(self, incident_id: str) -> bool:
        row = self.model.row_of_id(incident_id)
        if row < 0:
            return False
        self.select_row(row)
        return True

    def _on_loading_changed(self, loading: bool) -> None:
        if loading:
            self.count_label.setText(self.tr("Searching…"))
        else:
            self._update_count()

    def _update_count(self, *_: Any) -> None:
        n = self.model.rowCount()
        # the query time is for the log, not the officer
        log.debug("incident list: %d rows in %.0f ms", n, self.model.last_query_seconds * 1000)
        self.count_label.setText(self.tr("{n} incidents").format(n=f"{n:,}"))
        self.count_did_change.emit(n)

    def _refocus_table(self) -> None:
        self.window().activateWindow()
        self.table.setFocus()

    # -- selection

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible if row < 10
                            else QAbstractItemView.ScrollHint.PositionAtCenter)

    def select_incident(self, incident_id: str) -> bool:
        """Select ``incident_id`` if it is in the list (e.g. from a banner or the map)."""
        row = self.model.row_of_id(incident_id)
        if row < 0:
            return False
        self.select_row(row)
        self.table.setFocus()
        return True

    def focus_search(self) -> None:
        """Ctrl+F: the search box, text selected."""
        self.filter_bar.focus_search()

    def show_incident(self, incident_id: str) -> None:
        """Show ``incident_id`` whatever the filters say (a map marker, a banner): its detail at once, and in
        the list, clearing the filters and the search when they hide it (the officer is told so)."""
        if self.select_incident(incident_id):
            return
        self.detail.load(incident_id)  # never the previous incident's detail meanwhile
        cleared = self.filter_bar.clear_filters()
        self._selected_id = incident_id  # after the re-query began: selected once the widened list has it
        if cleared:
            from ui.notifications import Notice

            self.banner_requested.emit(Notice(
                text=self.tr("Filters and search cleared to show the incident chosen on the map."),
                level="info", key="incidents-filter-cleared", timeout_ms=6_000))

    def _on_current_row_changed(self, current: Any, _previous: Any) -> None:
        if not current.isValid():
            return
        incident_id = self.model.data(current, IdRole)
        self._selected_id = incident_id
        self.detail.load(incident_id)

    # -- handover and briefing

    def _on_handover_triggered(self) -> None:
        from ui.handover.dialog import HandoverDialog

        dialog = HandoverDialog(self.store, self.actor, self.scope, self)
        self.open_dialog = dialog
        dialog.handover_did_sign.connect(lambda _id: self._confirm_handover(dialog))
        dialog.open()

    def _confirm_handover(self, dialog: Any) -> None:
        """Signing is recorded: say so (who handed over to whom, when), the dialog having closed."""
        from ui.notifications import Notice

        self.banner_requested.emit(Notice(text=dialog.confirmation, level="info", key="handover-signed",
                                          timeout_ms=12_000))

    def _on_briefing_triggered(self) -> None:
        from ui.handover.briefing_dialog import BriefingDialog

        dialog = BriefingDialog(self.store, self.scope, self)
        self.open_dialog = dialog
        dialog.open()


__all__ = ["COL_CLOCK", "IncidentsView"]
