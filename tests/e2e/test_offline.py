"""The server goes away mid-session: officers keep working, the engines come back by themselves, and
everything converges (invariants I1–I3 of docs/sync-protocol.md) — nothing lost, nothing duplicated, every desk equal to the server."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from commandroom.domain.models import Incident, ProcessedMutation
from tests.e2e.conftest import new_id, server_township_rows, township_rows, wait_until

pytestmark = pytest.mark.asyncio


async def test_offline_work_converges_after_the_server_comes_back(county):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    reports = [await county.report(f"球川镇第{i}处违停，车辆堵塞路口") for i in range(1, 6)]
    for ws in (a, b):
        ws.engine.start()
    await wait_until(lambda: all(a.get("report", r) and b.get("report", r) for r in reports), 10, "reports on desks")

    # one incident accepted while online: it has its number before the link goes down
    i1 = new_id()
    a.perform("report.accept", reports[0], {"incident_id": i1})
    await wait_until(lambda: (b.get("incident", i1) or {}).get("number"), 10, "i1 numbered on both desks")
    epoch = a.store.meta("epoch")

    # ---- the server goes away
    await county.server.astop()
    await wait_until(lambda: not a.engine.status.online and not b.engine.status.online, 15, "desks see offline")

    i2, i3, d1, d3 = new_id(), new_id(), new_id(), new_id()
    lead = a.get("incident", i1)["lead_department_code"]
    assert lead
    a.perform("report.accept", reports[1], {"incident_id": i2})
    a.perform("report.accept", reports[2], {"incident_id": i3, "urgency": "L2"})
    a.perform("report.reject", reports[3], {"reason": "重复上报，已在处置"})
    a.perform("incident.dispatch", i1, {"target_kind": "department", "target_code": lead, "dispatch_id": d1,
                                        "note": "请牵头部门处置"})
    a.perform("incident.note", i2, {"note": "现场已有交警"})
    a.perform("incident.dispatch", i3, {"target_kind": "team", "target_code": "QC", "dispatch_id": d3})
    a.perform("dispatch.acknowledge", d3, {})
    a.perform("incident.close", i2, {"note": "车主已挪车，当场解决"})
    a.perform("incident.note", i1, {"note": "部门已电话确认"})
    b.perform("incident.note", i1, {"note": "乙：群众再次来电催促"})
    b.perform("report.merge", reports[4], {"incident_id": i1})
    n_a, n_b = 9, 2

    # the desks show the work at once, provisional numbers, and say they are offline with N pending
    assert a.get("incident", i2)["number"] is None and a.get("incident", i2)["state"] == "closed"
    assert a.get("incident", i3)["state"] == "acknowledged"
    await asyncio.sleep(1.5)  # a few failed rounds of backoff
    st = a.engine.status
    assert not st.online and st.offline_since is not None and st.pending == n_a, st
    assert "离线" in st.label() and f"待上传 {n_a}" in st.label(), st.label()
    assert b.engine.status.pending == n_b and not b.engine.status.online
    assert a.store.pending_count() == n_a and b.store.pending_count() == n_b

    # ---- the server comes back on the same database and port; nobody touches the desks
    await county.server.astart()
    await wait_until(lambda: a.store.pending_count() == 0 and b.store.pending_count() == 0, 30,
                     "outboxes drained by the engines themselves")
    server_rows = None

    def converged() -> bool:
        nonlocal server_rows
        server_rows = server_township_rows(county.server)
        return township_rows(a) == server_rows and township_rows(b) == server_rows

    await wait_until(converged, 45, "both desks equal to the server", interval=0.25)
    assert await a.engine.audit(repair=False) == {} and await b.engine.audit(repair=False) == {}
    assert a.engine.status.online and "在线" in a.engine.status.label()
    assert a.engine.stats["recoveries"] == 0 and a.store.meta("epoch") == epoch  # a restart is not a restore

    # I1 nothing lost: every queued action has its effect on the server
    inc = server_rows["incident"]
    rep = server_rows["report"]
    tl = server_rows["timeline_entry"]
    assert inc[i2]["state"] == "closed" and inc[i3]["state"] == "acknowledged"
    assert inc[i1]["state"] == "dispatched" and inc[i1]["report_count"] == 2
    assert rep[reports[1]]["state"] == rep[reports[2]]["state"] == "accepted"
    assert rep[reports[3]]["state"] == "rejected" and rep[reports[3]]["reject_reason"] == "重复上报，已在处置"
    assert rep[reports[4]]["state"] == "merged" and rep[reports[4]]["incident_id"] == i1
    assert set(server_rows["dispatch"]) == {d1, d3}
    assert server_rows["dispatch"][d3]["state"] == "acknowledged"

    def actions(iid: str) -> list[str]:
        return sorted(e["action"] for e in tl.values() if e["incident_id"] == iid)

    assert actions(i1) == ["create", "dispatch", "merge_report", "note", "note"]
    assert actions(i2) == ["close", "create", "note"]
    assert actions(i3) == ["create", "dispatch", "dispatch.acknowledge"]
    notes = sorted(e["note"] for e in tl.values() if e["action"] == "note")
    assert notes == sorted(["现场已有交警", "部门已电话确认", "乙：群众再次来电催促"])
    # I2 nothing duplicated: one incident per accepted report, one processed row per queued mutation
    with county.server.state.read() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 3
        outbox_ids = [e.mutation_id for ws in (a, b) for e in ws.store.outbox()]
        assert len(outbox_ids) == 1 + n_a + n_b
        processed = s.scalar(select(func.count()).select_from(ProcessedMutation)
                             .where(ProcessedMutation.mutation_id.in_(outbox_ids)))
        assert processed == len(outbox_ids)
    assert all(e.state == "acked" for ws in (a, b) for e in ws.store.outbox())
    # the human numbers the server gave meanwhile are on the desk
    numbers = {iid: a.get("incident", iid)["number"] for iid in (i1, i2, i3)}
    year = inc[i2]["created_at"][:4]
    assert all(re.fullmatch(rf"QC-{year}-\d{{6}}", n or "") for n in numbers.values()), numbers
    assert len(set(numbers.values())) == 3
    assert all(b.get("incident", iid)["number"] == n for iid, n in numbers.items())
