"""``reflist.propose_amendment``: repeated disputes on one list matter propose an amendment (清单调整建议).

When the disputes (推诿) opened on the same list matter in one quarter reach :data:`THRESHOLD`, the county
server's scheduler (系统) proposes a draft of the next list version for that matter: the matter as in force,
its lead department changed to the one the county's decisions named most (when that differs), and a reason
that says which disputes and what each decision said. One draft per matter per quarter (the id is stable).
The county coordinator edits it in the list editor and publishes it with ``reflist.publish_version``
(``amendment_id``), which marks it published.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import Department, Dispute, Incident, MatterListAmendment, Township
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.permissions import is_system
from commandroom.services import reflist as svc
from commandroom.services.teams import shanghai_date, stable_id
from commandroom.timeutil import local_to_utc

THRESHOLD = 3
"""Disputes on one matter in one quarter that make 系统 propose an amendment (the issue's example: three)."""


def quarter_of(day: date) -> str:
    """The quarter a Shanghai calendar day falls in, as ``2026Q4``."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """Naive-UTC start and end of a quarter (Shanghai calendar)."""
    try:
        year, q = int(quarter[:4]), int(quarter[5:])
        if quarter[4] != "Q" or not 1 <= q <= 4:
            raise ValueError(quarter)
    except (ValueError, IndexError):
        raise ValidationError("quarter", f"“{quarter}”不是季度（例如 2026Q4）") from None
    start = datetime(year, 3 * q - 2, 1)
    end = datetime(year + 1, 1, 1) if q == 4 else datetime(year, 3 * q + 1, 1)
    return local_to_utc(start), local_to_utc(end)


def amendment_id(matter_code: str, quarter: str) -> str:
    """One draft per matter per quarter: the id says which."""
    return stable_id("list-amendment", matter_code, quarter)


def disputes_in(session: Any, matter_code: str | None, quarter: str) -> list[Dispute]:
    """The disputes opened on a matter (or on every matter: ``None``) in a quarter, oldest first."""
    start, end = quarter_bounds(quarter)
    q = select(Dispute).where(Dispute.deleted.is_(False), Dispute.matter_code.is_not(None),
                              Dispute.opened_at >= start, Dispute.opened_at < end)
    if matter_code is not None:
        q = q.where(Dispute.matter_code == matter_code)
    return list(session.scalars(q.order_by(Dispute.opened_at, Dispute.id)))


def _names(session: Any, model: Any, codes: set[str]) -> dict[str, str]:
    return {r.code: r.name for r in session.scalars(select(model).where(model.code.in_(codes)))} if codes else {}


def _reason(session: Any, disputes: list[Dispute], matter_name: str, quarter: str) -> str:
    """Which disputes, and what each decision said, in the coordinator's words."""
    depts = _names(session, Department, {c for d in disputes for c in (d.department_code, d.handler_department_code,
                                                                       d.proposed_department_code) if c})
    towns = _names(session, Township, {d.township_code for d in disputes})
    numbers = {i.id: i.number for i in session.scalars(select(Incident).where(
        Incident.id.in_([d.incident_id for d in disputes])))}
    lines = [f"{quarter[:4]}年第{quarter[5]}季度“{matter_name}”发生推诿争议 {len(disputes)} 起："]
    for k, d in enumerate(disputes, 1):
        who = depts.get(d.department_code, "县级部门")
        returner = who if d.return_side == "department" else towns.get(d.township_code, "乡镇")
        line = (f"{k}. {towns.get(d.township_code, '乡镇')} 事件 {numbers.get(d.incident_id) or '（无编号）'}："
                f"{returner}退回（{d.return_reason or '未写理由'}）")
        if d.proposed_department_code:
            line += f"，建议改由{depts.get(d.proposed_department_code, '其他部门')}办理"
        if d.state == "decided":
            handler = depts.get(d.handler_department_code or "", "县级部门") if d.handler_kind == "department" \
                else "乡镇（属地）"
            line += f"；县级裁定由{handler}办理（{d.decision_reason}）"
        else:
            line += "；尚未裁定" if d.state == "open" else "；超时未裁定，已升级督办"
        lines.append(line + "。")
    return "\n".join(lines)


@mutation("reflist.propose_amendment", "matter_list_amendment", creates=True)
def propose_amendment(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """系统 proposes the amendment of one matter for one quarter: ``{matter_code, quarter}``."""
    if not is_system(ctx.actor):
        raise Forbidden("清单调整建议由县服务器在推诿争议达到次数时自动提出")
    code = v.text(args, "matter_code", max_len=32)
    quarter = v.text(args, "quarter", max_len=8)
    if entity_id != amendment_id(code, quarter):
        raise ValidationError("entity_id", "清单调整建议的编号须由事项和季度得出")
    if ctx.session.get(MatterListAmendment, entity_id) is not None:
        ctx.mark_merged(f"{quarter} 该事项的清单调整建议已提出")
        return
    disputes = disputes_in(ctx.session, code, quarter)
    if len(disputes) < THRESHOLD:
        raise ValidationError("matter_code", f"该事项本季度推诿争议 {len(disputes)} 起，未达 {THRESHOLD} 起，不提调整建议")
    version = svc.version_on(ctx.session, shanghai_date(ctx.now))
    current = next((m for m in svc.matters_of(ctx.session, version) if m.code == code), None) if version else None
    if current is None:
        raise ValidationError("matter_code", f"现行清单中没有事项“{code}”")
    proposed = svc.matter_dict(current)
    # the department the county's decisions named most, if that is not already the lead
    named = Counter(d.handler_department_code for d in disputes
                    if d.state == "decided" and d.handler_kind == "department" and d.handler_department_code)
    if named:
        top, _n = named.most_common(1)[0]
        if top != proposed["lead_department_code"]:
            proposed["lead_department_code"] = top
    ctx.add(MatterListAmendment(
        id=entity_id, matter_code=code, quarter=quarter,
        title=f"“{current.name}”本季度推诿 {len(disputes)} 起，建议调整清单",
        reason=_reason(ctx.session, disputes, current.name, quarter), dispute_ids=[d.id for d in disputes],
        matter=proposed, state="draft", created_at=ctx.now, created_by=ctx.actor.user_id))
