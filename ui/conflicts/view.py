"""Conflicts and rejections (冲突与退回): what the server did not take as this workstation sent it.

The upper table lists outbox entries the server rejected or merged, with the reason and
what the server kept (the local row as it is now). *Redo* performs the same mutation
again as a new mutation, after the user has checked or edited its arguments; *Dismiss*
hides the entry. The lower table lists conflict records of the user's townships: values
the server overwrote and rules that intervened, so nobody's edit vanishes silently.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.conflicts import (
    ConflictGroup,
    ConflictRow,
    RejectedRow,
    conflict_groups,
    rejected_rows,
)
from commandroom.timeutil import fmt_local
from ui import i18n, ui_state
from ui.async_runner import LatestTask, exec_dialog, run_db, run_read, store_events
from ui.common.id_model import IdTableModel
from ui.common.operations import ActionHostMixin, Operation

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store


class _ListModel(IdTableModel):
    """An id table over a small list loaded whole; rows whose content changed are repainted."""

    def __init__(self, parent: Any = None) -> None:
        self._by_id: dict[str, Any] = {}
        super().__init__(lambda ids: {i: self._by_id[i] for i in ids if i in self._by_id}, parent)

    def key(self, row: Any) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_rows(self, rows: list[Any]) -> None:
        old = self._by_id
        self._by_id = {self.key(r): r for r in rows}
        self.set_ids([self.key(r) for r in rows])
        self.invalidate([k for k, r in self._by_id.items() if k in old and old[k] != r])

    def row_by_id(self, row_id: str) -> Any:
        return self._by_id.get(row_id)


class RejectedModel(_ListModel):
    """Outbox entries the server rejected or merged."""

    def key(self, row: RejectedRow) -> str:
        return row.mutation_id

    def column_titles(self) -> list[str]:
        return [self.tr("Queued"), self.tr("Action"), self.tr("Object"), self.tr("Result"), self.tr("Reason"),
                self.tr("What the server kept")]

    def display(self, row: RejectedRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return fmt_local(row.created_at, "%m-%d %H:%M")
            if column == 1:
                return i18n.label(i18n.MUTATION_LABELS, row.name)
            if column == 2:
                return f"{i18n.label(i18n.ENTITY_LABELS, row.entity_type)} {row.record}".strip()
            if column == 3:
                return i18n.label(i18n.OUTBOX_STATE_LABELS, row.state)
            if column == 4:
                return row.reason or row.code
            if column == 5:
                return kept_text(row) or self.tr("(not on this workstation)")
        if role == Qt.ItemDataRole.ToolTipRole:
            return json.dumps(row.args, ensure_ascii=False, indent=1)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and row.state == "rejected":
            from PySide6.QtGui import QBrush, QColor

            return QBrush(QColor("#c0392b"))
        return None


class ConflictModel(_ListModel):
    """Conflict records grouped by record: one row per incident/card…, its fields and the people involved.

    A record with one conflict shows the kept and overwritten values; with several, the newest one's, and
    the tooltip lists them all.
    """

    def key(self, row: ConflictGroup) -> str:
        return row.key

    def column_titles(self) -> list[str]:
        return [self.tr("When"), self.tr("Record"), self.tr("Field"), self.tr("Kept"), self.tr("Overwritten"),
                self.tr("Rule"), self.tr("By"), self.tr("Explanation")]

    def display(self, row: ConflictGroup, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(self._line(c) for c in row.conflicts)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        latest = row.latest
        fields = list(dict.fromkeys(i18n.label(i18n.FIELD_LABELS, c.field) for c in row.conflicts))
        people = list(dict.fromkeys(c.by_user_name for c in row.conflicts if c.by_user_name))
        several = len(row.conflicts) > 1
        record = row.record or self.tr("(not on this workstation)")  # outside the f-string: lupdate reads it
        values = [
            fmt_local(latest.created_at, "%m-%d %H:%M"),
            f"{i18n.label(i18n.ENTITY_LABELS, row.entity_type)} {record}",
            "、".join(fields) + (self.tr(" ({n} conflicts)").format(n=len(row.conflicts)) if several else ""),
            _short(i18n.value_label(latest.entity_type, latest.field, latest.kept_value)),
            _short(i18n.value_label(latest.entity_type, latest.field, latest.lost_value)),
            i18n.label(i18n.RULE_LABELS, latest.rule),
            "、".join(people),
            latest.explanation,
        ]
        return values[column] if 0 <= column < len(values) else None

    def _line(self, c: ConflictRow) -> str:
        return self.tr("{when} {field}: kept {kept}, overwritten {lost} ({by})").format(
            when=fmt_local(c.created_at, "%m-%d %H:%M"), field=i18n.label(i18n.FIELD_LABELS, c.field),
            kept=_short(i18n.value_label(c.entity_type, c.field, c.kept_value)),
            lost=_short(i18n.value_label(c.entity_type, c.field, c.lost_value)), by=c.by_user_name)


def kept_text(row: RejectedRow) -> str:
    """'状态：不予受理 · 不予受理理由：… · 更新：11-26 12:04' for the row the server kept."""
    return " · ".join(
        QCoreApplication.translate("RejectedModel", "{field}: {value}").format(
            field=i18n.label(i18n.FIELD_LABELS, f), value=_short(i18n.value_label(row.entity_type, f, v)))
        for f, v in row.kept)


def _short(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


class RedoDialog(QDialog):
    """Check or edit the arguments of a rejected mutation before performing it again."""

    def __init__(self, row: RejectedRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        self.setWindowTitle(self.tr("Redo: {action}").format(action=i18n.label(i18n.MUTATION_LABELS, row.name)))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        why = QLabel(self.tr("The server said: {reason}").format(reason=row.reason or row.code or "—"))
        why.setWordWrap(True)
        layout.addWidget(why)
        if row.kept:
            kept = QLabel(self.tr("It kept: {kept}").format(kept=kept_text(row)))
            kept.setWordWrap(True)
            kept.setObjectName("Muted")
            layout.addWidget(kept)
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for key, value in row.args.items():
            edit = QLineEdit(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            edit.setProperty("json", not isinstance(value, str))
            self.edits[key] = edit
            form.addRow(key, edit)
        if not row.args:
            form.addRow(QLabel(self.tr("This action has no arguments.")))
        layout.addLayout(form)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Perform again"))
        buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self._on_confirm)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def args(self) -> dict[str, Any]:
        """The edited arguments (values that were not text are parsed back from JSON)."""
        out: dict[str, Any] = {}
        for key, edit in self.edits.items():
            text = edit.text()
            out[key] = json.loads(text) if edit.property("json") else text
        return out

    def _on_confirm(self) -> None:
        try:
            self.args()
        except json.JSONDecodeError as exc:
            self.error_label.setText(self.tr("A value is not valid: {problem}").format(problem=exc))
            self.error_label.show()
            return
        self.accept()


class ConflictsView(ActionHostMixin, QWidget):
    """The conflicts-and-rejections panel (see module docstring).

    Args:
        store: the workstation's DeskStore.
        actor: who redoes actions.
        township_codes: townships whose conflict records to show (None: all in the store).
    """

    count_did_change = Signal(int)

    def __init__(self, store: Store, actor: Actor, township_codes: list[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.township_codes = township_codes
        self.rejected_model = RejectedModel(self)
        self.conflict_model = ConflictModel(self)
        self._load_task = LatestTask("conflicts")
        self.action_task: asyncio.Task | None = None
        self.open_dialog: QDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        title = QLabel(self.tr("Rejected or merged by the server"))
        title.setObjectName("SectionTitle")
        layout.addWidget(title)
        hint = QLabel(self.tr("Your change was not applied as sent. Read the reason, then redo it (you may edit "
                              "it first) or dismiss it. Nothing is deleted: the journal keeps every entry."))
        hint.setWordWrap(True)
        hint.setObjectName("Muted")
        layout.addWidget(hint)

        self.rejected_table = self._table(self.rejected_model, stretch=5, widths=(96, 110, 300, 110, 360))
        self.rejected_table.setColumnWidth(4, 460)
        buttons = QHBoxLayout()
        self.redo_button = QPushButton(self.tr("Redo…"))
        self.redo_button.clicked.connect(self._on_redo_clicked)
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.clicked.connect(self._on_dismiss_clicked)
        self.empty_label = QLabel(self.tr("Nothing was rejected. Every change reached the server as sent."))
        self.empty_label.setObjectName("Muted")
        buttons.addWidget(self.redo_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.empty_label)
        buttons.addStretch(1)

        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(self.rejected_table)
        ul.addLayout(buttons)

        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        title2 = QLabel(self.tr("Overwritten values and rules that intervened"))
        title2.setObjectName("SectionTitle")
        ll.addWidget(title2)
        self.conflict_table = self._table(self.conflict_model, stretch=7, widths=(96, 300, 110, 150, 150, 110, 90))
        ll.addWidget(self.conflict_table)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        ui_state.remember_splitter(splitter, "conflicts")
        ui_state.remember_table(self.rejected_table, "conflicts-rejected")
        ui_state.remember_table(self.conflict_table, "conflicts-records")
        layout.addWidget(splitter, 1)

        self.rejected_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(60)
        self._debounce.timeout.connect(self.refresh)
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_buttons()

    @staticmethod
    def _table(model: Any, stretch: int, widths: tuple[int, ...]) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setMinimumSectionSize(60)
        for col, width in enumerate(widths):  # the record's name (number and title) gets room
            if col != stretch:
                table.setColumnWidth(col, width)
        return table

    # -- loading

    def load(self) -> None:
        """Load both lists now (first show)."""
        self._on_loaded((rejected_rows(self.store), conflict_groups(self.store, self.township_codes)))

    def refresh(self) -> asyncio.Task:
        def both(store: Store, codes: Any) -> tuple[list[RejectedRow], list[ConflictGroup]]:
            return rejected_rows(store), conflict_groups(store, codes)

        return self._load_task.start(run_read(both, self.store, self.township_codes), self._on_loaded)

    async def wait_idle(self) -> None:
        while self._debounce.isActive():  # noqa: ASYNC110 - a Qt timer has no asyncio event to await
            await asyncio.sleep(0.01)
        await self._load_task.wait()
        if self.action_task is not None:
            await self.action_task
        while self._debounce.isActive():  # noqa: ASYNC110 - a Qt timer has no asyncio event to await
            await asyncio.sleep(0.01)
        await self._load_task.wait()

    def _on_loaded(self, result: tuple[list[RejectedRow], list[ConflictGroup]]) -> None:
        rejected, conflicts = result
        self.rejected_model.set_rows(rejected)
        self.conflict_model.set_rows(conflicts)
        self.empty_label.setVisible(not rejected)
        self._update_buttons()
        self.count_did_change.emit(len(rejected))

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("local_outbox", "conflict_record") or (
                self.rejected_model.rowCount() and changes.rows):
            self._debounce.start()

    # -- actions

    def selected_rows(self) -> list[RejectedRow]:
        rows = sorted(i.row() for i in self.rejected_table.selectionModel().selectedRows())
        out = []
        for r in rows:
            rid = self.rejected_model.id_at(r)
            row = self.rejected_model.row_by_id(rid) if rid else None
            if row is not None:
                out.append(row)
        return out

    def _update_buttons(self, *_: Any) -> None:
        selected = self.selected_rows()
        self.redo_button.setEnabled(len(selected) == 1)
        self.dismiss_button.setEnabled(bool(selected))

    def _on_redo_clicked(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            self.start_action(self.redo(rows[0]))

    def _on_dismiss_clicked(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.start_action(self.dismiss([r.mutation_id for r in rows]))

    async def redo(self, row: RejectedRow, *, ask: bool = True) -> None:
        """Perform ``row``'s mutation again (as a new mutation), then dismiss the old entry."""
        args = dict(row.args)
        if ask:
            dialog = RedoDialog(row, self)
            self.open_dialog = dialog
            if await exec_dialog(dialog) != QDialog.DialogCode.Accepted:
                return
            args = dialog.args()
        entity_id = row.redo_entity_id or row.entity_id  # a record that lost a race: redo it on the winner
        # A mutation that creates its row needs a fresh id: the rejected one may exist on the server now.
        from commandroom.mutations.core import get_spec

        if get_spec(row.name).creates:
            entity_id = new_id()
        if await Operation(self, self.store, self.actor, row.name, entity_id, args).run() is None:
            return
        await run_db(self.store.dismiss, row.mutation_id)

    async def dismiss(self, mutation_ids: list[str]) -> None:
        for mutation_id in mutation_ids:
            await run_db(self.store.dismiss, mutation_id)
