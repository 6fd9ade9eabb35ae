"""Dispatch mutations: acknowledge, en route, on scene, done, cancel, reassign — and their effect on the incident.

Field members press these buttons offline and hours may pass before the
server sees them, so each takes an optional ``at`` (when it happened),
bounded by the dispatch's assignment and the server's clock. The first
acknowledgement (or departure, or arrival) of a dispatch acknowledges a
dispatched incident; an arrival records the incident's on-site time.

The field app (server/field_api.py) sends the phone's GPS fix with each act
(``lat``/``lon``/``accuracy``): it is kept on the timeline entry and moves the
acting member on the room's map (``TeamMember.lat/lon/status``). Photos taken
on arrival (``photos``) are the incident's before-photos.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from commandroom.domain.enums import (
    DISPATCH_STATE_LABELS,
    DispatchState,
    DispatchTarget,
    IncidentState,
    MemberStatus,
)
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Dispatch, Incident, TeamMember
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.mutations.incidents import (
    active_dispatches,
    acts_for_department,
    add_timeline,
    photo_list,
    proxy_reason_of,
    refresh_search_text,
    stamped,
    touch,
)
from commandroom.workflows import DISPATCH, INCIDENT

_TIME_FIELD = {
    "acknowledge": "acknowledged_at",
    "en_route": "en_route_at",
    "on_scene": "on_scene_at",
    "done": "done_at",
}


def _when(ctx: MutationContext, args: dict[str, Any], d: Dispatch) -> datetime:
    at = v.when(args, "at", required=False) or ctx.occurred_at
    at = min(at, ctx.now)
    if d.assigned_at is not None:
        at = max(at, d.assigned_at)
    return at


_MEMBER_STATUS = {"en_route": MemberStatus.EN_ROUTE, "on_scene": MemberStatus.ON_SCENE,
                  "done": MemberStatus.AVAILABLE}


def move_member(ctx: MutationContext, pos: dict[str, float] | None, status: MemberStatus | None,
                at: datetime) -> str | None:
    """Put the acting person's team-member row where the phone says it is (the room's map shows it)."""
    if not ctx.actor.user_id or (pos is None and status is None):
        return None
    member = ctx.session.scalars(select(TeamMember).where(TeamMember.user_id == ctx.actor.user_id,
                                                          TeamMember.deleted.is_(False))).first()
    if member is None:
        return None
    if pos is not None:
        member.lat, member.lon = pos["lat"], pos["lon"]
    if status is not None and member.status != MemberStatus.OFF_DUTY:
        member.status = status.value
    member.status_at = at
    touch(ctx, member)
    return member.id


def _apply(ctx: MutationContext, entity_id: str, args: dict[str, Any], action: str) -> None:
    note = v.text(args, "note", required=action == "cancel", max_len=2000)
    pos = v.gps_fix(args)
    photos = photo_list(args, "photos")
    d = ctx.get(Dispatch, entity_id)
    res = DISPATCH.resolve(d.state, d.lifecycle_epoch or 0, action)
    if not res.applied:
        label = DISPATCH_STATE_LABELS.get(DispatchState(d.state), d.state)
        ctx.mark_merged(f"该派单已是“{label}”状态，本次操作未重复执行")
        return
    assert res.step is not None
    proxy_reason = _proxy_reason(ctx, d, args) if action == "acknowledge" else ""
    at = _when(ctx, args, d)
    d_before = d.state
    d.state = res.step.to_state
    field = _TIME_FIELD.get(action)
    if field and getattr(d, field) is None:
        setattr(d, field, at)
    if action in ("en_route", "on_scene", "done") and d.acknowledged_at is None:
        d.acknowledged_at = at
    if proxy_reason:
        d.proxy_by, d.proxy_reason = ctx.actor.name, proxy_reason
    touch(ctx, d)

    incident = ctx.get(Incident, d.incident_id)
    inc_before = incident.state
    current_round = (d.lifecycle_epoch or 0) == (incident.lifecycle_epoch or 0)
    if current_round and action in ("acknowledge", "en_route", "on_scene") and incident.state == IncidentState.DISPATCHED:
        step = INCIDENT.fire(incident.state, "acknowledge")
        incident.state = step.to_state
        if incident.acknowledged_at is None:
            incident.acknowledged_at = at
    if current_round and action == "on_scene" and incident.onsite_at is None:
        incident.onsite_at = at
    if photos:  # taken on arrival: before-photos (现场处置前)
        incident.photos_before = list(dict.fromkeys([*(incident.photos_before or []), *photos]))
    touch(ctx, incident)
    member_id = move_member(ctx, pos, _MEMBER_STATUS.get(action), at)
    data: dict[str, Any] = {
        "dispatch_id": d.id,
        "target_kind": d.target_kind,
        "target_code": d.target_code,
        "dispatch_from": d_before,
        "dispatch_to": d.state,
        "at": at.isoformat(),
    }
    if proxy_reason:
        data["proxy"] = {"by": ctx.actor.name, "reason": proxy_reason, "for": [d.target_code]}
    if current_round and action in ("done", "cancel") and not active_dispatches(ctx, incident):
        data["all_dispatches_ended"] = True
    if pos is not None:
        data["position"] = pos
    if member_id is not None:
        data["member_id"] = member_id
    if photos:
        data["photos_before"] = photos
    changed = incident.state != inc_before
    add_timeline(
        ctx,
        incident,
        f"dispatch.{action}",
        from_state=inc_before if changed else None,
        to_state=incident.state if changed else None,
        note=note,
        data=data,
        at=ctx.occurred_at,
    )
    if changed:
        refresh_search_text(ctx, incident)


def _proxy_reason(ctx: MutationContext, d: Dispatch, args: dict[str, Any]) -> str:
    """依单履责: a department signs for its own dispatch; anyone else only records a proxy entry with a reason."""
    if d.target_kind != DispatchTarget.DEPARTMENT or acts_for_department(ctx, d.target_code):
        return ""
    reason = proxy_reason_of(args)
    if not reason:
        raise ValidationError("proxy_reason", "部门的派单须由部门自行签收；部门电话告知已签收的，请用“代录签收”并写明原因"
                                              "（例如：执法局联络员电话告知已签收）")
    return reason


@mutation("dispatch.acknowledge", "dispatch")
@stamped
def acknowledge(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The team or department signs for the dispatch (签收); for a department's, anyone else needs ``proxy_reason``."""
    _apply(ctx, entity_id, args, "acknowledge")


@mutation("dispatch.en_route", "dispatch")
@stamped
def en_route(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The team sets out (出发)."""
    _apply(ctx, entity_id, args, "en_route")


@mutation("dispatch.on_scene", "dispatch")
@stamped
def on_scene(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The team is on site (到达现场); the incident's on-site clock stops."""
    _apply(ctx, entity_id, args, "on_scene")


@mutation("dispatch.done", "dispatch")
@stamped
def done(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The team's part is done (the incident is submitted for verification separately)."""
    _apply(ctx, entity_id, args, "done")


@mutation("dispatch.cancel", "dispatch")
@stamped
def cancel(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Withdraw the dispatch (撤销派单), with a note saying why."""
    _apply(ctx, entity_id, args, "cancel")


@mutation("dispatch.reassign", "dispatch")
@stamped
def reassign(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The team leader changes who goes (队内改派): the lead member and the members, all of the same team."""
    lead = v.text(args, "lead_member_id", required=False, max_len=64) or None
    members = args.get("member_ids")
    if members is None:
        members = [lead] if lead else []
    if not isinstance(members, list) or not all(isinstance(m, str) and m for m in members):
        raise ValidationError("member_ids", "must be a list of team-member ids")
    members = list(dict.fromkeys(members))
    if lead and lead not in members:
        members.insert(0, lead)
    if not members:
        raise ValidationError("member_ids", "请至少选择一名出勤队员")
    note = v.text(args, "note", required=False, max_len=2000)
    d = ctx.get(Dispatch, entity_id)
    if d.target_kind != "team":
        raise ValidationError("dispatch", "只有派给执法队的派单可以在队内改派")
    if d.state in (DispatchState.DONE, DispatchState.CANCELLED):
        label = DISPATCH_STATE_LABELS.get(DispatchState(d.state), d.state)
        raise ValidationError("dispatch", f"该派单已是“{label}”状态，不能再改派")
    names = []
    for mid in members:
        m = ctx.session.get(TeamMember, mid)
        if m is None or m.deleted or m.zone_id != d.target_code:
            raise ValidationError("member_ids", "只能改派给本队的队员")
        names.append(m.name)
    if (d.lead_member_id or None) == (lead or members[0]) and list(d.member_ids or []) == members:
        ctx.mark_merged("出勤队员未改变，无需改派")
        return
    before = {"lead_member_id": d.lead_member_id, "member_ids": list(d.member_ids or [])}
    d.lead_member_id = lead or members[0]
    d.member_ids = members
    touch(ctx, d)
    incident = ctx.get(Incident, d.incident_id)
    touch(ctx, incident)
    add_timeline(ctx, incident, "dispatch.reassign", note=note or "队内改派：" + "、".join(names),
                 data={"dispatch_id": d.id, "before": before, "lead_member_id": d.lead_member_id,
                       "member_ids": members}, at=ctx.occurred_at)
