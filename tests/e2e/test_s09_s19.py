"""Failure scenarios (docs/sync-protocol.md) 9 (clock skew never changes a merge) and 19 (a stale or replayed pull page is ignored),
end to end with the real mutations over real HTTP."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from commandroom.domain.models import ConflictRecord, Dispatch, Incident, TimelineEntry
from commandroom.store import local as local_module
from commandroom.timeutil import utcnow
from tests.e2e.conftest import new_id, server_township_rows, township_rows

pytestmark = pytest.mark.asyncio

# --------------------------------------------------------------------------- scenario 9: clock skew


class SkewedClock:
    """The workstations' clock (what ``DeskStore`` stamps mutations with): real time + an offset, or
    a clock stuck near 1970 that still ticks."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.epoch_1970: datetime | None = None
        self._t0 = utcnow()

    def set(self, label: str) -> None:
        self.epoch_1970 = None
        self.offset = timedelta(0)
        if label == "1970":
            self.epoch_1970 = datetime(1970, 1, 1, 0, 0, 1)
            self._t0 = utcnow()
        else:
            self.offset = SKEWS[label]

    def __call__(self) -> datetime:
        now = utcnow()
        if self.epoch_1970 is not None:
            return self.epoch_1970 + (now - self._t0)
        return now + self.offset


SKEWS = {"none": timedelta(0), "+10min": timedelta(minutes=10), "-10min": timedelta(minutes=-10),
         "+1day": timedelta(days=1), "-1day": timedelta(days=-1), "1970": timedelta(0)}


async def _round(county, a, b, clock: SkewedClock, label: str) -> dict[str, Any]:
    """One conflict scenario with both desks' clocks at ``label``; the server's merge result, normalized."""
    clock.set(label)
    report = await county.report(f"球川镇违停（时钟 {label}）")
    assert await a.sync()
    inc, d_b = new_id(), new_id()
    a.perform("report.accept", report, {"incident_id": inc})
    assert await a.sync() and await b.sync()
    first = {ws.name: len(ws.store.outbox()) for ws in (a, b)}
    # both desks work on the same incident before either syncs
    a.perform("incident.update", inc, {"title": "甲改的标题", "urgency": "L2"})
    b.perform("incident.update", inc, {"title": "乙改的标题"})
    b.perform("incident.dispatch", inc, {"target_kind": "team", "target_code": "QC", "dispatch_id": d_b})
    a.perform("incident.note", inc, {"note": "甲的进展"})
    a.perform("incident.close", inc, {"note": "甲办结"})
    b.perform("incident.close", inc, {"note": "乙办结"})
    b.perform("incident.note", inc, {"note": "乙的进展"})
    assert await b.sync()  # B arrives first this time
    assert await a.sync()
    assert await b.sync()
    server = server_township_rows(county.server, tables=("incident", "timeline_entry", "dispatch",
                                                          "conflict_record"))
    assert township_rows(a, tables=server) == server and township_rows(b, tables=server) == server
    with county.server.state.read() as s:
        i = s.get(Incident, inc)
        incident = {k: getattr(i, k) for k in ("state", "title", "urgency", "lifecycle_epoch", "report_count",
                                               "assignee_kind", "assignee_code", "needs_review")}
        timeline = [(e.action, e.actor_name, re.sub(r"QC-R-\d{4}-\d{6}", "<report>", e.note), e.from_state,
                     e.to_state) for e in s.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == inc).order_by(TimelineEntry.row_version))]
        dispatches = [(d.target_code, d.state) for d in s.scalars(select(Dispatch).where(Dispatch.incident_id == inc))]
        conflicts = [(c.field, c.kept_value, c.lost_value, c.rule, c.by_user_name) for c in s.scalars(
            select(ConflictRecord).where(ConflictRecord.entity_id == inc).order_by(ConflictRecord.row_version))]
        closed_ok = i.closed_at is not None and abs((i.closed_at - utcnow()).total_seconds()) < 120
    results = {ws.name: [(e.name, e.state, (e.server_result or {}).get("status"), (e.server_result or {}).get("code"),
                          (e.server_result or {}).get("conflicts"), bool((e.server_result or {}).get("explanation")))
                         for e in ws.store.outbox()[first[ws.name]:]] for ws in (a, b)}
    # the server's clock, not the desks', stamps what it keeps
    assert closed_ok, i.closed_at
    return {"incident": incident, "timeline": timeline, "dispatches": dispatches, "conflicts": conflicts,
            "results": results}


async def test_s09_clock_skew_never_changes_merge_results(county, monkeypatch):
    clock = SkewedClock()
    monkeypatch.setattr(local_module, "utcnow", clock)
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    baseline = await _round(county, a, b, clock, "none")
    # the expected merge, spelled out once: B's title first then A's (last writer), B's close first,
    # A's close merged (its words kept as a note), B's dispatch applied before the close
    assert baseline["incident"]["state"] == "closed" and baseline["incident"]["title"] == "甲改的标题"
    assert [t[0] for t in baseline["timeline"]] == ["create", "update", "dispatch", "close", "note", "update",
                                                    "note", "note"]
    assert baseline["timeline"][-1][2] == "甲办结"  # A's merged close keeps its note
    assert baseline["conflicts"] == [("title", "甲改的标题", "乙改的标题", "last_writer_wins", "球川值班甲")]
    assert [r[2] for r in baseline["results"]["球川-甲"]] == ["applied", "applied", "merged"]
    assert [r[2] for r in baseline["results"]["球川-乙"]] == ["applied", "applied", "applied", "applied"]
    for label in ("+10min", "-10min", "+1day", "-1day", "1970"):
        got = await _round(county, a, b, clock, label)
        assert got == baseline, label
    # the skewed desks stamped their outbox entries with their own clock; the server did not use it
    stamps = [e.created_local_ts for e in a.store.outbox()]
    assert min(stamps).year == 1970


# --------------------------------------------------------------------------- scenario 19: stale pull pages


class ReplayingTransport(httpx.AsyncBaseTransport):
    """Real HTTP; keeps every pull answer and can serve an old one instead (a stale proxy or cache)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.pulls: list[bytes] = []
        self.replay: bytes | None = None
        self.replay_times = 0
        self.replayed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        is_pull = request.url.path.endswith("/api/v1/sync/pull")
        if is_pull and self.replay is not None and self.replay_times > 0:
            self.replay_times -= 1
            self.replayed += 1
            return httpx.Response(200, headers={"content-type": "application/json"}, content=self.replay,
                                  request=request)
        response = await self.inner.handle_async_request(request)
        if not is_pull or response.status_code != 200:
            return response
        content = await response.aread()
        self.pulls.append(content)
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_s19_a_stale_or_replayed_pull_page_is_ignored(county):
    proxy = ReplayingTransport()
    a = await county.workstation("球川-甲", "qc1", transport=proxy)
    report = await county.report("球川镇车站违停")
    n = len(proxy.pulls)
    assert await a.sync()
    old = next(orjson.loads(p) for p in proxy.pulls[n:] if orjson.loads(p)["changes"])
    assert any(c["entity_id"] == report for c in old["changes"])
    inc = new_id()
    a.perform("report.accept", report, {"incident_id": inc})
    assert await a.sync()
    a.perform("incident.note", inc, {"note": "已处理"})
    assert await a.sync()
    cursors = a.store.cursors()
    before = township_rows(a)
    assert before["report"][report]["state"] == "accepted"

    # a proxy serves the old page once: ignored, the engine asks again and gets the real one
    proxy.replay, proxy.replay_times = orjson.dumps(old), 1
    assert await a.sync()
    assert proxy.replayed == 1 and a.engine.stats["stale_pages"] == 1
    assert a.store.cursors() == cursors and township_rows(a) == before

    # a proxy that only ever serves the old page: the round fails visibly, nothing goes backwards
    proxy.replay_times = 50
    assert not await a.sync()
    assert "out-of-date" in a.engine.status.last_error and not a.engine.status.online
    assert a.store.cursors() == cursors and township_rows(a) == before
    proxy.replay_times = 0
    assert await a.sync() and a.engine.status.online

    # the same old changes under the current cursors (a replay that claims to be current): every
    # change at or below a cursor is skipped, cursors never go down
    forged = copy.deepcopy(old)
    forged["since"] = dict(cursors)
    forged["cursors"] = {b: min(old["cursors"].values()) for b in cursors}
    assert a.store.apply_page(forged) is not None
    assert a.store.cursors() == cursors and township_rows(a) == before
    assert township_rows(a) == server_township_rows(county.server)
