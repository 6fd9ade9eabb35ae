"""The county's arbitration queue (推诿争议): each dispute with both sides' words and its time left.

Qt-free; the arbitration screen (ui/arbitration) shows these rows. Time left is working time, from the
one clock definition (:mod:`commandroom.domain.clocks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from commandroom.domain.clocks import DISPUTE_OPEN_STATES, dispute_is_overdue, working_minutes_left
from commandroom.domain.models import Department, Dispute, Incident, Matter, Township
from commandroom.services.deadlines import load_levels
from commandroom.store.protocol import ReadStore

STATE_LABELS = {"open": "待裁定", "escalated": "超时已升级", "decided": "已裁定"}
SIDE_LABELS = {"township": "乡镇", "department": "部门"}


@dataclass(frozen=True)
class DisputeRow:
    id: str
    incident_id: str
    incident_number: str
    incident_title: str
    township_code: str
    township_name: str
    department_code: str
    department_name: str
    matter_name: str
    opened_by_side: str
    opened_by: str
    opened_at: datetime
    return_side: str
    return_reason: str  # the side that returned: its reason
    contest_reason: str  # the side that contests: its reason
    counter_proposal: str  # which matter / department the returning side proposed
    proposed_department_code: str | None
    due_at: datetime
    state: str
    minutes_left: float  # working minutes; negative: past the limit by that much
    overdue: bool
    decision: str  # "" until decided: who handles it, and why
    decided_by: str

    @property
    def township_reason(self) -> str:
        return self.return_reason if self.return_side == "township" else self.contest_reason

    @property
    def department_reason(self) -> str:
        return self.return_reason if self.return_side == "department" else self.contest_reason

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


def time_left_words(minutes: float) -> str:
    """Working time left as the coordinator reads it: 剩余 1 个工作日 3 小时 / 已超时 2 小时."""
    m = abs(round(minutes))
    days, rest = divmod(m, 420)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} 个工作日"] if days else []) + ([f"{hours} 小时"] if hours else [])
    if not days and not hours:
        parts = [f"{mins} 分钟"]
    return ("已超时 " if minutes < 0 else "剩余 ") + " ".join(parts)


def arbitration_queue(store: ReadStore, now: datetime, *, include_decided: bool = False,
                      department_code: str | None = None, township_code: str | None = None) -> list[DisputeRow]:
    """Undecided disputes first, the nearest limit first (decided ones after, newest first, when asked)."""
    with store.read() as session:
        load_levels(session)  # the published holiday schedule, for the working-time left
        q = select(Dispute).where(Dispute.deleted.is_(False))
        if not include_decided:
            q = q.where(Dispute.state.in_(DISPUTE_OPEN_STATES))
        if department_code:
            q = q.where(Dispute.department_code == department_code)
        if township_code:
            q = q.where(Dispute.township_code == township_code)
        rows = list(session.scalars(q))
        depts = {d.code: d.name for d in session.scalars(select(Department))}
        towns = {t.code: t.name for t in session.scalars(select(Township))}
        incidents = {i.id: i for i in session.scalars(
            select(Incident).where(Incident.id.in_([r.incident_id for r in rows])))} if rows else {}
        matters = {m.code: m.name for m in session.scalars(select(Matter))}
        out = []
        for r in rows:
            inc = incidents.get(r.incident_id)
            decision = ""
            if r.decided_at is not None:
                who = "乡镇属地" if r.handler_kind == "township" else depts.get(r.handler_department_code or "", "县级部门")
                decision = f"由{who}办理：{r.decision_reason}"
            out.append(DisputeRow(
                id=r.id, incident_id=r.incident_id, incident_number=(inc.number or "") if inc else "",
                incident_title=inc.title if inc else "（本机无此事件）", township_code=r.township_code,
                township_name=towns.get(r.township_code, ""), department_code=r.department_code,
                department_name=depts.get(r.department_code, "县级部门"),
                matter_name=matters.get(r.matter_code or "", "") or ((inc.matter_name or "") if inc else ""),
                opened_by_side=r.opened_by_side, opened_by=r.opened_by, opened_at=r.opened_at,
                return_side=r.return_side, return_reason=r.return_reason, contest_reason=r.contest_reason,
                counter_proposal=r.counter_proposal, proposed_department_code=r.proposed_department_code,
                due_at=r.due_at, state=r.state,
                minutes_left=working_minutes_left(r.due_at, now) if r.state in DISPUTE_OPEN_STATES else 0.0,
                overdue=dispute_is_overdue(r.state, r.due_at, now), decision=decision, decided_by=r.decided_by))
    undecided = sorted((r for r in out if r.state in DISPUTE_OPEN_STATES), key=lambda r: (r.due_at, r.id))
    decided = sorted((r for r in out if r.state not in DISPUTE_OPEN_STATES), key=lambda r: r.id, reverse=True)
    return undecided + decided


def departments(store: ReadStore) -> list[tuple[str, str]]:
    """Every county department (code, name), for the decision's choice of handler."""
    with store.read() as session:
        return [(d.code, d.name) for d in session.scalars(select(Department).order_by(Department.code))]
