"""The running clocks and the overdue rule — the one definition every screen and the escalation use.

An incident has three deadlines (签收 ``ack_due``, 到场 ``onsite_due``, 办结 ``close_due``). A clock
*runs* only while the step it times is the next one to do:

* 签收 (ack) runs while nobody has signed yet and the incident waits for that: 待派单 and 已交办;
* 到场 (onsite) runs from the dispatch until someone is on site: 已交办 and 已签收;
* 办结 (close) runs in every open state.

An incident is **overdue** when one of its running clocks is past due. A clock that does not run
cannot be overdue: an incident 处置中 whose on-site time was never recorded is not "late to
arrive" — nobody in the command room can act on that. (The incident list's 超时 filter once
counted the on-site deadline in every open state and disagreed with the briefing and the wall;
both now use this module.)

A summoned department's check-in (部门报到) is **open** until it checks in, whatever its stored
state (an escalated one is stored as ``missed`` but is still waited for), and **overdue** once
open past its due time.

A step of a one-thing case (一件事) has its own clock (:func:`step_due_at`): ``limit_days`` working days
on the published holiday schedule, started when the step before it is done (the first step at the
order). It **runs** while the step is not done and has a due time, and is **overdue** once running
past it.

Each rule has a Python form (for rows already loaded) and an SQL form (for counting and
filtering in the database): :func:`overdue_expr` for SQLAlchemy on SQLite and PostgreSQL,
:func:`overdue_sql` for the incident list's raw SQLite text. ``tests/core/test_clocks.py``
checks that the forms agree on generated data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from commandroom.domain.enums import CheckinState, IncidentState
from commandroom.domain.models import CaseCheckin, CaseStep, Incident
from commandroom.services.deadlines import WORKDAY_MINUTES, add_working_minutes

ACK_CLOCK_STATES: tuple[str, ...] = (IncidentState.PENDING_DISPATCH.value, IncidentState.DISPATCHED.value)
"""States in which the 签收 clock runs (until ``acknowledged_at`` is set)."""

ONSITE_CLOCK_STATES: tuple[str, ...] = (IncidentState.DISPATCHED.value, IncidentState.ACKNOWLEDGED.value)
"""States in which the 到场 clock runs (until ``onsite_at`` is set)."""

OPEN_STATES: tuple[str, ...] = tuple(s.value for s in IncidentState if s != IncidentState.CLOSED)
"""Every state but 已办结: the 办结 clock runs in all of them."""


def running_clocks(state: str, acknowledged_at: datetime | None, onsite_at: datetime | None,
                   ack_due: datetime | None, onsite_due: datetime | None,
                   close_due: datetime | None) -> list[tuple[str, datetime]]:
    """The clocks of an incident that run now, as ``(kind, due)``; kind is ``ack``/``onsite``/``close``."""
    if state == IncidentState.CLOSED:  # a past day's "closed later" still ran its close clock then
        return []
    out: list[tuple[str, datetime]] = []
    if acknowledged_at is None and ack_due is not None and state in ACK_CLOCK_STATES:
        out.append(("ack", ack_due))
    if onsite_at is None and onsite_due is not None and state in ONSITE_CLOCK_STATES:
        out.append(("onsite", onsite_due))
    if close_due is not None:
        out.append(("close", close_due))
    return out


def is_overdue(state: str, acknowledged_at: datetime | None, onsite_at: datetime | None,
               ack_due: datetime | None, onsite_due: datetime | None, close_due: datetime | None,
               now: datetime) -> bool:
    """True when a running clock of the incident is past due at ``now`` (naive UTC)."""
    return any(due < now for _kind, due in running_clocks(state, acknowledged_at, onsite_at, ack_due,
                                                          onsite_due, close_due))


def incident_is_overdue(incident: Any, now: datetime) -> bool:
    """:func:`is_overdue` of an ORM :class:`~commandroom.domain.models.Incident` (or a row with its fields)."""
    return is_overdue(incident.state, incident.acknowledged_at, incident.onsite_at, incident.ack_due,
                      incident.onsite_due, incident.close_due, now)


def overdue_expr(now: datetime) -> Any:
    """The overdue rule as a SQLAlchemy condition on ``Incident`` (SQLite and PostgreSQL)."""
    return and_(
        Incident.state.in_(OPEN_STATES),
        or_(
            and_(Incident.state.in_(ACK_CLOCK_STATES), Incident.acknowledged_at.is_(None), Incident.ack_due < now),
            and_(Incident.state.in_(ONSITE_CLOCK_STATES), Incident.onsite_at.is_(None), Incident.onsite_due < now),
            Incident.close_due < now,
        ),
    )


def open_incident_expr() -> Any:
    """An open incident as a SQLAlchemy condition: not closed, not deleted, not merged into another."""
    return and_(Incident.state.in_(OPEN_STATES), Incident.deleted.is_(False), Incident.merged_into_id.is_(None))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def overdue_sql(now_param: str = ":now", table: str = "incident") -> str:
    """The overdue rule as SQL text (the incident list's raw SQLite queries); ``now_param`` is bound."""
    t = table
    return (
        f"({t}.state != 'closed' AND ("
        f"({_in(f'{t}.state', ACK_CLOCK_STATES)} AND {t}.acknowledged_at IS NULL AND {t}.ack_due < {now_param}) OR "
        f"({_in(f'{t}.state', ONSITE_CLOCK_STATES)} AND {t}.onsite_at IS NULL AND {t}.onsite_due < {now_param}) OR "
        f"({t}.close_due < {now_param})))"
    )


_NEVER = "'9999'"  # sorts after every stored time (SQLite keeps times as ISO text)


def active_due_sql(table: str = "incident") -> str:
    """SQLite text for the due time of the first running clock (NULL when none runs): the list's clock sort.

    The same as ``min(due for _k, due in running_clocks(...))`` in Python, written as one branch per
    state (the sort evaluates it for every row, so each row pays for its own state's clocks only).
    """
    t = table
    ack = f"coalesce(CASE WHEN {t}.acknowledged_at IS NULL THEN {t}.ack_due END, {_NEVER})"
    onsite = f"coalesce(CASE WHEN {t}.onsite_at IS NULL THEN {t}.onsite_due END, {_NEVER})"
    close = f"coalesce({t}.close_due, {_NEVER})"
    branches = []
    for state in OPEN_STATES:
        terms = [ack] * (state in ACK_CLOCK_STATES) + [onsite] * (state in ONSITE_CLOCK_STATES)
        if terms:
            branches.append(f"WHEN '{state}' THEN NULLIF(min({', '.join([*terms, close])}), {_NEVER})")
    return (f"(CASE {t}.state WHEN '{IncidentState.CLOSED.value}' THEN NULL {' '.join(branches)} "
            f"ELSE {t}.close_due END)")


# ----------------------------------------------------------------------------- check-ins (部门报到)


def checkin_is_open(checked_in_at: datetime | None, state: str) -> bool:
    """Still waited for: not checked in (an escalated one, stored as ``missed``, is still open)."""
    return checked_in_at is None and state != CheckinState.CHECKED_IN.value


def checkin_is_overdue(checked_in_at: datetime | None, state: str, due_at: datetime, now: datetime) -> bool:
    """Open and past its due time (超时未报到)."""
    return checkin_is_open(checked_in_at, state) and due_at < now


def checkin_open_expr() -> Any:
    """:func:`checkin_is_open` as a SQLAlchemy condition on ``CaseCheckin`` (deleted rows excluded)."""
    return and_(CaseCheckin.deleted.is_(False), CaseCheckin.checked_in_at.is_(None),
                CaseCheckin.state != CheckinState.CHECKED_IN.value)


def checkin_overdue_expr(now: datetime) -> Any:
    """:func:`checkin_is_overdue` as a SQLAlchemy condition on ``CaseCheckin``."""
    return and_(checkin_open_expr(), CaseCheckin.due_at < now)


# ----------------------------------------------------------------------------- one-thing case steps


def step_due_at(started: datetime, limit_days: float | None) -> datetime | None:
    """A step's deadline: ``limit_days`` working days (holiday schedule) after its clock started; None without a limit."""
    if limit_days is None:
        return None
    return add_working_minutes(started, limit_days * WORKDAY_MINUTES)


def step_clock_runs(done: bool, due_at: datetime | None) -> bool:
    """The step is the one being worked on (its clock was started) and is not done yet."""
    return not done and due_at is not None


def step_is_overdue(done: bool, due_at: datetime | None, now: datetime) -> bool:
    """Running past its due time (步骤超时)."""
    return step_clock_runs(done, due_at) and due_at is not None and due_at < now


def step_running_expr() -> Any:
    """:func:`step_clock_runs` as a SQLAlchemy condition on ``CaseStep`` (deleted rows excluded)."""
    return and_(CaseStep.deleted.is_(False), CaseStep.done.is_(False), CaseStep.due_at.is_not(None))


def step_overdue_expr(now: datetime) -> Any:
    """:func:`step_is_overdue` as a SQLAlchemy condition on ``CaseStep``."""
    return and_(step_running_expr(), CaseStep.due_at < now)
# ----------------------------------------------------------------------------- disputes (推诿 to the county)

DISPUTE_WORKDAYS = 2
"""The county decides a contested return within two working days (working time, the published holidays)."""

DISPUTE_OPEN_STATES: tuple[str, ...] = ("open", "escalated")
"""A dispute waits for the county's decision in these states (an escalated one still waits)."""


def dispute_due(opened_at: datetime) -> datetime:
    """When the county's arbitration of a dispute opened at ``opened_at`` (naive UTC) is due."""
    from commandroom.services.deadlines import WORKDAY_MINUTES, add_working_minutes

    return add_working_minutes(opened_at, DISPUTE_WORKDAYS * WORKDAY_MINUTES)


def dispute_is_overdue(state: str, due_at: datetime, now: datetime) -> bool:
    """Undecided past its limit: the scheduler escalates it once (``open`` → ``escalated``)."""
    return state in DISPUTE_OPEN_STATES and due_at < now


def dispute_overdue_expr(now: datetime) -> Any:
    """:func:`dispute_is_overdue` as a SQLAlchemy condition on ``Dispute`` (deleted rows excluded)."""
    from commandroom.domain.models import Dispute

    return and_(Dispute.deleted.is_(False), Dispute.state.in_(DISPUTE_OPEN_STATES), Dispute.due_at < now)


def working_minutes_left(due_at: datetime, now: datetime) -> float:
    """Working minutes from ``now`` to ``due_at`` (negative when past: the working time it is late)."""
    from commandroom.services.deadlines import working_minutes_between

    return working_minutes_between(now, due_at)
