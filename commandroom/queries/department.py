"""The department seat's work list: what a county department has to do, in every township, with its clock.

One row per thing the department must act on (the department workspace's table and its counts):

* ``incident`` — an incident where it is the lead (by the list) or the assignee or a collaborator
  (a dispatch to it); its clock is the incident's most urgent running clock
  (:func:`commandroom.domain.clocks.running_clocks`);
* ``summons`` — a 吹哨 waiting for its 报到 (the check-in's due time, :func:`clocks.checkin_is_open`);
* ``case_checkin`` — a one-thing case waiting for its 报到;
* ``case_step`` — the next open step of a one-thing case it leads (领办部门 drives the steps), timed by the
  case's limit.

Which rows are the department's is :mod:`commandroom.queries.scope` (the same rule the sync uses); on a
liaison's desk the store holds nothing else anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from commandroom.domain import clocks
from commandroom.domain.models import (
    CaseCheckin,
    CaseStep,
    Department,
    Dispatch,
    Incident,
    Matter,
    MatterListVersion,
    OneThingCase,
    OneThingType,
    TaskCard,
    Township,
)
from commandroom.queries.scope import incident_departments
from commandroom.store.protocol import ReadStore

KIND_ORDER = {"summons": 0, "case_checkin": 1, "incident": 2, "case_step": 3}


@dataclass(frozen=True)
class WorkItem:
    """One thing the department has to act on."""

    id: str  # "<kind>:<row id>[:<position>]", unique in the list
    kind: str  # incident / summons / case_checkin / case_step
    entity_id: str  # the row the acts name (incident, check-in or case)
    incident_id: str | None
    case_id: str | None
    township_code: str
    township_name: str
    number: str
    title: str
    relation: str  # lead / assignee / collaborator / summoned / case_lead / case_collaborator
    state: str  # the incident's state, the check-in's state, the step name
    clock: str  # ack / onsite / close / checkin / step ("" when no clock runs)
    due: datetime | None
    overdue: bool
    dispatch_id: str | None  # the department's own dispatch on the incident, if any
    dispatch_state: str | None
    step_position: int | None
    lat: float | None
    lon: float | None



def townships(store: ReadStore) -> list[tuple[str, str]]:
    """Every township as ``(code, name)``, in code order: the department page's township filter."""
    with store.read() as session:
        return [(c, n) for c, n in session.execute(select(Township.code, Township.name).order_by(Township.code))]


def proposal_choices(store: ReadStore, own: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What a 退回's counter-proposal may name: the list matters in force and the other departments."""
    with store.read() as session:
        version = session.scalars(select(MatterListVersion).order_by(MatterListVersion.version.desc())).first()
        mq = select(Matter.id, Matter.code, Matter.name).order_by(Matter.code)
        if version is not None:
            mq = mq.where(Matter.version_id == version.id)
        matters = [(mid, f"{code} {name}") for mid, code, name in session.execute(mq)]
        depts = [(code, name) for code, name in session.execute(
            select(Department.code, Department.name).where(Department.code != own).order_by(Department.code))]
    return matters, depts

def department_name(store: ReadStore, code: str | None) -> str:
    if not code:
        return ""
    with store.read() as session:
        dept = session.get(Department, code)
        return dept.name if dept is not None else code


def work_items(store: ReadStore, department: str, now: datetime, *,
               townships: Sequence[str] | None = None, include_done: bool = False) -> list[WorkItem]:
    """The department's open work (``include_done``: closed incidents and past check-ins too), most urgent first."""
    with store.read() as session:
        names = dict(session.execute(select(Township.code, Township.name)).all())
        out: list[WorkItem] = []
        towns = list(townships) if townships is not None else None

        def keep(code: str) -> bool:
            return towns is None or code in towns

        # incidents
        dept_of = incident_departments(session, session.scalars(
            select(Incident.id).where(Incident.deleted.is_(False))).all())
        ids = [i for i, d in dept_of.items() if department in d]
        own_dispatch: dict[str, Dispatch] = {}
        for chunk in _chunks(ids):
            for d in session.scalars(select(Dispatch).where(Dispatch.incident_id.in_(chunk),
                                                            Dispatch.target_kind == "department",
                                                            Dispatch.target_code == department,
                                                            Dispatch.deleted.is_(False))
                                     .order_by(Dispatch.assigned_at)):
                own_dispatch[d.incident_id] = d  # the latest
            for inc in session.scalars(select(Incident).where(Incident.id.in_(chunk))):
                if not keep(inc.township_code):
                    continue
                # returned: the matter waits for the township or the county's decision, not for the department
                is_open = inc.state in clocks.OPEN_STATES and inc.state != "returned"
                if not is_open and not include_done:
                    continue
                running = clocks.running_clocks(inc.state, inc.acknowledged_at, inc.onsite_at, inc.ack_due,
                                                inc.onsite_due, inc.close_due)
                clock, due = min(running, key=lambda c: c[1]) if running else ("", None)
                d = own_dispatch.get(inc.id)
                if d is not None and d.state == "cancelled":
                    d = None
                if inc.assignee_kind == "department" and inc.assignee_code == department:
                    relation = "assignee"
                elif d is not None:
                    relation = "collaborator"
                elif inc.lead_department_code == department:
                    relation = "lead"
                else:
                    continue  # only summoned or on a case: its 报到 row below is the work
                out.append(WorkItem(
                    id=f"incident:{inc.id}", kind="incident", entity_id=inc.id, incident_id=inc.id, case_id=None,
                    township_code=inc.township_code, township_name=names.get(inc.township_code, ""),
                    number=inc.number or "", title=inc.title, relation=relation, state=inc.state, clock=clock,
                    due=due, overdue=due is not None and now > due, dispatch_id=d.id if d else None,
                    dispatch_state=d.state if d else None, step_position=None, lat=inc.lat, lon=inc.lon))
        # summonses and case check-ins addressed to it
        incidents = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(ids)))} if ids else {}
        q = select(CaseCheckin).where(CaseCheckin.deleted.is_(False), CaseCheckin.target_kind == "department",
                                      CaseCheckin.target_code == department)
        checkins = list(session.scalars(q))
        cases = {c.id: c for c in session.scalars(select(OneThingCase).where(OneThingCase.deleted.is_(False)))}
        cards = {c.id: c for c in session.scalars(select(TaskCard).where(
            TaskCard.id.in_([c.card_id for c in checkins if c.card_id] or ["-"])))}
        for chk in checkins:
            if not keep(chk.township_code):
                continue
            is_open = clocks.checkin_is_open(chk.checked_in_at, chk.state)
            if not is_open and not include_done:
                continue
            inc = incidents.get(chk.incident_id or "") or (session.get(Incident, chk.incident_id)
                                                          if chk.incident_id else None)
            case = cases.get(chk.case_id or "")
            card = cards.get(chk.card_id or "")
            title = (case.title if case else None) or (inc.title if inc else None) or (card.title if card else "")
            number = (case.number if case else None) or (inc.number if inc else None) or ""
            kind = "case_checkin" if case is not None else "summons"
            relation = ("case_lead" if case is not None and case.lead_department_code == department
                        else "case_collaborator" if case is not None else "summoned")
            out.append(WorkItem(
                id=f"{kind}:{chk.id}", kind=kind, entity_id=case.id if case is not None else chk.id,
                incident_id=chk.incident_id, case_id=chk.case_id, township_code=chk.township_code,
                township_name=names.get(chk.township_code, ""), number=number or "", title=title or "",
                relation=relation, state=chk.state, clock="checkin" if is_open else "", due=chk.due_at,
                overdue=clocks.checkin_is_overdue(chk.checked_in_at, chk.state, chk.due_at, now),
                dispatch_id=None, dispatch_state=None, step_position=None,
                lat=inc.lat if inc else None, lon=inc.lon if inc else None))
        # the next open step of each case it leads
        types = {t.code: t for t in session.scalars(select(OneThingType))}
        for case in cases.values():
            if case.lead_department_code != department or not keep(case.township_code):
                continue
            if case.state == "completed":
                continue
            steps = list(session.scalars(select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.done.is_(False),
                                                                CaseStep.deleted.is_(False))
                                         .order_by(CaseStep.position).limit(1)))
            if not steps:
                continue
            step = steps[0]
            inc = session.get(Incident, case.incident_id) if case.incident_id else None
            t = types.get(case.type_code)
            out.append(WorkItem(
                id=f"case_step:{case.id}:{step.position}", kind="case_step", entity_id=case.id,
                incident_id=case.incident_id, case_id=case.id, township_code=case.township_code,
                township_name=names.get(case.township_code, ""), number=case.number or "",
                title=f"{case.title}（{t.name if t else case.type_code}）" if t and t.name not in case.title
                else case.title, relation="case_lead", state=step.name, clock="step", due=case.due_at,
                overdue=now > case.due_at, dispatch_id=None, dispatch_state=None, step_position=step.position,
                lat=inc.lat if inc else None, lon=inc.lon if inc else None))
    far = datetime.max
    out.sort(key=lambda w: (not w.overdue, w.due or far, KIND_ORDER[w.kind], w.number, w.id))
    return out


def counts(items: Sequence[WorkItem]) -> dict[str, int]:
    """The workspace's header figures: open items, overdue ones, summonses waiting for 报到."""
    return {"open": len(items), "overdue": sum(1 for w in items if w.overdue),
            "checkin": sum(1 for w in items if w.clock == "checkin")}


def _chunks(ids: list[str], n: int = 500) -> list[list[str]]:
    return [ids[i:i + n] for i in range(0, len(ids), n)]


@dataclass(frozen=True)
class DepartmentNotice:
    """A timeline entry the department's seat announces: a new assignment, summons, case or escalation."""

    entry_id: str
    incident_id: str
    kind: str  # dispatch / summon / case_open / escalate
    township_name: str
    number: str
    title: str


_NOTICE_ACTIONS = {"dispatch": "dispatch", "summon": "summon", "case_open": "case_open", "escalate": "escalate",
                   "checkin_escalate": "escalate", "remind": "escalate", "case_escalate": "escalate"}


def _still_waiting(session: Any, department: str, kind: str, inc: Incident, data: dict[str, Any]) -> bool:
    """Does the work this entry announced still wait for the department?"""
    if inc.state not in clocks.OPEN_STATES or inc.state == "returned":
        return False
    if kind == "dispatch":
        d = session.get(Dispatch, data.get("dispatch_id") or "")
        return d is None or d.state == "assigned"
    if kind == "summon":
        return any(clocks.checkin_is_open(c.checked_in_at, c.state) for c in session.scalars(select(CaseCheckin).where(
            CaseCheckin.incident_id == inc.id, CaseCheckin.target_kind == "department",
            CaseCheckin.target_code == department)))
    if kind == "case_open":
        case = session.get(OneThingCase, data.get("case_id") or "")
        return case is None or case.state != "completed"
    return True


def department_notices(store: ReadStore, department: str, entry_ids: Sequence[str]) -> list[DepartmentNotice]:
    """Of these timeline entries, the ones that put new work or pressure on ``department``."""
    from commandroom.domain.models import TimelineEntry

    if not entry_ids:
        return []
    out: list[DepartmentNotice] = []
    with store.read() as session:
        entries = list(session.scalars(select(TimelineEntry).where(
            TimelineEntry.id.in_(list(entry_ids)), TimelineEntry.action.in_(list(_NOTICE_ACTIONS)))))
        if not entries:
            return []
        names = dict(session.execute(select(Township.code, Township.name)).all())
        mine = incident_departments(session, [e.incident_id for e in entries])
        for e in entries:
            data = e.data or {}
            kind = _NOTICE_ACTIONS[e.action]
            if kind == "dispatch":
                hit = data.get("target_kind") == "department" and data.get("target_code") == department
            elif kind == "summon":
                hit = any(t.get("kind") == "department" and t.get("code") == department
                          for t in data.get("targets") or [] if isinstance(t, dict))
            else:
                hit = department in mine.get(e.incident_id, set())
            if not hit:
                continue
            inc = session.get(Incident, e.incident_id)
            if inc is None or not _still_waiting(session, department, kind, inc, data):
                continue  # e.g. the first download of a desk brings old, finished assignments: not news
            out.append(DepartmentNotice(entry_id=e.id, incident_id=inc.id, kind=kind,
                                        township_name=names.get(inc.township_code, ""), number=inc.number or "",
                                        title=inc.title))
    return out
