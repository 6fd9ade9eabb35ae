"""Two officers act on the same incident while the server is away (the merge rules of docs/sync-protocol.md, end to end)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commandroom.domain.models import ConflictRecord, row_to_dict
from tests.e2e.conftest import new_id, server_township_rows, township_rows

pytestmark = pytest.mark.asyncio


async def _accepted(county, a, b, text: str) -> str:
    """A report accepted by desk ``a`` online; both desks have the numbered incident."""
    report_id = await county.report(text)
    await a.sync()
    incident_id = new_id()
    a.perform("report.accept", report_id, {"incident_id": incident_id})
    assert await a.sync()
    assert await b.sync()
    assert b.get("incident", incident_id)["number"]
    return incident_id


async def test_two_officers_close_the_same_incident_offline(county):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    inc = await _accepted(county, a, b, "球川镇农贸市场门口违停")

    await county.server.astop()
    a.perform("incident.close", inc, {"note": "甲：车主已挪车，办结"})
    b.perform("incident.note", inc, {"note": "乙：补充现场照片说明"})
    b.perform("incident.close", inc, {"note": "乙：现场已恢复通行"})
    # offline, each desk shows its own close
    assert a.get("incident", inc)["state"] == b.get("incident", inc)["state"] == "closed"
    assert not await a.sync() and not a.engine.status.online

    await county.server.astart()
    assert await a.sync()  # A's close arrives first
    assert await b.sync()  # B's note applies; B's close finds the incident closed
    assert await a.sync()

    a_entry, = a.store.outbox()[-1:]
    assert a_entry.state == "acked" and a_entry.server_result["status"] == "applied"
    note_entry, close_entry = [e for e in b.store.outbox() if e.entity_id == inc]
    assert note_entry.state == "acked"
    assert close_entry.state == "merged", close_entry.server_result
    # the officer reads why nothing happened: who closed it, and that closing again was not needed
    notices = b.store.rejected()
    assert [e.mutation_id for e in notices] == [close_entry.mutation_id]
    explanation = notices[0].server_result["explanation"]
    assert "球川值班甲" in explanation and "办结" in explanation and "无需" in explanation, explanation
    assert b.engine.status.rejected == 0  # a merge is a notice, not a refusal

    server = server_township_rows(county.server)
    assert township_rows(a) == server and township_rows(b) == server
    assert await a.engine.audit(repair=False) == {} and await b.engine.audit(repair=False) == {}
    timeline = sorted((e for e in server["timeline_entry"].values() if e["incident_id"] == inc),
                      key=lambda e: (e["at"], e["id"]))
    # closed once (by A, whose close arrived first); B's note kept; B's merged close keeps its words as a note
    assert [e["action"] for e in timeline] == ["create", "close", "note", "note"]
    close = timeline[1]
    assert close["actor_name"] == "球川值班甲" and close["note"] == "甲：车主已挪车，办结"
    assert [e["note"] for e in timeline[2:]] == ["乙：补充现场照片说明", "乙：现场已恢复通行"]
    assert timeline[3]["data"]["merged_action"] == "close"
    assert server["incident"][inc]["state"] == "closed"
    assert server["incident"][inc]["closed_at"] is not None
    # B's optimistic close entry is gone from B's desk after the pull (no duplicate close)
    assert [e["action"] for e in sorted(b.timeline(inc), key=lambda e: (e["at"], e["id"]))] == \
        ["create", "close", "note", "note"]


async def test_two_officers_edit_the_title_offline_last_writer_wins_with_a_conflict_record(county):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    inc = await _accepted(county, a, b, "球川镇学校门口违停")

    await county.server.astop()
    a.perform("incident.update", inc, {"title": "学校门口违停（甲改）"})
    b.perform("incident.update", inc, {"title": "学校门口违停（乙改）"})
    await county.server.astart()
    assert await a.sync()
    assert await b.sync()  # arrives last: its title wins
    assert await a.sync()

    server = server_township_rows(county.server, tables=("incident", "timeline_entry", "conflict_record"))
    assert server["incident"][inc]["title"] == "学校门口违停（乙改）"
    conflicts = [c for c in server["conflict_record"].values() if c["entity_id"] == inc]
    assert len(conflicts) == 1, conflicts
    c = conflicts[0]
    assert (c["field"], c["rule"]) == ("title", "last_writer_wins")
    assert c["kept_value"] == "学校门口违停（乙改）" and c["lost_value"] == "学校门口违停（甲改）"
    assert c["by_user_name"] == "球川值班乙" and c["explanation"]
    b_update = next(e for e in b.store.outbox() if e.name == "incident.update")
    assert b_update.state == "acked" and b_update.server_result["conflicts"] == 1
    # both desks show the winner and the conflict record; both edits are in the timeline
    for ws in (a, b):
        assert ws.get("incident", inc)["title"] == "学校门口违停（乙改）"
        mine = ws.rows("conflict_record", entity_id=inc)
        assert [(r["id"], r["kept_value"], r["lost_value"]) for r in mine] == \
            [(c["id"], c["kept_value"], c["lost_value"])]
        assert township_rows(ws, tables=("incident", "timeline_entry", "conflict_record")) == server
    updates = [e for e in server["timeline_entry"].values() if e["incident_id"] == inc and e["action"] == "update"]
    assert len(updates) == 2
    with county.server.state.read() as s:
        assert [row_to_dict(r)["field"] for r in
                s.scalars(select(ConflictRecord).where(ConflictRecord.entity_id == inc))] == ["title"]
