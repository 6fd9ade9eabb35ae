"""The arbitration queue's table: one row per dispute, with both sides and the working time left."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor

from commandroom.queries.disputes import DisputeRow
from commandroom.timeutil import fmt_local
from ui.common.row_model import Column, RowTableModel

DISPLAY = Qt.ItemDataRole.DisplayRole


def time_left_text(row: DisputeRow) -> str:
    """剩余 1 个工作日 3 小时 / 已超时 2 小时, in the reader's language."""
    if row.state == "decided":
        return QCoreApplication.translate("Arbitration", "Decided")
    m = abs(round(row.minutes_left))
    days, rest = divmod(m, 420)
    hours, mins = divmod(rest, 60)
    if days:
        amount = QCoreApplication.translate("Arbitration", "{days} working days {hours} h").format(days=days,
                                                                                                  hours=hours)
    elif hours:
        amount = QCoreApplication.translate("Arbitration", "{hours} h {mins} min").format(hours=hours, mins=mins)
    else:
        amount = QCoreApplication.translate("Arbitration", "{mins} min").format(mins=mins)
    if row.minutes_left < 0:
        return QCoreApplication.translate("Arbitration", "Overdue by {amount}").format(amount=amount)
    return QCoreApplication.translate("Arbitration", "{amount} left").format(amount=amount)


def state_text(row: DisputeRow) -> str:
    return {
        "open": QCoreApplication.translate("Arbitration", "Awaiting decision"),
        "escalated": QCoreApplication.translate("Arbitration", "Overdue, escalated"),
        "decided": QCoreApplication.translate("Arbitration", "Decided"),
    }.get(row.state, row.state)


def side_text(side: str) -> str:
    return (QCoreApplication.translate("Arbitration", "Township") if side == "township"
            else QCoreApplication.translate("Arbitration", "Department"))


class DisputeModel(RowTableModel):
    """Incident · township · department · who contests · township's reason · department's reason ·
    counter-proposal · time left · state."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("Incident"), self._text(lambda r: f"{r.incident_number} {r.incident_title}".strip())),
            (self.tr("Township"), self._text(lambda r: r.township_name)),
            (self.tr("Department"), self._text(lambda r: r.department_name)),
            (self.tr("Contested by"), self._text(lambda r: side_text(r.opened_by_side))),
            (self.tr("Township's reason"), self._text(lambda r: r.township_reason)),
            (self.tr("Department's reason"), self._text(lambda r: r.department_reason)),
            (self.tr("Counter-proposal"), self._text(lambda r: r.counter_proposal)),
            (self.tr("Decide by"), self._text(lambda r: fmt_local(r.due_at))),
            (self.tr("Time left"), self._time_left),
            (self.tr("State"), self._text(state_text)),
        ]

    @staticmethod
    def _text(fn: Any) -> Any:
        def cell(row: DisputeRow, role: int) -> Any:
            if role in (DISPLAY, Qt.ItemDataRole.ToolTipRole):
                return fn(row)
            return None
        return cell

    @staticmethod
    def _time_left(row: DisputeRow, role: int) -> Any:
        if role == DISPLAY:
            return time_left_text(row)
        if role == Qt.ItemDataRole.ForegroundRole and row.state != "decided":
            if row.overdue:
                return QColor("#c0392b")
            if row.minutes_left < 120:
                return QColor("#d35400")
        return None
