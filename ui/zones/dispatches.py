"""Dispatch work of one zone's team: open enforcement incidents and the team's dispatches.

The upper table lists the zone's open enforcement incidents (newest first). One of them
goes to the team through the team dispatch dialog; several nearby ones of the same day
— ticked by hand, or picked from the core's joint-visit candidates — go as one joint
visit (综合查一次, ``team.joint_visit``).

The lower table lists the team's dispatches (active ones first, and those ended in the
last 24 hours) with the assignment, acknowledgement, departure, arrival and completion
times; the buttons move the selected dispatch on (``dispatch.acknowledge`` /
``en_route`` / ``on_scene`` / ``done``), as the workflow allows from its state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.zones import (
    DispatchRow,
    IncidentRow,
    dispatch_rows,
    incident_rows,
    joint_visit_groups,
    zone_dispatch_ids,
    zone_incident_ids,
)
from commandroom.timeutil import utcnow
from commandroom.workflows import DISPATCH
from ui import ui_state
from ui.async_runner import LatestTask, run_read, store_events
from ui.common.id_model import IdRole, IdTableModel
from ui.common.operations import ActionHostMixin, Operation
from ui.common.states import incident_state_label
from ui.zones import labels
from ui.zones.dispatch_dialog import TeamDispatchDialog, dispatch_to_team, joint_visit
from ui.zones.labels import zt
from ui.zones.widgets import ErrorLine

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

_Index = QModelIndex | QPersistentModelIndex

INCIDENT_COLUMNS = (
    QT_TRANSLATE_NOOP("Zones", "Joint"),
    QT_TRANSLATE_NOOP("Zones", "Number"),
    QT_TRANSLATE_NOOP("Zones", "Title"),
    QT_TRANSLATE_NOOP("Zones", "Township"),
    QT_TRANSLATE_NOOP("Zones", "State"),
    QT_TRANSLATE_NOOP("Zones", "Reported"),
    QT_TRANSLATE_NOOP("Zones", "Team on it"),
)
DISPATCH_COLUMNS = (
    QT_TRANSLATE_NOOP("Zones", "Number"),
    QT_TRANSLATE_NOOP("Zones", "Incident"),
    QT_TRANSLATE_NOOP("Zones", "State"),
    QT_TRANSLATE_NOOP("Zones", "Lead"),
    QT_TRANSLATE_NOOP("Zones", "Members"),
    QT_TRANSLATE_NOOP("Zones", "Assigned"),
    QT_TRANSLATE_NOOP("Zones", "Acknowledged"),
    QT_TRANSLATE_NOOP("Zones", "Set out"),
    QT_TRANSLATE_NOOP("Zones", "On site"),
    QT_TRANSLATE_NOOP("Zones", "Done"),
)
DISPATCH_ACTIONS = (
    ("acknowledge", QT_TRANSLATE_NOOP("Zones", "Acknowledge")),
    ("en_route", QT_TRANSLATE_NOOP("Zones", "Set out")),
    ("on_scene", QT_TRANSLATE_NOOP("Zones", "On site")),
    ("done", QT_TRANSLATE_NOOP("Zones", "Done")),
)


class ZoneIncidentModel(IdTableModel):
    """Open enforcement incidents of a zone, with a tick column for the joint visit."""

    checks_did_change = Signal()

    def __init__(self, store: Store, parent: Any = None) -> None:
        self.store = store
        self.checked: list[str] = []
        super().__init__(lambda ids: incident_rows(self.store, ids), parent)

    def column_titles(self) -> list[str]:
        return [zt(t) for t in INCIDENT_COLUMNS]

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 0:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole \
                and 0 <= index.row() < self.rowCount():
            return Qt.CheckState.Checked if self.id_at(index.row()) in self.checked else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        row_id = self.id_at(index.row())
        if row_id is None:
            return False
        self.set_checked(row_id, Qt.CheckState(value) == Qt.CheckState.Checked)
        return True

    def set_checked(self, incident_id: str, on: bool) -> None:
        if on and incident_id not in self.checked:
            self.checked.append(incident_id)
        elif not on and incident_id in self.checked:
            self.checked.remove(incident_id)
        row = self.row_of(incident_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, 0))
        self.checks_did_change.emit()

    def clear_checks(self) -> None:
        for incident_id in list(self.checked):
            self.set_checked(incident_id, False)

    def set_ids(self, new_ids: list[str]) -> None:
        super().set_ids(new_ids)
        keep = set(new_ids)
        if any(i not in keep for i in self.checked):
            self.checked = [i for i in self.checked if i in keep]
            self.checks_did_change.emit()

    def display(self, row: IncidentRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                "", row.number, row.title, row.township, incident_state_label(row.state),
                labels.when(row.created_at), "、".join(row.team_members),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return row.address or None
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and row.state == "pending_dispatch":
            return QBrush(QColor("#c0392b"))
        return None


class ZoneDispatchModel(IdTableModel):
    """The zone team's dispatches with their times."""

    def __init__(self, store: Store, parent: Any = None) -> None:
        self.store = store
        super().__init__(lambda ids: dispatch_rows(self.store, ids), parent)

    def column_titles(self) -> list[str]:
        return [zt(t) for t in DISPATCH_COLUMNS]

    def display(self, row: DispatchRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            number = row.number + (" " + QCoreApplication.translate("Zones", "[joint]") if row.joint_visit_id else "")
            return (
                number, row.title, labels.label(labels.DISPATCH_STATE_LABELS, row.state), row.lead,
                "、".join(row.members), labels.when(row.assigned_at), labels.when(row.acknowledged_at),
                labels.when(row.en_route_at), labels.when(row.on_scene_at), labels.when(row.done_at),
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            colour = {"assigned": "#c0392b", "on_scene": "#d35400", "en_route": "#2874a6", "done": "#1e8449",
                      "cancelled": "#7f8c8d"}.get(row.state)
            return QBrush(QColor(colour)) if colour else None
        return None

    def state_of(self, dispatch_id: str) -> str | None:
        row = self.row_for(self.row_of(dispatch_id)) if self.row_of(dispatch_id) >= 0 else None
        return row.state if row else None


class ZoneDispatchView(ActionHostMixin, QWidget):
    """Incidents to send and dispatches under way, for one zone (see the module doc)."""

    action_did_fail = Signal(str)
    action_did_finish = Signal(str, str)  # mutation, entity id

    def __init__(self, store: Store, actor: Actor, *, now_fn: Callable[[], datetime] = utcnow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.now_fn = now_fn
        self.zone_id: str | None = None
        self.open_dialog: TeamDispatchDialog | None = None
        self.action_task: Any = None
        self.groups: list[list[str]] = []
        self._group_index = 0
        self._incident_task = LatestTask("zone-incidents")
        self._dispatch_task = LatestTask("zone-dispatches")
        self._groups_task = LatestTask("zone-joint-groups")
        self.incident_model = ZoneIncidentModel(store, self)
        self.dispatch_model = ZoneDispatchModel(store, self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.error_line = ErrorLine()
        layout.addWidget(self.error_line)
        splitter = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(splitter, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.incidents_title = QLabel()
        self.incidents_title.setObjectName("SectionTitle")
        bar.addWidget(self.incidents_title)
        bar.addStretch(1)
        self.suggest_button = QPushButton(self.tr("Tick suggested joint visit"))
        self.suggest_button.setToolTip(self.tr("Nearby open enforcement incidents of the same day (within 2 km)"))
        self.joint_button = QPushButton(self.tr("Joint visit…"))
        self.dispatch_button = QPushButton(self.tr("Dispatch to team…"))
        for w in (self.suggest_button, self.joint_button, self.dispatch_button):
            bar.addWidget(w)
        top_layout.addLayout(bar)
        self.incident_table = self._table(self.incident_model, (56, 150, 330, 70, 80, 100))
        self.incident_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        top_layout.addWidget(self.incident_table, 1)
        splitter.addWidget(top)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bar2 = QHBoxLayout()
        self.dispatches_title = QLabel()
        self.dispatches_title.setObjectName("SectionTitle")
        bar2.addWidget(self.dispatches_title)
        bar2.addStretch(1)
        self.action_buttons: dict[str, QPushButton] = {}
        for key, text in DISPATCH_ACTIONS:
            button = QPushButton(zt(text))
            button.clicked.connect(lambda _c=False, k=key: self.start_action(self.advance_selected(k)))
            self.action_buttons[key] = button
            bar2.addWidget(button)
        bottom_layout.addLayout(bar2)
        self.dispatch_table = self._table(self.dispatch_model, (170, 300, 70, 80, 160, 100, 100, 100, 100))
        self.dispatch_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        bottom_layout.addWidget(self.dispatch_table, 1)
        splitter.addWidget(bottom)
        splitter.setSizes([420, 380])
        ui_state.remember_splitter(splitter, "zone-dispatches")
        ui_state.remember_table(self.incident_table, "zone-incidents")
        ui_state.remember_table(self.dispatch_table, "zone-dispatch-list")

        self.suggest_button.clicked.connect(self.tick_next_group)
        self.joint_button.clicked.connect(lambda: self.start_action(self.joint_visit_checked()))
        self.dispatch_button.clicked.connect(lambda: self.start_action(self.dispatch_selected()))
        self.incident_model.checks_did_change.connect(self._update_buttons)
        self.incident_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.dispatch_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.dispatch_model.dataChanged.connect(self._update_buttons)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._reload_after_changes)
        self._changed_incidents: set[str] = set()
        self._changed_dispatches: set[str] = set()
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_buttons()

    def _table(self, model: Any, widths: tuple[int, ...]) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(widths):
            table.setColumnWidth(column, width)
        return table

    # -- loading

    def set_zone(self, zone_id: str) -> None:
        if zone_id != self.zone_id:
            self.zone_id = zone_id
            self.incident_model.clear_checks()
            self.incident_model.set_ids([])
            self.dispatch_model.set_ids([])
            self.groups = []
            self.reload()

    def reload(self) -> None:
        if self.zone_id is None:
            return
        zone_id = self.zone_id
        self._incident_task.start(run_read(zone_incident_ids, self.store, zone_id), self._on_incidents_loaded)
        self._dispatch_task.start(run_read(zone_dispatch_ids, self.store, zone_id, self.now_fn()),
                                  self._on_dispatches_loaded)
        self._groups_task.start(run_read(joint_visit_groups, self.store, zone_id), self._on_groups_loaded)

    def load_now(self) -> None:
        assert self.zone_id is not None
        self._on_incidents_loaded(zone_incident_ids(self.store, self.zone_id))
        self._on_dispatches_loaded(zone_dispatch_ids(self.store, self.zone_id, self.now_fn()))
        self._on_groups_loaded(joint_visit_groups(self.store, self.zone_id))

    async def wait_idle(self) -> None:
        if self.action_task is not None:
            await self.action_task
        for task in (self._incident_task, self._dispatch_task, self._groups_task):
            await task.wait()

    def _on_incidents_loaded(self, ids: list[str]) -> None:
        selected = self.selected_incident_id()
        self.incident_model.set_ids(ids)
        self._keep_selection(self.incident_table, self.incident_model, selected)
        if self._changed_incidents:
            self.incident_model.invalidate(self._changed_incidents)
            self._changed_incidents = set()
        self.incidents_title.setText(self.tr("Open enforcement incidents ({n})").format(n=len(ids)))
        self._update_buttons()

    def _on_dispatches_loaded(self, ids: list[str]) -> None:
        selected = self.selected_dispatch_id()
        self.dispatch_model.set_ids(ids)
        self._keep_selection(self.dispatch_table, self.dispatch_model, selected)
        if self._changed_dispatches:
            self.dispatch_model.invalidate(self._changed_dispatches)
            self._changed_dispatches = set()
        self.dispatches_title.setText(self.tr("Team dispatches ({n})").format(n=len(ids)))
        self._update_buttons()

    @staticmethod
    def _keep_selection(table: QTableView, model: IdTableModel, selected: str | None) -> None:
        """A row that moved (a dispatch done sorts after the active ones) stays the selected one."""
        now = table.selectionModel().selectedRows()
        current = now[0].data(IdRole) if now else None
        if current == selected:
            return
        row = model.row_of(selected) if selected else -1
        if row >= 0:
            table.selectRow(row)
        else:
            table.clearSelection()

    def _on_groups_loaded(self, groups: list[list[str]]) -> None:
        self.groups = groups
        self._group_index = 0
        self.suggest_button.setText(self.tr("Tick suggested joint visit ({n})").format(n=len(groups)))
        self._update_buttons()

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("incident", "dispatch", "team_member"):
            self._changed_incidents |= set(changes.ids("incident"))
            self._changed_dispatches |= set(changes.ids("dispatch"))
            if changes.touches("dispatch", "team_member"):
                self._changed_incidents |= set(self.incident_model.ids)  # crews shown on the incidents
            self._debounce.start()

    def _reload_after_changes(self) -> None:
        self.reload()

    # -- selection

    def selected_incident_id(self) -> str | None:
        rows = self.incident_table.selectionModel().selectedRows()
        return rows[0].data(IdRole) if rows else None

    def selected_dispatch_id(self) -> str | None:
        rows = self.dispatch_table.selectionModel().selectedRows()
        return rows[0].data(IdRole) if rows else None

    def select_incident(self, incident_id: str) -> None:
        row = self.incident_model.row_of(incident_id)
        if row >= 0:
            self.incident_table.selectRow(row)

    def select_dispatch(self, dispatch_id: str) -> None:
        row = self.dispatch_model.row_of(dispatch_id)
        if row >= 0:
            self.dispatch_table.selectRow(row)

    def tick_next_group(self) -> list[str]:
        """Tick the next joint-visit candidate group (and untick the rest); returns its incidents."""
        if not self.groups:
            return []
        group = self.groups[self._group_index % len(self.groups)]
        self._group_index += 1
        self.incident_model.clear_checks()
        for incident_id in group:
            self.incident_model.set_checked(incident_id, True)
        row = self.incident_model.row_of(group[0])
        if row >= 0:
            self.incident_table.scrollTo(self.incident_model.index(row, 0))
        return group

    def _update_buttons(self, *_: Any) -> None:
        self.dispatch_button.setEnabled(self.selected_incident_id() is not None)
        n = len(self.incident_model.checked)
        self.joint_button.setEnabled(n >= 2)
        self.joint_button.setText(self.tr("Joint visit ({n})…").format(n=n) if n else self.tr("Joint visit…"))
        self.suggest_button.setEnabled(bool(self.groups))
        dispatch_id = self.selected_dispatch_id()
        state = self.dispatch_model.state_of(dispatch_id) if dispatch_id else None
        for key, button in self.action_buttons.items():
            button.setEnabled(state is not None and DISPATCH.can(state, key))

    # -- actions

    def _remember_dialog(self, dialog: TeamDispatchDialog) -> None:
        self.open_dialog = dialog

    async def dispatch_selected(self) -> str | None:
        incident_id = self.selected_incident_id()
        if incident_id is None:
            return None
        try:
            dispatch_id = await dispatch_to_team(self.store, self.actor, incident_id, now_fn=self.now_fn,
                                                 parent=self, on_open=self._remember_dialog)
        finally:
            self.open_dialog = None
        if dispatch_id:
            self.action_did_finish.emit("incident.dispatch", incident_id)
        return dispatch_id

    async def joint_visit_checked(self) -> str | None:
        ids = list(self.incident_model.checked)
        if len(ids) < 2:
            return None
        try:
            visit_id = await joint_visit(self.store, self.actor, ids, now_fn=self.now_fn, parent=self,
                                         on_open=self._remember_dialog)
        finally:
            self.open_dialog = None
        if visit_id:
            self.incident_model.clear_checks()
            self.action_did_finish.emit("team.joint_visit", visit_id)
        return visit_id

    async def advance_selected(self, action: str) -> bool:
        """Perform ``dispatch.<action>`` on the selected dispatch."""
        dispatch_id = self.selected_dispatch_id()
        if dispatch_id is None:
            return False
        if await Operation(self, self.store, self.actor, f"dispatch.{action}", dispatch_id).run() is None:
            return False
        self.action_did_finish.emit(f"dispatch.{action}", dispatch_id)
        return True

    def show_refusal(self, message: str) -> None:
        self.error_line.show_message(message)
        self.action_did_fail.emit(message)

    def clear_refusal(self) -> None:
        self.error_line.clear_message()
