"""县级仲裁: the county coordinator's queue of disputes (推诿) between townships and departments.

Each undecided dispute shows both sides' reasons, the returning side's counter-proposal and the working
time left before the limit (past it the county server escalates it). "Decide…" asks who handles the
matter and why; the decision is the named mutation ``dispute.decide``, which routes the incident and
reaches both sides by sync. Reads come from :mod:`commandroom.queries.disputes`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.disputes import DisputeRow, arbitration_queue, departments
from commandroom.timeutil import fmt_local, utcnow
from ui.arbitration.models import DisputeModel, side_text, state_text, time_left_text
from ui.async_runner import LatestTask, run_read, store_events
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import fit_columns
from ui.form_dialog import FormDialog, text_edit

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

WATCHED = ("dispute", "incident")


class DecideDialog(FormDialog):
    """Who handles the matter (the department, another department, or the township) and why (required)."""

    def __init__(self, row: DisputeRow, depts: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Decide the dispute"), parent, f"{row.incident_number} {row.incident_title}")
        both = QLabel(self.tr("Township ({town}): {treason}\nDepartment ({dept}): {dreason}\nCounter-proposal: {prop}")
                      .format(town=row.township_name, treason=row.township_reason, dept=row.department_name,
                              dreason=row.department_reason, prop=row.counter_proposal or "—"))
        both.setWordWrap(True)
        self.layout_.insertWidget(1, both)
        self.department_radio = QRadioButton(self.tr("A county department handles it"))
        self.township_radio = QRadioButton(self.tr("The township handles it (its own duty)"))
        self.department_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.department_radio)
        group.addButton(self.township_radio)
        self.department_combo = QComboBox()
        for code, name in depts:
            self.department_combo.addItem(name, code)
        self.department_combo.setCurrentIndex(max(0, self.department_combo.findData(row.department_code)))
        self.reason_edit = text_edit(self.tr("Reason (required): the list matter, the facts"))
        self.reason_edit.textChanged.connect(self._update_ok)
        self.department_radio.toggled.connect(self.department_combo.setEnabled)
        self.form.addRow(self.department_radio)
        self.form.addRow(self.tr("Department"), self.department_combo)
        self.form.addRow(self.township_radio)
        self.form.addRow(self.tr("Reason"), self.reason_edit)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.reason_edit.toPlainText().strip())

    def args(self) -> dict[str, Any]:
        if self.township_radio.isChecked():
            return {"handler": "township", "reason": self.reason_edit.toPlainText().strip()}
        return {"handler": "department", "department_code": self.department_combo.currentData(),
                "reason": self.reason_edit.toPlainText().strip()}


class ArbitrationView(ActionHostMixin, QWidget):
    """The arbitration queue with the selected dispute's detail and the decide action.

    Args:
        store: the workstation's DeskStore.
        actor: who acts (the county coordinator decides; others see the queue read-only).
        clock: the current time (naive UTC); tests and screenshots freeze it.
    """

    def __init__(self, store: Store, actor: Actor, clock: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ArbitrationView")
        self.store = store
        self.actor = actor
        self.clock = clock or utcnow
        self.action_task: asyncio.Task | None = None
        self.open_dialog: Any = None
        self.model = DisputeModel(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        title = QLabel(self.tr("Disputes awaiting the county's decision"))
        title.setObjectName("SectionTitle")
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addStretch(1)
        self.decided_check = QCheckBox(self.tr("Show decided"))
        self.decide_button = QPushButton(self.tr("Decide…"))
        bar.addWidget(self.decided_check)
        bar.addWidget(self.decide_button)
        outer.addLayout(bar)
        rule = QLabel(self.tr("A department's return contested by the township (or the township's refusal "
                              "contested by the department) is decided here within two working days; past the "
                              "limit the county server escalates it."))
        rule.setObjectName("Muted")
        rule.setWordWrap(True)
        outer.addWidget(rule)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        outer.addWidget(self.message_label)
        split = QSplitter()
        split.setOrientation(split.orientation().Vertical)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setObjectName("DisputeDetail")
        self.detail.setMinimumHeight(120)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        outer.addWidget(split, 1)
        self.empty_label = QLabel(self.tr("No dispute is waiting for a decision."))
        self.empty_label.setObjectName("Muted")
        outer.addWidget(self.empty_label)

        self._task = LatestTask("arbitration")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(300)
        self._reload.timeout.connect(self.load)
        self._tick = QTimer(self)  # the time left moves with the clock
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.load)
        self._tick.start()
        self.decided_check.toggled.connect(lambda _on: self.load())
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.decide_button.clicked.connect(lambda: self.start_action(self.decide()))
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._on_selection()

    # -- loading

    def load(self) -> None:
        self._task.start(run_read(arbitration_queue, self.store, self.clock(),
                                  include_decided=self.decided_check.isChecked()), self._on_loaded)

    def _on_loaded(self, rows: list[DisputeRow]) -> None:
        self.model.set_rows(rows)
        fit_columns(self.table)
        for column, widest in ((0, 300), (4, 220), (5, 220), (6, 180)):  # long texts: the detail shows them whole
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        self.empty_label.setVisible(not rows)
        if rows and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._on_selection()

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches(*WATCHED):
            self._reload.start()

    async def wait_idle(self) -> None:
        if self.action_task is not None and not self.action_task.done():
            await self.action_task
        if self._reload.isActive():
            self._reload.stop()
            self.load()
        await self._task.wait()

    # -- selection

    def selected(self) -> DisputeRow | None:
        sel = self.table.selectionModel().selectedRows()
        return self.model.row_by_id(self.model.data(sel[0], IdRole)) if sel else None

    def _on_selection(self, *_: Any) -> None:
        row = self.selected()
        may = self.actor.may("dispute.decide")
        self.decide_button.setEnabled(row is not None and may and row.state != "decided")
        self.decide_button.setToolTip("" if may else self.tr("Decided by the county governance center"))
        self.detail.setText(self._detail_text(row) if row is not None else "")

    def _detail_text(self, row: DisputeRow) -> str:
        lines = [
            self.tr("{number} {title} · {township} · list matter: {matter}").format(
                number=row.incident_number, title=row.incident_title, township=row.township_name,
                matter=row.matter_name or "—"),
            self.tr("{side} returned it: {reason}").format(side=side_text(row.return_side), reason=row.return_reason),
            self.tr("Counter-proposal: {text}").format(text=row.counter_proposal or "—"),
            self.tr("{side} contests ({who}, {at}): {reason}").format(
                side=side_text(row.opened_by_side), who=row.opened_by, at=fmt_local(row.opened_at),
                reason=row.contest_reason),
            self.tr("Decide by {due} · {left} · {state}").format(due=fmt_local(row.due_at), left=time_left_text(row),
                                                                  state=state_text(row)),
        ]
        if row.decision:
            lines.append(self.tr("Decision by {who}: {decision}").format(who=row.decided_by, decision=row.decision))
        return "\n".join(lines)

    # -- deciding

    async def decide(self) -> bool:
        row = self.selected()
        if row is None or row.state == "decided":
            return False
        depts = await run_read(departments, self.store)
        dialog = DecideDialog(row, depts, self)
        if not await self._dialog(dialog):
            return False
        if await Operation(self, self.store, self.actor, "dispute.decide", row.id, dialog.args()).run() is None:
            return False
        self._show(self.tr("Decided; both sides will see it after their next sync."))
        return True

    def show_refusal(self, message: str) -> None:
        self._show(message, error=True)

    def clear_refusal(self) -> None:
        self.message_label.hide()

    def _show(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet(f"QLabel {{ color:{'#c0392b' if error else '#1e7b34'}; font-weight:bold; }}")
        self.message_label.setText(text)
        self.message_label.show()


def build_page(window: Any) -> QWidget:
    """The arbitration page of the main window (the county coordinator's)."""
    view = ArbitrationView(window.store, window.actor)
    view.load()
    return view
