"""The server's write path under the counter lock: taken once per transaction, released with a savepoint that
took it, allocations and the audit chain following savepoint rollbacks, the push's fast path, and
``serve --workers``. (Ordering across concurrent writers: tests/sync/test_scenarios.py s06; the audit chain
under concurrent appenders: tests/server/test_audit.py.)"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import event, select
from sqlalchemy import text as sa_text

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import AuditEntry, ChangeLog, ProcessedMutation, SyncCounter, TaskCard
from commandroom.ids import new_id
from commandroom.server import changelog
from commandroom.server.audit import append_audit, verify_chain
from commandroom.server.auth import principal_for
from commandroom.server.state import open_state
from commandroom.server.sync_api import PushIn, process_push
from tests.sync.helpers import T1, make_server


@pytest.fixture
def srv(db_url, tmp_path):
    server = make_server(db_url, tmp_path)
    yield server
    server.state.close()


class Statements:
    def __init__(self, engine) -> None:
        self.sql: list[str] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, _conn, _cursor, statement, *_args) -> None:
        self.sql.append(" ".join(statement.split()))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)

    def count(self, text: str) -> int:
        return sum(text in s for s in self.sql)


def _audit(session, n: int) -> None:
    append_audit(session, user_id="u1", device_id="ws-1", mutation_id=None, action="test.write",
                 entity_type="incident", entity_id=f"e{n}", before=None, after={"n": n})


def test_the_lock_is_taken_once_per_transaction(srv):
    seen = Statements(srv.state.engine)
    try:
        with srv.state.transaction() as s:
            row = changelog.lock_counter(s)
            assert changelog.lock_counter(s) is row and changelog.holds_lock(s)
            first = changelog.allocate_seqs(s, 2)
            second = changelog.allocate_seqs(s, 1)
            _audit(s, 1)
            _audit(s, 2)
    finally:
        seen.close()
    assert seen.count("FROM srv_sync_counter") == 1  # one locked read per transaction
    assert seen.count("FROM srv_audit") == 1  # the chain head is read once (with the lock on PostgreSQL)
    assert not any("SET head=srv_sync_counter.head" in s for s in seen.sql)
    with srv.state.transaction() as s:
        assert not changelog.holds_lock(s)  # a new transaction locks again
        third = changelog.allocate_seqs(s, 1)
    assert list(first) + list(second) == [first[0], first[0] + 1, first[0] + 2] and third[0] == first[0] + 3
    with srv.state.read() as s:
        assert s.get(SyncCounter, 1).head == third[0]
        ok, _bad, message = verify_chain(s)
        assert ok, message


def test_a_rolled_back_savepoint_gives_back_what_it_took(srv):
    """Seqs, the audit chain and (PostgreSQL) the lock taken inside a savepoint go with its rollback."""
    with srv.state.transaction() as s:
        before = changelog.allocate_seqs(s, 1)[0]
        _audit(s, 1)
        try:
            with s.begin_nested():
                assert changelog.allocate_seqs(s, 3)[0] == before + 1
                _audit(s, 2)
                raise RuntimeError("rejected")
        except RuntimeError:
            pass
        assert changelog.allocate_seqs(s, 1)[0] == before + 1  # the rolled-back seqs are given again
        _audit(s, 3)
        with s.begin_nested():  # a released savepoint keeps what it wrote
            _audit(s, 4)
        _audit(s, 5)
    with srv.state.read() as s:
        assert s.get(SyncCounter, 1).head == before + 1
        ids = s.scalars(select(AuditEntry.entity_id).order_by(AuditEntry.id)).all()
        assert ids == ["e1", "e3", "e4", "e5"]
        ok, _bad, message = verify_chain(s)
        assert ok, message


def test_a_lock_taken_in_a_savepoint_that_rolls_back_is_taken_again(srv):
    with srv.state.transaction() as s:
        try:
            with s.begin_nested():
                changelog.lock_counter(s)
                assert changelog.holds_lock(s)
                raise RuntimeError("rejected")
        except RuntimeError:
            pass
        assert not changelog.holds_lock(s)  # PostgreSQL released it with the savepoint
        with s.begin_nested():
            changelog.lock_counter(s)
        assert changelog.holds_lock(s)  # released savepoint: the transaction holds it until commit


@pytest.mark.postgres
def test_the_lock_is_held_until_commit_after_a_rolled_back_savepoint(pg_url, tmp_path):
    """A writer that locked before a savepoint keeps the lock when the savepoint rolls back."""
    srv = make_server(pg_url, tmp_path)
    try:
        got: list[float] = []
        with srv.state.transaction() as s:
            changelog.lock_counter(s)
            try:
                with s.begin_nested():
                    changelog.allocate_seqs(s, 1)
                    raise RuntimeError("rejected")
            except RuntimeError:
                pass

            def other() -> None:
                with srv.state.transaction() as s2:
                    changelog.lock_counter(s2)
                    got.append(time.monotonic())

            t = threading.Thread(target=other)
            t.start()
            time.sleep(0.5)
            assert not got  # still waiting for our lock
            released = time.monotonic()
        t.join(10)
        assert got and got[0] >= released
    finally:
        srv.state.close()


def _push_in(who, inc, seq, muts) -> PushIn:
    """A push of ``muts`` (name, entity id, args) from local_seq ``seq`` on, each with a new mutation id."""
    return PushIn.model_validate({
        "device_id": who.device_id, "device_incarnation": inc, "protocol_version": PROTOCOL_VERSION,
        "schema_version": SCHEMA_VERSION, "mutations": [
            {"mutation_id": new_id(), "local_seq": seq + i, "name": name, "entity_id": eid, "args": args,
             "base_versions": {}} for i, (name, eid, args) in enumerate(muts)]})


def _push(srv, who, inc, seq, muts):
    return process_push(srv.state, who, _push_in(who, inc, seq, muts))


def _principal(srv):
    from commandroom.domain.models import DeviceToken, User
    from commandroom.server.auth import issue_tokens

    with srv.state.transaction() as s:
        user = s.get(User, srv.users["a1"].id)
        tok = issue_tokens(s, user, new_id(), "ws-test")
    with srv.state.read() as s:
        return principal_for(s, s.get(User, user.id), s.get(DeviceToken, tok["token_id"]))


def test_a_clean_push_takes_the_fast_path(srv):
    who = _principal(srv)
    inc = new_id()
    _push(srv, who, inc, 1, [("test.card.create", new_id(), {"township_code": T1, "title": "warm up"})])
    seen = Statements(srv.state.engine)
    try:
        card = new_id()
        status, out = _push(srv, who, inc, 2, [("test.card.create", card, {"township_code": T1, "title": "x"})])
    finally:
        seen.close()
    assert status == 200 and out["results"][0]["status"] == "applied", out
    assert out["head"] == out["results"][0]["seq"]
    assert not any(s.startswith("SAVEPOINT") for s in seen.sql), seen.sql
    assert seen.count("FROM srv_sync_counter") == 1
    assert seen.count("UPDATE srv_device_cursor") == 1
    # PostgreSQL: 10 (24 before the write path was trimmed, docs/performance.md); SQLite: BEGIN IMMEDIATE,
    # no lock statement, the write-behind rows one statement each
    assert len(seen.sql) <= (16 if srv.state.is_sqlite else 11), seen.sql
    if not srv.state.is_sqlite:  # the audit entry, the dedup record, the head and the NOTIFY: one statement
        assert [s for s in seen.sql if "INSERT INTO srv_processed_mutation" in s and "INSERT INTO srv_audit" in s
                and "UPDATE srv_sync_counter" in s and "pg_notify" in s], seen.sql


@pytest.mark.postgres
def test_a_connection_dropped_at_the_pushs_last_statement_loses_nothing_and_is_not_used_again(pg_url, tmp_path):
    """The database drops the connection as the push's last statement (its change log, dedup records, head and
    NOTIFY) is sent: the push fails as a database error (the desk keeps the mutation and sends it again),
    nothing of it is committed, the dead connection is discarded, and the re-sent push is applied once."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    srv = make_server(pg_url, tmp_path)
    admin = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        who = _principal(srv)
        inc = new_id()
        _push(srv, who, inc, 1, [("test.card.create", new_id(), {"township_code": T1, "title": "warm up"})])
        dropped: list[int] = []

        def drop_it(conn, _cursor, sql, *_args) -> None:
            if "INSERT INTO srv_change_log" in sql and not dropped:
                pid = conn.connection.driver_connection.info.backend_pid
                assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]
                dropped.append(pid)

        event.listen(srv.state.engine, "before_cursor_execute", drop_it)
        card = new_id()
        sent = _push_in(who, inc, 2, [("test.card.create", card, {"township_code": T1, "title": "x"})])
        try:
            with pytest.raises(DBAPIError) as failed:
                process_push(srv.state, who, sent)
        finally:
            event.remove(srv.state.engine, "before_cursor_execute", drop_it)
        assert dropped and failed.value.connection_invalidated, failed.value
        with srv.state.read() as s:
            assert s.get(TaskCard, card) is None
            assert not s.scalars(select(ChangeLog.seq).where(ChangeLog.entity_id == card)).all()
        status, out = process_push(srv.state, who, sent)  # the desk sends it again
        assert status == 200 and out["results"][0]["status"] == "applied", out
        assert out["results"][0]["duplicate"] is False
        with srv.state.read() as s:
            assert s.get(TaskCard, card).title == "x"
            assert s.scalars(select(ChangeLog.seq).where(ChangeLog.entity_id == card)).all() == [out["head"]]
            ok, _bad, message = verify_chain(s)
            assert ok, message
    finally:
        admin.close()
        srv.state.close()


def test_a_mutation_sent_twice_in_one_batch_is_applied_once(srv):
    who = _principal(srv)
    inc = new_id()
    card = new_id()
    mid = new_id()
    body = {"device_id": who.device_id, "device_incarnation": inc, "protocol_version": PROTOCOL_VERSION,
            "schema_version": SCHEMA_VERSION, "mutations": [
                {"mutation_id": mid, "local_seq": seq, "name": "test.card.create", "entity_id": card,
                 "args": {"township_code": T1, "title": "twice"}, "base_versions": {}} for seq in (1, 2)]}
    status, out = process_push(srv.state, who, PushIn.model_validate(body))
    assert status == 200
    assert [(r["status"], r["duplicate"]) for r in out["results"]] == [("applied", False), ("applied", True)]
    assert out["results"][0]["seq"] == out["results"][1]["seq"]
    with srv.state.read() as s:
        assert len(s.scalars(select(ProcessedMutation).where(ProcessedMutation.mutation_id == mid)).all()) == 1


def test_a_failed_mutation_redoes_the_batch_with_savepoints(srv):
    """Only the failed mutation is rolled back and recorded; the others are applied once."""
    who = _principal(srv)
    inc = new_id()
    card, other = new_id(), new_id()
    status, out = _push(srv, who, inc, 1, [
        ("test.card.create", card, {"township_code": T1, "title": "a"}),
        ("test.card.server_rejects", card, {}),
        ("test.card.create", other, {"township_code": T1, "title": "b"}),
    ])
    assert status == 200
    assert [r["status"] for r in out["results"]] == ["applied", "rejected", "applied"]
    with srv.state.read() as s:
        assert s.get(TaskCard, card) is not None and s.get(TaskCard, other) is not None
        assert len(s.scalars(select(ProcessedMutation)).all()) == 3
        logged = s.scalars(select(ChangeLog.entity_id).where(ChangeLog.entity_id.in_([card, other]))).all()
        assert sorted(logged) == sorted([card, other])
        ok, _bad, message = verify_chain(s)
        assert ok, message


def test_serve_refuses_several_workers_on_sqlite(tmp_path, monkeypatch):
    from commandroom.config import load_settings
    from commandroom.server.run import serve

    monkeypatch.setenv("COMMANDROOM_HOME", str(tmp_path / "home"))
    settings = load_settings({"db_url": f"sqlite:///{tmp_path / 'county.db'}"})
    with pytest.raises(ValidationError, match="PostgreSQL"):
        serve(settings, workers=2)
    with pytest.raises(ValidationError, match="at least 1"):
        serve(settings, workers=0)


def test_a_worker_builds_its_app_from_the_parents_settings(db_url, tmp_path, monkeypatch):
    from commandroom.config import load_settings
    from commandroom.server import run

    open_state(db_url).close()  # the parent migrates before the workers start
    monkeypatch.setenv("COMMANDROOM_HOME", str(tmp_path / "home"))
    settings = load_settings({"db_url": db_url, "port": 8361})
    monkeypatch.setenv(run.SETTINGS_ENV, run._dump(settings))
    assert run._load(run._dump(settings)) == settings
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        app = run.worker_app()
        try:
            assert app.state.server.db_url.split("://", 1)[1] == db_url.split("://", 1)[1]
            assert (settings.log_dir / ".county-server-1.lock").exists()  # this worker's log is county-server-1.log
        finally:
            app.state.server.close()
    finally:
        for h in root.handlers[:]:
            if h not in handlers:
                root.removeHandler(h)
                h.close()
        root.setLevel(level)
        while run._SLOT:
            run._SLOT.pop().close()


@pytest.mark.postgres
def test_a_writer_that_waited_for_the_lock_continues_the_chain_of_the_one_before(pg_url, tmp_path):
    """The chain head read with the lock is read after the lock is granted (a snapshot taken after the wait)."""
    srv = make_server(pg_url, tmp_path)
    try:
        errors: list[BaseException] = []
        with srv.state.transaction() as s:
            _audit(s, 1)  # holds the lock until this block commits

            def second() -> None:
                try:
                    with srv.state.transaction() as s2:
                        _audit(s2, 2)  # waits for the lock, then must chain onto entry 1
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)

            t = threading.Thread(target=second)
            t.start()
            time.sleep(0.5)
        t.join(10)
        assert not errors, errors
        with srv.state.read() as s:
            assert s.scalars(select(AuditEntry.entity_id).order_by(AuditEntry.id)).all() == ["e1", "e2"]
            ok, _bad, message = verify_chain(s)
            assert ok, message
    finally:
        srv.state.close()


@pytest.mark.postgres
def test_a_concurrent_delivery_that_commits_first_wins_and_the_batch_is_retried(pg_url, tmp_path, monkeypatch):
    """Another incarnation's delivery of the same mutation commits between our dedup lookup and our commit:
    our dedup record collides at commit, the batch is done again and answers with the stored result."""
    import commandroom.server.sync_api as sync_api

    srv = make_server(pg_url, tmp_path)
    try:
        who = _principal(srv)
        card, mid = new_id(), new_id()
        real_execute = sync_api.execute
        calls = []

        def execute_after_a_rival(session, **kw):
            calls.append(kw["mutation_id"])
            if len(calls) == 1:  # the rival (a cloned workstation) delivers the same mutation and commits
                with srv.state.transaction() as rival:
                    rival.add(ProcessedMutation(mutation_id=mid, device_id=who.device_id, device_incarnation="clone",
                                                local_seq=1, user_id=who.user_id, name="test.card.create",
                                                payload_hash=sync_api.payload_hash(
                                                    "test.card.create", card, {"township_code": T1, "title": "x"}),
                                                status="applied", result={"status": "applied", "seq": None}, seq=None))
            return real_execute(session, **kw)

        monkeypatch.setattr(sync_api, "execute", execute_after_a_rival)
        body = {"device_id": who.device_id, "device_incarnation": new_id(), "protocol_version": PROTOCOL_VERSION,
                "schema_version": SCHEMA_VERSION, "mutations": [
                    {"mutation_id": mid, "local_seq": 1, "name": "test.card.create", "entity_id": card,
                     "args": {"township_code": T1, "title": "x"}, "base_versions": {}}]}
        status, out = process_push(srv.state, who, PushIn.model_validate(body))
        assert status == 200 and out["results"][0]["duplicate"] is True, out
        assert calls == [mid]  # applied once (then rolled back with the collision), answered from the record after
        with srv.state.read() as s:
            assert s.get(TaskCard, card) is None  # the rival's record stands; our effect went with our transaction
            ok, _bad, message = verify_chain(s)
            assert ok, message
    finally:
        srv.state.close()


@pytest.mark.postgres
def test_serve_runs_several_worker_processes_on_postgresql(pg_url, tmp_path):
    """``commandroom serve --workers 2``: two processes answer on one port, each with its own log."""
    import os
    import subprocess
    import sys

    import httpx

    from tests.server.test_auth_support import free_port

    port = free_port()
    env = {**os.environ, "COMMANDROOM_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "commandroom.cli", "serve", "--workers", "2", "--db", pg_url,
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        logs = tmp_path / "home"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            slots = {p.name for p in logs.rglob(".county-server-*.lock")}
            try:
                ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok and len(slots) == 2:
                break
            time.sleep(0.2)
        assert ok, "the server did not answer"
        assert slots == {".county-server-1.lock", ".county-server-2.lock"}
        assert {p.name for p in logs.rglob("county-server-*.log")} >= {"county-server-1.log", "county-server-2.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _held_back(srv, pushes):
    """Run ``pushes`` (who, muts) through the push route's writer while another writer holds the counter lock:
    the first waits for the lock, the others queue behind it; then the lock is let go. Returns the answers."""
    from commandroom.server.sync_api import process_push_grouped

    answers: dict[int, tuple[int, dict]] = {}

    def one(i: int, who, muts) -> None:
        body = {"device_id": who.device_id, "device_incarnation": new_id(), "protocol_version": PROTOCOL_VERSION,
                "schema_version": SCHEMA_VERSION, "mutations": [
                    {"mutation_id": new_id(), "local_seq": k + 1, "name": name, "entity_id": eid, "args": args,
                     "base_versions": {}} for k, (name, eid, args) in enumerate(muts)]}
        answers[i] = process_push_grouped(srv.state, who, PushIn.model_validate(body))

    with srv.state.transaction() as s:
        changelog.lock_counter(s)
        threads = [threading.Thread(target=one, args=(i, who, muts)) for i, (who, muts) in enumerate(pushes)]
        threads[0].start()
        time.sleep(0.3)  # the first push is writing: it waits for our lock
        for t in threads[1:]:
            t.start()
        time.sleep(0.5)  # the others queue behind it
    for t in threads:
        t.join(30)
    return [answers[i] for i in range(len(pushes))]


@pytest.mark.postgres
def test_pushes_that_arrive_together_are_written_together_and_each_answered_as_alone(pg_url, tmp_path):
    srv = make_server(pg_url, tmp_path)
    try:
        desks = [_principal(srv) for _ in range(5)]
        cards = [[new_id() for _ in range(i % 3 + 1)] for i in range(5)]
        answers = _held_back(srv, [(who, [("test.card.create", c, {"township_code": T1, "title": f"desk {i}"})
                                          for c in cards[i]]) for i, who in enumerate(desks)])
        groups = srv.state.extras["push_groups"]
        assert (groups.groups, groups.pushes) == (2, 5)  # the first alone, the four that queued in one transaction
        seqs = []
        for (status, out), mine in zip(answers, cards, strict=True):
            assert status == 200 and out["stop"] is None
            assert [r["status"] for r in out["results"]] == ["applied"] * len(mine)
            assert all(out["head"] >= r["seq"] for r in out["results"])
            seqs += [r["seq"] for r in out["results"]]
        with srv.state.read() as s:
            titles = {c.id: c.title for c in s.scalars(select(TaskCard))}
            for i, mine in enumerate(cards):
                assert all(titles[c] == f"desk {i}" for c in mine)
            logged = s.scalars(select(ChangeLog.seq).where(ChangeLog.entity_id.in_([c for m in cards for c in m]))
                               ).all()
            assert sorted(logged) == sorted(seqs) and len(set(seqs)) == len(seqs)
            assert len(s.scalars(select(ProcessedMutation)).all()) == sum(len(m) for m in cards)
            assert s.get(SyncCounter, 1).head == max(seqs)
            ok, _bad, message = verify_chain(s)
            assert ok, message
    finally:
        srv.state.close()


@pytest.mark.postgres
def test_a_group_with_a_failing_mutation_answers_each_push_as_if_alone(pg_url, tmp_path):
    srv = make_server(pg_url, tmp_path)
    try:
        desks = [_principal(srv) for _ in range(4)]
        poisoned = new_id()
        _push(srv, desks[0], new_id(), 1, [("test.card.create", poisoned, {"township_code": T1, "title": "p"})])
        ok_cards = [new_id() for _ in desks]
        pushes = [(who, [("test.card.create", ok_cards[i], {"township_code": T1, "title": "ok"})]) for i, who in
                  enumerate(desks)]
        pushes[2][1].append(("test.card.server_rejects", poisoned, {}))
        answers = _held_back(srv, pushes)
        assert [[r["status"] for r in out["results"]] for _status, out in answers] == [
            ["applied"], ["applied"], ["applied", "rejected"], ["applied"]]
        with srv.state.read() as s:
            assert all(s.get(TaskCard, c) is not None for c in ok_cards)
            assert s.get(TaskCard, poisoned).lane != "poison"
            assert len(s.scalars(select(ProcessedMutation)).all()) == 1 + 5
            ok, _bad, message = verify_chain(s)
            assert ok, message
    finally:
        srv.state.close()


def test_the_write_behind_statement_stores_what_the_orm_insert_stored(pg_url, tmp_path):
    """The push's bookkeeping rows, written as column arrays in one statement, are stored byte for byte as the
    SQLAlchemy multi-row INSERT stored them (JSON text, a JSON null for None, timestamps, quotes, unicode)."""
    from datetime import datetime

    server = make_server(pg_url, tmp_path)
    state = server.state
    at = datetime(2026, 3, 4, 5, 6, 7, 891011)
    odd = {"note": '引号 "x" \\ 反斜杠\n换行', "n": 2.0, "nested": {"k": [1, None, True]}, "when": at.isoformat()}

    def rows(first: int) -> dict:
        change = {"seq": first, "bucket": f"township:{T1}", "entity_type": "incident", "entity_id": "e1",
                  "op": "upsert", "row_version": 7, "fields": odd, "origin_device": "ws-1",
                  "origin_mutation": None, "server_ts": at}
        removed = {**change, "seq": first + 1, "op": "remove", "fields": None, "origin_mutation": "m" * 36}
        audit = {"id": first, "at": at, "user_id": None, "device_id": "ws-1", "mutation_id": None,
                 "action": "incident.note", "entity_type": "incident", "entity_id": "e1", "before": None,
                 "after": odd, "prev_hash": "0" * 64, "hash": "a" * 64}
        done = {"mutation_id": f"mut-{first:08d}", "device_id": "ws-1", "device_incarnation": "inc-0001",
                "local_seq": 5, "user_id": None, "name": "incident.note", "payload_hash": "b" * 64,
                "status": "applied", "result": {"status": "applied", "seq": None, "follow": None},
                "seq": 9, "processed_at": at, "occurred_at": None}
        return {ChangeLog.__table__: [change, removed], AuditEntry.__table__: [audit],
                ProcessedMutation.__table__: [done]}

    try:
        with state.transaction() as s:  # the arrays
            wb = changelog.start_write_behind(s)
            wb.rows.update(rows(1000))
            changelog.flush_write_behind(s, None)
        with state.transaction() as s:  # the ORM's INSERT … VALUES, as every push wrote them before
            wb = changelog.start_write_behind(s)
            wb.rows.update(rows(2000))
            changelog.write_behind(s)
            s.info.pop("commandroom.write_behind")
            changelog._flush_compiled(s, wb, None, None)
        with state.read() as s:
            for table, key, wanted, ours in (
                    (ChangeLog.__table__, "seq", 2, "1000, 1001, 2000, 2001"), (AuditEntry.__table__, "id", 1, "1000, 2000"),
                    (ProcessedMutation.__table__, "mutation_id", 1, "'mut-00001000', 'mut-00002000'")):
                # every column's stored text but the key (the JSON columns' text itself, not only its value)
                cols = ", ".join(f'"{c.name}"::text' for c in table.c if c.name != key)
                got = [tuple(r) for r in s.execute(sa_text(f"SELECT {cols} FROM {table.name} WHERE {key} IN ({ours}) ORDER BY {key}"))]
                assert len(got) == 2 * wanted, table.name
                assert got[:wanted] == got[wanted:], table.name
            before = s.execute(sa_text("SELECT before::text FROM srv_audit WHERE id = 1000")).scalar()
            assert before == "null"  # a JSON null, as SQLAlchemy's JSON type writes None
    finally:
        state.close()
