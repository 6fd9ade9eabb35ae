"""Two-way assessment (双向考核) from real acts: each side's figures come from what it did itself.

Township → department (:func:`department_figures`), from the department's own acts in the month:

* 签收 on time — its dispatches assigned in the month: signed by its own seat by the incident's 签收 deadline
  (on time), after it (late), recorded by the township as a proxy entry (代录, counted apart, never as the
  department's own on-time act), not signed at all;
* 报到 on time — its check-ins (summonses and one-thing cases) due in the month, the same four ways;
* returns — its disputed returns decided by the county in the month: upheld or overturned;
* case steps within limit — steps of the one-thing cases it leads completed in the month by the case's deadline.

Department → township (:func:`township_figures`), from the township's acts in the month:

* matters handled within the township's duty — incidents it closed without sending them to a department;
* its returns overturned — disputes where it sent a matter back to a department and the county overturned that,
  and its contests of a department's return the county rejected;
* quality of verification — its verifications (核查) and how many it rejected, and incidents reopened after
  closing; the proxy entries it typed in for departments.

Each side's periodic rating of the other (``assessment.rate_counterpart``) is listed with the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from commandroom.domain.clocks import checkin_is_open
from commandroom.domain.models import (
    AssessmentRecord,
    CaseCheckin,
    CaseStep,
    Department,
    Dispatch,
    Dispute,
    Incident,
    OneThingCase,
    TimelineEntry,
    Township,
)
from commandroom.services.assessment import month_range
from commandroom.store.protocol import ReadStore

TOWNSHIP_RATES_DEPARTMENT = "rate_department"
DEPARTMENT_RATES_TOWNSHIP = "rate_township"


def _in(dt: datetime | None, rng: tuple[datetime, datetime]) -> bool:
    return dt is not None and rng[0] <= dt < rng[1]


def _share(n: int, d: int) -> float | None:
    return None if d == 0 else round(n / d, 4)


@dataclass
class ActCount:
    """One kind of timed act: the department's own on time / late, proxy entries, not done."""

    own_on_time: int = 0
    own_late: int = 0
    proxy: int = 0
    not_done: int = 0

    @property
    def total(self) -> int:
        return self.own_on_time + self.own_late + self.proxy + self.not_done

    @property
    def on_time_rate(self) -> float | None:
        """The department's own on-time acts over all that were due (a proxy entry is not its own)."""
        return _share(self.own_on_time, self.total)


@dataclass
class DepartmentFigures:
    code: str
    name: str
    ack: ActCount = field(default_factory=ActCount)
    checkin: ActCount = field(default_factory=ActCount)
    returns_upheld: int = 0
    returns_overturned: int = 0
    steps_within: int = 0
    steps_late: int = 0
    ratings: list[float] = field(default_factory=list)  # the townships' ratings of it this month

    @property
    def steps_within_rate(self) -> float | None:
        return _share(self.steps_within, self.steps_within + self.steps_late)

    @property
    def rating(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 1) if self.ratings else None


@dataclass
class TownshipFigures:
    code: str
    name: str
    closed: int = 0
    closed_by_township: int = 0
    returns_upheld: int = 0
    returns_overturned: int = 0
    contests_rejected: int = 0
    verifications: int = 0
    verifications_rejected: int = 0
    reopened: int = 0
    proxy_entries: int = 0
    ratings: list[float] = field(default_factory=list)  # the departments' ratings of it this month

    @property
    def within_duty_rate(self) -> float | None:
        return _share(self.closed_by_township, self.closed)

    @property
    def rating(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 1) if self.ratings else None


def department_figures(store: ReadStore, month: str, now: datetime, *, township_code: str | None = None,
                       department_code: str | None = None) -> list[DepartmentFigures]:
    """Township → department figures for ``month`` (module doc); one row per department with any act."""
    rng = month_range(month)
    with store.read() as s:
        names = {d.code: d.name for d in s.scalars(select(Department))}
        acc: dict[str, DepartmentFigures] = {}

        def get(code: str) -> DepartmentFigures:
            if code not in acc:
                acc[code] = DepartmentFigures(code, names.get(code, code))
            return acc[code]

        q = select(Dispatch, Incident.ack_due).join(Incident, Incident.id == Dispatch.incident_id).where(
            Dispatch.deleted.is_(False), Dispatch.target_kind == "department",
            Dispatch.assigned_at >= rng[0], Dispatch.assigned_at < rng[1])
        if township_code:
            q = q.where(Dispatch.township_code == township_code)
        if department_code:
            q = q.where(Dispatch.target_code == department_code)
        for d, ack_due in s.execute(q):
            f = get(d.target_code).ack
            if d.acknowledged_at is None:
                f.not_done += 1
            elif d.proxy_by:
                f.proxy += 1
            elif ack_due is None or d.acknowledged_at <= ack_due:
                f.own_on_time += 1
            else:
                f.own_late += 1

        q2 = select(CaseCheckin).where(CaseCheckin.deleted.is_(False), CaseCheckin.target_kind == "department",
                                       CaseCheckin.due_at >= rng[0], CaseCheckin.due_at < rng[1])
        if township_code:
            q2 = q2.where(CaseCheckin.township_code == township_code)
        if department_code:
            q2 = q2.where(CaseCheckin.target_code == department_code)
        for c in s.scalars(q2):
            f = get(c.target_code).checkin
            if checkin_is_open(c.checked_in_at, c.state):
                if c.due_at < now:
                    f.not_done += 1
            elif c.proxy_by:
                f.proxy += 1
            elif c.checked_in_at is not None and c.checked_in_at <= c.due_at:
                f.own_on_time += 1
            else:
                f.own_late += 1

        for dsp in _decided(s, rng, township_code, department_code):
            if dsp.return_side != "department":
                continue
            if dsp.upheld:
                get(dsp.department_code).returns_upheld += 1
            else:
                get(dsp.department_code).returns_overturned += 1

        q3 = select(CaseStep, OneThingCase).join(OneThingCase, OneThingCase.id == CaseStep.case_id).where(
            CaseStep.deleted.is_(False), CaseStep.done.is_(True), CaseStep.done_at >= rng[0],
            CaseStep.done_at < rng[1])
        if township_code:
            q3 = q3.where(CaseStep.township_code == township_code)
        if department_code:
            q3 = q3.where(OneThingCase.lead_department_code == department_code)
        for step, case in s.execute(q3):
            f2 = get(case.lead_department_code)
            if step.done_at is not None and step.done_at <= case.due_at:
                f2.steps_within += 1
            else:
                f2.steps_late += 1

        for r in _ratings(s, month, TOWNSHIP_RATES_DEPARTMENT, township_code, department_code):
            get(r.subject_code).ratings.append(r.points)
    return [acc[k] for k in sorted(acc, key=lambda c: (names.get(c, c), c))]


def township_figures(store: ReadStore, month: str, *, township_code: str | None = None,
                     department_code: str | None = None) -> list[TownshipFigures]:
    """Department → township figures for ``month`` (module doc); one row per township with any act."""
    rng = month_range(month)
    with store.read() as s:
        names = {t.code: t.name for t in s.scalars(select(Township))}
        acc: dict[str, TownshipFigures] = {}

        def get(code: str) -> TownshipFigures:
            if code not in acc:
                acc[code] = TownshipFigures(code, names.get(code, code))
            return acc[code]

        q = select(Incident.id, Incident.township_code).where(
            Incident.deleted.is_(False), Incident.merged_into_id.is_(None),
            Incident.closed_at >= rng[0], Incident.closed_at < rng[1])
        if township_code:
            q = q.where(Incident.township_code == township_code)
        closed = list(s.execute(q))
        sent = set()
        if closed:
            sent = set(s.scalars(select(Dispatch.incident_id).where(
                Dispatch.deleted.is_(False), Dispatch.target_kind == "department",
                Dispatch.state != "cancelled", Dispatch.incident_id.in_([i for i, _ in closed]))))
        for incident_id, town in closed:
            t = get(town)
            t.closed += 1
            if incident_id not in sent:
                t.closed_by_township += 1

        for dsp in _decided(s, rng, township_code, department_code):
            t = get(dsp.township_code)
            if dsp.return_side == "township":
                if dsp.upheld:
                    t.returns_upheld += 1
                else:
                    t.returns_overturned += 1
            elif dsp.opened_by_side == "township" and dsp.upheld:
                t.contests_rejected += 1

        q2 = select(TimelineEntry.township_code, TimelineEntry.action, TimelineEntry.data).where(
            TimelineEntry.deleted.is_(False), TimelineEntry.at >= rng[0], TimelineEntry.at < rng[1],
            TimelineEntry.action.in_(["verify_pass", "verify_fail", "reopen", "acknowledge", "checkin"]))
        if township_code:
            q2 = q2.where(TimelineEntry.township_code == township_code)
        for town, action, data in s.execute(q2):
            if action in ("verify_pass", "verify_fail"):
                get(town).verifications += 1
                get(town).verifications_rejected += action == "verify_fail"
            elif action == "reopen":
                get(town).reopened += 1
            elif (data or {}).get("proxy") and (
                    department_code is None or department_code in ((data or {}).get("proxy") or {}).get("for", [])):
                get(town).proxy_entries += 1

        for r in _ratings(s, month, DEPARTMENT_RATES_TOWNSHIP, township_code, department_code):
            get(r.township_code).ratings.append(r.points)
    return [acc[k] for k in sorted(acc)]


def _decided(s, rng, township_code, department_code) -> list[Dispute]:
    q = select(Dispute).where(Dispute.deleted.is_(False), Dispute.state == "decided",
                              Dispute.decided_at >= rng[0], Dispute.decided_at < rng[1])
    if township_code:
        q = q.where(Dispute.township_code == township_code)
    if department_code:
        q = q.where(Dispute.department_code == department_code)
    return list(s.scalars(q))


def _ratings(s, month, direction, township_code, department_code) -> list[AssessmentRecord]:
    q = select(AssessmentRecord).where(AssessmentRecord.deleted.is_(False), AssessmentRecord.month == month,
                                       AssessmentRecord.dimension == direction)
    if township_code:
        q = q.where(AssessmentRecord.township_code == township_code)
    if department_code:
        q = q.where(AssessmentRecord.subject_code == department_code)
    return list(s.scalars(q))


def my_rating(store: ReadStore, month: str, township_code: str, department_code: str,
              direction: str) -> AssessmentRecord | None:
    """The rating this seat already gave for the month (to show and to edit), or None."""
    from commandroom.services.assessment import record_id

    with store.read() as s:
        row = s.get(AssessmentRecord, record_id(township_code, month, department_code, direction))
        return row if row is not None and not row.deleted else None
