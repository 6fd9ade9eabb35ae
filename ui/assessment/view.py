"""Assessment (考核): four dimensions per cadre, two-way department ↔ township indicators, grid workers.

Per month (Shanghai calendar) and township (the county centre may pick any, or the whole
county). 岗位赋分 is set by an administrator, 模块评分 by the lead of a module the cadre
belongs to, 组团积分 and 专班计分 are computed from the cards and case steps the cadre
completed; the township records a reverse veto (反向否决) of a dispatched cadre with a
reason. Every figure is the service's; "Export to Excel" writes the same tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from commandroom.mutations.assessment import leads_township
from commandroom.queries.assessment import (
    AssessmentData,
    CadreRow,
    export_xlsx,
    load_assessment,
    months,
    townships,
)
from commandroom.queries.scope import home_township, is_county
from commandroom.services.assessment import VETO, record_id
from commandroom.timeutil import utcnow
from ui import ui_state
from ui.assessment.models import (
    DepartmentIndicatorModel,
    FourDimensionModel,
    GridWorkerModel,
    TownshipIndicatorModel,
)
from ui.async_runner import LatestTask, run_read, store_events
from ui.boards.dialogs import BaseDialog, text_edit
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import fit_columns

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

WATCHED = ("assessment_record", "task_card", "case_step", "case_checkin", "one_thing_case", "dispatch", "report")


class ScoreDialog(BaseDialog):
    """Points (0–100) and a note; for 模块评分 also the module that rates."""

    def __init__(self, title: str, subject: str, points: float, modules: list[tuple[str, str]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent, subject)
        self.module_combo = QComboBox()
        for module_id, name in modules or []:
            self.module_combo.addItem(name, module_id)
        if modules:
            self.form.addRow(self.tr("Rating module"), self.module_combo)
        self.points_spin = QDoubleSpinBox()
        self.points_spin.setRange(0, 100)
        self.points_spin.setDecimals(1)
        self.points_spin.setValue(points)
        self.note_edit = text_edit(self.tr("Basis of the score"))
        self.form.addRow(self.tr("Points"), self.points_spin)
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.finish_layout()


class VetoDialog(BaseDialog):
    """反向否决 of a dispatched cadre: the reason is required."""

    def __init__(self, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Reverse veto"), parent, subject)
        info = QLabel(self.tr("The township's party committee vetoes this dispatched cadre for the month: the "
                              "points stay visible, but the cadre is not eligible for awards."))
        info.setWordWrap(True)
        self.layout_.insertWidget(1, info)
        self.reason_edit = text_edit(self.tr("Reason (required)"))
        self.reason_edit.textChanged.connect(self._update_ok)
        self.form.addRow(self.tr("Reason"), self.reason_edit)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.reason_edit.toPlainText().strip())


class AssessmentView(ActionHostMixin, QWidget):
    """The assessment screen.

    Args:
        store: the workstation's DeskStore.
        actor: who acts.
        clock: the current time (naive UTC).
    """

    def __init__(self, store: Store, actor: Actor, clock: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.clock = clock or utcnow
        self.data: AssessmentData | None = None
        self.action_task: asyncio.Task | None = None
        self.open_dialog: Any = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        self.month_combo = QComboBox()
        all_months = months(self.clock())
        for m in all_months:
            self.month_combo.addItem(m, m)
        self.month_combo.setCurrentIndex(1 if len(all_months) > 1 else 0)  # last month: the one being assessed
        self.township_combo = QComboBox()
        own = home_township(actor)
        if is_county(actor) or not own:
            self.township_combo.addItem(self.tr("Whole county"), None)
            for code, name in townships(store):
                self.township_combo.addItem(name, code)
        else:
            name = dict(townships(store)).get(own, own)
            self.township_combo.addItem(name, own)
        self.post_button = QPushButton(self.tr("Post score…"))
        self.module_button = QPushButton(self.tr("Module score…"))
        self.veto_button = QPushButton(self.tr("Reverse veto…"))
        self.export_button = QPushButton(self.tr("Export to Excel…"))
        bar.addWidget(QLabel(self.tr("Month")))
        bar.addWidget(self.month_combo)
        bar.addWidget(self.township_combo)
        bar.addStretch(1)
        for b in (self.post_button, self.module_button, self.veto_button, self.export_button):
            bar.addWidget(b)
        self.export_button.setVisible(self.actor.may("export.assessment"))
        outer.addLayout(bar)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        outer.addWidget(self.message_label)
        self.tabs = QTabWidget()
        self.four_model = FourDimensionModel(self)
        self.dept_model = DepartmentIndicatorModel(self)
        self.town_model = TownshipIndicatorModel(self)
        self.grid_model = GridWorkerModel(self)
        four = QWidget()
        fl = QVBoxLayout(four)
        fl.setContentsMargins(0, 4, 0, 0)
        rule = QLabel(self.tr("Total = post score (set by the administrator) + module score (mean of the module "
                              "leads' ratings) + cluster points (2 per card done on time, 1 late) + task-force "
                              "points (2 per case step done by the case's deadline, 1 after it). Hover a name for "
                              "the arithmetic."))
        rule.setObjectName("Muted")
        rule.setWordWrap(True)
        fl.addWidget(rule)
        self.four_table = self._table(self.four_model, 7)
        fl.addWidget(self.four_table, 1)
        self.tabs.addTab(four, self.tr("Four dimensions"))
        two = QWidget()
        tl = QVBoxLayout(two)
        tl.setContentsMargins(0, 4, 0, 0)
        t1 = QLabel(self.tr("Township assesses the departments"))
        t1.setObjectName("SectionTitle")
        self.dept_table = self._table(self.dept_model, 0)
        t2 = QLabel(self.tr("Departments assess the township"))
        t2.setObjectName("SectionTitle")
        self.town_table = self._table(self.town_model, 0)
        tl.addWidget(t1)
        tl.addWidget(self.dept_table, 3)
        tl.addWidget(t2)
        tl.addWidget(self.town_table, 1)
        self.tabs.addTab(two, self.tr("Two-way assessment"))
        from ui.assessment.two_way import TwoWayView

        self.two_way = TwoWayView(store, actor, clock)
        self.tabs.addTab(self.two_way, self.tr("Two-way from acts"))
        self.tabs.currentChanged.connect(lambda _i: self.two_way.load() if self.tabs.currentWidget() is self.two_way
                                         else None)
        self.grid_table = self._table(self.grid_model, 0)
        self.tabs.addTab(self.grid_table, self.tr("Grid workers"))
        for table, key in ((self.four_table, "four"), (self.dept_table, "departments"),
                           (self.town_table, "township"), (self.grid_table, "grid-workers")):
            ui_state.remember_table(table, f"assessment-{key}")
        outer.addWidget(self.tabs, 1)

        self.month_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.township_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.four_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.post_button.clicked.connect(lambda: self.start_action(self.set_post()))
        self.module_button.clicked.connect(lambda: self.start_action(self.rate_module()))
        self.veto_button.clicked.connect(lambda: self.start_action(self.veto()))
        self.export_button.clicked.connect(self._on_export_clicked)
        self._task = LatestTask("assessment")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(300)
        self._reload.timeout.connect(self.load)
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_buttons()

    @staticmethod
    def _table(model: Any, stretch: int) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # only the four-dimension table ends in a text column (the veto) worth stretching
        header.setStretchLastSection(stretch == 7)
        return table

    @property
    def month(self) -> str:
        return self.month_combo.currentData()

    @property
    def township_code(self) -> str | None:
        return self.township_combo.currentData()

    def set_month(self, month: str) -> None:
        k = self.month_combo.findData(month)
        if k < 0:
            self.month_combo.addItem(month, month)
            k = self.month_combo.count() - 1
        self.month_combo.setCurrentIndex(k)

    def load(self) -> None:
        self._task.start(run_read(load_assessment, self.store, self.month, self.clock(), self.township_code),
                         self._on_loaded)

    def _on_loaded(self, data: AssessmentData) -> None:
        self.data = data
        self.four_model.set_rows(data.cadres)
        self.dept_model.set_rows(data.departments)
        self.town_model.set_rows(data.townships)
        self.grid_model.set_rows(data.grid_workers)
        for table in (self.four_table, self.dept_table, self.town_table, self.grid_table):
            fit_columns(table)
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

    # -- who may do what

    def selected(self) -> CadreRow | None:
        sel = self.four_table.selectionModel().selectedRows()
        return self.four_model.row_by_id(self.four_model.data(sel[0], IdRole)) if sel else None

    def _rating_modules(self, row: CadreRow) -> list[tuple[str, str]]:
        """Modules of the cadre that the signed-in user may rate for (the modules it leads)."""
        uid = self.actor.user_id
        if not self.actor.may("assessment.rate_module"):
            return []
        return [(m.module_id, m.module_name) for m in row.memberships if uid and m.lead_user_id == uid]

    def _township_of(self, row: CadreRow) -> str | None:
        return self.township_code or self.actor.township_code

    def _can_veto(self, row: CadreRow) -> bool:
        if not row.dispatched:
            return False
        return self.actor.may("assessment.veto") and leads_township(self.actor, self._township_of(row))

    def _update_buttons(self, *_: Any) -> None:
        row = self.selected()
        township = self.township_code is not None
        self.post_button.setEnabled(row is not None and township and self.actor.may("assessment.set_post")
                                    and leads_township(self.actor, self.township_code))
        self.module_button.setEnabled(row is not None and township and bool(self._rating_modules(row)))
        self.veto_button.setEnabled(row is not None and township and self._can_veto(row))
        self.post_button.setToolTip(self.tr("Set by the township's leadership"))
        self.module_button.setToolTip(self.tr("Set by the lead of a module the cadre belongs to"))
        self.veto_button.setToolTip(self.tr("The township vetoes a dispatched cadre"))

    # -- actions

    async def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        return await Operation(self, self.store, self.actor, name, entity_id, args).run() is not None

    def show_refusal(self, message: str) -> None:
        self.show_message(message, error=True)

    def clear_refusal(self) -> None:
        self.message_label.hide()

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message_label.setStyleSheet(f"QLabel {{ color:{'#c0392b' if error else '#1e7b34'}; font-weight:bold; }}")
        self.message_label.setText(text)
        self.message_label.show()

    async def set_post(self) -> bool:
        row = self.selected()
        township = self.township_code
        if row is None or township is None:
            return False
        dialog = ScoreDialog(self.tr("Post score"), row.score.name, row.score.post, parent=self)
        if not await self._dialog(dialog):
            return False
        args = {"month": self.month, "subject_code": row.id, "subject_name": row.score.name,
                "points": float(dialog.points_spin.value()), "note": dialog.note_edit.toPlainText().strip(),
                "township_code": township}
        return await self.perform("assessment.set_post", record_id(township, self.month, row.id, "post"), args)

    async def rate_module(self) -> bool:
        row = self.selected()
        township = self.township_code
        modules = self._rating_modules(row) if row is not None else []
        if row is None or township is None or not modules:
            return False
        dialog = ScoreDialog(self.tr("Module score"), row.score.name, row.score.module, modules, self)
        if not await self._dialog(dialog):
            return False
        module_id = dialog.module_combo.currentData()
        args = {"month": self.month, "module_id": module_id, "subject_code": row.id, "subject_name": row.score.name,
                "points": float(dialog.points_spin.value()), "note": dialog.note_edit.toPlainText().strip()}
        return await self.perform("assessment.rate_module",
                                  record_id(township, self.month, row.id, "module", module_id), args)

    async def veto(self) -> bool:
        row = self.selected()
        township = self.township_code
        if row is None or township is None:
            return False
        dialog = VetoDialog(row.score.name, self)
        if not await self._dialog(dialog):
            return False
        args = {"month": self.month, "subject_code": row.id, "subject_name": row.score.name,
                "reason": dialog.reason_edit.toPlainText().strip(), "township_code": township}
        return await self.perform("assessment.veto", record_id(township, self.month, row.id, VETO), args)

    # -- export

    def _on_export_clicked(self) -> None:
        default = self.tr("assessment_{month}.xlsx").format(month=self.month)
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export to Excel"), default,
                                                    self.tr("Excel workbook (*.xlsx)"))
        if path:
            self.start_action(self.export_to(path))

    async def export_to(self, path: str | Path) -> Path | None:
        """Write the month's tables to ``path`` (.xlsx) on the reader pool."""
        try:
            out = await run_read(export_xlsx, self.store, self.month, self.clock(), self.township_code, path)
        except OSError as exc:
            self.show_message(self.tr("Could not write {path}: {error}").format(path=path, error=exc), error=True)
            return None
        self.show_message(self.tr("Exported to {path}").format(path=out))
        return out
