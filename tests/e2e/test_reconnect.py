"""Noticing the line is back (issue 20): while the server cannot be reached the engine probes it cheaply
and syncs as soon as it answers, however long its back-off has grown; a server that answers with errors
still gets the back-off, not a probe a second."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.conftest import new_id, wait_until

pytestmark = pytest.mark.asyncio

LONG = {"backoff_start": 300.0, "backoff_cap": 600.0}  # without probing, no retry within the test


async def test_a_desk_with_a_long_back_off_syncs_as_soon_as_the_server_answers(county):
    rep = await county.report("球川镇第1处违停，车辆堵塞路口")
    desk = await county.workstation("球川-甲", "qc1", **LONG)
    desk.engine.start()
    await wait_until(lambda: desk.get("report", rep), 10, "report on the desk")
    await county.server.astop()
    await wait_until(lambda: not desk.engine.status.online, 15, "desk sees offline")
    inc = new_id()
    desk.perform("report.accept", rep, {"incident_id": inc})
    await asyncio.sleep(1.0)  # failed rounds: the back-off would now be 300 s × jitter
    assert desk.store.pending_count() == 1
    await county.server.astart()
    await wait_until(lambda: desk.store.pending_count() == 0, 20, "outbox sent after the server came back")
    await wait_until(lambda: (desk.get("incident", inc) or {}).get("number"), 10, "server's number on the desk")
    await wait_until(lambda: desk.engine.status.online, 10, "the status bar says online")


class Failing(httpx.AsyncBaseTransport):
    """The server answers, but with 503 to everything while ``failing``; counts requests but the event stream's."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failing = False
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failing:
            return await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/sync/events"):  # the event stream has its own back-off
            self.requests += 1
        return httpx.Response(503, json={"detail": {"code": "unavailable", "message": "维护中"}}, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_server_answering_with_errors_keeps_the_back_off(county):
    transport = Failing()
    desk = await county.workstation("球川-甲", "qc1", transport=transport, **LONG)
    transport.failing = True
    desk.engine.start()
    await wait_until(lambda: desk.engine.status.last_error, 10, "the failure is shown")
    await asyncio.sleep(3.0)
    # the first round failed with 503: no probe a second, the back-off holds
    assert transport.requests <= 2, transport.requests
    assert not desk.engine.status.online
