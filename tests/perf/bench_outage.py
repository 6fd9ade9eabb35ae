"""After a long outage (issue 20): three desks of 球川, ~5,000 offline mutations on shared records, tokens
expired; from the server answering again to everyone converged. Plus what durability costs.

``python -m tests.perf.bench_outage`` (or ``python -m tests.perf outage``). The outage measure needs
PostgreSQL at 127.0.0.1:5432 and runs the real ``commandroom serve --workers 2``.

Measures:

* **convergence**: from the moment ``GET /health`` first answers after the restart to: every outbox
  empty, every column of every 球川 row equal on the three desks and the server, ``audit()`` clean on
  each desk — target ≤ 30 s. The desks run with the production settings (5 s → 60 s back-off, 60 s
  periodic pull) and had been offline long enough for their back-off to reach its cap;
* **reconnect noticed**: from ``/health`` answering to the first push reaching the server (the last of
  the three desks) — target ≤ 2 s;
* **rebase cost**: one push answer with a rejected result while 700 mutations are queued, against
  re-applying the whole queue (what every merged or rejected answer used to cost);
* **durable commit**: one officer action (``DeskStore.perform``, mutation + outbox) with
  ``synchronous=FULL`` against the same action with NORMAL; and a 100-mutation push into the embedded
  (SQLite) server, durable against NORMAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.perf.measure import Measure

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("COMMANDROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
OFFLINE_SETTLE = float(os.environ.get("BENCH_OUTAGE_SETTLE", "75"))  # s offline before the server returns


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """``commandroom serve --workers 2`` on a PostgreSQL database, in its own process group."""

    def __init__(self, url: str, home: Path) -> None:
        self.url, self.home, self.port = url, home, _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "COMMANDROOM_HOME": str(self.home), "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "commandroom", "serve", "--db", self.url, "--host",
                                      "127.0.0.1", "--port", str(self.port), "--workers", "2"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, start_new_session=True)

    def answering(self) -> bool:
        try:
            return httpx.get(self.base + "/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_answering(self, timeout: float = 60) -> float:
        """Poll ``/health`` every 20 ms; the perf_counter moment it first answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answering():
                return time.perf_counter()
            time.sleep(0.02)
        raise RuntimeError("server did not answer")

    def stop(self) -> None:
        """Gone at once, as when the line or the power goes (SIGKILL to the supervisor and its workers)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
            self.proc.wait(20)
            self.proc = None


def _expire_tokens(url: str) -> None:
    from sqlalchemy import create_engine, update

    from commandroom.domain.models import DeviceToken
    from commandroom.store.db import normalise_url
    from commandroom.timeutil import utcnow

    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(update(DeviceToken).values(access_expires_at=utcnow() - timedelta(hours=70)))
    engine.dispose()


def _rows(read: Any) -> dict[str, dict[str, dict[str, Any]]]:
    from sqlalchemy import select

    from commandroom.domain.models import SYNCED_MODELS, row_to_dict
    from tests.e2e.conftest import QC

    out: dict[str, dict[str, dict[str, Any]]] = {}
    with read() as s:
        for table, model in SYNCED_MODELS.items():
            if "township_code" in model.__table__.c:
                out[table] = {r.id: row_to_dict(r) for r in s.scalars(select(model).where(model.township_code == QC))}
    return out


def _first_difference(mine: dict[str, dict[str, dict[str, Any]]], want: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Where a desk's rows first differ from the server's ("" when they are equal), to say why it did not converge."""
    for table in sorted(set(mine) | set(want)):
        a, b = mine.get(table, {}), want.get(table, {})
        for rid in sorted(set(a) | set(b)):
            if a.get(rid) != b.get(rid):
                if rid not in a or rid not in b:
                    return f"{table} {rid} only on {'the server' if rid in b else 'the desk'} ({len(a)} vs {len(b)} rows)"
                cols = [c for c in b[rid] if a[rid].get(c) != b[rid].get(c)]
                return f"{table} {rid}: {', '.join(f'{c} desk={a[rid].get(c)!r} server={b[rid].get(c)!r}' for c in cols)}"
    return ""


def _caught_up(desks: list[Any], read: Any) -> bool:
    """Every desk's cursor of each of its buckets at that bucket's newest change (cheap: the full comparison only
    then). Not the server's head: the last change may be in a bucket the desks do not read (a 球川 incident's
    department bucket, another township's escalation), and a pull moves the cursors only to the changes it brings."""
    from sqlalchemy import text

    cursors = [ws.store.cursors() for ws in desks]
    with read() as s:
        newest = {b: s.execute(text("SELECT max(seq) FROM srv_change_log WHERE bucket = :b"), {"b": b}).scalar() or 0
                  for b in {b for c in cursors for b in c}}
    return all(seq >= newest[b] for c in cursors for b, seq in c.items())


def _cpu(server: Serve) -> tuple[float, float]:
    """CPU seconds used so far: (this process — the three desks —, the server's processes)."""
    t = os.times()
    mine = t.user + t.system
    theirs = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [server.proc.pid] if server.proc else []
    for pid in list(pids):
        with contextlib.suppress(OSError):
            pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            theirs += (int(fields[11]) + int(fields[12])) / tick
    return mine, theirs


class Timeline:
    """Where a desk's time goes after the outage: each push and pull request, each push answer recorded
    (``record_results``: the rebase it costs), each pulled page written (``apply_page``), with the moments
    they started and ended, so the breakdown also shows the waits between them."""

    KINDS = ("push", "pull", "other_http", "record", "apply_page", "pending_batch")

    def __init__(self) -> None:
        self.spans: dict[str, list[tuple[str, float, float, int]]] = {}
        self.origin = 0.0

    def watch(self, ws: Any) -> None:
        spans = self.spans.setdefault(ws.name, [])
        engine, store = ws.engine, ws.store

        def timed_sync(kind: str, fn: Any, size: Any = lambda *a, **k: 0) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    spans.append((kind, t0, time.perf_counter(), size(*args, **kwargs)))
            return wrapper

        request = engine._request

        async def timed_request(method: str, path: str, **kwargs: Any) -> Any:
            kind = "push" if path.endswith("/sync/push") else "pull" if path.endswith("/sync/pull") else "other_http"
            t0, n = time.perf_counter(), 0
            try:
                answer = await request(method, path, **kwargs)
                n = len(answer.get("results") or answer.get("changes") or ()) if isinstance(answer, dict) else 0
                return answer
            finally:
                spans.append((kind, t0, time.perf_counter(), n))

        engine._request = timed_request
        store.record_results = timed_sync("record", store.record_results, lambda results, *_a, **_k: len(results))
        store.apply_page = timed_sync("apply_page", store.apply_page,
                                      lambda page, *_a, **_k: len(page.get("changes") or ()))
        store.pending_batch = timed_sync("pending_batch", store.pending_batch)

    def report(self, start: float, end: float) -> str:
        """Per desk: count, total and longest of each kind after ``start``; the time no request or write ran."""
        lines = []
        for name, spans in self.spans.items():
            mine = sorted((s for s in spans if s[2] >= start), key=lambda s: s[1])
            parts = []
            for kind in self.KINDS:
                these = [s for s in mine if s[0] == kind]
                if these:
                    total = sum(s[2] - s[1] for s in these)
                    parts.append(f"{kind} {len(these)}× {total:.1f} s (max {max(s[2] - s[1] for s in these):.2f})")
            busy, cursor = 0.0, start
            for _k, t0, t1, _n in mine:  # union of the spans: the rest is waiting (back-off, lock, the loop)
                t0 = max(t0, cursor)
                if t1 > t0:
                    busy += t1 - t0
                    cursor = t1
            last = max((s[2] for s in mine), default=start)
            pushed_by = max((s[2] for s in mine if s[0] == "push"), default=start)
            parts.append(f"idle {max(last - start - busy, 0):.1f} s; last push answered at +{pushed_by - start:.1f} s "
                         f"(the desks share the server unevenly when these differ); last activity at "
                         f"+{last - start:.1f} s")
            lines.append(f"  {name}: " + "; ".join(parts))
        pushes = sorted((s for spans in self.spans.values() for s in spans if s[0] == "push" and s[2] >= start),
                        key=lambda s: s[1])
        union, cursor = 0.0, start
        for _k, t0, t1, _n in pushes:  # the time at least one desk was waiting for a push answer
            t0 = max(t0, cursor)
            if t1 > t0:
                union += t1 - t0
                cursor = t1
        pushed = sum(s[3] for s in pushes)
        if pushed:
            lines.append(f"  all desks: {pushed} mutations pushed in {len(pushes)} requests; some push in flight "
                         f"{union:.1f} s ({union / pushed * 1e3:.1f} ms per mutation: the server's pace, its writes "
                         f"serialized on the counter lock)")
        return "\n".join(lines)


async def _audits_clean(desks: list[Any]) -> bool:
    for ws in desks:
        if await ws.engine.audit(repair=False) != {}:
            return False
    return True


def _settled(desks: list[Any], read: Any) -> tuple[Any, ...]:
    """What would change if anything were still being written: each desk's outbox size and cursors, and the
    server's newest change (the convergence check reads the rows after this, so they must still be the same)."""
    from sqlalchemy import text

    with read() as s:
        head = s.execute(text("SELECT max(seq) FROM srv_change_log")).scalar() or 0
    return head, tuple((ws.store.pending_count(), tuple(sorted(ws.store.cursors().items()))) for ws in desks)


async def _outage(scale: float) -> dict[str, Any]:
    """Seconds to converge, to the last desk's first request and first push, mutations and CPU, after the outage.

    ``scale`` multiplies the offline work (the notes on the shared incidents and the incidents accepted
    offline): 1 is the issue's ~5,200 mutations; 0.25 is a quicker run for comparing changes.
    """
    from sqlalchemy.orm import sessionmaker

    from commandroom.server.state import open_state
    from commandroom.server.users import create_user
    from commandroom.store.db import make_engine
    from commandroom.store.local import DeskStore
    from commandroom.sync.engine import SyncEngine
    from tests.conftest import create_pg_database, drop_pg_database
    from tests.e2e.conftest import PASSWORD, QC, QC_POINT, SERVICE, Workstation, make_accounts
    from tests.e2e.outage_scenario import offline_work
    from tests.server.test_auth_support import seeded
    from tests.sync.helpers import copy_template

    tmp = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    url = seeded(create_pg_database(PG_ADMIN), tmp)
    state = open_state(url)
    api_key = make_accounts(state)
    with state.transaction() as s:
        create_user(s, username="qc3", display_name="球川值班丙", role="duty_officer", township_code=QC,
                    password=PASSWORD)
        # Open311 intake is limited per key (30 in 10 minutes): the scenario's reports come from several workers
        keys = [api_key] + [create_user(s, username=f"gw-qc{k}", display_name=f"网格员{k}", role="grid_worker",
                                        township_code=QC, password=None)[1] for k in range(2, 8)]
    state.close()
    server = Serve(url, tmp)
    server.start()
    server.wait_answering()
    desks: list[Workstation] = []
    try:
        for name, user in (("球川-一", "qc1"), ("球川-二", "qc2"), ("球川-三", "qc3")):
            copy_template("client", tmp / f"{name}.db")
            store = DeskStore(tmp / f"{name}.db")
            engine = SyncEngine(store, server.base, device_name=name)  # production settings
            ws = Workstation(name, tmp / f"{name}.db", store, engine, await engine.login(user, PASSWORD, name))
            desks.append(ws)
        n_shared, n_fresh = 30, max(1, round(25 * scale))
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            reports = []
            for i in range(n_shared + 3 * n_fresh + 2):
                r = await http.post("/open311/v2/requests.json", data={
                    "api_key": keys[i // 25], "service_code": SERVICE, "lat": str(QC_POINT[0]), "long": str(QC_POINT[1]),
                    "description": f"球川镇第{i}处违停，车辆堵塞路口"})
                reports.append(r.json()[0]["token"])
        one = desks[0]
        assert await one.engine.sync_once(raise_errors=True)
        from commandroom.ids import new_id

        shared = [new_id() for _ in range(n_shared)]
        for inc, rep in zip(shared, reports, strict=False):
            one.perform("report.accept", rep, {"incident_id": inc})
        for ws in desks:
            assert await ws.engine.sync_once(raise_errors=True)
        for ws in desks:
            assert await ws.engine.sync_once(raise_errors=True)
            ws.engine.start()

        # ---- the line goes down; the desks work on; the outage outlives the access tokens
        server.stop()
        plan = offline_work(desks, shared, reports[n_shared:n_shared + 3 * n_fresh], reports[-2], reports[-1],
                            notes_per_incident=max(1, round(40 * scale)), own_edits=max(5, round(300 * scale)), own_incidents=n_fresh, lifecycle_edits=3)
        _expire_tokens(url)
        await asyncio.sleep(OFFLINE_SETTLE)  # the old engine's back-off had reached 60 s × jitter by now
        assert all(ws.store.pending_count() > 0 for ws in desks)

        timeline = Timeline()
        for ws in desks:
            timeline.watch(ws)

        # ---- the server answers again
        server.start()
        answered = await asyncio.to_thread(server.wait_answering)
        cpu0 = _cpu(server)
        reached: dict[str, float] = {}
        first_push: dict[str, float] = {}
        pending0 = {ws.name: ws.store.pending_count() for ws in desks}
        srv_engine = make_engine(url)
        srv_read = sessionmaker(srv_engine)
        milestones: dict[str, float] = {}  # when each part of "converged" first held (the timeline's last line)
        differ: list[str] = []
        took = None
        while True:
            now = time.perf_counter()
            for ws in desks:
                if ws.name not in reached and ws.engine.stats["refreshes"]:
                    reached[ws.name] = now  # its first request after the outage was answered (a 401)
                if ws.name not in first_push and ws.store.pending_count() < pending0[ws.name]:
                    first_push[ws.name] = now
            if all(ws.store.pending_count() == 0 for ws in desks):
                milestones.setdefault("outboxes empty", now)
                if await asyncio.to_thread(_caught_up, desks, srv_read):
                    milestones.setdefault("cursors at their buckets' newest change", now)
                    # the state as it is now; the comparison below takes seconds (thousands of rows on four
                    # databases, in the desks' own process), and converged is when the state held, not when
                    # the harness finished looking at it: so long as nothing was written meanwhile
                    at = time.perf_counter()
                    seen = await asyncio.to_thread(_settled, desks, srv_read)
                    want = await asyncio.to_thread(_rows, srv_read)
                    differ = [f"{ws.name}: {_first_difference(await asyncio.to_thread(_rows, ws.store.read), want)}"
                              for ws in desks]
                    differ = [d for d in differ if not d.endswith(": ")]
                    if not differ:
                        milestones.setdefault("every column equal", at)
                        if await _audits_clean(desks) and await asyncio.to_thread(_settled, desks, srv_read) == seen:
                            took = at - answered
                            milestones["checked"] = time.perf_counter()
                            break
            if time.perf_counter() - answered > 600:
                break
            await asyncio.sleep(0.05)
        cpu = _cpu(server)
        srv_engine.dispose()
        end = answered + (took if took is not None else 600)
        if os.environ.get("BENCH_OUTAGE_TIMELINE", "1") != "0":
            marks = ", ".join(f"{k} +{v - answered:.1f} s" for k, v in milestones.items())
            print(f"outage timeline (from the server answering; {marks}; "
                  f"{'converged' if took is not None else 'NOT converged'} at +{end - answered:.1f} s):\n"
                  + timeline.report(answered, end), file=sys.stderr, flush=True)
        if took is None:
            raise RuntimeError(f"no convergence within 10 minutes ({'; '.join(differ) or 'audit not clean'})")
        return {"took": took, "noticed": max(reached.values()) - answered,
                "first_push": max(first_push.values()) - answered, "mutations": plan.mutations,
                "cpu_desks": cpu[0] - cpu0[0], "cpu_server": cpu[1] - cpu0[1]}
    finally:
        for ws in desks:
            await ws.close()
        server.stop()
        drop_pg_database(PG_ADMIN, url)


def bench_outage(scale: float = 1) -> list[Measure]:
    load_before = os.getloadavg()
    r = asyncio.run(_outage(scale))
    load = os.getloadavg()
    note = (f"load avg {load_before[0]:.1f}→{load[0]:.1f}; CPU used meanwhile: desks {r['cpu_desks']:.0f} s, "
            f"server processes {r['cpu_server']:.0f} s")
    return [
        Measure(f"outage: 3 desks, {r['mutations']:,} offline mutations, tokens expired, PG 2 processes: "
                f"server answering → converged ({note})", r["took"], "s", 30.0, "limit", "≤ 30 s", r["took"] <= 30.0),
        Measure("outage: server answering → every desk's first request answered (reconnect noticed)", r["noticed"],
                "s", 2.0, "limit", "≤ 2 s", r["noticed"] <= 2.0),
        Measure("outage: server answering → every desk's first push acknowledged", r["first_push"], "s", None, "",
                "informational", True),
    ]


# --------------------------------------------------------------------------- what durability costs


def _timed_performs(store: Any, actor: Any, card: str, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        store.perform(actor, "test.card.set", card, {"title": f"第{i}次"})
    return (time.perf_counter() - t0) / n


def bench_durable_commit(n: int = 200) -> Measure:
    """One officer action with FULL (as shipped) against NORMAL (``durable`` made a no-op) in the same run."""
    import commandroom.store.local as local_mod
    from commandroom.ids import new_id
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from tests.sync.helpers import T1, copy_template

    tmp = Path(tempfile.mkdtemp(prefix="bench-durable-"))
    copy_template("client", tmp / "d.db")
    store = DeskStore(tmp / "d.db")
    actor = Actor(user_id="u1", name="甲", role="duty_officer", township_code=T1)
    card = new_id()
    store.perform(actor, "test.card.create", card, {"township_code": T1, "title": "卡片"})
    full = normal = float("inf")
    real = local_mod.make_durable
    for _ in range(3):
        full = min(full, _timed_performs(store, actor, card, n))
        local_mod.make_durable = lambda _session: None
        try:
            normal = min(normal, _timed_performs(store, actor, card, n))
        finally:
            local_mod.make_durable = real
    store.close()
    return Measure("one officer action (mutation + outbox) committed with synchronous=FULL", full * 1e3, "ms",
                   normal * 1e3, "same action, NORMAL", "ratio ≤ 3 and ≤ 20 ms", full / normal <= 3 and full < 0.02)


async def _push_100(durable: bool) -> float:
    import commandroom.server.state as state_mod
    from commandroom.ids import new_id
    from tests.sync.helpers import T1, make_client, make_server

    tmp = Path(tempfile.mkdtemp(prefix="bench-push-"))
    server = make_server(f"sqlite:///{tmp / 'server.db'}", tmp)
    await server.start()
    client = await make_client(server, tmp, "w", "a1", batch_size=100)
    assert await client.engine.sync_once()
    real = state_mod.make_durable
    if not durable:
        state_mod.make_durable = lambda _session: None
    try:
        best = float("inf")
        for _ in range(3):
            for i in range(100):
                client.perform("test.card.create", new_id(), {"township_code": T1, "title": f"卡片{i}"})
            t0 = time.perf_counter()
            await client.engine.push_once()
            best = min(best, time.perf_counter() - t0)
    finally:
        state_mod.make_durable = real
        await client.close()
        await server.stop()
        server.state.close()
    return best


def bench_durable_push() -> Measure:
    full = asyncio.run(_push_100(True))
    normal = asyncio.run(_push_100(False))
    return Measure("100-mutation push into the embedded (SQLite) server, synchronous=FULL", full * 1e3, "ms",
                   normal * 1e3, "same push, NORMAL", "ratio ≤ 1.5", full / normal <= 1.5)


def bench_record_result(queued: int = 700) -> Measure:
    """One push answer with a rejected result while ``queued`` mutations wait: the rebase it costs, against
    re-applying the whole queue (what every merged/rejected answer used to cost)."""
    from commandroom.ids import new_id
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from tests.sync.helpers import T1, copy_template

    tmp = Path(tempfile.mkdtemp(prefix="bench-rebase-"))
    copy_template("client", tmp / "r.db")
    store = DeskStore(tmp / "r.db")
    actor = Actor(user_id="u1", name="甲", role="duty_officer", township_code=T1)
    cards = [new_id() for _ in range(queued // 2)]
    for i, card in enumerate(cards):
        store.perform(actor, "test.card.create", card, {"township_code": T1, "title": f"卡片{i}"})
    for i, card in enumerate(cards):
        store.perform(actor, "test.card.set", card, {"body": f"正文{i}"})
    entries = store.outbox()
    t0 = time.perf_counter()
    store.record_results([{"mutation_id": entries[0].mutation_id, "status": "rejected", "seq": None,
                           "code": "validation_error", "explanation": "测试"}], "e1")
    partial = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.rebase()
    full = time.perf_counter() - t0
    store.close()
    return Measure(f"push answer with one rejection, {len(entries)} mutations queued: rebase", partial * 1e3, "ms",
                   full * 1e3, "re-applying the whole queue", "ratio ≤ 0.1", partial / full <= 0.1)


def run() -> list[Measure]:
    out = [bench_record_result(), bench_durable_commit(), bench_durable_push()]
    out.extend(bench_outage(float(os.environ.get("BENCH_OUTAGE_SCALE", "1"))))
    return out


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print("| measure | value | baseline or limit (same run) | ratio | target | verdict |")
    print("|---|---|---|---|---|---|")
    for m in run():
        print(m.row(), flush=True)
