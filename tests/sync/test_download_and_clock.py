"""Cancelling a long download (the officer's 取消) and measuring the workstation's clock against the server's.

Cancel: the pull stops between pages at consistent cursors, the outbox is untouched and pushes go
on, and the next sync continues from the cursors (not from 0). Clock: every answer's ``Date``
gives an offset sample (half the round trip accounted for); from 60 s the status warns and the
store stamps with server-corrected time; merges never read it (scenario 9 in tests/e2e).
"""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import httpx
import orjson
import pytest
from sqlalchemy import select

from commandroom.domain.models import ChangeLog, OutboxEntry
from commandroom.sync.clock import ClockEstimator, server_epoch, skew_level
from commandroom.sync.status import SyncStatus, skew_text
from commandroom.timeutil import utcnow
from tests.sync.helpers import T1, client_rows, make_client, server_rows

# --------------------------------------------------------------------------- cancelling a download


def assert_converged(server, *clients) -> None:
    srv = server_rows(server, T1)
    for c in clients:
        assert client_rows(c) == srv, c.name


def _record_pulls(client) -> list[dict[str, int]]:
    """The ``cursors`` of every pull the client sends from now on."""
    seen: list[dict[str, int]] = []
    inner = client.transport.handle_async_request

    async def recording(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sync/pull"):
            seen.append(orjson.loads(request.url.params["cursors"]))
        return await inner(request)

    client.transport.handle_async_request = recording
    return seen


def _outbox(client) -> list[tuple[str, int, str]]:
    with client.store.read() as s:
        return [(e.mutation_id, e.local_seq, e.state)
                for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq))]


def _cards_up_to(server, seq: int) -> set[str]:
    """Ids of the cards the server had logged at or below ``seq`` (what a cursor at ``seq`` covers)."""
    with server.state.read() as s:
        return set(s.scalars(select(ChangeLog.entity_id).where(
            ChangeLog.entity_type == "task_card", ChangeLog.seq <= seq)))


@pytest.mark.asyncio
async def test_cancel_stops_between_pages_keeps_the_outbox_and_the_next_sync_continues(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    for i in range(40):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()
    # the pause after a cancel lasts pull_interval: long enough for the checks made within it on a loaded machine
    b = await make_client(server, tmp_path, "b", "a2", page_size=5, pull_interval=2.0)
    own = b.create_card("乙的卡片")  # pushed before the download starts, acknowledged, kept
    progress: list[tuple[int, int]] = []
    b.engine.on_progress(lambda done, total: progress.append((done, total)))

    round_ = asyncio.create_task(b.engine.sync_once())
    while len(progress) < 3:
        await asyncio.sleep(0.001)
    assert b.engine.downloading
    before = _outbox(b)
    assert b.engine.cancel_download()
    assert await round_  # the round itself went fine: the push went, the download stopped
    st = b.engine.status
    assert st.download_paused_until is not None and not st.syncing and st.online and not st.last_error
    assert "下载已取消" in st.label()
    assert not b.engine.downloading and not b.engine.cancel_download()  # nothing left to cancel
    assert _outbox(b) == before and [s for _m, _l, s in before] == ["acked"]

    # the pages that arrived are there with their cursor, and nothing beyond it (but our own card)
    cursor = b.store.cursors()[f"township:{T1}"]
    have = set(b.cards())
    assert 1 < len(have) < 41
    assert have == _cards_up_to(server, cursor) | {own}

    # paused: a sync sends new work but does not download
    pulls = _record_pulls(b)
    late = b.create_card("暂停期间新建")
    assert await b.engine.sync_once()
    assert b.store.pending_count() == 0 and pulls == []
    assert set(b.cards()) == have | {late}

    # the next periodic sync (pull_interval after the cancel) continues from the cursor
    paused_until = b.engine._pull_paused_until
    assert paused_until is not None and paused_until > time.monotonic(), "the checks above outlasted the pause"
    await asyncio.sleep(paused_until - time.monotonic() + 0.05)
    assert await b.engine.sync_once()
    assert pulls and pulls[0][f"township:{T1}"] == cursor
    assert b.engine.status.download_paused_until is None
    assert len(b.cards()) == 42 and own in b.cards()
    assert progress == sorted(progress)  # the bar goes on from where it stopped, not from 0
    assert await a.engine.sync_once()
    assert_converged(server, a, b)
    await a.close()
    await b.close()


@pytest.mark.asyncio
async def test_cancel_interrupts_a_page_in_flight_and_resume_downloads_at_once(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    for i in range(30):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()
    b = await make_client(server, tmp_path, "b", "a2", page_size=5, pull_interval=60.0)
    progress: list[tuple[int, int]] = []
    b.engine.on_progress(lambda done, total: progress.append((done, total)))
    round_ = asyncio.create_task(b.engine.sync_once())
    while not progress:
        await asyncio.sleep(0.001)
    b.transport.mode, b.transport.slow_seconds = "slow", 60.0  # the next page takes a minute to come
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    assert b.engine.cancel_download()
    assert await round_
    assert time.perf_counter() - t0 < 30  # did not wait for the slow page (however loaded the machine)
    b.transport.calm()
    cursor = b.store.cursors()[f"township:{T1}"]
    assert set(b.cards()) == _cards_up_to(server, cursor) and len(b.cards()) < 30

    # 继续下载: at once, from the cursor, whatever the pause said
    pulls = _record_pulls(b)
    b.engine.resume_download()
    assert b.engine.status.download_paused_until is None
    assert await b.engine.sync_once()
    assert pulls[0][f"township:{T1}"] == cursor and len(b.cards()) == 30
    assert_converged(server, b)
    await a.close()
    await b.close()


@pytest.mark.asyncio
async def test_the_background_loop_resumes_a_cancelled_download_by_itself(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    for i in range(30):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()
    b = await make_client(server, tmp_path, "b", "a2", page_size=5, pull_interval=0.4)
    cancelled: list[bool] = []

    def on_progress(done: int, total: int) -> None:
        if not cancelled:
            cancelled.append(b.engine.cancel_download())

    b.engine.on_progress(on_progress)
    b.engine.start()
    deadline = time.monotonic() + 30  # only ends a failing wait: ample for a loaded machine
    while len(b.cards()) < 30:
        assert time.monotonic() < deadline, "the loop did not resume the download"
        await asyncio.sleep(0.02)
    assert cancelled == [True]
    assert b.engine.status.download_paused_until is None
    await a.close()
    await b.close()


# --------------------------------------------------------------------------- the clock


def test_estimator_takes_half_the_round_trip_and_prefers_quick_answers():
    est = ClockEstimator()
    assert est.offset is None
    # local clock 10 s behind; the server read its clock 0.2 s into a 0.4 s round trip
    sent = 1_000_000.0
    assert est.add(server_time=float(int(sent + 10 + 0.2)), sent_at=sent, round_trip=0.4) == pytest.approx(10, abs=0.6)
    # a slow answer (8 s) says little: the quick sample keeps deciding
    assert est.add(server_time=float(int(sent + 30 + 10 + 1)), sent_at=sent + 30, round_trip=8.0) \
        == pytest.approx(10, abs=0.6)
    # the local clock was set right: the new samples disagree with everything before: start over
    assert est.add(server_time=float(int(sent + 60 + 0.1)), sent_at=sent + 60, round_trip=0.2) \
        == pytest.approx(0, abs=0.6)


def test_date_header_thresholds_and_words():
    assert server_epoch({"date": "Thu, 26 Nov 2026 02:03:04 GMT"}) == 1795658584.0
    assert server_epoch({}) is None and server_epoch({"date": "yesterday"}) is None
    assert [skew_level(x) for x in (None, 0, 59, -60, 299, -300, 86400)] == ["", "", "", "warn", "warn", "bad", "bad"]
    assert [skew_text(x) for x in (90, -600, 3 * 3600, 2 * 86400)] == ["90 秒", "10 分钟", "3 小时", "2 天"]
    assert SyncStatus(clock_offset=45).clock_correction == 0.0  # below the warning the machine's clock is used
    st = SyncStatus(online=True, clock_offset=-420)
    assert st.clock_skew == "bad" and st.clock_correction == -420.0 and "本机时钟偏差 7 分钟" in st.label()


class ServerClock(httpx.AsyncBaseTransport):
    """Stamps every answer with a ``Date`` of a server clock ``skew`` seconds off this machine's,
    optionally after ``delay`` seconds of network (ASGI answers carry no Date of their own)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.skew = 0.0
        self.delay = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        stamp = time.time() + self.skew
        if self.delay:
            await asyncio.sleep(self.delay)
        response.headers["date"] = formatdate(stamp, usegmt=True)
        return response


@pytest.mark.asyncio
async def test_engine_measures_the_offset_and_the_store_follows_the_server_clock(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    clock = ServerClock(a.transport)
    a.engine.client._transport = clock  # every request of this engine goes through it
    assert await a.engine.sync_once()
    st = a.engine.status
    assert st.clock_offset is not None and abs(st.clock_offset) <= 1 and st.clock_skew == ""
    assert a.store.clock_offset == 0.0

    clock.skew = 600.0  # the server is 10 minutes ahead: this machine's clock is behind
    a.create_card("x")
    assert await a.engine.sync_once()
    st = a.engine.status
    assert abs(st.clock_offset - 600) <= 1 and st.clock_skew == "bad"
    assert a.store.clock_offset == st.clock_offset
    assert abs((a.store.now() - utcnow()).total_seconds() - 600) <= 2
    # work done now is stamped by the server's clock, as the server itself will stamp it
    card = a.create_card("校正后")
    with a.store.read() as s:
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.entity_id == card))
        assert abs((entry.created_local_ts - utcnow()).total_seconds() - 600) <= 2

    # a slow answer does not move the estimate by its round trip
    clock.delay = 1.5
    assert await a.engine.sync_once()
    assert abs(a.engine.status.clock_offset - 600) <= 1
    clock.delay = 0.0

    clock.skew = 90.0  # someone set the clock (almost) right: the estimate follows at once
    assert await a.engine.sync_once()
    assert abs(a.engine.status.clock_offset - 90) <= 1 and a.engine.status.clock_skew == "warn"
    clock.skew = 0.0
    assert await a.engine.sync_once()
    assert a.engine.status.clock_skew == "" and a.store.clock_offset == 0.0
    await a.close()


# --------------------------------------------------------------------------- an unexpected error in one round


@pytest.mark.asyncio
async def test_an_unexpected_error_ends_the_round_not_the_background_loop(server, tmp_path, monkeypatch):
    a = await make_client(server, tmp_path, "a", "a1", backoff_cap=0.2)
    real = a.store.pending_batch
    failures = []

    def broken_once(*args, **kw):
        if not failures:
            failures.append(1)
            raise RuntimeError("disk I/O error (injected)")
        return real(*args, **kw)

    monkeypatch.setattr(a.store, "pending_batch", broken_once)
    card = a.create_card("出错之后")
    seen: list[SyncStatus] = []
    a.engine.on_status(seen.append)
    a.engine.start()
    deadline = time.monotonic() + 10
    while a.store.pending_count():
        assert time.monotonic() < deadline, f"the loop stopped: {a.engine.status}"
        await asyncio.sleep(0.02)
    assert failures == [1]
    assert any("同步出错" in s.last_error and "disk I/O" in s.last_error and not s.syncing for s in seen)
    while a.engine.status.syncing:  # the round that sent the card goes on to pull (longer on a busy machine)
        assert time.monotonic() < deadline, f"the round did not end: {a.engine.status}"
        await asyncio.sleep(0.02)
    assert not a.engine.status.last_error
    assert card in server_rows(server, T1)["task_card"]
    await a.close()
