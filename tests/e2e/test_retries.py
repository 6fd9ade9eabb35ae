"""Retries and refusals end to end: duplicate deliveries change nothing twice, a refused mutation is
listed with its reason and the rest of the queue goes on (failure scenarios 3, 4 and 17 of docs/sync-protocol.md)."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from commandroom.domain.models import Department, Incident, ProcessedMutation, Report, TimelineEntry
from tests.e2e.conftest import (
    TM,
    TM_POINT,
    DuplicatingTransport,
    new_id,
    server_township_rows,
    township_rows,
)

pytestmark = pytest.mark.asyncio


def _serial(number: str) -> int:
    return int(re.fullmatch(r"QC-\d{4}-(\d{6})", number).group(1))


@pytest.mark.parametrize("concurrent", [False, True], ids=["one-after-the-other", "at-once"])
async def test_a_push_delivered_twice_makes_one_incident(county, concurrent):
    twice = DuplicatingTransport(concurrent=concurrent)
    a = await county.workstation("球川-甲", "qc1", transport=twice)
    b = await county.workstation("球川-乙", "qc2")
    r1, r2 = await county.report("球川镇路口违停一"), await county.report("球川镇路口违停二")
    await a.sync()
    i1, i2 = new_id(), new_id()
    a.perform("report.accept", r1, {"incident_id": i1})
    a.perform("incident.note", i1, {"note": "已通知"})
    a.perform("report.accept", r2, {"incident_id": i2})
    assert await a.sync()
    assert twice.duplicated >= 1
    # both deliveries answered with the same results; the second one says it is a stored result
    first, second = twice.answers[0]["results"], twice.answers[1]["results"]
    assert [(r["mutation_id"], r["status"], r["seq"]) for r in first] == \
        [(r["mutation_id"], r["status"], r["seq"]) for r in second]
    assert sorted(r["duplicate"] for r in first + second) == [False] * 3 + [True] * 3
    assert [e.state for e in a.store.outbox()] == ["acked"] * 3

    with county.server.state.read() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 2
        for iid, actions in ((i1, ["create", "note"]), (i2, ["create"])):
            got = sorted(s.scalars(select(TimelineEntry.action).where(TimelineEntry.incident_id == iid)))
            assert got == actions
        ids = [e.mutation_id for e in a.store.outbox()]
        assert s.scalar(select(func.count()).select_from(ProcessedMutation)
                        .where(ProcessedMutation.mutation_id.in_(ids))) == 3
        numbers = [s.get(Incident, i).number for i in (i1, i2)]
    # the duplicate did not burn a human number: the two incidents have consecutive serials
    assert _serial(numbers[1]) == _serial(numbers[0]) + 1
    assert await b.sync()
    server = server_township_rows(county.server)
    assert township_rows(a) == server and township_rows(b) == server
    assert await a.engine.audit(repair=False) == {} and await b.engine.audit(repair=False) == {}


async def test_open311_post_retried_with_the_same_idempotency_key_makes_one_report(county):
    a = await county.workstation("球川-甲", "qc1")
    key = f"phone-7-{new_id()}"
    first = await county.post_report("球川镇桥头违停", idempotency_key=key, device_id="phone-7")
    again = await county.post_report("球川镇桥头违停", idempotency_key=key, device_id="phone-7")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    # two retries racing each other
    key2 = f"phone-7-{new_id()}"
    racing = await asyncio.gather(*(county.post_report("球川镇桥尾违停", idempotency_key=key2, device_id="phone-7")
                                    for _ in range(3)))
    assert {r.status_code for r in racing} == {201}
    assert len({r.json()[0]["token"] for r in racing}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in racing) == 2
    tokens = {first.json()[0]["token"], racing[0].json()[0]["token"]}
    with county.server.state.read() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 2
        assert {r.id for r in s.scalars(select(Report))} == tokens
    assert await a.sync()
    assert sorted(r["id"] for r in a.rows("report")) == sorted(tokens)


async def test_refused_mutations_are_listed_with_their_reason_and_the_queue_goes_on(county):
    a = await county.workstation("球川-甲", "qc1")
    r1, r2 = await county.report("球川镇东门违停"), await county.report("球川镇西门违停")
    await a.sync()
    i1 = new_id()
    a.perform("report.accept", r1, {"incident_id": i1})
    assert await a.sync()
    # this desk's copy of the department list is stale: it still has a department the county removed
    with a.store.write() as s:
        s.add(Department(code="ghost_dept", name="已撤销的部门", short_name="已撤销"))

    ghost, tm_report, i2 = new_id(), new_id(), new_id()
    a.perform("incident.note", i1, {"note": "先记一笔"})
    a.perform("incident.dispatch", i1, {"target_kind": "department", "target_code": "ghost_dept",
                                        "dispatch_id": ghost})
    a.perform("report.create", tm_report, {"source": "hotline_12345", "category_code": "urban_parking",
                                           "description": "天马街道的事（不归球川管）", "lat": TM_POINT[0],
                                           "lon": TM_POINT[1], "township_code": TM})
    a.perform("incident.note", i1, {"note": "被退回的操作之后的一笔"})
    a.perform("report.accept", r2, {"incident_id": i2})
    assert a.get("dispatch", ghost) is not None and a.get("report", tm_report) is not None  # optimistic
    assert await a.sync()

    states = [(e.name, e.state) for e in a.store.outbox()][1:]
    assert states == [("incident.note", "acked"), ("incident.dispatch", "rejected"),
                      ("report.create", "rejected"), ("incident.note", "acked"), ("report.accept", "acked")]
    refused = a.store.rejected()
    assert [e.name for e in refused] == ["incident.dispatch", "report.create"]
    dispatch_reason = refused[0].server_result
    assert dispatch_reason["code"] == "validation_error" and "ghost_dept" in dispatch_reason["explanation"], dispatch_reason
    scope_reason = refused[1].server_result
    assert scope_reason["code"] == "forbidden" and TM in scope_reason["explanation"], scope_reason
    st = a.engine.status
    assert st.rejected == 2 and st.pending == 0 and "被退回 2" in st.label()
    # the refused edits are gone from the desk; the rest is the server's
    assert a.get("dispatch", ghost) is None and a.get("report", tm_report) is None
    assert a.get("incident", i1)["state"] == "pending_dispatch"
    assert a.get("incident", i2)["number"]
    with county.server.state.read() as s:
        assert s.get(Report, tm_report) is None
        notes = sorted(s.scalars(select(TimelineEntry.note).where(TimelineEntry.incident_id == i1,
                                                                 TimelineEntry.action == "note")))
    assert notes == sorted(["先记一笔", "被退回的操作之后的一笔"])
    assert township_rows(a) == server_township_rows(county.server)
    # the officer dismisses a notice; the entry stays in the outbox as the record
    a.store.dismiss(refused[0].mutation_id)
    assert [e.name for e in a.store.rejected()] == ["report.create"]
