"""Dialogs of the boards and linked command: a reason, a new card, a summons, an incident picker.

As the incident dialogs do, each dialog only collects arguments (``mutation_args()``);
the page performs the named mutation on the writer thread. A required field left empty
keeps OK disabled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QDateTime, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QTableView,
    QWidget,
)

from commandroom.queries.boards import IncidentChoice, Target, search_incidents
from commandroom.timeutil import fmt_local, iso, local_to_utc, utcnow
from ui.async_runner import LatestTask, run_read
from ui.boards import labels
from ui.boards.models import RowTableModel
from ui.common.id_model import IdRole
from ui.form_dialog import FormDialog as BaseDialog
from ui.form_dialog import text_edit

if TYPE_CHECKING:
    from commandroom.store.protocol import Store


class ReasonDialog(BaseDialog):
    """Asks for a reason (required), e.g. to put a card into 进行中 beyond its WIP limit."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None, subject: str = "",
                 required: bool = True) -> None:
        super().__init__(title, parent, subject)
        self.required = required
        self.prompt_label = QLabel(prompt)
        self.prompt_label.setWordWrap(True)
        self.layout_.insertWidget(1, self.prompt_label)
        self.reason_edit = text_edit(self.tr("Reason"))
        self.reason_edit.textChanged.connect(self._update_ok)
        self.form.addRow(self.tr("Reason"), self.reason_edit)
        self.finish_layout()

    def is_complete(self) -> bool:
        return not self.required or bool(self.reason_edit.toPlainText().strip())

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()


class CardDialog(BaseDialog):
    """A new card on a module's board: title, note, assignee, due date, department lane."""

    def __init__(self, module_name: str, people: list[str], departments: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("New card"), parent, module_name)
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(128)
        self.title_edit.textChanged.connect(self._update_ok)
        self.body_edit = text_edit(self.tr("What is to be done"))
        self.assignee_combo = QComboBox()
        self.assignee_combo.setEditable(True)
        self.assignee_combo.addItems(["", *people])
        self.due_check = QCheckBox(self.tr("Due by"))
        self.due_edit = QDateTimeEdit(local_input(utcnow() + timedelta(days=3)))
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.due_edit.setEnabled(False)
        self.due_check.toggled.connect(self.due_edit.setEnabled)
        self.lane_combo = QComboBox()
        self.lane_combo.addItem(self.tr("(no department)"), "")
        for code, name in departments:
            self.lane_combo.addItem(name, code)
        self.form.addRow(self.tr("Title"), self.title_edit)
        self.form.addRow(self.tr("Note"), self.body_edit)
        self.form.addRow(self.tr("Assignee"), self.assignee_combo)
        self.form.addRow(self.due_check, self.due_edit)
        self.form.addRow(self.tr("Department"), self.lane_combo)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.title_edit.text().strip())

    def mutation_args(self, module_id: str) -> dict[str, Any]:
        args: dict[str, Any] = {"module_id": module_id, "title": self.title_edit.text().strip(),
                                "body": self.body_edit.toPlainText().strip(), "lane": self.lane_combo.currentData()}
        who = self.assignee_combo.currentText().strip()
        if who:
            args["assignee_name"] = who
        if self.due_check.isChecked():
            # the editor shows Shanghai wall-clock time, like every time on screen
            args["due_at"] = iso(local_to_utc(self.due_edit.dateTime().toPython().replace(tzinfo=None)))
        return args


# --------------------------------------------------------------------------- summons


class CheckListModel(QAbstractListModel):
    """A checkable list of (key, label) choices (the summons targets)."""

    def __init__(self, items: list[tuple[Any, str]], parent: Any = None) -> None:
        super().__init__(parent)
        self._items = list(items)
        self._checked: set[int] = set()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        key, label = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return label
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if index.row() in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.UserRole:
            return key
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable | \
            Qt.ItemFlag.ItemNeverHasChildren

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        if checked:
            self._checked.add(index.row())
        else:
            self._checked.discard(index.row())
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def set_checked(self, key: Any, checked: bool = True) -> None:
        for row, (k, _label) in enumerate(self._items):
            if k == key:
                self.setData(self.index(row), Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked,
                             Qt.ItemDataRole.CheckStateRole)

    def checked_keys(self) -> list[Any]:
        return [self._items[r][0] for r in sorted(self._checked)]


class SummonDialog(BaseDialog):
    """乡镇吹哨: summon modules or county departments to report (部门报到) within a time limit."""

    def __init__(self, targets: list[Target], parent: QWidget | None = None, subject: str = "") -> None:
        super().__init__(self.tr("Summon (blow the whistle)"), parent, subject)
        self.target_model = CheckListModel([((t.kind, t.code), self._target_text(t)) for t in targets], self)
        self.target_model.dataChanged.connect(self._update_ok)
        self.target_view = QListView()
        self.target_view.setModel(self.target_model)
        self.target_view.setMinimumHeight(220)
        self.hours_spin = QDoubleSpinBox()
        self.hours_spin.setRange(0.5, 720)
        self.hours_spin.setDecimals(1)
        self.hours_spin.setValue(24)
        self.hours_spin.setSuffix(self.tr(" h"))
        self.working_check = QCheckBox(self.tr("Count working hours only"))
        self.note_edit = text_edit(self.tr("What the summoned should bring or do"))
        self.form.addRow(self.tr("Summon"), self.target_view)
        self.form.addRow(self.tr("Check in within"), self.hours_spin)
        self.form.addRow("", self.working_check)
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.finish_layout()

    def _target_text(self, t: Target) -> str:
        return f"{t.label}（{labels.target_kind_label(t.kind)}）"

    def is_complete(self) -> bool:
        return bool(self.target_model.checked_keys())

    def mutation_args(self) -> dict[str, Any]:
        return {"targets": [{"kind": k, "code": c} for k, c in self.target_model.checked_keys()],
                "hours": float(self.hours_spin.value()), "working_time": self.working_check.isChecked(),
                "note": self.note_edit.toPlainText().strip()}


# --------------------------------------------------------------------------- incident picker


class IncidentChoiceModel(RowTableModel):
    """Incidents to pick from (number, title, state, created)."""

    def columns(self) -> list[Any]:
        from ui import i18n

        display = Qt.ItemDataRole.DisplayRole
        return [
            (self.tr("Number"), lambda r, role: r.number if role == display else None),
            (self.tr("Title"), lambda r, role: r.title if role == display else None),
            (self.tr("State"), lambda r, role: i18n.label(i18n.INCIDENT_STATE_LABELS, r.state)
             if role == display else None),
            (self.tr("Created"), lambda r, role: fmt_local(r.created_at, "%m-%d %H:%M") if role == display else None),
        ]


class IncidentPickerDialog(BaseDialog):
    """Choose an incident (open ones first); the search runs in SQL on the reader pool."""

    def __init__(self, store: Store, township_codes: list[str] | None, title: str, parent: QWidget | None = None
                 ) -> None:
        super().__init__(title, parent)
        self.setMinimumSize(760, 520)
        self.store = store
        self.township_codes = township_codes
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Number or words of the title"))
        self.model = IncidentChoiceModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.accept() if self.is_complete() else None)
        self.form.addRow(self.tr("Search"), self.search_edit)
        self.layout_.addWidget(self.table, 1)
        self.finish_layout()
        self.table.selectionModel().selectionChanged.connect(self._update_ok)
        self._task = LatestTask("incident-picker")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.search)
        self.search_edit.textChanged.connect(lambda _t: self._timer.start())
        self.search()

    def search(self) -> None:
        self._task.start(run_read(search_incidents, self.store, self.township_codes, self.search_edit.text()),
                         self._on_results)

    def _on_results(self, rows: list[IncidentChoice]) -> None:
        self.model.set_rows(rows)
        if rows and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._update_ok()

    async def wait_idle(self) -> None:
        await self._task.wait()

    def selected(self) -> IncidentChoice | None:
        idx = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not idx:
            return None
        return self.model.row_by_id(self.model.data(idx[0], IdRole))

    def is_complete(self) -> bool:
        return self.selected() is not None if hasattr(self, "model") else False


def local_input(dt: datetime) -> QDateTime:
    """A naive-UTC datetime as a QDateTime in local time (for editors)."""
    from commandroom.timeutil import to_local

    loc = to_local(dt)
    return QDateTime(loc.date(), loc.time()) if loc else QDateTime.currentDateTime()

