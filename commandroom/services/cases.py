"""Linked command (联动指挥, 乡镇吹哨、部门报到) and one-thing cases (一件事): clocks, dues, progress.

* **Check-ins** (``CaseCheckin``): a summons from a card or an incident, or a
  department's 报到 to a one-thing case. Each has a ``due_at``. A check-in still
  waiting after its ``due_at`` is *missed*; :func:`checkins_due` lists them with
  the escalation level the lateness calls for (overdue → 提醒; more than one working
  day late → 督办单; more than three → 领导通报, the ladder of
  :func:`commandroom.services.deadlines.escalation_for`).
* **Time limits**: a summons' limit is in hours (default 24), counted around the
  clock, or in working hours with ``working_time``; a case is due
  ``time_limit_days`` *working* days after the order (a working day = 420 working
  minutes on the Chinese calendar, 08:30–12:00 and 14:00–17:30 Shanghai), its
  check-ins ``checkin_hours`` (clock hours) after the order.
* **Progress** (:func:`case_progress`): steps in order, check-ins, the clock, and
  the catalogue's before/after (农民建房: 7 steps / 3–6 months → 3 steps / 7–15 days).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.clocks import checkin_is_overdue, step_is_overdue
from commandroom.domain.enums import CASE_STATE_LABELS, CaseState, CheckinState, EscalationLevel
from commandroom.domain.models import (
    CaseCheckin,
    CaseStep,
    Department,
    Module,
    OneThingCase,
    OneThingType,
)
from commandroom.services.deadlines import (
    WORKDAY_MINUTES,
    add_working_minutes,
    escalation_for,
    escalation_rank,
)

DEFAULT_SUMMON_HOURS = 24


# --------------------------------------------------------------------------- clocks


def summon_due_at(start: datetime, hours: float = DEFAULT_SUMMON_HOURS, *, working_time: bool = False) -> datetime:
    """When a summoned department/module must check in: ``hours`` later (working hours if asked)."""
    if working_time:
        return add_working_minutes(start, hours * 60)
    return start + timedelta(hours=hours)


def case_due_at(ordered_at: datetime, time_limit_days: float) -> datetime:
    """The case's deadline: ``time_limit_days`` working days after the order."""
    return add_working_minutes(ordered_at, time_limit_days * WORKDAY_MINUTES)


def checkin_due_at(ordered_at: datetime, checkin_hours: float) -> datetime:
    """A case check-in's deadline: ``checkin_hours`` clock hours after the order."""
    return ordered_at + timedelta(hours=checkin_hours)


# --------------------------------------------------------------------------- check-ins


@dataclass(frozen=True)
class DueCheckin:
    checkin: CaseCheckin
    overdue_hours: float
    suggested_level: str  # EscalationLevel
    needs_escalation: bool  # the suggested level is above the one already taken


def missed_checkins(session: Session, now: datetime, *, township_code: str | None = None) -> list[DueCheckin]:
    """Check-ins still waiting (or marked missed) after their due time, most overdue first."""
    q = select(CaseCheckin).where(
        CaseCheckin.deleted.is_(False),
        CaseCheckin.checked_in_at.is_(None),
        CaseCheckin.state.in_([CheckinState.WAITING.value, CheckinState.MISSED.value]),
        CaseCheckin.due_at < now,
    )
    if township_code:
        q = q.where(CaseCheckin.township_code == township_code)
    out = []
    for c in session.scalars(q.order_by(CaseCheckin.due_at, CaseCheckin.id)):
        level = escalation_for(c.due_at, now).value
        out.append(DueCheckin(
            c, round((now - c.due_at).total_seconds() / 3600.0, 3), level,
            escalation_rank(level) > escalation_rank(c.escalation_level or EscalationLevel.NONE.value),
        ))
    return out


def checkins_due(session: Session, now: datetime, *, township_code: str | None = None) -> list[DueCheckin]:
    """The missed check-ins (see :func:`missed_checkins`), for the lead's and the county's lists."""
    return missed_checkins(session, now, township_code=township_code)


@dataclass
class CheckinSummary:
    """Check-in timeliness of one summoned department or module."""

    target_kind: str
    target_code: str
    name: str
    total: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    waiting: int = 0
    escalated: int = 0
    delays_hours: list[float] = field(default_factory=list)

    @property
    def due(self) -> int:
        """Check-ins whose clock has run out or stopped: on time + late + missed."""
        return self.on_time + self.late + self.missed

    @property
    def on_time_rate(self) -> float | None:
        return None if self.due == 0 else round(self.on_time / self.due, 4)

    @property
    def median_delay_hours(self) -> float | None:
        return round(statistics.median(self.delays_hours), 2) if self.delays_hours else None


def checkin_outcome(c: CaseCheckin, now: datetime) -> str:
    """``on_time`` / ``late`` / ``missed`` / ``waiting`` (not due yet)."""
    if c.checked_in_at is not None:
        return "on_time" if c.checked_in_at <= c.due_at else "late"
    return "missed" if checkin_is_overdue(c.checked_in_at, c.state, c.due_at, now) else "waiting"


def target_name(session: Session, kind: str, code: str) -> str:
    if kind == "department":
        d = session.get(Department, code)
        return d.short_name if d else code
    m = session.get(Module, code)
    return f"{m.name}模块" if m else code


def checkin_summary(
    session: Session,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    township_code: str | None = None,
) -> list[CheckinSummary]:
    """Per summoned department/module: on time, late, missed, waiting — for check-ins due in [since, until).

    ``on_time_rate = on_time / (on_time + late + missed)``; delays are hours past
    ``due_at`` of late check-ins.
    """
    q = select(CaseCheckin).where(CaseCheckin.deleted.is_(False))
    if since is not None:
        q = q.where(CaseCheckin.due_at >= since)
    if until is not None:
        q = q.where(CaseCheckin.due_at < until)
    if township_code:
        q = q.where(CaseCheckin.township_code == township_code)
    acc: dict[tuple[str, str], CheckinSummary] = {}
    for c in session.scalars(q.order_by(CaseCheckin.due_at, CaseCheckin.id)):
        key = (c.target_kind, c.target_code)
        s = acc.get(key)
        if s is None:
            s = acc[key] = CheckinSummary(c.target_kind, c.target_code, target_name(session, *key))
        s.total += 1
        outcome = checkin_outcome(c, now)
        setattr(s, outcome, getattr(s, outcome) + 1)
        if outcome == "late":
            s.delays_hours.append((c.checked_in_at - c.due_at).total_seconds() / 3600.0)
        if c.escalated:
            s.escalated += 1
    return [acc[k] for k in sorted(acc)]


# --------------------------------------------------------------------------- cases


def case_steps(session: Session, case_id: str) -> list[CaseStep]:
    return list(
        session.scalars(
            select(CaseStep)
            .where(CaseStep.case_id == case_id, CaseStep.deleted.is_(False))
            .order_by(CaseStep.position)
        )
    )


def case_checkins(session: Session, case_id: str) -> list[CaseCheckin]:
    return list(
        session.scalars(
            select(CaseCheckin)
            .where(CaseCheckin.case_id == case_id, CaseCheckin.deleted.is_(False))
            .order_by(CaseCheckin.due_at, CaseCheckin.target_code)
        )
    )


@dataclass(frozen=True)
class StepView:
    position: int
    name: str
    done: bool
    done_at: datetime | None
    done_by: str
    limit_days: float | None = None  # the catalogue's limit for this step (working days)
    due_at: datetime | None = None  # set once the step's clock started
    overdue: bool = False  # running past its due (or done after it)
    escalation_level: str = "none"


@dataclass(frozen=True)
class CheckinView:
    checkin_id: str
    target_code: str
    name: str
    role: str  # lead / collaborator / summoned
    state: str
    due_at: datetime
    checked_in_at: datetime | None
    outcome: str
    escalated: bool
    escalation_level: str


@dataclass(frozen=True)
class CaseProgress:
    case_id: str
    number: str | None
    title: str
    type_code: str
    type_name: str
    state: str
    state_label: str
    lead_department_code: str
    steps: list[StepView]
    steps_done: int
    steps_total: int
    current_step: StepView | None
    checkins: list[CheckinView]
    checked_in: int
    ordered_at: datetime
    due_at: datetime
    completed_at: datetime | None
    overdue: bool
    remaining_hours: float | None  # None once completed; negative when overdue
    elapsed_days: float
    time_limit_days: int | None
    previous_steps: int | None  # before the reform (农民建房: 7)
    previous_duration: str  # before the reform (农民建房: 3–6 个月)
    escalation_level: str

    @property
    def fraction_done(self) -> float:
        return 0.0 if self.steps_total == 0 else self.steps_done / self.steps_total

    @property
    def reform_summary(self) -> str:
        """"7 个步骤 → 3 个步骤；3–6个月 → 15 个工作日" for the case header."""
        parts = []
        if self.previous_steps:
            parts.append(f"{self.previous_steps} 个步骤 → {self.steps_total} 个步骤")
        if self.previous_duration and self.time_limit_days:
            parts.append(f"{self.previous_duration} → {self.time_limit_days} 个工作日")
        return "；".join(parts)


def case_progress(session: Session, case: OneThingCase, now: datetime) -> CaseProgress:
    """Everything the case pane shows: steps, check-ins, the clock and the before/after of the reform."""
    ctype = session.get(OneThingType, case.type_code)
    steps = [StepView(s.position, s.name, s.done, s.done_at, s.done_by, s.limit_days, s.due_at,
                      step_is_overdue(s.done, s.due_at, now) or bool(s.done and s.due_at and s.done_at
                                                                     and s.done_at > s.due_at),
                      s.escalation_level or "none")
             for s in case_steps(session, case.id)]
    current = next((s for s in steps if not s.done), None)
    checkins = []
    for c in case_checkins(session, case.id):
        role = "lead" if c.target_code == case.lead_department_code else "collaborator"
        checkins.append(CheckinView(c.id, c.target_code, target_name(session, c.target_kind, c.target_code), role,
                                    c.state, c.due_at, c.checked_in_at, checkin_outcome(c, now), c.escalated,
                                    c.escalation_level or "none"))
    done = case.state == CaseState.COMPLETED
    end = case.completed_at if done and case.completed_at else now
    return CaseProgress(
        case_id=case.id, number=case.number, title=case.title, type_code=case.type_code,
        type_name=ctype.name if ctype else case.type_code, state=case.state,
        state_label=CASE_STATE_LABELS.get(CaseState(case.state), case.state)
        if case.state in {s.value for s in CaseState} else case.state,
        lead_department_code=case.lead_department_code, steps=steps,
        steps_done=sum(1 for s in steps if s.done), steps_total=len(steps), current_step=current,
        checkins=checkins, checked_in=sum(1 for c in checkins if c.checked_in_at is not None),
        ordered_at=case.ordered_at, due_at=case.due_at, completed_at=case.completed_at,
        overdue=(end > case.due_at),
        remaining_hours=None if done else round((case.due_at - now).total_seconds() / 3600.0, 2),
        elapsed_days=round((end - case.ordered_at).total_seconds() / 86400.0, 3),
        time_limit_days=ctype.time_limit_days if ctype else None,
        previous_steps=ctype.previous_steps if ctype else None,
        previous_duration=ctype.previous_duration if ctype else "",
        escalation_level=case.escalation_level or "none",
    )


@dataclass(frozen=True)
class OverdueCase:
    case: OneThingCase
    overdue_hours: float
    suggested_level: str
    needs_escalation: bool


def overdue_cases(session: Session, now: datetime, *, township_code: str | None = None) -> list[OverdueCase]:
    """Open cases past their deadline, with the escalation level the lateness calls for."""
    q = select(OneThingCase).where(
        OneThingCase.deleted.is_(False),
        OneThingCase.state != CaseState.COMPLETED.value,
        OneThingCase.due_at < now,
    )
    if township_code:
        q = q.where(OneThingCase.township_code == township_code)
    out = []
    for c in session.scalars(q.order_by(OneThingCase.due_at, OneThingCase.id)):
        level = escalation_for(c.due_at, now).value
        out.append(OverdueCase(c, round((now - c.due_at).total_seconds() / 3600.0, 3), level,
                               escalation_rank(level) > escalation_rank(c.escalation_level or "none")))
    return out


def cases_by_type(session: Session, since: datetime | None = None) -> dict[str, dict[str, int]]:
    """Type code → counts of opened / completed / completed on time (for the catalogue view)."""
    q = select(OneThingCase).where(OneThingCase.deleted.is_(False))
    if since is not None:
        q = q.where(OneThingCase.ordered_at >= since)
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"opened": 0, "completed": 0, "on_time": 0})
    for c in session.scalars(q):
        row = out[c.type_code]
        row["opened"] += 1
        if c.state == CaseState.COMPLETED and c.completed_at is not None:
            row["completed"] += 1
            if c.completed_at <= c.due_at:
                row["on_time"] += 1
    return dict(out)
