"""Races of an outage beyond the duplicate accept (issue 20): work on an incident another desk closed
meanwhile did not happen, and the officer is told so in words — the incident's number and title, who
closed it and when — with one action to redo it. SQLite and PostgreSQL, over HTTP."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import new_id
from tests.e2e.outage_scenario import NUMBER_RE, UUID_RE

pytestmark = pytest.mark.asyncio


async def test_dispatch_and_team_steps_on_an_incident_closed_elsewhere_are_refused_naming_it(county):
    one = await county.workstation("球川-一", "qc1")
    two = await county.workstation("球川-二", "qc2")
    report = await county.report("球川镇文化广场占道经营，影响通行")
    assert await one.engine.sync_once() and await two.engine.sync_once()
    incident = new_id()
    one.perform("report.accept", report, {"incident_id": incident, "title": "文化广场占道经营"})
    assert await one.engine.sync_once() and await two.engine.sync_once()
    sent = new_id()  # a dispatch both desks saw, before anything crossed
    two.perform("incident.dispatch", incident, {"target_kind": "team", "target_code": "QC", "dispatch_id": sent})
    assert await two.engine.sync_once() and await one.engine.sync_once()

    # two desks, neither seeing the other: one closes the incident, the other goes on working on it
    one.perform("incident.close", incident, {"note": "当场劝离，已办结"})
    later = new_id()
    two.perform("dispatch.acknowledge", sent, {})
    two.perform("incident.dispatch", incident, {"target_kind": "team", "target_code": "QC", "dispatch_id": later,
                                                "note": "再派一组"})
    assert await one.engine.sync_once()
    assert await two.engine.sync_once()
    assert await two.engine.sync_once()

    number = one.get("incident", incident)["number"]
    entries = {e.name: e for e in two.store.outbox() if e.entity_id in (incident, sent)}
    refused = [entries["dispatch.acknowledge"], entries["incident.dispatch"]]
    for e in refused:
        text = e.server_result["explanation"]
        assert e.state == "rejected" and e.server_result["code"] == "lost_race", (e.name, e.server_result)
        assert number in text and "文化广场占道经营" in text and "球川值班甲" in text, text
        assert "重新打开" in text and NUMBER_RE.search(text) and not UUID_RE.search(text), text
    # the desk holds what the server holds: the incident closed, no dispatch that never happened
    assert two.get("incident", incident)["state"] == "closed"
    assert two.get("dispatch", later) is None
    # the officer's one action: reopen, then redo the dispatch on the same incident
    two.perform("incident.reopen", incident, {"reason": "群众反映仍在占道", "to": "pending_dispatch"})
    two.store.redo(two.actor, entries["incident.dispatch"].mutation_id)
    assert await two.engine.sync_once()
    redone = [e for e in two.store.outbox() if e.name == "incident.dispatch" and e.state == "acked"]
    assert redone and two.get("incident", incident)["state"] == "dispatched"
