"""The fixed failure scenarios of docs/sync-protocol.md, each a named test, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from commandroom.domain.models import (
    ConflictRecord,
    DeviceToken,
    OutboxEntry,
    ProcessedMutation,
    SyncCursor,
    TaskCard,
    TimelineEntry,
)
from commandroom.ids import new_id
from commandroom.mutations.core import Actor
from commandroom.server import sync_api
from commandroom.server.pipeline import execute
from commandroom.store.local import DeskStore
from tests.sync.helpers import (
    T1,
    board_of,
    client_rows,
    make_client,
    make_server,
    quiesce,
    reopen,
    server_rows,
)

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]


def server_count(server, model, *where):
    with server.state.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def assert_converged(server, *clients):
    srv = server_rows(server, T1)
    for c in clients:
        mine = client_rows(c)
        if mine != srv:
            diff = {(t, i, k): (mine.get(t, {}).get(i, {}).get(k), v)
                    for t, rows in srv.items() for i, row in rows.items() for k, v in row.items()
                    if mine.get(t, {}).get(i, {}).get(k) != v}
            extra = {(t, i) for t, rows in mine.items() for i in rows if i not in srv.get(t, {})}
            raise AssertionError(f"{c.name} differs from the server: (client, server) {diff}; extra {extra}")


# --------------------------------------------------------------------------- 1. kill during pull apply


async def test_s01_kill_during_pull_apply(server, tmp_path, monkeypatch):
    """A crash between writing the rows and writing the cursor (or inside the page) leaves neither."""
    a = await make_client(server, tmp_path, "a", "a1")
    b = await make_client(server, tmp_path, "b", "a2", page_size=5)
    for i in range(12):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()

    from commandroom.store import local as local_mod

    real_write = local_mod.DeskStore._write_changes
    calls = {"n": 0}

    def crashing_write(session, changes):
        real_write(session, changes)
        calls["n"] += 1
        if calls["n"] == 2:  # second page: rows written, cursor not yet
            raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(local_mod.DeskStore, "_write_changes", staticmethod(crashing_write))
    with pytest.raises(KeyboardInterrupt):
        await b.engine.pull_once()
    monkeypatch.setattr(local_mod.DeskStore, "_write_changes", staticmethod(real_write))
    cursors = b.store.cursors()
    assert len(b.cards()) == 4  # only the first page (the cards' board and four cards), with its cursor
    b = await reopen(b, server, page_size=5)
    assert b.store.cursors() == cursors
    assert await b.engine.sync_once()
    assert len(b.cards()) == 12
    assert_converged(server, a, b)
    await a.close()
    await b.close()


async def test_s01_hard_kill_in_a_subprocess_mid_page(server, tmp_path):
    """The same with a real process death (os._exit) inside the page transaction."""
    a = await make_client(server, tmp_path, "a", "a1")
    for i in range(30):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()
    b = await make_client(server, tmp_path, "b", "a2")
    _, page = sync_api.pull_page(server.state, _principal(server, "a2"), {f"module:{board_of(T1)}": 0}, 500)
    Path(tmp_path / "page.json").write_bytes(page)
    script = textwrap.dedent(f"""
        import os, orjson
        from commandroom.sync import apply as rows_io
        from commandroom.store.local import DeskStore
        store = DeskStore({str(b.path)!r})
        page = orjson.loads(open({str(tmp_path / 'page.json')!r}, 'rb').read())
        real = rows_io.upsert_rows
        def dying(session, etype, rows):
            real(session, etype, list(rows)[:10])
            os._exit(3)
        rows_io.upsert_rows = dying
        store.apply_page(page)
    """)
    await b.engine.aclose()
    b.store.close()
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out.stderr
    b = await reopen(b, server)
    assert b.cards() == {} and b.store.cursors() == {}
    assert await b.engine.sync_once()
    assert len(b.cards()) == 30
    await a.close()
    await b.close()


def _principal(server, username):
    from commandroom.server.auth import principal_for

    with server.state.read() as s:
        from commandroom.domain.models import User

        user = s.scalar(select(User).where(User.username == username))
        token = DeviceToken(id="t", user_id=user.id, device_id="d", device_name="", access_hash="",
                            refresh_hash="", access_expires_at=user.created_at, refresh_expires_at=user.created_at)
        return principal_for(s, user, token)


# --------------------------------------------------------------------------- 2. kill during local write


async def test_s02_kill_during_local_write(server, tmp_path, monkeypatch):
    """Domain row and outbox entry are written together or not at all; the queue does not jam."""
    a = await make_client(server, tmp_path, "a", "a1")
    cid = a.create_card("first")

    def boom(session, actor):
        raise KeyboardInterrupt("killed between the domain insert and the commit")

    monkeypatch.setattr(DeskStore, "_remember_actor", staticmethod(boom))
    with pytest.raises(KeyboardInterrupt):
        a.create_card("lost")
    monkeypatch.undo()
    assert set(a.cards()) == {cid}
    assert [e.local_seq for e in a.store.outbox()] == [1]
    # a real process death in the middle of perform
    script = textwrap.dedent(f"""
        import os
        from commandroom.store.local import DeskStore
        from commandroom.mutations.core import Actor
        import tests.sync.helpers
        store = DeskStore({str(a.path)!r})
        def die(session, actor):
            os._exit(4)
        DeskStore._remember_actor = staticmethod(die)
        store.perform(Actor(user_id="u", name="x", role="duty_officer"), "test.card.create", "dead-card-0001",
                      {{"township_code": "{T1}", "title": "never"}})
    """)
    await a.engine.aclose()
    a.store.close()
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 4, out.stderr
    a = await reopen(a, server)
    assert set(a.cards()) == {cid}
    a.create_card("second")
    assert await a.engine.sync_once()
    assert a.store.pending_count() == 0
    assert server_count(server, TaskCard) == 2
    await a.close()


# --------------------------------------------------------------------------- 3. kill after server commit


async def test_s03_kill_after_server_commit_before_ack(server, tmp_path):
    """The ack is lost, the workstation restarts and re-sends: same result, no duplicate."""
    a = await make_client(server, tmp_path, "a", "a1")
    cid = a.create_card("x")
    assert await a.engine.sync_once()
    a.perform("test.card.note", cid, {"text": "only once"})
    a.perform("test.card.bump", cid, {"by": 3})
    a.transport.mode = "no_acks"
    assert not await a.engine.sync_once()
    assert a.store.pending_count() == 2
    assert server_count(server, TimelineEntry) == 1  # the server did commit
    a = await reopen(a, server)
    a.transport.calm()
    assert await a.engine.sync_once()
    assert a.store.pending_count() == 0
    results = [e.server_result for e in a.store.outbox() if e.name != "test.card.create"]
    assert all(r["duplicate"] and r["status"] == "applied" for r in results)
    assert server_count(server, TimelineEntry) == 1
    with server.state.read() as s:
        assert s.get(TaskCard, cid).position == 3
    assert_converged(server, a)
    await a.close()


# --------------------------------------------------------------------------- 4. duplicate / concurrent push


async def test_s04_duplicate_and_concurrent_push_from_the_engine(server, tmp_path):
    """Every push is delivered twice, concurrently; effects happen once, results are the same."""
    a = await make_client(server, tmp_path, "a", "a1")
    cid = a.create_card("x")
    for i in range(5):
        a.perform("test.card.bump", cid, {"by": 1})
        a.perform("test.card.note", cid, {"text": f"n{i}"})
    a.transport.set(duplicate=1.0)
    assert await a.engine.sync_once()
    a.transport.calm()
    with server.state.read() as s:
        assert s.get(TaskCard, cid).position == 5
    assert server_count(server, TimelineEntry) == 5
    assert server_count(server, ProcessedMutation) == 11
    assert_converged(server, a)
    await a.close()


# --------------------------------------------------------------------------- 5. reordered / gapped push


async def test_s05_reordered_and_held_pushes(server, tmp_path):
    """Old copies of pushes arrive late and out of order; a gap is answered with ``expected``."""
    a = await make_client(server, tmp_path, "a", "a1", batch_size=1)
    cid = a.create_card("x")
    for _ in range(6):
        a.perform("test.card.bump", cid, {"by": 2})
    a.transport.set(hold=0.7, release=0.5, drop_response=0.3)
    for _ in range(10):
        await a.engine.sync_once()
    await quiesce(server, [a])
    with server.state.read() as s:
        assert s.get(TaskCard, cid).position == 12
    assert a.store.pending_count() == 0
    # a true gap: the server lost local_seq k (its journal entry says acked) → resent in a new incarnation
    from commandroom.domain.models import DeviceCursor

    a.perform("test.card.bump", cid, {"by": 100})
    with server.state.transaction() as s:
        s.execute(update(DeviceCursor).values(last_local_seq=DeviceCursor.last_local_seq - 2))
        # forget the last two processed mutations, as a restore without a new epoch would
        last_two = list(s.scalars(select(ProcessedMutation).order_by(ProcessedMutation.local_seq.desc()).limit(2)))
        for pm in last_two:
            s.delete(pm)
    assert await a.engine.sync_once()
    assert a.engine.stats["new_incarnations"] >= 1
    with server.state.read() as s:
        # the two forgotten bumps were re-applied (they were lost), then the new one
        assert s.get(TaskCard, cid).position == 12 + 4 + 100
    await a.close()


# --------------------------------------------------------------------------- 6. out-of-order server commits


async def test_s06_out_of_order_commits_are_not_skipped(server, tmp_path):
    """A takes seq n and sleeps; B commits after it; a puller must never skip A's change."""
    a = await make_client(server, tmp_path, "a", "a1")
    a.create_card("base")
    assert await a.engine.sync_once()
    puller = await make_client(server, tmp_path, "p", "a2")
    assert await puller.engine.sync_once()
    actor = Actor(user_id=None, name="sys", role="admin", scope_kind="county")
    a_in = threading.Event()
    a_go = threading.Event()
    errors = []

    def txn(title, hold):
        try:
            with server.state.transaction() as s:
                execute(s, actor=actor, allowed_townships=None, name="test.card.create", entity_id=new_id(),
                        args={"township_code": T1, "title": title})
                if hold:
                    a_in.set()
                    a_go.wait(10)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    ta = threading.Thread(target=txn, args=("A", True))
    ta.start()
    assert a_in.wait(10)
    tb = threading.Thread(target=txn, args=("B", False))
    tb.start()
    await asyncio.sleep(0.3)  # B is blocked on the counter row (PostgreSQL) or the write lock (SQLite)
    assert await puller.engine.sync_once()
    titles = {c["title"] for c in puller.cards().values()}
    assert "B" not in titles or "A" in titles
    a_go.set()
    await asyncio.to_thread(ta.join)
    await asyncio.to_thread(tb.join)
    assert not errors
    assert await puller.engine.sync_once()
    assert {c["title"] for c in puller.cards().values()} == {"base", "A", "B"}
    await a.close()
    await puller.close()


# --------------------------------------------------------------------------- 7. server restore from backup


async def _snapshot(server, db_url, tmp_path):
    """Copy the server database aside; returns (snapshot, server) — PostgreSQL needs a restart for it."""
    if db_url.startswith("sqlite"):
        src = Path(db_url.split("///", 1)[1])
        dst = tmp_path / "snapshot.db"
        import contextlib
        import sqlite3

        # closed here: a sqlite3 connection is in a reference cycle, so it would stay open on the server's file
        # until a garbage collection happened to come, and the restore below replaces that file and its WAL
        with contextlib.closing(sqlite3.connect(src)) as s_conn, contextlib.closing(sqlite3.connect(dst)) as d_conn:
            s_conn.backup(d_conn)  # an online backup: a consistent snapshot, WAL included
        return dst, server
    from tests.conftest import PG_ADMIN_URL

    name = db_url.rsplit("/", 1)[1]
    snap = f"{name}_snap"
    await server.stop()
    server.state.close()
    _pg_admin(PG_ADMIN_URL, f'CREATE DATABASE "{snap}" TEMPLATE "{name}"', name)
    srv = make_server(db_url, tmp_path, seed=False)
    srv.users = server.users
    await srv.start()
    return snap, srv


def _pg_admin(admin_url, sql, kick=None):
    from sqlalchemy import text

    from commandroom.store.db import make_engine

    engine = make_engine(admin_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if kick:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d "
                              "AND pid <> pg_backend_pid()"), {"d": kick})
        conn.execute(text(sql))
    engine.dispose()


async def _restore(server, db_url, snapshot, tmp_path):
    await server.stop()
    server.state.close()
    if db_url.startswith("sqlite"):
        dst = Path(db_url.split("///", 1)[1])
        for suffix in ("-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        shutil.copy(snapshot, dst)
    else:
        from tests.conftest import PG_ADMIN_URL

        name = db_url.rsplit("/", 1)[1]
        _pg_admin(PG_ADMIN_URL, f'DROP DATABASE "{name}" WITH (FORCE)')
        _pg_admin(PG_ADMIN_URL, f'CREATE DATABASE "{name}" TEMPLATE "{snapshot}"', snapshot)
        _pg_admin(PG_ADMIN_URL, f'DROP DATABASE "{snapshot}" WITH (FORCE)')
    srv = make_server(db_url, tmp_path, seed=False)
    srv.users = server.users
    return srv


@pytest.mark.parametrize("runbook", [True, False], ids=["runbook", "forgotten-runbook"])
async def test_s07_server_restore_from_backup(db_url, tmp_path, runbook):
    server = make_server(db_url, tmp_path)
    await server.start()
    a = await make_client(server, tmp_path, "a", "a1")
    b = await make_client(server, tmp_path, "b", "a2")
    before = a.create_card("before the backup")
    await a.engine.sync_once()
    await b.engine.sync_once()
    snap, server = await _snapshot(server, db_url, tmp_path)
    _retarget(server, a, b)
    after_a = a.create_card("after the backup, acked")
    after_b = b.create_card("b after the backup, acked")
    a.perform("test.card.bump", before, {"by": 7})
    assert await a.engine.sync_once() and await b.engine.sync_once() and await a.engine.sync_once()
    assert all(e.state == "acked" for e in a.store.outbox())
    server = await _restore(server, db_url, snap, tmp_path)
    if runbook:
        from commandroom.server.restore import mark_restored

        with server.state.transaction() as s:
            mark_restored(s)
    await server.start()
    _retarget(server, a, b)
    with server.state.read() as s:
        assert s.get(TaskCard, after_a) is None  # lost by the restore
    for _ in range(3):
        assert await a.engine.sync_once()
        assert await b.engine.sync_once()
    assert a.engine.stats["recoveries"] == 1 and b.engine.stats["recoveries"] == 1
    with server.state.read() as s:
        assert s.get(TaskCard, after_a) is not None and s.get(TaskCard, after_b) is not None
        assert s.get(TaskCard, before).position == 7  # the bump came back exactly once
    assert_converged(server, a, b)
    await a.close()
    await b.close()
    await server.stop()
    server.state.close()


def _retarget(server, *clients):
    for c in clients:
        c.transport.inner = server.transport()


# --------------------------------------------------------------------------- 8. workstation cloned / restored


async def test_s08_workstation_cloned(server, tmp_path):
    """Copy a workstation's database (and marker) to a second machine; both go on working."""
    a = await make_client(server, tmp_path, "a", "a1")
    a.create_card("shared history")
    assert await a.engine.sync_once()
    a.create_card("pending when copied")
    await a.engine.aclose()
    a.store.close()
    for suffix in ("", ".incarnation"):
        shutil.copy(str(a.path) + suffix, str(tmp_path / "clone.db") + suffix)
    a = await reopen(a, server)
    clone = await make_client(server, tmp_path, "clone", "a1", path=tmp_path / "clone.db", login=False)
    x = a.create_card("only on the original")
    y = clone.create_card("only on the clone")
    assert clone.store.device_id == a.store.device_id
    assert await a.engine.sync_once()
    assert await clone.engine.sync_once()
    assert clone.engine.stats["new_incarnations"] == 1
    assert await a.engine.sync_once()
    with server.state.read() as s:
        assert s.get(TaskCard, x) and s.get(TaskCard, y)
    assert server_count(server, TaskCard) == 4
    assert_converged(server, a, clone)
    await a.close()
    await clone.close()


async def test_s08_workstation_restored_from_yesterdays_backup(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    a.create_card("one")
    assert await a.engine.sync_once()
    await a.engine.aclose()
    a.store.close()
    shutil.copy(a.path, tmp_path / "yesterday.db")
    a = await reopen(a, server)
    a.create_card("two")
    a.create_card("three")
    assert await a.engine.sync_once()
    await a.engine.aclose()
    a.store.close()
    shutil.copy(tmp_path / "yesterday.db", a.path)  # restore the backup (the marker stays)
    a = await reopen(a, server)
    assert a.store.incarnation_reason and "backwards" in a.store.incarnation_reason
    z = a.create_card("after the restore")
    assert await a.engine.sync_once()
    assert a.store.pending_count() == 0
    assert z in server_rows(server)["task_card"]
    assert server_count(server, TaskCard) == 4
    assert_converged(server, a)
    await a.close()


# --------------------------------------------------------------------------- 11. conflict matrix, permuted


async def test_s11_concurrent_conflict_matrix_order_permuted(server, tmp_path):
    """Three offline officers edit one card; every arrival order gives the same commutative result,
    the same-field edit is last-writer-wins by arrival, and the overwritten value is logged (I4)."""
    cs = [await make_client(server, tmp_path, f"c{i}", u) for i, u in enumerate(("a1", "a2", "a3"))]
    outcomes = []
    for order in itertools.permutations(range(3)):
        cid = cs[0].create_card("t0", body="b0")
        await cs[0].engine.sync_once()
        for c in cs[1:]:
            await c.engine.sync_once()
        cs[0].perform("test.card.set", cid, {"title": "t-A"})  # same field as c1
        cs[0].perform("test.card.bump", cid, {"by": 1})
        cs[1].perform("test.card.set", cid, {"title": "t-B", "lane": "L"})  # same + different field
        cs[1].perform("test.card.bump", cid, {"by": 10})
        cs[2].perform("test.card.set", cid, {"column": "doing"})  # a different field
        cs[2].perform("test.card.bump", cid, {"by": 100})
        cs[2].perform("test.card.note", cid, {"text": "c2"})
        for i in order:
            assert await cs[i].engine.sync_once()
        await quiesce(server, cs)
        card = server_rows(server)["task_card"][cid]
        last_title = [i for i in order if i in (0, 1)][-1]
        assert card["title"] == ("t-A", "t-B")[last_title]
        with server.state.read() as s:
            conflicts = list(s.scalars(select(ConflictRecord).where(ConflictRecord.entity_id == cid,
                                                                    ConflictRecord.field == "title")))
        assert len(conflicts) == 1 and conflicts[0].lost_value == ("t-B", "t-A")[last_title]
        outcomes.append((card["position"], card["column"], card["lane"], card["body"]))
        assert_converged(server, *cs)
    assert len(set(outcomes)) == 1 and outcomes[0] == (111.0, "doing", "L", "b0")
    for c in cs:
        await c.close()


# --------------------------------------------------------------------------- 12. long offline past retention


async def test_s12_long_offline_past_retention(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    b = await make_client(server, tmp_path, "b", "a2")
    doomed = a.create_card("will be deleted")
    keep = a.create_card("will be edited")
    assert await a.engine.sync_once() and await b.engine.sync_once()
    b.transport.mode = "down"  # b goes offline for months, with unsent work
    offline_new = b.create_card("written offline")
    b.perform("test.card.set", keep, {"body": "offline edit"})
    a.perform("test.card.delete", doomed, {})
    a.perform("test.card.set", keep, {"title": "edited online"})
    for _ in range(3):
        a.perform("test.card.bump", keep, {"by": 1})
    assert await a.engine.sync_once()
    from datetime import timedelta

    from commandroom.timeutil import utcnow

    with server.state.transaction() as s:
        deleted = sync_api.compact(s, keep_days=90, now=utcnow() + timedelta(days=120))
    assert deleted
    b.transport.calm()
    assert await b.engine.sync_once()
    assert b.engine.stats["resyncs"] >= 1
    cards = b.cards()
    assert doomed not in cards or cards[doomed]["deleted"]  # the deleted card does not come back
    assert offline_new in cards and b.store.pending_count() == 0
    with server.state.read() as s:
        assert s.get(TaskCard, offline_new) is not None
        assert s.get(TaskCard, keep).body == "offline edit"
    await a.engine.sync_once()
    assert_converged(server, a, b) if doomed not in a.cards() else None
    await a.close()
    await b.close()


# --------------------------------------------------------------------------- 13. network partitions


@pytest.mark.parametrize("mode", ["down", "no_acks", "slow", "drops"])
async def test_s13_network_partitions_resume_without_a_new_write(server, tmp_path, mode):
    a = await make_client(server, tmp_path, "a", "a1", request_timeout=0.3)
    a.transport.slow_seconds = 2.0
    cids = [a.create_card(f"c{i}") for i in range(3)]
    if mode == "drops":
        a.transport.set(drop_request=0.5, drop_response=0.5)
    else:
        a.transport.mode = mode
    a.engine.start()
    for _ in range(600):  # at least 30 s: a deadline only ends a wait that is failing anyway
        if a.engine.status.offline_since is not None:
            break
        await asyncio.sleep(0.05)
    assert a.store.pending_count() > 0 or mode == "drops"
    assert a.engine.status.offline_since is not None
    a.transport.calm()  # the link comes back; nobody writes anything
    for _ in range(600):
        if a.store.pending_count() == 0 and a.engine.status.online:
            break
        await asyncio.sleep(0.05)
    assert a.store.pending_count() == 0
    await a.engine.stop()
    assert set(cids) <= set(server_rows(server)["task_card"])
    assert server_count(server, TaskCard) == 3
    await a.close()


# --------------------------------------------------------------------------- 16. token expiry and revocation


async def test_s16_token_expiry_and_revocation(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    a.create_card("x")
    with server.state.transaction() as s:
        s.execute(update(DeviceToken).values(access_expires_at=DeviceToken.created_at))
    assert await a.engine.sync_once()
    assert a.engine.stats["refreshes"] == 1 and a.store.pending_count() == 0
    with server.state.transaction() as s:
        s.execute(update(DeviceToken).values(revoked=True))
    a.create_card("y")
    assert not await a.engine.sync_once()
    assert not a.engine.status.signed_in and a.store.pending_count() == 1
    assert server_count(server, TaskCard) == 1
    await a.engine.login("a1", "correct horse 1")
    assert await a.engine.sync_once()
    assert server_count(server, TaskCard) == 2
    await a.close()


# --------------------------------------------------------------------------- 17. poison mutation


async def test_s17_poison_mutation(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    cid = a.create_card("x")
    a.perform("test.card.server_rejects", cid, {})
    a.perform("test.card.server_crashes", cid, {})
    a.perform("test.card.set", cid, {"body": "fine"})
    assert a.cards()[cid]["lane"] == "crash"  # optimistic
    assert await a.engine.sync_once()
    assert a.store.pending_count() == 0
    rejected = a.store.rejected()
    assert [r.name for r in rejected] == ["test.card.server_rejects", "test.card.server_crashes"]
    assert "test poison" in rejected[0].server_result["explanation"]
    assert a.engine.status.rejected == 2
    card = a.cards()[cid]
    assert card["lane"] == "" and card["body"] == "fine"  # the rejected edits are no longer shown
    a.store.dismiss(rejected[1].mutation_id)
    assert len(a.store.rejected()) == 1
    a.store.redo(a.actor, rejected[0].mutation_id)
    assert a.store.pending_count() == 1 and a.store.rejected() == []
    assert await a.engine.sync_once()
    assert [e.state for e in a.store.outbox()].count("rejected") == 3
    assert_converged(server, a)
    await a.close()


async def test_rebase_keeps_unsent_edits_over_pulled_rows(server, tmp_path):
    """A pulled row never silently overwrites an unsent local edit; the pending edit is re-applied."""
    a = await make_client(server, tmp_path, "a", "a1")
    b = await make_client(server, tmp_path, "b", "a2")
    cid = a.create_card("t", body="b")
    assert await a.engine.sync_once() and await b.engine.sync_once()
    b.perform("test.card.set", cid, {"body": "b's unsent body"})
    b.perform("test.card.bump", cid, {"by": 2})
    a.perform("test.card.set", cid, {"title": "a's title"})
    a.perform("test.card.bump", cid, {"by": 5})
    assert await a.engine.sync_once()
    assert await b.engine.pull_once() > 0  # pull only: b's edits are still pending
    card = b.cards()[cid]
    assert card["title"] == "a's title" and card["body"] == "b's unsent body" and card["position"] == 7
    assert b.store.pending_count() == 2
    assert await b.engine.sync_once() and await a.engine.sync_once()
    assert_converged(server, a, b)
    with b.store.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == "acked")) == 2
        assert s.scalar(select(func.count()).select_from(SyncCursor)) >= 1
    await a.close()
    await b.close()


async def test_cancelled_first_sync_leaves_the_store_consistent(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    for i in range(40):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()
    b = await make_client(server, tmp_path, "b", "a2", page_size=5)
    progress = []
    b.engine.on_progress(lambda done, total: progress.append((done, total)))

    async def slow_first_sync():
        await b.engine.pull_once()

    task = asyncio.create_task(slow_first_sync())
    while len(progress) < 3:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    b = await reopen(b, server, page_size=5)
    have = len(b.cards())
    assert 0 < have < 40
    assert await b.engine.sync_once()
    assert len(b.cards()) == 40
    assert progress[-1][0] <= progress[-1][1] and progress == sorted(progress)
    assert_converged(server, a, b)
    await a.close()
    await b.close()


async def test_offline_login_and_insecure_http_refused(server, tmp_path):
    from commandroom.sync.transport import InsecureTransport, check_url

    a = await make_client(server, tmp_path, "a", "a1")
    assert a.store.verify_offline("a1", "correct horse 1")["username"] == "a1"
    assert a.store.verify_offline("a1", "wrong") is None
    assert a.store.verify_offline("nobody", "correct horse 1") is None
    with pytest.raises(InsecureTransport):
        check_url("http://county.example.cn:8350")
    assert check_url("http://county.example.cn:8350", allow_insecure_http=True)
    assert check_url("https://county.example.cn") and check_url("http://[::1]:8350")
    await a.close()


async def test_upgrade_required_stops_sync_and_keeps_the_outbox(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1", protocol_version=99)
    a.create_card("x")
    assert not await a.engine.sync_once()
    assert a.engine.status.upgrade_required and "升级" in a.engine.status.upgrade_required
    assert a.store.pending_count() == 1
    assert "需要升级" in a.engine.status.label()
    await a.close()


async def test_status_reports_online_offline_pending(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    seen = []
    a.engine.on_status(seen.append)
    a.create_card("x")
    a.transport.mode = "down"
    assert not await a.engine.sync_once()
    st = a.engine.status
    assert not st.online and st.offline_since and st.pending == 1 and "离线" in st.label()
    a.transport.calm()
    assert await a.engine.sync_once()
    st = a.engine.status
    assert st.online and st.pending == 0 and st.last_success and "在线" in st.label()
    assert any(s.syncing for s in seen)
    await a.close()


async def test_audit_detects_and_repairs_divergence(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    for i in range(3):
        a.create_card(f"c{i}")
    assert await a.engine.sync_once()
    assert await a.engine.audit() == {}
    with a.store.write() as s:  # corrupt the local copy behind the engine's back
        s.execute(update(TaskCard).values(row_version=TaskCard.row_version + 1000))
    bad = await a.engine.audit()
    assert bad and f"module:{board_of(T1)}" in bad  # the cards' bucket: their board's
    assert await a.engine.audit() == {}
    assert_converged(server, a)
    await a.close()
