"""Dispatch mutations: acknowledge, en route, on scene, done, cancel — and their effect on the incident.

Field members press these buttons offline and hours may pass before the
server sees them, so each takes an optional ``at`` (when it happened),
bounded by the dispatch's assignment and the server's clock. The first
acknowledgement (or departure, or arrival) of a dispatch acknowledges a
dispatched incident; an arrival records the incident's on-site time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from commandroom.domain.enums import DISPATCH_STATE_LABELS, DispatchState, DispatchTarget, IncidentState
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Dispatch, Incident
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.mutations.incidents import (
    active_dispatches,
    acts_for_department,
    add_timeline,
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


def _apply(ctx: MutationContext, entity_id: str, args: dict[str, Any], action: str) -> None:
    note = v.text(args, "note", required=action == "cancel", max_len=2000)
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
    touch(ctx, incident)
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
