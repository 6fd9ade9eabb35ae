"""The wall's soak driver: simulated days of reports and incidents at high speed while the wall rotates.

Used by ``tests/ui/test_wall_soak.py`` (one simulated day, in ``make test``) and
``tests/perf/bench_wall_soak.py`` (seven days, in ``make bench``).

How it runs (inside the qasync loop):

* a :class:`FakeClock` starts at the real "now" and advances ``step_minutes`` per step; the
  wall's pages read their figures at the fake time;
* each step writes, on the writer thread, the step's new reports (about 300 a day with the
  day's rhythm), accepts most into incidents (about 1 % urgent L1), moves open incidents
  through their states and closes them (most on time), then emits the change events the
  store would (``DeskStore.emit``) — the wall reacts as it does to a sync pull;
* meanwhile the wall rotates every ``interval_s`` (quickly), urgent incidents take over, the
  ticker scrolls, the watchdog watches;
* every few steps the driver samples the process RSS (``/proc/self/status`` VmRSS, or
  ``resource`` when that is missing; psutil is not needed) after a ``gc.collect()``;
  a :class:`StallMeter` (a 20 ms ``QTimer`` heartbeat) records the longest gap of the GUI
  thread.

:class:`SoakResult` carries the figures; :meth:`SoakResult.growth_mb` is the RSS growth from
the end of the warm-up to the end, the property the tests bound.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

from commandroom.timeutil import to_local, utcnow

HOUR_WEIGHTS = (0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.0, 1.8, 2.6, 2.8, 2.2,
                1.2, 1.3, 2.3, 2.6, 2.4, 1.6, 1.0, 0.8, 0.7, 0.5, 0.35, 0.2)
_WEIGHT_MEAN = sum(HOUR_WEIGHTS) / len(HOUR_WEIGHTS)
STATES = ("pending_dispatch", "dispatched", "acknowledged", "in_progress", "awaiting_verification")


def rss_mb() -> float:
    """The resident set size of this process in MiB (current; the peak where only that is known)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def rss_parts_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident memory of this process in MiB (/proc ``RssAnon``/``RssFile``; 0 elsewhere).

    File-backed pages (fonts, libraries) are clean: the kernel can drop them and read them again.
    The anonymous part is the memory only this process can give back.
    """
    anon = file = 0.0
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1]) / 1024.0
                elif line.startswith("RssFile:"):
                    file = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return anon, file


class FakeClock:
    """A clock that moves only when told to (naive UTC)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or utcnow()

    def now(self) -> datetime:
        return self.t

    def advance(self, delta: timedelta) -> None:
        self.t += delta


def _run_delay_s() -> float:
    """Seconds the calling thread has been runnable but waiting for a CPU (Linux schedstat; 0 elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class StallMeter(QObject):
    """The longest gap between ticks of a 20 ms ``QTimer``: how long the GUI thread was ever busy.

    On a shared machine a gap is the wall's own work *and* the time its thread waited for a CPU,
    so the meter also keeps, for the longest gap, the GUI thread's own CPU in it
    (``longest_cpu_ms``) and its time runnable but not running (``longest_wait_ms``), and the most
    CPU the GUI thread used within any one gap (``busiest_cpu_ms``: what the wall itself costs).
    """

    def __init__(self, interval_ms: int = 20, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.longest_ms = 0.0
        self.longest_cpu_ms = 0.0
        self.longest_wait_ms = 0.0
        self.busiest_cpu_ms = 0.0
        self.ticks = 0
        self.gaps_over_100ms = 0
        self._last = 0.0
        self._last_cpu = 0.0
        self._last_wait = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self.reset()
        self._timer.start()

    def reset(self) -> None:
        self.longest_ms = self.longest_cpu_ms = self.longest_wait_ms = self.busiest_cpu_ms = 0.0
        self.gaps_over_100ms = 0
        self._mark()

    def _mark(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_wait = _run_delay_s()

    def stop(self) -> None:
        self._timer.stop()

    def pause(self) -> None:
        """Stop counting (while the driver itself works on the GUI thread: its RSS samples)."""
        self._timer.stop()

    def resume(self) -> None:
        """Count again from now (the paused time is no stall of the wall)."""
        self._mark()
        self._timer.start()

    def _on_tick(self) -> None:
        now, cpu, wait = time.perf_counter(), time.thread_time(), _run_delay_s()
        gap = (now - self._last) * 1000.0 - self.interval_ms
        own, waited = (cpu - self._last_cpu) * 1000.0, (wait - self._last_wait) * 1000.0
        self._last, self._last_cpu, self._last_wait = now, cpu, wait
        self.ticks += 1
        if gap > 100:
            self.gaps_over_100ms += 1
        if gap > self.longest_ms:
            self.longest_ms, self.longest_cpu_ms, self.longest_wait_ms = gap, own, waited
        self.busiest_cpu_ms = max(self.busiest_cpu_ms, own)


@dataclass
class SoakSample:
    step: int
    sim_time: datetime
    seconds: float
    rss_mb: float
    anon_mb: float = 0.0
    file_mb: float = 0.0


@dataclass
class SoakResult:
    """What a soak run measured."""

    days: float
    steps: int
    seconds: float
    reports: int
    incidents: int
    closed: int
    urgent: int
    samples: list[SoakSample]
    warmup_step: int
    warmup_rss_mb: float
    final_rss_mb: float
    max_rss_mb: float
    longest_stall_ms: float
    stalls_over_100ms: int
    page_switches: int
    takeovers: int
    rebuilds: int
    watchdog_events: list[tuple[str, float]]
    page_updates: dict[str, int]
    page_errors: dict[str, int]
    page_age_s: dict[str, float]
    ticker_frames: int
    ticker_wraps: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def growth_mb(self) -> float:
        """RSS at the end minus RSS at the end of the warm-up."""
        return self.final_rss_mb - self.warmup_rss_mb

    @property
    def slope_mb_per_day(self) -> float:
        """Least-squares RSS slope over the samples after the warm-up, per simulated day."""
        return self._slope("rss_mb")

    @property
    def anon_slope_mb_per_day(self) -> float:
        """The same slope of the anonymous resident memory only (without font and library pages)."""
        return self._slope("anon_mb")

    @property
    def file_slope_mb_per_day(self) -> float:
        """The same slope of the file-backed resident pages (fonts, libraries: clean, droppable)."""
        return self._slope("file_mb")

    def _slope(self, attribute: str) -> float:
        pts = [(s.sim_time, getattr(s, attribute)) for s in self.samples if s.step >= self.warmup_step]
        if len(pts) < 3:
            return 0.0
        t0 = pts[0][0]
        xs = [(t - t0).total_seconds() / 86400.0 for t, _ in pts]
        ys = [y for _, y in pts]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den

    @property
    def warmup_slope_mb_per_day(self) -> float:
        """RSS rise during the warm-up, per simulated day (what "flat afterwards" is compared with)."""
        first = self.samples[0] if self.samples else None
        end = next((s for s in self.samples if s.step >= self.warmup_step), None)
        if first is None or end is None or end.sim_time <= first.sim_time:
            return 0.0
        return (end.rss_mb - first.rss_mb) / ((end.sim_time - first.sim_time).total_seconds() / 86400.0)

    def summary(self) -> str:
        return (f"{self.days:g} simulated days in {self.seconds:.1f} s: {self.reports} reports, {self.incidents} "
                f"incidents ({self.urgent} urgent), {self.closed} closed; RSS {self.warmup_rss_mb:.1f} → "
                f"{self.final_rss_mb:.1f} MiB (growth {self.growth_mb:+.1f}, slope {self.slope_mb_per_day:+.2f}/day, "
                f"max {self.max_rss_mb:.1f}; anonymous {self.anon_slope_mb_per_day:+.3f}/day, file "
                f"{self.file_slope_mb_per_day:+.3f}/day); longest stall {self.longest_stall_ms:.0f} ms "
                f"(GUI CPU {self.extra.get('stall_cpu_ms', 0):.0f}, waiting for a CPU "
                f"{self.extra.get('stall_wait_ms', 0):.0f}; busiest gap {self.extra.get('busiest_cpu_ms', 0):.0f} ms CPU) "
                f"({self.stalls_over_100ms} over 100 ms); {self.page_switches} page switches, {self.takeovers} "
                f"takeovers, {self.rebuilds} rebuilds, watchdog {self.watchdog_events}; updates {self.page_updates}")


# ----------------------------------------------------------------------------- the simulated county


@dataclass
class _World:
    townships: list[tuple[str, str | None]]  # (code, zone id)
    grids: dict[str, list[tuple[str, float | None, float | None]]]
    categories: list[str]
    open: deque[tuple[str, datetime, str]] = field(default_factory=deque)  # (incident id, created, state)
    reports: int = 0
    incidents: int = 0
    closed: int = 0
    urgent: int = 0
    serial: int = 0


def load_world(store: Any) -> _World:
    """The reference data the simulation needs (townships, grids, categories), read once."""
    from sqlalchemy import select

    from commandroom.domain.models import EventCategory, Grid, Township

    with store.read() as session:
        towns = [(c, z) for c, z in session.execute(select(Township.code, Township.zone_id).order_by(Township.code))]
        grids: dict[str, list[tuple[str, float | None, float | None]]] = {}
        for gid, town, lat, lon in session.execute(select(Grid.id, Grid.township_code, Grid.lat, Grid.lon)
                                                    .order_by(Grid.id)):
            grids.setdefault(town, []).append((gid, lat, lon))
        cats = list(session.scalars(select(EventCategory.code).order_by(EventCategory.code)))
    if not towns or not cats:
        raise RuntimeError("the soak needs reference data (townships, categories) in the store")
    return _World(towns, grids, cats)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def write_step(store: Any, world: _World, now: datetime, minutes: float, rng: random.Random,
               reports_per_day: float) -> Any:
    """One step of simulated activity at ``now``, written in one transaction; returns the Changes.

    Runs on the writer thread (``ui.async_runner.run_db``).
    """
    from commandroom.domain.models import Incident, Report
    from commandroom.ids import new_id
    from commandroom.mutations.core import Changes

    changes = Changes()
    loc = to_local(now)
    hour = loc.hour if loc else 0
    lam = reports_per_day / (24 * 60) * minutes * HOUR_WEIGHTS[hour] / _WEIGHT_MEAN
    n = _poisson(rng, lam)
    with store.write() as session:
        for _ in range(n):
            town, zone = rng.choice(world.townships)
            grid = rng.choice(world.grids.get(town) or [(None, None, None)])
            cat = rng.choice(world.categories)
            at = now - timedelta(seconds=rng.uniform(0, minutes * 60))
            world.serial += 1
            rid = new_id()
            accepted = rng.random() < 0.85
            urgent = accepted and rng.random() < 0.01
            iid = new_id() if accepted else None
            session.add(Report(
                id=rid, township_code=town, source="grid_patrol", category_code=cat,
                description=f"浸泡测试第{world.serial}号上报，联系人：王建国，电话13812345678。",
                lat=grid[1], lon=grid[2], grid_id=grid[0], reporter_name="李网格", reporter_phone="13900001111",
                reported_at=at, state="accepted" if accepted else "new", incident_id=iid,
                urgency_hint="L1" if urgent else None, created_at=at, updated_at=at))
            changes.note("report", rid)
            world.reports += 1
            if iid is not None:
                session.add(Incident(
                    id=iid, township_code=town, zone_id=zone, title=f"浸泡测试事件 {world.serial}",
                    category_code=cat, urgency="L1" if urgent else rng.choice(("L2", "L3", "L3", "L3", "L4")),
                    state="pending_dispatch", lat=grid[1], lon=grid[2], grid_id=grid[0],
                    ack_due=at + timedelta(minutes=30), onsite_due=at + timedelta(hours=2),
                    close_due=at + timedelta(days=rng.choice((1, 2, 3, 5))), created_at=at, updated_at=at))
                changes.note("incident", iid)
                world.open.append((iid, at, "pending_dispatch"))
                world.incidents += 1
                world.urgent += urgent
        # move some open incidents on, close the older ones (most before their deadline)
        for _ in range(min(len(world.open), max(1, n + 1))):
            iid, created, state = world.open.popleft()
            age_h = (now - created).total_seconds() / 3600
            inc = session.get(Incident, iid)
            if inc is None:
                continue
            if age_h > rng.uniform(4, 60) or rng.random() < 0.05:
                inc.state = "closed"
                inc.closed_at = now
                inc.acknowledged_at = inc.acknowledged_at or now
                inc.onsite_at = inc.onsite_at or now
                world.closed += 1
            else:
                nxt = STATES[min(len(STATES) - 1, STATES.index(state) + 1)] if state in STATES else state
                inc.state = nxt
                if nxt != "dispatched":
                    inc.acknowledged_at = inc.acknowledged_at or now
                if nxt in ("in_progress", "awaiting_verification"):
                    inc.onsite_at = inc.onsite_at or now
                world.open.append((iid, created, nxt))
            inc.updated_at = now
            changes.note("incident", iid)
    return changes


# ----------------------------------------------------------------------------- the run


def soak_config(**overrides: Any) -> Any:
    """A wall config that rotates fast, refreshes often and never rebuilds a healthy page."""
    from ui.wall.config import PAGE_BOARDS, PAGE_CASES, PAGE_OVERVIEW, PAGE_ZONES, WallConfig

    values: dict[str, Any] = {
        "interval_s": 0.6, "pages": (PAGE_OVERVIEW, PAGE_ZONES, PAGE_CASES, PAGE_BOARDS), "sound": False,
        "urgent_s": 0.4, "refresh_s": 3.0, "debounce_s": 0.25, "max_wait_s": 1.0, "watchdog_s": 1.0,
        "stale_s": 30.0, "shift_minutes": 0.05,
    }
    values.update(overrides)
    return WallConfig(**values)


async def run_soak(store: Any, *, days: float = 1.0, step_minutes: float = 10.0, reports_per_day: float = 300.0,
                   pace_s: float = 0.03, config: Any = None, size: tuple[int, int] = (1920, 1080),
                   warmup_fraction: float = 0.3, warmup_days: float | None = None, samples: int = 40, seed: int = 7,
                   sound_dir: Path | None = None, page_kwargs: dict[str, Any] | None = None) -> SoakResult:
    """Drive ``days`` simulated days through ``store`` while a WallWindow shows it; returns the figures.

    Args:
        step_minutes: simulated minutes per step.
        pace_s: real seconds the loop runs between steps (the wall works meanwhile).
        warmup_fraction: the share of steps before the RSS baseline is taken.
        warmup_days: instead, this many simulated days run *before* the ``days`` that are measured
            (caches fill, statements are prepared), so the slope covers ``days`` whole days.
        samples: about how many RSS samples to take.
    """
    from ui.async_runner import run_db, run_read
    from ui.wall.window import WallWindow

    world = await run_read(load_world, store)
    clock = FakeClock(utcnow().replace(microsecond=0))
    rng = random.Random(seed)
    window = WallWindow(store, config or soak_config(), clock=clock.now, sound_dir=sound_dir, page_kwargs=page_kwargs)
    window.resize(*size)
    window.show()
    meter = StallMeter()
    steps = max(1, round(days * 24 * 60 / step_minutes))
    if warmup_days is not None:
        warmup_step = max(1, round(warmup_days * 24 * 60 / step_minutes))
        steps += warmup_step
    else:
        warmup_step = max(1, round(steps * warmup_fraction))
    every = max(1, steps // max(1, samples))
    history: list[SoakSample] = []
    warmup_rss = 0.0
    started = time.perf_counter()
    try:
        await asyncio.sleep(0.5)  # first loads and paints
        meter.start()
        for step in range(steps):
            changes = await run_db(write_step, store, world, clock.now(), step_minutes, rng, reports_per_day)
            store.emit(changes)
            clock.advance(timedelta(minutes=step_minutes))
            await asyncio.sleep(pace_s)
            if step % every == 0 or step == warmup_step:
                meter.pause()  # the sample's full collection is the driver's work, not the wall's
                gc.collect()
                rss = rss_mb()
                parts = rss_parts_mb()
                meter.resume()
                history.append(SoakSample(step, clock.now(), time.perf_counter() - started, rss, *parts))
                if step == warmup_step:
                    warmup_rss = rss
                    meter.reset()  # stalls of the warm-up (first paints, imports) are not the steady state
        await asyncio.sleep(max(1.0, 3 * window.config.max_wait_s))  # the last changes reach the pages
        gc.collect()
        final = rss_mb()
        history.append(SoakSample(steps, clock.now(), time.perf_counter() - started, final, *rss_parts_mb()))
        now = time.monotonic()
        pages = window.watched_pages()
        return SoakResult(
            days=days, steps=steps, seconds=time.perf_counter() - started, reports=world.reports,
            incidents=world.incidents, closed=world.closed, urgent=world.urgent, samples=history,
            warmup_step=warmup_step, warmup_rss_mb=warmup_rss or history[0].rss_mb, final_rss_mb=final,
            max_rss_mb=max(s.rss_mb for s in history), longest_stall_ms=meter.longest_ms,
            stalls_over_100ms=meter.gaps_over_100ms, page_switches=window.page_switches,
            takeovers=window.takeovers, rebuilds=window.rebuilds, watchdog_events=list(window.watchdog.events),
            page_updates={k: p.update_count for k, p in pages.items()},
            page_errors={k: p.error_count for k, p in pages.items()},
            page_age_s={k: round(p.age(now), 2) for k, p in pages.items()},
            ticker_frames=window.ticker.frames, ticker_wraps=window.ticker.wraps,
            extra={"open_incidents": len(world.open), "urgent_seen": window.urgent.seen_count,
                   "stall_cpu_ms": meter.longest_cpu_ms, "stall_wait_ms": meter.longest_wait_ms,
                   "busiest_cpu_ms": meter.busiest_cpu_ms,
                   # the simulated reports carry a full name and phone number: the ticker must never show them
                   "ticker_items": len(window.ticker.texts),
                   "ticker_leaks": sum(any(secret in t for secret in ("王建国", "李网格", "13812345678"))
                                       for t in window.ticker.texts)},
        )
    finally:
        meter.stop()
        window.close()
        window.deleteLater()
        await asyncio.sleep(0.1)


async def run_realtime(store: Any, *, minutes: float, warmup_s: float = 30.0, sample_s: float = 15.0,
                       config: Any = None, size: tuple[int, int] = (1920, 1080)) -> dict[str, Any]:
    """Run the wall in real time (no writes) with fast refreshes and rotation; RSS after warm-up and at the end.

    The soak above compresses a week of *data* into a minute; this covers what only *time* does
    (ticker frames, timers, repaints, reloads): with ``refresh_s=1`` and ``interval_s=0.5`` a
    minute here is about 60–100 minutes of a wall on its defaults (60 s reloads, 30 s pages).
    """
    from ui.wall.window import WallWindow

    window = WallWindow(store, config or soak_config(refresh_s=1.0, interval_s=0.5, urgent_s=0.3))
    window.resize(*size)
    window.show()
    meter = StallMeter()
    meter.start()
    try:
        await asyncio.sleep(warmup_s)
        gc.collect()
        base = rss_mb()
        meter.reset()
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        while time.monotonic() - started < minutes * 60:
            await asyncio.sleep(sample_s)
            gc.collect()
            samples.append((time.monotonic() - started, rss_mb()))
        return {"base_mb": base, "final_mb": samples[-1][1] if samples else base, "samples": samples,
                "longest_stall_ms": meter.longest_ms, "page_switches": window.page_switches,
                "reloads": window.pages[window.config.shown_pages[0]].update_count,
                "ticker_frames": window.ticker.frames, "watchdog_events": list(window.watchdog.events)}
    finally:
        meter.stop()
        window.close()
        window.deleteLater()
        await asyncio.sleep(0.1)
