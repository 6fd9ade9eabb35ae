"""A grid worker's Open311 report reaches the duty officers' workstations, is accepted offline-first,
gets its human number, routing and deadlines on the server, and stays out of other townships."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from commandroom.domain.models import Incident, Report, TimelineEntry, row_to_dict
from commandroom.services.routing import route
from tests.e2e.conftest import QC, TM, new_id, server_township_rows, township_rows, wait_until

pytestmark = pytest.mark.asyncio


async def test_open311_report_poked_to_officer_accepted_and_numbered_once(county):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    t = await county.workstation("天马", "tm1")
    for ws in (a, b, t):
        ws.engine.start()
    await wait_until(lambda: all(ws.engine.sse_connects >= 1 for ws in (a, b, t)), 10, "SSE connected")
    assert f"township:{QC}" in a.store.meta("buckets") and f"township:{QC}" not in t.store.meta("buckets")

    # the grid worker's phone posts a report; the officer's desk gets it by poke, not by its 60 s timer
    pokes_before = a.engine.pokes
    r = await county.post_report("球川镇镇区主干道机动车违停，堵塞交通")
    assert r.status_code == 201, r.text
    answer = r.json()[0]
    report_id = answer["token"]
    assert re.fullmatch(r"QC-R-\d{4}-\d{6}", answer["service_request_id"]), answer
    await wait_until(lambda: a.get("report", report_id) is not None, 5, "report on the officer's desk")
    # the poke may come a moment after the report (a pull already under way can bring it first, and the
    # server spreads pokes over a quarter second), but it does come, well before the 60 s timer
    await wait_until(lambda: a.engine.pokes > pokes_before, 5, "the officer's desk poked")
    local_report = a.get("report", report_id)
    assert local_report["state"] == "new" and local_report["number"] == answer["service_request_id"]

    # accepted offline-first: the incident is on the desk at once, provisional (no number yet)
    incident_id = new_id()
    a.perform("report.accept", report_id, {"incident_id": incident_id})
    optimistic = a.get("incident", incident_id)
    assert optimistic is not None and optimistic["number"] is None
    assert a.get("report", report_id)["state"] == "accepted"
    # the running engine pushes by itself (a local write wakes it) and pulls the server's copy back
    await wait_until(lambda: (a.get("incident", incident_id) or {}).get("number") is not None
                     and a.store.pending_count() == 0, 10, "number on the officer's desk")

    with county.server.state.read() as s:
        inc = s.get(Incident, incident_id)
        rep = s.get(Report, report_id)
        expected = route(s, category_code=rep.category_code, lat=rep.lat, lon=rep.lon, at=rep.reported_at,
                         township_code=rep.township_code)
        server_inc = row_to_dict(inc)
        server_timeline = [row_to_dict(e) for e in s.scalars(select(TimelineEntry)
                                                              .where(TimelineEntry.incident_id == incident_id))]
    assert re.fullmatch(rf"QC-{inc.created_at.year}-\d{{6}}", server_inc["number"]), server_inc["number"]
    assert rep.state == "accepted" and rep.incident_id == incident_id
    assert server_inc["matter_code"] == expected.matter_code is not None
    assert server_inc["matter_version"] == expected.matter_version
    assert server_inc["lead_department_code"] == expected.lead_department_code is not None
    assert server_inc["zone_id"] == expected.zone_id == "QC"
    for due in ("ack_due", "onsite_due", "close_due"):
        assert server_inc[due] is not None and server_inc[due] > server_inc["created_at"], due
    assert [e["action"] for e in server_timeline] == ["create"]
    # the optimistic copy's routing (computed on the desk from its reference copy) was the server's
    assert optimistic["matter_code"] == server_inc["matter_code"]
    assert a.get("incident", incident_id)["number"] == server_inc["number"]

    # the second 球川 desk sees the same incident, same number, one timeline entry per action
    await wait_until(lambda: (b.get("incident", incident_id) or {}).get("number") == server_inc["number"], 5,
                     "incident on the second desk")
    for ws in (a, b):
        assert len(ws.timeline(incident_id)) == len(server_timeline) == 1
        assert ws.timeline(incident_id)[0]["id"] == server_timeline[0]["id"]

    # a note and a dispatch from the first desk: still exactly one entry per action everywhere
    a.perform("incident.note", incident_id, {"note": "已电话联系车主"})
    a.perform("incident.dispatch", incident_id, {"target_kind": "team", "target_code": "QC",
                                                 "dispatch_id": new_id()})
    await wait_until(lambda: a.store.pending_count() == 0, 10, "pushed")
    await a.sync()
    await wait_until(lambda: len(b.timeline(incident_id)) == 3, 5, "second desk has 3 entries")
    server = server_township_rows(county.server)
    for ws in (a, b):
        mine = township_rows(ws)
        assert mine == server, ws.name
        actions = sorted(e["action"] for e in ws.timeline(incident_id))
        assert actions == ["create", "dispatch", "note"], actions

    # 天马 never receives anything of 球川
    await t.sync()
    assert t.get("report", report_id) is None and t.get("incident", incident_id) is None
    assert not t.rows("timeline_entry", incident_id=incident_id)
    assert all(r["township_code"] != QC for r in t.rows("report"))
    assert f"township:{QC}" not in t.store.cursors()
    assert t.store.meta("buckets") and all(not b_.startswith(f"township:{QC}") for b_ in t.store.meta("buckets"))
    r = await county.http.get("/api/v1/sync/pull", params={"cursors": f'{{"township:{QC}": 0}}'},
                              headers={"Authorization": f"Bearer {t.store.auth()['access_token']}"})
    assert r.status_code == 403 and r.json()["detail"]["code"] == "bucket_forbidden"
    assert f"township:{TM}" in t.store.cursors()
