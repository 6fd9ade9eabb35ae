"""Repeated disputes (推诿) on one list matter make the county server propose a list amendment, which the county
coordinator publishes as the next version — end to end over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commandroom.domain.models import MatterListAmendment, MatterListVersion
from commandroom.queries.reflist import amendment_draft, amendments
from commandroom.server.scheduler import JOBS, Scheduler
from commandroom.services.teams import shanghai_date
from commandroom.timeutil import utcnow
from tests.e2e.conftest import new_id
from tests.e2e.test_disputes import TUESDAY, _dispatched_incident, _liaison

pytestmark = [pytest.mark.asyncio, pytest.mark.working_time]


@pytest.mark.at(TUESDAY)
async def test_three_disputes_on_a_matter_in_a_quarter_bring_a_draft_amendment_the_county_publishes(county):
    _liaison(county)
    room = await county.workstation("球川-值班", "qc1")
    dept = await county.workstation("执法局", "enf")
    coordinator = await county.workstation("县社会治理中心", "cc")
    job = tuple(j for j in JOBS if j.name == "propose_amendments")
    moment = [utcnow()]
    scheduler = Scheduler(county.server.state, now=lambda: moment[0], jobs=job)
    matter = None
    for k in range(3):
        if k == 2:  # two disputes are not enough
            scheduler.tick()
            with county.server.state.read() as s:
                assert s.query(MatterListAmendment).count() == 0
        incident = await _dispatched_incident(county, room)
        assert await dept.sync()
        dept.perform("incident.return_by_department", incident, {"reason": f"违停属交警职责（第{k + 1}次）",
                                                                 "proposed_department_code": "market"})
        assert await dept.sync()
        assert await room.sync()
        matter = room.get("incident", incident)["matter_code"]
        dispute = new_id()
        room.perform("dispute.open", dispute, {"incident_id": incident, "reason": "清单明确由执法局牵头"})
        assert await room.sync()
        assert await coordinator.sync()
        coordinator.perform("dispute.decide", dispute, {"handler": "department", "department_code": "market",
                                                        "reason": f"占道违停归市场监管局（第{k + 1}起）"})
        assert await coordinator.sync()
    assert matter

    moment[0] = utcnow() + timedelta(minutes=31)
    assert [r.acts for r in scheduler.tick()] == [1]
    moment[0] += timedelta(minutes=31)
    assert [r.acts for r in scheduler.tick()] == [0]  # one draft per matter per quarter
    with county.server.state.read() as s:
        rows = s.query(MatterListAmendment).all()
    assert len(rows) == 1 and rows[0].matter_code == matter

    # the coordinator's desk receives it and shows it as a draft with its reason
    assert await coordinator.sync()
    [shown] = amendments(coordinator.store)
    assert shown.state == "draft" and shown.disputes == 3 and "建议调整清单" in shown.title
    assert "占道违停归市场监管局（第3起）" in shown.reason and "违停属交警职责（第1次）" in shown.reason
    assert "县市场监督管理局" in shown.reason
    draft = amendment_draft(coordinator.store, shanghai_date(utcnow()), shown.id)
    assert draft is not None and draft.start_matters is not None
    proposed = next(m for m in draft.start_matters if m["code"] == matter)
    assert proposed["lead_department_code"] == "market"

    # a township desk sees it too but may not publish
    assert await room.sync()
    assert [a.id for a in amendments(room.store)] == [shown.id]
    args = {"version": draft.number, "effective_from": draft.earliest.isoformat(), "title": "推诿事项调整",
            "matters": draft.start_matters, "amendment_id": shown.id}
    coordinator.perform("reflist.publish_version", new_id(), args)
    assert await coordinator.sync()
    with county.server.state.read() as s:
        row = s.get(MatterListAmendment, shown.id)
        assert (row.state, row.published_version) == ("published", draft.number)
        assert s.query(MatterListVersion).filter(MatterListVersion.version == draft.number).count() == 1
    assert await room.sync()
    assert amendments(room.store)[0].state == "published"
