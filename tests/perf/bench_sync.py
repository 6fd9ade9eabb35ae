"""Sync benchmarks: client apply rate vs raw sqlite3, 100k catch-up from PostgreSQL, 140 SSE workstations.

``python -m tests.perf sync``. The PostgreSQL measures need the server at 127.0.0.1:5432 and are
reported as errors otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.perf.measure import Measure, percentile
from tests.perf.raw_http import RawConnection, pull_path
from tests.perf.request_trace import LoopLag, report

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
    from commandroom.store.local import DeskStore
    from tests.sync.helpers import copy_template

    rows = _rows(n)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    # the engine's path: DeskStore.apply_page, one transaction per page
    copy_template("client", tmp / "client.db")
    store = DeskStore(tmp / "client.db")
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
    return Measure("client apply rate (DeskStore.apply_page, 2000-row pages)", rate, "rows/s", raw_rate,
                   "raw sqlite3 executemany upsert", "ratio ≥ 0.5", rate / raw_rate >= 0.5,
                   key="sync.apply_rate", better="higher")


# --------------------------------------------------------------------------- PostgreSQL-backed server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_SCRIPT = """
import os, sys, uvicorn
import tests.sync.helpers  # registers the test.* mutations
from commandroom.server.app import create_app
from commandroom.server.state import open_state
workers = int(sys.argv[4])
state = open_state(sys.argv[1])
if workers == 1:  # as `commandroom serve`
    from commandroom.server.run import freeze_heap
    from tests.perf.bench_sync import bench_settings, note_push_groups, traced
    bench_settings(state, sys.argv[3])
    app = create_app(state=state)
    note_push_groups(app, state, sys.argv[3])
    freeze_heap()
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    profile_to = os.environ.get("BENCH_SERVER_PROFILE")  # cProfile of every thread, written at shutdown
    if profile_to:
        import cProfile, pstats, threading, time
        # CPU time of each thread (BENCH_SERVER_PROFILE_WALL=1: wall time, waits for locks and the GIL included)
        timer = time.perf_counter if os.environ.get("BENCH_SERVER_PROFILE_WALL") else time.thread_time
        profiles = []
        def _profile_thread(*_args):  # each new thread's first event: that thread's own profiler from now on
            prof = cProfile.Profile(timer)
            profiles.append(prof)
            prof.enable()
        threading.setprofile(_profile_thread)
        main_prof = cProfile.Profile(timer)
        profiles.append(main_prof)
        main_prof.enable()
        async def _dump_profile():  # at shutdown: uvicorn ends the process with the signal afterwards
            main_prof.disable()
            pstats.Stats(*profiles).dump_stats(profile_to)
        app.state.shutdown_hooks.append(_dump_profile)
    uvicorn.run(traced(app), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
else:  # as `commandroom serve --workers N`: migrated once here, one app per worker process
    state.close()
    os.environ["BENCH_DB"], os.environ["BENCH_MARKER_DIR"] = sys.argv[1], sys.argv[3]
    from commandroom.server.run import run_workers
    run_workers("tests.perf.bench_sync:bench_worker_app", workers, host="127.0.0.1", port=int(sys.argv[2]),
                log_level="warning")
"""


def bench_worker_app():  # uvicorn's factory in each worker of a several-process bench server
    import tests.sync.helpers  # noqa: F401 - registers the test.* mutations
    from commandroom.server.app import create_app
    from commandroom.server.run import freeze_heap
    from commandroom.server.state import open_state

    state = open_state(os.environ["BENCH_DB"], migrate=False)
    bench_settings(state, os.environ["BENCH_MARKER_DIR"])
    app = create_app(state=state)
    note_push_groups(app, state, os.environ["BENCH_MARKER_DIR"])
    freeze_heap()
    return traced(app)


# the bench server's knobs: environment variable → (server.extras key, type)
_KNOBS = {
    "BENCH_POKE_GAP": ("poke_gap", float),  # seconds between two pokes of one desk (events.POKE_GAP_SECONDS)
    "BENCH_POKE_SPREAD": ("poke_spread", float),  # seconds over which desks poked together hear of it
    "BENCH_POKE_GAP_MAX": ("poke_gap_max", float),  # the widest gap while pulls queue (= the gap: fixed)
    "BENCH_PULL_THREADS": ("pull_threads", int),  # pulls running at once (sync_api.PULL_THREADS)
    "BENCH_PULL_PACE": ("pull_pace", float),  # least time between one device's pulls (sync_api.PULL_PACE_SECONDS)
}


def note_push_groups(app: Any, state: Any, marker_dir: str) -> None:
    """At shutdown, write how many write transactions this process's pushes took (``sync_api._Groups``), so
    the bench can say how much the pushes were grouped (:attr:`PgServer.push_groups`), and how many pulls
    the pace held (``sync_api.PullPacer``, :attr:`PgServer.pulls_held`)."""

    async def dump() -> None:
        groups = state.extras.get("push_groups")
        pacer = state.extras.get("pull_pacer")
        if groups is not None or pacer is not None:
            Path(marker_dir, f"push-groups-{os.getpid()}.json").write_text(json.dumps({
                "groups": groups.groups if groups else 0, "pushes": groups.pushes if groups else 0,
                "held": pacer.held if pacer else 0, "held_seconds": pacer.held_seconds if pacer else 0.0,
                "pace": pacer.pace if pacer else None}))

    app.state.shutdown_hooks.append(dump)


def bench_settings(state: Any, marker_dir: str) -> None:
    """The bench server's settings, the same in one process and in each of several."""
    state.extras["marker_dir"] = marker_dir
    state.extras["sse_heartbeat"] = 10.0
    for env, (key, kind) in _KNOBS.items():
        if os.environ.get(env):
            state.extras[key] = kind(os.environ[env])


def traced(app: Any) -> Any:
    """``app``, or with ``BENCH_TRACE=DIR`` wrapped to note each push's stages (tests/perf/request_trace.py)."""
    if not os.environ.get("BENCH_TRACE"):
        return app
    from tests.perf.request_trace import TraceApp, install_probes

    install_probes()
    return TraceApp(app, os.environ["BENCH_TRACE"])


class PgServer:
    def __init__(self, workers: int = 1) -> None:
        from tests.conftest import create_pg_database

        self.url = create_pg_database(PG_ADMIN)
        self.port = _free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-srv-"))
        self.proc: subprocess.Popen | None = None
        self.workers = workers
        self.connections_opened: int | None = None
        self.push_groups: tuple[int, int] | None = None  # (write transactions, pushes in them), whole run
        self.pulls_held: tuple[int, float] = (0, 0.0)  # pulls the pace held, and for how long in all
        self.pull_pace: float | None = None  # the pace the server processes held pulls to (seconds)

    def seed(self, changes: int) -> None:
        from sqlalchemy import insert, update

        from commandroom.domain.models import ChangeLog, SyncCounter
        from commandroom.server.changelog import counter
        from commandroom.server.state import open_state
        from tests.sync.helpers import seed_reference

        state = open_state(self.url)
        seed_reference(state)
        with state.transaction() as s:
            first = counter(s).head  # the reference data's own changes (the townships' boards) come first
        rows = _rows(changes)
        now = __import__("datetime").datetime(2026, 11, 26)
        for start in range(0, changes, 10_000):
            with state.transaction() as s:
                s.execute(insert(ChangeLog), [
                    {"seq": first + r["row_version"], "bucket": f"township:{T1}", "entity_type": "task_card",
                     "entity_id": r["id"], "op": "upsert", "row_version": r["row_version"], "fields": r,
                     "origin_device": None, "origin_mutation": None, "server_ts": now}
                    for r in rows[start:start + 10_000]])
        with state.transaction() as s:
            s.execute(update(SyncCounter).values(head=first + changes))
        state.close()

    def start(self) -> str:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, self.url, str(self.port), str(self.tmp),
                                      str(self.workers)], cwd=ROOT)
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
        counts = [json.loads(f.read_text()) for f in self.tmp.glob("push-groups-*.json")]
        if counts:
            self.push_groups = (sum(c["groups"] for c in counts), sum(c["pushes"] for c in counts))
            self.pulls_held = (sum(c["held"] for c in counts), sum(c["held_seconds"] for c in counts))
            self.pull_pace = next((c["pace"] for c in counts if c.get("pace") is not None), None)
        self.connections_opened = self._sessions()
        drop_pg_database(PG_ADMIN, self.url)

    def _sessions(self) -> int | None:
        """Connections opened to the bench database so far (PostgreSQL's own count), seeding included."""
        import psycopg

        time.sleep(1.0)  # the backends that just ended report their statistics within a second
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s",
                                   (self.url.rsplit("/", 1)[1],)).fetchone()
        except psycopg.Error:
            return None
        return int(row[0]) if row else None


async def _catch_up(base: str, n: int) -> float:
    from commandroom.store.local import DeskStore
    from commandroom.sync.engine import SyncEngine
    from tests.sync.helpers import PASSWORD, copy_template

    tmp = Path(tempfile.mkdtemp(prefix="bench-client-"))
    copy_template("client", tmp / "c.db")
    store = DeskStore(tmp / "c.db")
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
                   5.0, "target", "≤ 5 s", took <= 5.0, key="sync.catch_up_100k")


# --------------------------------------------------------------------------- load: 140 SSE workstations, 50 pushes/s

TOWNSHIPS = 14
PER_TOWNSHIP = 10  # 140 workstations, ten per township, as in the county


def _town(i: int) -> str:
    return T1 if i == 0 else ("330822101" if i == 1 else f"3308229{i:02d}")


def seed_county(url: str, listeners: int, pushers: int, pullers: int) -> dict[str, list[tuple[str, str, str]]]:
    """Townships, one officer each, and device tokens: ``{role: [(token, device_id, township), …]}``.

    Tokens are issued directly (no password hashing): 140 argon2 sign-ins would only measure argon2.
    """
    from commandroom.domain.models import Module, Township, User
    from commandroom.ids import new_id
    from commandroom.server import changelog
    from commandroom.server.auth import issue_tokens
    from commandroom.server.state import open_state
    from tests.sync.helpers import board_of

    state = open_state(url, migrate=False)
    out: dict[str, list[tuple[str, str, str]]] = {"listen": [], "push": [], "pull": []}
    with state.transaction() as s:
        officers = []
        for i in range(TOWNSHIPS):
            code = _town(i)
            if s.get(Township, code) is None:
                s.add(Township(code=code, name=f"第{i}镇", short_name=f"{i}镇", kind="镇", seat_lat=28.9,
                               seat_lon=118.5, number_prefix=f"T{i}", zone_id=None))
            if s.get(Module, board_of(code)) is None:
                # the board the pushed cards go to and the township's desks read (module:<id>): without it, a
                # township's cards went to a bucket no desk reads, and only the two seeded townships' 20 desks
                # were ever poked (sessions 3-8)
                s.flush()
                board = Module(id=board_of(code), township_code=code, name=f"第{i}镇模块")
                s.add(board)
                s.flush()
                changelog.log_rows(s, [board])
            u = User(username=f"load{i}", display_name=f"值班{i}", role="duty_officer", scope_kind="township",
                     scope_code=code, township_code=code)
            s.add(u)
            officers.append(u)
        s.flush()
        for role, n in (("listen", listeners), ("push", pushers), ("pull", pullers)):
            for k in range(n):
                u = officers[k % TOWNSHIPS]
                dev = new_id()
                tok = issue_tokens(s, u, dev, f"{role}-{k}")
                out[role].append((tok["access_token"], dev, u.township_code))
    state.close()
    return out


LISTENER_SCRIPT = r'''
# The 140 desks in one process, on plain asyncio streams (tests/perf/raw_http.py): one SSE connection and one
# keep-alive connection for pulls per desk.
import asyncio, json, sys, time
import orjson
from tests.perf.raw_http import RawConnection, pull_path, read_chunk, read_head

cfg = json.loads(sys.stdin.readline())
base, seconds, pull_on_poke = cfg["base"], cfg["seconds"], cfg["pull_on_poke"]
hello = [0]; pokes = [0]; skipped = [0]; errors = []; pulls = []; ready = asyncio.Event(); inflight = set(); stopping = False

async def one(token, town):
    conn = RawConnection(base, token)
    state = {"cursors": {}, "busy": False, "again": False}  # every bucket of the desk, as a desk pulls
    async def pull(timed=True):
        if state["busy"]:
            state["again"] = True
            return
        state["busy"] = True
        try:
            while True:
                state["again"] = False
                t0 = time.perf_counter()
                status, body = await conn.get(pull_path(state["cursors"]))
                if timed:
                    pulls.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"pull answered {status}: {body[:80]!r}")
                state["cursors"] = orjson.loads(body)["cursors"]
                if not state["again"]:
                    return
        except Exception as exc:
            if not stopping:
                errors.append(repr(exc))
        finally:
            state["busy"] = False
    try:
        reader, writer = await asyncio.open_connection(conn.host, conn.port)
        writer.write(f"GET /api/v1/sync/events HTTP/1.1\r\nHost: {conn.host}\r\n{conn.auth}\r\n".encode())
        status, _length, _chunked = await read_head(reader)
        if status != 200:
            raise RuntimeError(f"events answered {status}")
        pending = b""
        while True:
            part = await read_chunk(reader)
            if not part:
                return
            pending += part
            while b"\n\n" in pending:
                raw, pending = pending.split(b"\n\n", 1)
                event, data = "", b""
                for line in raw.split(b"\n"):
                    if line.startswith(b"event:"):
                        event = line[6:].strip().decode()
                    elif line.startswith(b"data:"):
                        data = line[5:]
                if event == "hello":
                    state["cursors"] = {k: v or 0 for k, v in (orjson.loads(data).get("heads") or {}).items()}
                    # as the desk's engine: connected, it syncs at once (SyncEngine._listen wakes the sync loop),
                    # so its pull connection is open before the room's day starts; that first pull is not timed
                    await pull(timed=False)
                    hello[0] += 1
                    if hello[0] == len(cfg["tokens"]):
                        ready.set()
                elif event == "poke":
                    pokes[0] += 1
                    # as the desk's engine (SyncEngine._on_event): pull only when a poked head is past its cursor
                    heads = orjson.loads(data).get("heads") or {}
                    if pull_on_poke and not stopping and (not heads or any(
                            h is None or h > state["cursors"].get(b, 0) for b, h in heads.items())):
                        inflight.add(asyncio.ensure_future(pull()))
                        inflight.difference_update([t for t in inflight if t.done()])
                    elif pull_on_poke:
                        skipped[0] += 1
    except Exception as exc:
        if not stopping:
            errors.append(repr(exc))

async def main():
    tasks = [asyncio.create_task(one(t, town)) for t, town in cfg["tokens"]]
    try:
        await asyncio.wait_for(ready.wait(), 60)
    except TimeoutError:
        pass
    print(f"ready {hello[0]}", flush=True)
    await asyncio.sleep(seconds)
    global stopping
    stopping = True
    for t in [*tasks, *inflight]:
        t.cancel()
    await asyncio.gather(*tasks, *inflight, return_exceptions=True)
    pulls.sort()
    p99 = pulls[min(len(pulls) - 1, round(0.99 * (len(pulls) - 1)))] if pulls else None
    print(json.dumps({"hello": hello[0], "pokes": pokes[0], "skipped": skipped[0], "pulls": len(pulls), "pull_p99": p99,
                      "errors": errors[:5], "n_errors": len(errors)}), flush=True)

asyncio.run(main())
'''


class Listeners:
    """The connected workstations, in their own process so their event loop does not skew the measures."""

    def __init__(self, base: str, tokens: list[tuple[str, str, str]], seconds: float, pull_on_poke: bool) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", LISTENER_SCRIPT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
        cfg = {"base": base, "seconds": seconds, "pull_on_poke": pull_on_poke,
               "tokens": [(t, town) for t, _d, town in tokens]}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cfg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        self.connected = int(line.split()[1]) if line.startswith("ready") else 0

    def result(self, timeout: float) -> dict:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        lines = [ln for ln in (out or "").splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


async def _push_pull(base: str, tokens: dict[str, list[tuple[str, str, str]]], *, seconds: float, push_rate: float,
                     pull_rate: float, limit_n: int | None = None, trace: list | None = None,
                     lag: Any = None) -> tuple[list[float], list[float], int]:
    """Open-loop pushes and pulls at the given rates for ``seconds`` (or ``limit_n`` of each).

    A device's pushes are sequential (its outbox order), so pushes are spread over several devices;
    a late push is measured from when it was sent, and the achieved rate is reported. Each pusher and puller
    has its own keep-alive connection (:class:`tests.perf.raw_http.RawConnection`).
    """
    from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
    from commandroom.ids import new_id

    push_lat: list[float] = []
    pull_lat: list[float] = []
    errors = [0]
    pushers = [{"c": RawConnection(base, t), "dev": d, "town": town,
                "inc": new_id(), "seq": 0, "q": asyncio.Queue()} for t, d, town in tokens["push"]]
    pullers = [{"c": RawConnection(base, t), "town": town, "cursors": {}, "q": asyncio.Queue()}
               for t, _d, town in tokens["pull"]]

    async def push_worker(p: dict) -> None:
        while True:
            i = await p["q"].get()
            if i is None:
                return
            p["seq"] += 1
            body = {"device_id": p["dev"], "device_incarnation": p["inc"], "protocol_version": PROTOCOL_VERSION,
                    "schema_version": SCHEMA_VERSION, "mutations": [{
                        "mutation_id": new_id(), "local_seq": p["seq"], "name": "test.card.create",
                        "entity_id": new_id(), "args": {"township_code": p["town"], "title": f"load {i}"},
                        "base_versions": {}}]}
            headers = f"X-Bench-Id: push-{i}\r\n" if trace is not None else ""
            t0 = time.perf_counter()
            try:
                status, answer = await p["c"].request("POST", "/api/v1/sync/push", orjson.dumps(body), headers)
                ok = status == 200 and orjson.loads(answer)["results"][0]["status"] == "applied"
            except (OSError, asyncio.IncompleteReadError, ValueError, KeyError):
                ok = False
            push_lat.append(time.perf_counter() - t0)
            if trace is not None:
                trace.append((f"push-{i}", t0, t0 + push_lat[-1]))
            errors[0] += 0 if ok else 1

    async def pull_worker(p: dict) -> None:
        while True:  # every bucket of the desk (the cards go to their board's), as a desk pulls
            i = await p["q"].get()
            if i is None:
                return
            t0 = time.perf_counter()
            try:
                status, answer = await p["c"].get(pull_path(p["cursors"]))
                if status != 200:
                    raise ValueError(f"pull answered {status}")
                p["cursors"] = orjson.loads(answer)["cursors"]
            except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
                errors[0] += 1
            pull_lat.append(time.perf_counter() - t0)

    if lag is not None:
        lag.start()
    workers = [asyncio.create_task(push_worker(p)) for p in pushers]
    workers += [asyncio.create_task(pull_worker(p)) for p in pullers]
    t_start = time.perf_counter()
    n_push = n_pull = 0
    next_push = next_pull = t_start
    while True:
        now = time.perf_counter()
        if (limit_n is None and now - t_start >= seconds) or (limit_n is not None and n_push >= limit_n
                                                               and n_pull >= limit_n):
            break
        if now >= next_push and (limit_n is None or n_push < limit_n):
            pushers[n_push % len(pushers)]["q"].put_nowait(n_push)
            n_push += 1
            next_push += 1 / push_rate
        if now >= next_pull and (limit_n is None or n_pull < limit_n):
            pullers[n_pull % len(pullers)]["q"].put_nowait(n_pull)
            n_pull += 1
            next_pull += 1 / pull_rate
        await asyncio.sleep(max(0.0, min(next_push, next_pull) - time.perf_counter()))
    for p in pushers + pullers:
        p["q"].put_nowait(None)
    # bounded drain: whatever is still queued after 60 s is abandoned (and shows as a low achieved rate)
    _done, late = await asyncio.wait(workers, timeout=60)
    for t in late:
        t.cancel()
    if lag is not None:
        lag.stop()
    for p in pushers + pullers:
        p["c"].close()
    return push_lat, pull_lat, errors[0] + len(late)


def bench_load(seconds: float = 30.0, listeners: int = TOWNSHIPS * PER_TOWNSHIP, push_rate: float = 50.0,
               pull_on_poke: bool = False, baseline_n: int = 200, workers: int = 2) -> list[Measure]:
    """Push and pull p99 with ``listeners`` SSE workstations and ``push_rate`` pushes/s, and without load.

    ``workers``: server processes (``commandroom serve --workers N``). Two on this 2-core machine: in one
    process the write path's threads wait for the GIL between statements while they hold the counter
    lock (docs/performance.md has both).
    """
    srv = PgServer(workers)
    try:
        srv.seed(1000)
        tokens = seed_county(srv.url, listeners, pushers=TOWNSHIPS, pullers=TOWNSHIPS)
        base = srv.start()
        # same run, no load: one push and one pull at a time, 10 of each a second; the pulls alternate between two
        # desks, so that none of them meets the server's pace (one device's pulls ≥ 100 ms apart)
        solo = {"push": tokens["push"][:1], "pull": tokens["pull"][:2]}
        b_push, b_pull, b_err = asyncio.run(_push_pull(base, solo, seconds=0, push_rate=10, pull_rate=10,
                                                       limit_n=baseline_n))
        crowd = Listeners(base, tokens["listen"], seconds + 10, pull_on_poke)
        meter = CpuMeter(srv)
        meter.start()
        desks0, own0 = _cpu_seconds([crowd.proc.pid]).get(crowd.proc.pid, 0.0), time.process_time()
        t0 = time.perf_counter()
        trace_dir = os.environ.get("BENCH_TRACE")
        trace: list | None = [] if trace_dir else None
        lag = LoopLag() if trace_dir else None
        push_lat, pull_lat, err = asyncio.run(_push_pull(base, tokens, seconds=seconds, push_rate=push_rate,
                                                         pull_rate=push_rate, trace=trace, lag=lag))
        took = time.perf_counter() - t0
        desks_cpu = _cpu_seconds([crowd.proc.pid]).get(crowd.proc.pid, 0.0) - desks0
        own_cpu = time.process_time() - own0
        meter.stop()  # the desks go on pulling a little after: their pulls in this window are most of theirs
        listened = crowd.result(timeout=seconds + 90)
    finally:
        srv.stop()
    if trace is not None and lag is not None and trace_dir:
        print(f"{workers} process(es), pulling on poke {pull_on_poke}: " + report(trace_dir, trace, lag.samples),
              flush=True)
        for old_file in Path(trace_dir).glob("server-*.json"):
            old_file.unlink()
    bp_push, bp_pull = percentile(b_push, 99) * 1000, percentile(b_pull, 99) * 1000
    p99_push, p99_pull = percentile(push_lat, 99) * 1000, percentile(pull_lat, 99) * 1000
    mode = "pulling on every poke" if pull_on_poke else "listening"
    extra = (f"; they pulled {listened.get('pulls', 0)} times, p99 "
             f"{(listened.get('pull_p99') or 0) * 1000:.0f} ms, {listened.get('skipped', 0)} pokes needed no pull"
             if pull_on_poke else "")
    errors = err + b_err + listened.get("n_errors", 0)
    first_error = f" e.g. {listened['errors'][0][:60]}" if listened.get("errors") else ""
    detail = (f"{workers} server process{'es' if workers > 1 else ''}, "
              f"{crowd.connected}/{listeners} SSE workstations {mode} ({listened.get('pokes', 0)} pokes received"
              f"{extra}), {len(push_lat) / took:.1f} pushes/s achieved of {push_rate:.0f}, {len(push_lat)} pushes, "
              f"p50 {percentile(push_lat, 50) * 1000:.0f} ms, errors {errors}{first_error}, "
              f"{srv.connections_opened} database connections opened, "
              f"load avg {os.getloadavg()[0]:.1f}")
    key = f"sync.load_{'pull_on_poke' if pull_on_poke else 'listen'}_{workers}proc"
    out = [
        Measure(f"push p99 — {detail}", p99_push, "ms", bp_push, "no load", "≤ 100 ms",
                p99_push <= 100, key=f"{key}.push_p99"),
        Measure(f"pull p99 under the same load ({len(pull_lat)} pulls at {push_rate:.0f}/s, p50 "
                f"{percentile(pull_lat, 50) * 1000:.0f} ms)", p99_pull, "ms",
                bp_pull, "no load", "≤ 100 ms", p99_pull <= 100, key=f"{key}.pull_p99"),
    ]
    if pull_on_poke and listened.get("pull_p99") is not None:
        desk_p99 = listened["pull_p99"] * 1000
        out.append(Measure(f"  same: p99 of the {listened.get('pulls', 0)} pulls the poked desks made", desk_p99,
                           "ms", bp_pull, "no load", "≤ 100 ms", desk_p99 <= 100,
                           key=f"{key}.desk_pull_p99"))
    out.append(Measure("  same: pushes/s achieved", len(push_lat) / took, "pushes/s", push_rate, "asked", "info",
                       True))
    # who used the machine's two cores meanwhile: the desks and the push/pull client run here too, where in
    # the county each desk is its own computer
    out.append(Measure(f"  same: CPU used, of {2 * took:.0f} core-seconds: server {meter.server:.1f}, PostgreSQL "
                       f"backends {meter.database:.1f} (those alive at both ends), the {listeners} simulated desks "
                       f"{desks_cpu:.1f}, the push and pull client {own_cpu:.1f}",
                       (meter.server + meter.database + desks_cpu + own_cpu) / took, "cores", 2.0, "cores here",
                       "info", True))
    out.extend(_grouping(srv))
    requests = len(push_lat) + len(pull_lat) + listened.get("pulls", 0)
    out.append(Measure(f"  same: server CPU per request ({requests} pushes and pulls; PostgreSQL backends "
                       f"{meter.database * 1000 / max(requests, 1):.1f} ms more)", meter.server * 1000 / max(requests, 1),
                       "ms", None, "", "info", True))
    return out


async def _sustained(base: str, tokens: dict[str, list[tuple[str, str, str]]], seconds: float,
                     seed: int = 3) -> tuple[list[float], list[float], int, int]:
    """Closed loop for ``seconds``: each pusher sends batches of 1–5 mutations back to back, each puller pulls
    back to back. Returns (push latencies, pull latencies, mutations applied, errors)."""
    import random

    from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
    from commandroom.ids import new_id

    rnd = random.Random(seed)
    push_lat: list[float] = []
    pull_lat: list[float] = []
    applied = [0]
    errors = [0]
    stop_at = time.perf_counter() + seconds

    async def pusher(token: str, dev: str, town: str) -> None:
        conn = RawConnection(base, token)
        incarnation, seq = new_id(), 0
        while time.perf_counter() < stop_at:
            batch = []
            for _ in range(rnd.randint(1, 5)):
                seq += 1
                batch.append({"mutation_id": new_id(), "local_seq": seq, "name": "test.card.create",
                              "entity_id": new_id(), "args": {"township_code": town, "title": f"s{seq}"},
                              "base_versions": {}})
            body = {"device_id": dev, "device_incarnation": incarnation, "protocol_version": PROTOCOL_VERSION,
                    "schema_version": SCHEMA_VERSION, "mutations": batch}
            t0 = time.perf_counter()
            try:
                status, answer = await conn.request("POST", "/api/v1/sync/push", orjson.dumps(body))
                results = orjson.loads(answer)["results"] if status == 200 else []
                ok = sum(1 for x in results if x["status"] == "applied")
            except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
                ok = 0
            push_lat.append(time.perf_counter() - t0)
            applied[0] += ok
            errors[0] += len(batch) - ok
        conn.close()

    async def puller(token: str, town: str) -> None:
        conn = RawConnection(base, token)
        cursors: dict[str, int] = {}  # every bucket of the desk (the cards go to their board's), as a desk pulls
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                status, answer = await conn.get(pull_path(cursors))
                if status != 200:
                    raise ValueError(f"pull answered {status}")
                cursors = orjson.loads(answer)["cursors"]
            except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
                errors[0] += 1
            pull_lat.append(time.perf_counter() - t0)
        conn.close()

    await asyncio.gather(*[pusher(t, d, town) for t, d, town in tokens["push"]],
                         *[puller(t, town) for t, _d, town in tokens["pull"]])
    return push_lat, pull_lat, applied[0], errors[0]


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (the uvicorn workers of a several-process server)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(c for c, parent in parents.items() if parent == p)
    return out


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving this benchmark's database."""
    from sqlalchemy import text

    from commandroom.store.db import make_engine

    engine = make_engine(PG_ADMIN)
    try:
        with engine.connect() as conn:
            return [int(p) for p in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                                 {"d": url.rsplit("/", 1)[1]}).scalars()]
    finally:
        engine.dispose()


class CpuMeter:
    """CPU the server processes and their PostgreSQL backends spend between ``start`` and ``stop``.

    On a shared machine wall times stretch with everyone else's load; the CPU a mutation costs the
    server much less, so it is the figure to compare runs made at different loads by.
    """

    def __init__(self, srv: PgServer) -> None:
        self.srv = srv
        self.server = self.database = 0.0

    def _now(self) -> tuple[dict[int, float], dict[int, float]]:
        assert self.srv.proc is not None
        return _cpu_seconds(_descendants(self.srv.proc.pid)), _cpu_seconds(_backends(self.srv.url))

    def start(self) -> None:
        self._server0, self._db0 = self._now()

    def stop(self) -> None:
        server1, db1 = self._now()
        self.server = sum(v - self._server0.get(p, 0.0) for p, v in server1.items())
        self.database = sum(v - self._db0.get(p, 0.0) for p, v in db1.items())


def bench_sustained(seconds: float = 20.0, pushers: int = 8, pullers: int = 8, workers: int = 2,
                    solo_seconds: float = 6.0, pull_when_poked: bool = True) -> list[Measure]:
    """Sustained writes on PostgreSQL: ``pushers`` devices pushing batches of 1–5 back to back, ``pullers`` pulling.

    ``pull_when_poked``: the pullers are desks as the desk's engine runs them — connected to the event stream,
    pulling when a poke names a bucket past their cursors (their own process, as in :func:`bench_load`).
    Otherwise each puller pulls back to back with no pause (a stress far past any desk), reported under its own
    keys; the server paces each of them to ten pulls a second (``sync_api.PULL_PACE_SECONDS``), so their pull
    p99 is about the pace. Same-run baseline: one pusher alone (no pullers) on the same
    server, just before. Also reported: the CPU the server processes and their PostgreSQL backends spent per
    mutation applied under the full load.
    """
    srv = PgServer(workers)
    try:
        srv.seed(1000)
        tokens = seed_county(srv.url, 0, pushers=pushers + 1, pullers=pullers)
        solo = {"push": tokens["push"][-1:], "pull": []}
        crowd = {"push": tokens["push"][:-1], "pull": tokens["pull"]}
        base = srv.start()
        asyncio.run(_sustained(base, crowd, 2.0))  # warm-up: connections, caches
        t0 = time.perf_counter()
        s_push, _s_pull, s_applied, s_errors = asyncio.run(_sustained(base, solo, solo_seconds))
        s_rate = s_applied / (time.perf_counter() - t0)
        desks = None
        if pull_when_poked:
            desks = Listeners(base, crowd["pull"], seconds + 10, pull_on_poke=True)
            crowd = {"push": crowd["push"], "pull": []}
        meter = CpuMeter(srv)
        meter.start()
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        push_lat, pull_lat, applied, errors = asyncio.run(_sustained(base, crowd, seconds))
        took = time.perf_counter() - t0
        meter.stop()
        if desks is not None:
            listened = desks.result(timeout=seconds + 90)
            n_pulls = listened.get("pulls", 0)
            p99_pull = (listened.get("pull_p99") or 0) * 1000
            errors += listened.get("n_errors", 0)
            pulled = (f"{desks.connected}/{pullers} pullers pulling when poked as desks do "
                      f"({listened.get('pokes', 0)} pokes, {n_pulls} pulls, "
                      f"{listened.get('skipped', 0)} pokes needed no pull)")
    finally:
        srv.stop()
    rate = applied / took
    p99_push = percentile(push_lat, 99) * 1000
    if desks is None:
        n_pulls, p99_pull = len(pull_lat), percentile(pull_lat, 99) * 1000
        pulled = f"{pullers} pullers back to back ({n_pulls} pulls, p50 {percentile(pull_lat, 50) * 1000:.0f} ms)"
    detail = (f"{workers} server processes, {pushers} pushers (batches of 1–5), {pulled}, "
              f"{len(push_lat)} pushes, errors {errors + s_errors}, "
              f"load avg {load0:.1f} → {os.getloadavg()[0]:.1f}")
    per = 1000 / max(applied, 1)
    key = "sync.sustained" if pull_when_poked else "sync.sustained_pull_loop"
    return [
        Measure(f"sustained writes, PostgreSQL — {detail}", rate, "mutations/s", s_rate,
                "1 pusher alone, same run", "≥ 300 mutations/s", rate >= 300, key=f"{key}_rate",
                better="higher"),
        Measure(f"  same: push p99 (p50 {percentile(push_lat, 50) * 1000:.0f} ms)", p99_push, "ms",
                percentile(s_push, 99) * 1000, "1 pusher alone, same run", "≤ 200 ms", p99_push <= 200,
                key=f"{key}_push_p99"),
        Measure("  same: pull p99", p99_pull, "ms", None, "", "info", True, key=f"{key}_pull_p99"),
        Measure(f"  same: CPU per mutation applied, server processes (pulls included; PostgreSQL backends "
                f"{meter.database * per:.1f} ms more)", meter.server * per, "ms",
                2000 / 300, "2 cores / 300 mutations/s", "info", True),
        *_grouping(srv),
    ]


def _grouping(srv: PgServer) -> list[Measure]:
    """Pushes per write transaction (one process's pushes waiting together are written in one transaction), and
    the pulls the server's pace held (as the server processes counted them)."""
    if not srv.push_groups:
        return []
    groups, pushes = srv.push_groups
    held, held_seconds = srv.pulls_held
    pace = f"≥ {srv.pull_pace * 1000:.0f} ms" if srv.pull_pace is not None else "paced"
    return [Measure(f"  same: pushes per write transaction, whole run ({pushes} pushes in {groups} transactions, "
                    f"the baseline's and warm-up's included)", pushes / max(groups, 1), "", None, "", "info", True),
            Measure(f"  same: pulls held by the pace (one device's pulls {pace} apart unless "
                    f"catching up; {held_seconds:.1f} s held in all, whole run)",
                    held, "pulls", None, "", "info", True)]


PARTS = ("apply", "catch_up", "listen", "pull_on_poke", "pull_on_poke_1", "sustained", "sustained_pull_loop")


def run() -> list[Measure]:
    """Every part, or those named in ``BENCH_SYNC_PARTS`` (comma-separated, of :data:`PARTS`)."""
    wanted = [p for p in os.environ.get("BENCH_SYNC_PARTS", ",".join(PARTS)).split(",") if p]
    unknown = set(wanted) - set(PARTS)
    if unknown:
        raise ValueError(f"BENCH_SYNC_PARTS: no part {', '.join(sorted(unknown))} (there are {', '.join(PARTS)})")
    out: list[Measure] = []
    if "apply" in wanted:
        out.append(bench_apply())
    if "catch_up" in wanted:
        out.append(bench_catch_up())
    if "listen" in wanted:
        out.extend(bench_load())
    if "pull_on_poke" in wanted:
        out.extend(bench_load(pull_on_poke=True))
    if "pull_on_poke_1" in wanted:
        out.extend(bench_load(pull_on_poke=True, workers=1))
    if "sustained" in wanted:
        out.extend(bench_sustained())
    if "sustained_pull_loop" in wanted:
        out.extend(bench_sustained(pull_when_poked=False))
    return out


if __name__ == "__main__":
    for m in run():
        print(m.row())
