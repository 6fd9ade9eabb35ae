"""Enforcement-team mutations: members, status, loans, the duty roster and joint visits.

* ``member.create`` / ``member.update`` — the team's roll (origin, auxiliary, certificate);
* ``member.set_status`` — live status (空闲/在途/在现场/休息) with the last known position;
  last writer wins by server arrival, like every scalar fact (docs/sync-protocol.md, "Merge rules");
* ``member.lend`` / ``member.end_loan`` — a time-limited loan to another zone (忙闲不均);
  a loan stops counting at its ``ends_at`` without any mutation;
* ``roster.set`` — the week editor of one zone: the entries of that zone-week become
  the given set. Entry ids derive from (zone, member, day, shift), so the same entry
  is the same row everywhere. Removal is observed-remove: with ``base_entry_ids``
  (what the editor saw) an entry someone else added meanwhile is kept, not
  silently dropped (sets are child rows, docs/sync-protocol.md "Merge rules");
* ``roster.copy_week`` — copy a zone's week to another week;
* ``team.joint_visit`` — one joint visit (综合查一次) for nearby incidents of one zone.

Roster clashes (the same member on overlapping shifts, or in two zones at once)
are rejected with the member, the zones and the times.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal, overload

from sqlalchemy import select

from commandroom.domain.enums import DispatchState, DispatchTarget, MemberOrigin, MemberStatus
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import (
    Department,
    Dispatch,
    Incident,
    MemberLoan,
    RosterEntry,
    TeamMember,
    Zone,
)
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.services import teams as svc
from commandroom.workflows import DISPATCH_ACTIVE_STATES, INCIDENT_OPEN_STATES

MAX_LOAN_DAYS = 31


@overload
def _date(args: dict[str, Any], key: str, *, required: Literal[True] = True) -> date: ...


@overload
def _date(args: dict[str, Any], key: str, *, required: bool) -> date | None: ...


def _date(args: dict[str, Any], key: str, *, required: bool = True) -> date | None:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required (YYYY-MM-DD)")
        return None
    if not isinstance(value, str):
        raise ValidationError(key, "must be a date text YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(key, f"'{value}' is not a date YYYY-MM-DD") from None


def _bool(args: dict[str, Any], key: str, default: bool = False) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(key, f"must be true or false, got {value!r}")
    return value


def _zone(ctx: MutationContext, zone_id: str, key: str = "zone_id") -> Zone:
    zone = ctx.session.get(Zone, zone_id)
    if zone is None:
        raise ValidationError(key, f"no enforcement zone with id '{zone_id}'")
    return zone


def _touch(ctx: MutationContext, obj: Any) -> None:
    obj.updated_at = ctx.now


# --------------------------------------------------------------------------- members


_MEMBER_FIELDS = ("name", "origin", "origin_department_code", "is_auxiliary", "cert_no", "cert_expiry",
                  "capabilities", "phone", "user_id")


def _member_fields(ctx: MutationContext, args: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "name" in args:
        out["name"] = v.text(args, "name", max_len=32)
    if creating or "origin" in args:
        out["origin"] = v.choice(args, "origin", [o.value for o in MemberOrigin])
    if "origin_department_code" in args:
        code = v.text(args, "origin_department_code", required=False, max_len=32) or None
        if code and ctx.session.get(Department, code) is None:
            raise ValidationError("origin_department_code", f"no department with code '{code}'")
        out["origin_department_code"] = code
    if "is_auxiliary" in args:
        out["is_auxiliary"] = _bool(args, "is_auxiliary")
    if "cert_no" in args:
        out["cert_no"] = v.text(args, "cert_no", required=False, max_len=32) or None
    if "cert_expiry" in args:
        out["cert_expiry"] = _date(args, "cert_expiry", required=False)
    if "capabilities" in args:
        caps = args["capabilities"]
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            raise ValidationError("capabilities", "must be a list of texts")
        out["capabilities"] = list(dict.fromkeys(caps))
    if "phone" in args:
        out["phone"] = v.text(args, "phone", required=False, max_len=32)
    if "user_id" in args:
        out["user_id"] = v.text(args, "user_id", required=False, max_len=64) or None
    return out


@mutation("member.create", "team_member", creates=True)
def member_create(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Add a member to a zone's enforcement team."""
    zone = _zone(ctx, v.text(args, "zone_id", max_len=32))
    fields = _member_fields(ctx, args, creating=True)
    existing = ctx.session.get(TeamMember, entity_id)
    if existing is not None:
        ctx.mark_merged(f"队员 {existing.name} 已存在，无需重复添加")
        return
    ctx.add(TeamMember(id=entity_id, township_code=zone.hub_code, zone_id=zone.id,
                       status=MemberStatus.AVAILABLE.value, status_at=ctx.now, created_at=ctx.now,
                       updated_at=ctx.now, **fields))


@mutation("member.update", "team_member")
def member_update(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Edit a member (origin, auxiliary, certificate number and expiry…); last writer wins per field."""
    unknown = sorted(set(args) - set(_MEMBER_FIELDS) - {"zone_id", "deleted"})
    if unknown:
        raise ValidationError(unknown[0], f"cannot be edited here (editable: {', '.join(_MEMBER_FIELDS)})")
    member = ctx.get(TeamMember, entity_id)
    fields = _member_fields(ctx, args, creating=False)
    if "zone_id" in args:
        zone = _zone(ctx, v.text(args, "zone_id", max_len=32))
        fields["zone_id"] = zone.id
        fields["township_code"] = zone.hub_code  # a moved member belongs to the new zone's hub, like a new one
    if args.get("deleted") is True:
        fields["deleted"] = True
    changed = {k: val for k, val in fields.items() if getattr(member, k) != val}
    if not changed:
        ctx.mark_merged("这些字段已是该值，无需修改")
        return
    for k, val in changed.items():
        setattr(member, k, val)
    _touch(ctx, member)


@mutation("member.set_status", "team_member")
def member_set_status(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A member's live status (空闲/在途/在现场/休息) and, optionally, position."""
    status = v.choice(args, "status", [s.value for s in MemberStatus])
    lat, lon = v.location(args)
    member = ctx.get(TeamMember, entity_id)
    member.status = status
    member.status_at = ctx.now
    if lat is not None:
        member.lat, member.lon = lat, lon
    _touch(ctx, member)


# --------------------------------------------------------------------------- loans


@mutation("member.lend", "member_loan", creates=True)
def member_lend(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Lend a member to another zone for a limited time (at most 31 days), with a reason."""
    member_id = v.text(args, "member_id", max_len=64)
    from_zone = _zone(ctx, v.text(args, "from_zone_id", max_len=32), "from_zone_id")
    to_zone = _zone(ctx, v.text(args, "to_zone_id", max_len=32), "to_zone_id")
    starts = v.when(args, "starts_at", required=False) or ctx.now
    ends = v.when(args, "ends_at")
    reason = v.text(args, "reason", max_len=2000)
    member = ctx.session.get(TeamMember, member_id)
    if member is None or member.deleted:
        raise ValidationError("member_id", f"no team member with id '{member_id}'")
    if member.zone_id != from_zone.id:
        raise ValidationError("from_zone_id", f"{member.name} belongs to zone {member.zone_id}, not {from_zone.id}")
    if to_zone.id == from_zone.id:
        raise ValidationError("to_zone_id", "must differ from the member's own zone")
    if ends <= starts:
        raise ValidationError("ends_at", "must be after starts_at")
    if ends - starts > timedelta(days=MAX_LOAN_DAYS):
        raise ValidationError("ends_at", f"a loan lasts at most {MAX_LOAN_DAYS} days")
    if ends <= ctx.now:
        raise ValidationError("ends_at", "is already past")
    existing = ctx.session.get(MemberLoan, entity_id)
    if existing is not None:
        ctx.mark_merged("该借调已登记，无需重复")
        return
    overlapping = ctx.session.scalars(
        select(MemberLoan).where(
            MemberLoan.member_id == member_id, MemberLoan.deleted.is_(False),
            MemberLoan.starts_at < ends, MemberLoan.ends_at > starts,
        )
    ).first()
    if overlapping is not None:
        raise ValidationError(
            "starts_at",
            f"{member.name} is already lent to zone {overlapping.to_zone_id} from "
            f"{svc.fmt_local(overlapping.starts_at)} to {svc.fmt_local(overlapping.ends_at)}",
        )
    ctx.add(MemberLoan(id=entity_id, township_code=from_zone.hub_code, member_id=member_id,
                       from_zone_id=from_zone.id, to_zone_id=to_zone.id, starts_at=starts, ends_at=ends,
                       reason=reason, created_at=ctx.now, updated_at=ctx.now))


@mutation("member.end_loan", "member_loan")
def member_end_loan(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """End a loan early (now); a loan also ends by itself at its ``ends_at``."""
    loan = ctx.get(MemberLoan, entity_id)
    if loan.ends_at <= ctx.now:
        ctx.mark_merged(f"借调已于 {svc.fmt_local(loan.ends_at)} 结束")
        return
    loan.ends_at = max(ctx.now, loan.starts_at)
    _touch(ctx, loan)


# --------------------------------------------------------------------------- roster


def _entry_bounds(item: dict[str, Any], idx: int) -> tuple[str, date, str, datetime, datetime]:
    key = f"entries[{idx}]"
    if not isinstance(item, dict):
        raise ValidationError(key, "must be an object {member_id, day, shift}")
    member_id = v.text(item, "member_id", max_len=64)
    day = _date(item, "day")
    shift = item.get("shift", "day")
    custom_start = v.when(item, "starts_at", required=False)
    custom_end = v.when(item, "ends_at", required=False)
    if (custom_start is None) != (custom_end is None):
        raise ValidationError(f"{key}.starts_at", "give both starts_at and ends_at, or neither")
    if custom_start is not None and custom_end is not None:
        if custom_end <= custom_start:
            raise ValidationError(f"{key}.ends_at", "must be after starts_at")
        if custom_end - custom_start > timedelta(hours=24):
            raise ValidationError(f"{key}.ends_at", "a shift lasts at most 24 hours")
        shift = "custom" if shift not in svc.SHIFTS else shift
        return member_id, day, shift, custom_start, custom_end
    try:
        a, b = svc.shift_bounds(day, shift)
    except ValidationError as exc:
        raise ValidationError(f"{key}.shift", exc.problem) from None
    return member_id, day, shift, a, b


def _loaned_into(ctx: MutationContext, member_id: str, zone_id: str, a: datetime, b: datetime) -> bool:
    return ctx.session.scalars(
        select(MemberLoan).where(
            MemberLoan.member_id == member_id, MemberLoan.to_zone_id == zone_id, MemberLoan.deleted.is_(False),
            MemberLoan.starts_at < b, MemberLoan.ends_at > a,
        )
    ).first() is not None


def _write_week(ctx: MutationContext, zone: Zone, monday: date, items: list[dict[str, Any]],
                base_ids: set[str] | None) -> None:
    desired: dict[str, tuple[str, date, str, datetime, datetime]] = {}
    members: dict[str, TeamMember] = {}
    for idx, item in enumerate(items):
        member_id, day, shift, a, b = _entry_bounds(item, idx)
        if not monday <= day < monday + timedelta(days=7):
            raise ValidationError(f"entries[{idx}].day", f"{day} is not in the week starting {monday}")
        m = members.get(member_id) or ctx.session.get(TeamMember, member_id)
        if m is None or m.deleted:
            raise ValidationError(f"entries[{idx}].member_id", f"no team member with id '{member_id}'")
        members[member_id] = m
        if m.zone_id != zone.id and not _loaned_into(ctx, member_id, zone.id, a, b):
            raise ValidationError(
                f"entries[{idx}].member_id",
                f"{m.name} belongs to zone {m.zone_id} and is not lent to {zone.id} for {day}",
            )
        eid = svc.stable_id("roster", zone.id, member_id, day.isoformat(), shift,
                            a.isoformat() if shift == "custom" else "")
        desired[eid] = (member_id, day, shift, a, b)
    current = {e.id: e for e in svc.roster_week(ctx.session, zone.id, monday)}
    removable = set(current) if base_ids is None else set(current) & base_ids
    to_remove = {eid for eid in removable if eid not in desired}
    kept_foreign = sorted(set(current) - set(desired) - to_remove)

    # clash check: the new week of this zone + the member's entries elsewhere (and kept ones here)
    class _E:
        def __init__(self, id_: str, member_id: str, zone_id: str, a: datetime, b: datetime) -> None:
            self.id, self.member_id, self.zone_id, self.starts_at, self.ends_at = id_, member_id, zone_id, a, b

    probe = [_E(eid, mid, zone.id, a, b) for eid, (mid, _d, _s, a, b) in desired.items()]
    probe += [_E(e.id, e.member_id, zone.id, e.starts_at, e.ends_at) for eid, e in current.items()
              if eid in kept_foreign]
    if probe:
        lo = min(p.starts_at for p in probe)
        hi = max(p.ends_at for p in probe)
        member_ids = {p.member_id for p in probe}
        others = ctx.session.scalars(
            select(RosterEntry).where(
                RosterEntry.deleted.is_(False), RosterEntry.member_id.in_(member_ids),
                RosterEntry.starts_at < hi, RosterEntry.ends_at > lo,
            )
        )
        for e in others:
            if e.id in current:
                continue
            probe.append(_E(e.id, e.member_id, e.zone_id, e.starts_at, e.ends_at))
        names = {mid: m.name for mid, m in members.items()}
        clashes = svc.find_clashes(probe, names)
        if clashes:
            raise ValidationError("entries", "排班冲突: " + "; ".join(c.message for c in clashes[:5]))

    for eid in sorted(to_remove):
        e = current[eid]
        e.deleted = True
        _touch(ctx, e)
    for eid, (mid, day, shift, a, b) in desired.items():
        row = ctx.session.get(RosterEntry, eid)
        if row is None:
            ctx.add(RosterEntry(id=eid, township_code=zone.hub_code, zone_id=zone.id, member_id=mid, day=day,
                                shift=shift if shift != "custom" else "custom", starts_at=a, ends_at=b,
                                created_at=ctx.now, updated_at=ctx.now))
        elif row.deleted or row.starts_at != a or row.ends_at != b:
            row.deleted = False
            row.starts_at, row.ends_at = a, b
            _touch(ctx, row)
    if kept_foreign:
        ctx.notice(
            "roster_kept_concurrent",
            f"{zone.name} {monday} 这一周的排班在您编辑期间被他人增加了 {len(kept_foreign)} 条，已保留",
            field="entries", kept=kept_foreign,
        )


def _monday(args: dict[str, Any], key: str) -> date:
    d = _date(args, key)
    if d.weekday() != 0:
        raise ValidationError(key, f"{d} is not a Monday (the week starts on Monday)")
    return d


@mutation("roster.set", "roster_entry")
def roster_set(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Set a zone's roster for one week: ``{zone_id, week_start, entries:[{member_id, day, shift}],
    base_entry_ids?}``. ``entity_id`` is any id for the edit (e.g. ``roster:QC:2026-11-02``)."""
    zone = _zone(ctx, v.text(args, "zone_id", max_len=32))
    monday = _monday(args, "week_start")
    items = args.get("entries")
    if not isinstance(items, list):
        raise ValidationError("entries", "must be a list of {member_id, day, shift}")
    if len(items) > 2000:
        raise ValidationError("entries", f"has {len(items)} items; at most 2000")
    base = args.get("base_entry_ids")
    base_ids = None if base is None else set(v.id_list(args, "base_entry_ids", max_items=5000))
    _write_week(ctx, zone, monday, items, base_ids)


@mutation("roster.copy_week", "roster_entry")
def roster_copy_week(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Copy a zone's week to another week (replacing it); members who left the zone are skipped."""
    zone = _zone(ctx, v.text(args, "zone_id", max_len=32))
    src = _monday(args, "from_week")
    dst = _monday(args, "to_week")
    if src == dst:
        raise ValidationError("to_week", "must differ from from_week")
    shift_days = (dst - src).days
    items = []
    for e in svc.roster_week(ctx.session, zone.id, src):
        m = ctx.session.get(TeamMember, e.member_id)
        if m is None or m.deleted or m.zone_id != zone.id:
            continue
        item: dict[str, Any] = {"member_id": e.member_id, "day": (e.day + timedelta(days=shift_days)).isoformat(),
                                "shift": e.shift}
        if e.shift not in svc.SHIFTS:
            item["starts_at"] = (e.starts_at + timedelta(days=shift_days)).isoformat()
            item["ends_at"] = (e.ends_at + timedelta(days=shift_days)).isoformat()
        items.append(item)
    if not items:
        raise ValidationError("from_week", f"zone {zone.id} has no roster entries in the week of {src}")
    _write_week(ctx, zone, dst, items, None)


# --------------------------------------------------------------------------- joint visit


@mutation("team.joint_visit", "dispatch", creates=True)
def joint_visit(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """One joint visit (综合查一次): nearby incidents of one zone and day, one team, dispatches sharing
    ``joint_visit_id`` = ``entity_id``. ``{incident_ids, lead_member_id, member_ids, note?, radius_km?}``.

    An incident already dispatched to this zone's team keeps its dispatch (it joins the visit);
    the others are dispatched to the team through ``incident.dispatch``.
    """
    from commandroom.mutations.incidents import dispatch as incident_dispatch

    incident_ids = list(dict.fromkeys(v.id_list(args, "incident_ids", max_items=50)))
    lead_id = v.text(args, "lead_member_id", max_len=64)
    member_ids = list(dict.fromkeys(v.id_list(args, "member_ids", required=False, max_items=50)))
    if lead_id not in member_ids:
        member_ids = [lead_id, *member_ids]
    radius = v.number(args, "radius_km", required=False, lo=0.1, hi=5.0) or svc.JOINT_VISIT_RADIUS_KM
    note = v.text(args, "note", required=False, max_len=2000)
    incidents = []
    for iid in incident_ids:
        inc = ctx.find(Incident, iid)
        if inc is None:
            raise ValidationError("incident_ids", f"no incident with id '{iid}'")
        if inc.state not in INCIDENT_OPEN_STATES or inc.merged_into_id:
            raise ValidationError("incident_ids", f"incident {inc.number or inc.id} is not open ({inc.state})")
        incidents.append(inc)
    # a replay of this very visit (its incidents, checked in scope above); a visit of that id elsewhere is none of
    # this desk's business and gets the answer a new id gets
    existing = ctx.session.scalars(select(Dispatch).where(
        Dispatch.joint_visit_id == entity_id, Dispatch.incident_id.in_([inc.id for inc in incidents]))).first()
    if existing is not None:
        ctx.mark_merged("该联合检查已安排，无需重复")
        return
    problem = svc.joint_visit_problem(ctx.session, incidents, radius)
    if problem:
        raise ValidationError("incident_ids", problem)
    zone_id = svc.zone_of_incident(ctx.session, incidents[0])
    svc.check_lead(ctx.session, lead_id, ctx.now, zone_id=zone_id)
    for mid in member_ids:
        m = ctx.session.get(TeamMember, mid)
        if m is None or m.deleted or (zone_id is not None and svc.effective_zone(ctx.session, m, ctx.now) != zone_id):
            raise ValidationError("member_ids", f"no team member with id '{mid}'")
    for inc in incidents:
        current = ctx.session.scalars(
            select(Dispatch)
            .where(
                Dispatch.incident_id == inc.id, Dispatch.deleted.is_(False),
                Dispatch.target_kind == DispatchTarget.TEAM.value, Dispatch.target_code == zone_id,
                Dispatch.state.in_([s.value for s in DISPATCH_ACTIVE_STATES]),
            )
            .order_by(Dispatch.assigned_at, Dispatch.id)
        ).first()
        if current is None:
            did = svc.stable_id("joint_visit", entity_id, inc.id)
            status_before = ctx.status
            incident_dispatch(ctx, inc.id, {
                "target_kind": DispatchTarget.TEAM.value, "target_code": zone_id, "member_ids": member_ids,
                "lead_member_id": lead_id, "dispatch_id": did,
                "note": ("综合查一次" + (f"：{note}" if note else "")),
            })
            ctx.status = status_before
            current = ctx.session.get(Dispatch, did)
            if current is None:
                raise ValidationError("incident_ids", f"incident {inc.number or inc.id} could not be dispatched")
        else:
            current.member_ids = list(dict.fromkeys([*(current.member_ids or []), *member_ids]))
            if current.lead_member_id is None:
                current.lead_member_id = lead_id
            if current.state == DispatchState.ASSIGNED and note:
                current.note = (current.note + "\n" if current.note else "") + f"综合查一次：{note}"
        current.joint_visit_id = entity_id
        _touch(ctx, current)
