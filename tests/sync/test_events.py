"""Failure scenario 15 (docs/sync-protocol.md): lost or duplicated notifications, over a real uvicorn server on loopback (SSE needs streaming)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import pytest
import uvicorn

from commandroom.server import events
from tests.sync.helpers import make_client, make_server

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serve(server):
    port = free_port()
    config = uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=1)
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        try:
            await asyncio.wait_for(task, 10)
        except TimeoutError:
            uv.force_exit = True


async def wait_for(pred, timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if pred():
            return time.perf_counter() - t0
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {timeout}s")


async def real_client(server, tmp_path, name, user, url, **kw):
    c = await make_client(server, tmp_path, name, user, login=False)
    from commandroom.sync.engine import SyncEngine

    await c.engine.aclose()
    c.engine = SyncEngine(c.store, url, device_name=name, backoff_start=0.05, backoff_cap=0.5, **kw)
    await c.engine.login(user, "correct horse 1")
    return c


async def test_s15_pokes_and_lost_duplicated_or_dead_notifications(db_url, tmp_path):
    server = make_server(db_url, tmp_path, heartbeat=0.3)
    async with serve(server) as url:
        a = await real_client(server, tmp_path, "a", "a1", url, pull_interval=1.5, heartbeat_timeout=1.0)
        b = await real_client(server, tmp_path, "b", "a2", url)
        a.engine.start()
        await wait_for(lambda: a.engine.sse_connects >= 1, 5)
        await asyncio.sleep(0.3)
        # a poke brings B's new card to A well before A's 1.5 s safety-net pull
        cid = b.create_card("poked")
        assert await b.engine.sync_once()
        took = await wait_for(lambda: cid in a.cards(), 5)
        assert took < 1.2, took
        # every poke lost: the periodic pull still brings the data
        broker = events.broker_of(server.state)
        real_publish = broker.publish
        broker.publish = lambda heads, epoch=None: None
        lost = b.create_card("poke lost")
        assert await b.engine.sync_once()
        await wait_for(lambda: lost in a.cards(), 5)
        # duplicated pokes are harmless
        broker.publish = lambda heads, epoch=None: (real_publish(heads, epoch), real_publish(heads, epoch))
        dup = b.create_card("poked twice")
        assert await b.engine.sync_once()
        await wait_for(lambda: dup in a.cards(), 5)
        broker.publish = real_publish
        # a silently dead connection (no bytes, no FIN): A notices the missing heartbeats and reconnects
        from commandroom.server import sync_api

        real_sse = sync_api._sse
        sync_api._sse = lambda event, data: b""  # the stream stays open but nothing arrives any more
        before = a.engine.sse_connects
        await wait_for(lambda: a.engine.sse_connects >= before + 2, 10)
        sync_api._sse = real_sse
        late = b.create_card("after reconnects")
        assert await b.engine.sync_once()
        await wait_for(lambda: late in a.cards(), 5)
        assert a.engine.status.online and a.store.pending_count() == 0
        await asyncio.wait_for(a.close(), 10)
        await asyncio.wait_for(b.close(), 10)
    server.state.close()


async def test_revoked_device_loses_its_event_stream(db_url, tmp_path):
    from sqlalchemy import update

    from commandroom.domain.models import DeviceToken

    server = make_server(db_url, tmp_path, heartbeat=0.2)
    async with serve(server) as url:
        a = await real_client(server, tmp_path, "a", "a1", url, heartbeat_timeout=1.0)
        a.engine.start()
        await wait_for(lambda: a.engine.sse_connects >= 1, 5)
        with server.state.transaction() as s:
            s.execute(update(DeviceToken).values(revoked=True))
        await wait_for(lambda: not a.engine.status.signed_in, 5)
        a.create_card("after revocation")
        await asyncio.sleep(0.5)
        assert a.store.pending_count() == 1
        await asyncio.wait_for(a.close(), 10)
    server.state.close()
