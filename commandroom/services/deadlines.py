"""Deadlines on the Chinese working calendar: acknowledge, on-site and close clocks.

Working days come from the ``chinese_calendar`` package (statutory holidays and
the make-up working days, 调休). A year the county has published (``calendar_year``
reference rows, ``calendar.publish_year``: next year's schedule once the State Council
announces it, before the package knows it) replaces the package for that year;
:func:`load_levels` brings the published years in from the database it reads. For a
year nobody knows yet the calendar falls back to Monday–Friday (plus any days
registered with :func:`register_calendar_days`). Working hours are 08:30–12:00 and
14:00–17:30, Asia/Shanghai.

All inputs and outputs are naive UTC; nothing here reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import chinese_calendar

from commandroom.domain.enums import EscalationLevel
from commandroom.timeutil import as_utc

WORK_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
WORKDAY_MINUTES = 420  # 3.5 h + 3.5 h
MAX_SCAN_DAYS = 3660  # a clock never runs further than ten years

_EXTRA_WORKDAYS: set[date] = set()
_EXTRA_HOLIDAYS: set[date] = set()


def register_calendar_days(*, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> None:
    """Add statutory holidays / make-up workdays the installed package does not know yet."""
    _EXTRA_HOLIDAYS.update(holidays)
    _EXTRA_WORKDAYS.update(workdays)
    _EXTRA_WORKDAYS.difference_update(_EXTRA_HOLIDAYS)


# year → (holidays, make-up workdays) as published in the database last read by load_levels()
_PUBLISHED: dict[int, tuple[frozenset[date], frozenset[date]]] = {}


def clear_registered_days() -> None:
    _EXTRA_HOLIDAYS.clear()
    _EXTRA_WORKDAYS.clear()


def use_published_years(years: Mapping[int, tuple[Iterable[str | date], Iterable[str | date]]]) -> None:
    """Replace the published years: ``{year: (holidays, workdays)}`` (ISO texts or dates)."""

    def days(items: Iterable[str | date]) -> frozenset[date]:
        return frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in items)

    fresh = {int(y): (days(h), days(w)) for y, (h, w) in years.items()}
    if fresh != _PUBLISHED:
        _PUBLISHED.clear()
        _PUBLISHED.update(fresh)


def is_workday(d: date) -> bool:
    """Whether ``d`` is a working day in mainland China (调休 Saturdays count)."""
    published = _PUBLISHED.get(d.year)
    if published is not None:
        holidays, workdays = published
        return d in workdays or (d not in holidays and d.weekday() < 5)
    if d in _EXTRA_HOLIDAYS:
        return False
    if d in _EXTRA_WORKDAYS:
        return True
    try:
        return bool(chinese_calendar.is_workday(d))
    except (NotImplementedError, KeyError, ValueError):
        return d.weekday() < 5


def calendar_known(d: date) -> bool:
    """Whether the holiday schedule of ``d``'s year is known (otherwise Mon–Fri is assumed)."""
    if d.year in _PUBLISHED:
        return True
    try:
        chinese_calendar.is_workday(d)
        return True
    except (NotImplementedError, KeyError, ValueError):
        return False


# ----------------------------------------------------------------------------- working time


_OFFSET = timedelta(hours=8)  # Asia/Shanghai, no daylight saving since 1991


def _local(dt_utc: datetime) -> datetime:
    """Naive UTC → naive Shanghai wall clock."""
    return as_utc(dt_utc) + _OFFSET


def _utc(dt_local: datetime) -> datetime:
    return dt_local - _OFFSET


def _periods(d: date) -> list[tuple[datetime, datetime]]:
    if not is_workday(d):
        return []
    return [(datetime.combine(d, a), datetime.combine(d, b)) for a, b in WORK_PERIODS]


def add_working_minutes(start_utc: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of working time after ``start_utc`` (clocks pause outside working hours).

    A start outside working hours begins counting at the next opening; a
    deadline that falls exactly at a period's end stays there (12:00, 17:30).
    """
    cursor = _local(start_utc)
    remaining = timedelta(minutes=minutes)
    if remaining <= timedelta(0):
        return as_utc(start_utc)
    day = cursor.date()
    for _ in range(MAX_SCAN_DAYS):
        for a, b in _periods(day):
            if cursor >= b:
                continue
            begin = max(cursor, a)
            available = b - begin
            if remaining <= available:
                return _utc(begin + remaining)
            remaining -= available
            cursor = b
        day += timedelta(days=1)
        cursor = max(cursor, datetime.combine(day, time(0)))
    raise ValueError("working-time clock ran past the scan horizon")


def working_minutes_between(a_utc: datetime, b_utc: datetime) -> float:
    """Working minutes from ``a`` to ``b`` (negative if ``b`` is before ``a``)."""
    if b_utc < a_utc:
        return -working_minutes_between(b_utc, a_utc)
    a, b = _local(a_utc), _local(b_utc)
    total = timedelta(0)
    day = a.date()
    for _ in range(MAX_SCAN_DAYS):
        if day > b.date():
            break
        for pa, pb in _periods(day):
            lo, hi = max(a, pa), min(b, pb)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 60.0


# ----------------------------------------------------------------------------- urgency levels


@dataclass(frozen=True)
class LevelClocks:
    """The clocks of one urgency level (the shape of :class:`~commandroom.domain.models.UrgencyLevel`)."""

    code: str
    ack_minutes: float | None
    onsite_minutes: float | None
    close_workdays: float | None
    working_time: bool = True


# Defaults from the proposed grid-event taxonomy (reference/grid_event_categories_proposed.json):
# L1 立即(≤30 min), 24 h feedback around the clock; L2 ≤2 h, ≤3 working days; L3 ≤1 working day,
# ≤5 working days; L4 ≤1 working day, ≤7 working days. On-site clocks are proposals.
DEFAULT_LEVELS: dict[str, LevelClocks] = {
    "L1": LevelClocks("L1", 30, 60, 1, working_time=False),
    "L2": LevelClocks("L2", 120, 240, 3),
    "L3": LevelClocks("L3", WORKDAY_MINUTES, 2 * WORKDAY_MINUTES, 5),
    "L4": LevelClocks("L4", WORKDAY_MINUTES, 3 * WORKDAY_MINUTES, 7),
}

_FIELDS = ("ack_minutes", "onsite_minutes", "close_workdays", "working_time")


def _read(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def effective_clocks(urgency_code: str, limits: Mapping[str, Any] | None,
                     levels: Mapping[str, Any] | None) -> LevelClocks:
    """Urgency defaults (``levels``, else :data:`DEFAULT_LEVELS`) overridden by a matter's ``limits``."""
    base = (levels or {}).get(urgency_code) or DEFAULT_LEVELS.get(urgency_code)
    if base is None:
        raise ValueError(f"unknown urgency {urgency_code!r}")
    values = {k: _read(base, k) for k in _FIELDS}
    if values["working_time"] is None:
        values["working_time"] = True
    override = (limits or {}).get(urgency_code) or {}
    for k in _FIELDS:
        if k in override:
            values[k] = override[k]
    return LevelClocks(urgency_code, **values)


@dataclass(frozen=True)
class Deadlines:
    ack_due: datetime | None
    onsite_due: datetime | None
    close_due: datetime | None


def _due(start: datetime, minutes: float | None, working_time: bool) -> datetime | None:
    if minutes is None or minutes <= 0:
        return None
    if working_time:
        return add_working_minutes(start, minutes)
    return as_utc(start) + timedelta(minutes=minutes)


def compute_deadlines(
    start_utc: datetime,
    urgency_code: str,
    limits: Mapping[str, Any] | None,
    levels: Mapping[str, Any] | None,
) -> Deadlines:
    """Acknowledge, on-site and close deadlines (naive UTC) for an incident started at ``start_utc``.

    ``levels`` maps urgency codes to UrgencyLevel rows (or anything with the same
    attributes, or dicts); codes missing there use :data:`DEFAULT_LEVELS`.
    ``limits`` is a matter's override, e.g. ``{"L2": {"ack_minutes": 60}}``.
    Levels with ``working_time`` False (L1) run around the clock and count
    ``close_workdays`` as 24-hour days; the others count working time, a
    working day being 420 working minutes.
    """
    c = effective_clocks(urgency_code, limits, levels)
    wt = bool(c.working_time)
    close_minutes = None
    if c.close_workdays is not None and c.close_workdays > 0:
        close_minutes = c.close_workdays * (WORKDAY_MINUTES if wt else 24 * 60)
    close_due = _due(start_utc, close_minutes, wt)
    ack_due, onsite_due = in_order(_due(start_utc, c.ack_minutes, wt), _due(start_utc, c.onsite_minutes, wt),
                                   close_due)
    return Deadlines(ack_due=ack_due, onsite_due=onsite_due, close_due=close_due)


def in_order(ack_due: datetime | None, onsite_due: datetime | None,
             close_due: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Acknowledge and on-site deadlines no later than what follows them (签收 ≤ 到场 ≤ 办结).

    A matter may shorten the close limit below the level's on-site limit (1 working day to close,
    3 to be on site): an on-site deadline after the close deadline means nothing, so it is the
    close deadline; likewise acknowledging is due by the on-site deadline.
    """
    if onsite_due is not None and close_due is not None and onsite_due > close_due:
        onsite_due = close_due
    cap = onsite_due or close_due
    if ack_due is not None and cap is not None and ack_due > cap:
        ack_due = cap
    return ack_due, onsite_due


def load_levels(session: Any) -> dict[str, Any]:
    """The urgency levels from the database, keyed by code (empty when none are loaded).

    Every deadline computed from a database starts here, so this also brings in the holiday
    schedules published in that database (:func:`use_published_years`).
    """
    from sqlalchemy import select

    from commandroom.domain.models import CalendarYear, UrgencyLevel

    info = getattr(session, "info", None)
    cached = info.get(_LEVELS) if info is not None else None
    if cached is not None:  # read in this transaction already, and not written since
        return cached
    _watch_levels()
    use_published_years({c.year: (c.holidays or [], c.workdays or []) for c in session.scalars(select(CalendarYear))})
    levels = {lv.code: lv for lv in session.scalars(select(UrgencyLevel))}
    if info is not None:
        info[_LEVELS] = levels
    return levels


_LEVELS = "commandroom.urgency_levels"
_WATCHING = False


def _watch_levels() -> None:
    """Forget a session's levels when its transaction ends or it writes a level or a calendar year.

    A push of 100 mutations computes deadlines many times in one transaction: two queries each, before.
    """
    global _WATCHING
    if _WATCHING:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from commandroom.domain.models import CalendarYear, UrgencyLevel

    def _forget(session: Any, *_args: Any) -> None:
        session.info.pop(_LEVELS, None)

    def _on_flush(session: Any, *_args: Any) -> None:
        if _LEVELS in session.info and any(isinstance(o, CalendarYear | UrgencyLevel) for o in
                                           (*session.new, *session.dirty, *session.deleted)):
            session.info.pop(_LEVELS, None)

    event.listen(Session, "after_transaction_end", _forget)
    event.listen(Session, "before_flush", _on_flush)
    _WATCHING = True


# ----------------------------------------------------------------------------- clock state and escalation

WARNING_FRACTION = 0.2
WARNING_CAP = timedelta(hours=2)


def clock_state(
    due: datetime | None,
    done_at: datetime | None,
    now: datetime,
    started: datetime | None,
    *,
    working_time: bool = False,
) -> str:
    """``met`` / ``late`` for a stopped clock; ``ok`` / ``warning`` / ``overdue`` for a running one.

    ``warning`` starts when less than 20 % of the window (``started`` → ``due``)
    remains, or 2 hours, whichever is smaller. With ``working_time`` the
    window and the remainder are measured in working minutes.
    """
    if done_at is not None:
        if due is None or done_at <= due:
            return "met"
        return "late"
    if due is None:
        return "ok"
    if now > due:
        return "overdue"
    if started is None or started >= due:
        window_min = None
    elif working_time:
        window_min = working_minutes_between(started, due)
    else:
        window_min = (due - started).total_seconds() / 60.0
    remaining_min = working_minutes_between(now, due) if working_time else (due - now).total_seconds() / 60.0
    cap = WARNING_CAP.total_seconds() / 60.0
    threshold = cap if window_min is None else min(WARNING_FRACTION * window_min, cap)
    return "warning" if remaining_min < threshold else "ok"


def escalation_for(due: datetime | None, now: datetime) -> EscalationLevel:
    """The escalation ladder for a running clock.

    Overdue → reminder (提醒); overdue by more than one working day → supervision
    order (督办单); by more than three working days → leader notice (领导通报).
    """
    if due is None or now <= due:
        return EscalationLevel.NONE
    late = working_minutes_between(due, now)
    if late > 3 * WORKDAY_MINUTES:
        return EscalationLevel.LEADER_NOTICE
    if late > WORKDAY_MINUTES:
        return EscalationLevel.SUPERVISION_ORDER
    return EscalationLevel.REMINDER


ESCALATION_ORDER = [
    EscalationLevel.NONE,
    EscalationLevel.REMINDER,
    EscalationLevel.SUPERVISION_ORDER,
    EscalationLevel.LEADER_NOTICE,
]


def escalation_rank(level: str) -> int:
    try:
        return ESCALATION_ORDER.index(EscalationLevel(level))
    except ValueError:
        return 0
