"""Demo deployment of the enforcement teams: duty rosters, live statuses, a loan and fresh team dispatches.

Runs after the demo history (``seed_database(demo_days=N)``) so the zone board, the roster
editor and the team dispatch dialog have something believable to show:

* **roster** (排班) for the previous and the current week (Monday to Sunday, Shanghai):
  each member rotates through day shift, day shift, night shift, rest (a four-day
  cycle offset per member), with a thinner weekend (one day group and the night
  group) and the team's first certified member on a full shift at weekends. So at
  any hour every zone has someone on duty, and the busy morning has the most;
* **a loan** (借调): the lending suggestion of the busiest zone, if the board makes
  one, else an available member of 天马 lent to 球川, for three days from now;
* **fresh team dispatches**: up to two pending enforcement incidents per zone are
  dispatched to the zone team through the real ``incident.dispatch`` mutation, with
  the on-duty members ``suggest_members`` ranks first; some are acknowledged and
  under way (``dispatch.*`` mutations with their own times);
* **a lapsed certificate**: one 球川 member on duty had their certificate expire last week
  (renewal pending), so the dispatch dialog shows why they cannot lead;
* **live statuses and positions**: members on duty are 空闲 unless their open dispatch
  has them 在途 / 在现场 (placed between their hub and the incident, or at it); a few
  on duty report 休息; members off roster are 休息.

Roster entry ids are the ones ``roster.set`` derives (:func:`commandroom.services.teams.stable_id`),
so editing a demo week in the roster editor updates these rows instead of duplicating them.
Deterministic for a given ``seed`` and ``now``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import DispatchState, MemberStatus
from commandroom.domain.models import Dispatch, Incident, MemberLoan, RosterEntry, TeamMember, Township
from commandroom.mutations.core import Actor, MutationContext, apply_mutation
from commandroom.refdata.util import uuid7_at
from commandroom.services import teams as svc
from commandroom.timeutil import local_to_utc
from commandroom.workflows import DISPATCH_ACTIVE_STATES

DISPATCHES_PER_ZONE = 2
LOAN_DAYS = 3


def _shift_for(k: int, day: date, first_certified: bool) -> str | None:
    """The rotation: member ``k`` on ``day`` (see the module doc)."""
    r = (k + day.toordinal()) % 4
    if day.weekday() >= 5:
        if first_certified:
            return "full"
        return "day" if r == 0 else "night" if r == 2 else None
    return "day" if r in (0, 1) else "night" if r == 2 else None


def _roster(session: Session, now: datetime, members: dict[str, list[TeamMember]]) -> int:
    monday = svc.week_start(svc.shanghai_date(now)) - timedelta(days=7)
    have = set(session.scalars(select(RosterEntry.id)))
    rows: list[dict[str, Any]] = []
    for zone_id, team in sorted(members.items()):
        first = next((m.id for m in team if not m.is_auxiliary), None)
        for k, m in enumerate(team):
            for offset in range(14):
                day = monday + timedelta(days=offset)
                shift = _shift_for(k, day, m.id == first)
                if shift is None:
                    continue
                eid = svc.stable_id("roster", zone_id, m.id, day.isoformat(), shift, "")
                if eid in have:
                    continue
                a, b = svc.shift_bounds(day, shift)
                at = local_to_utc(datetime.combine(monday - timedelta(days=3), datetime.min.time()))
                rows.append({"id": eid, "township_code": m.township_code, "row_version": 0, "field_versions": {},
                             "created_at": at, "updated_at": at, "deleted": False, "zone_id": zone_id,
                             "member_id": m.id, "day": day, "shift": shift, "starts_at": a, "ends_at": b})
    if rows:
        session.execute(RosterEntry.__table__.insert(), rows)
        session.flush()
    return len(rows)


def _loan(session: Session, now: datetime, rng: random.Random, members: dict[str, list[TeamMember]],
          actor: Actor) -> str | None:
    board = svc.zone_board(session, now)
    suggestion = next((s.lend_suggestion for s in board if s.lend_suggestion), None)
    if suggestion is not None:
        member_id, from_zone, to_zone, reason = (suggestion.member_id, suggestion.from_zone_id,
                                                 suggestion.to_zone_id, suggestion.reason)
    else:
        # nobody is busy by the board's rule: the most loaded zone borrows from its least loaded neighbour
        by_id = {z.zone_id: z for z in board}
        pairs = [(busy, by_id[n]) for busy in sorted(board, key=lambda z: (-z.load, z.zone_id))
                 for n in busy.neighbours if n in by_id and by_id[n].load < busy.load]
        pairs.sort(key=lambda p: (-p[0].load, p[1].load, p[1].zone_id))
        pick = next(((busy, donor, m) for busy, donor in pairs for m in donor.members
                     if m.status == MemberStatus.AVAILABLE and m.can_lead and m.lent_from is None), None)
        if pick is None:
            return None
        busy, donor, member = pick
        member_id, from_zone, to_zone = member.member_id, donor.zone_id, busy.zone_id
        reason = f"{busy.name}待办执法事件积压（人均 {busy.load:.1f} 件），{donor.name}临时借调支援"
    starts = now - timedelta(hours=2)
    end_day = svc.shanghai_date(now) + timedelta(days=LOAN_DAYS)
    ends = local_to_utc(datetime.combine(end_day, svc.SHIFTS["day"][0]))
    loan_id = uuid7_at(starts, rng)
    ctx = MutationContext(session, actor, now=starts)
    apply_mutation(ctx, "member.lend", loan_id, {
        "member_id": member_id, "from_zone_id": from_zone, "to_zone_id": to_zone,
        "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "reason": reason,
    })
    session.flush()
    _roster_lent(session, member_id, to_zone, starts, ends)
    return loan_id


def _roster_lent(session: Session, member_id: str, zone_id: str, starts: datetime, ends: datetime) -> int:
    """The borrowing zone plans the lent member's day shifts on days the home roster leaves free."""
    member = session.get(TeamMember, member_id)
    home = list(session.scalars(select(RosterEntry).where(
        RosterEntry.member_id == member_id, RosterEntry.deleted.is_(False),
        RosterEntry.starts_at < ends, RosterEntry.ends_at > starts)))
    rows = []
    day = svc.shanghai_date(starts)
    while True:
        a, b = svc.shift_bounds(day, "day")
        if a >= ends:
            break
        if a >= starts and b <= ends and not any(e.starts_at < b and e.ends_at > a for e in home):
            eid = svc.stable_id("roster", zone_id, member_id, day.isoformat(), "day", "")
            rows.append({"id": eid, "township_code": member.township_code, "row_version": 0, "field_versions": {},
                         "created_at": starts, "updated_at": starts, "deleted": False, "zone_id": zone_id,
                         "member_id": member_id, "day": day, "shift": "day", "starts_at": a, "ends_at": b})
        day += timedelta(days=1)
    if rows:
        session.execute(RosterEntry.__table__.insert(), rows)
        session.flush()
    return len(rows)


def _dispatches(session: Session, now: datetime, rng: random.Random, actor: Actor) -> list[str]:
    pending = list(session.scalars(
        select(Incident).where(Incident.deleted.is_(False), Incident.is_enforcement.is_(True),
                               Incident.merged_into_id.is_(None), Incident.state == "pending_dispatch",
                               Incident.created_at < now - timedelta(minutes=100))
        .order_by(Incident.created_at.desc(), Incident.id)
    ))
    per_zone: dict[str, int] = {}
    made: list[str] = []
    for inc in pending:
        zone_id = svc.zone_of_incident(session, inc)
        if zone_id is None or per_zone.get(zone_id, 0) >= DISPATCHES_PER_ZONE:
            continue
        suggestions = [s for s in svc.suggest_members(session, inc, now) if s.status == MemberStatus.AVAILABLE]
        leads = [s for s in suggestions if s.can_lead]
        if not leads:
            continue
        lead = leads[0]
        crew = [lead.member_id, *[s.member_id for s in suggestions if s.member_id != lead.member_id][:1]]
        n = per_zone.get(zone_id, 0)
        assigned = now - timedelta(minutes=rng.randint(20, 90))
        dispatch_id = uuid7_at(assigned, rng)
        ctx = MutationContext(session, actor, now=assigned)
        apply_mutation(ctx, "incident.dispatch", inc.id, {
            "target_kind": "team", "target_code": zone_id, "member_ids": crew, "lead_member_id": lead.member_id,
            "dispatch_id": dispatch_id, "note": "请就近安排在岗队员前往核实处置",
        })
        session.flush()
        steps = ("acknowledge", "en_route") if n == 0 else ("acknowledge", "en_route", "on_scene")
        at = assigned
        for step in steps:
            at = min(now, at + timedelta(minutes=rng.randint(3, 15)))
            ctx = MutationContext(session, actor, now=at)
            apply_mutation(ctx, f"dispatch.{step}", dispatch_id, {})
            session.flush()
        per_zone[zone_id] = n + 1
        made.append(dispatch_id)
    return made


def _lapsed_certificate(session: Session, now: datetime, team: list[TeamMember]) -> None:
    """One 球川 member on duty now whose certificate lapsed last week (renewal pending): cannot lead."""
    duty = {d.member.id for d in svc.on_duty(session, now, "QC")}
    certified = [m for m in team if not m.is_auxiliary and m.cert_no]
    pick = next((m for m in certified[1:] if m.id in duty), certified[1] if len(certified) > 1 else None)
    if pick is not None:
        pick.cert_expiry = svc.shanghai_date(now) - timedelta(days=9)
        session.flush()


def _statuses(session: Session, now: datetime, rng: random.Random) -> None:
    duty = {d.member.id: d for d in svc.on_duty(session, now)}
    towns = {t.code: t for t in session.scalars(select(Township))}
    hubs = {z.id: towns.get(z.hub_code) for z in svc.zones(session)}
    active = svc.open_dispatches(session)
    incidents: dict[str, Incident] = {}
    for m in session.scalars(select(TeamMember).where(TeamMember.deleted.is_(False)).order_by(TeamMember.id)):
        d = duty.get(m.id)
        status = MemberStatus.OFF_DUTY.value
        if d is not None:
            status = MemberStatus.AVAILABLE.value
            mine = [x for x in active.get(m.id, []) if x.state in (DispatchState.EN_ROUTE, DispatchState.ON_SCENE)]
            latest = max(mine, key=lambda x: (x.assigned_at, x.id)) if mine else None
            if latest is not None and latest.assigned_at > now - timedelta(hours=12):
                status = latest.state
                inc = incidents.get(latest.incident_id) or session.get(Incident, latest.incident_id)
                incidents[latest.incident_id] = inc
                hub = hubs.get(d.zone_id)
                if inc is not None and inc.lat is not None and hub is not None:
                    f = 1.0 if status == MemberStatus.ON_SCENE else rng.uniform(0.4, 0.8)
                    m.lat = round(hub.seat_lat + (inc.lat - hub.seat_lat) * f + rng.gauss(0, 0.0004), 6)
                    m.lon = round(hub.seat_lon + (inc.lon - hub.seat_lon) * f + rng.gauss(0, 0.0004), 6)
            elif rng.random() < 0.08:
                status = MemberStatus.OFF_DUTY.value
        m.status = status
        m.status_at = now - timedelta(minutes=rng.randint(2, 240))
        m.updated_at = max(m.updated_at or m.status_at, m.status_at)
    session.flush()


def generate_team_demo(session: Session, *, seed: int, now: datetime) -> dict[str, Any]:
    """Roster, statuses, a loan and team dispatches around ``now`` (naive UTC) into ``session`` (no commit).

    Returns counts: roster_entries, loans, dispatches.
    """
    rng = random.Random(f"{seed}:teams-demo")
    actor = Actor(user_id=None, name="演示值班员", role="duty_officer", scope_kind="county",
                  device_name="演示数据")
    members: dict[str, list[TeamMember]] = {}
    for m in session.scalars(select(TeamMember).where(TeamMember.deleted.is_(False))
                             .order_by(TeamMember.zone_id, TeamMember.id)):
        members.setdefault(m.zone_id, []).append(m)
    entries = _roster(session, now, members)
    _lapsed_certificate(session, now, members.get("QC", []))
    _statuses(session, now, rng)  # who is free decides the loan and the crews
    loan = _loan(session, now, rng, members, actor)
    made = _dispatches(session, now, rng, actor)
    _statuses(session, now, rng)
    open_team = session.scalars(select(Dispatch.id).where(
        Dispatch.target_kind == "team", Dispatch.state.in_([s.value for s in DISPATCH_ACTIVE_STATES]))).all()
    loans = session.scalars(select(MemberLoan.id)).all()
    return {"roster_entries": entries, "loans": len(loans) if loan else 0, "dispatches": len(made),
            "open_team_dispatches": len(open_team)}


__all__ = ["generate_team_demo"]
