"""Work done while the county server is down keeps the moment it was done (occurred_at), not the upload time.

Over real HTTP: the server stops, a desk accepts, dispatches, acknowledges and closes at known moments
(time-machine moves the whole process's wall clock), the server comes back minutes later. The timeline,
the incident's stamps, the response-time and on-time statistics and the briefing all show the true times;
the timeline marks the entries as made offline with their upload time. A desk whose clock is wrong is
bounded by the server and flagged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from commandroom.domain.models import Dispatch, Incident, TimelineEntry
from commandroom.queries.briefing import daily_briefing
from commandroom.services.assessment import department_indicators
from commandroom.timeutil import SHANGHAI, utcnow
from tests.e2e.conftest import QC, new_id, server_township_rows, township_rows, wait_until

pytestmark = pytest.mark.asyncio

DAY = "2026-12-08"  # a Tuesday, a working day


def beijing(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{hhmm}:00").replace(tzinfo=SHANGHAI)


def utc(hhmm: str) -> datetime:
    """The naive UTC the database keeps for a Beijing wall-clock moment of DAY."""
    return beijing(hhmm).astimezone(UTC).replace(tzinfo=None)


def near(value: datetime | None, hhmm: str, seconds: float = 5.0) -> bool:
    return value is not None and abs((value - utc(hhmm)).total_seconds()) <= seconds


@pytest.mark.working_time
@pytest.mark.at(f"{DAY}T15:50:00+08:00")
async def test_offline_work_keeps_its_true_time_everywhere(county):
    desk = await county.workstation("球川-甲", "qc1")
    report = await county.report("球川镇镇区主干道机动车违停，堵塞交通")
    assert await desk.sync()
    assert desk.get("report", report)
    assert desk.store.clock_skew == ""  # the desk has measured its clock against the server: fine

    await county.server.astop()
    incident, dispatch = new_id(), new_id()
    with time_machine.travel(beijing("16:18"), tick=True) as clock:
        desk.perform("report.accept", report, {"incident_id": incident})  # 立案 16:18, offline
        lead = desk.get("incident", incident)["lead_department_code"]
        assert lead
        clock.move_to(beijing("16:21"))
        desk.perform("incident.dispatch", incident, {"target_kind": "department", "target_code": lead,
                                                     "dispatch_id": dispatch})
        clock.move_to(beijing("16:24"))
        # the department phoned its 签收 in: the room records it as a proxy entry (代录签收) with the reason
        desk.perform("dispatch.acknowledge", dispatch, {"proxy_reason": "执法局联络员电话告知已签收"})
        clock.move_to(beijing("16:40"))
        desk.perform("incident.close", incident, {"note": "车主已挪车，当场解决"})
        assert desk.store.pending_count() == 4

        clock.move_to(beijing("16:52"))  # the line is back twelve minutes later
        await county.server.astart()
        assert await desk.sync()
        assert desk.store.pending_count() == 0
        await wait_until(lambda: township_rows(desk) == server_township_rows(county.server), 20,
                         "desk equal to the server")
        now = utcnow()

    with county.server.state.read() as s:
        inc = s.get(Incident, incident)
        disp = s.get(Dispatch, dispatch)
        entries = list(s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident)
                                 .order_by(TimelineEntry.at)))
        # the incident's acts carry when they were done, not 16:52
        assert inc.number and inc.state == "closed"
        assert near(inc.created_at, "16:18"), inc.created_at
        assert near(disp.assigned_at, "16:21") and near(disp.acknowledged_at, "16:24"), (disp.assigned_at,
                                                                                          disp.acknowledged_at)
        assert near(inc.acknowledged_at, "16:24") and near(inc.closed_at, "16:40")
        assert disp.proxy_reason == "执法局联络员电话告知已签收" and disp.proxy_by  # counted apart as 代录
        # deadlines start on the server's clock (when it learned of the incident)
        assert inc.ack_due is not None and inc.ack_due > utc("16:52")
        # the timeline: true times, every entry marked offline with its upload time
        assert [e.action for e in entries] == ["create", "dispatch", "dispatch.acknowledge", "close"]
        for entry, hhmm in zip(entries, ("16:18", "16:21", "16:24", "16:40"), strict=True):
            assert near(entry.at, hhmm), (entry.action, entry.at)
            assert entry.entered_offline and not entry.clock_untrusted
            assert near(entry.received_at, "16:52", 30)
        # statistics: a 3-minute acknowledgement, an on-time closure, counted on the right day
        dept = {d.code: d for d in department_indicators(s, DAY[:7], now, township_code=QC)}[lead]
        assert dept.ack_minutes and abs(dept.ack_minutes[0] - 3.0) < 0.2, dept.ack_minutes
        assert dept.led_closed == 1 and dept.led_closed_on_time == 1
        brief = daily_briefing(s, day=date.fromisoformat(DAY), township_codes=[QC], now=now)
        assert brief.closed == 1 and brief.closed_on_time == 1

    # the desk shows the same, from the server's copy
    desk_entries = sorted(desk.timeline(incident), key=lambda e: e["at"])
    assert [e["entered_offline"] for e in desk_entries] == [True] * 4
    assert desk_entries[0]["at"].startswith(utc("16:18").isoformat()[:15])  # 08:18, not 08:52


@pytest.mark.at(f"{DAY}T09:30:00+08:00")
async def test_a_desk_with_a_wrong_clock_is_bounded_and_flagged(county):
    desk = await county.workstation("球川-甲", "qc1")
    report = await county.report("球川镇镇区主干道机动车违停，堵塞交通")
    assert await desk.sync()
    incident = new_id()
    desk.perform("report.accept", report, {"incident_id": incident})
    assert await desk.sync()
    accepted = desk.get("incident", incident)
    assert accepted and accepted["number"]

    # the server goes down; the desk is restarted with its clock two hours fast and cannot check it
    await county.server.astop()
    desk.store.clock_skew = "unknown"
    desk.store.now = lambda: utcnow() + timedelta(hours=2)  # this desk's wrong wall clock
    desk.perform("incident.note", incident, {"note": "时钟快了两小时的工作站录入"})
    # and one whose clock is two days slow, but which knew it was off (the engine measured "bad")
    desk.store.clock_skew = "bad"
    desk.store.now = lambda: utcnow() - timedelta(days=2)
    desk.perform("incident.note", incident, {"note": "时钟慢了两天的工作站录入"})
    await county.server.astart()
    assert await desk.sync()

    with county.server.state.read() as s:
        inc = s.get(Incident, incident)
        notes = {e.note: e for e in s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident,
                                                                          TimelineEntry.action == "note"))}
        fast, slow = notes["时钟快了两小时的工作站录入"], notes["时钟慢了两天的工作站录入"]
        # never later than the server received it
        assert fast.at <= fast.received_at and (fast.received_at - fast.at).total_seconds() < 5
        assert fast.clock_untrusted
        # never earlier than the incident's previous act (the note before it)
        assert slow.at >= fast.at and slow.clock_untrusted
        assert inc.occurred_at is not None and inc.occurred_at >= fast.at
