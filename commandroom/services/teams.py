"""Enforcement-team deployment across the 7 zones (一支队伍管执法): pure functions over a session.

What the zone board, the roster editor and the dispatch dialog need:

* **who is on duty** — a member is on duty in zone Z at time t when a roster entry
  covers t and the member's *effective zone* at t is Z: the ``to_zone`` of a loan
  running at t (``starts_at ≤ t < ends_at``; a loan ends by itself at ``ends_at``),
  else the member's home zone. So a member lent out counts in the borrowing zone,
  not at home;
* **certificates** — a certificate expiring within :data:`CERT_WARNING_DAYS` days is
  warned about; a member without a certificate valid on the dispatch date (Shanghai)
  cannot lead, and auxiliaries (辅助人员) never lead;
* **the zone board** — per zone: townships served, members on duty with status and
  open dispatches, open enforcement incidents, the workload indicator (忙闲不均) and
  a lending suggestion from a less busy *neighbouring* zone;
* **dispatch suggestions**, **joint visits** (综合查一次), **roster clashes** and
  **response-time statistics**.

Workload (忙闲不均), explained:

``load = open enforcement incidents of the zone / max(1, members on duty)``.
With ``mean`` the average load over all zones, a zone is *busy* when
``load ≥ max(1, BUSY_FACTOR × mean)``, or when it has open work and nobody on duty
(*understaffed*); *idle* when ``load ≤ IDLE_FACTOR × mean``; otherwise *normal*.
For a busy zone the suggestion names the neighbouring zone that is not busy, has
at least two available members on duty (so one stays) and the lowest load below
the busy zone's (ties: zone id); the member suggested is that zone's available,
non-auxiliary member with a valid certificate nearest to the busy zone's hub seat.

Nothing here reads the wall clock: every function takes ``now``/``at``.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import MEMBER_STATUS_LABELS, DispatchTarget, MemberStatus
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import (
    Dispatch,
    Incident,
    MemberLoan,
    RosterEntry,
    TeamMember,
    Township,
    Zone,
)
from commandroom.domain.sql import in_values
from commandroom.timeutil import local_to_utc, to_local
from commandroom.workflows import DISPATCH_ACTIVE_STATES, INCIDENT_OPEN_STATES

CERT_WARNING_DAYS = 30
BUSY_FACTOR = 1.5
IDLE_FACTOR = 0.5
JOINT_VISIT_RADIUS_KM = 2.0

# Shift presets, Shanghai wall clock: (start, end, end is on the next day)
SHIFTS: dict[str, tuple[time, time, int]] = {
    "day": (time(8, 0), time(18, 0), 0),
    "night": (time(18, 0), time(8, 0), 1),
    "full": (time(8, 0), time(8, 0), 1),
}
SHIFT_LABELS = {"day": "白班", "night": "夜班", "full": "全天", "custom": "自定"}

_STATUS_ORDER = {
    MemberStatus.AVAILABLE.value: 0,
    MemberStatus.EN_ROUTE.value: 1,
    MemberStatus.ON_SCENE.value: 2,
    MemberStatus.OFF_DUTY.value: 3,
}

_ID_NAMESPACE = uuid.UUID("6f0c1c2e-4b52-5d1e-9a3c-2f7d0e1b8c41")


def stable_id(*parts: object) -> str:
    """A deterministic id for a child row derived from its natural key.

    The same apply function runs on the workstation and on the server; deriving
    child ids (roster entries, check-ins, steps, automatic cards) from the parent
    and the natural key makes both create the *same* row, and makes "create it
    again" idempotent (two officers generating the same automatic card offline
    create one card).
    """
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(str(p) for p in parts)))


# --------------------------------------------------------------------------- geometry


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (WGS84 mean radius)."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def shanghai_date(at: datetime) -> date:
    loc = to_local(at)
    return loc.date()


def fmt_local(dt: datetime | None) -> str:
    loc = to_local(dt)
    return loc.strftime("%m-%d %H:%M") if loc else ""


# --------------------------------------------------------------------------- zones and neighbours


def zones(session: Session) -> list[Zone]:
    return list(session.scalars(select(Zone).order_by(Zone.id)))


def zone_of_township(session: Session, township_code: str | None) -> str | None:
    """The zone whose members (or hub) include the township."""
    if not township_code:
        return None
    all_zones = zones(session)
    for z in all_zones:
        if township_code in (z.member_codes or []):
            return z.id
    for z in all_zones:
        if z.hub_code == township_code:
            return z.id
    return None


def zone_of_incident(session: Session, incident: Incident) -> str | None:
    return incident.zone_id or zone_of_township(session, incident.township_code)


def _symmetric(adj: Mapping[str, Iterable[str]], ids: Iterable[str]) -> dict[str, list[str]]:
    known = set(ids)
    out: dict[str, set[str]] = {z: set() for z in known}
    for a, bs in adj.items():
        for b in bs:
            if a in known and b in known and a != b:
                out[a].add(b)
                out[b].add(a)
    return {z: sorted(v) for z, v in sorted(out.items())}


def zone_neighbours(session: Session, adjacency: Mapping[str, Iterable[str]] | None = None) -> dict[str, list[str]]:
    """Zone id → neighbouring zone ids (symmetric).

    ``adjacency`` given: that. Else, when every township of every zone has an
    area, zones whose township areas touch (share a border or overlap). Else the
    configured ``Zone.neighbour_ids``.
    """
    all_zones = zones(session)
    ids = [z.id for z in all_zones]
    if adjacency is not None:
        return _symmetric(adjacency, ids)
    townships = {t.code: t for t in session.scalars(select(Township))}
    codes_of = {z.id: sorted(set(z.member_codes or []) | {z.hub_code}) for z in all_zones}
    have_areas = all(
        townships.get(c) is not None and townships[c].area_geojson for codes in codes_of.values() for c in codes
    )
    if have_areas and all_zones:
        from shapely.geometry import shape
        from shapely.ops import unary_union

        geoms = {}
        for z in all_zones:
            parts = []
            for c in codes_of[z.id]:
                gj = townships[c].area_geojson or {}
                parts.append(shape(gj.get("geometry", gj)))
            geoms[z.id] = unary_union(parts).buffer(1e-6)
        adj: dict[str, list[str]] = {}
        for a in ids:
            adj[a] = [b for b in ids if b != a and geoms[a].intersects(geoms[b])]
        return _symmetric(adj, ids)
    return _symmetric({z.id: list(z.neighbour_ids or []) for z in all_zones}, ids)


# --------------------------------------------------------------------------- certificates


def cert_state(member: TeamMember, on: date) -> str:
    """``none`` / ``expired`` / ``expiring`` (≤ 30 days left, still valid) / ``valid`` on ``on``."""
    if not member.cert_no or member.cert_expiry is None:
        return "none"
    if member.cert_expiry < on:
        return "expired"
    if (member.cert_expiry - on).days <= CERT_WARNING_DAYS:
        return "expiring"
    return "valid"


CERT_LABELS = {"none": "无执法证", "expired": "执法证已过期", "expiring": "执法证即将到期", "valid": "执法证有效"}


def lead_problem(member: TeamMember, on: date) -> str | None:
    """Why ``member`` cannot be the lead enforcer (主办) on ``on``; None if they can."""
    if member.is_auxiliary:
        return f"{member.name} 是辅助人员，不能担任主办执法人员"
    state = cert_state(member, on)
    if state == "none":
        return f"{member.name} 没有执法证，不能担任主办执法人员"
    if state == "expired":
        return f"{member.name} 的执法证已于 {member.cert_expiry.isoformat()} 到期，不能担任主办执法人员"
    return None


def can_lead(member: TeamMember, on: date) -> bool:
    return lead_problem(member, on) is None


def check_lead(session: Session, member_id: str, at: datetime, *, field_name: str = "lead_member_id",
               zone_id: str | None = None) -> TeamMember:
    """Raise ValidationError unless the member may lead a dispatch made at ``at`` (UTC).

    ``zone_id``: the team dispatched; a member who is not with that team then (its own zone, or lent to it)
    is answered like one that does not exist, so nothing of another zone's people (certificate, status) is said.
    """
    member = session.get(TeamMember, member_id)
    if member is None or member.deleted or (zone_id is not None and effective_zone(session, member, at) != zone_id):
        raise ValidationError(field_name, f"no team member with id '{member_id}'")
    problem = lead_problem(member, shanghai_date(at))
    if problem:
        raise ValidationError(field_name, problem)
    return member


@dataclass(frozen=True)
class CertWarning:
    member_id: str
    name: str
    zone_id: str
    cert_no: str | None
    cert_expiry: date | None
    state: str  # none / expired / expiring
    days_left: int | None
    label: str


def cert_warnings(session: Session, today: date, zone_id: str | None = None) -> list[CertWarning]:
    """Non-auxiliary members whose certificate is missing, expired or expires within 30 days."""
    q = select(TeamMember).where(TeamMember.deleted.is_(False), TeamMember.is_auxiliary.is_(False))
    if zone_id:
        q = q.where(TeamMember.zone_id == zone_id)
    out = []
    for m in session.scalars(q.order_by(TeamMember.zone_id, TeamMember.name, TeamMember.id)):
        state = cert_state(m, today)
        if state == "valid":
            continue
        days = (m.cert_expiry - today).days if m.cert_expiry else None
        out.append(CertWarning(m.id, m.name, m.zone_id, m.cert_no, m.cert_expiry, state, days, CERT_LABELS[state]))
    out.sort(key=lambda w: (w.days_left if w.days_left is not None else -10**6, w.zone_id, w.name, w.member_id))
    return out


# --------------------------------------------------------------------------- loans and roster


def active_loan(session: Session, member_id: str, at: datetime) -> MemberLoan | None:
    """The loan running at ``at`` (the latest started one if several)."""
    return session.scalars(
        select(MemberLoan)
        .where(
            MemberLoan.member_id == member_id,
            MemberLoan.deleted.is_(False),
            MemberLoan.starts_at <= at,
            MemberLoan.ends_at > at,
        )
        .order_by(MemberLoan.starts_at.desc(), MemberLoan.id.desc())
        .limit(1)
    ).first()


def _active_loans(session: Session, at: datetime) -> dict[str, MemberLoan]:
    out: dict[str, MemberLoan] = {}
    rows = session.scalars(
        select(MemberLoan)
        .where(MemberLoan.deleted.is_(False), MemberLoan.starts_at <= at, MemberLoan.ends_at > at)
        .order_by(MemberLoan.starts_at, MemberLoan.id)
    )
    for loan in rows:
        out[loan.member_id] = loan  # the latest started wins
    return out


def effective_zone(session: Session, member: TeamMember, at: datetime) -> str:
    loan = active_loan(session, member.id, at)
    return loan.to_zone_id if loan else member.zone_id


def shift_bounds(day: date, shift: str) -> tuple[datetime, datetime]:
    """UTC start and end of a preset shift on a Shanghai calendar day."""
    if shift not in SHIFTS:
        raise ValidationError("shift", f"'{shift}' is not one of {', '.join(SHIFTS)}")
    start, end, plus = SHIFTS[shift]
    a = local_to_utc(datetime.combine(day, start))
    b = local_to_utc(datetime.combine(day + timedelta(days=plus), end))
    return a, b


def entries_at(session: Session, at: datetime) -> dict[str, RosterEntry]:
    """Member id → the roster entry covering ``at`` (earliest start if several)."""
    out: dict[str, RosterEntry] = {}
    rows = session.scalars(
        select(RosterEntry)
        .where(RosterEntry.deleted.is_(False), RosterEntry.starts_at <= at, RosterEntry.ends_at > at)
        .order_by(RosterEntry.starts_at.desc(), RosterEntry.id.desc())
    )
    for e in rows:
        out[e.member_id] = e
    return out


@dataclass(frozen=True)
class OnDuty:
    member: TeamMember
    entry: RosterEntry
    zone_id: str  # effective zone
    lent_from: str | None  # home zone when lent in
    loan: MemberLoan | None


def on_duty(session: Session, at: datetime, zone_id: str | None = None) -> list[OnDuty]:
    """Members on duty at ``at`` (roster covers ``at``), in their effective zone; optionally one zone."""
    entries = entries_at(session, at)
    if not entries:
        return []
    loans = _active_loans(session, at)
    members = {
        m.id: m
        for m in session.scalars(
            select(TeamMember).where(TeamMember.id.in_(in_values(entries)), TeamMember.deleted.is_(False))
        )
    }
    out = []
    for mid, entry in entries.items():
        m = members.get(mid)
        if m is None:
            continue
        loan = loans.get(mid)
        eff = loan.to_zone_id if loan else m.zone_id
        if zone_id is not None and eff != zone_id:
            continue
        out.append(OnDuty(m, entry, eff, loan.from_zone_id if loan else None, loan))
    out.sort(key=lambda d: (d.zone_id, d.member.name, d.member.id))
    return out


def on_duty_ids(session: Session, zone_id: str, at: datetime) -> list[str]:
    return [d.member.id for d in on_duty(session, at, zone_id)]


@dataclass(frozen=True)
class Clash:
    """Two roster entries of one member whose times overlap (same zone or two zones at once)."""

    member_id: str
    member_name: str
    kind: str  # overlap / two_zones
    first_id: str
    second_id: str
    first_zone: str
    second_zone: str
    first: tuple[datetime, datetime]
    second: tuple[datetime, datetime]

    @property
    def message(self) -> str:
        a, b = self.first, self.second
        where = (
            f"同时排在 {self.first_zone} 和 {self.second_zone} 两个片区"
            if self.kind == "two_zones" else "班次时间重叠"
        )
        return (f"{self.member_name}: {where}（{fmt_local(a[0])}–{fmt_local(a[1])} 与 "
                f"{fmt_local(b[0])}–{fmt_local(b[1])}）")


def find_clashes(entries: Sequence[Any], names: Mapping[str, str] | None = None) -> list[Clash]:
    """Overlapping entries per member; ``entries`` have id, member_id, zone_id, starts_at, ends_at."""
    names = names or {}
    by_member: dict[str, list[Any]] = defaultdict(list)
    for e in entries:
        by_member[e.member_id].append(e)
    out = []
    for mid in sorted(by_member):
        rows = sorted(by_member[mid], key=lambda e: (e.starts_at, e.ends_at, e.id))
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if b.starts_at >= a.ends_at:
                    break
                kind = "two_zones" if a.zone_id != b.zone_id else "overlap"
                out.append(Clash(mid, names.get(mid, mid), kind, a.id, b.id, a.zone_id, b.zone_id,
                                 (a.starts_at, a.ends_at), (b.starts_at, b.ends_at)))
    return out


def roster_clashes(session: Session, start: datetime, end: datetime, zone_id: str | None = None) -> list[Clash]:
    """Clashes among stored entries overlapping [start, end) (e.g. two offline edits of two zones)."""
    rows = list(
        session.scalars(
            select(RosterEntry).where(
                RosterEntry.deleted.is_(False), RosterEntry.starts_at < end, RosterEntry.ends_at > start
            )
        )
    )
    names = {m.id: m.name for m in session.scalars(select(TeamMember))}
    clashes = find_clashes(rows, names)
    if zone_id is not None:
        clashes = [c for c in clashes if zone_id in (c.first_zone, c.second_zone)]
    return clashes


def week_start(d: date) -> date:
    """The Monday of ``d``'s week."""
    return d - timedelta(days=d.weekday())


def roster_week(session: Session, zone_id: str, monday: date) -> list[RosterEntry]:
    """The zone's entries for the week starting ``monday`` (by Shanghai calendar day)."""
    return list(
        session.scalars(
            select(RosterEntry)
            .where(
                RosterEntry.zone_id == zone_id,
                RosterEntry.deleted.is_(False),
                RosterEntry.day >= monday,
                RosterEntry.day < monday + timedelta(days=7),
            )
            .order_by(RosterEntry.day, RosterEntry.starts_at, RosterEntry.member_id)
        )
    )


# --------------------------------------------------------------------------- open work


def open_dispatches(session: Session) -> dict[str, list[Dispatch]]:
    """Member id → the active team dispatches they are on (lead or member)."""
    out: dict[str, list[Dispatch]] = defaultdict(list)
    rows = session.scalars(
        select(Dispatch)
        .where(
            Dispatch.deleted.is_(False),
            Dispatch.target_kind == DispatchTarget.TEAM.value,
            Dispatch.state.in_([s.value for s in DISPATCH_ACTIVE_STATES]),
        )
        .order_by(Dispatch.assigned_at, Dispatch.id)
    )
    for d in rows:
        for mid in dict.fromkeys([*(d.member_ids or []), *([d.lead_member_id] if d.lead_member_id else [])]):
            out[mid].append(d)
    return out


def open_enforcement_incidents(session: Session) -> dict[str, list[Incident]]:
    """Zone id → open (not closed, not merged) enforcement incidents of the townships it serves."""
    zone_by_township: dict[str, str] = {}
    for z in zones(session):
        for c in [*(z.member_codes or []), z.hub_code]:
            zone_by_township.setdefault(c, z.id)
    out: dict[str, list[Incident]] = defaultdict(list)
    rows = session.scalars(
        select(Incident)
        .where(
            Incident.deleted.is_(False),
            Incident.is_enforcement.is_(True),
            Incident.merged_into_id.is_(None),
            Incident.state.in_([s.value for s in INCIDENT_OPEN_STATES]),
        )
        .order_by(Incident.created_at, Incident.id)
    )
    for inc in rows:
        zid = inc.zone_id or zone_by_township.get(inc.township_code)
        if zid:
            out[zid].append(inc)
    return out


# --------------------------------------------------------------------------- zone board


@dataclass(frozen=True)
class MemberOnDuty:
    member_id: str
    name: str
    status: str
    status_label: str
    origin: str
    is_auxiliary: bool
    cert_state: str
    can_lead: bool
    lent_from: str | None
    shift_ends_at: datetime
    open_dispatch_ids: list[str]
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class LendSuggestion:
    from_zone_id: str
    to_zone_id: str
    member_id: str
    member_name: str
    until: datetime  # end of the member's shift: a default end for the loan
    reason: str


@dataclass
class ZoneSummary:
    zone_id: str
    name: str
    hub_code: str
    township_codes: list[str]
    township_names: list[str]
    members: list[MemberOnDuty]
    on_duty: int
    available: int
    open_incident_ids: list[str]
    open_incidents: int
    load: float
    understaffed: bool
    balance: str = "normal"  # busy / normal / idle / unstaffed (nobody on duty, nothing open)
    neighbours: list[str] = field(default_factory=list)
    lend_suggestion: LendSuggestion | None = None
    cert_warnings: list[CertWarning] = field(default_factory=list)


BALANCE_LABELS = {"busy": "忙", "normal": "正常", "idle": "闲", "unstaffed": "无人在岗"}


def zone_board(
    session: Session, now: datetime, *, adjacency: Mapping[str, Iterable[str]] | None = None
) -> list[ZoneSummary]:
    """The zone board: one summary per zone, in zone-id order (see the module doc for the formulas)."""
    all_zones = zones(session)
    townships = {t.code: t for t in session.scalars(select(Township))}
    duty = on_duty(session, now)
    dispatches = open_dispatches(session)
    incidents = open_enforcement_incidents(session)
    neighbours = zone_neighbours(session, adjacency)
    today = shanghai_date(now)
    warnings = cert_warnings(session, today)
    summaries: dict[str, ZoneSummary] = {}
    for z in all_zones:
        codes = list(dict.fromkeys([z.hub_code, *(z.member_codes or [])]))
        members = []
        for d in duty:
            if d.zone_id != z.id:
                continue
            m = d.member
            cs = cert_state(m, today)
            members.append(
                MemberOnDuty(
                    member_id=m.id, name=m.name, status=m.status,
                    status_label=MEMBER_STATUS_LABELS.get(m.status, m.status),
                    origin=m.origin, is_auxiliary=m.is_auxiliary, cert_state=cs,
                    can_lead=lead_problem(m, today) is None, lent_from=d.lent_from,
                    shift_ends_at=d.entry.ends_at, open_dispatch_ids=[x.id for x in dispatches.get(m.id, [])],
                    lat=m.lat, lon=m.lon,
                )
            )
        members.sort(key=lambda x: (_STATUS_ORDER.get(x.status, 9), x.name, x.member_id))
        # rostered members who reported themselves off duty (休息) are listed but not counted
        n_duty = len([x for x in members if x.status != MemberStatus.OFF_DUTY])
        avail = len([x for x in members if x.status == MemberStatus.AVAILABLE])
        open_ids = [i.id for i in incidents.get(z.id, [])]
        load = len(open_ids) / max(1, n_duty)
        summaries[z.id] = ZoneSummary(
            zone_id=z.id, name=z.name, hub_code=z.hub_code, township_codes=codes,
            township_names=[townships[c].short_name if c in townships else c for c in codes],
            members=members, on_duty=n_duty, available=avail, open_incident_ids=open_ids,
            open_incidents=len(open_ids), load=round(load, 3), understaffed=bool(open_ids) and n_duty == 0,
            neighbours=neighbours.get(z.id, []),
            cert_warnings=[w for w in warnings if w.zone_id == z.id],
        )
    if not summaries:
        return []
    mean = sum(s.load for s in summaries.values()) / len(summaries)
    for s in summaries.values():
        if s.understaffed or (s.load > 0 and s.load >= max(1.0, BUSY_FACTOR * mean)):
            s.balance = "busy"
        elif s.on_duty == 0:  # nobody rostered is no spare capacity (无人在岗, not 闲)
            s.balance = "unstaffed"
        elif s.load <= IDLE_FACTOR * mean:
            s.balance = "idle"
    for s in summaries.values():
        if s.balance == "busy":
            s.lend_suggestion = _suggest_loan(s, summaries, townships, today)
    return [summaries[z.id] for z in all_zones]


def _suggest_loan(busy: ZoneSummary, summaries: Mapping[str, ZoneSummary], townships: Mapping[str, Township],
                  today: date) -> LendSuggestion | None:
    candidates = [
        summaries[n] for n in busy.neighbours
        if n in summaries and summaries[n].balance != "busy" and summaries[n].available >= 2
        and summaries[n].load < busy.load
    ]
    if not candidates:
        return None
    donor = min(candidates, key=lambda s: (s.load, s.zone_id))
    hub = townships.get(busy.hub_code)
    pool = [m for m in donor.members if m.status == MemberStatus.AVAILABLE and m.lent_from is None]
    leaders = [m for m in pool if m.can_lead]
    pool = leaders or pool
    if not pool:
        return None

    def dist(m: MemberOnDuty) -> float:
        if hub is None or m.lat is None or m.lon is None:
            return math.inf
        return haversine_km(m.lat, m.lon, hub.seat_lat, hub.seat_lon)

    member = min(pool, key=lambda m: (dist(m), m.name, m.member_id))
    reason = (
        f"{busy.name}每名在岗队员待办 {busy.load:.1f} 件"
        + ("（无人在岗）" if busy.understaffed else "")
        + f"，相邻的{donor.name}为 {donor.load:.1f} 件、空闲 {donor.available} 人：建议临时借调 {member.name}"
    )
    return LendSuggestion(donor.zone_id, busy.zone_id, member.member_id, member.name, member.shift_ends_at, reason)


# --------------------------------------------------------------------------- dispatch suggestions


@dataclass(frozen=True)
class MemberSuggestion:
    member_id: str
    name: str
    status: str
    distance_km: float | None
    open_load: int
    can_lead: bool
    cert_state: str
    is_auxiliary: bool
    lent_from: str | None
    rank_key: tuple


def suggest_members(session: Session, incident: Incident, now: datetime) -> list[MemberSuggestion]:
    """Members on duty in the zone serving the incident's township, best first.

    Includes members lent into the zone, excludes those lent out and those whose
    status is off duty. Order: status (available, en route, on scene), distance
    from the member's last position to the incident in whole kilometres (unknown
    last), open dispatches, exact distance, name, id.
    """
    zone_id = zone_of_incident(session, incident)
    if zone_id is None:
        return []
    today = shanghai_date(now)
    dispatches = open_dispatches(session)
    out = []
    for d in on_duty(session, now, zone_id):
        m = d.member
        if m.status == MemberStatus.OFF_DUTY:
            continue
        dist = None
        if m.lat is not None and m.lon is not None and incident.lat is not None and incident.lon is not None:
            dist = haversine_km(m.lat, m.lon, incident.lat, incident.lon)
        load = len(dispatches.get(m.id, []))
        key = (
            _STATUS_ORDER.get(m.status, 9),
            math.floor(dist) if dist is not None else 10**6,
            load,
            dist if dist is not None else math.inf,
            m.name,
            m.id,
        )
        out.append(
            MemberSuggestion(m.id, m.name, m.status, None if dist is None else round(dist, 3), load,
                             lead_problem(m, today) is None, cert_state(m, today), m.is_auxiliary, d.lent_from, key)
        )
    out.sort(key=lambda s: s.rank_key)
    return out


# --------------------------------------------------------------------------- joint visits (综合查一次)


def _incident_day(inc: Incident) -> date:
    return shanghai_date(inc.created_at)


def joint_visit_problem(session: Session, incidents: Sequence[Incident],
                        radius_km: float = JOINT_VISIT_RADIUS_KM) -> str | None:
    """Why these incidents cannot be one joint visit; None if they can."""
    if len(incidents) < 2:
        return "a joint visit needs at least two incidents"
    zone_ids = {zone_of_incident(session, i) for i in incidents}
    if len(zone_ids) != 1 or None in zone_ids:
        return "all incidents of a joint visit must be in the same zone"
    days = {_incident_day(i) for i in incidents}
    if len(days) != 1:
        return "all incidents of a joint visit must be from the same day"
    for i in incidents:
        if i.lat is None or i.lon is None:
            return f"incident {i.number or i.id} has no location"
    placed = [(i, i.lat, i.lon) for i in incidents if i.lat is not None and i.lon is not None]
    for a_i, (a, a_lat, a_lon) in enumerate(placed):
        for b, b_lat, b_lon in placed[a_i + 1:]:
            d = haversine_km(a_lat, a_lon, b_lat, b_lon)
            if d > radius_km:
                return (f"incidents {a.number or a.id} and {b.number or b.id} are {d:.1f} km apart "
                        f"(at most {radius_km:g} km for a joint visit)")
    return None


def joint_visit(session: Session, incident_ids: Sequence[str] | None = None, *,
                radius_km: float = JOINT_VISIT_RADIUS_KM) -> list[list[str]]:
    """Group incidents into joint-visit candidates (only groups of two or more are returned).

    ``incident_ids`` None: every open enforcement incident. Incidents are grouped by
    zone and creation day (Shanghai), then greedily in creation order: an incident
    joins the first group all of whose incidents lie within ``radius_km`` of it.
    Deterministic for the same data.
    """
    if incident_ids is None:
        rows = [i for lst in open_enforcement_incidents(session).values() for i in lst]
    else:
        rows = list(session.scalars(select(Incident).where(Incident.id.in_(in_values(incident_ids)))))
        rows = [i for i in rows if not i.deleted and i.state in INCIDENT_OPEN_STATES]
    rows.sort(key=lambda i: (i.created_at, i.id))
    buckets: dict[tuple[str, date], list[list[Incident]]] = defaultdict(list)
    for inc in rows:
        zid = zone_of_incident(session, inc)
        if zid is None or inc.lat is None or inc.lon is None:
            continue
        groups = buckets[(zid, _incident_day(inc))]
        for g in groups:
            if all(haversine_km(inc.lat, inc.lon, o.lat, o.lon) <= radius_km for o in g):
                g.append(inc)
                break
        else:
            groups.append([inc])
    out = [[i.id for i in g] for key in sorted(buckets) for g in buckets[key] if len(g) >= 2]
    return out


# --------------------------------------------------------------------------- response times


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``p`` % of the values at or below it."""
    if not values:
        return None
    xs = sorted(values)
    k = max(1, math.ceil(p / 100.0 * len(xs)))
    return xs[k - 1]


@dataclass(frozen=True)
class Timing:
    n: int
    median_min: float | None
    p90_min: float | None


def timing(values: Sequence[float]) -> Timing:
    if not values:
        return Timing(0, None, None)
    return Timing(len(values), round(statistics.median(values), 2), round(percentile(values, 90), 2))


@dataclass(frozen=True)
class ResponseStats:
    """Minutes from assignment to acknowledgement, to on scene and to done."""

    key: str  # zone id or member id
    name: str
    dispatches: int
    acknowledged: Timing
    on_scene: Timing
    done: Timing


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None or b < a:
        return None
    return (b - a).total_seconds() / 60.0


def response_times(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> tuple[list[ResponseStats], list[ResponseStats]]:
    """Response-time statistics of team dispatches assigned in [since, until): (per zone, per member).

    A dispatch counts for its zone and for each of its members (lead included).
    Medians are the usual median; p90 is the nearest-rank 90th percentile.
    """
    q = select(Dispatch).where(Dispatch.deleted.is_(False), Dispatch.target_kind == DispatchTarget.TEAM.value)
    if since is not None:
        q = q.where(Dispatch.assigned_at >= since)
    if until is not None:
        q = q.where(Dispatch.assigned_at < until)
    rows = list(session.scalars(q.order_by(Dispatch.assigned_at, Dispatch.id)))
    zone_names = {z.id: z.name for z in zones(session)}
    member_names = {m.id: m.name for m in session.scalars(select(TeamMember))}
    acc: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for d in rows:
        keys = [("zone", d.target_code)]
        keys += [("member", m) for m in dict.fromkeys([*([d.lead_member_id] if d.lead_member_id else []),
                                                       *(d.member_ids or [])])]
        values = {
            "ack": _minutes(d.assigned_at, d.acknowledged_at),
            "scene": _minutes(d.assigned_at, d.on_scene_at),
            "done": _minutes(d.assigned_at, d.done_at),
        }
        for k in keys:
            counts[k] += 1
            for name, val in values.items():
                if val is not None:
                    acc[k][name].append(val)

    def build(kind: str, names: Mapping[str, str]) -> list[ResponseStats]:
        out = []
        for (k_kind, key), n in sorted(counts.items()):
            if k_kind != kind:
                continue
            a = acc[(k_kind, key)]
            out.append(ResponseStats(key, names.get(key, key), n, timing(a["ack"]), timing(a["scene"]),
                                     timing(a["done"])))
        return out

    return build("zone", zone_names), build("member", member_names)
