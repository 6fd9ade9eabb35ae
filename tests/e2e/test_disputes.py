"""Disputes (推诿) to the county, proxy entries and the two-way assessment, end to end over HTTP.

A township desk (球川 duty officer), a department desk (the enforcement bureau's liaison) and the county
coordinator's desk, each with its own local store and sync, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import AuditEntry, Dispute, JobRun, Notice, NoticeChannel, NoticeRule
from commandroom.queries.disputes import arbitration_queue
from commandroom.queries.two_way import department_figures, township_figures
from commandroom.server.scheduler import JOBS, Scheduler
from commandroom.server.users import create_user
from commandroom.services.assessment import record_id
from commandroom.timeutil import utcnow
from tests.e2e.conftest import PASSWORD, QC, new_id

pytestmark = [pytest.mark.asyncio, pytest.mark.working_time]
TUESDAY = "2026-12-08T10:00:00+08:00"  # a working Tuesday morning
MONTH = "2026-12"


def _liaison(county, username: str = "enf", department: str = "enforcement") -> None:
    with county.server.state.transaction() as s:
        create_user(s, username=username, display_name="执法局联络员", role="department_liaison",
                    department=department, password=PASSWORD)


async def _dispatched_incident(county, room, text: str = "球川镇镇区主干道机动车违停，堵塞交通") -> str:
    report = await county.report(text)
    assert await room.sync()
    incident = new_id()
    room.perform("report.accept", report, {"incident_id": incident})
    room.perform("incident.dispatch", incident, {"target_kind": "department", "target_code": "enforcement",
                                                 "dispatch_id": new_id(), "note": "请执法局处置"})
    assert await room.sync()
    return incident


def _actions(ws, incident: str) -> list[tuple[str, str]]:
    return [(e["action"], e["actor_name"]) for e in sorted(ws.timeline(incident), key=lambda e: (e["at"], e["id"]))]


@pytest.mark.at(TUESDAY)
async def test_a_contested_return_goes_to_the_county_whose_decision_routes_the_incident(county):
    _liaison(county)
    room = await county.workstation("球川-值班", "qc1")
    dept = await county.workstation("执法局", "enf")
    coordinator = await county.workstation("县社会治理中心", "cc")
    incident = await _dispatched_incident(county, room)

    # the department signs from its own seat, then returns the matter, proposing the market bureau
    assert await dept.sync()
    dept.perform("incident.acknowledge", incident, {})
    dept.perform("incident.return_by_department", incident, {"reason": "违停属交警职责，非本局清单事项",
                                                             "proposed_department_code": "market"})
    assert await dept.sync()
    assert dept.get("incident", incident)["state"] == "returned"

    # the township contests it: it lands in the county's queue with a working-time limit
    assert await room.sync()
    dispute = new_id()
    room.perform("dispute.open", dispute, {"incident_id": incident, "reason": "清单第 CE-02 项明确由综合执法局牵头"})
    assert await room.sync()
    assert await coordinator.sync()
    queue = arbitration_queue(coordinator.store, utcnow())
    assert [q.id for q in queue] == [dispute]
    row = queue[0]
    assert row.department_name == "县综合行政执法局" and row.township_name == "球川镇"
    assert row.department_reason == "违停属交警职责，非本局清单事项"
    assert row.township_reason == "清单第 CE-02 项明确由综合执法局牵头"
    assert "县市场监督管理局" in row.counter_proposal
    assert 0 < row.minutes_left <= 2 * 420 and not row.overdue  # two working days

    # a duty officer may not decide; the county coordinator does, with a reason
    with pytest.raises(Forbidden, match="无权县级仲裁裁定"):
        room.perform("dispute.decide", dispute, {"handler": "township", "reason": "自己定"})
    coordinator.perform("dispute.decide", dispute, {"handler": "department", "department_code": "enforcement",
                                                    "reason": "城区违停属综合执法局清单事项 CE-02"})
    assert await coordinator.sync()

    # both sides see the decision: the incident is dispatched to the enforcement bureau again, on the timeline
    for ws in (room, dept):
        assert await ws.sync()
        inc = ws.get("incident", incident)
        assert (inc["state"], inc["assignee_code"], inc["lead_department_code"]) == \
            ("dispatched", "enforcement", "enforcement")
        seen = ws.get("dispute", dispute)
        assert seen["state"] == "decided" and seen["upheld"] is False and seen["decided_by"] == "县协调"
        actions = _actions(ws, incident)
        assert ("dispute_open", "球川值班甲") in actions and ("dispute_decide", "县协调") in actions
        assert ("dispatch", "县协调") in actions  # the decision dispatched it, in the coordinator's name
    assert arbitration_queue(room.store, utcnow()) == []
    with county.server.state.read() as s:
        audited = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == dispute)).all()
    assert "dispute.open" in audited and "dispute.decide" in audited

    # the department's return was overturned; its own 签收 counts as its own act, on time
    figures = {f.code: f for f in department_figures(room.store, MONTH, utcnow(), township_code=QC)}
    enf = figures["enforcement"]
    assert (enf.returns_overturned, enf.returns_upheld) == (1, 0)
    assert (enf.ack.own_on_time, enf.ack.proxy) == (1, 0)


@pytest.mark.at(TUESDAY)
async def test_an_undecided_dispute_past_its_limit_is_escalated_once_by_the_system(county):
    _liaison(county)
    room = await county.workstation("球川-值班", "qc1")
    dept = await county.workstation("执法局", "enf")
    incident = await _dispatched_incident(county, room)
    assert await dept.sync()
    dept.perform("incident.return_by_department", incident, {"reason": "不属本局职责",
                                                             "proposed_department_code": "traffic_police"})
    assert await dept.sync()
    assert await room.sync()
    dispute = new_id()
    room.perform("dispute.open", dispute, {"incident_id": incident, "reason": "清单明确由执法局牵头"})
    assert await room.sync()
    with county.server.state.transaction() as s:
        robot = NoticeChannel(name="县仲裁群", kind="robot", config={"url": "http://127.0.0.1:1/robot"})
        s.add(robot)
        s.flush()
        s.add(NoticeRule(event_kind="escalation", channel_id=robot.id))
        due = s.get(Dispute, dispute).due_at
    # opened Tuesday 10:00: two working days later is Thursday 10:00 Beijing (02:00 UTC)
    assert due.replace(second=0, microsecond=0).isoformat() == "2026-12-10T02:00:00"  # (the clock ticks)

    job = tuple(j for j in JOBS if j.name == "escalate_disputes")
    moment = [due - timedelta(minutes=1)]
    scheduler = Scheduler(county.server.state, now=lambda: moment[0], jobs=job)
    scheduler.tick()
    with county.server.state.read() as s:
        assert s.get(Dispute, dispute).state == "open"  # not yet past the limit
    moment[0] = due + timedelta(minutes=6)
    runs = scheduler.tick()
    assert [r.acts for r in runs] == [1] and not runs[0].error
    moment[0] = due + timedelta(minutes=30)
    assert [r.acts for r in scheduler.tick()] == [0]  # later slots find nothing left to do
    with county.server.state.read() as s:
        row = s.get(Dispute, dispute)
        assert row.state == "escalated" and row.escalated_at == due + timedelta(minutes=6)
        assert s.scalars(select(JobRun.acts).where(JobRun.job == "escalate_disputes")
                          .order_by(JobRun.slot_at)).all() == [0, 1, 0]
        notices = s.scalars(select(Notice).where(Notice.subject_id == dispute)).all()
    assert [(n.event_kind, n.channel_kind) for n in notices] == [("escalation", "robot")]
    assert "超时未裁定" in notices[0].title

    assert await room.sync()
    escalations = [e for e in room.timeline(incident) if e["action"] == "dispute_escalate"]
    assert len(escalations) == 1 and escalations[0]["actor_name"] == "系统"
    assert arbitration_queue(room.store, due + timedelta(minutes=6))[0].state_label == "超时已升级"


@pytest.mark.at(TUESDAY)
async def test_proxy_entries_are_shown_as_such_and_counted_apart_from_the_departments_own_acts(county):
    _liaison(county)
    room = await county.workstation("球川-值班", "qc1")
    dept = await county.workstation("执法局", "enf")
    phoned = await _dispatched_incident(county, room)
    own = await _dispatched_incident(county, room, "球川镇车站路占道经营")

    # the department phones in its 签收 of one; the room records it as a proxy entry, with a reason
    room.perform("incident.acknowledge", phoned, {})  # a plain 签收 by the room does not sign for the department
    assert room.rows("dispatch", incident_id=phoned)[0]["state"] == "assigned"
    room.perform("incident.proxy_acknowledge", phoned, {"proxy_reason": "执法局李科长电话告知已签收"})
    summons = new_id()
    room.perform("summon", summons, {"incident_id": own, "targets": [{"kind": "department", "code": "enforcement"}],
                                     "hours": 4})
    assert await room.sync()
    # the department signs the other itself; the 报到 is phoned in too
    assert await dept.sync()
    dept.perform("incident.acknowledge", own, {})
    assert await dept.sync()
    assert await room.sync()
    checkin = room.rows("case_checkin", incident_id=own)[0]["id"]
    room.perform("checkin.proxy", checkin, {"proxy_reason": "执法局电话报到，人员已在现场"})
    # each side rates the other for the month from its own seat
    room.perform("assessment.rate_counterpart", record_id(QC, MONTH, "enforcement", "rate_department"),
                 {"month": MONTH, "department_code": "enforcement", "points": 85, "note": "响应较快"})
    dept.perform("assessment.rate_counterpart", record_id(QC, MONTH, "enforcement", "rate_township"),
                 {"month": MONTH, "township_code": QC, "points": 90, "note": "核查认真"})
    assert await room.sync()
    assert await dept.sync()
    assert await room.sync()

    proxy = [e for e in room.timeline(phoned) if (e["data"] or {}).get("proxy")]
    assert len(proxy) == 1 and proxy[0]["actor_name"] == "球川值班甲"
    assert proxy[0]["data"]["proxy"] == {"by": "球川值班甲", "reason": "执法局李科长电话告知已签收",
                                         "for": ["enforcement"]}
    assert "代录" in proxy[0]["note"]
    enf = {f.code: f for f in department_figures(room.store, MONTH, utcnow())}["enforcement"]
    assert (enf.ack.own_on_time, enf.ack.own_late, enf.ack.proxy, enf.ack.not_done) == (1, 0, 1, 0)
    assert (enf.checkin.own_on_time, enf.checkin.proxy) == (0, 1)
    assert enf.ack.on_time_rate == 0.5  # the proxy entry is not the department's own on-time act
    assert enf.rating == 85.0
    qc = {f.code: f for f in township_figures(dept.store, MONTH)}[QC]
    assert qc.proxy_entries == 2 and qc.rating == 90.0


@pytest.mark.at(TUESDAY)
async def test_a_department_rates_townships_only_and_never_decides(county):
    _liaison(county)
    dept = await county.workstation("执法局", "enf")
    with pytest.raises(ValidationError, match="entity_id"):  # the id of the township's rating of it
        dept.perform("assessment.rate_counterpart", record_id(QC, MONTH, "enforcement", "rate_department"),
                     {"month": MONTH, "township_code": QC, "points": 100})
    with pytest.raises(Forbidden, match="县社会治理中心"):
        dept.perform("dispute.decide", new_id(), {"handler": "township", "reason": "x"})
