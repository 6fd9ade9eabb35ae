"""Sync benchmarks: client apply rate vs raw sqlite3, 100k catch-up from PostgreSQL, 140 SSE workstations.

``python -m tests.perf sync``. The PostgreSQL measures need the server at 127.0.0.1:5432 and are
reported as errors otherwise.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from tests.perf.measure import Measure, percentile

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("COMMANDROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
T1 = "330822100"


def _rows(n: int) -> list[dict]:
    from commandroom.ids import new_id

    now = "2026-11-26T08:00:00.123456"
    return [
        {"id": new_id(), "township_code": T1, "row_version": i + 1, "field_versions": {"title": i + 1},
         "created_at": now, "updated_at": now, "deleted": False, "module_id": "m1", "title": f"卡片 {i}",
         "body": "巡查发现路灯不亮，需要维修" * 2, "column": "todo", "position": float(i), "lifecycle_epoch": 0,
         "lane": "", "assignee_user_id": None, "assignee_name": "", "due_at": None, "incident_id": None,
         "case_id": None, "auto_source": "", "column_changed_at": None}
        for i in range(n)
    ]


def bench_apply(n: int = 50_000, page: int = 2000) -> Measure:
    from commandroom.sync.local import LocalStore
    from tests.sync.helpers import copy_template

    rows = _rows(n)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    # the engine's path: LocalStore.apply_page, one transaction per page
    copy_template("client", tmp / "client.db")
    store = LocalStore(tmp / "client.db")
    pages = []
    for start in range(0, n, page):
        chunk = rows[start:start + page]
        cursor_before = start
        pages.append({"epoch": "e", "since": {f"township:{T1}": cursor_before} if start else {},
                      "cursors": {f"township:{T1}": start + len(chunk)},
                      "changes": [{"seq": r["row_version"], "bucket": f"township:{T1}", "entity_type": "task_card",
                                   "entity_id": r["id"], "op": "upsert", "row_version": r["row_version"],
                                   "fields": r} for r in chunk]})
    t0 = time.perf_counter()
    for p in pages:
        assert store.apply_page(p) is not None
    engine_s = time.perf_counter() - t0
    store.close()
    # the baseline: raw sqlite3 executemany upsert of the same rows (already tuples), same pages
    import sqlite3

    copy_template("client", tmp / "raw.db")
    conn = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    cols = list(rows[0])
    sql = (f'INSERT INTO task_card ({", ".join(chr(34) + c + chr(34) for c in cols)}) VALUES '
           f'({", ".join("?" for _ in cols)}) ON CONFLICT (id) DO UPDATE SET '
           + ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c != "id"))
    tuples = [tuple(orjson.dumps(r[c]).decode() if isinstance(r[c], dict) else r[c] for c in cols) for r in rows]
    t0 = time.perf_counter()
    for start in range(0, n, page):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, tuples[start:start + page])
        conn.execute("COMMIT")
    raw_s = time.perf_counter() - t0
    conn.close()
    rate, raw_rate = n / engine_s, n / raw_s
    return Measure("client apply rate (LocalStore.apply_page, 2000-row pages)", rate, "rows/s", raw_rate,
                   "raw sqlite3 executemany upsert", "ratio ≥ 0.5", rate / raw_rate >= 0.5)


# --------------------------------------------------------------------------- PostgreSQL-backed server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_SCRIPT = """
import sys, uvicorn
import tests.sync.helpers  # registers the test.* mutations
from commandroom.server.app import create_app
from commandroom.server.state import open_state
state = open_state(sys.argv[1])
state.extras["marker_dir"] = sys.argv[3]
state.extras["sse_heartbeat"] = 10.0
uvicorn.run(create_app(state=state), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


class PgServer:
    def __init__(self) -> None:
        from tests.conftest import create_pg_database

        self.url = create_pg_database(PG_ADMIN)
        self.port = _free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-srv-"))
        self.proc: subprocess.Popen | None = None

    def seed(self, changes: int) -> None:
        from sqlalchemy import insert, update

        from commandroom.domain.models import ChangeLog, SyncCounter
        from commandroom.server.changelog import counter
        from commandroom.server.state import open_state
        from tests.sync.helpers import seed_reference

        state = open_state(self.url)
        seed_reference(state)
        with state.transaction() as s:
            counter(s)
        rows = _rows(changes)
        now = __import__("datetime").datetime(2026, 11, 26)
        for start in range(0, changes, 10_000):
            with state.transaction() as s:
                s.execute(insert(ChangeLog), [
                    {"seq": r["row_version"], "bucket": f"township:{T1}", "entity_type": "task_card",
                     "entity_id": r["id"], "op": "upsert", "row_version": r["row_version"], "fields": r,
                     "origin_device": None, "origin_mutation": None, "server_ts": now}
                    for r in rows[start:start + 10_000]])
        with state.transaction() as s:
            s.execute(update(SyncCounter).values(head=changes))
        state.close()

    def start(self) -> str:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, self.url, str(self.port), str(self.tmp)],
                                     cwd=ROOT)
        base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        from tests.conftest import drop_pg_database

        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
        drop_pg_database(PG_ADMIN, self.url)


async def _catch_up(base: str, n: int) -> float:
    from commandroom.sync.engine import SyncEngine
    from commandroom.sync.local import LocalStore
    from tests.sync.helpers import PASSWORD, copy_template

    tmp = Path(tempfile.mkdtemp(prefix="bench-client-"))
    copy_template("client", tmp / "c.db")
    store = LocalStore(tmp / "c.db")
    engine = SyncEngine(store, base)  # the engine's own paging: 500, then the largest pages while catching up
    await engine.login("a1", PASSWORD)
    t0 = time.perf_counter()
    got = await engine.pull_once()
    took = time.perf_counter() - t0
    assert got >= n, got
    await engine.aclose()
    store.close()
    return took


def bench_catch_up(n: int = 100_000) -> Measure:
    srv = PgServer()
    try:
        srv.seed(n)
        base = srv.start()
        took = asyncio.run(_catch_up(base, n))
    finally:
        srv.stop()
    return Measure(f"catch-up of {n:,} changes from a PostgreSQL-backed server", took, "s",
                   5.0, "target", "≤ 5 s", took <= 5.0)


async def _load(base: str, seconds: float, listeners: int, push_rate: float) -> tuple[list[float], list[float], int]:
    from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
    from commandroom.ids import new_id
    from tests.sync.helpers import PASSWORD

    limits = httpx.Limits(max_connections=listeners + 50, max_keepalive_connections=listeners + 50)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def login(user: str) -> tuple[dict, str]:
            dev = new_id()
            r = await client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD,
                                                              "device_id": dev})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}, dev

        listen_h, _ = await login("a3")
        pushers = [await login(u) for u in ("a1", "a2")]
        pokes = [0]
        stop = asyncio.Event()

        async def listen() -> None:
            async with client.stream("GET", "/api/v1/sync/events", headers=listen_h,
                                     timeout=httpx.Timeout(None, connect=30)) as resp:
                async for line in resp.aiter_lines():
                    if line.startswith("event: poke"):
                        pokes[0] += 1
                    if stop.is_set():
                        return

        tasks = [asyncio.create_task(listen()) for _ in range(listeners)]
        await asyncio.sleep(2.0)
        push_lat: list[float] = []
        pull_lat: list[float] = []
        seqs = {dev: 0 for _, dev in pushers}
        incs = {dev: new_id() for _, dev in pushers}
        cursor = {"v": 0}

        async def push_one(i: int) -> None:
            h, dev = pushers[i % len(pushers)]
            seqs[dev] += 1
            body = {"device_id": dev, "device_incarnation": incs[dev], "protocol_version": PROTOCOL_VERSION,
                    "schema_version": SCHEMA_VERSION, "mutations": [{
                        "mutation_id": new_id(), "local_seq": seqs[dev], "name": "test.card.create",
                        "entity_id": new_id(), "args": {"township_code": T1, "title": f"load {i}"},
                        "base_versions": {}}]}
            t0 = time.perf_counter()
            r = await client.post("/api/v1/sync/push", content=orjson.dumps(body), headers=h)
            push_lat.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text

        async def pull_one() -> None:
            t0 = time.perf_counter()
            r = await client.get("/api/v1/sync/pull", headers=listen_h, params={
                "cursors": orjson.dumps({f"township:{T1}": cursor["v"]}).decode(), "limit": 500})
            pull_lat.append(time.perf_counter() - t0)
            cursor["v"] = r.json()["cursors"][f"township:{T1}"]

        t_end = time.perf_counter() + seconds
        i = 0
        pending: list[asyncio.Task] = []
        while time.perf_counter() < t_end:
            # pushes from one device are sequential (its outbox order); two devices push in parallel
            pending.append(asyncio.create_task(push_one(i)))
            pending.append(asyncio.create_task(pull_one()))
            i += 1
            await asyncio.sleep(1 / push_rate)
            if len(pending) > 200:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        stop.set()
        await asyncio.sleep(0.5)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return push_lat, pull_lat, pokes[0]


def bench_load(seconds: float = 10.0, listeners: int = 140, push_rate: float = 50.0) -> list[Measure]:
    srv = PgServer()
    try:
        srv.seed(1000)
        base = srv.start()
        push_lat, pull_lat, pokes = asyncio.run(_load(base, seconds, listeners, push_rate))
    finally:
        srv.stop()
    p99_push, p99_pull = percentile(push_lat, 99) * 1000, percentile(pull_lat, 99) * 1000
    return [
        Measure(f"push p99 with {listeners} SSE workstations, {push_rate:.0f} pushes/s ({len(push_lat)} pushes, "
                f"{pokes} pokes delivered)", p99_push, "ms", 100.0, "target", "≤ 100 ms", p99_push <= 100),
        Measure(f"pull p99 under the same load ({len(pull_lat)} pulls)", p99_pull, "ms", 100.0, "target",
                "≤ 100 ms", p99_pull <= 100),
    ]


def run() -> list[Measure]:
    out = [bench_apply()]
    out.append(bench_catch_up())
    out.extend(bench_load())
    return out


if __name__ == "__main__":
    for m in run():
        print(m.row())
