"""Models of the boards, "my tasks" and linked command (all over ids, rows cached by id).

* the models here are :class:`~ui.common.row_model.RowTableModel` s (rows loaded whole by a
  core query, shown through an id model);
* :class:`CardColumnModel` — one cell of a board (a column, or a column of one swimlane):
  a one-column id model the column's :class:`QListView` shows through the card delegate,
  with drag and drop. A drop never changes the model itself; it emits
  ``move_requested(card_id, column, lane, row)`` and the board performs ``card.move`` on
  the writer; the store's change event then moves the card in every view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from commandroom.queries.boards import CardRow, CheckinRow
from commandroom.timeutil import fmt_local
from ui.boards import labels
from ui.common.id_model import IdRole
from ui.common.row_model import Column, RowRole, RowTableModel

CardRole = RowRole
"""``data(index, CardRole)`` is the row object (:class:`~commandroom.queries.boards.CardRow` …)."""

CARD_MIME = "application/x-commandroom-card"


# --------------------------------------------------------------------------- board cells


class CardColumnModel(RowTableModel):
    """One cell of a board: the cards of ``column`` (in swimlane ``lane``), top to bottom.

    Drag: the mime data carries the card id. Drop: ``move_requested(card_id, column, lane, row)``
    with ``row`` the insertion row in this cell (``rowCount()`` = the end).
    """

    move_requested = Signal(str, str, str, int)

    def __init__(self, column: str, lane: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.column = column
        self.lane = lane

    def columns(self) -> list[Column]:
        return [(self.tr("Card"), self._cell)]

    def _cell(self, row: CardRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return card_tooltip(row)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.title} {row.assignee}"
        return None

    # -- drag and drop

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            # the empty area of the cell accepts drops (at the end)
            return Qt.ItemFlag.ItemIsDropEnabled
        # cards drag; dropping *onto* a card inserts before it (the view's drop indicator)
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [CARD_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        data = QMimeData()
        ids = [self.data(i, IdRole) for i in indexes if i.isValid()]
        if ids:
            data.setData(CARD_MIME, QByteArray(ids[0].encode("utf-8")))
        return data

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: QModelIndex | QPersistentModelIndex) -> bool:
        return data is not None and data.hasFormat(CARD_MIME) and action in (Qt.DropAction.MoveAction,
                                                                               Qt.DropAction.CopyAction)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        card_id = bytes(data.data(CARD_MIME).data()).decode("utf-8")
        if not card_id:
            return False
        if parent.isValid():
            row = parent.row()
        if row < 0 or row > self.rowCount():
            row = self.rowCount()
        # The card moves when the store says so (every view reloads from the change event);
        # nothing is inserted here, and the source view's removeRows() is a no-op (not implemented).
        self.move_requested.emit(card_id, self.column, self.lane, row)
        return True


def card_tooltip(row: CardRow) -> str:
    lines = [row.title]
    if row.body:
        lines.append(row.body)
    meta = []
    if row.assignee:
        meta.append(QCoreApplication.translate("Boards", "Assignee: {name}").format(name=row.assignee))
    if row.due_at is not None:
        meta.append(QCoreApplication.translate("Boards", "Due {when}").format(when=fmt_local(row.due_at, "%m-%d %H:%M")))
    meta.append(QCoreApplication.translate("Boards", "{days} days in this column").format(days=f"{row.age_days:.0f}"))
    lines.append(" · ".join(meta))
    if row.incident_label:
        lines.append(QCoreApplication.translate("Boards", "Incident {label}").format(label=row.incident_label))
    if row.case_label:
        lines.append(QCoreApplication.translate("Boards", "One-thing case {label}").format(label=row.case_label))
    for n in row.notices:
        lines.append("⚠ " + n.explanation)
    return "\n".join(lines)


# --------------------------------------------------------------------------- my tasks


class MyTasksModel(RowTableModel):
    """Cards assigned to one person across the boards: overdue first."""

    def __init__(self, clock: Callable[[], datetime], parent: Any = None) -> None:
        super().__init__(parent)
        self.clock = clock

    def columns(self) -> list[Column]:
        return [
            (self.tr("Card"), self._title),
            (self.tr("Module"), lambda r, role: r.module_name if role == Qt.ItemDataRole.DisplayRole else None),
            (self.tr("Column"), lambda r, role: labels.column_label(r.column)
             if role == Qt.ItemDataRole.DisplayRole else None),
            (self.tr("Due"), self._due),
            (self.tr("Days in column"), lambda r, role: f"{r.age_days:.1f}"
             if role == Qt.ItemDataRole.DisplayRole else None),
            (self.tr("Linked"), lambda r, role: (r.incident_label or r.case_label)
             if role == Qt.ItemDataRole.DisplayRole else None),
        ]

    def _title(self, r: CardRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return ("⚠ " if r.has_conflict else "") + r.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return card_tooltip(r)
        return None

    def _due(self, r: CardRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if r.due_at is None:
                return ""
            text = fmt_local(r.due_at, "%m-%d %H:%M")
            return QCoreApplication.translate("Boards", "{when} (overdue)").format(when=text) if r.overdue else text
        if role == Qt.ItemDataRole.ForegroundRole and r.overdue:
            return QColor("#c0392b")
        return None


# --------------------------------------------------------------------------- linked command


class CheckinModel(RowTableModel):
    """Check-ins of linked command: who was summoned, by when, the countdown, the escalation badge."""

    def __init__(self, clock: Callable[[], datetime], *, show_source: bool = True, parent: Any = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.show_source = show_source  # False: the compact form of the card pane (no source, no due column)

    def columns(self) -> list[Column]:
        cols: list[Column] = []
        if self.show_source:
            cols.append((self.tr("Summoned for"), self._source))
        cols.append((self.tr("Summoned"), self._target))
        if self.show_source:
            cols.append((self.tr("Check in by"), lambda r, role: fmt_local(r.due_at, "%m-%d %H:%M")
                         if role == Qt.ItemDataRole.DisplayRole else None))
        cols.append((self.tr("Countdown"), self._countdown))
        if self.show_source:
            cols.append((self.tr("Checked in"), self._checked))
        cols.append((self.tr("Escalation"), self._escalation))
        return cols

    def _source(self, r: CheckinRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{labels.source_label(r.source)} · {r.source_label}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.note or None
        return None

    def _target(self, r: CheckinRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return r.target_name
        if role == Qt.ItemDataRole.ToolTipRole:
            return labels.target_kind_label(r.target_kind)
        return None

    def _countdown(self, r: CheckinRow, role: int) -> Any:
        now = self.clock()
        outcome = r.outcome
        if r.checked_in_at is None and outcome == "waiting" and now > r.due_at:
            outcome = "missed"  # the clock ran out since the load
        if role == Qt.ItemDataRole.DisplayRole:
            return labels.countdown(r.due_at, r.checked_in_at, now)
        if role == Qt.ItemDataRole.ToolTipRole:
            return QCoreApplication.translate("Boards", "Check in by {when}").format(when=fmt_local(r.due_at))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor({"missed": "#c0392b", "late": "#b9770e", "on_time": "#1e7b34"}.get(outcome, "#1d232b"))
        if role == Qt.ItemDataRole.FontRole and outcome == "missed":
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None

    def _checked(self, r: CheckinRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if r.checked_in_at is None:
                return labels.outcome_label("missed" if self.clock() > r.due_at else "waiting")
            return f"{fmt_local(r.checked_in_at, '%m-%d %H:%M')} {labels.outcome_label(r.outcome)}"
        return None

    def _escalation(self, r: CheckinRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            text = labels.escalation_label(r.escalation_level) if r.escalation_level != "none" else ""
            if r.needs_escalation:
                hint = QCoreApplication.translate("Boards", "due: {level}").format(level=labels.escalation_label(r.suggested_level))
                text = f"{text} ({hint})" if text else hint
            return text
        if role == Qt.ItemDataRole.BackgroundRole and r.escalation_level != "none":
            return QColor(labels.ESCALATION_COLOURS.get(r.escalation_level, "#eef1f5"))
        if role == Qt.ItemDataRole.ForegroundRole and r.escalation_level != "none":
            return QColor("#ffffff")
        return None
