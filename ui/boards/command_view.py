"""Linked command (联动指挥, 乡镇吹哨、部门报到) across the scope, and "my tasks".

:class:`CommandView` lists every summons check-in of the township (the whole county for
the county centre): missed ones first with their escalation badge, then those still
waiting with their countdown, then the ones that reported. The lead can summon from an
incident (an incident picker, then the summons dialog), record a check-in, and escalate
a missed one up the ladder (提醒 → 督办单 → 领导通报).

:class:`MyTasksView` lists the cards assigned to one person across all boards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.boards import (
    CheckinRow,
    CommandCheckins,
    assignee_names,
    command_checkins,
    my_task_rows,
    next_escalation,
    search_incidents,
    summon_targets,
)
from commandroom.timeutil import utcnow
from ui import ui_state
from ui.async_runner import LatestTask, run_read, store_events
from ui.boards.dialogs import IncidentPickerDialog, SummonDialog
from ui.boards.models import CheckinModel, MyTasksModel
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import fit_columns

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store


class _ActionMixin(ActionHostMixin):
    """One action at a time, a message line, dialogs awaited without a nested loop."""

    action_task: asyncio.Task | None
    open_dialog: Any
    message_label: QLabel

    def show_message(self, text: str, *, error: bool = False) -> None:
        colour = "#c0392b" if error else "#1e7b34"
        self.message_label.setStyleSheet(f"QLabel {{ color:{colour}; font-weight:bold; }}")
        self.message_label.setText(text)
        self.message_label.show()

    async def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        return await Operation(self, self.store, self.actor, name, entity_id, args).run() is not None

    def show_refusal(self, message: str) -> None:
        self.show_message(message, error=True)

    def clear_refusal(self) -> None:
        self.message_label.hide()


class CommandView(_ActionMixin, QWidget):
    """All summons check-ins in scope, with countdowns, escalation badges and the lead's actions."""

    card_requested = Signal(str)  # card id

    def __init__(self, store: Store, actor: Actor, township_codes: list[str] | None,
                 clock: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.township_codes = township_codes
        self.clock = clock or utcnow
        self.action_task = None
        self.open_dialog = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        self.filter_combo = QComboBox()
        self.filter_combo.addItem(self.tr("Not checked in yet"), True)
        self.filter_combo.addItem(self.tr("All check-ins"), False)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("SectionTitle")
        self.summon_button = QPushButton(self.tr("Summon for an incident…"))
        self.checkin_button = QPushButton(self.tr("Check in"))
        self.escalate_button = QPushButton(self.tr("Escalate"))
        bar.addWidget(self.filter_combo)
        bar.addWidget(self.summary_label, 1)
        for b in (self.summon_button, self.checkin_button, self.escalate_button):
            bar.addWidget(b)
        layout.addLayout(bar)
        self.message_label = QLabel()
        self.message_label.hide()
        layout.addWidget(self.message_label)
        explain = QLabel(self.tr("A summoned county department or township module must check in (report) before "
                                 "its time runs out. A missed check-in is escalated: reminder → supervision order "
                                 "→ leader notice; the county centre sees the same list for the whole county."))
        explain.setObjectName("Muted")
        explain.setWordWrap(True)
        layout.addWidget(explain)
        self.model = CheckinModel(self.clock, show_source=True, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        ui_state.remember_table(self.table, "command-checkins")
        self.table.doubleClicked.connect(self._on_double_clicked)
        layout.addWidget(self.table, 1)
        self.filter_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.summon_button.clicked.connect(lambda: self.start_action(self.summon_for_incident()))
        self.checkin_button.clicked.connect(lambda: self.start_action(self.checkin_selected()))
        self.escalate_button.clicked.connect(lambda: self.start_action(self.escalate_selected()))
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._task = LatestTask("checkins")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(150)
        self._reload.timeout.connect(self.load)
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)
        self._tick.timeout.connect(self.model.repaint_all)
        self._tick.start()
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_buttons()

    def load(self) -> None:
        open_only = bool(self.filter_combo.currentData())
        self._task.start(run_read(command_checkins, self.store, self.clock(), township_codes=self.township_codes,
                                  open_only=open_only), self._on_loaded)

    def _on_loaded(self, loaded: CommandCheckins) -> None:
        self.model.set_rows(loaded.rows)
        fit_columns(self.table)
        counts = loaded.counts  # 待报到 counts every open check-in, the overdue ones included (as the handover)
        self.summary_label.setText(self.tr("Missed {missed} · waiting {waiting} · escalated {escalated}").format(
            missed=counts.checkins_overdue, waiting=counts.checkins_open, escalated=counts.checkins_escalated))
        self._update_buttons()

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("case_checkin", "task_card", "one_thing_case"):
            self._reload.start()

    async def wait_idle(self) -> None:
        if self.action_task is not None and not self.action_task.done():
            await self.action_task
        if self._reload.isActive():
            self._reload.stop()
            self.load()
        await self._task.wait()

    def selected(self) -> CheckinRow | None:
        sel = self.table.selectionModel().selectedRows()
        return self.model.row_by_id(self.model.data(sel[0], IdRole)) if sel else None

    def select_checkin(self, checkin_id: str) -> bool:
        row = self.model.row_of(checkin_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        return True

    def _update_buttons(self, *_: Any) -> None:
        row = self.selected()
        self.checkin_button.setEnabled(row is not None and row.checked_in_at is None)
        self.escalate_button.setEnabled(row is not None and row.outcome == "missed" and next_escalation(row) is not None)

    def _on_double_clicked(self, index: Any) -> None:
        row = self.model.row_by_id(self.model.data(index, IdRole))
        if row is not None and row.card_id:
            self.card_requested.emit(row.card_id)

    async def checkin_selected(self) -> bool:
        row = self.selected()
        if row is None:
            return False
        name = "case.checkin" if row.case_id and not row.card_id else "checkin"
        if name == "case.checkin":
            return await self.perform(name, row.case_id, {"department_code": row.target_code})
        return await self.perform(name, row.id, {})

    async def escalate_selected(self) -> bool:
        row = self.selected()
        level = next_escalation(row) if row is not None else None
        if row is None or level is None:
            return False
        return await self.perform("checkin.escalate", row.id, {"level": level})

    async def summon_for_incident(self, incident_id: str | None = None) -> bool:
        """Summon departments/modules for an incident (picked here, or given)."""
        if incident_id is None:
            picker = IncidentPickerDialog(self.store, self.township_codes, self.tr("Summon for an incident"), self)
            if not await self._dialog(picker):
                return False
            choice = picker.selected()
            if choice is None:
                return False
        else:
            found = [c for c in await run_read(search_incidents, self.store, None) if c.id == incident_id]
            if not found:
                return False
            choice = found[0]
        targets = await run_read(summon_targets, self.store, choice.township_code)
        dialog = SummonDialog(targets, self, f"{choice.number} {choice.title}".strip())
        if not await self._dialog(dialog):
            return False
        return await self.perform("summon", new_id(), {"incident_id": choice.id, **dialog.mutation_args()})


class MyTasksView(QWidget):
    """Cards assigned to one person (the signed-in user by default) across the boards in scope."""

    card_requested = Signal(str, str)  # module id, card id

    def __init__(self, store: Store, actor: Actor, township_codes: list[str] | None,
                 clock: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.township_codes = township_codes
        self.clock = clock or utcnow
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        self.person_combo = QComboBox()
        self.person_combo.setEditable(True)
        self.person_combo.setMinimumWidth(220)
        self.done_check = QCheckBox(self.tr("Include done"))
        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        bar.addWidget(QLabel(self.tr("Tasks of")))
        bar.addWidget(self.person_combo)
        bar.addWidget(self.done_check)
        bar.addWidget(self.count_label, 1)
        layout.addLayout(bar)
        self.model = MyTasksModel(self.clock, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        ui_state.remember_table(self.table, "my-tasks")
        self.table.doubleClicked.connect(self._on_double_clicked)
        layout.addWidget(self.table, 1)
        self._task = LatestTask("my-tasks")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(150)
        self._reload.timeout.connect(self.load)
        self.person_combo.addItem(actor.name or "")
        for name in assignee_names(store, township_codes):
            if name != actor.name:
                self.person_combo.addItem(name)
        self.person_combo.currentTextChanged.connect(lambda _t: self._reload.start())
        self.done_check.toggled.connect(lambda _c: self.load())
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    def person(self) -> str:
        return self.person_combo.currentText().strip()

    def set_person(self, name: str) -> None:
        self.person_combo.setCurrentText(name)
        self.load()

    def load(self) -> None:
        name = self.person()
        user_id = self.actor.user_id if name == self.actor.name else None
        self._task.start(run_read(my_task_rows, self.store, self.clock(), user_id=user_id, name=name or None,
                                  township_codes=self.township_codes, include_done=self.done_check.isChecked()),
                         self._on_loaded)

    def _on_loaded(self, rows: list[Any]) -> None:
        self.model.set_rows(rows)
        fit_columns(self.table)
        overdue = sum(1 for r in rows if r.overdue)
        self.count_label.setText(self.tr("{n} cards, {overdue} overdue").format(n=len(rows), overdue=overdue))

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("task_card"):
            self._reload.start()

    async def wait_idle(self) -> None:
        if self._reload.isActive():
            self._reload.stop()
            self.load()
        await self._task.wait()

    def _on_double_clicked(self, index: Any) -> None:
        row = self.model.row_by_id(self.model.data(index, IdRole))
        if row is not None:
            self.card_requested.emit(row.module_id, row.id)

