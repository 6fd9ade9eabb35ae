"""A long outage, shortened (issue 20): three desks of 球川 work offline on the same reports and incidents
while the county server is down and their access tokens expire. When the server answers again the
engines notice it by themselves, and then: nothing is lost, desk and server agree on every column,
``audit()`` is clean, the conflict log holds exactly the real crossings, and no rejection is an id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select, update

from commandroom.domain.models import SYNCED_MODELS, ConflictRecord, DeviceToken, TimelineEntry, row_to_dict
from commandroom.store.db import normalise_url
from commandroom.timeutil import utcnow
from tests.e2e.conftest import PASSWORD, QC, new_id, wait_until
from tests.e2e.outage_scenario import NUMBER_RE, UUID_RE, offline_work

pytestmark = pytest.mark.asyncio


def every_row(session: Any, township: str = QC) -> dict[str, dict[str, dict[str, Any]]]:
    """Every column of every replicated row of one township, by table and id."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table, model in SYNCED_MODELS.items():
        if "township_code" not in model.__table__.c:
            continue
        out[table] = {r.id: row_to_dict(r) for r in session.scalars(select(model).where(model.township_code
                                                                                          == township))}
    return out


def expire_tokens(db_url: str) -> None:
    """The outage outlived the access tokens (the server is down: straight into its database)."""
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(update(DeviceToken).values(access_expires_at=utcnow() - timedelta(hours=70)))
    engine.dispose()


async def test_three_desks_back_in_sync_after_a_long_outage(county):
    from commandroom.server.users import create_user

    with county.server.state.transaction() as s:
        create_user(s, username="qc3", display_name="球川值班丙", role="duty_officer", township_code=QC,
                    password=PASSWORD)
    desks = [await county.workstation(name, user) for name, user in
             (("球川-一", "qc1"), ("球川-二", "qc2"), ("球川-三", "qc3"))]
    reports = [await county.report(f"球川镇第{i}处违停，车辆堵塞路口") for i in range(1, 13)]
    one = desks[0]
    for ws in desks:
        ws.engine.start()
    await wait_until(lambda: all(ws.get("report", r) for ws in desks for r in reports), 15, "reports on desks")
    shared = [new_id() for _ in range(6)]
    for inc, rep in zip(shared, reports[:6], strict=True):
        one.perform("report.accept", rep, {"incident_id": inc})
    await wait_until(lambda: all((ws.get("incident", i) or {}).get("number") for ws in desks for i in shared), 15,
                     "shared incidents numbered on every desk")

    # ---- the line goes down for days: the tokens expire meanwhile
    await county.server.astop()
    await wait_until(lambda: not any(ws.engine.status.online for ws in desks), 15, "desks see offline")
    expire_tokens(county.server.db_url)
    plan = offline_work(desks, shared, reports[6:9], reports[9], reports[10], notes_per_incident=4, own_edits=8,
                        lifecycle_edits=3)
    assert plan.mutations >= 150
    assert sum(ws.store.pending_count() for ws in desks) == plan.mutations

    # ---- the server answers again; nobody touches the desks
    await county.server.astart()
    await wait_until(lambda: all(ws.store.pending_count() == 0 for ws in desks), 60, "outboxes drained")
    server_rows: dict[str, Any] = {}

    def converged() -> bool:
        nonlocal server_rows
        with county.server.state.read() as s:
            server_rows = every_row(s)
        for ws in desks:
            with ws.store.read() as s:
                if every_row(s) != server_rows:
                    return False
        return True

    await wait_until(converged, 60, "every column of every row equal on the three desks and the server",
                     interval=0.25)
    for ws in desks:
        assert await ws.engine.audit(repair=False) == {}, ws.name
        assert ws.engine.stats["refreshes"] >= 1, ws.name  # the expired token was renewed without the officer
        assert ws.engine.status.signed_in and ws.engine.status.online

    # conflicts: exactly the real crossings between different people
    with county.server.state.read() as s:
        conflicts = list(s.scalars(select(ConflictRecord)))
        assert len(conflicts) == plan.crossings, [(c.entity_id[-6:], c.field, c.by_user_name, c.kept_value,
                                                   c.lost_value) for c in conflicts]
        assert {c.field for c in conflicts} == {"title", "address"}
        timeline = {e.note: e.incident_id for e in s.scalars(select(TimelineEntry).where(
            TimelineEntry.action == "note"))}

    # every decision is explained in words, never an id; a lost race names the winner
    entries = [(ws, e) for ws in desks for e in ws.store.outbox()]
    assert len(entries) == plan.mutations + len(shared)
    assert {e.state for _, e in entries} <= {"acked", "merged", "rejected"}
    for _ws, e in entries:
        if e.state in ("merged", "rejected"):
            text = (e.server_result or {}).get("explanation") or ""
            assert text and not UUID_RE.search(text), (e.name, text)
    lost = [e for _, e in entries if (e.server_result or {}).get("code") == "lost_race"]
    race_a, race_b = plan.race_incidents
    winner = race_a if race_a in server_rows["incident"] else race_b
    loser = race_b if winner == race_a else race_a
    assert loser not in server_rows["incident"]
    number = server_rows["incident"][winner]["number"]
    loser_dispatches = {(e.args or {}).get("dispatch_id") for _, e in entries
                        if e.entity_id == loser and e.name == "incident.dispatch"}
    race_lost = [e for e in lost if e.entity_id == loser or e.entity_id in loser_dispatches]
    assert {e.name for e in race_lost} == {"incident.dispatch", "dispatch.acknowledge"}, [
        (e.name, e.state, e.server_result) for _, e in entries if e.entity_id in loser_dispatches]
    assert all(number in e.server_result["explanation"] and NUMBER_RE.search(e.server_result["explanation"])
               for e in race_lost if e.name == "incident.dispatch")

    # nothing lost: every note is on the server — on its incident, or on the winner it followed — or, when
    # its incident's report was rejected first, kept as a rejection the officer can redo
    rejected_notes = {(e.args or {}).get("note") for _, e in entries if e.state == "rejected"
                      and e.name == "incident.note"}
    for text, incident in plan.notes.items():
        if incident == loser:
            assert timeline.get(text) == winner, text
        elif incident == plan.contested_incident and incident not in server_rows["incident"]:
            assert text in rejected_notes, text
        else:
            assert timeline.get(text) == incident, text
    followed = [e for ws in desks for e in ws.store.outbox() if e.name == "incident.note" and e.entity_id == loser]
    assert followed and all(e.state == "merged" and number in e.server_result["explanation"] for e in followed)
