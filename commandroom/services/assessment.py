"""Assessment (考核) computed from the data: four dimensions, two-way indicators, grid workers.

Four-dimension assessment (四维考核) of a cadre for one month (Shanghai calendar month)
-----------------------------------------------------------------------------------

``total = 岗位赋分 + 模块评分 + 组团积分 + 专班计分``

* **岗位赋分 (post)** — set by an admin with ``assessment.set_post`` (0–100).
* **模块评分 (module)** — set by each module lead with ``assessment.rate_module``
  (0–100); a cadre rated by several modules gets the mean.
* **组团积分 (cluster)** — work done on the module boards: every card assigned to
  the cadre that entered 已办结 during the month scores **2** if it was done by its
  due time (or has none), **1** if done late.
* **专班计分 (task force)** — work done in one-thing cases (专班): every case step the
  cadre completed during the month scores **2** if completed by the case's
  deadline, **1** if after it.
* **反向否决 (veto)** — the township's reverse veto of a dispatched cadre
  (``assessment.veto``, with a reason). The points stay visible, but the cadre is
  marked 否决 and is not eligible for 评优评先 that month.

A cadre is identified by ``subject_code``: the account id when there is one,
else the name (cards use ``assignee_user_id`` or ``assignee_name``, steps
``done_by_user_id`` or ``done_by``).

Two-way assessment (双向考核), per month
--------------------------------------

Township → department (:func:`department_indicators`):

* check-in timeliness: of the department's check-ins due in the month,
  ``on_time / (on_time + late + missed)`` (waiting ones not yet due are left out);
* on-time closure: of incidents the department leads closed in the month,
  the share closed by ``close_due`` (no due = on time);
* returns: of dispatches to the department assigned in the month, how many it
  returned (退回), and the share;
* acceptance time: minutes from dispatch to the department's acknowledgement
  (median and nearest-rank p90).

Department → township (:func:`township_indicators`): dispatches the township sent
to departments and how many came back (a return suggests mis-routing or a thin
file), the verification turnaround (hours from 提交核查 to 核查通过/办结), summons
issued, and one-thing cases ordered / completed on time.

Grid workers (:func:`grid_worker_stats`): grid-patrol reports (no other source) made in the month, accepted,
merged as duplicate, rejected (each with its share of the reports made), and the
verification turnaround (minutes from report to triage; median).

:func:`export_rows` returns all of it as plain rows for a spreadsheet.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import (
    AssessmentDimension,
    CardColumn,
    CaseState,
    DispatchTarget,
    ReportSource,
    ReportState,
)
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import (
    AssessmentRecord,
    CaseCheckin,
    CaseStep,
    Department,
    Dispatch,
    Incident,
    OneThingCase,
    Report,
    TaskCard,
    TimelineEntry,
    Township,
)
from commandroom.services.cases import checkin_outcome
from commandroom.services.teams import percentile, stable_id
from commandroom.timeutil import local_to_utc

VETO = "veto"
NOMINATION = "nomination"  # 推荐提名: a recorded act, no points
ON_TIME_POINTS = 2
LATE_POINTS = 1


def month_range(month: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of a Shanghai calendar month ``YYYY-MM``."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        start = date(year, mon, 1)
    except (ValueError, TypeError):
        raise ValidationError("month", f"'{month}' is not a month YYYY-MM") from None
    end = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return (local_to_utc(datetime.combine(start, datetime.min.time())),
            local_to_utc(datetime.combine(end, datetime.min.time())))


def record_id(township_code: str, month: str, subject_code: str, dimension: str,
              module_id: str | None = None) -> str:
    """The id of an assessment record: one per township, month, cadre, dimension (and rating module)."""
    return stable_id("assessment", township_code, month, subject_code, dimension, module_id or "")


def _in(dt: datetime | None, rng: tuple[datetime, datetime]) -> bool:
    return dt is not None and rng[0] <= dt < rng[1]


def _rate(n: int, d: int) -> float | None:
    return None if d == 0 else round(n / d, 4)


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 2) if xs else None


def _p90(xs: list[float]) -> float | None:
    v = percentile(xs, 90)
    return None if v is None else round(v, 2)


# --------------------------------------------------------------------------- four dimensions


@dataclass
class CadreScore:
    subject_code: str
    name: str
    post: float = 0.0
    module_ratings: list[float] = field(default_factory=list)
    cards_on_time: int = 0
    cards_late: int = 0
    steps_on_time: int = 0
    steps_late: int = 0
    vetoes: list[str] = field(default_factory=list)

    @property
    def module(self) -> float:
        return round(sum(self.module_ratings) / len(self.module_ratings), 2) if self.module_ratings else 0.0

    @property
    def cluster(self) -> float:
        return float(ON_TIME_POINTS * self.cards_on_time + LATE_POINTS * self.cards_late)

    @property
    def task_force(self) -> float:
        return float(ON_TIME_POINTS * self.steps_on_time + LATE_POINTS * self.steps_late)

    @property
    def total(self) -> float:
        return round(self.post + self.module + self.cluster + self.task_force, 2)

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    @property
    def eligible(self) -> bool:
        """Eligible for 评优评先 (not vetoed)."""
        return not self.vetoed

    def explain(self) -> str:
        """The arithmetic in words, for the score's tooltip."""
        parts = [f"岗位赋分 {self.post:g}"]
        if self.module_ratings:
            parts.append(f"模块评分 {self.module:g}（{len(self.module_ratings)} 个模块平均）")
        else:
            parts.append("模块评分 0")
        parts.append(f"组团积分 {self.cluster:g}（按时完成卡片 {self.cards_on_time}×{ON_TIME_POINTS} + "
                     f"超时 {self.cards_late}×{LATE_POINTS}）")
        parts.append(f"专班计分 {self.task_force:g}（按时完成步骤 {self.steps_on_time}×{ON_TIME_POINTS} + "
                     f"超时 {self.steps_late}×{LATE_POINTS}）")
        text = " + ".join(parts) + f" = {self.total:g}"
        if self.vetoed:
            text += "；已被反向否决：" + "；".join(self.vetoes)
        return text


def four_dimension(session: Session, month: str, *, township_code: str | None = None) -> list[CadreScore]:
    """Every cadre with a record or completed work in the month, by total (desc), then name."""
    rng = month_range(month)
    scores: dict[str, CadreScore] = {}

    def get(code: str, name: str) -> CadreScore:
        s = scores.get(code)
        if s is None:
            s = scores[code] = CadreScore(code, name or code)
        elif name and s.name == s.subject_code:
            s.name = name
        return s

    q = select(AssessmentRecord).where(AssessmentRecord.month == month, AssessmentRecord.deleted.is_(False),
                                       AssessmentRecord.subject_kind == "cadre")
    if township_code:
        q = q.where(AssessmentRecord.township_code == township_code)
    for r in session.scalars(q.order_by(AssessmentRecord.id)):
        if r.dimension == NOMINATION:
            continue  # recorded, not scored
        s = get(r.subject_code, r.subject_name)
        if r.dimension == AssessmentDimension.POST:
            s.post = float(r.points)
        elif r.dimension == AssessmentDimension.MODULE:
            s.module_ratings.append(float(r.points))
        elif r.dimension == VETO:
            s.vetoes.append(r.note)

    q = select(TaskCard).where(TaskCard.deleted.is_(False), TaskCard.column == CardColumn.DONE.value,
                               TaskCard.column_changed_at >= rng[0], TaskCard.column_changed_at < rng[1])
    if township_code:
        q = q.where(TaskCard.township_code == township_code)
    for c in session.scalars(q.order_by(TaskCard.id)):
        code = c.assignee_user_id or c.assignee_name
        if not code:
            continue
        s = get(code, c.assignee_name)
        if c.due_at is None or c.column_changed_at <= c.due_at:
            s.cards_on_time += 1
        else:
            s.cards_late += 1

    q = select(CaseStep, OneThingCase).join(OneThingCase, OneThingCase.id == CaseStep.case_id).where(
        CaseStep.deleted.is_(False), CaseStep.done.is_(True), CaseStep.done_at >= rng[0], CaseStep.done_at < rng[1]
    )
    if township_code:
        q = q.where(CaseStep.township_code == township_code)
    for step, case in session.execute(q.order_by(CaseStep.id)):
        code = step.done_by_user_id or step.done_by
        if not code:
            continue
        s = get(code, step.done_by)
        if step.done_at <= case.due_at:
            s.steps_on_time += 1
        else:
            s.steps_late += 1
    return sorted(scores.values(), key=lambda s: (-s.total, s.name, s.subject_code))


# --------------------------------------------------------------------------- two-way indicators


@dataclass
class DepartmentIndicators:
    code: str
    name: str
    checkins_on_time: int = 0
    checkins_late: int = 0
    checkins_missed: int = 0
    led_closed: int = 0
    led_closed_on_time: int = 0
    dispatched: int = 0
    returned: int = 0
    ack_minutes: list[float] = field(default_factory=list)

    @property
    def checkins_due(self) -> int:
        return self.checkins_on_time + self.checkins_late + self.checkins_missed

    @property
    def checkin_on_time_rate(self) -> float | None:
        return _rate(self.checkins_on_time, self.checkins_due)

    @property
    def on_time_closure_rate(self) -> float | None:
        return _rate(self.led_closed_on_time, self.led_closed)

    @property
    def return_rate(self) -> float | None:
        return _rate(self.returned, self.dispatched)

    @property
    def ack_median_min(self) -> float | None:
        return _median(self.ack_minutes)

    @property
    def ack_p90_min(self) -> float | None:
        return _p90(self.ack_minutes)


def _returned_dispatch_ids(session: Session, township_code: str | None = None) -> set[str]:
    q = select(TimelineEntry).where(TimelineEntry.action == "return", TimelineEntry.deleted.is_(False))
    if township_code:
        q = q.where(TimelineEntry.township_code == township_code)
    out: set[str] = set()
    for t in session.scalars(q):
        out.update((t.data or {}).get("cancelled_dispatches") or [])
    return out


def department_indicators(session: Session, month: str, now: datetime, *,
                          township_code: str | None = None) -> list[DepartmentIndicators]:
    """How each county department served the township(s) in the month (module doc)."""
    rng = month_range(month)
    names = {d.code: d.short_name for d in session.scalars(select(Department))}
    acc: dict[str, DepartmentIndicators] = {}

    def get(code: str) -> DepartmentIndicators:
        if code not in acc:
            acc[code] = DepartmentIndicators(code, names.get(code, code))
        return acc[code]

    q = select(CaseCheckin).where(CaseCheckin.deleted.is_(False), CaseCheckin.target_kind == "department",
                                  CaseCheckin.due_at >= rng[0], CaseCheckin.due_at < rng[1])
    if township_code:
        q = q.where(CaseCheckin.township_code == township_code)
    for c in session.scalars(q):
        outcome = checkin_outcome(c, now)
        d = get(c.target_code)
        if outcome == "on_time":
            d.checkins_on_time += 1
        elif outcome == "late":
            d.checkins_late += 1
        elif outcome == "missed":
            d.checkins_missed += 1

    q = select(Incident).where(Incident.deleted.is_(False), Incident.lead_department_code.is_not(None),
                               Incident.closed_at >= rng[0], Incident.closed_at < rng[1])
    if township_code:
        q = q.where(Incident.township_code == township_code)
    for inc in session.scalars(q):
        d = get(inc.lead_department_code)
        d.led_closed += 1
        if inc.close_due is None or inc.closed_at <= inc.close_due:
            d.led_closed_on_time += 1

    returned = _returned_dispatch_ids(session, township_code)
    q = select(Dispatch).where(Dispatch.deleted.is_(False), Dispatch.target_kind == DispatchTarget.DEPARTMENT.value,
                               Dispatch.assigned_at >= rng[0], Dispatch.assigned_at < rng[1])
    if township_code:
        q = q.where(Dispatch.township_code == township_code)
    for disp in session.scalars(q):
        d = get(disp.target_code)
        d.dispatched += 1
        if disp.id in returned:
            d.returned += 1
        if disp.acknowledged_at is not None and disp.acknowledged_at >= disp.assigned_at:
            d.ack_minutes.append((disp.acknowledged_at - disp.assigned_at).total_seconds() / 60.0)
    return [acc[k] for k in sorted(acc)]


@dataclass
class TownshipIndicators:
    code: str
    name: str
    dispatched_to_departments: int = 0
    returned: int = 0
    verification_hours: list[float] = field(default_factory=list)
    summons: int = 0
    cases_ordered: int = 0
    cases_completed: int = 0
    cases_completed_on_time: int = 0
    closures: int = 0  # incidents closed in the month (结案 or 核查通过)
    closure_overrides: int = 0  # of them, closed by the room without what the closure rule asks (stated reason)
    closures_rejected: int = 0  # closures a verifier sent back (核查不通过)

    @property
    def return_rate(self) -> float | None:
        return _rate(self.returned, self.dispatched_to_departments)

    @property
    def override_rate(self) -> float | None:
        return _rate(self.closure_overrides, self.closures)

    @property
    def verification_median_hours(self) -> float | None:
        return _median(self.verification_hours)

    @property
    def case_on_time_rate(self) -> float | None:
        return _rate(self.cases_completed_on_time, self.cases_completed)


def township_indicators(session: Session, month: str, *, township_code: str | None = None) -> list[TownshipIndicators]:
    """How each township worked with the departments in the month (module doc)."""
    rng = month_range(month)
    names = {t.code: t.short_name for t in session.scalars(select(Township))}
    acc: dict[str, TownshipIndicators] = {}

    def get(code: str) -> TownshipIndicators:
        if code not in acc:
            acc[code] = TownshipIndicators(code, names.get(code, code))
        return acc[code]

    returned = _returned_dispatch_ids(session, township_code)
    q = select(Dispatch).where(Dispatch.deleted.is_(False), Dispatch.target_kind == DispatchTarget.DEPARTMENT.value,
                               Dispatch.assigned_at >= rng[0], Dispatch.assigned_at < rng[1])
    if township_code:
        q = q.where(Dispatch.township_code == township_code)
    for disp in session.scalars(q):
        t = get(disp.township_code)
        t.dispatched_to_departments += 1
        if disp.id in returned:
            t.returned += 1

    q = select(TimelineEntry).where(TimelineEntry.deleted.is_(False),
                                    TimelineEntry.action.in_(["submit", "verify_pass", "close", "verify_fail",
                                                              "reject_closure"]))
    if township_code:
        q = q.where(TimelineEntry.township_code == township_code)
    by_incident: dict[str, list[TimelineEntry]] = defaultdict(list)
    for e in session.scalars(q):
        by_incident[e.incident_id].append(e)
    for entries in by_incident.values():
        entries.sort(key=lambda e: (e.at, e.id))
        last_submit: datetime | None = None
        for e in entries:
            if _in(e.at, rng):
                if e.action in ("close", "verify_pass"):
                    get(e.township_code).closures += 1
                    if (e.data or {}).get("override"):
                        get(e.township_code).closure_overrides += 1
                elif e.action in ("verify_fail", "reject_closure"):
                    get(e.township_code).closures_rejected += 1
                    continue
            if e.action in ("verify_fail", "reject_closure"):
                continue
            if e.action == "submit":
                last_submit = e.at
            elif last_submit is not None and _in(e.at, rng):
                get(e.township_code).verification_hours.append((e.at - last_submit).total_seconds() / 3600.0)
                last_submit = None

    q = select(CaseCheckin).where(CaseCheckin.deleted.is_(False), CaseCheckin.case_id.is_(None),
                                  CaseCheckin.created_at >= rng[0], CaseCheckin.created_at < rng[1])
    if township_code:
        q = q.where(CaseCheckin.township_code == township_code)
    for c in session.scalars(q):
        get(c.township_code).summons += 1

    q = select(OneThingCase).where(OneThingCase.deleted.is_(False))
    if township_code:
        q = q.where(OneThingCase.township_code == township_code)
    for case in session.scalars(q):
        if _in(case.ordered_at, rng):
            get(case.township_code).cases_ordered += 1
        if case.state == CaseState.COMPLETED and _in(case.completed_at, rng):
            t = get(case.township_code)
            t.cases_completed += 1
            if case.completed_at <= case.due_at:
                t.cases_completed_on_time += 1
    return [acc[k] for k in sorted(acc)]


# --------------------------------------------------------------------------- grid workers


@dataclass
class GridWorkerStats:
    key: str
    name: str
    township_code: str
    made: int = 0
    accepted: int = 0
    merged: int = 0
    rejected: int = 0
    pending: int = 0
    triage_minutes: list[float] = field(default_factory=list)

    @property
    def accepted_share(self) -> float | None:
        return _rate(self.accepted, self.made)

    @property
    def merged_share(self) -> float | None:
        return _rate(self.merged, self.made)

    @property
    def rejected_share(self) -> float | None:
        return _rate(self.rejected, self.made)

    @property
    def triage_median_min(self) -> float | None:
        return _median(self.triage_minutes)


def grid_worker_stats(session: Session, month: str, *, township_code: str | None = None) -> list[GridWorkerStats]:
    """Per grid worker (account id, else name): patrol reports made in the month and what became of them.

    Only reports of the grid patrol (网格巡查) count: a 12345 caller, a villager on 村情通, a department
    push or a task from above is no grid worker and is not ranked here.
    """
    rng = month_range(month)
    q = select(Report).where(Report.deleted.is_(False), Report.source == ReportSource.GRID_PATROL.value,
                             Report.reported_at >= rng[0], Report.reported_at < rng[1])
    if township_code:
        q = q.where(Report.township_code == township_code)
    acc: dict[str, GridWorkerStats] = {}
    for r in session.scalars(q.order_by(Report.reported_at, Report.id)):
        key = r.reporter_user_id or r.reporter_name
        if not key:
            continue
        s = acc.get(key)
        if s is None:
            s = acc[key] = GridWorkerStats(key, r.reporter_name or key, r.township_code)
        s.made += 1
        if r.state == ReportState.ACCEPTED:
            s.accepted += 1
        elif r.state == ReportState.MERGED:
            s.merged += 1
        elif r.state == ReportState.REJECTED:
            s.rejected += 1
        else:
            s.pending += 1
        if r.triaged_at is not None and r.triaged_at >= r.reported_at:
            s.triage_minutes.append((r.triaged_at - r.reported_at).total_seconds() / 60.0)
    return sorted(acc.values(), key=lambda s: (s.township_code, -s.made, s.name, s.key))


# --------------------------------------------------------------------------- export


SHEET_FOUR = "四维考核"
SHEET_DEPARTMENTS = "乡镇评部门"
SHEET_TOWNSHIPS = "部门评乡镇"
SHEET_GRID = "网格员"


def export_rows(session: Session, month: str, now: datetime, *,
                township_code: str | None = None) -> dict[str, list[list[Any]]]:
    """Sheet name → rows (the first row is the header): plain values for the UI's Excel writer.

    Rates are fractions (0–1) or None where nothing was due; times are minutes or hours as labelled.
    """
    four = [["月份", "干部编码", "干部", "岗位赋分", "模块评分", "组团积分", "专班计分", "合计", "反向否决",
             "否决理由", "计分说明"]]
    for s in four_dimension(session, month, township_code=township_code):
        four.append([month, s.subject_code, s.name, s.post, s.module, s.cluster, s.task_force, s.total,
                     "否决" if s.vetoed else "", "；".join(s.vetoes), s.explain()])
    depts = [["月份", "部门编码", "部门", "应报到", "按时报到", "超时报到", "未报到", "按时报到率",
              "牵头办结", "按时办结", "按时办结率", "派单", "退回", "退回率", "签收用时中位数(分钟)",
              "签收用时P90(分钟)"]]
    for d in department_indicators(session, month, now, township_code=township_code):
        depts.append([month, d.code, d.name, d.checkins_due, d.checkins_on_time, d.checkins_late,
                      d.checkins_missed, d.checkin_on_time_rate, d.led_closed, d.led_closed_on_time,
                      d.on_time_closure_rate, d.dispatched, d.returned, d.return_rate, d.ack_median_min,
                      d.ack_p90_min])
    towns = [["月份", "乡镇编码", "乡镇", "派往部门", "被退回", "退回率", "核查用时中位数(小时)", "吹哨次数",
              "一件事点单", "一件事办结", "按时办结", "按时办结率", "结案", "未达结案要求强制结案", "核查退回"]]
    for t in township_indicators(session, month, township_code=township_code):
        towns.append([month, t.code, t.name, t.dispatched_to_departments, t.returned, t.return_rate,
                      t.verification_median_hours, t.summons, t.cases_ordered, t.cases_completed,
                      t.cases_completed_on_time, t.case_on_time_rate, t.closures, t.closure_overrides,
                      t.closures_rejected])
    grid = [["月份", "乡镇", "网格员编码", "网格员", "上报", "受理", "受理占比", "合并(重复)", "合并占比",
             "不予受理", "不予受理占比", "待处理", "核实用时中位数(分钟)"]]
    for g in grid_worker_stats(session, month, township_code=township_code):
        grid.append([month, g.township_code, g.key, g.name, g.made, g.accepted, g.accepted_share, g.merged,
                     g.merged_share, g.rejected, g.rejected_share, g.pending, g.triage_median_min])
    return {SHEET_FOUR: four, SHEET_DEPARTMENTS: depts, SHEET_TOWNSHIPS: towns, SHEET_GRID: grid}
