"""Where a slow push's time went: the bench client's clock against the server's, request by request.

``BENCH_TRACE=DIR`` (with the sync module's ``pull_on_poke`` parts): the bench server wraps its app in
:class:`TraceApp`, which notes for each request carrying ``X-Bench-Id`` when the ASGI app was called and when
it sent the last byte of its answer, and how late the server's event loop ran (a 5 ms ticker). The push
client notes when it sent each push and when the answer came. ``time.perf_counter`` is the system's
monotonic clock on Linux, one clock for every process, so the two sides line up. :func:`report` splits the
slow pushes into *before* (sent → the app called: the connection, uvicorn's parsing, a busy loop), *server*
(the app's own time) and *after* (the answer's last byte → the client had it).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any


class LoopLag:
    """How late a 5 ms ticker wakes: the event loop's own delay (a busy loop or a CPU-starved process)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []  # (when, how late), lateness over 2 ms only
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        step = 0.005
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(step)
            late = time.perf_counter() - t0 - step
            if late > 0.002:
                self.samples.append((t0 + step, late))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


_STAGES: contextvars.ContextVar[dict | None] = contextvars.ContextVar("bench_stages", default=None)
"""The traced request's stage times; run_in_threadpool copies the context, so its thread sees the same dict."""


def note(stage: str) -> None:
    stages = _STAGES.get()
    if stages is not None and stage not in stages:
        stages[stage] = time.perf_counter()


def install_probes() -> None:
    """Stage times inside the push path, by wrapping its functions (the bench server only)."""
    from commandroom.server import changelog, sync_api

    def probe(module: Any, name: str, before: str, after: str) -> None:
        inner = getattr(module, name)

        @functools.wraps(inner)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            note(before)
            try:
                return inner(*args, **kwargs)
            finally:
                note(after)

        setattr(module, name, wrapped)

    probe(sync_api, "_push_request", "thread", "thread_end")
    probe(sync_api, "process_push_grouped", "write", "written")
    probe(sync_api, "_write_group", "group", "group_end")
    probe(changelog, "lock_counter", "lock_asked", "lock_got")


STAGE_ORDER = ("called", "thread", "write", "group", "lock_asked", "lock_got", "written", "answered")


class TraceApp:
    """ASGI wrapper noting (bench id, called, answered) for requests with an ``X-Bench-Id`` header."""

    def __init__(self, app: Any, out_dir: str) -> None:
        self.app = app
        self.out = Path(out_dir) / f"server-{os.getpid()}.json"
        self.requests: list[tuple[str, float, float, dict]] = []
        self.lag = LoopLag()
        self.gc_pauses: list[tuple[int, float, float]] = []  # (generation, when, how long)
        self._gc_started = 0.0
        import gc

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                self._gc_started = time.perf_counter()
            else:
                self.gc_pauses.append((info["generation"], self._gc_started,
                                       time.perf_counter() - self._gc_started))

        gc.callbacks.append(on_gc)
        app.state.startup_hooks.append(self._start)
        app.state.shutdown_hooks.append(self._dump)

    def __getattr__(self, name: str) -> Any:  # uvicorn and the tests look at the app's state
        return getattr(self.app, name)

    async def _start(self) -> None:
        self.lag.start()

    async def _dump(self) -> None:
        self.lag.stop()
        self.out.write_text(json.dumps({"requests": self.requests, "lag": self.lag.samples,
                                        "gc": self.gc_pauses}))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        bench_id = None
        if scope["type"] == "http":
            for key, value in scope.get("headers", ()):
                if key == b"x-bench-id":
                    bench_id = value.decode()
                    break
        if bench_id is None:
            await self.app(scope, receive, send)
            return
        called = time.perf_counter()
        stages = {"called": called}
        _STAGES.set(stages)

        async def noting_send(message: dict) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.requests.append((bench_id, called, time.perf_counter(), stages))

        await self.app(scope, receive, noting_send)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def report(out_dir: str, client: list[tuple[str, float, float]], client_lag: list[tuple[float, float]],
           slow: float = 0.1) -> str:
    """The slow pushes' time, split; the loops' lateness while they waited."""
    server: dict[str, tuple[float, float]] = {}
    stage_of: dict[str, dict] = {}
    lag: list[tuple[float, float]] = []
    gcs: list[tuple[int, float, float]] = []
    for path in Path(out_dir).glob("server-*.json"):
        data = json.loads(path.read_text())
        gcs.extend(tuple(x) for x in data.get("gc", ()))
        for bench_id, called, answered, stages in data["requests"]:
            server[bench_id] = (called, answered)
            stage_of[bench_id] = {**stages, "answered": answered}
        lag.extend(tuple(x) for x in data["lag"])
    rows = []
    for bench_id, sent, got in client:
        if got - sent < slow or bench_id not in server:
            continue
        called, answered = server[bench_id]
        worst_server_lag = max((late for when, late in lag if sent <= when <= got), default=0.0)
        worst_client_lag = max((late for when, late in client_lag if sent <= when <= got), default=0.0)
        rows.append((got - sent, called - sent, answered - called, got - answered, worst_server_lag,
                     worst_client_lag))
    n_all = len(client)
    lines = [f"trace: {len(rows)} of {n_all} pushes took over {slow * 1000:.0f} ms "
             f"({sum(1 for b, *_ in client if b in server)} seen by the server)"]
    if rows:
        for i, name in enumerate(("total", "before the app (sent → called)", "in the app (called → answered)",
                                  "after (answered → client had it)", "worst server loop lag meanwhile",
                                  "worst client loop lag meanwhile")):
            col = [r[i] * 1000 for r in rows]
            lines.append(f"  {name:40s} p50 {_pct(col, 0.5):7.1f}  p90 {_pct(col, 0.9):7.1f}  "
                         f"max {max(col):7.1f} ms")
    if client and rows:  # when the slow pushes were sent: seconds since the first push, slow pushes per second
        start = min(sent for _b, sent, _g in client)
        per_second: dict[int, int] = {}
        for _b, sent, got in client:
            if got - sent >= slow:
                per_second[int(sent - start)] = per_second.get(int(sent - start), 0) + 1
        lines.append("  slow pushes by second sent: " + " ".join(f"{k}s:{v}" for k, v in sorted(per_second.items())))
    start = min((sent for _b, sent, _g in client), default=0.0)
    for label, early in (("in the first 3 s", True), ("later", False)):
        steps: dict[str, list[float]] = {}
        for bench_id, sent, got in client:
            if got - sent < slow or bench_id not in stage_of or (sent - start < 3.0) != early:
                continue
            stages = stage_of[bench_id]
            present = [st for st in STAGE_ORDER if st in stages]
            for a, b in itertools.pairwise(present):
                steps.setdefault(f"{a} → {b}", []).append((stages[b] - stages[a]) * 1000)
        if steps:
            lines.append(f"  slow pushes sent {label}, their stages:")
        for name, col in steps.items():
            lines.append(f"    {name:38s} p50 {_pct(col, 0.5):7.1f}  p90 {_pct(col, 0.9):7.1f}  max {max(col):7.1f} ms "
                         f"(n {len(col)})")
    first = [(b, round((got - sent) * 1000)) for b, sent, got in client if sent - start < 1.0]
    lines.append("  the first second's pushes (id: ms): " + " ".join(f"{b[5:]}:{ms}" for b, ms in first))
    later = sorted(got - sent for _b, sent, got in client if sent - start >= 3.0)
    if later:
        lines.append(f"  push p99 of those sent after the first 3 s: {_pct(later, 0.99) * 1000:.1f} ms (n {len(later)})")
    for gen in (0, 1, 2):
        pauses = [p * 1000 for g, _w, p in gcs if g == gen]
        if pauses:
            lines.append(f"  server GC generation {gen}: {len(pauses)} collections, total {sum(pauses):.0f} ms, "
                         f"p99 {_pct(pauses, 0.99):.1f}, max {max(pauses):.1f} ms")
    early_gc = [p for _g, w, p in gcs if start <= w < start + 3.0]
    early_lag = [late for w, late in lag if start <= w < start + 3.0]
    lines.append(f"  in the first 3 s: server GC {sum(early_gc) * 1000:.0f} ms in {len(early_gc)} collections, server loop "
                 f"lag over 2 ms {len(early_lag)} times, max {max(early_lag, default=0) * 1000:.1f} ms")
    worst = sorted(lag, key=lambda x: -x[1])[:6]
    lines.append("  worst server loop lags (s after the first push: ms): "
                 + ", ".join(f"{w - start:.1f}: {late * 1000:.0f}" for w, late in worst)
                 + "; generation-2 collections at: "
                 + ", ".join(f"{w - start:.1f}: {p * 1000:.0f}" for g, w, p in gcs if g == 2))
    all_server = [late for _w, late in lag]
    lines.append(f"  server loop lag over 2 ms: {len(all_server)} times, p99 {_pct(all_server, 0.99) * 1000:.1f}, "
                 f"max {max(all_server, default=0) * 1000:.1f} ms; client: {len(client_lag)} times, max "
                 f"{max((late for _w, late in client_lag), default=0) * 1000:.1f} ms")
    return "\n".join(lines)
