"""Server-side cost of one push and one pull, robust to a busy machine: SQL statements and CPU time.

``python -m tests.perf.push_cost [sqlite|postgres] [n]`` (default postgres, 200). Counts the statements
the server sends (SQLAlchemy ``before_cursor_execute`` on the server's engine) and the process CPU time
(``time.process_time``; the database server's own CPU is not in it) for:

* ``process_push`` with one ``test.card.create`` (the load benchmark's mutation), one ``test.card.set``
  on an existing card (an update with base versions), one ``report.create`` (allocates a human number),
  one and ten ``incident.note`` (most of an outage's queue: a timeline row and the incident's stamp)
  and a batch of ten ``test.card.create``;
* the whole ``POST /sync/push`` and ``GET /sync/pull`` requests through the ASGI app (token lookup,
  validation, JSON) — wall time here includes the in-process HTTP client, so read the CPU figure.

Wall times are medians, and only meaningful on a quiet machine; the load average is printed.
``PUSH_COST_PROFILE=POST`` (any part of a case's label) prints a cProfile of the cases it names.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

PROFILE = os.environ.get("PUSH_COST_PROFILE", "")
"""Profile the cases whose label contains this (cProfile; the CPU figures of a profiled case are inflated)."""
PG_ADMIN = os.environ.get("COMMANDROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


class Counter:
    def __init__(self, *engines: Any) -> None:
        self.n = 0
        self.sql: list[str] = []
        for engine in engines:
            event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        self.n += 1
        self.sql.append(statement)


ROUND_TRIPS = [0]
"""Exchanges with PostgreSQL that waited for its answer (statements, BEGIN/COMMIT/ROLLBACK, the pool's pre-ping):
in a busy one-process server each is also a wait for the GIL. Counted by :func:`_count_round_trips`."""


def _count_round_trips() -> None:
    """Count every psycopg operation that went to the server and waited (a generator that yielded)."""
    import psycopg

    original = psycopg.Connection.wait

    def _track(gen):  # a generator that passes everything through, counting it once if it waits at all
        try:
            value = gen.send(None)
        except StopIteration as stop:
            return stop.value
        ROUND_TRIPS[0] += 1
        while True:
            try:
                sent = yield value
            except BaseException as exc:  # noqa: BLE001 - handed on to the wrapped generator
                try:
                    value = gen.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                value = gen.send(sent)
            except StopIteration as stop:
                return stop.value

    def wait(self, gen, *args, **kw):
        return original(self, _track(gen), *args, **kw)

    psycopg.Connection.wait = wait  # type: ignore[method-assign]


def _measure(label: str, counter: Counter, fn: Callable[[int], Any], n: int, *, show_sql: bool) -> dict[str, Any]:
    fn(-1)  # warm up (imports, first-use caches)
    fn(-2)
    stmts, cpu, wall, trips = [], [], [], []
    profiler = None
    if PROFILE and PROFILE in label:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    for i in range(n):
        counter.n = 0
        counter.sql = []
        ROUND_TRIPS[0] = 0
        c0, w0 = time.process_time(), time.perf_counter()
        fn(i)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        stmts.append(counter.n)
        trips.append(ROUND_TRIPS[0])
    if profiler is not None:
        import pstats

        profiler.disable()
        print(f"--- {label}: cProfile of {n} runs, top by own time and by cumulative time")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(60)
    if show_sql:
        print(f"--- {label}: statements of the last run")
        for s in counter.sql:
            print("   ", " ".join(s.split())[:160])
    row = {"label": label, "stmts": statistics.median(stmts), "stmts_max": max(stmts),
           "cpu_ms": statistics.median(cpu) * 1000, "wall_ms": statistics.median(wall) * 1000,
           "round_trips": statistics.median(trips)}
    print(f"{label:<44} statements {row['stmts']:>5.1f} (max {row['stmts_max']:>3})  "
          f"round trips {row['round_trips']:>4.1f}  "
          f"CPU {row['cpu_ms']:6.2f} ms  wall {row['wall_ms']:6.2f} ms (median of {n})", flush=True)
    return row


def main(backend: str = "postgres", n: int = 200, show_sql: bool = False) -> list[dict[str, Any]]:
    import orjson
    from fastapi.testclient import TestClient

    import tests.sync.helpers  # noqa: F401 - registers the test.* mutations
    from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
    from commandroom.domain.models import DeviceToken, User
    from commandroom.ids import new_id
    from commandroom.server.app import create_app
    from commandroom.server.auth import issue_tokens, principal_for
    from commandroom.server.state import open_state
    from commandroom.server.sync_api import PushIn, process_push, pull_page
    from commandroom.server.users import create_user
    from tests.conftest import create_pg_database, drop_pg_database
    from tests.server.test_auth_support import QC, QC_SEAT, drop_templates, seeded

    tmp = Path(tempfile.mkdtemp(prefix="push-cost-"))
    url = create_pg_database(PG_ADMIN) if backend == "postgres" else f"sqlite:///{tmp / 'cost.db'}"
    try:
        seeded(url, tmp)
        state = open_state(url)
        state.extras["marker_dir"] = str(tmp)
        app = create_app(state=state)
        with state.transaction() as s:
            user, _ = create_user(s, username="qc1", display_name="球川值班甲", role="duty_officer",
                                  township_code=QC, password=None)
            tok = issue_tokens(s, user, new_id(), "cost-ws")
        with state.read() as s:
            who = principal_for(s, s.get(User, user.id), s.get(DeviceToken, tok["token_id"]))
        if backend == "postgres":
            _count_round_trips()
        state.quick_read(lambda _s: None)  # the token checks' and pulls' own engine (PostgreSQL), counted too
        counter = Counter(state.engine, *([state.extras["quick_engine"]] if "quick_engine" in state.extras else []))
        inc = new_id()
        seq = [0]
        cards: list[str] = []

        def body(muts: list[tuple[str, str, dict]]) -> dict:
            out = []
            for name, eid, args in muts:
                seq[0] += 1
                out.append({"mutation_id": new_id(), "local_seq": seq[0], "name": name, "entity_id": eid,
                            "args": args, "base_versions": {}})
            return {"device_id": who.device_id, "device_incarnation": inc, "protocol_version": PROTOCOL_VERSION,
                    "schema_version": SCHEMA_VERSION, "mutations": out}

        def push(muts: list[tuple[str, str, dict]]) -> None:
            status, out = process_push(state, who, PushIn.model_validate(body(muts)))
            assert status == 200 and len(out["results"]) == len(muts), out
            assert all(r["status"] == "applied" for r in out["results"]), out

        def card(i: int) -> tuple[str, str, dict]:
            cid = new_id()
            cards.append(cid)
            return ("test.card.create", cid, {"township_code": QC, "title": f"cost {i}"})

        def report(i: int) -> tuple[str, str, dict]:
            return ("report.create", new_id(), {"source": "hotline_12345", "category_code": "urban_parking",
                                                "description": f"违停 {i}", "lat": QC_SEAT[0], "lon": QC_SEAT[1]})

        rows = []
        with TestClient(app) as client:
            rows.append(_measure("process_push: 1 × test.card.create", counter, lambda i: push([card(i)]), n,
                                 show_sql=show_sql))
            rows.append(_measure("process_push: 1 × test.card.set", counter,
                                 lambda i: push([("test.card.set", cards[i % len(cards)], {"title": f"set {i}"})]),
                                 n, show_sql=show_sql))
            rows.append(_measure("process_push: 1 × report.create (numbered)", counter,
                                 lambda i: push([report(i)]), n, show_sql=show_sql))
            rep, incident = new_id(), new_id()
            push([("report.create", rep, report(-3)[2])])
            push([("report.accept", rep, {"incident_id": incident})])
            rows.append(_measure("process_push: 1 × incident.note", counter,
                                 lambda i: push([("incident.note", incident, {"note": f"备注 {i}"})]), n, show_sql=show_sql))
            rows.append(_measure("process_push: 10 × incident.note", counter,
                                 lambda i: push([("incident.note", incident, {"note": f"备注 {i}-{k}"}) for k in range(10)]),
                                 max(10, n // 10), show_sql=False))
            rows.append(_measure("process_push: 10 × test.card.create", counter,
                                 lambda i: push([card(i * 10 + k) for k in range(10)]), max(10, n // 10),
                                 show_sql=False))
            headers = {"Authorization": f"Bearer {tok['access_token']}", "Content-Type": "application/json"}

            def http_push(i: int) -> None:
                r = client.post("/api/v1/sync/push", content=orjson.dumps(body([card(i)])), headers=headers)
                assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text

            rows.append(_measure("POST /sync/push: 1 × test.card.create", counter, http_push, n, show_sql=show_sql))
            bucket = f"township:{QC}"
            cursor = [0]

            def http_pull(_i: int) -> None:
                r = client.get("/api/v1/sync/pull", headers=headers,
                               params={"cursors": orjson.dumps({bucket: cursor[0]}).decode(), "limit": 500})
                assert r.status_code == 200, r.text

            with state.read() as s:
                from commandroom.server.changelog import head

                cursor[0] = max(0, head(s) - 3)  # a few changes per pull, as a poked workstation sees
            rows.append(_measure("GET /sync/pull (3 changes)", counter, http_pull, n, show_sql=show_sql))
            from types import SimpleNamespace

            from fastapi.security import HTTPAuthorizationCredentials

            from commandroom.server.auth import principal

            fake = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(server=state)))
            creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=tok["access_token"])
            rows.append(_measure("principal (the token check of every request)", counter,
                                 lambda i: principal(fake, creds), n, show_sql=show_sql))
            rows.append(_measure("pull_page (3 changes)", counter,
                                 lambda i: pull_page(state, who, {bucket: cursor[0]}, 500), n, show_sql=show_sql))
        state.close()
    finally:
        if backend == "postgres":
            drop_pg_database(PG_ADMIN, url)
            drop_templates()
    print(f"backend {backend}; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; "
          f"{os.cpu_count()} CPUs", flush=True)
    return rows


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    main(args[0] if args else "postgres", int(args[1]) if len(args) > 1 else 200, show_sql="--sql" in sys.argv)
