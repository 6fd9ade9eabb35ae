"""Models of the assessment screen: four dimensions per cadre, the two-way indicators, grid workers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from commandroom.queries.assessment import CadreRow
from ui.common.row_model import Column, RowTableModel

DISPLAY = Qt.ItemDataRole.DisplayRole
ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _numeric(fn: Any) -> Any:
    """A cell function that right-aligns its value."""
    def cell(row: Any, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return ALIGN_RIGHT
        return fn(row) if role == DISPLAY else None
    return cell


class FourDimensionModel(RowTableModel):
    """岗位赋分 + 模块评分 + 组团积分 + 专班计分 = 合计, with the reverse veto, per cadre."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("Cadre"), self._name),
            (self.tr("Modules"), lambda r, role: r.module_names if role == DISPLAY else None),
            (self.tr("Post (admin)"), _numeric(lambda r: num(r.score.post))),
            (self.tr("Module (lead)"), self._module),
            (self.tr("Cluster (cards)"), _numeric(lambda r: num(r.score.cluster))),
            (self.tr("Task force (case steps)"), _numeric(lambda r: num(r.score.task_force))),
            (self.tr("Total"), self._total),
            (self.tr("Reverse veto"), self._veto),
        ]

    def _name(self, r: CadreRow, role: int) -> Any:
        if role == DISPLAY:
            return r.score.name + (self.tr(" (dispatched)") if r.dispatched else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.score.explain()
        return None

    def _module(self, r: CadreRow, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return ALIGN_RIGHT
        if role == DISPLAY:
            text = num(r.score.module)
            if len(r.score.module_ratings) > 1:
                text += self.tr(" (mean of {n})").format(n=len(r.score.module_ratings))
            return text
        return None

    def _total(self, r: CadreRow, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return ALIGN_RIGHT
        if role == DISPLAY:
            return num(r.score.total)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            font.setStrikeOut(r.score.vetoed)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.score.explain()
        return None

    def _veto(self, r: CadreRow, role: int) -> Any:
        if not r.score.vetoed:
            return None
        if role == DISPLAY:
            return self.tr("Vetoed: {reason}").format(reason="；".join(r.score.vetoes))
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor("#f9d3cf")
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#9b1c1c")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Not eligible for awards this month")
        return None


class DepartmentIndicatorModel(RowTableModel):
    """乡镇评部门: check-in timeliness, on-time closure, returns, acceptance time."""

    def key(self, row: Any) -> str:
        return row.code

    def columns(self) -> list[Column]:
        return [
            (self.tr("Department"), lambda r, role: r.name if role == DISPLAY else None),
            (self.tr("Check-ins due"), _numeric(lambda r: str(r.checkins_due))),
            (self.tr("On time / late / missed"), _numeric(
                lambda r: f"{r.checkins_on_time} / {r.checkins_late} / {r.checkins_missed}")),
            (self.tr("Check-in on time"), _numeric(lambda r: pct(r.checkin_on_time_rate))),
            (self.tr("Led incidents closed"), _numeric(lambda r: str(r.led_closed))),
            (self.tr("Closed on time"), _numeric(lambda r: pct(r.on_time_closure_rate))),
            (self.tr("Dispatched / returned"), _numeric(lambda r: f"{r.dispatched} / {r.returned}")),
            (self.tr("Return rate"), _numeric(lambda r: pct(r.return_rate))),
            (self.tr("Acceptance median (min)"), _numeric(lambda r: num(r.ack_median_min))),
            (self.tr("Acceptance P90 (min)"), _numeric(lambda r: num(r.ack_p90_min))),
        ]


class TownshipIndicatorModel(RowTableModel):
    """部门评乡镇: dispatches returned, verification time, summons, one-thing cases."""

    def key(self, row: Any) -> str:
        return row.code

    def columns(self) -> list[Column]:
        return [
            (self.tr("Township"), lambda r, role: r.name if role == DISPLAY else None),
            (self.tr("Sent to departments"), _numeric(lambda r: str(r.dispatched_to_departments))),
            (self.tr("Returned"), _numeric(lambda r: str(r.returned))),
            (self.tr("Return rate"), _numeric(lambda r: pct(r.return_rate))),
            (self.tr("Verification median (h)"), _numeric(lambda r: num(r.verification_median_hours))),
            (self.tr("Summons"), _numeric(lambda r: str(r.summons))),
            (self.tr("Cases ordered"), _numeric(lambda r: str(r.cases_ordered))),
            (self.tr("Cases completed (on time)"), _numeric(
                lambda r: f"{r.cases_completed} ({r.cases_completed_on_time})")),
            (self.tr("Cases on time"), _numeric(lambda r: pct(r.case_on_time_rate))),
            (self.tr("Closed"), _numeric(lambda r: str(r.closures))),
            (self.tr("Closed by override"), _numeric(lambda r: str(r.closure_overrides))),
            (self.tr("Closures rejected"), _numeric(lambda r: str(r.closures_rejected))),
        ]


class GridWorkerModel(RowTableModel):
    """Per grid worker: reports made, share accepted / merged / rejected, verification turnaround."""

    def key(self, row: Any) -> str:
        return f"{row.township_code}:{row.key}"

    def columns(self) -> list[Column]:
        return [
            (self.tr("Grid worker"), lambda r, role: r.name if role == DISPLAY else None),
            (self.tr("Reports"), _numeric(lambda r: str(r.made))),
            (self.tr("Accepted"), _numeric(lambda r: f"{r.accepted} ({pct(r.accepted_share)})")),
            (self.tr("Merged"), _numeric(lambda r: f"{r.merged} ({pct(r.merged_share)})")),
            (self.tr("Rejected"), _numeric(lambda r: f"{r.rejected} ({pct(r.rejected_share)})")),
            (self.tr("Pending"), _numeric(lambda r: str(r.pending))),
            (self.tr("Triage median (min)"), _numeric(lambda r: num(r.triage_median_min))),
        ]
