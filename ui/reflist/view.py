"""Responsibility-list management (清单管理): versions with their dates, and the new-version editor.

Everyone sees the versions (in force / takes effect later / superseded) and the matters of
the selected one. The county governance centre starts a new version from a copy of the
version in force, edits the matters (add, remove, edit any field), chooses the date from
which it applies and sees, as it edits, the diff against the version in force (added,
removed and changed matters, each changed field on its own line). Publishing performs
``reflist.publish_version`` with the whole list; incidents created before the date keep
the old routing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.reflist import (
    Choices,
    Draft,
    VersionRow,
    can_edit,
    check_draft,
    choices,
    diff_rows,
    matters,
    new_draft,
    versions,
)
from commandroom.services.teams import shanghai_date
from commandroom.timeutil import utcnow
from ui import ui_state
from ui.async_runner import LatestTask, run_read, store_events
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.reflist.models import FIELDS, DiffModel, MatterEditModel, MatterModel, VersionModel, field_names

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store


def list_table(model: Any, *, column_width: int = 120) -> QTableView:
    """A read-only table of whole rows, one selectable at a time (the list-management screens)."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setDefaultSectionSize(column_width)
    return table


class DepartmentDelegate(QStyledItemDelegate):
    """Edits the lead department with a combo of the county departments."""

    def __init__(self, departments: list[tuple[str, str]], parent: Any = None) -> None:
        super().__init__(parent)
        self.departments = departments

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:
        combo = QComboBox(parent)
        for code, name in self.departments:
            combo.addItem(name, code)
        return combo

    def setEditorData(self, editor: QWidget, index: Any) -> None:
        k = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(k, 0))

    def setModelData(self, editor: QWidget, model: Any, index: Any) -> None:
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class ReflistView(ActionHostMixin, QWidget):
    """List versions for everyone; the draft editor, diff and publishing for the county centre.

    Args:
        store: the workstation's DeskStore.
        actor: who acts (``county_coordinator`` or ``admin`` may publish).
        clock: the current time (naive UTC).
    """

    def __init__(self, store: Store, actor: Actor, clock: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.clock = clock or utcnow
        self.editable = can_edit(actor)
        self.action_task: asyncio.Task | None = None
        self.draft: Draft | None = None
        self.choices: Choices = choices(store)
        self.departments = dict(self.choices.departments)
        self.field_names = field_names(self.choices.departments, self.choices.categories, self.choices.one_things)
        self.edit_model: MatterEditModel | None = None
        self.diff_counts: dict[str, int] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)

        # page 0: versions and matters
        browse = QWidget()
        bl = QVBoxLayout(browse)
        bl.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        title = QLabel(self.tr("Responsibility list versions"))
        title.setObjectName("SectionTitle")
        self.new_button = QPushButton(self.tr("New version from the one in force…"))
        self.new_button.setEnabled(self.editable)
        self.readonly_label = QLabel(self.tr("Read-only: only the county governance centre changes the list."))
        self.readonly_label.setObjectName("Muted")
        self.readonly_label.setVisible(not self.editable)
        bar.addWidget(title)
        bar.addWidget(self.readonly_label, 1)
        bar.addWidget(self.new_button)
        bl.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.version_model = VersionModel(self)
        self.version_table = list_table(self.version_model)
        self.matter_model = MatterModel(self.field_names, self)
        self.matter_table = list_table(self.matter_model)
        split.addWidget(self.version_table)
        split.addWidget(self.matter_table)
        split.setSizes([220, 600])
        ui_state.remember_splitter(split, "reflist")
        ui_state.remember_table(self.version_table, "reflist-versions")
        ui_state.remember_table(self.matter_table, "reflist-matters")
        bl.addWidget(split, 1)
        self.stack.addWidget(browse)

        # page 1: the draft editor with the live diff
        edit = QWidget()
        el = QVBoxLayout(edit)
        el.setContentsMargins(0, 0, 0, 0)
        self.editor_title = QLabel()
        self.editor_title.setObjectName("SectionTitle")
        el.addWidget(self.editor_title)
        form = QFormLayout()
        head = QHBoxLayout()
        self.number_spin = QSpinBox()
        self.number_spin.setRange(1, 10_000)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(128)
        self.note_edit = QLineEdit()
        head.addWidget(QLabel(self.tr("Version")))
        head.addWidget(self.number_spin)
        head.addWidget(QLabel(self.tr("Effective from")))
        head.addWidget(self.date_edit)
        head.addWidget(QLabel(self.tr("Title")))
        head.addWidget(self.title_edit, 2)
        form.addRow(head)
        form.addRow(self.tr("Why it changes"), self.note_edit)
        el.addLayout(form)
        rows_bar = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add matter"))
        self.remove_button = QPushButton(self.tr("Remove matter"))
        hint = QLabel(self.tr("Double-click a cell to edit it; categories are codes separated by commas. "
                              "Changed cells are yellow, new matters green."))
        hint.setObjectName("Muted")
        rows_bar.addWidget(self.add_button)
        rows_bar.addWidget(self.remove_button)
        rows_bar.addWidget(hint, 1)
        el.addLayout(rows_bar)
        esplit = QSplitter(Qt.Orientation.Vertical)
        self.edit_table = QTableView()
        self.edit_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.edit_table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                        | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.edit_table.setItemDelegateForColumn([f for f, _t in FIELDS].index("lead_department_code"),
                                                 DepartmentDelegate(self.choices.departments, self))
        esplit.addWidget(self.edit_table)
        diff_box = QWidget()
        dl = QVBoxLayout(diff_box)
        dl.setContentsMargins(0, 4, 0, 0)
        self.diff_title = QLabel()
        self.diff_title.setObjectName("SectionTitle")
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("QLabel { color:#c0392b; font-weight:bold; }")
        self.diff_model = DiffModel(self.field_names, self)
        self.diff_table = list_table(self.diff_model)
        for section in (4, 5):  # the old and the new value side by side, equally wide
            self.diff_table.horizontalHeader().setSectionResizeMode(section, QHeaderView.ResizeMode.Stretch)
        dl.addWidget(self.diff_title)
        dl.addWidget(self.problem_label)
        dl.addWidget(self.diff_table, 1)
        esplit.addWidget(diff_box)
        esplit.setSizes([420, 380])
        ui_state.remember_splitter(esplit, "reflist-editor")
        ui_state.remember_table(self.diff_table, "reflist-diff")
        el.addWidget(esplit, 1)
        actions = QHBoxLayout()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Discard the draft"))
        self.publish_button = QPushButton(self.tr("Publish version"))
        self.publish_button.setDefault(True)
        actions.addWidget(self.message_label, 1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.publish_button)
        el.addLayout(actions)
        self.stack.addWidget(edit)

        self.version_table.selectionModel().currentRowChanged.connect(self._on_version_row)
        self.new_button.clicked.connect(lambda: self.start_action(self.start_draft()))
        self.add_button.clicked.connect(self.add_matter)
        self.remove_button.clicked.connect(self.remove_matter)
        self.cancel_button.clicked.connect(self.discard_draft)
        self.publish_button.clicked.connect(lambda: self.start_action(self.publish()))
        self.date_edit.dateChanged.connect(lambda _d: self._update_publish())
        self.title_edit.textChanged.connect(lambda _t: self._update_publish())
        self._versions_task = LatestTask("versions")
        self._matters_task = LatestTask("matters")
        self._check_task = LatestTask("draft-check")
        self._diff_timer = QTimer(self)
        self._diff_timer.setSingleShot(True)
        self._diff_timer.setInterval(250)
        self._diff_timer.timeout.connect(self.refresh_diff)
        store_events(store).changes_did_happen.connect(self._on_store_changes)


    def today(self) -> date:
        return shanghai_date(self.clock())

    # -- browsing

    def load(self) -> None:
        self._versions_task.start(run_read(versions, self.store, self.today()), self._on_versions)

    def _on_versions(self, rows: list[VersionRow]) -> None:
        self.version_model.set_rows(rows)
        if rows and not self.version_table.selectionModel().hasSelection():
            current = next((k for k, r in enumerate(rows) if r.status == "in_force"), 0)
            self.version_table.selectRow(current)

    def _on_version_row(self, current: Any, _previous: Any) -> None:
        if not current.isValid():
            return
        row = self.version_model.row_by_id(self.version_model.data(current, IdRole))
        if row is not None:
            self._matters_task.start(run_read(matters, self.store, row.version), self.matter_model.set_rows)

    def _on_store_changes(self, changes: Any) -> None:
        # list versions are reference rows: they arrive with a pulled page or a local publish
        if changes.touches("matter_list_version", "matter", "local_outbox"):
            self.load()

    async def wait_idle(self) -> None:
        if self.action_task is not None and not self.action_task.done():
            await self.action_task
        if self._diff_timer.isActive():
            self._diff_timer.stop()
            self.refresh_diff()
        for task in (self._versions_task, self._matters_task, self._check_task):
            await task.wait()

    # -- the draft

    async def start_draft(self) -> None:
        """Copy the version in force into the editor (county centre only)."""
        if not self.editable:
            return
        draft = await run_read(new_draft, self.store, self.today())
        self.draft = draft
        self.edit_model = MatterEditModel(draft.base_matters, self.field_names, self)
        self.edit_table.setModel(self.edit_model)
        header = self.edit_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(120)
        header.setStretchLastSection(True)
        self.edit_model.dataChanged.connect(lambda *_: self._diff_timer.start())
        self.edit_model.rowsInserted.connect(lambda *_: self._diff_timer.start())
        self.edit_model.rowsRemoved.connect(lambda *_: self._diff_timer.start())
        self.number_spin.setValue(draft.number)
        self.number_spin.setMinimum(draft.number)
        earliest = QDate(draft.earliest.year, draft.earliest.month, draft.earliest.day)
        self.date_edit.setMinimumDate(earliest)
        self.date_edit.setDate(earliest)
        self.title_edit.setText(draft.title)
        self.note_edit.clear()
        self.editor_title.setText(self.tr("New version v{n}, a copy of v{base} (in force)").format(
            n=draft.number, base=draft.base_version if draft.base_version is not None else "—"))
        self.message_label.clear()
        self.stack.setCurrentIndex(1)
        self.refresh_diff()

    def add_matter(self) -> None:
        if self.edit_model is None:
            return
        row = self.edit_model.rowCount()
        self.edit_model.insertRows(row, 1)
        self.edit_table.scrollToBottom()
        self.edit_table.setCurrentIndex(self.edit_model.index(row, 1))

    def remove_matter(self) -> None:
        if self.edit_model is None:
            return
        rows = sorted({i.row() for i in self.edit_table.selectionModel().selectedRows()}, reverse=True)
        for r in rows:
            self.edit_model.removeRows(r, 1)

    def discard_draft(self) -> None:
        self.draft = None
        self.edit_model = None
        self.edit_table.setModel(None)
        self.diff_model.set_rows([])
        self.stack.setCurrentIndex(0)

    def refresh_diff(self) -> None:
        """The diff of the draft against the version in force, and the draft's first problem."""
        if self.draft is None or self.edit_model is None:
            return
        rows, counts = diff_rows(self.draft.base_matters, self.edit_model.draft())
        self.diff_counts = counts
        self.diff_model.set_rows(rows)
        self.diff_title.setText(self.tr("Compared with v{base} in force: {added} added · {removed} removed · "
                                        "{changed} changed · {unchanged} unchanged").format(
            base=self.draft.base_version if self.draft.base_version is not None else "—", **counts))
        self._check_task.start(run_read(check_draft, self.store, self.edit_model.draft()), self._on_checked)
        self._update_publish()

    def _on_checked(self, problem: str) -> None:
        self.problem_label.setText(self.tr("Cannot publish yet: {problem}").format(problem=problem) if problem else "")
        self.problem_label.setVisible(bool(problem))
        self._update_publish()

    def _update_publish(self) -> None:
        has_changes = any(self.diff_counts.get(k) for k in ("added", "removed", "changed"))
        ok = (self.edit_model is not None and has_changes and bool(self.title_edit.text().strip())
              and not self.problem_label.text())
        self.publish_button.setEnabled(ok)

    def mutation_args(self) -> dict[str, Any]:
        d = self.date_edit.date()
        args: dict[str, Any] = {
            "version": int(self.number_spin.value()),
            "effective_from": date(d.year(), d.month(), d.day()).isoformat(),
            "title": self.title_edit.text().strip(),
            "matters": self.edit_model.draft() if self.edit_model is not None else [],
        }
        if self.note_edit.text().strip():
            args["note"] = self.note_edit.text().strip()
        return args

    def show_refusal(self, message: str) -> None:
        self.message_label.setStyleSheet("QLabel { color:#c0392b; font-weight:bold; }")
        self.message_label.setText(message)

    def clear_refusal(self) -> None:
        self.message_label.clear()

    async def publish(self) -> bool:
        """Publish the draft as a new version (``reflist.publish_version``)."""
        if self.edit_model is None:
            return False
        args = self.mutation_args()
        if await Operation(self, self.store, self.actor, "reflist.publish_version", new_id(), args).run() is None:
            return False
        self.discard_draft()
        self.load()
        return True
