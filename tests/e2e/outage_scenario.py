"""The long outage of issue 20, as three duty desks of 球川 live it: shared by the end-to-end test
(a few hundred changes) and the benchmark (``tests/perf/bench_outage.py``, ~5,000).

Before the line goes down one desk accepts a handful of reports, so every desk holds the same
incidents. Offline, each desk then:

* adds notes on every shared incident (no conflict: notes are rows of their own);
* edits fields of shared incidents that other desks edit too — the **real crossings**: each desk edits
  such a field at most once, so a field edited by k desks crosses k − 1 times whatever the push order;
* edits one field of a shared incident again and again that nobody else edits (its own successive
  edits: no conflict);
* accepts reports as new incidents and takes each through its whole life — dispatch, acknowledge,
  on scene, start, submit, verify, reopen, edits, close (rows it created offline: no conflict);
* desks 2 and 3 accept the **same** report (one accept loses the race) and go on working on their own
  incident: notes follow the winner, a dispatch and its acknowledgement are refused naming the winner;
* desk 1 rejects a report that desk 3 accepts and notes (whichever arrives first wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from commandroom.ids import new_id

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
NUMBER_RE = re.compile(r"QC-\d{4}-\d{6}")


class Desk(Protocol):
    name: str

    def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> Any: ...

    def get(self, table: str, entity_id: str) -> dict[str, Any] | None: ...


@dataclass
class Plan:
    """What the offline work must come to once everything is back in sync."""

    crossings: int = 0  # conflict records the server must keep: real crossings between different people
    notes: dict[str, str] = field(default_factory=dict)  # note text → the incident it was written on
    race_incidents: tuple[str, str] = ("", "")  # desks 2 and 3 accepted the same report as these
    contested_incident: str = ""  # desk 3's accept of the report desk 1 rejects
    mutations: int = 0


def lifecycle(desk: Desk, incident_id: str, tag: str, plan: Plan, *, edits: int = 2) -> None:
    """A whole life on an incident the desk accepted offline (every step a queued mutation)."""
    d = new_id()
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("incident.dispatch", incident_id, {"target_kind": "team", "target_code": "QC", "dispatch_id": d,
                                            "note": f"{tag} 派遣"}),
        ("incident.acknowledge", incident_id, {"note": f"{tag} 签收"}),
        ("incident.arrive", incident_id, {"note": f"{tag} 到场"}),
        ("dispatch.on_scene", d, {}),
        ("incident.start", incident_id, {}),
    ]
    lead = (desk.get("incident", incident_id) or {}).get("lead_department_code")
    if lead:  # a second dispatch: closing then winds up two dispatch rows in one flush
        steps.append(("incident.dispatch", incident_id, {"target_kind": "department", "target_code": lead,
                                                         "dispatch_id": new_id(), "note": f"{tag} 请部门协助"}))
    steps += [("incident.update", incident_id, {"title": f"{tag} 标题第{i}版"}) for i in range(edits)]
    steps += [
        ("incident.submit", incident_id, {"note": f"{tag} 已处置"}),
        ("incident.verify", incident_id, {"passed": True, "note": f"{tag} 核查通过"}),
        ("incident.reopen", incident_id, {"reason": f"{tag} 群众反映未解决", "to": "in_progress"}),
        ("incident.update", incident_id, {"urgency": "L2"}),
        ("incident.close", incident_id, {"note": f"{tag} 已解决，办结"}),
    ]
    for name, eid, args in steps:
        desk.perform(name, eid, args)
        plan.mutations += 1


def offline_work(desks: list[Desk], shared: list[str], fresh: list[str], race_report: str, contested_report: str,
                 *, notes_per_incident: int = 2, own_edits: int = 5, own_incidents: int = 1,
                 lifecycle_edits: int = 2) -> Plan:
    """Queue the offline work described in the module docstring on three desks; the plan to check it by.

    ``shared``: incidents every desk holds (at least 4); ``fresh``: new reports, ``own_incidents`` per desk.
    """
    assert len(desks) == 3 and len(shared) >= 4 and len(fresh) >= 3 * own_incidents
    plan = Plan()
    one, two, three = desks

    def do(desk: Desk, name: str, eid: str, args: dict[str, Any]) -> None:
        desk.perform(name, eid, args)
        plan.mutations += 1

    def note(desk: Desk, incident_id: str, text: str) -> None:
        do(desk, "incident.note", incident_id, {"note": text})
        plan.notes[text] = incident_id

    # real crossings: each desk edits a contested field once, with its own value
    for i, inc in enumerate(shared[:4]):
        editors = (one, two, three) if i == 0 else (one, two)
        for desk in editors:
            do(desk, "incident.update", inc, {"title": f"{desk.name} 改标题 {i}"})
        plan.crossings += len(editors) - 1
    for desk in (two, three):
        do(desk, "incident.update", shared[0], {"address": f"{desk.name} 核实的地址"})
    plan.crossings += 1
    # a desk's own successive edits of a field nobody else edits: no conflict
    for k in range(own_edits):
        do(one, "incident.update", shared[-1],
           {"description": f"{one.name} 补充情况第{k}次"})
    # notes on every shared incident from every desk
    for desk in desks:
        for inc in shared:
            for k in range(notes_per_incident):
                note(desk, inc, f"{desk.name} 记录 {inc[-6:]} #{k}")
    # state work on shared incidents: one desk each, so no assignment field is contested
    owner = {inc: desks[i % 3] for i, inc in enumerate(shared[4:])}
    for inc, desk in owner.items():
        d = new_id()
        do(desk, "incident.dispatch", inc, {"target_kind": "team", "target_code": "QC", "dispatch_id": d})
        do(desk, "dispatch.acknowledge", d, {})
        do(desk, "dispatch.on_scene", d, {})
    # new incidents accepted offline, each through its whole life
    for n, desk in enumerate(desks):
        for j in range(own_incidents):
            report = fresh[n * own_incidents + j]
            inc = new_id()
            do(desk, "report.accept", report, {"incident_id": inc})
            lifecycle(desk, inc, f"{desk.name} 新事件{j}", plan, edits=lifecycle_edits)
            note(desk, inc, f"{desk.name} 新事件{j} 备注")
    # two desks accept the same report; each works on its own incident
    race = (new_id(), new_id())
    plan.race_incidents = race
    for desk, inc in zip((two, three), race, strict=True):
        do(desk, "report.accept", race_report, {"incident_id": inc})
        note(desk, inc, f"{desk.name} 抢先受理后的备注")
        d = new_id()
        do(desk, "incident.dispatch", inc, {"target_kind": "team", "target_code": "QC", "dispatch_id": d})
        do(desk, "dispatch.acknowledge", d, {})
    # desk 1 rejects a report desk 3 accepts and notes
    do(one, "report.reject", contested_report, {"reason": "重复上报，已在处置"})
    plan.contested_incident = new_id()
    do(three, "report.accept", contested_report, {"incident_id": plan.contested_incident})
    note(three, plan.contested_incident, f"{three.name} 受理后的备注")
    return plan
