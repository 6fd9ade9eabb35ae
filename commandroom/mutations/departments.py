"""A county department's own acts on an incident (条抓块统): its 退回 with a counter-proposal.

Minimal until the department workspace lands (issue 15, engineer "dept"): ``incident.return_by_department``
is the department liaison's return of a matter it was given, naming which list matter and/or which
department should handle it. The township may contest it (``dispute.open``), and the county decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import Department, Incident, Matter
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.mutations.incidents import (
    add_timeline,
    refresh_search_text,
    stamped,
    transition,
    wind_up_dispatches,
)
from commandroom.permissions import is_system


def acting_department(ctx: MutationContext, incident: Incident) -> str:
    """The department this actor answers for on ``incident`` (its own; the system: the assignee)."""
    if is_system(ctx.actor):
        code = incident.assignee_code if incident.assignee_kind == "department" else incident.lead_department_code
        if not code:
            raise ValidationError("incident_id", "该事件没有派给县级部门")
        return code
    if not ctx.actor.department_code:
        raise Forbidden("只有县级部门联络员可以以部门名义退回")
    return ctx.actor.department_code


def _proposals(ctx: MutationContext, args: dict[str, Any]) -> tuple[str | None, str | None, str]:
    matter = v.text(args, "proposed_matter_code", required=False, max_len=32) or None
    dept = v.text(args, "proposed_department_code", required=False, max_len=32) or None
    words = []
    if matter is not None:
        row = ctx.session.scalars(select(Matter).where(Matter.code == matter).limit(1)).first()
        if row is None:
            raise ValidationError("proposed_matter_code", f"清单中没有事项“{matter}”")
        words.append(f"清单事项：{row.name}")
    if dept is not None:
        row = ctx.session.get(Department, dept)
        if row is None:
            raise ValidationError("proposed_department_code", f"没有代码为“{dept}”的县级部门")
        words.append(f"建议由{row.name}办理")
    if matter is None and dept is None:
        raise ValidationError("proposed_department_code", "退回须提出改派建议：应由哪个清单事项或哪个部门办理")
    return matter, dept, "；".join(words)


@mutation("incident.return_by_department", "incident")
@stamped
def return_by_department(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """部门退回: ``{reason, proposed_matter_code?, proposed_department_code?}`` (at least one proposal)."""
    reason = v.text(args, "reason", max_len=2000)
    matter, dept, words = _proposals(ctx, args)
    incident = ctx.get(Incident, entity_id)
    department = acting_department(ctx, incident)
    before = incident.state
    if transition(ctx, incident, "return", args) is None:
        return
    incident.return_reason = reason
    incident.counter_proposal = words
    incident.return_count = (incident.return_count or 0) + 1
    cancelled = wind_up_dispatches(ctx, incident, cancel_all=True)
    add_timeline(ctx, incident, "return", from_state=before, to_state=incident.state, note=reason,
                 data={"counter_proposal": words, "cancelled_dispatches": cancelled, "department_code": department,
                       "proposed_matter_code": matter, "proposed_department_code": dept})
    refresh_search_text(ctx, incident)
