"""Wall soak: seven simulated days through a 7-day demo store while the wall rotates quickly.

Set-up: ``seed_database(demo_days=7)`` into a temporary file, opened with ``DeskStore``; a
``WallWindow`` at 1920×1080 (offscreen) rotating every 0.6 s through overview, zones, cases and
boards, pages reloading on change events (debounced) and every 3 s, urgent incidents taking over,
the ticker scrolling. The driver (:func:`tools.wall_soak.run_soak`) writes 10 simulated minutes per
step (~300 reports a day with the day's rhythm, most accepted, ~1 % urgent, incidents moving
through their states and closing) and emits the change events.

Measures (each against a figure of the same run):

* RSS growth over the seven measured days, which follow ``CR_BENCH_WALL_WARMUP_DAYS`` (2) simulated
  days of warm-up (caches filling, statements prepared) — baseline: the RSS after the warm-up;
  target: < 10 % of it;
* RSS slope over the seven measured days, MiB per simulated day (least squares over ~30 samples,
  each after a full ``gc.collect()``) — baseline: the slope during the warm-up; target: ≤ 0.1 MiB/day
  (issue 21: flat); for information, the same slope of the anonymous memory alone (``RssAnon``)
  against that of the file-backed pages (``RssFile``: fonts drawn for the first time, libraries);
* longest GUI-thread stall (20 ms heartbeat) under the soak — baseline: the longest stall of the
  same wall for 10 s without any writes; target: < 50 ms and no page stopped updating. Garbage is
  collected as the wall app does it (``ui.gc_policy``); the driver's own full collection before
  each RSS sample is not counted as a stall. For information, the longest stall's own GUI-thread CPU
  and its time waiting for a CPU (on a shared machine most of a long stall is the latter), and the
  most GUI-thread CPU in any one gap (the wall's own longest burst, against the idle wall's).
  ``BENCH_ATTRIBUTE=1`` prints what the GUI thread did in the longest gaps (``tests/perf/wall_attribution.py``).

The process uses one malloc heap, as the wall does (``ui.wall.heap``): with a heap per thread the
readers' heaps grew in steps and were the whole slope (docs/performance.md, session 7).

The soak compresses a week of *data* into a minute, not a week of *time*. With
``CR_BENCH_WALL_MINUTES=N`` the same wall also runs N real minutes with 1 s reloads and 0.5 s
pages (each minute ≈ 60–100 minutes on the defaults): RSS growth after a 30 s warm-up,
target < 2 % of the RSS after warm-up. Measured here for 20 minutes: +4.0 MiB in the first 7
minutes (caches filling), +0.2 MiB in the last 10.

Run: ``python -m tests.perf wall_soak`` (offscreen). ``CR_BENCH_WALL_DAYS`` changes the measured length,
``CR_BENCH_WALL_WARMUP_DAYS`` the warm-up before it; ``BENCH_ONE_HEAP=0`` leaves glibc's heap per thread
(what the wall did before session 7), for an A/B of the one heap.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from tests.perf.measure import Measure

DAYS = float(os.environ.get("CR_BENCH_WALL_DAYS", "7"))
WARMUP_DAYS = float(os.environ.get("CR_BENCH_WALL_WARMUP_DAYS", "2"))
MINUTES = float(os.environ.get("CR_BENCH_WALL_MINUTES", "0"))
REALTIME_GROWTH_TARGET = 0.02
GROWTH_SHARE_TARGET = 0.10
SLOPE_TARGET_MB_DAY = 0.1
STALL_TARGET_MS = 50.0
ONE_HEAP = os.environ.get("BENCH_ONE_HEAP", "1") != "0"  # 0: glibc's heap per thread (an A/B of ui.wall.heap)
ATTRIBUTE = os.environ.get("BENCH_ATTRIBUTE", "") == "1"  # print what made the longest stalls (wall_attribution)


async def _idle_stall(store: object, seconds: float = 10.0) -> tuple[float, float]:
    """The longest stall of the wall rotating with no writes at all (the same-run baseline)."""
    from tools.wall_soak import StallMeter, soak_config
    from ui.wall.window import WallWindow

    window = WallWindow(store, soak_config())
    window.resize(1920, 1080)
    window.show()
    await asyncio.sleep(1.0)
    meter = StallMeter()
    meter.start()
    await asyncio.sleep(seconds)
    meter.stop()
    window.close()
    window.deleteLater()
    await asyncio.sleep(0.1)
    return meter.longest_ms, meter.busiest_cpu_ms


async def _main(root: Path) -> tuple[tuple[float, float], object, dict | None]:
    from commandroom.refdata.seed import seed_database
    from commandroom.store.local import DeskStore
    from commandroom.store.page_cache import bound_page_cache
    from tools.wall_soak import run_soak, soak_config
    from ui.async_runner import forget_store

    path = root / "wall-soak.db"
    seed_database(f"sqlite:///{path}", demo_days=7)
    store = DeskStore(path)
    bound_page_cache(store)  # as the wall's open_store does (ui/wall/app.py)
    realtime = None
    from ui import gc_policy

    collector = gc_policy.install()  # as run_wall does: collections on a GUI timer, the start-up heap frozen
    try:
        idle = await _idle_stall(store)
        if MINUTES > 0:
            from tools.wall_soak import run_realtime

            realtime = await run_realtime(store, minutes=MINUTES)
        result = await run_soak(store, days=DAYS, warmup_days=WARMUP_DAYS, samples=45, step_minutes=10, pace_s=0.03,
                                config=soak_config(), size=(1920, 1080), sound_dir=root)
    finally:
        collector.timer.stop()
        forget_store(store)
        store.close()
    return idle, result, realtime


def run() -> list[Measure]:
    from ui.wall.heap import use_one_heap

    if ONE_HEAP:
        use_one_heap()  # as run_wall does, before the store's threads start (ui/wall/heap.py)
    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.incidents import refcounts

    refcounts.install()  # as run_wall does: PySide6 6.12 leaks references to None (ui/incidents/refcounts.py)

    attribution = gaps = None
    if ATTRIBUTE:
        import tools.wall_soak
        from tests.perf.stall_attribution import Attribution
        from tests.perf.wall_attribution import TimedApplication, attributing_meter, install_patches

        app = TimedApplication([])
        attribution = Attribution()
        attribution.install()
        install_patches(attribution)
        TimedApplication.attribution = attribution
        gaps = []
        tools.wall_soak.StallMeter = attributing_meter(tools.wall_soak.StallMeter, attribution, gaps)
    else:
        app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory(prefix="cr-wall-soak-") as tmp, \
            asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        (idle, idle_cpu), r, realtime = runner.run(_main(Path(tmp)))
    print(f"<!-- wall soak: {r.summary()} -->", flush=True)
    if attribution is not None:
        from tests.perf.wall_attribution import report

        print(report(attribution, gaps), flush=True)
    healthy = r.rebuilds == 0 and not r.watchdog_events and all(n >= 2 for n in r.page_updates.values()) \
        and not any(r.page_errors.values())
    growth_limit = GROWTH_SHARE_TARGET * r.warmup_rss_mb
    extra = []
    if realtime is not None:
        growth = realtime["final_mb"] - realtime["base_mb"]
        print(f"<!-- wall real time {MINUTES:g} min: {realtime} -->", flush=True)
        extra.append(Measure(
            f"wall real time {MINUTES:g} min (1 s reloads, 0.5 s pages): RSS growth", growth, "MiB",
            realtime["base_mb"], "RSS after 30 s warm-up", f"< {REALTIME_GROWTH_TARGET:.0%} of baseline",
            growth < REALTIME_GROWTH_TARGET * realtime["base_mb"] and not realtime["watchdog_events"]))
    return [*extra, Measure(f"wall soak {DAYS:g} days after a {WARMUP_DAYS:g}-day warm-up: RSS growth", r.growth_mb, "MiB", r.warmup_rss_mb, "RSS after warm-up", f"< {GROWTH_SHARE_TARGET:.0%} of baseline ({growth_limit:.0f} MiB)", r.growth_mb < growth_limit, key="wall_soak.rss_growth"), Measure(f"wall soak {DAYS:g} days after a {WARMUP_DAYS:g}-day warm-up: RSS slope", r.slope_mb_per_day, "MiB/day", r.warmup_slope_mb_per_day, "RSS slope during warm-up", f"≤ {SLOPE_TARGET_MB_DAY:g} MiB per simulated day", r.slope_mb_per_day <= SLOPE_TARGET_MB_DAY, key="wall_soak.rss_slope"), Measure(f"wall soak {DAYS:g} days: RSS slope of anonymous memory only", r.anon_slope_mb_per_day, "MiB/day", r.file_slope_mb_per_day, "slope of file-backed pages (fonts, libraries)", "(information)", True), Measure(f"wall soak {DAYS:g} days: longest UI stall", r.longest_stall_ms, "ms", idle, "longest stall, idle wall 10 s", f"< {STALL_TARGET_MS:g} ms, no page stalled", r.longest_stall_ms < STALL_TARGET_MS and healthy, key="wall_soak.longest_stall"), Measure(f"wall soak {DAYS:g} days: longest stall's own GUI-thread CPU (the rest: waiting for a CPU "
                  f"{r.extra['stall_wait_ms']:.1f} ms, or blocked)", r.extra["stall_cpu_ms"], "ms", None, "", "(information)",
                  True), Measure(f"wall soak {DAYS:g} days: most GUI-thread CPU in one heartbeat gap", r.extra["busiest_cpu_ms"], "ms", idle_cpu, "same, idle wall 10 s", "(information: the wall's own longest burst)", True), Measure(f"wall soak {DAYS:g} days: run time ({r.reports} reports, {r.page_switches} page switches, " f"{r.takeovers} takeovers)", r.seconds, "s", None, "", "(information)", True)]
