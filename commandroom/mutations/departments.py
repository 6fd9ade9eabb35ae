"""A county department's own acts from its seat (条抓块统): the 退回 with a counter-proposal.

签收, 报到, progress notes and 办结 reuse the incident, dispatch and case mutations (the liaison's
name is on each timeline entry, as for anyone). The 退回 of a department is its own mutation because it
must leave a record a dispute can be built on: who returned what, why, and which list matter or
department it says should handle it instead (``data["dispute"]`` of the timeline entry, and the
incident's ``return_reason``/``counter_proposal`` for the screens that already show a return).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Department, Matter
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.mutations.incidents import (
    _load,
    add_timeline,
    refresh_search_text,
    stamped,
    transition,
    wind_up_dispatches,
)


def proposal_words(matter: Matter | None, department: Department | None) -> str:
    """The counter-proposal as the officer reads it: "应由县自然资源和规划局办理（事项：违法占地…）"."""
    parts = []
    if department is not None:
        parts.append(f"应由{department.name}办理")
    if matter is not None:
        parts.append(f"属清单事项“{matter.name}”（{matter.code}）")
    return "；".join(parts)


@mutation("incident.return_by_department", "incident")
@stamped
def return_by_department(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """退回 by the assigned department: ``{reason, proposed_matter_id?, proposed_department_code?}``.

    At least one of the proposals is required: a department that says "not ours" says whose it is.
    """
    reason = v.text(args, "reason", max_len=2000)
    matter_id = v.text(args, "proposed_matter_id", required=False, max_len=64) or None
    dept_code = v.text(args, "proposed_department_code", required=False, max_len=32) or None
    if not matter_id and not dept_code:
        raise ValidationError("proposed_department_code",
                              "请说明应由哪个清单事项或哪个部门办理（退回须附处理建议）")
    matter = None
    if matter_id:
        matter = ctx.session.get(Matter, matter_id) or ctx.session.scalars(
            select(Matter).where(Matter.code == matter_id)).first()
        if matter is None:
            raise ValidationError("proposed_matter_id", f"清单中没有事项“{matter_id}”")
    department = None
    if dept_code:
        department = ctx.session.get(Department, dept_code)
        if department is None:
            raise ValidationError("proposed_department_code", f"没有编码为“{dept_code}”的县级部门")
    own = getattr(ctx.actor, "department_code", None)
    if own and dept_code == own:
        raise ValidationError("proposed_department_code", "不能把事项退回后又建议由本部门办理")
    incident = _load(ctx, entity_id)
    before = incident.state
    if transition(ctx, incident, "return", args) is None:
        return
    counter = proposal_words(matter, department)
    incident.return_reason = reason
    incident.counter_proposal = counter
    incident.return_count = (incident.return_count or 0) + 1
    cancelled = wind_up_dispatches(ctx, incident, cancel_all=True)
    dispute = {
        "by_department_code": own or incident.assignee_code,
        "reason": reason,
        "proposed_matter_id": matter.id if matter is not None else None,
        "proposed_matter_code": matter.code if matter is not None else None,
        "proposed_department_code": department.code if department is not None else None,
        "matter_code": incident.matter_code,
        "lead_department_code": incident.lead_department_code,
    }
    add_timeline(ctx, incident, "return", from_state=before, to_state=incident.state, note=reason,
                 data={"counter_proposal": counter, "cancelled_dispatches": cancelled, "by_department": True,
                       "dispute": dispute,
                       # flat keys read by dispute.open (commandroom/mutations/disputes.py)
                       "department_code": dispute["by_department_code"],
                       "proposed_matter_code": dispute["proposed_matter_code"],
                       "proposed_department_code": dispute["proposed_department_code"]})
    refresh_search_text(ctx, incident)
