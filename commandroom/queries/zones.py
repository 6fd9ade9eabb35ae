"""Reads of the enforcement-zone screens: plain functions over the local store (no Qt).

They run on the reader pool (:func:`ui.async_runner.run_read`) or, for one page of a lazy
table, on the GUI thread; each opens its own read session. Filtering and sorting happen
in SQL; the zone logic (who is on duty, loads, suggestions, clashes, statistics) is the
core's :mod:`commandroom.services.teams`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from commandroom.domain.models import (
    Dispatch,
    Incident,
    MemberLoan,
    RosterEntry,
    TeamMember,
    Township,
    Village,
    Zone,
)
from commandroom.services import teams as svc
from commandroom.store.protocol import ReadStore
from commandroom.workflows import DISPATCH_ACTIVE_STATES, INCIDENT_OPEN_STATES

TEAM_TABLES = ("team_member", "dispatch", "incident", "roster_entry", "member_loan")
"""Store tables whose changes the zone screens react to."""

_ACTIVE = sorted(s.value for s in DISPATCH_ACTIVE_STATES)
_OPEN = sorted(s.value for s in INCIDENT_OPEN_STATES)


# --------------------------------------------------------------------------- zones


@dataclass(frozen=True)
class ZoneInfo:
    id: str
    name: str
    hub_code: str
    township_codes: tuple[str, ...]
    township_names: tuple[str, ...]


def zone_infos(store: ReadStore) -> list[ZoneInfo]:
    """The 7 zones, in id order, with the townships they serve (hub first)."""
    with store.read() as session:
        towns = {t.code: t.short_name for t in session.scalars(select(Township))}
        out = []
        for z in svc.zones(session):
            codes = tuple(dict.fromkeys([z.hub_code, *(z.member_codes or [])]))
            out.append(ZoneInfo(z.id, z.name, z.hub_code, codes, tuple(towns.get(c, c) for c in codes)))
        return out


def zone_of_township(store: ReadStore, township_code: str | None) -> str | None:
    with store.read() as session:
        return svc.zone_of_township(session, township_code)


# --------------------------------------------------------------------------- board


@dataclass(frozen=True)
class LoanInfo:
    """A loan running now or starting later (the board lists both)."""

    id: str
    member_id: str
    member_name: str
    from_zone_id: str
    to_zone_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass
class BoardData:
    now: datetime
    zones: list[svc.ZoneSummary]
    loans: list[LoanInfo]
    zone_names: dict[str, str]
    adjacency: dict[str, list[str]] = field(default_factory=dict)

    def zone(self, zone_id: str) -> svc.ZoneSummary | None:
        return next((z for z in self.zones if z.zone_id == zone_id), None)

    def loans_of(self, zone_id: str) -> list[LoanInfo]:
        return [x for x in self.loans if zone_id in (x.from_zone_id, x.to_zone_id)]


def load_board(store: ReadStore, now: datetime, adjacency: dict[str, list[str]] | None = None) -> BoardData:
    """Everything the zone board shows at ``now``; pass the previous ``adjacency`` to skip the geometry."""
    with store.read() as session:
        if adjacency is None:
            adjacency = svc.zone_neighbours(session)
        summaries = svc.zone_board(session, now, adjacency=adjacency)
        names = {z.id: z.name for z in svc.zones(session)}
        rows = session.execute(
            select(MemberLoan, TeamMember.name)
            .join(TeamMember, TeamMember.id == MemberLoan.member_id)
            .where(MemberLoan.deleted.is_(False), MemberLoan.ends_at > now)
            .order_by(MemberLoan.starts_at, MemberLoan.id)
        ).all()
        loans = [LoanInfo(x.id, x.member_id, name, x.from_zone_id, x.to_zone_id, x.starts_at, x.ends_at, x.reason)
                 for x, name in rows]
    return BoardData(now, summaries, loans, names, adjacency)


# --------------------------------------------------------------------------- members


MEMBER_SORT_KEYS = ("name", "origin", "auxiliary", "cert_no", "cert_expiry", "capabilities", "status", "phone",
                    "dispatches", "loan")


def _dispatch_count_sql() -> Any:
    return text(
        "(SELECT COUNT(*) FROM dispatch d, json_each(d.member_ids) j WHERE j.value = team_member.id "
        "AND d.deleted = 0 AND d.target_kind = 'team' AND d.state IN ("
        + ", ".join(f"'{s}'" for s in _ACTIVE) + "))"
    )


def member_ids(store: ReadStore, zone_id: str, sort_key: str = "name", descending: bool = False) -> list[str]:
    """Ids of the zone's team members (its own roll), sorted in SQL."""
    status_rank = case({s: i for i, s in enumerate(("available", "en_route", "on_scene", "off_duty"))},
                       value=TeamMember.status, else_=9)
    order: Any = {
        "name": TeamMember.name,
        "origin": TeamMember.origin,
        "auxiliary": TeamMember.is_auxiliary,
        "cert_no": func.coalesce(TeamMember.cert_no, ""),
        "cert_expiry": func.coalesce(TeamMember.cert_expiry, date(1900, 1, 1)),
        "capabilities": func.coalesce(func.json_extract(TeamMember.capabilities, "$[0]"), ""),
        "status": status_rank,
        "phone": TeamMember.phone,
        "dispatches": _dispatch_count_sql(),
        "loan": TeamMember.name,
    }.get(sort_key, TeamMember.name)
    q = (select(TeamMember.id).where(TeamMember.zone_id == zone_id, TeamMember.deleted.is_(False))
         .order_by(order.desc() if descending else order, TeamMember.name, TeamMember.id))
    with store.read() as session:
        return list(session.scalars(q))


@dataclass(frozen=True)
class MemberDispatch:
    dispatch_id: str
    incident_id: str
    number: str
    title: str
    state: str
    lead: bool


@dataclass(frozen=True)
class MemberRow:
    id: str
    zone_id: str
    name: str
    origin: str
    origin_department: str
    is_auxiliary: bool
    cert_no: str
    cert_expiry: date | None
    cert_state: str
    capabilities: tuple[str, ...]
    status: str
    status_at: datetime | None
    lat: float | None
    lon: float | None
    phone: str
    dispatches: tuple[MemberDispatch, ...]
    loan_to: str | None  # zone name the member is lent to right now
    loan_ends_at: datetime | None


def _active_member_dispatches(session: Session, ids: list[str]) -> dict[str, list[MemberDispatch]]:
    if not ids:
        return {}
    placeholders = ", ".join(f":m{i}" for i in range(len(ids)))
    states = ", ".join(f"'{s}'" for s in _ACTIVE)
    sql = text(
        "SELECT DISTINCT j.value, d.id, d.incident_id, COALESCE(i.number, ''), COALESCE(i.title, ''), d.state, "
        "d.lead_member_id, d.assigned_at FROM dispatch d JOIN json_each(d.member_ids) j "
        "LEFT JOIN incident i ON i.id = d.incident_id "
        f"WHERE d.deleted = 0 AND d.target_kind = 'team' AND d.state IN ({states}) AND j.value IN ({placeholders}) "
        "ORDER BY d.assigned_at, d.id"
    )
    out: dict[str, list[MemberDispatch]] = {}
    for mid, did, iid, number, title, state, lead, _at in session.execute(
            sql, {f"m{i}": v for i, v in enumerate(ids)}):
        out.setdefault(mid, []).append(MemberDispatch(did, iid, number, title, state, lead == mid))
    return out


def member_rows(store: ReadStore, ids: list[str], today: date, now: datetime) -> dict[str, MemberRow]:
    """One page of member rows (a fast indexed read, fine on the GUI thread)."""
    if not ids:
        return {}
    with store.read() as session:
        members = list(session.scalars(select(TeamMember).where(TeamMember.id.in_(ids))))
        dispatches = _active_member_dispatches(session, ids)
        names = {z.id: z.name for z in svc.zones(session)}
        depts = dict(session.execute(text("SELECT code, short_name FROM department")).all())
        loans = {x.member_id: x for x in session.scalars(
            select(MemberLoan).where(MemberLoan.member_id.in_(ids), MemberLoan.deleted.is_(False),
                                     MemberLoan.starts_at <= now, MemberLoan.ends_at > now)
            .order_by(MemberLoan.starts_at))}
        out = {}
        for m in members:
            loan = loans.get(m.id)
            out[m.id] = MemberRow(
                id=m.id, zone_id=m.zone_id, name=m.name, origin=m.origin,
                origin_department=depts.get(m.origin_department_code or "", "") or "",
                is_auxiliary=bool(m.is_auxiliary), cert_no=m.cert_no or "", cert_expiry=m.cert_expiry,
                cert_state=svc.cert_state(m, today), capabilities=tuple(m.capabilities or ()), status=m.status,
                status_at=m.status_at, lat=m.lat, lon=m.lon, phone=m.phone or "",
                dispatches=tuple(dispatches.get(m.id, [])),
                loan_to=names.get(loan.to_zone_id, loan.to_zone_id) if loan else None,
                loan_ends_at=loan.ends_at if loan else None,
            )
        return out


@dataclass(frozen=True)
class Place:
    """A place a member can be put at (a township seat or a village), for the status dialog."""

    label: str
    lat: float
    lon: float


def zone_places(store: ReadStore, zone_id: str) -> list[Place]:
    """Township seats and villages of the zone's townships, hub first."""
    with store.read() as session:
        zone = session.get(Zone, zone_id)
        if zone is None:
            return []
        codes = list(dict.fromkeys([zone.hub_code, *(zone.member_codes or [])]))
        towns = {t.code: t for t in session.scalars(select(Township).where(Township.code.in_(codes)))}
        out = [Place(towns[c].name, towns[c].seat_lat, towns[c].seat_lon) for c in codes if c in towns]
        for c in codes:
            if c not in towns:
                continue
            for v in session.scalars(select(Village).where(Village.township_code == c).order_by(Village.id)):
                if v.lat is not None and v.lon is not None:
                    out.append(Place(f"{towns[c].short_name} · {v.name}", v.lat, v.lon))
        return out


# --------------------------------------------------------------------------- roster


@dataclass(frozen=True)
class RosterMember:
    id: str
    name: str
    is_auxiliary: bool
    home_zone_id: str
    lent_in: tuple[tuple[datetime, datetime], ...]  # loans into this zone overlapping the week
    lent_out: tuple[tuple[str, datetime, datetime], ...]  # (zone id, from, to) loans elsewhere


@dataclass(frozen=True)
class RosterCell:
    """A stored roster entry."""

    id: str
    member_id: str
    zone_id: str
    day: date
    shift: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class RosterWeek:
    zone_id: str
    monday: date
    members: list[RosterMember]
    entries: list[RosterCell]  # this zone's entries of the week
    elsewhere: list[RosterCell]  # the same members' entries in other zones around the week
    zone_names: dict[str, str]
    previous_week_entries: int


def _cell(e: RosterEntry) -> RosterCell:
    return RosterCell(e.id, e.member_id, e.zone_id, e.day, e.shift, e.starts_at, e.ends_at)


def load_roster_week(store: ReadStore, zone_id: str, monday: date) -> RosterWeek:
    """The zone's week: members (its own and those lent in), its entries and the members' entries elsewhere."""
    week_a = svc.shift_bounds(monday, "day")[0] - timedelta(hours=8)
    week_b = svc.shift_bounds(monday + timedelta(days=7), "day")[0]
    with store.read() as session:
        names = {z.id: z.name for z in svc.zones(session)}
        own = list(session.scalars(select(TeamMember).where(TeamMember.zone_id == zone_id,
                                                            TeamMember.deleted.is_(False))
                                   .order_by(TeamMember.is_auxiliary, TeamMember.name, TeamMember.id)))
        loans = list(session.scalars(select(MemberLoan).where(
            MemberLoan.deleted.is_(False), MemberLoan.starts_at < week_b, MemberLoan.ends_at > week_a,
            or_(MemberLoan.to_zone_id == zone_id, MemberLoan.from_zone_id == zone_id))
            .order_by(MemberLoan.starts_at, MemberLoan.id)))
        lent_in_ids = [x.member_id for x in loans if x.to_zone_id == zone_id]
        guests = list(session.scalars(select(TeamMember).where(TeamMember.id.in_(lent_in_ids),
                                                               TeamMember.deleted.is_(False))
                                      .order_by(TeamMember.name, TeamMember.id))) if lent_in_ids else []
        entries = [_cell(e) for e in svc.roster_week(session, zone_id, monday)]
        # members whose entries exist here although they neither belong nor are lent (moved since)
        known = {m.id for m in own} | {m.id for m in guests}
        strays = {e.member_id for e in entries} - known
        if strays:
            guests += list(session.scalars(select(TeamMember).where(TeamMember.id.in_(strays))
                                           .order_by(TeamMember.name, TeamMember.id)))
        members = []
        for m in [*own, *guests]:
            if any(x.id == m.id for x in members):
                continue
            lent_in = tuple((x.starts_at, x.ends_at) for x in loans if x.member_id == m.id and x.to_zone_id == zone_id)
            lent_out = tuple((x.to_zone_id, x.starts_at, x.ends_at) for x in loans
                             if x.member_id == m.id and x.to_zone_id != zone_id)
            members.append(RosterMember(m.id, m.name, bool(m.is_auxiliary), m.zone_id, lent_in, lent_out))
        ids = [m.id for m in members]
        elsewhere = [_cell(e) for e in session.scalars(select(RosterEntry).where(
            RosterEntry.deleted.is_(False), RosterEntry.member_id.in_(ids), RosterEntry.zone_id != zone_id,
            RosterEntry.starts_at < week_b + timedelta(days=1), RosterEntry.ends_at > week_a - timedelta(days=1))
            .order_by(RosterEntry.starts_at, RosterEntry.id))] if ids else []
        previous = session.scalar(select(func.count()).select_from(RosterEntry).where(
            RosterEntry.zone_id == zone_id, RosterEntry.deleted.is_(False),
            RosterEntry.day >= monday - timedelta(days=7), RosterEntry.day < monday)) or 0
    return RosterWeek(zone_id, monday, members, entries, elsewhere, names, int(previous))


# --------------------------------------------------------------------------- incidents and dispatches of a zone


def _zone_incident_filter(session: Session, zone_id: str) -> Any:
    zone = session.get(Zone, zone_id)
    codes = list(dict.fromkeys([zone.hub_code, *(zone.member_codes or [])])) if zone else []
    return or_(Incident.zone_id == zone_id, and_(Incident.zone_id.is_(None), Incident.township_code.in_(codes)))


def zone_incident_ids(store: ReadStore, zone_id: str) -> list[str]:
    """Open enforcement incidents of the zone, newest first."""
    with store.read() as session:
        q = (select(Incident.id)
             .where(Incident.deleted.is_(False), Incident.is_enforcement.is_(True),
                    Incident.merged_into_id.is_(None), Incident.state.in_(_OPEN),
                    _zone_incident_filter(session, zone_id))
             .order_by(Incident.created_at.desc(), Incident.id))
        return list(session.scalars(q))


@dataclass(frozen=True)
class IncidentRow:
    id: str
    number: str
    title: str
    state: str
    urgency: str
    township: str
    address: str
    created_at: datetime
    lat: float | None
    lon: float | None
    team_members: tuple[str, ...]  # names on the zone team's active dispatches


def incident_rows(store: ReadStore, ids: list[str]) -> dict[str, IncidentRow]:
    if not ids:
        return {}
    with store.read() as session:
        towns = {t.code: t.short_name for t in session.scalars(select(Township))}
        incs = list(session.scalars(select(Incident).where(Incident.id.in_(ids))))
        ds = list(session.scalars(select(Dispatch).where(
            Dispatch.incident_id.in_(ids), Dispatch.deleted.is_(False), Dispatch.target_kind == "team",
            Dispatch.state.in_(_ACTIVE))))
        member_ids_ = {m for d in ds for m in (d.member_ids or [])}
        names = dict(session.execute(select(TeamMember.id, TeamMember.name)
                                     .where(TeamMember.id.in_(member_ids_))).all()) if member_ids_ else {}
        crew: dict[str, list[str]] = {}
        for d in ds:
            crew.setdefault(d.incident_id, []).extend(names.get(m, m) for m in d.member_ids or [])
        return {i.id: IncidentRow(i.id, i.number or "", i.title, i.state, i.urgency,
                                  towns.get(i.township_code, i.township_code), i.address or "", i.created_at,
                                  i.lat, i.lon, tuple(dict.fromkeys(crew.get(i.id, []))))
                for i in incs}


def zone_dispatch_ids(store: ReadStore, zone_id: str, now: datetime, recent_hours: int = 24) -> list[str]:
    """The zone team's dispatches: active ones, and those ended in the last ``recent_hours``; newest first."""
    since = now - timedelta(hours=recent_hours)
    with store.read() as session:
        q = (select(Dispatch.id)
             .where(Dispatch.deleted.is_(False), Dispatch.target_kind == "team", Dispatch.target_code == zone_id,
                    or_(Dispatch.state.in_(_ACTIVE), Dispatch.updated_at >= since))
             .order_by(case({s: 0 for s in _ACTIVE}, value=Dispatch.state, else_=1),
                       Dispatch.assigned_at.desc(), Dispatch.id))
        return list(session.scalars(q))


@dataclass(frozen=True)
class DispatchRow:
    id: str
    incident_id: str
    number: str
    title: str
    state: str
    lead: str
    members: tuple[str, ...]
    joint_visit_id: str | None
    assigned_at: datetime | None
    acknowledged_at: datetime | None
    en_route_at: datetime | None
    on_scene_at: datetime | None
    done_at: datetime | None


def dispatch_rows(store: ReadStore, ids: list[str]) -> dict[str, DispatchRow]:
    if not ids:
        return {}
    with store.read() as session:
        ds = list(session.scalars(select(Dispatch).where(Dispatch.id.in_(ids))))
        incs = {i.id: i for i in session.scalars(select(Incident).where(
            Incident.id.in_({d.incident_id for d in ds})))}
        mids = {m for d in ds for m in [*(d.member_ids or []), d.lead_member_id] if m}
        names = dict(session.execute(select(TeamMember.id, TeamMember.name)
                                     .where(TeamMember.id.in_(mids))).all()) if mids else {}
        out = {}
        for d in ds:
            inc = incs.get(d.incident_id)
            out[d.id] = DispatchRow(
                d.id, d.incident_id, (inc.number or "") if inc else "", inc.title if inc else "", d.state,
                names.get(d.lead_member_id, "") if d.lead_member_id else "",
                tuple(names.get(m, m) for m in (d.member_ids or []) if m != d.lead_member_id),
                d.joint_visit_id, d.assigned_at, d.acknowledged_at, d.en_route_at, d.on_scene_at, d.done_at)
        return out


def joint_visit_groups(store: ReadStore, zone_id: str) -> list[list[str]]:
    """The core's joint-visit candidates (综合查一次) among the zone's open enforcement incidents."""
    ids = zone_incident_ids(store, zone_id)
    if len(ids) < 2:
        return []
    with store.read() as session:
        return svc.joint_visit(session, ids)


# --------------------------------------------------------------------------- team dispatch dialog


@dataclass(frozen=True)
class Candidate:
    """A member the team dispatch dialog offers, with why they rank where they do."""

    member_id: str
    name: str
    status: str
    distance_km: float | None
    open_load: int
    is_auxiliary: bool
    cert_state: str
    cert_expiry: date | None
    lead_blocker: str | None  # auxiliary / none / expired, or None when the member may lead
    lent_from: str | None  # zone name when lent in
    capabilities: tuple[str, ...]


@dataclass
class TeamDispatchData:
    zone_id: str | None
    zone_name: str
    incidents: list[IncidentRow]
    candidates: list[Candidate]
    today: date


def team_dispatch_data(store: ReadStore, incident_ids: list[str], now: datetime) -> TeamDispatchData:
    """The zone serving the (first) incident and its on-duty members, ranked by ``suggest_members``."""
    rows = incident_rows(store, incident_ids)
    incidents = [rows[i] for i in incident_ids if i in rows]
    today = svc.shanghai_date(now)
    with store.read() as session:
        first = session.get(Incident, incident_ids[0]) if incident_ids else None
        zone_id = svc.zone_of_incident(session, first) if first is not None else None
        names = {z.id: z.name for z in svc.zones(session)}
        suggestions = svc.suggest_members(session, first, now) if first is not None else []
        members = {m.id: m for m in session.scalars(select(TeamMember).where(
            TeamMember.id.in_([s.member_id for s in suggestions])))} if suggestions else {}
        candidates = []
        for s in suggestions:
            m = members.get(s.member_id)
            blocker = None
            if s.is_auxiliary:
                blocker = "auxiliary"
            elif s.cert_state in ("none", "expired"):
                blocker = s.cert_state
            candidates.append(Candidate(
                s.member_id, s.name, s.status, s.distance_km, s.open_load, s.is_auxiliary, s.cert_state,
                m.cert_expiry if m else None, blocker, names.get(s.lent_from, s.lent_from) if s.lent_from else None,
                tuple((m.capabilities or ()) if m else ())))
    return TeamDispatchData(zone_id, names.get(zone_id or "", ""), incidents, candidates, today)


# --------------------------------------------------------------------------- statistics


@dataclass
class StatsData:
    zones: list[svc.ResponseStats]
    members: list[svc.ResponseStats]
    member_zone: dict[str, str]  # member id → zone name
    since: datetime | None
    until: datetime | None


def load_stats(store: ReadStore, since: datetime | None, until: datetime | None) -> StatsData:
    with store.read() as session:
        zones, members = svc.response_times(session, since=since, until=until)
        names = {z.id: z.name for z in svc.zones(session)}
        member_zone = {mid: names.get(zid, zid) for mid, zid in session.execute(
            select(TeamMember.id, TeamMember.zone_id))}
    return StatsData(zones, members, member_zone, since, until)
