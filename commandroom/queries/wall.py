"""The wall's figures, computed from a session: pure functions (SQLAlchemy and numpy, no Qt).

Every function takes ``now`` (naive UTC) and an optional township scope, and never reads the
clock, so tests check them on fixed data and the soak driver runs them on a fake clock.
Days and hours are Asia/Shanghai. Personal data is masked here (:mod:`commandroom.queries.masking`),
before anything reaches a widget.

* :func:`overview_figures` — the KPIs and the four chart series;
* :func:`ticker_items` — the newest reports for the ticker (masked);
* :func:`zone_figures` — the compact 7-zone board (counts only, no names);
* :func:`case_figures` — one-thing cases: states, overdue cases, departments not checked in;
* :func:`board_figures` — the kanban boards in one table;
* :func:`urgent_items` / :func:`open_urgent_ids` — urgent (L1) incidents and reports for the takeover.

Definitions (they follow :mod:`commandroom.queries.briefing`):

* *open incident*: not closed, not deleted, not merged into another;
* *overdue*: an open incident with a running clock past its due time
  (:func:`commandroom.domain.clocks.running_clocks`);
* *on time*: closed with ``closed_at <= close_due`` (or without a close deadline);
* *on duty now*: members whose roster entry covers ``now`` and who are not off duty
  (:func:`commandroom.services.teams.on_duty`); when no roster entry covers ``now`` at all
  (rosters not kept in this store), members whose status is not 休息 — ``on_duty_source`` says which.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from commandroom.domain.clocks import (
    checkin_is_overdue,
    checkin_open_expr,
    checkin_overdue_expr,
    open_incident_expr,
    overdue_expr,
)
from commandroom.domain.enums import CardColumn, CaseState, MemberStatus
from commandroom.domain.models import (
    CaseCheckin,
    Department,
    EventCategory,
    Grid,
    Incident,
    MemberLoan,
    Module,
    OneThingCase,
    OneThingType,
    Report,
    RosterEntry,
    TaskCard,
    TeamMember,
    Township,
    Zone,
)
from commandroom.domain.sql import in_values
from commandroom.queries.briefing import local_day_bounds, local_today
from commandroom.queries.masking import mask_person_label, mask_text
from commandroom.services.cases import target_name
from commandroom.timeutil import to_local

HOURS = 24
TREND_DAYS = 30
BASELINE_DAYS = 7
TOP_CATEGORIES = 10
CATEGORY_WINDOW = timedelta(hours=24)
URGENT_RECENT = timedelta(hours=6)
SHORT_NAME_CHARS = 8
TICKER_TEXT_CHARS = 40


def short_name(name: str, limit: int = SHORT_NAME_CHARS) -> str:
    """A category name for a chart axis: without its bracketed details, at most ``limit`` characters."""
    base = name.split("(")[0].split("（")[0].strip() or name
    return base if len(base) <= limit else base[: limit - 1] + "…"


def _scope(column, townships: Sequence[str] | None) -> list:  # a SQLAlchemy column
    return [] if townships is None else [column.in_(list(townships))]


def _open_incident(townships: Sequence[str] | None) -> list:
    return [open_incident_expr(), *_scope(Incident.township_code, townships)]


def _hour_index(at: datetime, start: datetime) -> int:
    return int((at - start).total_seconds() // 3600)


def _month_start(now: datetime) -> datetime:
    day = local_today(now)
    start, _ = local_day_bounds(day.replace(day=1))
    return start


# ----------------------------------------------------------------------------- overview


@dataclass(frozen=True)
class Kpis:
    """The big numbers of the overview page."""

    reports_today: int
    open_incidents: int
    overdue: int
    closed_month: int
    closed_on_time_month: int
    on_duty: int
    on_duty_source: str  # roster / status / none

    @property
    def on_time_rate_month(self) -> float | None:
        """This month's on-time closure rate (0–1); None when nothing was closed this month."""
        return None if not self.closed_month else self.closed_on_time_month / self.closed_month


@dataclass(frozen=True)
class TickerItem:
    """One of the newest reports, masked for the wall."""

    report_id: str
    at: datetime  # naive UTC
    number: str
    township: str
    category: str
    text: str  # masked, shortened description
    reporter: str  # masked
    urgent: bool


@dataclass
class OverviewFigures:
    """Everything the overview page and the ticker show at ``now``.

    The chart components pull their series through the methods below (numpy arrays), so
    they know nothing about the database.
    """

    now: datetime
    day: date
    kpis: Kpis
    hourly_today_counts: list[int]
    hourly_baseline_avg: list[float]
    current_hour: int
    category_names: list[str]
    category_counts: list[int]
    zone_ids: list[str]
    zone_names: list[str]
    zone_open_counts: list[int]
    zone_overdue_counts: list[int]
    trend_days: list[date]
    trend_closed: list[int]
    trend_on_time: list[int]

    # -- the pull interface of the charts (ui.wall.charts)

    def hourly_today(self) -> np.ndarray:
        """Reports per local hour of today (24 values; hours still to come are 0)."""
        return np.asarray(self.hourly_today_counts, dtype=float)

    def hourly_baseline(self) -> np.ndarray:
        """Average reports per local hour over the previous 7 days (24 values)."""
        return np.asarray(self.hourly_baseline_avg, dtype=float)

    def categories(self) -> tuple[list[str], np.ndarray]:
        """The top categories of the last 24 hours, largest first: (names, counts)."""
        return list(self.category_names), np.asarray(self.category_counts, dtype=float)

    def zone_load(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Open incidents per zone and, of those, overdue: (zone names, open, overdue)."""
        return (list(self.zone_names), np.asarray(self.zone_open_counts, dtype=float),
                np.asarray(self.zone_overdue_counts, dtype=float))

    def on_time_trend(self) -> tuple[list[date], np.ndarray]:
        """On-time closure rate (percent) per local day over 30 days; NaN on days without closures."""
        closed = np.asarray(self.trend_closed, dtype=float)
        on_time = np.asarray(self.trend_on_time, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(closed > 0, 100.0 * on_time / np.maximum(closed, 1), np.nan)
        return list(self.trend_days), rate


def _count_overdue(session: Session, now: datetime, townships: Sequence[str] | None) -> tuple[int, dict[str, int]]:
    """Open incidents with a late running clock: the total and per township.

    Counted in the database with :func:`commandroom.domain.clocks.overdue_expr` (the SQL form of the
    rule, tested against the Python one): loading every open incident's five times to test them here
    cost a refresh ~10 ms of CPU on the reader thread, GIL time the GUI thread waits for.
    """
    by_town = {town: int(n) for town, n in session.execute(
        select(Incident.township_code, func.count()).where(*_open_incident(townships), overdue_expr(now))
        .group_by(Incident.township_code))}
    return sum(by_town.values()), by_town


def _utc_hour(session: Session, column: Any) -> Any:
    """``column`` truncated to its UTC hour, as text "YYYY-MM-DD HH" (SQLite and PostgreSQL).

    Shanghai's offset is a whole number of hours, so a UTC hour is one local hour: counting per hour
    in the database and placing the (at most a few hundred) hours in Python gives the same figures as
    placing every row, without turning thousands of stored times into ``datetime`` objects.
    """
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H", column)
    return func.to_char(func.date_trunc("hour", column), "YYYY-MM-DD HH24")


def _hour_start(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}:00")


def _on_duty(session: Session, now: datetime, zone_ids: set[str] | None) -> tuple[int, str]:
    from commandroom.services.teams import on_duty

    covered = session.scalar(select(func.count()).select_from(RosterEntry).where(
        RosterEntry.deleted.is_(False), RosterEntry.starts_at <= now, RosterEntry.ends_at > now))
    if covered:
        duty = [d for d in on_duty(session, now) if d.member.status != MemberStatus.OFF_DUTY
                and (zone_ids is None or d.zone_id in zone_ids)]
        return len(duty), "roster"
    q = select(func.count()).select_from(TeamMember).where(
        TeamMember.deleted.is_(False), TeamMember.status != MemberStatus.OFF_DUTY.value)
    if zone_ids is not None:
        q = q.where(TeamMember.zone_id.in_(in_values(sorted(zone_ids))))
    members = int(session.scalar(q) or 0)
    total = int(session.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.deleted.is_(False)))
                or 0)
    return members, ("status" if total else "none")


def _zones(session: Session, townships: Sequence[str] | None) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """[(zone id, name)] in id order (only zones serving the scope) and township → zone id."""
    town_zone: dict[str, str] = {}
    for code, zone_id in session.execute(select(Township.code, Township.zone_id)):
        if zone_id:
            town_zone[code] = zone_id
    zones = []
    for z in session.scalars(select(Zone).order_by(Zone.id)):
        for c in [z.hub_code, *(z.member_codes or [])]:
            town_zone.setdefault(c, z.id)
        zones.append((z.id, z.name))
    if townships is not None:
        wanted = {town_zone.get(t) for t in townships}
        zones = [z for z in zones if z[0] in wanted]
    return zones, town_zone


def ticker_items(session: Session, now: datetime, *, townships: Sequence[str] | None = None,
                 size: int = 20) -> list[TickerItem]:
    """The newest ``size`` reports up to ``now``, newest first, with descriptions and reporters masked."""
    towns = dict(session.execute(select(Township.code, Township.short_name)).all())
    cats = dict(session.execute(select(EventCategory.code, EventCategory.name)).all())
    rows = session.execute(
        select(Report.id, Report.reported_at, Report.number, Report.township_code, Report.category_code,
               Report.description, Report.reporter_name, Report.urgency_hint)
        .where(Report.deleted.is_(False), Report.reported_at <= now, *_scope(Report.township_code, townships))
        .order_by(Report.reported_at.desc(), Report.id.desc()).limit(size))
    out = []
    for r in rows:
        text = mask_text(" ".join((r.description or "").split()))
        if len(text) > TICKER_TEXT_CHARS:
            text = text[: TICKER_TEXT_CHARS - 1] + "…"
        out.append(TickerItem(r.id, r.reported_at, r.number or "", towns.get(r.township_code, r.township_code),
                              short_name(cats.get(r.category_code, r.category_code), 12), text,
                              mask_person_label(r.reporter_name), r.urgency_hint == "L1"))
    return out


def overview_figures(session: Session, now: datetime, *, townships: Sequence[str] | None = None) -> OverviewFigures:
    """The overview page's figures at ``now`` (naive UTC) for ``townships`` (None: all in the store)."""
    today = local_today(now)
    day_start, day_end = local_day_bounds(today)
    live_reports = [Report.deleted.is_(False), *_scope(Report.township_code, townships)]

    # reports per hour: today, and the previous 7 days folded onto one day
    hourly = [0] * HOURS
    baseline = [0] * HOURS
    base_start = day_start - timedelta(days=BASELINE_DAYS)
    hour_of_report = _utc_hour(session, Report.reported_at)
    for hour_text, n in session.execute(select(hour_of_report, func.count()).where(
            Report.reported_at >= base_start, Report.reported_at < min(day_end, now + timedelta(seconds=1)),
            *live_reports).group_by(hour_of_report)):
        at = _hour_start(hour_text)
        if at >= day_start:
            h = _hour_index(at, day_start)
            if 0 <= h < HOURS:
                hourly[h] += n
        else:
            baseline[_hour_index(at, base_start) % HOURS] += n
    reports_today = sum(hourly)
    current_hour = max(0, min(HOURS - 1, _hour_index(now, day_start)))

    # categories of the last 24 hours
    cats = dict(session.execute(select(EventCategory.code, EventCategory.name)).all())
    top = session.execute(
        select(Report.category_code, func.count().label("n"))
        .where(Report.reported_at > now - CATEGORY_WINDOW, Report.reported_at <= now, *live_reports)
        .group_by(Report.category_code).order_by(func.count().desc(), Report.category_code)
        .limit(TOP_CATEGORIES)).all()

    # open load per zone
    zones, town_zone = _zones(session, townships)
    zone_open: Counter[str] = Counter()
    zone_late: Counter[str] = Counter()
    open_total = 0
    for zone_id, town, n in session.execute(
            select(Incident.zone_id, Incident.township_code, func.count())
            .where(*_open_incident(townships)).group_by(Incident.zone_id, Incident.township_code)):
        open_total += n
        zone_open[zone_id or town_zone.get(town, "")] += n
    overdue, overdue_by_town = _count_overdue(session, now, townships)
    for town, n in overdue_by_town.items():
        zone_late[town_zone.get(town, "")] += n

    # closures: this month's rate and the 30-day trend
    month_start = _month_start(now)
    trend_start, _ = local_day_bounds(today - timedelta(days=TREND_DAYS - 1))
    first = min(month_start, trend_start)
    trend_closed = [0] * TREND_DAYS
    trend_on_time = [0] * TREND_DAYS
    closed_month = on_time_month = 0
    # per UTC hour of closing (month and day starts are whole local hours): closed, and closed on time
    hour_closed = _utc_hour(session, Incident.closed_at)
    on_time = case((or_(Incident.close_due.is_(None), Incident.closed_at <= Incident.close_due), 1), else_=0)
    for hour_text, n, ok in session.execute(
            select(hour_closed, func.count(), func.sum(on_time))
            .where(Incident.state == "closed", Incident.closed_at >= first, Incident.closed_at <= now,
                   Incident.deleted.is_(False), *_scope(Incident.township_code, townships))
            .group_by(hour_closed)):
        closed_at, ok = _hour_start(hour_text), int(ok or 0)
        if closed_at >= month_start:
            closed_month += n
            on_time_month += ok
        if closed_at >= trend_start:
            i = int((closed_at - trend_start).total_seconds() // 86400)
            if 0 <= i < TREND_DAYS:
                trend_closed[i] += n
                trend_on_time[i] += ok

    zone_ids = None if townships is None else {z for z, _n in zones}
    on_duty, source = _on_duty(session, now, zone_ids)
    kpis = Kpis(reports_today=reports_today, open_incidents=open_total, overdue=overdue, closed_month=closed_month,
                closed_on_time_month=on_time_month, on_duty=on_duty, on_duty_source=source)
    return OverviewFigures(
        now=now,
        day=today,
        kpis=kpis,
        hourly_today_counts=hourly,
        hourly_baseline_avg=[b / BASELINE_DAYS for b in baseline],
        current_hour=current_hour,
        category_names=[short_name(cats.get(code, code)) for code, _n in top],
        category_counts=[int(n) for _code, n in top],
        zone_ids=[z for z, _n in zones],
        zone_names=[n for _z, n in zones],
        zone_open_counts=[zone_open.get(z, 0) for z, _n in zones],
        zone_overdue_counts=[zone_late.get(z, 0) for z, _n in zones],
        trend_days=[today - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)],
        trend_closed=trend_closed,
        trend_on_time=trend_on_time,
    )


# ----------------------------------------------------------------------------- zones


@dataclass(frozen=True)
class ZoneFigure:
    """One tile of the compact zone board (counts only: the wall shows no member names).

    ``open_incidents`` and ``overdue`` count the zone's open *enforcement* incidents (the team's work).
    """

    zone_id: str
    name: str
    townships: list[str]
    on_duty: int
    available: int
    open_incidents: int
    overdue: int
    load: float
    balance: str  # busy / normal / idle / unstaffed


def _zone_board_rows(session: Session, now: datetime) -> list[tuple[str, str, list[str], int, int, int, int]]:
    """Per zone, in id order: (zone id, name, township names, on duty, available, open enforcement incidents,
    of those overdue).

    The counts of :func:`commandroom.services.teams.zone_board` read as plain rows: that function loads
    ORM objects (every township with its area GeoJSON, twice, members, dispatches, open incidents) and
    computes the zones' neighbours with shapely for the desktop's lending suggestion, none of which the
    wall shows. On a wall reloading its zone board every few seconds for weeks that churn was the largest
    allocation of a refresh and kept raising the allocator's high-water mark (issue 21). Open and
    overdue incidents are counted in the database (:func:`commandroom.domain.clocks.overdue_expr`).
    """
    from commandroom.workflows import INCIDENT_OPEN_STATES

    zone_rows = session.execute(select(Zone.id, Zone.name, Zone.hub_code, Zone.member_codes).order_by(Zone.id)).all()
    names: dict[str, str] = {code: short for code, short in session.execute(select(Township.code, Township.short_name))}
    zone_by_township: dict[str, str] = {}
    for zone_id, _name, hub, members in zone_rows:
        for code in [*(members or []), hub]:
            zone_by_township.setdefault(code, zone_id)
    # on duty: the members a roster entry covers now, in their zone or the zone a running loan sends them to
    rostered = set(session.scalars(select(RosterEntry.member_id).where(
        RosterEntry.deleted.is_(False), RosterEntry.starts_at <= now, RosterEntry.ends_at > now)))
    on_duty: Counter[str] = Counter()
    available: Counter[str] = Counter()
    if rostered:
        lent_to: dict[str, str] = {}
        for member_id, to_zone in session.execute(
                select(MemberLoan.member_id, MemberLoan.to_zone_id)
                .where(MemberLoan.deleted.is_(False), MemberLoan.starts_at <= now, MemberLoan.ends_at > now)
                .order_by(MemberLoan.starts_at, MemberLoan.id)):
            lent_to[member_id] = to_zone  # the latest started loan wins
        ids = sorted(rostered)
        for start in range(0, len(ids), 512):
            for member_id, zone_id, status in session.execute(
                    select(TeamMember.id, TeamMember.zone_id, TeamMember.status).where(
                        TeamMember.id.in_(in_values(ids[start:start + 512])), TeamMember.deleted.is_(False))):
                zone_id = lent_to.get(member_id, zone_id)
                if status != MemberStatus.OFF_DUTY.value:  # rostered but reported off duty (休息): not counted
                    on_duty[zone_id] += 1
                if status == MemberStatus.AVAILABLE.value:
                    available[zone_id] += 1
    open_work: Counter[str] = Counter()
    late_work: Counter[str] = Counter()
    for zone_id, town, n, late in session.execute(
            select(Incident.zone_id, Incident.township_code, func.count(),
                   func.sum(case((overdue_expr(now), 1), else_=0)))
            .where(Incident.deleted.is_(False), Incident.is_enforcement.is_(True), Incident.merged_into_id.is_(None),
                   Incident.state.in_([s.value for s in INCIDENT_OPEN_STATES]))
            .group_by(Incident.zone_id, Incident.township_code)):
        zone_id = zone_id or zone_by_township.get(town)
        if zone_id:
            open_work[zone_id] += n
            late_work[zone_id] += int(late or 0)
    out = []
    for zone_id, name, hub, members in zone_rows:
        codes: list[str] = list(dict.fromkeys([hub, *(members or [])]))
        out.append((zone_id, name, [names.get(c, c) for c in codes], on_duty[zone_id], available[zone_id],
                    open_work[zone_id], late_work[zone_id]))
    return out


def zone_figures(session: Session, now: datetime, *, townships: Sequence[str] | None = None) -> list[ZoneFigure]:
    """The 7-zone board for the wall: the counts and balance of :func:`commandroom.services.teams.zone_board`.

    Read as plain rows (:func:`_zone_board_rows`), the balance computed with the same rule
    (``BUSY_FACTOR``/``IDLE_FACTOR`` over the mean of all zones' loads). When no roster entry covers
    ``now`` the services count nobody on duty; the wall then counts members by status (as
    :func:`overview_figures` does) so the tiles are not all "busy".
    """
    from commandroom.services.teams import BUSY_FACTOR, IDLE_FACTOR

    board = _zone_board_rows(session, now)
    _zones_list, _town_zone = _zones(session, townships)
    wanted = None if townships is None else {z for z, _n in _zones_list}
    # the services' balance: loads rounded to 3 places, compared with the mean over every zone
    loads = {zone_id: round(n_open / max(1, duty), 3) for zone_id, _n, _t, duty, _a, n_open, _l in board}
    mean = sum(loads.values()) / len(loads) if loads else 0.0
    balance: dict[str, str] = {}
    for zone_id, _n, _t, duty, _a, n_open, _l in board:
        load = loads[zone_id]
        balance[zone_id] = ("busy" if (n_open and duty == 0) or (load > 0 and load >= max(1.0, BUSY_FACTOR * mean))
                            else "unstaffed" if duty == 0 else "idle" if load <= IDLE_FACTOR * mean else "normal")
    covered = session.scalar(select(func.count()).select_from(RosterEntry).where(
        RosterEntry.deleted.is_(False), RosterEntry.starts_at <= now, RosterEntry.ends_at > now))
    by_status: dict[str, Counter[str]] = defaultdict(Counter)
    if not covered:
        for zone_id, status, n in session.execute(
                select(TeamMember.zone_id, TeamMember.status, func.count())
                .where(TeamMember.deleted.is_(False)).group_by(TeamMember.zone_id, TeamMember.status)):
            by_status[zone_id][status] += n
    out = []
    for zone_id, name, town_names, on_duty, available, n_open, late in board:
        if wanted is not None and zone_id not in wanted:
            continue
        if not covered:
            counts = by_status.get(zone_id, Counter())
            on_duty = sum(n for st, n in counts.items() if st != MemberStatus.OFF_DUTY.value)
            available = counts.get(MemberStatus.AVAILABLE.value, 0)
        load = n_open / max(1, on_duty)
        out.append(ZoneFigure(zone_id, name, town_names, on_duty, available, n_open, late, round(load, 2),
                              balance[zone_id] if covered else ""))
    if not covered and out:
        mean = sum(z.load for z in out) / len(out)
        out = [ZoneFigure(z.zone_id, z.name, z.townships, z.on_duty, z.available, z.open_incidents, z.overdue, z.load,
                          "busy" if (z.open_incidents and not z.on_duty) or (z.load > 0 and z.load >= max(1.0, 1.5 * mean))
                          else "unstaffed" if not z.on_duty  # nobody there is no spare capacity
                          else "idle" if z.load <= 0.5 * mean else "normal") for z in out]
    return out


# ----------------------------------------------------------------------------- one-thing cases


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    number: str
    title: str
    type_name: str
    lead: str
    state: str  # CaseState value
    due_at: datetime
    overdue_hours: float  # > 0: late
    waiting_checkins: int


@dataclass(frozen=True)
class CheckinRow:
    target: str
    subject: str
    due_at: datetime
    overdue: bool


@dataclass
class CaseFigures:
    """One-thing cases (一件事) on the wall: counts by state, the open cases by urgency of their deadline."""

    now: datetime
    by_state: dict[str, int]  # CaseState value → open count
    open_total: int
    overdue_total: int
    completed_30d: int
    completed_on_time_30d: int
    cases: list[CaseRow]
    checkins: list[CheckinRow]  # the first ``limit``, oldest deadline first
    waiting_total: int = 0  # all check-ins still waiting
    waiting_late: int = 0  # of those, past their deadline


def case_figures(session: Session, now: datetime, *, townships: Sequence[str] | None = None,
                 limit: int = 12) -> CaseFigures:
    """Open one-thing cases (overdue first, then by deadline) and departments not checked in yet."""
    types = dict(session.execute(select(OneThingType.code, OneThingType.name)).all())
    departments = dict(session.execute(select(Department.code, Department.short_name)).all())
    live = [OneThingCase.deleted.is_(False), *_scope(OneThingCase.township_code, townships)]
    open_cases = list(session.scalars(
        select(OneThingCase).where(OneThingCase.state != CaseState.COMPLETED.value, *live)
        .order_by(OneThingCase.due_at, OneThingCase.id)))
    waiting: Counter[str] = Counter()
    for case_id, n in session.execute(
            select(CaseCheckin.case_id, func.count()).where(
                CaseCheckin.state == "waiting", CaseCheckin.deleted.is_(False), CaseCheckin.case_id.is_not(None))
            .group_by(CaseCheckin.case_id)):
        waiting[case_id] = n
    by_state: Counter[str] = Counter()
    rows = []
    for c in open_cases:
        by_state[c.state] += 1
        rows.append(CaseRow(c.id, c.number or "", c.title, types.get(c.type_code, c.type_code),
                            departments.get(c.lead_department_code, c.lead_department_code), c.state, c.due_at, round((now - c.due_at).total_seconds() / 3600, 1), waiting.get(c.id, 0)))
    rows.sort(key=lambda r: (-(r.overdue_hours > 0), -r.overdue_hours if r.overdue_hours > 0 else 0, r.due_at))
    since = now - timedelta(days=30)
    completed = on_time = 0
    for completed_at, due_at in session.execute(
            select(OneThingCase.completed_at, OneThingCase.due_at).where(
                OneThingCase.state == CaseState.COMPLETED.value, OneThingCase.completed_at >= since, *live)):
        completed += 1
        on_time += completed_at is not None and completed_at <= due_at
    waiting_scope = [checkin_open_expr(), *_scope(CaseCheckin.township_code, townships)]
    waiting_total = int(session.scalar(select(func.count()).select_from(CaseCheckin).where(*waiting_scope)) or 0)
    waiting_late = int(session.scalar(select(func.count()).select_from(CaseCheckin).where(
        *waiting_scope, checkin_overdue_expr(now))) or 0)
    checkins = []
    for chk, case_title in session.execute(
            select(CaseCheckin, OneThingCase.title).outerjoin(OneThingCase, OneThingCase.id == CaseCheckin.case_id)
            .where(*waiting_scope)
            .order_by(CaseCheckin.due_at, CaseCheckin.id).limit(limit)):
        # a module is named, never shown by its id (issue 13 item 10)
        target = (departments.get(chk.target_code, chk.target_code) if chk.target_kind == "department"
                  else target_name(session, chk.target_kind, chk.target_code))
        checkins.append(CheckinRow(target, case_title or "", chk.due_at,
                                   checkin_is_overdue(chk.checked_in_at, chk.state, chk.due_at, now)))
    return CaseFigures(now=now, by_state=dict(by_state), open_total=len(open_cases),
                       overdue_total=sum(1 for r in rows if r.overdue_hours > 0), completed_30d=completed,
                       completed_on_time_30d=on_time, cases=rows[:limit], checkins=checkins,
                       waiting_total=waiting_total, waiting_late=waiting_late)


# ----------------------------------------------------------------------------- boards


@dataclass(frozen=True)
class BoardRow:
    module_id: str
    name: str  # module name with its township
    lead: str  # masked
    counts: dict[str, int]  # column → cards
    wip_limit: int
    over_wip: bool
    overdue: int


@dataclass
class BoardFigures:
    now: datetime
    columns: list[str]  # CardColumn values, in board order
    totals: dict[str, int]
    overdue_total: int
    modules_over_wip: int
    rows: list[BoardRow]


def board_figures(session: Session, now: datetime, *, townships: Sequence[str] | None = None,
                  limit: int = 12) -> BoardFigures:
    """The task boards summarised: cards per column over all modules, and the busiest modules."""
    from commandroom.services.boards import WIP_COLUMN

    towns = dict(session.execute(select(Township.code, Township.short_name)).all())
    modules = {m.id: m for m in session.scalars(select(Module).where(
        Module.deleted.is_(False), *_scope(Module.township_code, townships)))}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    overdue: Counter[str] = Counter()
    for module_id, column, due_at in session.execute(
            select(TaskCard.module_id, TaskCard.column, TaskCard.due_at).where(
                TaskCard.deleted.is_(False), *_scope(TaskCard.township_code, townships))):
        if module_id not in modules:
            continue
        counts[module_id][column] += 1
        if column != CardColumn.DONE.value and due_at is not None and due_at < now:
            overdue[module_id] += 1
    columns = [c.value for c in CardColumn]
    totals = {c: sum(cnt.get(c, 0) for cnt in counts.values()) for c in columns}
    rows = []
    for module_id, cnt in counts.items():
        m = modules[module_id]
        doing = cnt.get(WIP_COLUMN, 0)
        rows.append(BoardRow(module_id, f"{towns.get(m.township_code, m.township_code)}·{m.name}",
                             mask_person_label(m.lead_name), {c: cnt.get(c, 0) for c in columns}, m.wip_limit,
                             bool(m.wip_limit) and doing > m.wip_limit, overdue.get(module_id, 0)))
    rows.sort(key=lambda r: (-r.overdue, -(r.over_wip), -(sum(r.counts.values()) - r.counts.get("done", 0)), r.name))
    return BoardFigures(now=now, columns=columns, totals=totals, overdue_total=sum(overdue.values()),
                        modules_over_wip=sum(1 for r in rows if r.over_wip), rows=rows[:limit])


# ----------------------------------------------------------------------------- urgent takeover


@dataclass(frozen=True)
class UrgentItem:
    """An urgent (L1) incident or waiting report, for the takeover card (masked)."""

    kind: str  # incident / report
    id: str
    number: str
    title: str
    category: str
    township: str
    place: str
    text: str  # masked
    urgency: str
    state: str  # IncidentState value ("" for a report)
    at: datetime  # naive UTC: created / reported
    lat: float | None
    lon: float | None
    report_ids: tuple[str, ...] = ()  # an incident's reports (a report that already alerted covers it)


def open_urgent_ids(session: Session, *, townships: Sequence[str] | None = None) -> tuple[set[str], set[str]]:
    """Ids of the urgent incidents and waiting urgent reports that exist now (they do not take over)."""
    incidents = set(session.scalars(select(Incident.id).where(Incident.urgency == "L1", *_open_incident(townships))))
    reports = set(session.scalars(select(Report.id).where(
        Report.urgency_hint == "L1", Report.state == "new", Report.deleted.is_(False),
        *_scope(Report.township_code, townships))))
    return incidents, reports


def urgent_items(session: Session, incident_ids: Sequence[str], report_ids: Sequence[str], now: datetime, *,
                 townships: Sequence[str] | None = None, recent: timedelta = URGENT_RECENT) -> list[UrgentItem]:
    """Of the given ids, the open L1 incidents and waiting L1 reports that appeared within ``recent``."""
    towns = dict(session.execute(select(Township.code, Township.short_name)).all())
    cats = dict(session.execute(select(EventCategory.code, EventCategory.name)).all())
    out: list[UrgentItem] = []
    since = now - recent
    if incident_ids:
        rows = list(session.scalars(select(Incident).where(
            Incident.id.in_(in_values(sorted(incident_ids))), Incident.urgency == "L1", Incident.created_at >= since,
            *_open_incident(townships))))
        linked: dict[str, list[str]] = defaultdict(list)
        if rows:
            for rid, iid in session.execute(select(Report.id, Report.incident_id).where(
                    Report.incident_id.in_(in_values(r.id for r in rows)))):
                linked[iid].append(rid)
        for r in rows:
            out.append(UrgentItem(
                "incident", r.id, r.number or "", mask_text(r.title), short_name(cats.get(r.category_code,
                                                                                             r.category_code), 16),
                towns.get(r.township_code, r.township_code), mask_text(r.address or ""),
                mask_text(r.description or "")[:120], r.urgency, r.state, r.created_at, r.lat, r.lon, tuple(sorted(linked[r.id]))))
    if report_ids:
        grids = {}
        rows_r = list(session.scalars(select(Report).where(
            Report.id.in_(in_values(sorted(report_ids))), Report.urgency_hint == "L1", Report.state == "new",
            Report.deleted.is_(False), Report.reported_at >= since, *_scope(Report.township_code, townships))))
        grid_ids = {r.grid_id for r in rows_r if r.grid_id}
        if grid_ids:
            grids = dict(session.execute(select(Grid.id, Grid.name).where(Grid.id.in_(in_values(sorted(grid_ids))))).all())
        for r in rows_r:
            cat = short_name(cats.get(r.category_code, r.category_code), 16)
            out.append(UrgentItem(
                "report", r.id, r.number or "", cat, cat, towns.get(r.township_code, r.township_code),
                mask_text(r.address or grids.get(r.grid_id or "", "") or ""), mask_text(r.description or "")[:120],
                "L1", "", r.reported_at, r.lat, r.lon))
    out.sort(key=lambda u: (u.at, u.id))
    return out


def fmt_rate(rate: float | None) -> str:
    """A 0–1 rate as a percentage with one decimal ("—" when unknown)."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "—"
    return f"{rate * 100:.1f}%"


def local_hm(at: datetime | None) -> str:
    loc = to_local(at)
    return loc.strftime("%H:%M") if loc else ""
