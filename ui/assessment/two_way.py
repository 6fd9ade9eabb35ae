"""双向考核 from real acts: township → department and department → township, with each side's rating.

Figures come from :mod:`commandroom.queries.two_way`: the department's own 签收 and 报到 (on time, late),
the ones the township typed in for it (代录, counted apart), its returns upheld or overturned by the county,
its case steps within the limit; the township's matters handled within its own duty, its returns
overturned, its verifications. The township's leadership rates a department, a department liaison rates a
township, each from its own seat (``assessment.rate_counterpart``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.mutations.assessment import leads_township
from commandroom.queries.assessment import months, townships
from commandroom.queries.scope import home_township, is_county
from commandroom.queries.two_way import (
    DEPARTMENT_RATES_TOWNSHIP,
    TOWNSHIP_RATES_DEPARTMENT,
    ActCount,
    DepartmentFigures,
    TownshipFigures,
    department_figures,
    township_figures,
)
from commandroom.services.assessment import record_id
from commandroom.timeutil import utcnow
from ui import ui_state
from ui.assessment.models import num, pct
from ui.async_runner import LatestTask, run_read, store_events
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import Column, RowTableModel, fit_columns
from ui.form_dialog import FormDialog, text_edit

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

DISPLAY = Qt.ItemDataRole.DisplayRole
WATCHED = ("dispatch", "case_checkin", "case_step", "dispute", "assessment_record", "timeline_entry", "incident")


def _acts(c: ActCount) -> str:
    """own on time / own late / 代录 / not done, in one cell."""
    return QCoreApplication.translate("TwoWay", "{on} on time · {late} late · {proxy} proxy · {missing} not done") \
        .format(on=c.own_on_time, late=c.own_late, proxy=c.proxy, missing=c.not_done)


def _cell(fn: Any) -> Any:
    def cell(row: Any, role: int) -> Any:
        return fn(row) if role == DISPLAY else None
    return cell


class DepartmentFiguresModel(RowTableModel):
    def key(self, row: DepartmentFigures) -> str:
        return row.code

    def columns(self) -> list[Column]:
        return [
            (self.tr("Department"), _cell(lambda r: r.name)),
            (self.tr("Sign-for on time (own)"), _cell(lambda r: pct(r.ack.on_time_rate))),
            (self.tr("Sign-for acts"), _cell(lambda r: _acts(r.ack))),
            (self.tr("Check-in on time (own)"), _cell(lambda r: pct(r.checkin.on_time_rate))),
            (self.tr("Check-in acts"), _cell(lambda r: _acts(r.checkin))),
            (self.tr("Returns upheld / overturned"), _cell(lambda r: f"{r.returns_upheld} / {r.returns_overturned}")),
            (self.tr("Case steps within limit"), _cell(lambda r: pct(r.steps_within_rate))),
            (self.tr("Townships' rating"), _cell(lambda r: num(r.rating))),
        ]


class TownshipFiguresModel(RowTableModel):
    def key(self, row: TownshipFigures) -> str:
        return row.code

    def columns(self) -> list[Column]:
        return [
            (self.tr("Township"), _cell(lambda r: r.name)),
            (self.tr("Closed within its own duty"), _cell(
                lambda r: f"{pct(r.within_duty_rate)} ({r.closed_by_township}/{r.closed})")),
            (self.tr("Its returns upheld / overturned"), _cell(lambda r: f"{r.returns_upheld} / {r.returns_overturned}")),
            (self.tr("Its contests rejected"), _cell(lambda r: str(r.contests_rejected))),
            (self.tr("Verifications (rejected)"), _cell(lambda r: f"{r.verifications} ({r.verifications_rejected})")),
            (self.tr("Reopened"), _cell(lambda r: str(r.reopened))),
            (self.tr("Proxy entries for departments"), _cell(lambda r: str(r.proxy_entries))),
            (self.tr("Departments' rating"), _cell(lambda r: num(r.rating))),
        ]


@dataclass
class TwoWayData:
    departments: list[DepartmentFigures]
    townships: list[TownshipFigures]


def load_two_way(store: Store, month: str, now: datetime, township: str | None, department: str | None) -> TwoWayData:
    return TwoWayData(department_figures(store, month, now, township_code=township, department_code=department),
                      township_figures(store, month, township_code=township, department_code=department))


class RateDialog(FormDialog):
    """The month's rating of the other side (0–100) with its basis."""

    def __init__(self, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Rate for the month"), parent, subject)
        self.points_spin = QDoubleSpinBox()
        self.points_spin.setRange(0, 100)
        self.points_spin.setDecimals(1)
        self.points_spin.setValue(80)
        self.note_edit = text_edit(self.tr("Basis of the rating"))
        self.form.addRow(self.tr("Points"), self.points_spin)
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.finish_layout()


class TwoWayView(ActionHostMixin, QWidget):
    """Both directions for one month; the rate button rates the row selected on the other side's table."""

    def __init__(self, store: Store, actor: Actor, clock: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TwoWayView")
        self.store, self.actor = store, actor
        self.clock = clock or utcnow
        self.action_task: asyncio.Task | None = None
        self.open_dialog: Any = None
        self.department = actor.department_code if "department_liaison" in (actor.roles or (actor.role,)) else None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 0)
        bar = QHBoxLayout()
        self.month_combo = QComboBox()
        for m in months(self.clock()):
            self.month_combo.addItem(m, m)
        self.township_combo = QComboBox()
        own = home_township(actor)
        if is_county(actor) or not own or self.department:
            self.township_combo.addItem(self.tr("Whole county"), None)
            for code, name in townships(store):
                self.township_combo.addItem(name, code)
        else:
            self.township_combo.addItem(dict(townships(store)).get(own, own), own)
        self.rate_button = QPushButton(self.tr("Rate the department…") if not self.department
                                       else self.tr("Rate the township…"))
        bar.addWidget(QLabel(self.tr("Month")))
        bar.addWidget(self.month_combo)
        bar.addWidget(self.township_combo)
        bar.addStretch(1)
        bar.addWidget(self.rate_button)
        outer.addLayout(bar)
        rule = QLabel(self.tr("Every figure counts acts on the record: a department's own sign-for and check-in by "
                              "its deadline; entries the township typed in for it (proxy) are counted apart and never "
                              "as its own on-time act. Returns are upheld or overturned by the county's "
                              "arbitration."))
        rule.setObjectName("Muted")
        rule.setWordWrap(True)
        outer.addWidget(rule)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        outer.addWidget(self.message_label)
        self.dept_model = DepartmentFiguresModel(self)
        self.town_model = TownshipFiguresModel(self)
        t1 = QLabel(self.tr("Township → department (from the department's own acts)"))
        t1.setObjectName("SectionTitle")
        t2 = QLabel(self.tr("Department → township (from the township's acts)"))
        t2.setObjectName("SectionTitle")
        self.dept_table = self._table(self.dept_model)
        self.town_table = self._table(self.town_model)
        ui_state.remember_table(self.dept_table, "two-way-departments")
        ui_state.remember_table(self.town_table, "two-way-township")
        outer.addWidget(t1)
        outer.addWidget(self.dept_table, 2)
        outer.addWidget(t2)
        outer.addWidget(self.town_table, 1)
        self._task = LatestTask("two-way")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(300)
        self._reload.timeout.connect(self.load)
        self.month_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.township_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.dept_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.town_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.rate_button.clicked.connect(lambda: self.start_action(self.rate()))
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_buttons()

    @staticmethod
    def _table(model: Any) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    @property
    def month(self) -> str:
        return self.month_combo.currentData()

    @property
    def township_code(self) -> str | None:
        return self.township_combo.currentData()

    def load(self) -> None:
        self._task.start(run_read(load_two_way, self.store, self.month, self.clock(), self.township_code,
                                  self.department), self._on_loaded)

    def _on_loaded(self, data: TwoWayData) -> None:
        self.dept_model.set_rows(data.departments)
        self.town_model.set_rows(data.townships)
        fit_columns(self.dept_table)
        fit_columns(self.town_table)
        self._update_buttons()

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

    def _selected(self, table: QTableView, model: RowTableModel) -> Any:
        sel = table.selectionModel().selectedRows()
        return model.row_by_id(model.data(sel[0], IdRole)) if sel else None

    def _update_buttons(self, *_: Any) -> None:
        if not self.actor.may("assessment.rate_counterpart"):
            self.rate_button.setEnabled(False)
            return
        if self.department:
            self.rate_button.setEnabled(self._selected(self.town_table, self.town_model) is not None)
        else:
            self.rate_button.setEnabled(self._selected(self.dept_table, self.dept_model) is not None
                                        and leads_township(self.actor, self.township_code))

    async def rate(self) -> bool:
        if self.department:
            row = self._selected(self.town_table, self.town_model)
            if row is None:
                return False
            entity = record_id(row.code, self.month, self.department, DEPARTMENT_RATES_TOWNSHIP)
            args: dict[str, Any] = {"month": self.month, "township_code": row.code}
        else:
            row = self._selected(self.dept_table, self.dept_model)
            township = self.township_code
            if row is None or township is None:
                return False
            entity = record_id(township, self.month, row.code, TOWNSHIP_RATES_DEPARTMENT)
            args = {"month": self.month, "department_code": row.code, "township_code": township}
        dialog = RateDialog(row.name, self)
        if not await self._dialog(dialog):
            return False
        args.update(points=float(dialog.points_spin.value()), note=dialog.note_edit.toPlainText().strip())
        return await Operation(self, self.store, self.actor, "assessment.rate_counterpart", entity, args).run() is not None

    def show_refusal(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.show()

    def clear_refusal(self) -> None:
        self.message_label.hide()
