"""Reads and the Excel export behind the assessment screen (考核). Qt-free core code.

The figures are :mod:`commandroom.services.assessment`'s, unchanged: the four dimensions
per cadre and month (岗位赋分 + 模块评分 + 组团积分 + 专班计分, the reverse veto), the
two-way indicators (乡镇评部门 / 部门评乡镇) and the grid workers' figures. This module adds
who belongs to which module (so cadres without a score yet are listed and can be scored)
and writes :func:`~commandroom.services.assessment.export_rows` to an .xlsx file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from commandroom.domain.models import Module, Township
from commandroom.services import assessment as svc
from commandroom.store.protocol import ReadStore
from commandroom.timeutil import to_local


def months(now: datetime, n: int = 12) -> list[str]:
    """``YYYY-MM`` of the last ``n`` months, newest first, starting with the current month (Shanghai)."""
    local = to_local(now)
    year, month = local.year, local.month
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out


@dataclass(frozen=True)
class Membership:
    module_id: str
    module_name: str
    lead_user_id: str | None
    dispatched: bool
    department: str


@dataclass
class CadreRow:
    """One cadre's month: the service's :class:`~commandroom.services.assessment.CadreScore` and modules."""

    id: str  # subject_code
    score: svc.CadreScore
    memberships: list[Membership] = field(default_factory=list)

    @property
    def dispatched(self) -> bool:
        return any(m.dispatched for m in self.memberships)

    @property
    def module_names(self) -> str:
        return "、".join(dict.fromkeys(m.module_name for m in self.memberships))


@dataclass
class AssessmentData:
    month: str
    township_code: str | None
    cadres: list[CadreRow]
    departments: list[svc.DepartmentIndicators]
    townships: list[svc.TownshipIndicators]
    grid_workers: list[svc.GridWorkerStats]


def townships(store: ReadStore) -> list[tuple[str, str]]:
    with store.read() as session:
        return [(t.code, t.short_name) for t in session.scalars(select(Township).order_by(Township.code))]


def load_assessment(store: ReadStore, month: str, now: datetime, township_code: str | None) -> AssessmentData:
    """Everything the assessment screen shows for ``month`` in ``township_code`` (None: the county)."""
    with store.read() as session:
        scores = svc.four_dimension(session, month, township_code=township_code)
        by_code = {s.subject_code: CadreRow(s.subject_code, s) for s in scores}
        q = select(Module).where(Module.deleted.is_(False))
        if township_code:
            q = q.where(Module.township_code == township_code)
        for mod in session.scalars(q.order_by(Module.sort_order, Module.name)):
            people = [{"name": mod.lead_name, "user_id": mod.lead_user_id, "dispatched": False, "department": ""}]
            people += list(mod.members or [])
            for m in people:
                code = m.get("user_id") or m.get("name")
                if not code:
                    continue
                row = by_code.get(code)
                if row is None:
                    row = by_code[code] = CadreRow(code, svc.CadreScore(code, m.get("name") or code))
                row.memberships.append(Membership(mod.id, mod.name, mod.lead_user_id, bool(m.get("dispatched")),
                                                  str(m.get("department") or "")))
        cadres = sorted(by_code.values(), key=lambda r: (-r.score.total, r.score.name, r.id))
        return AssessmentData(
            month, township_code, cadres,
            svc.department_indicators(session, month, now, township_code=township_code),
            svc.township_indicators(session, month, township_code=township_code),
            svc.grid_worker_stats(session, month, township_code=township_code),
        )


def export_xlsx(store: ReadStore, month: str, now: datetime, township_code: str | None, path: str | Path) -> Path:
    """Write the month's assessment (:func:`~commandroom.services.assessment.export_rows`) to ``path``.

    One sheet per table; rates are written as percentages, the header row is bold and frozen.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    with store.read() as session:
        sheets = svc.export_rows(session, month, now, township_code=township_code)
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if r == 1:
                    cell.font = Font(bold=True)
                elif isinstance(value, float) and any(k in str(rows[0][c - 1]) for k in ("率", "占比")):
                    cell.number_format = "0.0%"
        ws.freeze_panes = "A2"
        for c, title in enumerate(rows[0] if rows else [], start=1):
            width = max([len(str(title)) * 2] + [len(str(row[c - 1])) for row in rows[1:] if c - 1 < len(row)])
            ws.column_dimensions[get_column_letter(c)].width = min(60, max(8, width + 2))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
