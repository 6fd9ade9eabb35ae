"""Which GUI-thread work made each long heartbeat gap of the UI-stall benchmark (``BENCH_ATTRIBUTE=1``).

Timers around the slots that run on the GUI thread: every asyncio callback (a task step of the
model's change drain, the benchmark's own loop), the table's paint events, the model's clock tick,
the view's text layout ahead of an insert, and each garbage collection (``gc.callbacks``). Each
records its wall interval and its own CPU time (``time.thread_time``). :func:`report` then lists,
for every gap whose GUI-thread CPU exceeded a limit, the timed work inside it, and per kind of work
how often it ran and how long it took. Diagnostics only: the timers cost a few microseconds each.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any


class Attribution:
    """Timed intervals of GUI-thread work: (name, start, end, own CPU seconds)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, float, float]] = []
        self.gui_thread = threading.get_ident()
        self._gc_start: tuple[float, float, int] | None = None
        self._depth = 0

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` with a timer around it (its calls on the GUI thread are recorded as ``name``)."""
        record = self.events.append
        gui = self.gui_thread

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != gui:
                return fn(*args, **kwargs)
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                record((name, t0, time.perf_counter(), time.thread_time() - c0))

        return wrapper

    def patch(self, owner: Any, attribute: str, name: str | None = None) -> None:
        """Replace ``owner.attribute`` (a class's method) by a timed version."""
        setattr(owner, attribute, self.timed(name or f"{getattr(owner, '__name__', owner)}.{attribute}",
                                             getattr(owner, attribute)))

    def install(self) -> None:
        """Time every asyncio callback (named after the task's coroutine) and every garbage collection."""
        handle_run = asyncio.events.Handle._run
        record = self.events.append
        gui = self.gui_thread

        def run(handle: Any) -> None:
            if threading.get_ident() != gui:
                handle_run(handle)
                return
            callback = handle._callback
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, asyncio.Task):
                coro = owner.get_coro()
                name = "task " + getattr(coro, "__qualname__", type(coro).__name__)
            else:
                name = "callback " + getattr(callback, "__qualname__", type(callback).__name__)
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                handle_run(handle)
            finally:
                record((name, t0, time.perf_counter(), time.thread_time() - c0))

        asyncio.events.Handle._run = run  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if threading.get_ident() != self.gui_thread:
            return
        if phase == "start":
            self._gc_start = (time.perf_counter(), time.thread_time(), sum(gc.get_count()))
        elif self._gc_start is not None:
            t0, c0, _count = self._gc_start
            self.events.append((f"gc generation {info['generation']}", t0, time.perf_counter(),
                                time.thread_time() - c0))
            self._gc_start = None

    def uninstall(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)


def report(attribution: Attribution, tick_times: list[float], gap_cpu: list[float], limit_ms: float = 10.0,
           show: int = 25) -> str:
    """Text: the gaps with more than ``limit_ms`` of GUI-thread CPU and the timed work inside each."""
    lines = []
    events = sorted(attribution.events, key=lambda e: e[1])
    starts = [e[1] for e in events]
    import bisect

    long_gaps = [(gap_cpu[i] * 1000, i) for i in range(1, len(tick_times)) if gap_cpu[i] * 1000 > limit_ms]
    long_gaps.sort(reverse=True)
    lines.append(f"# {len(long_gaps)} heartbeat gaps with > {limit_ms:.0f} ms of GUI-thread CPU "
                 f"(of {len(tick_times):,} heartbeats)")
    for cpu, i in long_gaps[:show]:
        begin, end = tick_times[i - 1], tick_times[i]
        j = max(0, bisect.bisect_left(starts, begin) - 50)
        inside = [e for e in events[j:bisect.bisect_right(starts, end)] if e[2] > begin and e[1] < end]
        parts = ", ".join(f"{n} {c * 1000:.1f}" for n, _s, _e, c in sorted(inside, key=lambda e: -e[3])[:6]
                          if c * 1000 >= 0.5)
        lines.append(f"#   gap {(end - begin) * 1000:6.1f} ms wall, {cpu:5.1f} ms CPU: {parts or '(nothing timed)'}")
    per_kind: dict[str, list[float]] = defaultdict(list)
    for name, _s, _e, c in events:
        per_kind[name].append(c * 1000)
    lines.append("# per kind of work (CPU ms): count, mean, max, how many over 8 / 10 / 16 ms")
    for name, cpus in sorted(per_kind.items(), key=lambda kv: -max(kv[1])):
        if max(cpus) < 1.0:
            continue
        lines.append(f"#   {name}: {len(cpus)}, {sum(cpus) / len(cpus):.2f}, {max(cpus):.1f}, "
                     f"{sum(c > 8 for c in cpus)} / {sum(c > 10 for c in cpus)} / {sum(c > 16 for c in cpus)}")
    return "\n".join(lines)


__all__ = ["Attribution", "report"]
