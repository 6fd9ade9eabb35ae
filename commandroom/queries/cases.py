"""Reads behind the one-thing case screen (一件事). Qt-free core code.

* :func:`catalogue` — the 17 entries of the one-thing catalogue, the six the article names first;
* :func:`case_list` — the cases in scope (open ones by deadline, then completed ones);
* :func:`case_detail` — one case: :func:`commandroom.services.cases.case_progress` (steps in
  order, check-ins, the clock, the before/after of the reform) plus names for the screen and the
  case's attachments (材料).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from commandroom.domain.models import Department, Incident, OneThingCase, OneThingType, Township
from commandroom.services import cases as case_svc
from commandroom.store.protocol import ReadStore


@dataclass(frozen=True)
class CatalogueRow:
    id: str  # the type code
    name: str
    named_in_seed: bool  # one of the six the article names
    lead_code: str
    lead_name: str
    collaborators: tuple[str, ...]
    steps: tuple[str, ...]
    time_limit_days: int
    previous_steps: int | None
    previous_duration: str
    checkin_hours: int
    description: str
    open_cases: int
    completed_cases: int


def _step_names(steps: list[Any]) -> tuple[str, ...]:
    return tuple(s if isinstance(s, str) else str(s.get("name", "")) for s in steps or [])


def catalogue(store: ReadStore, township_codes: list[str] | None = None) -> list[CatalogueRow]:
    """The catalogue: the entries named in the article first, then the others, each by name."""
    with store.read() as session:
        names = {d.code: d.short_name for d in session.scalars(select(Department))}
        counts: dict[str, list[int]] = {}
        q = select(OneThingCase.type_code, OneThingCase.state).where(OneThingCase.deleted.is_(False))
        if township_codes is not None:
            q = q.where(OneThingCase.township_code.in_(township_codes))
        for code, state in session.execute(q):
            c = counts.setdefault(code, [0, 0])
            c[1 if state == "completed" else 0] += 1
        out = []
        for t in session.scalars(select(OneThingType)):
            c = counts.get(t.code, [0, 0])
            out.append(CatalogueRow(
                t.code, t.name, bool(t.named_in_seed), t.lead_department_code,
                names.get(t.lead_department_code, t.lead_department_code),
                tuple(names.get(x, x) for x in t.collaborating_department_codes or []), _step_names(t.steps),
                int(t.time_limit_days), t.previous_steps, t.previous_duration or "", int(t.checkin_hours or 24),
                t.description or "", c[0], c[1]))
    out.sort(key=lambda r: (not r.named_in_seed, r.name))
    return out


@dataclass(frozen=True)
class CaseRow:
    id: str
    number: str
    title: str
    type_code: str
    type_name: str
    township_code: str
    state: str
    lead_name: str
    ordered_at: datetime
    due_at: datetime
    completed_at: datetime | None
    steps_done: int
    steps_total: int
    escalation_level: str
    overdue: bool
    current_step: str = ""  # "2. 联合审批" while a step is being worked on
    step_due_at: datetime | None = None  # the current step's own deadline (None when it has no clock)
    step_escalation: str = "none"


def case_list(store: ReadStore, township_codes: list[str] | None, now: datetime, *, state: str = "open",
              type_code: str | None = None) -> list[CaseRow]:
    """Cases in scope: ``state`` open / done / all; open ones by deadline, completed ones newest first."""
    q = select(OneThingCase).where(OneThingCase.deleted.is_(False))
    if township_codes is not None:
        q = q.where(OneThingCase.township_code.in_(township_codes))
    if state == "open":
        q = q.where(OneThingCase.state != "completed")
    elif state == "done":
        q = q.where(OneThingCase.state == "completed")
    if type_code:
        q = q.where(OneThingCase.type_code == type_code)
    with store.read() as session:
        types = {t.code: t.name for t in session.scalars(select(OneThingType))}
        names = {d.code: d.short_name for d in session.scalars(select(Department))}
        out = []
        for c in session.scalars(q.limit(2000)):
            steps = case_svc.case_steps(session, c.id)
            done = c.state == "completed"
            end = c.completed_at if done and c.completed_at else now
            current = None if done else next((s for s in steps if not s.done), None)
            out.append(CaseRow(c.id, c.number or "", c.title, c.type_code, types.get(c.type_code, c.type_code),
                               c.township_code, c.state, names.get(c.lead_department_code, c.lead_department_code),
                               c.ordered_at, c.due_at, c.completed_at, sum(1 for s in steps if s.done), len(steps),
                               c.escalation_level or "none", end > c.due_at,
                               f"{current.position}. {current.name}" if current else "",
                               current.due_at if current else None,
                               (current.escalation_level or "none") if current else "none"))
    out.sort(key=lambda r: (r.state == "completed", r.due_at if r.state != "completed" else datetime.max,
                            -(r.completed_at.timestamp() if r.completed_at else 0), r.id))
    return out


@dataclass(frozen=True)
class Attachment:
    """One document or image attached to a case: its file name, type, size, who attached it and when."""

    sha256: str
    name: str
    mime: str
    size: int
    by: str
    at: datetime | None


def attachments_of(case: OneThingCase) -> tuple[Attachment, ...]:
    """The case's attachments in the order attached (entries that are not well formed are skipped)."""
    from commandroom.timeutil import parse_iso

    out = []
    for item in case.attachments or []:
        if not isinstance(item, dict) or not isinstance(item.get("sha256"), str):
            continue
        at = item.get("at")
        out.append(Attachment(item["sha256"], str(item.get("name") or "附件"), str(item.get("mime") or ""),
                              int(item.get("size") or 0), str(item.get("by") or ""),
                              parse_iso(at) if isinstance(at, str) else None))
    return tuple(out)


@dataclass(frozen=True)
class CaseDetail:
    """What the case pane shows."""

    progress: case_svc.CaseProgress
    township_name: str
    lead_name: str
    incident_id: str | None
    incident_label: str
    description: str
    note: str
    collaborators: tuple[str, ...]
    attachments: tuple[Attachment, ...] = ()


def case_detail(store: ReadStore, case_id: str, now: datetime) -> CaseDetail | None:
    with store.read() as session:
        case = session.get(OneThingCase, case_id)
        if case is None or case.deleted:
            return None
        progress = case_svc.case_progress(session, case, now)
        town = session.get(Township, case.township_code)
        lead = session.get(Department, case.lead_department_code)
        ctype = session.get(OneThingType, case.type_code)
        inc = session.get(Incident, case.incident_id) if case.incident_id else None
        collab = tuple(c.name for c in progress.checkins if c.role != "lead")
        return CaseDetail(progress, town.short_name if town else case.township_code,
                          lead.short_name if lead else case.lead_department_code, case.incident_id,
                          f"{inc.number or ''} {inc.title}".strip() if inc else "",
                          ctype.description if ctype else "", case.note or "", collab, attachments_of(case))
