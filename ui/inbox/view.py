"""The report inbox: the duty officer's triage screen, one keystroke per action.

A accept · M merge (several selected reports merge in one go; Ctrl+Z undoes the last
merge) · R reject · T hand over to another township (转交). Each action collects its
arguments in a dialog and performs one named mutation per report on the writer thread;
the table updates from the store's change events, like it does for reports that arrive
from the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.inbox import (
    InboxFilter,
    merge_targets,
    report_detail,
    routing_choices,
    scope_townships,
    transfer_targets,
)
from commandroom.queries.scope import scope_of
from ui.async_runner import LatestTask, exec_dialog, run_read, store_events
from ui.common.operations import ActionHostMixin, Operation
from ui.inbox.detail import ReportDetailWidget
from ui.inbox.dialogs import AcceptDialog, MergeDialog, RejectDialog, TransferDialog
from ui.inbox.table_model import COL_PLACE, InboxTableModel
from ui.notifications import Notice
from ui.theme import icon as theme_icon

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)


class InboxView(ActionHostMixin, QWidget):
    """The report inbox (table, detail pane, triage actions).

    Args:
        store: the workstation's DeskStore.
        actor: who acts (the signed-in user on this workstation).
        parent: the owning widget.
    """

    banner_requested = Signal(object)  # a ui.notifications.Notice
    action_did_finish = Signal(str, list)  # mutation name, report ids it was performed on
    count_did_change = Signal(int)  # waiting reports in view

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.scope = scope_of(actor, store)
        self.county_scope = self.scope is None or len(self.scope) > 1  # several townships: a township filter
        self.model = InboxTableModel(store, show_township=self.county_scope, parent=self)
        self._detail_task = LatestTask("inbox-detail")
        self.action_task: asyncio.Task | None = None
        self.open_dialog: QWidget | None = None  # the dialog of the running action (tests, screenshots)
        self.last_merge: list[str] = []
        self._reselect_row = -1
        self._select_first = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_toolbar())

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_PLACE, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((84, 150, 124, 112, 100, 92, 0, 58, 72)):
            if width:
                self.table.setColumnWidth(col, width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.detail = ReportDetailWidget()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([1020, 420])
        layout.addWidget(splitter, 1)
        self.splitter = splitter
        from ui import ui_state

        ui_state.remember_splitter(splitter, "inbox")
        ui_state.remember_header(self.table.horizontalHeader(), "inbox")

        self.model.ids_did_refresh.connect(self._on_ids_refreshed)
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    # -- building

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar(self.tr("Inbox"))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.scope_combo = QComboBox()
        self.scope_combo.addItem(self.tr("Waiting + last 7 days"), "recent")
        self.scope_combo.addItem(self.tr("Waiting only"), "new")
        self.scope_combo.addItem(self.tr("All reports"), "all")
        self.scope_combo.currentIndexChanged.connect(self._on_filter_changed)
        bar.addWidget(self.scope_combo)
        self.township_combo = QComboBox()
        self.township_combo.setVisible(self.county_scope)
        self.township_combo.setMinimumContentsLength(8)
        if self.county_scope:
            self.township_combo.addItem(self.tr("All townships"), None)
            for choice in scope_townships(self.store, None if self.scope is None else list(self.scope)):
                self.township_combo.addItem(choice.name, choice.code)
            self.township_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.township_action = bar.addWidget(self.township_combo)
        self.township_action.setVisible(self.county_scope)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search description, address, reporter"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMaximumWidth(280)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._on_filter_changed)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        bar.addWidget(self.search_edit)
        bar.addSeparator()

        def action(text: str, icon: str, key: str, slot: Any) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.setToolTip(f"{text} ({key})")
            act.setIcon(theme_icon(icon))
            act.triggered.connect(slot)
            self.addAction(act)
            bar.addAction(act)
            return act

        self.accept_action = action(self.tr("Accept"), "fa5s.check", "A", self._on_accept_triggered)
        self.merge_action = action(self.tr("Merge"), "fa5s.object-group", "M", self._on_merge_triggered)
        self.reject_action = action(self.tr("Reject"), "fa5s.ban", "R", self._on_reject_triggered)
        self.transfer_action = action(self.tr("Hand over"), "fa5s.share", "T", self._on_transfer_triggered)
        bar.addSeparator()
        self.undo_action = action(self.tr("Undo merge"), "fa5s.undo", "Ctrl+Z", self._on_undo_triggered)
        for act, name in ((self.accept_action, "report.accept"), (self.merge_action, "report.merge"),
                          (self.reject_action, "report.reject"), (self.transfer_action, "report.transfer"),
                          (self.undo_action, "report.unmerge")):
            act.setVisible(self.actor.may(name))  # what the signed-in roles cannot do is not offered
        self.undo_action.setEnabled(False)
        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        self.count_label.setContentsMargins(8, 0, 14, 0)  # clear of the window's right edge
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(self.count_label)
        return bar

    # -- loading

    def load(self, background: bool = False) -> None:
        """First load; the first waiting report gets selected.

        Args:
            background: run the id query on the reader pool (the main window does, so it shows
                at once and the rows follow); else load synchronously (one indexed id query).
        """
        self.model._filter = self.current_filter()
        self.table.setFocus()
        if background:
            self._select_first = True
            self.model.refresh()
            return
        self.model.load_now()
        if self.model.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def current_filter(self) -> InboxFilter:
        code = self.township_combo.currentData() if self.county_scope else None
        codes = (code,) if code else self.scope
        return InboxFilter(township_codes=codes, scope=self.scope_combo.currentData() or "recent",
                           search=self.search_edit.text())

    def _on_filter_changed(self, *_: Any) -> None:
        self.model.set_filter(self.current_filter())

    def _on_ids_refreshed(self) -> None:
        self._update_count()
        if self._select_first and self.model.rowCount():
            self._select_first = False
            if not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)
        if self._reselect_row >= 0 and self.model.rowCount():
            # After an action the handled reports sink below the waiting ones: select what is now at the
            # same position, i.e. the next waiting report, so the officer can go on with the keyboard.
            row = min(self._reselect_row, self.model.rowCount() - 1)
            self._reselect_row = -1
            self.table.clearSelection()
            self.table.selectRow(row)
        self._keep_detail_honest()

    def _keep_detail_honest(self) -> None:
        """The detail shows the selected report, never one the list lost (a refresh after the first sync,
        a filter): the report is selected again where it still is, else the detail is emptied."""
        current = self.detail.current_report_id()
        if not current or self.selected_ids():
            return  # a selected report's detail is loading or shown
        row = self.model.row_of(current)
        if row >= 0:
            self.table.selectRow(row)
        else:
            self._detail_task.cancel()
            self.detail.show_detail(None)

    def _update_count(self) -> None:
        waiting = self.model.waiting_count
        self.count_label.setText(self.tr("{n} waiting").format(n=waiting))
        self.count_did_change.emit(waiting)

    def _on_store_changes(self, changes: Any) -> None:
        current = self.detail.current_report_id()
        if current and (current in changes.ids("report") or (changes.touches("photo") and self.detail.detail
                                                              and self.detail.detail.missing_photos)):
            self._load_detail(current)  # its row changed, or thumbnails it was waiting for arrived

    # -- selection and detail

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [rid for rid in (self.model.id_at(r) for r in rows) if rid]

    def select_report(self, report_id: str) -> bool:
        """Select and show ``report_id`` if it is in view (the urgent banner's Show button)."""
        row = self.model.row_of(report_id)
        if row < 0:
            self.scope_combo.setCurrentIndex(self.scope_combo.findData("all"))
            self.model.load_now()
            row = self.model.row_of(report_id)
        if row < 0:
            return False
        self.table.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.setCurrentIndex(self.model.index(row, 0))
        self.table.scrollTo(self.model.index(row, 0))
        self.table.setFocus()
        return True

    def _on_selection_changed(self, *_: Any) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self._load_detail(ids[0])
        else:
            self._detail_task.cancel()
            self.detail.show_detail(None)

    def _load_detail(self, report_id: str) -> None:
        self._detail_task.start(run_read(report_detail, self.store, report_id), self.detail.show_detail)

    async def wait_idle(self) -> None:
        """Wait for pending refreshes, the detail load and the running action (tests)."""
        await self.model.wait_idle()
        await self._detail_task.wait()
        if self.action_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.action_task
        await self.model.wait_idle()

    # -- actions

    def action_finished(self) -> None:
        # Back to the table so the next keystroke (A/M/R) works without a click.
        if self.isVisible():
            self.window().activateWindow()
            self.table.setFocus()

    def _waiting_selected(self) -> list[str]:
        ids = self.selected_ids()
        rows = {i: self.model.row_for(self.model.row_of(i)) for i in ids}
        return [i for i in ids if rows.get(i) is not None and rows[i].state == "new"]

    def _first_selected_row(self) -> int:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return rows[0] if rows else -1

    def _on_accept_triggered(self) -> None:
        self.start_action(self._accept())

    def _on_merge_triggered(self) -> None:
        self.start_action(self._merge())

    def _on_reject_triggered(self) -> None:
        self.start_action(self._reject())

    def _on_transfer_triggered(self) -> None:
        self.start_action(self._transfer())

    def _on_undo_triggered(self) -> None:
        self.start_action(self.undo_last_merge())

    async def _accept(self) -> None:
        ids = self._waiting_selected()
        if len(ids) != 1:
            self._show_hint(self.tr("Select one waiting report to accept. To group several, merge them."))
            return
        report_id = ids[0]
        detail = await run_read(report_detail, self.store, report_id)
        matters, departments = await run_read(routing_choices, self.store)
        if detail is None:
            return
        dialog = AcceptDialog(detail, matters, departments, self)
        self.open_dialog = dialog
        if await exec_dialog(dialog) != AcceptDialog.DialogCode.Accepted:
            return
        args = dialog.mutation_args(new_id())
        position = self._first_selected_row()
        if await Operation(self, self.store, self.actor, "report.accept", report_id, args).run() is None:
            return
        self._reselect_row = position
        self._forget_merge()
        self.action_did_finish.emit("report.accept", [report_id])

    async def _merge(self) -> None:
        ids = self._waiting_selected()
        if not ids:
            self._show_hint(self.tr("Select the waiting report(s) to merge."))
            return
        targets = await run_read(merge_targets, self.store, ids)
        dialog = MergeDialog(targets, len(ids), self)
        self.open_dialog = dialog
        if await exec_dialog(dialog) != MergeDialog.DialogCode.Accepted:
            return
        incident_id = dialog.selected_incident_id()
        position = self._first_selected_row()
        done: list[str] = []
        for report_id in ids:
            merge = Operation(self, self.store, self.actor, "report.merge", report_id, {"incident_id": incident_id})
            if await merge.run() is None:
                break  # refused (shown): the ones merged so far stay merged, and can be undone
            done.append(report_id)
        if done:
            self._reselect_row = position
            self.last_merge = done
            self.undo_action.setEnabled(True)
            self.banner_requested.emit(Notice(
                text=self.tr("{n} report(s) merged into {title}.").format(
                    n=len(done), title=next((t.title for t in targets if t.incident_id == incident_id), "")),
                level="info", key="inbox-undo-merge", action_text=self.tr("Undo"),
                action=lambda: self.start_action(self.undo_last_merge()), timeout_ms=60_000))
            self.action_did_finish.emit("report.merge", done)

    def focus_search(self) -> None:
        """Ctrl+F: the search box, text selected."""
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _forget_merge(self) -> None:
        """A later action: the last merge can no longer be undone from here (nor its banner)."""
        self.last_merge = []
        self.undo_action.setEnabled(False)

    async def undo_last_merge(self) -> None:
        """Undo the last (bulk) merge: ``report.unmerge`` for each report, newest first."""
        ids = list(self.last_merge)
        if not ids:
            return
        self.last_merge = []
        self.undo_action.setEnabled(False)
        for report_id in reversed(ids):
            if await Operation(self, self.store, self.actor, "report.unmerge", report_id).run() is None:
                return
        self.banner_requested.emit(Notice(
            text=self.tr("Merge undone: {n} report(s) are waiting again.").format(n=len(ids)),
            level="info", key="inbox-undo-merge", timeout_ms=8_000))
        self.action_did_finish.emit("report.unmerge", ids)

    async def _reject(self) -> None:
        ids = self._waiting_selected()
        if not ids:
            self._show_hint(self.tr("Select the waiting report(s) to reject."))
            return
        dialog = RejectDialog(len(ids), self)
        self.open_dialog = dialog
        if await exec_dialog(dialog) != RejectDialog.DialogCode.Accepted:
            return
        reason = dialog.reason
        position = self._first_selected_row()
        for report_id in ids:
            if await Operation(self, self.store, self.actor, "report.reject", report_id, {"reason": reason}).run() is None:
                return
        self._reselect_row = position
        self._forget_merge()
        self.action_did_finish.emit("report.reject", ids)

    async def _transfer(self) -> None:
        ids = self._waiting_selected()
        if not ids:
            self._show_hint(self.tr("Select the waiting report(s) to hand over."))
            return
        targets = await run_read(transfer_targets, self.store, ids[0])
        dialog = TransferDialog(targets, len(ids), self)
        self.open_dialog = dialog
        if await exec_dialog(dialog) != TransferDialog.DialogCode.Accepted:
            return
        args = {"township_code": dialog.township_code, "reason": dialog.reason}
        position = self._first_selected_row()
        for report_id in ids:
            if await Operation(self, self.store, self.actor, "report.transfer", report_id, args).run() is None:
                return
        self._reselect_row = position
        self._forget_merge()
        self.action_did_finish.emit("report.transfer", ids)

    # -- messages

    def _show_hint(self, text: str) -> None:
        self.banner_requested.emit(Notice(text=text, level="info", key="inbox-hint", timeout_ms=6_000))
