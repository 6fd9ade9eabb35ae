"""What made the wall soak's long GUI stalls (``BENCH_ATTRIBUTE=1 python -m tests.perf wall_soak``).

Diagnostics only. For every heartbeat gap of the soak's :class:`tools.wall_soak.StallMeter` it keeps
how the GUI thread spent it: its own CPU (``time.thread_time``), its time runnable but waiting for a
CPU (``/proc/thread-self/schedstat``), the rest (blocked: the GIL, a lock, the disk), and how much CPU
the whole process used meanwhile. Inside each long gap it lists the timed GUI-thread work: every
event Qt delivered (``QApplication.notify``, nested ones too), every asyncio callback and every
garbage collection (:class:`tests.perf.stall_attribution.Attribution`), and the driver's own marks
(page switches, takeovers).
"""

from __future__ import annotations

import bisect
import threading
import time
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from tests.perf.stall_attribution import Attribution

RECORD_MS = 0.5  # events shorter than this are not kept


def _thread_stat() -> tuple[float, int, int]:
    """(run delay s, voluntary, involuntary context switches) of the calling thread."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as fh:
            delay = int(fh.read().split()[1]) / 1e9
        vol = invol = 0
        with open("/proc/thread-self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("voluntary_ctxt_switches"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol = int(line.split()[1])
        return delay, vol, invol
    except (OSError, IndexError, ValueError):
        return 0.0, 0, 0


class TimedApplication(QApplication):
    """A QApplication that times every event it delivers on the GUI thread (nested ones too)."""

    attribution: Attribution | None = None
    depth = 0

    def notify(self, receiver: Any, event: Any) -> bool:  # Qt override
        att = TimedApplication.attribution
        if att is None or threading.get_ident() != att.gui_thread:
            return super().notify(receiver, event)
        TimedApplication.depth += 1
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return super().notify(receiver, event)
        finally:
            TimedApplication.depth -= 1
            t1 = time.perf_counter()
            if (t1 - t0) * 1000 >= RECORD_MS:
                try:
                    etype = QEvent.Type(event.type()).name
                except (ValueError, RuntimeError):
                    etype = str(int(event.type()))
                try:
                    who = type(receiver).__name__
                    name = receiver.objectName() if hasattr(receiver, "objectName") else ""
                except RuntimeError:
                    who, name = "?", ""
                att.events.append((f"{'  ' * TimedApplication.depth}qt {etype} → {who}{'#' + name if name else ''}",
                                   t0, t1, time.thread_time() - c0))


def attributing_meter(base: type, attribution: Attribution, gaps: list[dict[str, float]]) -> type:
    """A subclass of the soak's StallMeter that also records each gap's CPU, run delay and context switches."""

    class AttributingMeter(base):  # type: ignore[misc, valid-type]
        def reset(self) -> None:
            super().reset()
            self._stat = (time.thread_time(), *_thread_stat(), time.process_time())
            gaps.clear()
            attribution.events.clear()

        def resume(self) -> None:
            super().resume()
            self._stat = (time.thread_time(), *_thread_stat(), time.process_time())
            gaps.append({"pause": 1.0, "end": time.perf_counter()})

        def _on_tick(self) -> None:
            start = self._last
            super()._on_tick()
            now = self._last
            cpu, delay, vol, invol, proc = time.thread_time(), *_thread_stat(), time.process_time()
            c0, d0, v0, i0, p0 = self._stat
            self._stat = (cpu, delay, vol, invol, proc)
            gap = (now - start) * 1000.0
            if gap - self.interval_ms >= 15:
                gaps.append({"start": start, "end": now, "gap": gap, "cpu": (cpu - c0) * 1000,
                             "wait": (delay - d0) * 1000, "vol": vol - v0, "invol": invol - i0,
                             "proc": (proc - p0) * 1000})

    return AttributingMeter


def report(attribution: Attribution, gaps: list[dict[str, float]], show: int = 12) -> str:
    """Text: the longest gaps, each split into CPU / run delay / blocked, with the timed work inside."""
    events = sorted(attribution.events, key=lambda e: e[1])
    starts = [e[1] for e in events]
    real = [g for g in gaps if "gap" in g]
    lines = [f"# wall stall attribution: {len(real)} heartbeat gaps ≥ 15 ms over the 20 ms period; the longest "
             f"{show}, then the {show // 2} with the most GUI-thread CPU"]
    longest = sorted(real, key=lambda g: -g["gap"])[:show]
    busiest = [g for g in sorted(real, key=lambda g: -g["cpu"]) if g not in longest][:show // 2]
    for g in longest + busiest:
        stall = g["gap"] - 20
        blocked = g["gap"] - g["cpu"] - g["wait"]
        lines.append(f"#  stall {stall:5.1f} ms at +{g['start'] - (real[0]['start'] if real else 0):7.1f} s: "
                     f"GUI CPU {g['cpu']:5.1f}, runnable waiting {g['wait']:5.1f}, blocked {blocked:5.1f} ms "
                     f"(ctx sw vol {g['vol']:.0f} invol {g['invol']:.0f}); process CPU {g['proc']:5.1f} ms")
        j = max(0, bisect.bisect_left(starts, g["start"]) - 200)
        inside = [e for e in events[j:bisect.bisect_right(starts, g["end"])] if e[2] > g["start"] and e[1] < g["end"]]
        for name, s, e, c in inside:
            if (e - s) * 1000 >= 2.0:
                lines.append(f"#      {name}: {(e - s) * 1000:5.1f} ms wall, {c * 1000:5.1f} CPU "
                             f"(+{(s - g['start']) * 1000:5.1f} ms)")
    return "\n".join(lines)


def install_patches(attribution: Attribution) -> None:
    """Timers around the wall's own GUI-thread slots."""
    from ui import gc_policy
    from ui.wall import pages as wp
    from ui.wall import window as ww

    for method in ("_on_page_requested", "_next_urgent", "_end_takeover", "_on_clock_tick", "_on_ticker_items",
                   "_on_shift", "_on_store_changes"):
        attribution.patch(ww.WallWindow, method)
    for cls in (wp.WallOverviewPage, wp.WallZonesPage, wp.WallCasesPage, wp.WallBoardsPage, wp.WallTickerFeed):
        if "apply" in vars(cls):
            attribution.patch(cls, "apply")
    for method in ("_on_loaded", "refresh", "_on_store_changes"):
        attribution.patch(wp.WallPage, method)
    attribution.patch(gc_policy.GuiThreadCollector, "tick")


__all__ = ["TimedApplication", "attributing_meter", "install_patches", "report"]
