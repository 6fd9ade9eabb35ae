"""Incident mutations: dispatch, acknowledge, arrive, start, note, return, escalate, submit, verify,
close, reopen, update, remind.

Lifecycle changes go through :data:`commandroom.workflows.INCIDENT` and its
The merge rule (docs/sync-protocol.md, "Merge rules"): an action whose effect is already there (a second close, an
acknowledge after the incident moved on) or that was made against an older
``lifecycle_epoch`` (``expected_epoch``) is *merged* — nothing changes and the
officer is told why — instead of failing. Every action appends a timeline
entry; free text is never overwritten (notes are their own rows).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from commandroom.domain.clocks import running_clocks
from commandroom.domain.enums import (
    INCIDENT_STATE_LABELS,
    DispatchState,
    DispatchTarget,
    EscalationLevel,
    IncidentState,
    MemberStatus,
    Urgency,
)
from commandroom.domain.errors import ClosureRefused, Forbidden, ValidationError
from commandroom.domain.models import (
    Department,
    Dispatch,
    EventCategory,
    Incident,
    Matter,
    MatterListVersion,
    Report,
    SyncedMixin,
    TimelineEntry,
    Zone,
)
from commandroom.mutations import validate as v
from commandroom.mutations.core import ApplyFn, MutationContext, mutation, touched_rows
from commandroom.services import closure
from commandroom.services.deadlines import (
    compute_deadlines,
    escalation_for,
    escalation_rank,
    in_order,
    load_levels,
)
from commandroom.services.search import search_tokens
from commandroom.timeutil import fmt_local
from commandroom.workflows import DISPATCH_ACTIVE_STATES, INCIDENT
from commandroom.workflows.machine import Step

S = IncidentState

ACTION_LABELS = {
    "create": "受理立案",
    "override": "改派牵头部门",
    "merge_report": "合并报告",
    "unmerge_report": "撤销合并",
    "dispatch": "派单",
    "acknowledge": "签收",
    "arrive": "到场",
    "start": "开始处置",
    "note": "进展",
    "return": "退回",
    "escalate": "上报",
    "submit": "提交核查",
    "verify_pass": "核查通过",
    "verify_fail": "核查不通过",
    "verify_partial": "已核查（待另一方核查）",
    "reject_closure": "核查不通过，退回结案",
    "close": "办结",
    "reopen": "重新打开",
    "update": "修改",
    "remind": "催办",
    "breach_warning": "即将超时预警",
    "dispute_open": "提请县级仲裁",
    "dispute_decide": "县级仲裁裁定",
    "dispute_escalate": "仲裁超时升级",
    "dispatch.acknowledge": "派单签收",
    "dispatch.en_route": "出发",
    "dispatch.on_scene": "到达现场",
    "dispatch.done": "派单完成",
    "dispatch.cancel": "撤销派单",
}
"""Chinese labels of timeline actions, for the screens."""

_VERB = {
    S.DISPATCHED: "派单",
    S.ACKNOWLEDGED: "签收",
    S.IN_PROGRESS: "开始处置",
    S.AWAITING_VERIFICATION: "提交核查",
    S.CLOSED: "办结",
    S.RETURNED: "退回",
    S.ESCALATED: "上报",
    S.PENDING_DISPATCH: "重新打开",
}


# ----------------------------------------------------------------------------- shared helpers


def touch(ctx: MutationContext, obj: Any) -> None:
    """Stamp ``updated_at`` with the mutation's clock (never the wall clock)."""
    obj.updated_at = ctx.now


def stamped(fn: ApplyFn) -> ApplyFn:
    """Make every row the apply function wrote carry ``updated_at == ctx.now``.

    ``SyncedMixin.updated_at`` has ``onupdate=utcnow``: a row flushed twice in
    one mutation (an autoflush before a query, then the final flush) would get
    the wall clock on its second UPDATE. After the body runs, rows whose stamp
    is not ``ctx.now`` are re-stamped (and forced into the next UPDATE), so the
    client and the server store the same value.
    """

    @functools.wraps(fn)
    def wrapper(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        fn(ctx, entity_id, args)
        if "touched" not in ctx.session.info:
            return
        for row in touched_rows(ctx.session):
            if isinstance(row, SyncedMixin) and row.updated_at != ctx.now:
                row.updated_at = ctx.now
                flag_modified(row, "updated_at")

    return wrapper


def add_timeline(
    ctx: MutationContext,
    incident: Incident,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Append one immutable timeline entry to ``incident``."""
    entry = TimelineEntry(
        id=ctx.new_id(),
        township_code=incident.township_code,
        incident_id=incident.id,
        at=at or ctx.occurred_at,
        received_at=ctx.received_at,
        entered_offline=ctx.entered_offline,
        clock_untrusted=ctx.clock_untrusted,
        actor_user_id=ctx.actor.user_id,
        actor_name=ctx.actor.name,
        device_name=ctx.actor.device_name,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.add(entry)
    return entry


def incident_search_text(session: Session, incident: Incident) -> str:
    """Search tokens of the incident, its category and matter, and the reports merged into it.

    Usable outside a mutation too (e.g. when rows arrive by sync without ``search_text``).
    """
    category = session.get(EventCategory, incident.category_code)
    texts = [incident.number, incident.title, incident.description, incident.address, incident.matter_name,
             category.name if category else None]
    if incident.id:
        for number, description in session.execute(
            select(Report.number, Report.description)
            .where(Report.incident_id == incident.id, Report.deleted.is_(False))
            .order_by(Report.id)
        ):
            texts.extend([number, description])
    return search_tokens(*texts)


def refresh_search_text(ctx: MutationContext, incident: Incident) -> None:
    incident.search_text = incident_search_text(ctx.session, incident)


def expected_epoch(args: dict[str, Any]) -> int | None:
    value = args.get("expected_epoch")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("expected_epoch", f"must be a non-negative integer, got {value!r}")
    return value


def photo_list(args: dict[str, Any], key: str) -> list[str]:
    value = args.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(key, "must be a list of photo sha256 hashes")
    out: list[str] = []
    for i, h in enumerate(value):
        if not isinstance(h, str) or len(h) != 64 or any(c not in "0123456789abcdef" for c in h.lower()):
            raise ValidationError(key, f"item {i} is not a sha256 hex digest")
        if h.lower() not in out:
            out.append(h.lower())
    if len(out) > 50:
        raise ValidationError(key, f"has {len(out)} photos; at most 50")
    return out


def boolean(args: dict[str, Any], key: str, *, required: bool = True, default: bool = False) -> bool:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required (true or false)")
        return default
    if not isinstance(value, bool):
        raise ValidationError(key, f"must be true or false, got {value!r}")
    return value


def _last_entry_into(ctx: MutationContext, incident: Incident, state: str) -> TimelineEntry | None:
    return ctx.session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id, TimelineEntry.to_state == state)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(1)
    ).first()


def merged_explanation(ctx: MutationContext, incident: Incident, action: str, reason: str) -> str:
    label = ACTION_LABELS.get(action, action)
    state_label = INCIDENT_STATE_LABELS.get(S(incident.state), incident.state)
    if reason == "stale_epoch":
        return (f"事件已被退回、上报或重新打开，现为第 {incident.lifecycle_epoch + 1} 轮（{state_label}），"
                f"此前的“{label}”不再适用，未执行")
    entry = _last_entry_into(ctx, incident, incident.state)
    who = ""
    if entry is not None:
        who = f"由 {entry.actor_name or '系统'} 于 {fmt_local(entry.at)} "
    verb = _VERB.get(S(incident.state), state_label)
    if reason == "terminal":
        return f"事件已{who}{verb}（{state_label}），“{label}”无需再执行"
    if reason == "already":
        return f"事件已{who}{verb}（{state_label}），“{label}”无需重复执行"
    return f"事件已进展到“{state_label}”，“{label}”已被后续操作覆盖，未执行"


def transition(
    ctx: MutationContext,
    incident: Incident,
    action: str,
    args: dict[str, Any],
    *,
    target: str | None = None,
) -> Step | None:
    """Apply ``action`` to the incident's lifecycle, or mark the mutation merged (returns None).

    Raises IllegalTransition for an action that makes no sense from here.
    """
    res = INCIDENT.resolve(
        incident.state, incident.lifecycle_epoch or 0, action, expected_epoch=expected_epoch(args), target=target
    )
    if not res.applied:
        ctx.mark_merged(merged_explanation(ctx, incident, action, res.reason))
        return None
    assert res.step is not None
    incident.state = res.step.to_state
    incident.lifecycle_epoch = res.epoch
    touch(ctx, incident)
    return res.step


def matter_limits(ctx: MutationContext, incident: Incident) -> dict[str, Any]:
    """The time-limit overrides of the incident's matter, in the list version frozen at creation."""
    if not incident.matter_code or incident.matter_version is None:
        return {}
    matter = ctx.session.scalars(
        select(Matter)
        .join(MatterListVersion, Matter.version_id == MatterListVersion.id)
        .where(MatterListVersion.version == incident.matter_version, Matter.code == incident.matter_code)
    ).first()
    return dict(matter.limits or {}) if matter else {}


def set_deadlines(ctx: MutationContext, incident: Incident, *, close_from: datetime,
                  response_from: datetime | None = None) -> None:
    """(Re)compute the clocks: close from ``close_from``, acknowledge/on-site from ``response_from``."""
    limits = matter_limits(ctx, incident)
    levels = load_levels(ctx.session)
    close = compute_deadlines(close_from, incident.urgency, limits, levels)
    incident.close_due = close.close_due
    resp = close if response_from is None else compute_deadlines(response_from, incident.urgency, limits, levels)
    incident.ack_due, incident.onsite_due = in_order(resp.ack_due, resp.onsite_due, incident.close_due)


def active_dispatches(ctx: MutationContext, incident: Incident) -> list[Dispatch]:
    return list(
        ctx.session.scalars(
            select(Dispatch)
            .where(
                Dispatch.incident_id == incident.id,
                Dispatch.deleted.is_(False),
                Dispatch.state.in_([s.value for s in DISPATCH_ACTIVE_STATES]),
            )
            .order_by(Dispatch.assigned_at, Dispatch.id)
        )
    )


def wind_up_dispatches(ctx: MutationContext, incident: Incident, *, cancel_all: bool) -> list[str]:
    """End the incident's active dispatches: all cancelled (return), or done / cancelled if never taken (close)."""
    ended = []
    for d in active_dispatches(ctx, incident):
        if cancel_all or d.state == DispatchState.ASSIGNED:
            d.state = DispatchState.CANCELLED.value
        else:
            d.state = DispatchState.DONE.value
            d.done_at = ctx.occurred_at
        touch(ctx, d)
        ended.append(d.id)
    return ended


def take_dispatches(ctx: MutationContext, incident: Incident, args: dict[str, Any]) -> list[str]:
    """The assignee signs: dispatches of the current round still only assigned become acknowledged.

    ``dispatch_id`` in ``args`` limits this to one dispatch.
    """
    only = v.text(args, "dispatch_id", required=False, max_len=64) or None
    proxy_reason = proxy_reason_of(args)
    taken = []
    for d in active_dispatches(ctx, incident):
        if d.state != DispatchState.ASSIGNED or (only and d.id != only):
            continue
        if (d.lifecycle_epoch or 0) != (incident.lifecycle_epoch or 0):
            continue
        if d.target_kind == DispatchTarget.DEPARTMENT and not acts_for_department(ctx, d.target_code):
            # 依单履责: a department signs for itself; the room only records it as a proxy entry with a reason
            if not proxy_reason:
                continue
            d.proxy_by, d.proxy_reason = ctx.actor.name, proxy_reason
        d.state = DispatchState.ACKNOWLEDGED.value
        d.acknowledged_at = ctx.occurred_at
        touch(ctx, d)
        taken.append(d.id)
    return taken


def proxy_reason_of(args: dict[str, Any]) -> str:
    """The reason of a proxy entry (代录: the department phoned its act in), or ""."""
    return v.text(args, "proxy_reason", required=False, max_len=2000)


def acts_for_department(ctx: MutationContext, code: str | None) -> bool:
    """Is the actor that department's own seat (its liaison), or the system?"""
    from commandroom.permissions import is_system

    return is_system(ctx.actor) or (bool(code) and ctx.actor.department_code == code
                                    and "department_liaison" in (*ctx.actor.roles, ctx.actor.role))


def proxy_data(ctx: MutationContext, incident: Incident, taken: list[str], reason: str) -> dict[str, Any]:
    """Timeline data of an act: the dispatches it took and, for a proxy entry, who typed it in for whom."""
    data: dict[str, Any] = {"dispatches": taken} if taken else {}
    proxied = [d for d in ctx.session.scalars(select(Dispatch).where(Dispatch.id.in_(taken))) if d.proxy_by] \
        if taken and reason else []
    if proxied:
        data["proxy"] = {"by": ctx.actor.name, "reason": reason,
                         "for": sorted({d.target_code for d in proxied})}
    return data


def _load(ctx: MutationContext, entity_id: str) -> Incident:
    return ctx.get(Incident, entity_id)


def _note(args: dict[str, Any], key: str = "note", *, required: bool = False) -> str:
    return v.text(args, key, required=required, max_len=4000)


# ----------------------------------------------------------------------------- lifecycle


@mutation("incident.dispatch", "incident")
@stamped
def dispatch(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Dispatch to a department or a zone team (a new Dispatch row); a further dispatch adds a team."""
    target_kind = v.choice(args, "target_kind", [t.value for t in DispatchTarget])
    target_code = v.text(args, "target_code", max_len=32)
    member_ids = v.id_list(args, "member_ids", required=False, max_items=100)
    lead_member_id = v.text(args, "lead_member_id", required=False, max_len=64) or None
    note = _note(args)
    dispatch_id = v.text(args, "dispatch_id", max_len=64)
    if target_kind == DispatchTarget.DEPARTMENT:
        if ctx.session.get(Department, target_code) is None:
            raise ValidationError("target_code", f"no department with code '{target_code}'")
        if member_ids:
            raise ValidationError("member_ids", "members are only given for a team dispatch")
    elif ctx.session.get(Zone, target_code) is None:
        raise ValidationError("target_code", f"no enforcement zone with id '{target_code}'")
    if lead_member_id and member_ids and lead_member_id not in member_ids:
        raise ValidationError("lead_member_id", "must be one of member_ids")
    if lead_member_id and not member_ids:
        member_ids = [lead_member_id]
    if lead_member_id:
        # 一支队伍管执法: the lead enforcer holds a valid certificate on the dispatch date; auxiliaries never lead
        from commandroom.services.teams import check_lead

        check_lead(ctx.session, lead_member_id, ctx.now, zone_id=target_code)
    incident = _load(ctx, entity_id)
    existing = ctx.session.get(Dispatch, dispatch_id)
    if existing is not None:
        if existing.incident_id != incident.id:
            raise ValidationError("dispatch_id", "already used by another incident's dispatch")
        ctx.mark_merged(f"该派单已于 {fmt_local(existing.assigned_at)} 下达，无需重复派单")
        return
    before = incident.state
    step = transition(ctx, incident, "dispatch", args)
    if step is None:
        return
    first = before in (S.PENDING_DISPATCH, S.RETURNED, S.ESCALATED)
    d = Dispatch(
        id=dispatch_id,
        township_code=incident.township_code,
        incident_id=incident.id,
        target_kind=target_kind,
        target_code=target_code,
        lead_member_id=lead_member_id,
        member_ids=member_ids,
        state=DispatchState.ASSIGNED.value,
        lifecycle_epoch=incident.lifecycle_epoch,
        note=note,
        assigned_at=ctx.occurred_at,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.add(d)
    incident.assignee_kind = target_kind
    incident.assignee_code = target_code
    if first:
        incident.dispatched_at = ctx.now
        incident.acknowledged_at = None
        incident.onsite_at = None
        # the acknowledge and on-site clocks measure the assignee: they restart at the dispatch
        resp = compute_deadlines(ctx.now, incident.urgency, matter_limits(ctx, incident), load_levels(ctx.session))
        incident.ack_due, incident.onsite_due = in_order(resp.ack_due, resp.onsite_due, incident.close_due)
    add_timeline(
        ctx, incident, "dispatch", from_state=before, to_state=incident.state, note=note,
        data={"dispatch_id": dispatch_id, "target_kind": target_kind, "target_code": target_code,
              "member_ids": member_ids, "lead_member_id": lead_member_id, "additional": not first},
    )
    refresh_search_text(ctx, incident)


@mutation("incident.acknowledge", "incident")
@stamped
def acknowledge(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The assignee signs for the incident (签收)."""
    note = _note(args)
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "acknowledge", args) is None:
        return
    incident.acknowledged_at = ctx.occurred_at
    taken = take_dispatches(ctx, incident, args)
    add_timeline(ctx, incident, "acknowledge", from_state=before, to_state=incident.state, note=note,
                 data=proxy_data(ctx, incident, taken, proxy_reason_of(args)))
    refresh_search_text(ctx, incident)


@mutation("incident.proxy_acknowledge", "incident")
@stamped
def proxy_acknowledge(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """代录签收: the room records a department's 签收 it phoned in: ``{proxy_reason, dispatch_id?, note?}``.

    Only the department's dispatches are taken, each marked with who typed it in and why; the timeline
    shows 代录 and the assessment counts it apart from the department's own 签收.
    """
    reason = proxy_reason_of(args)
    if not reason:
        raise ValidationError("proxy_reason", "代部门录入签收须写明原因（例如：部门电话告知已签收）")
    note = _note(args)
    incident = _load(ctx, entity_id)
    waiting = [d for d in active_dispatches(ctx, incident) if d.target_kind == DispatchTarget.DEPARTMENT
               and d.state == DispatchState.ASSIGNED]
    if not waiting:
        ctx.mark_merged("没有待签收的县级部门派单，无需代录")
        return
    before = incident.state
    if incident.state == S.DISPATCHED:
        if transition(ctx, incident, "acknowledge", args) is None:
            return
        incident.acknowledged_at = ctx.occurred_at
    taken = take_dispatches(ctx, incident, args)
    if not taken:
        ctx.mark_merged("没有待签收的县级部门派单，无需代录")
        return
    touch(ctx, incident)
    names = "、".join(sorted({_dept_name(ctx, d.target_code) for d in waiting if d.id in taken}))
    add_timeline(ctx, incident, "acknowledge", from_state=before, to_state=incident.state,
                 note=(note + "\n" if note else "") + f"代录{names}签收（{ctx.actor.name}录入：{reason}）",
                 data=proxy_data(ctx, incident, taken, reason))
    refresh_search_text(ctx, incident)


def _dept_name(ctx: MutationContext, code: str) -> str:
    row = ctx.session.get(Department, code)
    return row.name if row is not None else code


@mutation("incident.arrive", "incident")
@stamped
def arrive(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Someone is on site (到场): records the on-site time; implies acknowledgement."""
    note = _note(args)
    incident = _load(ctx, entity_id)
    if incident.onsite_at is not None and incident.state in (S.ACKNOWLEDGED, S.IN_PROGRESS):
        ctx.mark_merged(f"已于 {fmt_local(incident.onsite_at)} 记录到场，无需重复")
        return
    before = incident.state
    if transition(ctx, incident, "arrive", args) is None:
        return
    if incident.acknowledged_at is None:
        incident.acknowledged_at = ctx.occurred_at
    incident.onsite_at = ctx.occurred_at
    taken = take_dispatches(ctx, incident, args)
    add_timeline(ctx, incident, "arrive", from_state=before, to_state=incident.state, note=note,
                 data={"dispatches": taken} if taken else None)
    refresh_search_text(ctx, incident)


def _move_acting_member(ctx: MutationContext, pos: dict[str, float], at: datetime, *, on_scene: bool) -> None:
    """A team member's fix on 开始处置 / 提交核查 moves him on the room's map, like his dispatch acts do."""
    from commandroom.mutations.dispatches import move_member  # dispatches builds on this module

    move_member(ctx, pos, MemberStatus.ON_SCENE if on_scene else None, at)


@mutation("incident.start", "incident")
@stamped
def start(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Handling begins (处置中); implies acknowledgement. Photos given are before-photos (处置前)."""
    note = _note(args)
    photos = photo_list(args, "photos_before")
    pos = v.gps_fix(args)
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "start", args) is None:
        return
    if incident.acknowledged_at is None:
        incident.acknowledged_at = ctx.occurred_at
    if photos:
        incident.photos_before = list(dict.fromkeys([*(incident.photos_before or []), *photos]))
    taken = take_dispatches(ctx, incident, args)
    data: dict[str, Any] = {"dispatches": taken} if taken else {}
    if photos:
        data["photos_before"] = photos
    if pos is not None:
        data["position"] = pos
        _move_acting_member(ctx, pos, ctx.occurred_at, on_scene=True)
    add_timeline(ctx, incident, "start", from_state=before, to_state=incident.state, note=note,
                 data=data or None)
    refresh_search_text(ctx, incident)


@mutation("incident.note", "incident")
@stamped
def add_note(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A progress note: its own append-only timeline entry, allowed in every state."""
    note = _note(args, required=True)
    photos = photo_list(args, "photos")
    incident = _load(ctx, entity_id)
    touch(ctx, incident)
    add_timeline(ctx, incident, "note", note=note, data={"photos": photos} if photos else None)


@mutation("incident.return", "incident")
@stamped
def return_(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The assignee returns the incident (退回) with a reason; the county arbitrates."""
    reason = v.text(args, "reason", max_len=2000)
    counter = v.text(args, "counter_proposal", required=False, max_len=2000)
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "return", args) is None:
        return
    incident.return_reason = reason
    incident.counter_proposal = counter
    incident.return_count = (incident.return_count or 0) + 1
    cancelled = wind_up_dispatches(ctx, incident, cancel_all=True)
    add_timeline(ctx, incident, "return", from_state=before, to_state=incident.state, note=reason,
                 data={"counter_proposal": counter, "cancelled_dispatches": cancelled})
    refresh_search_text(ctx, incident)


@mutation("incident.escalate", "incident")
@stamped
def escalate(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Escalate to the county (上报), with a reason."""
    reason = v.text(args, "reason", max_len=2000)
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "escalate", args) is None:
        return
    add_timeline(ctx, incident, "escalate", from_state=before, to_state=incident.state, note=reason)
    refresh_search_text(ctx, incident)


@mutation("incident.submit", "incident")
@stamped
def submit(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Handling finished: submit for verification (待核查) with after-photos (and before-photos)."""
    note = _note(args)
    photos = photo_list(args, "photos_after")
    before_photos = photo_list(args, "photos_before")  # taken on arrival, when the list asks for them
    pos = v.gps_fix(args)
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "submit", args) is None:
        return
    if photos:
        incident.photos_after = list(dict.fromkeys([*(incident.photos_after or []), *photos]))
    if before_photos:
        incident.photos_before = list(dict.fromkeys([*(incident.photos_before or []), *before_photos]))
    data: dict[str, Any] = {k: v for k, v in (("photos_after", photos), ("photos_before", before_photos)) if v}
    if pos is not None:
        data["position"] = pos
        _move_acting_member(ctx, pos, ctx.occurred_at, on_scene=False)
    add_timeline(ctx, incident, "submit", from_state=before, to_state=incident.state, note=note,
                 data=data or None)
    refresh_search_text(ctx, incident)


def _verifier(ctx: MutationContext, incident: Incident) -> str:
    """Who verifies with this act: the grid worker of the incident's grid, or the room (any desk role)."""
    roles = set(ctx.actor.roles or ()) | {ctx.actor.role}
    if roles & {"grid_worker", "grid-worker"} and not roles & {"duty_officer", "grid_supervisor"}:
        if ctx.actor.scope_kind == "grid" and ctx.actor.scope_code and incident.grid_id != ctx.actor.scope_code:
            raise Forbidden("此事件不在您的网格内，只能由所在网格的网格员核查。", rule="incident.verify")
        return "grid_worker"
    return "room"


def _override(args: dict[str, Any], by: str) -> str:
    reason = v.text(args, "override_reason", required=False, max_len=2000)
    if reason and by != "room":
        raise Forbidden("只有指挥室可以说明理由后越过结案要求。", rule="incident.close")
    return reason


@mutation("incident.verify", "incident")
@stamped
def verify(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Verify the result (核查). Passed: this verifier's check is recorded, and the incident closes once
    every verifier its closure rule names has checked and the photos it asks are there (the room may close
    without them only with ``override_reason``). Not passed: the same as ``incident.reject_closure``."""
    passed = boolean(args, "passed")
    if not passed:
        _reject(ctx, entity_id, args, action="verify_fail", reason_key="note",
                verified_by=v.text(args, "verified_by", required=False, max_len=64) or ctx.actor.name)
        return
    verified_by = v.text(args, "verified_by", required=False, max_len=64) or ctx.actor.name
    note = _note(args)
    photos = photo_list(args, "photos")  # the checker's own photo (网格员核查照片)
    pos = v.gps_fix(args)
    incident = _load(ctx, entity_id)
    by = _verifier(ctx, incident)
    override = _override(args, by)
    need = closure.requirement(ctx.session, incident)
    if by not in need.verifiers and not override:
        raise ClosureRefused(f"此类事项由{closure.VERIFY_WORDS[need.verify]}，{closure.VERIFIER_WORDS[by]}不能核查。"
                             + ("如确需结案，请用“办结”并说明理由。" if by == "room" else ""))
    before = incident.state
    if before != S.AWAITING_VERIFICATION.value:
        transition(ctx, incident, "verify_pass", args)  # merged (already closed) or refused
        return
    waiting = need.still_to_verify(by)
    refusal = need.refusal(by) if not waiting else ("缺少" + "、".join(need.missing_photos)
                                                    if need.missing_photos else None)
    if waiting and not override:
        # one of several verifiers: record the check; the incident waits for the others
        touch(ctx, incident)
        incident.verifications = [*dict.fromkeys([*(incident.verifications or []), by])]
        flag_modified(incident, "verifications")
        add_timeline(ctx, incident, "verify_partial", note=note, data={
            "verified_by": verified_by, "by": by, "photos": photos,
            "waiting": [closure.VERIFIER_WORDS[w] for w in waiting]})
        refresh_search_text(ctx, incident)
        return
    if refusal and not override:
        raise ClosureRefused(f"不能核查通过：{refusal}" + ("如确需结案，请用“办结”并说明理由。" if by == "room"
                                                          else "请指挥室处理。"))
    if transition(ctx, incident, "verify_pass", args) is None:
        return
    incident.verified_by = verified_by
    incident.verifications = [*dict.fromkeys([*(incident.verifications or []), by])]
    data: dict[str, Any] = {"verified_by": verified_by, "passed": True, "by": by, "photos": photos}
    if pos is not None:
        data["position"] = pos
    if override:
        incident.closure_override = override
        data["override"] = override
        data["missing"] = need.refusal(by) or ""
    incident.closed_at = ctx.occurred_at
    data["ended_dispatches"] = wind_up_dispatches(ctx, incident, cancel_all=False)
    add_timeline(ctx, incident, "verify_pass", from_state=before, to_state=incident.state, note=note, data=data)
    refresh_search_text(ctx, incident)


def _reject(ctx: MutationContext, entity_id: str, args: dict[str, Any], *, action: str, reason_key: str = "reason",
            verified_by: str = "") -> None:
    reason = v.text(args, reason_key, max_len=2000)
    photos = photo_list(args, "photos")
    pos = v.gps_fix(args)
    incident = _load(ctx, entity_id)
    by = _verifier(ctx, incident)
    need = closure.requirement(ctx.session, incident)
    if by not in need.verifiers and by != "room":
        raise ClosureRefused(f"此类事项由{closure.VERIFY_WORDS[need.verify]}，网格员不能退回结案。")
    before = incident.state
    if before == S.CLOSED.value and action == "reject_closure":
        step = transition(ctx, incident, "reopen", args, target=S.IN_PROGRESS.value)
        if step is None:
            return
        incident.closed_at = None
        set_deadlines(ctx, incident, close_from=ctx.now)
    elif transition(ctx, incident, "verify_fail", args) is None:
        return
    incident.verified_by = verified_by
    incident.verifications = []
    incident.closure_override = ""
    data: dict[str, Any] = {"by": by, "passed": False, "photos": photos, "rejected_closure": True}
    if pos is not None:
        data["position"] = pos
    add_timeline(ctx, incident, action, from_state=before, to_state=incident.state, note=reason, data=data)
    refresh_search_text(ctx, incident)


@mutation("incident.reject_closure", "incident")
@stamped
def reject_closure(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The matter is not fixed (核查不通过): back to the team, in handling, with the reason (and a photo).

    From 待核查 it returns to 处置中; an incident already closed is reopened to its team. A notice goes
    to the team (``closure rejected``).
    """
    _reject(ctx, entity_id, args, action="reject_closure")


@mutation("incident.close", "incident")
@stamped
def close(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Direct close by the room (销号) with a note and before/after photos.

    Refused when the incident's closure rule asks for photos it lacks or a grid worker's 核查 it has not
    had, unless the room states why (``override_reason``: kept on the timeline, counted in the assessment).
    """
    note = _note(args, required=True)
    before_photos = photo_list(args, "photos_before")
    after_photos = photo_list(args, "photos_after")
    incident = _load(ctx, entity_id)
    override = _override(args, "room")
    before = incident.state
    need = None
    if before != S.CLOSED.value:
        need = closure.requirement(ctx.session, incident, extra_before=len(before_photos),
                                   extra_after=len(after_photos))
        refusal = need.refusal("room")
        if refusal and not override:
            raise ClosureRefused(f"不能结案：{refusal}请补充后再结案，或说明理由后强制结案。")
    if transition(ctx, incident, "close", args) is None:
        # someone closed it first: the close is merged, but this officer's words are narrative,
        # which is append-only (docs/sync-protocol.md, "Merge rules") — keep them on the timeline
        add_timeline(ctx, incident, "note", note=note,
                     data={"merged_action": "close", "photos_before": before_photos, "photos_after": after_photos})
        return
    incident.closed_at = ctx.occurred_at
    if before_photos:
        incident.photos_before = list(dict.fromkeys([*(incident.photos_before or []), *before_photos]))
    if after_photos:
        incident.photos_after = list(dict.fromkeys([*(incident.photos_after or []), *after_photos]))
    incident.verifications = [*dict.fromkeys([*(incident.verifications or []), "room"])]
    data: dict[str, Any] = {"photos_before": before_photos, "photos_after": after_photos}
    missing = need.refusal("room") if need is not None else None
    if override and missing:
        incident.closure_override = override
        data["override"] = override
        data["missing"] = missing
    data["ended_dispatches"] = wind_up_dispatches(ctx, incident, cancel_all=False)
    add_timeline(ctx, incident, "close", from_state=before, to_state=incident.state, note=note, data=data)
    refresh_search_text(ctx, incident)


@mutation("incident.reopen", "incident")
@stamped
def reopen(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Reopen a closed incident (to pending dispatch, or straight back to handling); bumps the epoch."""
    reason = v.text(args, "reason", max_len=2000)
    to = v.choice(args, "to", [S.PENDING_DISPATCH.value, S.IN_PROGRESS.value], required=False,
                  default=S.PENDING_DISPATCH.value)
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "reopen", args, target=to) is None:
        return
    incident.closed_at = None
    incident.verified_by = ""
    incident.escalation_level = EscalationLevel.NONE.value
    if to == S.PENDING_DISPATCH:
        incident.assignee_kind = None
        incident.assignee_code = None
        incident.dispatched_at = None
        incident.acknowledged_at = None
        incident.onsite_at = None
    set_deadlines(ctx, incident, close_from=ctx.now)
    add_timeline(ctx, incident, "reopen", from_state=before, to_state=incident.state, note=reason,
                 data={"epoch": incident.lifecycle_epoch})
    refresh_search_text(ctx, incident)


# ----------------------------------------------------------------------------- scalar edits, reminders

_UPDATABLE = ("urgency", "title", "description", "address", "lat", "lon")


@mutation("incident.update", "incident")
@stamped
def update(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Edit scalar facts (urgency, title, description, address, location); last writer wins per field."""
    unknown = sorted(set(args) - {*_UPDATABLE, "expected_epoch", "note"})
    if unknown:
        raise ValidationError(unknown[0], f"cannot be edited here (editable: {', '.join(_UPDATABLE)})")
    changes: dict[str, Any] = {}
    if args.get("urgency") is not None:
        changes["urgency"] = v.choice(args, "urgency", [u.value for u in Urgency])
    if args.get("title") is not None:
        changes["title"] = v.text(args, "title", max_len=128)
    if args.get("description") is not None:
        changes["description"] = v.text(args, "description", required=False, max_len=8000)
    if args.get("address") is not None:
        changes["address"] = v.text(args, "address", required=False, max_len=256)
    if args.get("lat") is not None or args.get("lon") is not None:
        lat, lon = v.location(args, required=True)
        changes["lat"], changes["lon"] = lat, lon
    if not changes:
        raise ValidationError("args", f"nothing to change (give one of {', '.join(_UPDATABLE)})")
    note = _note(args)
    incident = _load(ctx, entity_id)
    diff = {k: [getattr(incident, k), val] for k, val in changes.items() if getattr(incident, k) != val}
    if not diff:
        ctx.mark_merged("这些字段已是该值，无需修改")
        return
    for k, (_old, new) in diff.items():
        setattr(incident, k, new)
    if "urgency" in diff and incident.state != S.CLOSED:
        # the new urgency's close limit counts from the moment the person changed it (occurred_at: offline too),
        # not from the intake: an upgrade days later must not be born overdue. Response clocks keep their start.
        set_deadlines(ctx, incident, close_from=ctx.occurred_at,
                      response_from=incident.dispatched_at or incident.created_at)
    touch(ctx, incident)
    add_timeline(ctx, incident, "update", note=note, data={"changes": diff})
    refresh_search_text(ctx, incident)


def running_escalation(incident: Incident, now: datetime) -> EscalationLevel:
    """The escalation level the incident's running clocks call for now."""
    levels = [escalation_for(incident.close_due, now)]  # escalation_for(None) is "none"
    levels += [escalation_for(due, now) for kind, due in running_clocks(
        incident.state, incident.acknowledged_at, incident.onsite_at, incident.ack_due, incident.onsite_due,
        incident.close_due) if kind != "close"]
    return max(levels, key=escalation_rank)


@mutation("incident.remind", "incident")
@stamped
def remind(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A step up the escalation ladder: reminder (提醒), supervision order (督办单), leader notice (领导通报).

    Without ``level`` the step the overdue clocks call for is taken. The ladder only goes up.
    """
    ladder = [EscalationLevel.REMINDER.value, EscalationLevel.SUPERVISION_ORDER.value,
              EscalationLevel.LEADER_NOTICE.value]
    level = v.choice(args, "level", ladder, required=False)
    note = _note(args)
    incident = _load(ctx, entity_id)
    if incident.state == S.CLOSED:
        ctx.mark_merged("事件已办结，无需催办")
        return
    if level is None:
        level = running_escalation(incident, ctx.now).value
        if level == EscalationLevel.NONE:
            raise ValidationError("level", "no clock of this incident is overdue; give a level to remind anyway")
    if escalation_rank(level) <= escalation_rank(incident.escalation_level or "none"):
        ctx.mark_merged(f"已发出“{level}”或更高等级的催办，无需重复")
        return
    before_level = incident.escalation_level
    incident.escalation_level = level
    touch(ctx, incident)
    add_timeline(ctx, incident, "remind", note=note, data={"level": level, "previous": before_level})


BREACH_CLOCKS = ("ack", "onsite", "close")


@mutation("incident.warn_breach", "incident")
def warn_breach(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A running clock is about to run out (即将超时预警): one timeline entry per clock and due time.

    The county server's scheduler performs it; the desks raise a banner when it arrives. ``{clock, due}``.
    """
    clock = v.choice(args, "clock", BREACH_CLOCKS)
    due = v.when(args, "due")
    incident = _load(ctx, entity_id)
    if incident.state == S.CLOSED:
        ctx.mark_merged("事件已办结，无需预警")
        return
    key = due.isoformat()
    warned = ctx.session.scalars(select(TimelineEntry.data).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.action == "breach_warning"))
    if any((d or {}).get("clock") == clock and (d or {}).get("due") == key for d in warned):
        ctx.mark_merged("该时限已发出预警")
        return
    label = {"ack": "签收", "onsite": "到场", "close": "办结"}[clock]
    add_timeline(ctx, incident, "breach_warning", note=f"{label}时限 {fmt_local(due)} 即将到期",
                 data={"clock": clock, "due": key})
