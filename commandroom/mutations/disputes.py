"""Disputes (推诿) between a township and a county department, arbitrated by the county on a clock.

* ``dispute.open`` — one side contests the other's return: the township contests a department's 退回, or a
  department contests the township sending the matter back to it (its 退回 refused by a new dispatch). The
  dispute carries both sides' reasons and the counter-proposal, and its time limit in working time
  (:func:`commandroom.domain.clocks.dispute_due`).
* ``dispute.decide`` — the county coordinator decides who handles it, with a reason: the decision routes the
  incident (a dispatch to the department it names, or back to the township room), lands on the timeline and,
  being a mutation, in the audit log; both sides' desks receive it in the township's bucket.
* ``dispute.escalate`` — the county server's scheduler, once, when a dispute is still undecided past its limit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commandroom.domain.clocks import DISPUTE_OPEN_STATES, dispute_due, dispute_is_overdue
from commandroom.domain.enums import DispatchTarget, IncidentState, Role
from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import Department, Dispute, Incident, TimelineEntry
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.mutations.incidents import (
    add_timeline,
    dispatch,
    refresh_search_text,
    touch,
    transition,
    wind_up_dispatches,
)
from commandroom.permissions import is_system, roles_of
from commandroom.services.deadlines import load_levels
from commandroom.timeutil import fmt_local

S = IncidentState
SIDE_WORDS = {"township": "乡镇", "department": "部门"}


def _is_liaison(ctx: MutationContext) -> bool:
    return bool(ctx.actor.department_code) and Role.DEPARTMENT_LIAISON.value in roles_of(ctx.actor)


def _last(ctx: MutationContext, incident: Incident, action: str) -> TimelineEntry | None:
    return ctx.session.scalars(
        select(TimelineEntry).where(TimelineEntry.incident_id == incident.id, TimelineEntry.action == action,
                                    TimelineEntry.deleted.is_(False))
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc()).limit(1)).first()


def _dept_name(ctx: MutationContext, code: str | None) -> str:
    row = ctx.session.get(Department, code) if code else None
    return row.name if row is not None else "县级部门"


def _undecided(ctx: MutationContext, incident_id: str) -> Dispute | None:
    return ctx.session.scalars(select(Dispute).where(
        Dispute.incident_id == incident_id, Dispute.deleted.is_(False),
        Dispute.state.in_(DISPUTE_OPEN_STATES))).first()


@mutation("dispute.open", "dispute", creates=True)
def open_dispute(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Contest a return and send it to the county: ``{incident_id, reason}`` (the side follows the seat)."""
    reason = v.text(args, "reason", max_len=2000)
    incident = ctx.get(Incident, v.text(args, "incident_id", max_len=64))
    if ctx.session.get(Dispute, entity_id) is not None:
        ctx.mark_merged("该争议已提交县级仲裁，无需重复")
        return
    pending = _undecided(ctx, incident.id)
    if pending is not None:
        ctx.mark_merged(f"该事件已有待仲裁的争议（{fmt_local(pending.opened_at)} 由{pending.opened_by}提出），无需重复")
        return
    returned = _last(ctx, incident, "return")
    if _is_liaison(ctx):
        # the department contests: the township refused its return by dispatching the matter to it again
        department = ctx.actor.department_code or ""
        again = _last(ctx, incident, "dispatch")
        if (returned is None or (returned.data or {}).get("department_code") != department or again is None
                or (again.data or {}).get("target_code") != department or again.at < returned.at):
            raise ValidationError("incident_id", "只有本部门退回后乡镇仍派回本部门的事项，部门才能提请县级仲裁")
        side, return_side = "department", "township"
        return_reason = again.note or "乡镇未采纳退回理由，再次派回本部门"
        data = returned.data or {}
    else:
        # the township contests the department's return
        if incident.state != S.RETURNED or returned is None or not (returned.data or {}).get("department_code"):
            raise ValidationError("incident_id", "只有被县级部门退回、尚未重新派单的事项，乡镇才能提请县级仲裁")
        data = returned.data or {}
        department = data["department_code"]
        side, return_side = "township", "department"
        return_reason = returned.note
    load_levels(ctx.session)  # the published holiday schedule, for the working-time limit
    due = dispute_due(ctx.now)
    row = Dispute(
        id=entity_id, township_code=incident.township_code, incident_id=incident.id, department_code=department,
        matter_code=incident.matter_code, opened_by_side=side, opened_by=ctx.actor.name, opened_at=ctx.occurred_at,
        return_side=return_side, return_reason=return_reason,
        proposed_matter_code=data.get("proposed_matter_code"), proposed_department_code=data.get("proposed_department_code"),
        counter_proposal=data.get("counter_proposal") or "", contest_reason=reason, due_at=due, state="open",
        created_at=ctx.now, updated_at=ctx.now,
    )
    ctx.add(row)
    touch(ctx, incident)
    add_timeline(ctx, incident, "dispute_open",
                 note=f"{SIDE_WORDS[side]}不同意{SIDE_WORDS[return_side]}的退回，提请县级仲裁：{reason}"
                      f"（{fmt_local(due)} 前裁定）",
                 data={"dispute_id": row.id, "side": side, "department_code": department, "due": due.isoformat()})


@mutation("dispute.decide", "dispute")
def decide(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """县级仲裁: ``{handler: department|township, department_code? (default: the dispute's), reason}``."""
    handler = v.choice(args, "handler", ["department", "township"]) or "department"
    reason = v.text(args, "reason", max_len=2000)
    dispute = ctx.get(Dispute, entity_id)
    if dispute.state not in DISPUTE_OPEN_STATES:
        ctx.mark_merged(f"该争议已由{dispute.decided_by}于 {fmt_local(dispute.decided_at)} 裁定，无需重复")
        return
    code = None
    if handler == "department":
        code = v.text(args, "department_code", required=False, max_len=32) or dispute.department_code
        if ctx.session.get(Department, code) is None:
            raise ValidationError("department_code", f"没有代码为“{code}”的县级部门")
    incident = ctx.get(Incident, dispute.incident_id)
    returner_is_department = dispute.return_side == "department"
    dispute.upheld = (handler != "department" or code != dispute.department_code) if returner_is_department \
        else (handler == "department" and code == dispute.department_code)
    dispute.state = "decided"
    dispute.handler_kind = handler
    dispute.handler_department_code = code
    dispute.decision_reason = reason
    dispute.decided_by = ctx.actor.name
    dispute.decided_at = ctx.occurred_at
    dispute.updated_at = ctx.now
    who = _dept_name(ctx, code) if code else "乡镇（属地）"
    add_timeline(ctx, incident, "dispute_decide", note=f"县级仲裁：由{who}办理。理由：{reason}",
                 data={"dispute_id": dispute.id, "handler": handler, "department_code": code,
                       "upheld": dispute.upheld})
    _route(ctx, incident, handler, code, reason)


def _route(ctx: MutationContext, incident: Incident, handler: str, code: str | None, reason: str) -> None:
    """Make the incident follow the decision: dispatch to the department, or back to the township room."""
    touch(ctx, incident)
    incident.routing_override_reason = f"县级仲裁：{reason}"
    if handler == "department":
        assert code is not None
        incident.lead_department_code = code
        if incident.state == S.CLOSED or (incident.assignee_kind == DispatchTarget.DEPARTMENT
                                          and incident.assignee_code == code and incident.state != S.RETURNED):
            return  # closed meanwhile, or already with that department
        dispatch(ctx, incident.id, {"target_kind": DispatchTarget.DEPARTMENT.value, "target_code": code,
                                    "dispatch_id": ctx.new_id(), "note": f"县级仲裁裁定由该部门办理：{reason}"})
        return
    incident.lead_department_code = None
    if incident.state in (S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS):
        before = incident.state
        if transition(ctx, incident, "return", {}) is not None:
            cancelled = wind_up_dispatches(ctx, incident, cancel_all=True)
            incident.assignee_kind = incident.assignee_code = None
            add_timeline(ctx, incident, "return", from_state=before, to_state=incident.state,
                         note="县级仲裁裁定由乡镇属地办理，撤回部门派单", data={"cancelled_dispatches": cancelled,
                                                                "by_arbitration": True})
    refresh_search_text(ctx, incident)


@mutation("dispute.escalate", "dispute")
def escalate(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """An undecided dispute past its limit is escalated (county server's scheduler, once)."""
    if not is_system(ctx.actor):
        raise Forbidden("仲裁超时升级由县服务器自动发出")
    dispute = ctx.get(Dispute, entity_id)
    if dispute.state != "open":
        ctx.mark_merged("该争议已升级或已裁定，无需再次升级")
        return
    if not dispute_is_overdue(dispute.state, dispute.due_at, ctx.now):
        raise ValidationError("due_at", f"仲裁时限 {fmt_local(dispute.due_at)} 未到，不能升级")
    dispute.state = "escalated"
    dispute.escalated_at = ctx.now
    dispute.updated_at = ctx.now
    incident = ctx.session.get(Incident, dispute.incident_id)
    if incident is not None:
        touch(ctx, incident)
        add_timeline(ctx, incident, "dispute_escalate",
                     note=f"县级仲裁超过时限（{fmt_local(dispute.due_at)}）仍未裁定，已升级督办",
                     data={"dispute_id": dispute.id, "due": dispute.due_at.isoformat()})
