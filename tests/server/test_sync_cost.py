"""What a push and a pull cost the server in statements, where a statement saved must not change an answer.

Through the real app on SQLite and PostgreSQL: a note on a department's matter writes each row once and still
reaches the department's desk; desks poked together read their page once, a desk at its head reads no page,
and a change pushed between two identical pulls is always in the second.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import event, select

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.domain.models import DeviceToken, Incident, User
from commandroom.ids import new_id
from commandroom.server import changelog, sync_api
from commandroom.server.auth import principal_for, scope_cache
from tests.server.test_auth_support import QC, open_server
from tests.server.test_department_buckets import _pulled, _push


@pytest.fixture
def world(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        srv.add_user("duty-qc", "duty_officer", township_code=QC)
        srv.add_user("duty-qc-2", "duty_officer", township_code=QC)
        srv.add_user("market-li", "department_liaison", department="market")
        incident = new_id()
        with srv.state.transaction() as s:
            s.add(Incident(id=incident, township_code=QC, title="占道经营", category_code="dispute",
                           lead_department_code="market", state="pending_dispatch"))
            s.flush()
            changelog.backfill(s)
        srv.incident = incident
        yield srv


class Statements:
    """The statements the server's engines send while open (SQLite: the writer and the readers' engine;
    PostgreSQL: the writer and the quick reads' engine, ``ServerState.quick_read``)."""

    def __init__(self, state) -> None:
        self.sql: list[str] = []
        self.engines = [state.engine, *(state.extras[e] for e in ("read_engine", "quick_engine") if e in state.extras)]

    def __enter__(self) -> Statements:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *_exc) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._on)

    def _on(self, _conn, _cursor, statement, *_args) -> None:
        self.sql.append(" ".join(statement.split()))

    def count(self, *parts: str) -> int:
        return sum(all(p in s for p in parts) for s in self.sql)


def _pull(srv, headers: dict, cursors: dict[str, int]) -> dict:
    r = srv.client.get("/api/v1/sync/pull", params={"cursors": json.dumps(cursors), "limit": 500}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _notes(page: dict) -> list[str]:
    return [c["fields"]["note"] for c in page["changes"] if c["entity_type"] == "timeline_entry"]


def test_a_note_writes_each_row_once_and_reaches_the_departments_desk(world):
    srv = world
    qc, li = srv.bearer("duty-qc", "ws-qc-0001"), srv.bearer("market-li", "ws-market-0001")
    bucket = "department:market"
    before = _pull(srv, li, {bucket: 0})["cursors"][bucket]
    with Statements(srv.state) as seen:
        assert _push(srv, qc, "ws-qc-0001", "incident.note", srv.incident, {"note": "已通知摊主"})["status"] == "applied"
    # the incident's stamp and the new timeline entry: one write each, with their versions (not a plain write
    # and then an update of its stamps), and the departments of the incident read in one statement
    assert seen.count("UPDATE incident") == 1, seen.sql
    assert seen.count("INSERT INTO timeline_entry") == 1, seen.sql
    assert seen.count("UPDATE timeline_entry") == 0, seen.sql
    assert seen.count("FROM dispatch") == 1 and seen.count("FROM case_checkin") == 1, seen.sql
    # the department's desk gets the note, and so does the township's
    assert _notes(_pull(srv, li, {bucket: before})) == ["已通知摊主"]
    town = f"township:{QC}"
    assert "已通知摊主" in _notes(_pull(srv, qc, {town: 0}))


def test_desks_poked_together_read_their_page_once_and_never_miss_a_later_change(world):
    srv = world
    town = f"township:{QC}"
    desks = [srv.bearer("duty-qc", "ws-qc-0001"), srv.bearer("duty-qc-2", "ws-qc-0002")]
    head = _pull(srv, desks[0], {town: 0})["cursors"][town]
    assert _push(srv, desks[0], "ws-qc-0001", "incident.note", srv.incident, {"note": "第一条"})["status"] == "applied"
    # a poke: both desks pull from the same cursor and get the same page; the page is read once
    with Statements(srv.state) as seen:
        pages = [_pull(srv, d, {town: head}) for d in desks]
    assert [_notes(p) for p in pages] == [["第一条"], ["第一条"]]
    assert pages[0]["changes"] == pages[1]["changes"] and pages[0]["cursors"] == pages[1]["cursors"]
    assert seen.count("CAST(fields AS TEXT)") == 1, seen.sql
    # the same question after another change: the change is in the answer
    assert _push(srv, desks[1], "ws-qc-0002", "incident.note", srv.incident, {"note": "第二条"})["status"] == "applied"
    again = _pull(srv, desks[0], {town: head})
    assert _notes(again) == ["第一条", "第二条"]
    # a desk at its head asks again and again: nothing new, no page read, its cursor stays
    at_head = again["cursors"]
    with Statements(srv.state) as seen:
        for _ in range(3):
            idle = _pull(srv, desks[0], at_head)
            assert idle["changes"] == [] and idle["cursors"] == at_head and not idle["has_more"]
    assert seen.count("CAST(fields AS TEXT)") == 0, seen.sql
    assert _push(srv, desks[0], "ws-qc-0001", "incident.note", srv.incident, {"note": "第三条"})["status"] == "applied"
    assert _notes(_pull(srv, desks[0], at_head)) == ["第三条"]


def test_desks_poked_at_the_same_moment_wait_for_one_reading_of_their_page(world, monkeypatch):
    """The second desk asks while the first one's page is being read: it waits for that page (one read) and gets
    the same changes and cursors."""
    srv = world
    town = f"township:{QC}"
    desks = [srv.bearer("duty-qc", "ws-qc-0001"), srv.bearer("duty-qc-2", "ws-qc-0002")]
    head = _pull(srv, desks[0], {town: 0})["cursors"][town]
    assert _push(srv, desks[0], "ws-qc-0001", "incident.note", srv.incident, {"note": "同时"})["status"] == "applied"
    with srv.state.read() as s:
        who = []
        for device in ("ws-qc-0001", "ws-qc-0002"):
            token = s.scalars(select(DeviceToken).where(DeviceToken.device_id == device)).first()
            who.append(principal_for(s, s.get(User, token.user_id), token))

    def pull(desk) -> dict:
        status, body = srv.state.quick_read(lambda s: sync_api.pull_page(srv.state, desk, {town: head}, 500, s),
                                            sync_api._read_sessions(srv.state))  # SQLite: the readers' engine
        assert status == 200
        return json.loads(body)

    reads: list[int] = []
    second: list[dict] = []
    waiting = threading.Event()
    real_read, real_claim = sync_api._read_page, sync_api.PageCache.claim

    def claim(cache, key, heads):
        leader, ready = real_claim(cache, key, heads)
        if not leader:
            waiting.set()
        return leader, ready

    def read_page(*args, **kw):
        reads.append(1)
        if len(reads) == 1:  # the second desk asks now, while this page is being read
            other.start()
            assert waiting.wait(30)
        return real_read(*args, **kw)

    other = threading.Thread(target=lambda: second.append(pull(who[1])), daemon=True)
    monkeypatch.setattr(sync_api.PageCache, "claim", claim)
    monkeypatch.setattr(sync_api, "_read_page", read_page)
    first = pull(who[0])
    other.join(30)
    assert len(reads) == 1
    assert _notes(first) == ["同时"] and second and second[0]["changes"] == first["changes"]
    assert second[0]["cursors"] == first["cursors"]


def test_a_desk_waiting_for_another_desks_page_holds_up_no_other_desk(world, monkeypatch):
    """Through HTTP with room for two pulls at once: while one township desk's page is being read, the
    other desk poked with it waits for that reading without taking the second place, so a department's
    desk asking for its own page is answered in the meantime; the township's page is still read once."""
    srv = world
    town, market = f"township:{QC}", "department:market"
    qc = [srv.bearer("duty-qc", "ws-qc-0001"), srv.bearer("duty-qc-2", "ws-qc-0002")]
    li = srv.bearer("market-li", "ws-market-0001")
    town_head = _pull(srv, qc[0], {town: 0})["cursors"][town]
    market_head = _pull(srv, li, {market: 0})["cursors"][market]
    assert _push(srv, qc[0], "ws-qc-0001", "incident.note", srv.incident, {"note": "并发"})["status"] == "applied"
    srv.state.extras["pull_threads"] = 2
    srv.state.extras.pop("pull_limiter", None)
    monkeypatch.setattr(sync_api.PageCache, "WAIT_SECONDS", 60.0)  # only the reading's end ends the wait
    town_reads: list[int] = []
    town_reading, follower_waits, release_town = threading.Event(), threading.Event(), threading.Event()
    town_read = threading.Event()
    real_read, real_claim = sync_api._read_page, sync_api.PageCache.claim

    def claim(cache, key, heads):
        leader, reading = real_claim(cache, key, heads)
        if not leader:
            follower_waits.set()
        return leader, reading

    def read_page(session, cache, key, items, *args, **kw):
        if any(b == town for b, _c in items):
            town_reads.append(1)
            if len(town_reads) == 1:
                town_reading.set()
                release_town.wait(20)  # until the department's desk is answered (or 20 s: then it failed)
                try:
                    return real_read(session, cache, key, items, *args, **kw)
                finally:
                    town_read.set()
        return real_read(session, cache, key, items, *args, **kw)

    monkeypatch.setattr(sync_api.PageCache, "claim", claim)
    monkeypatch.setattr(sync_api, "_read_page", read_page)
    pages: dict[str, dict] = {}
    first = threading.Thread(target=lambda: pages.setdefault("first", _pull(srv, qc[0], {town: town_head})))
    second = threading.Thread(target=lambda: pages.setdefault("second", _pull(srv, qc[1], {town: town_head})))
    first.start()
    assert town_reading.wait(30)
    second.start()
    assert follower_waits.wait(30)
    department = _pull(srv, li, {market: market_head})
    answered_while_reading = not town_read.is_set()
    release_town.set()
    first.join(60)
    second.join(60)
    assert answered_while_reading, "the department's desk waited for the township's page"
    assert _notes(department) == ["并发"]
    assert _notes(pages["first"]) == ["并发"] and pages["second"]["changes"] == pages["first"]["changes"]
    assert pages["second"]["cursors"] == pages["first"]["cursors"]
    assert len(town_reads) == 1


def test_a_create_reads_its_absent_target_once_and_a_second_create_is_still_seen(world):
    """The scope check's "no such row" answers the create's own "does it exist" (one SELECT of the report, not
    two); a create of an id the server already holds still finds it (merged, never a second row)."""
    srv = world
    qc = srv.bearer("duty-qc", "ws-qc-0001")
    report = new_id()
    args = {"source": "grid_patrol", "category_code": "urban_parking", "description": "路口违停",
            "township_code": QC}
    with Statements(srv.state) as seen:
        assert _push(srv, qc, "ws-qc-0001", "report.create", report, args)["status"] == "applied"
    assert seen.count("FROM report WHERE report.id") == 1, seen.sql
    assert seen.count("INSERT INTO report") == 1, seen.sql
    again = _push(srv, srv.bearer("duty-qc-2", "ws-qc-0002"), "ws-qc-0002", "report.create", report,
                  {**args, "description": "另一台重复上报"})
    assert again["status"] == "merged", again
    with srv.state.read() as s:
        from commandroom.domain.models import Report
        stored = s.get(Report, report)
        assert stored is not None and stored.description == "路口违停"


def test_a_desk_is_answered_after_the_database_dropped_the_servers_connections(world):
    """Token checks and pulls use connections without a check before each use (``ServerState.quick_read``): when
    the database has closed them (a restart), the next pull and push are still answered, with the latest change."""
    srv = world
    if srv.state.is_sqlite:
        pytest.skip("PostgreSQL's connections")
    town = f"township:{QC}"
    desk = srv.bearer("duty-qc", "ws-qc-0001")
    head = _pull(srv, desk, {town: 0})["cursors"][town]
    from sqlalchemy import create_engine, text

    admin = create_engine(srv.state.db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # every other connection to this database, as a restart does
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert killed
    assert _push(srv, desk, "ws-qc-0001", "incident.note", srv.incident, {"note": "重连之后"})["status"] == "applied"
    assert _notes(_pull(srv, desk, {town: head})) == ["重连之后"]


def _push_batch(srv, headers: dict, device: str, mutations: list[tuple[str, str, dict]]) -> list[dict]:
    body = {"device_id": device, "device_incarnation": new_id(), "first_local_seq": 1,
            "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
            "mutations": [{"mutation_id": new_id(), "local_seq": i, "name": name, "entity_id": entity_id,
                           "args": args} for i, (name, entity_id, args) in enumerate(mutations, start=1)]}
    r = srv.client.post("/api/v1/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_a_batch_reads_its_targets_together_and_sees_what_it_created(world):
    """A push's targets are read in one statement per kind once the counter lock is taken, not one look-up per
    mutation; a record the batch itself created is found by a later mutation of the batch (a second create of
    the same id is merged, never a second row), and everything reaches the desk."""
    srv = world
    qc = srv.bearer("duty-qc", "ws-qc-0001")
    args = {"source": "grid_patrol", "category_code": "urban_parking", "description": "路口违停",
            "township_code": QC}
    reports = [new_id() for _ in range(3)]
    with Statements(srv.state) as seen:
        results = _push_batch(srv, qc, "ws-qc-0001", [
            *[("report.create", r, {**args, "description": f"违停 {i}"}) for i, r in enumerate(reports)],
            ("incident.note", srv.incident, {"note": "已到场"}),
            ("report.create", reports[0], {**args, "description": "同一上报又发一次"}),
        ])
    assert [r["status"] for r in results] == ["applied"] * 4 + ["merged"], results
    assert seen.count("FROM report WHERE report.id IN") == 1, seen.sql
    assert seen.count("FROM report WHERE report.id = ") <= 1, seen.sql  # the repeat may look again; no more
    assert seen.count("INSERT INTO report") == 3, seen.sql
    with srv.state.read() as s:
        from commandroom.domain.models import Report
        assert [s.get(Report, r).description for r in reports] == ["违停 0", "违停 1", "违停 2"]
    pulled = _pulled(srv, qc)
    assert set(reports) <= pulled["report"]


def test_a_mutation_sent_twice_in_one_batch_is_applied_once(world):
    """The second copy in the same batch (renumbered, as a re-send is) gets the first one's answer (a duplicate),
    and one row exists."""
    srv = world
    qc = srv.bearer("duty-qc", "ws-qc-0001")
    report, mid = new_id(), new_id()
    m = {"mutation_id": mid, "local_seq": 1, "name": "report.create", "entity_id": report,
         "args": {"source": "grid_patrol", "category_code": "urban_parking", "description": "发了两次",
                  "township_code": QC}}
    body = {"device_id": "ws-qc-0001", "device_incarnation": new_id(), "first_local_seq": 1,
            "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION, "mutations": [m, {**m, "local_seq": 2}]}
    r = srv.client.post("/api/v1/sync/push", json=body, headers=qc)
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert (first["status"], first["duplicate"]) == ("applied", False), first
    assert (second["status"], second["duplicate"], second["seq"]) == ("applied", True, first["seq"]), second
    with srv.state.read() as s:
        from sqlalchemy import func, select

        from commandroom.domain.models import Report
        assert s.scalar(select(func.count()).select_from(Report).where(Report.id == report)) == 1


def test_a_busy_server_keeps_its_quick_read_connections_open(world):
    """Twelve requests at once, again and again (token checks and pulls under 140 poked desks): the process keeps
    the connections it opened for them instead of opening a new PostgreSQL backend for most requests and
    closing it after (which also loses the statements that connection had prepared)."""
    srv = world
    if srv.state.is_sqlite:
        pytest.skip("PostgreSQL's connections")
    from sqlalchemy import text

    srv.state.quick_read(lambda s: s.execute(text("SELECT 1")).scalar())  # the quick engine exists
    opened = []
    event.listen(srv.state.extras["quick_engine"], "connect", lambda *_a: opened.append(1))
    at_once = 12
    rounds = 15
    barrier = threading.Barrier(at_once)
    failures = []

    def requests_of_one_thread() -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)  # every round's twelve reads run together
                srv.state.quick_read(lambda s: s.execute(text("SELECT pg_sleep(0.005)")).all())
        except Exception as exc:  # noqa: BLE001 - reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=requests_of_one_thread) for _ in range(at_once)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    assert len(opened) <= at_once, f"{len(opened)} connections opened for {at_once * rounds} reads, {at_once} at once"


def test_a_poked_desks_pull_is_one_statement_and_refuses_as_before(world):
    """On PostgreSQL a pull that names its buckets checks its token and reads the counter and its buckets' heads in
    one statement (the token check alone was one more). Its answers stay what they were: the new change, the
    cursors, a refusal for a bucket outside the desk's scope, a malformed cursor, a signed-out device, a cursor
    compacted past, and the scope read from the cache between pulls and pushes."""
    srv = world
    town = f"township:{QC}"
    desk = srv.bearer("duty-qc", "ws-qc-0001")
    head = _pull(srv, desk, {town: 0})["cursors"][town]
    assert _push(srv, desk, "ws-qc-0001", "incident.note", srv.incident, {"note": "一条"})["status"] == "applied"
    with Statements(srv.state) as seen:
        page = _pull(srv, desk, {town: head})
    assert _notes(page) == ["一条"] and page["cursors"][town] > head
    if not srv.state.is_sqlite:
        first = [s for s in seen.sql if "srv_device_token" in s]
        assert len(first) == 1 and "srv_sync_counter" in first[0], seen.sql
        assert len(seen.sql) == 2, seen.sql  # that one, and the page's
    with Statements(srv.state) as seen:
        idle = _pull(srv, desk, page["cursors"])
    assert idle["changes"] == [] and idle["cursors"] == page["cursors"]
    asked = [s for s in seen.sql if s not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(asked) == (1 if not srv.state.is_sqlite else 2), seen.sql
    # the scope comes from the cache whichever way the token was read (pull, push, another route)
    misses = scope_cache(srv.state).misses
    for _ in range(2):
        assert _push(srv, desk, "ws-qc-0001", "incident.note", srv.incident, {"note": "又一条"})["status"] == "applied"
        assert srv.client.get("/api/v1/auth/me", headers=desk).status_code == 200
        _pull(srv, desk, page["cursors"])
    assert scope_cache(srv.state).misses == misses
    # refusals, in the words they always had
    get = lambda cursors, headers=desk: srv.client.get(  # noqa: E731
        "/api/v1/sync/pull", params={"cursors": json.dumps(cursors), "limit": 500}, headers=headers)
    outside = get({town: 0, "township:330822999": 0})
    assert outside.status_code == 403 and outside.json()["detail"]["code"] == "bucket_forbidden", outside.text
    assert get({town: -1}).status_code == 400
    assert get({town: 0}, {"Authorization": "Bearer nonsense"}).json()["detail"]["code"] == "bad_token"
    assert get({town: 0}, {}).json()["detail"]["code"] == "no_token"
    with srv.state.transaction() as s:
        s.execute(sync_api.text("UPDATE srv_sync_counter SET human_serials = :h WHERE id = 1"),
                  {"h": json.dumps({sync_api.HORIZON_KEY: {town: head + 1}})})
    stale = get({town: head})
    assert stale.status_code == 410 and stale.json()["detail"]["resync"] == [town], stale.text
    with srv.state.transaction() as s:
        for token in s.scalars(select(DeviceToken).where(DeviceToken.device_id == "ws-qc-0001")):
            token.revoked = True
    assert get({town: 0}).json()["detail"]["code"] == "revoked"
