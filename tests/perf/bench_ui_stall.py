"""The longest UI-thread stall while 100,000 incident changes are pulled into the store.

The incident table (all 1,000,000 incidents of the benchmark store, shown in the incidents
page's own table widget, ``ui.incidents.table_view.IncidentTable``) stays open while the sync
engine's page-apply path writes 100,000 changes — half updates of existing incidents, half new ones — in pages of 500:
``DeskStore.apply_page`` on the single writer thread (``DB_EXECUTOR``), then
``store.emit(changes)`` on the loop, exactly as ``SyncEngine.pull_once`` does. A
``QTimer`` heartbeat every 5 ms records when the UI thread gets to run; the longest gap
beyond the 5 ms period is the stall. Same run, for comparison: the idle heartbeat, and the
naive design that applies the same pages on the UI thread.

The writer and reader threads run below the GUI thread's OS priority and the GIL's switch interval is 1 ms,
as in the app (``ui.async_runner.background_worker``, their executors' initializer).

``python -m tests.perf ui_stall``; ``BENCH_CHANGES`` changes the number of changes.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from tests.perf.bench_incident_table import (
    _DEFAULTS,
    CACHE_DIR,
    INCIDENT_COLUMNS,
    ROWS,
    cached_db,
    incident_rows,
    load_reference,
)
from tests.perf.measure import Measure, percentile

CHANGES = int(os.environ.get("BENCH_CHANGES", "100000"))
PAGE = 500
HEARTBEAT_MS = 5
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "15"))
SWITCH_INTERVAL = float(os.environ.get("BENCH_SWITCH_INTERVAL", "0"))  # seconds; 0: the app's (GIL_SWITCH_SECONDS)
ATTRIBUTE = os.environ.get("BENCH_ATTRIBUTE", "") == "1"  # print which GUI-thread work made the long gaps
THREADS = os.environ.get("BENCH_THREADS", "") == "1"  # print every thread's CPU in the longest gaps
BUCKET = "township:330822111"
_TIME_COLUMNS = {"ack_due", "onsite_due", "close_due", "dispatched_at", "acknowledged_at", "onsite_at", "closed_at",
                 "created_at", "updated_at"}


class Heartbeat:
    """A 5 ms QTimer; ``max_gap`` is the longest time between two ticks (seconds)."""

    def __init__(self, sampler: Any = None) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.sampler = sampler  # a tests.perf.thread_sampler.ThreadSampler, sampled at every tick

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._on_tick)
        self.last = 0.0
        self.max_gap = 0.0
        self.ticks = 0
        self.gaps: list[float] = []
        self.times: list[float] = []  # when each tick ran (perf_counter)
        self.cpu: list[float] = []  # the GUI thread's own CPU time within each gap
        self.waits: list[float] = []  # its time runnable but waiting for a CPU (Linux schedstat)
        self.last_cpu = 0.0
        self.last_wait = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.last_cpu = time.thread_time()
        self.last_wait = _run_delay()
        self.max_gap = 0.0
        self.ticks = 0
        self.gaps = []
        self.times = [self.last]
        self.cpu = []
        self.waits = []
        if self.sampler is not None:
            self.sampler.clear()
            self.sampler.sample()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap

    def _on_tick(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()
        gap = now - self.last
        self.gaps.append(gap)
        self.times.append(now)
        self.cpu.append(cpu - self.last_cpu)
        self.last_cpu = cpu
        wait = _run_delay()
        self.waits.append(wait - self.last_wait)
        self.last_wait = wait
        self.max_gap = max(self.max_gap, gap)
        self.last = now
        self.ticks += 1
        if self.sampler is not None:
            self.sampler.sample()

    def summary(self) -> dict[str, float]:
        """Stall (gap beyond the period) in ms: p99, p99.9, max, and how many exceeded 50 ms."""
        stalls = [max(0.0, g * 1000 - HEARTBEAT_MS) for g in self.gaps] or [0.0]
        worst = max(range(len(self.gaps)), key=self.gaps.__getitem__) if self.gaps else 0
        own = [c * 1000 for c in self.cpu] or [0.0]
        long = [i for i, x in enumerate(stalls) if x > 16 and i < len(self.cpu)]
        waits = [w * 1000 for w in self.waits]
        return {"p99": percentile(stalls, 99), "p999": percentile(stalls, 99.9), "max": max(stalls),
                "over50": sum(1 for x in stalls if x > 50), "ticks": len(stalls),
                "worst_own_cpu": own[worst] if self.cpu else 0.0, "own_max": max(own),
                "worst_wait": self.waits[worst] * 1000 if self.waits else 0.0,
                # over 16 ms: how many, and in them, the time waiting for a CPU and the time neither
                # running nor runnable (blocked on the GIL or a lock, or the host's steal; the 5 ms sleep aside)
                "over16": len(long), "wait_sum": sum(waits),
                "wait_long": sum(waits[i] for i in long),
                "blocked_long": sum(max(0.0, stalls[i] - own[i] - waits[i]) for i in long)}


def _run_delay() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0 where /proc has no schedstat)."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _iso(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return value.replace(" ", "T", 1)
    return value


def make_pages(path: Path, n: int, *, seed: int = 5, tag: str = "B") -> list[dict[str, Any]]:
    """``n`` changes as pull pages of :data:`PAGE`: updates of random existing incidents and new incidents."""
    import sqlite3

    from commandroom.timeutil import utcnow

    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    total = conn.execute("SELECT max(rowid) FROM incident").fetchone()[0]
    picks = rnd.sample(range(1, total + 1), n // 2)
    updates: list[dict[str, Any]] = []
    now = utcnow()
    states = ["dispatched", "acknowledged", "in_progress", "awaiting_verification", "closed"]
    for i in range(0, len(picks), 900):
        chunk = picks[i:i + 900]
        for row in conn.execute(f"SELECT * FROM incident WHERE rowid IN ({','.join(map(str, chunk))})"):
            fields = {k: _iso(v) for k, v in zip(row.keys(), row, strict=True)}  # (iterating a Row gives values)
            fields["state"] = rnd.choice(states)
            fields["updated_at"] = now.isoformat()
            fields["row_version"] = int(fields["row_version"] or 0) + 1
            for key in ("field_versions", "photos_before", "photos_after"):
                fields[key] = {} if key == "field_versions" else []
            for key in ("deleted", "outside_list", "is_enforcement", "needs_review"):
                fields[key] = bool(fields[key])
            updates.append(fields)
    conn.close()
    inserts = []
    for values in incident_rows(n - len(updates), load_reference(), now=now, seed=seed + 1, days=2):
        fields = dict(zip(INCIDENT_COLUMNS, values, strict=True)) | dict(_DEFAULTS)
        for key in _TIME_COLUMNS:
            fields[key] = _iso(fields.get(key))
        fields["number"] = tag + fields["number"]  # numbers are unique
        fields["field_versions"], fields["photos_before"], fields["photos_after"] = {}, [], []
        for key in ("deleted", "outside_list", "is_enforcement", "needs_review"):
            fields[key] = bool(fields[key])
        inserts.append(fields)
    changes = updates + inserts
    rnd.shuffle(changes)
    pages = []
    seq = 0
    for i in range(0, len(changes), PAGE):
        chunk = changes[i:i + PAGE]
        page_changes = []
        since = seq
        for fields in chunk:
            seq += 1
            page_changes.append({"bucket": BUCKET, "seq": seq, "entity_type": "incident", "entity_id": fields["id"],
                                 "op": "upsert", "fields": fields})
        pages.append({"since": {BUCKET: since} if since else {}, "epoch": "bench", "changes": page_changes,
                      "cursors": {BUCKET: seq}})
    return pages


def run() -> list[Measure]:
    import qasync
    from PySide6.QtWidgets import QApplication

    from commandroom.queries.incidents import IncidentQuery
    from commandroom.store.local import DeskStore
    from ui.async_runner import DB_EXECUTOR, forget_store
    from ui.incidents import refcounts
    from ui.incidents.table_model import IncidentTableModel
    from ui.incidents.table_view import IncidentTable

    app = QApplication.instance() or QApplication([])
    refcounts.install()  # PySide6 6.12 on CPython 3.11 (ui/incidents/refcounts.py)
    if SWITCH_INTERVAL:  # the workers set it when they start (ui/async_runner.py): this value instead
        from ui import async_runner

        async_runner.GIL_SWITCH_SECONDS = SWITCH_INTERVAL
    src = cached_db(ROWS)
    work = CACHE_DIR / f"stall-{os.getpid()}.db"
    for suffix in ("-wal", "-shm"):  # a stale WAL next to a fresh copy would corrupt it
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copy(src, work)
    t0 = time.perf_counter()
    pages = make_pages(work, CHANGES)
    prep = time.perf_counter() - t0
    naive_pages = make_pages(work, 20 * PAGE, seed=99, tag="N")
    # The prepared pages are ~100k dicts of 50 fields: the sync engine never holds them all (it
    # decodes one page at a time), but here they would make every full GC pass walk them and
    # show up as UI stalls that are the benchmark's, not the app's. Move them out of the GC's way,
    # and collect as the desktop does (ui/gc_policy.py: on the GUI thread, on a timer).
    import gc

    from ui import gc_policy

    gc.collect()
    attribution = None
    table_class: type = IncidentTable
    if ATTRIBUTE:
        from tests.perf.stall_attribution import Attribution

        attribution = Attribution()
        attribution.install()
        for method in ("_apply_resolved", "_prepare", "_repaint_clocks", "_insert_keys", "_on_store_changes"):
            attribution.patch(IncidentTableModel, method)
        attribution.patch(IncidentTable, "_lay_out_ahead")
        attribution.patch(gc_policy.GuiThreadCollector, "tick")
        paint = attribution.timed("IncidentTable.paintEvent", IncidentTable.paintEvent)

        class TimedTable(IncidentTable):
            def paintEvent(self, event: Any) -> None:
                paint(self, event)

        table_class = TimedTable
    store = DeskStore(work)
    collector = gc_policy.install()  # after the store is open, as the desktop does (ui/app.py)
    out: dict[str, Any] = {}

    async def main() -> None:
        view = table_class()  # as the incidents page shows it (its delegate, fixed row heights)
        view.resize(1000, 900)
        view.show()
        model = IncidentTableModel(store, IncidentQuery())
        view.setModel(model)
        model.refresh()
        await model.wait_idle()
        await asyncio.sleep(0.5)
        sampler = None
        if THREADS:
            from tests.perf.thread_sampler import ThreadSampler

            sampler = ThreadSampler()
        beat = Heartbeat(sampler)

        beat.start()  # idle baseline: the machine's own scheduling noise, same heartbeat
        await asyncio.sleep(IDLE_SECONDS)
        beat.stop()
        out["idle"] = beat.summary()
        if sampler is not None:
            from tests.perf.thread_sampler import report as thread_report

            print("# idle:\n" + thread_report(sampler, beat.gaps, threading.main_thread().native_id or 0), flush=True)

        loop = asyncio.get_running_loop()
        inserted = []
        model.rowsInserted.connect(lambda _p, a, b: inserted.append(b - a + 1))
        resets = []
        model.modelReset.connect(lambda: resets.append(1))
        beat.start()
        t0 = time.perf_counter()
        for page in pages:
            changes = await loop.run_in_executor(DB_EXECUTOR, store.apply_page, page)
            assert changes is not None, "stale page"
            store.emit(changes)  # on the loop thread, as SyncEngine.pull_once does
        await model.wait_changes()
        out["elapsed"] = time.perf_counter() - t0
        beat.stop()
        out["stall"] = beat.summary()
        if sampler is not None:
            print("# applying:\n" + thread_report(sampler, beat.gaps, threading.main_thread().native_id or 0),
                  flush=True)
            sampler.clear()
        if attribution is not None:
            from tests.perf.stall_attribution import report

            print(report(attribution, beat.times, [0.0, *beat.cpu]), flush=True)
            from collections import Counter

            for generation in range(3):  # what the collections walk (the frozen start-up heap aside)
                tracked = Counter(type(o).__name__ for o in gc.get_objects(generation))
                print(f"# generation {generation}: {sum(tracked.values()):,} tracked objects; most: "
                      + ", ".join(f"{n} {c:,}" for n, c in tracked.most_common(8)), flush=True)
            attribution.events.clear()
        out["rows"] = model.rowCount()
        out["inserted"] = sum(inserted)
        out["resets"] = len(resets)

        # naive: the same kind of pages written on the UI thread
        cursor = store.cursors().get(BUCKET, 0)
        for p in naive_pages:
            p["since"] = {BUCKET: p["since"].get(BUCKET, 0) + cursor} if p["since"] else {BUCKET: cursor}
            p["cursors"] = {BUCKET: p["cursors"][BUCKET] + cursor}
            for ch in p["changes"]:
                ch["seq"] += cursor
        beat.start()
        for page in naive_pages:
            changes = store.apply_page(page)
            store.emit(changes)
            await asyncio.sleep(0)
        beat.stop()
        out["naive"] = beat.summary()
        view.close()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())
    forget_store(store)
    store.close()
    collector.timer.stop()
    gc.enable()
    gc.unfreeze()
    for suffix in ("", "-wal", "-shm", ".incarnation"):  # (the store's incarnation marker too)
        Path(str(work) + suffix).unlink(missing_ok=True)
    st, idle, naive = out["stall"], out["idle"], out["naive"]
    return [
        Measure(f"UI stall: longest heartbeat gap while {CHANGES:,} changes are applied ({len(pages)} pages)",
                st["max"], "ms", naive["max"], "naive: pages applied on the UI thread", "≤ 16 ms", st["max"] <= 16,
                key="ui_stall.longest_gap"),
        Measure("  same: 99.9th percentile of the stalls", st["p999"], "ms", idle["p999"],
                f"idle, {IDLE_SECONDS:.0f} s", "≤ 50 ms", st["p999"] <= 50),
        Measure(f"  same: stalls over 50 ms (of {st['ticks']:,} heartbeats)", st["over50"], "", idle["over50"],
                f"idle, {idle['ticks']:,} heartbeats", "info", True),
        Measure("  same: GUI-thread CPU time inside the longest gap (the rest is waiting for a CPU or the GIL)",
                st["worst_own_cpu"], "ms", None, "", "info", True),
        Measure("  same: GUI thread runnable but waiting for a CPU inside the longest gap (Linux schedstat)",
                st["worst_wait"], "ms", None, "", "info", True),
        Measure("  same: stalls over 16 ms", st["over16"], "", idle["over16"], "idle", "info", True),
        Measure("  same: in the stalls over 16 ms, GUI thread waiting for a CPU (total)", st["wait_long"], "ms",
                None, "", "info", True),
        Measure("  same: in the stalls over 16 ms, GUI thread neither running nor runnable (GIL, lock, steal; total)",
                st["blocked_long"], "ms", None, "", "info", True),
        Measure("  same: GUI thread waiting for a CPU over the whole apply (total)", st["wait_sum"], "ms",
                None, "", "info", True),
        Measure("  same: longest GUI-thread CPU burst between two heartbeats (our own work)", st["own_max"], "ms",
                naive["own_max"], "naive", "≤ 16 ms", st["own_max"] <= 16, key="ui_stall.own_burst"),
        Measure(f"  idle heartbeat, same run ({IDLE_SECONDS:.0f} s: the machine's own scheduling noise), max",
                idle["max"], "ms", None, "", "info", True),
        Measure(f"  apply {CHANGES:,} changes (writer thread), table live: {out['inserted']:,} rows inserted, "
                f"{out['resets']} resets, {out['rows']:,} rows after", out["elapsed"], "s", None, "", "info", True),
        Measure("  preparing the pages (not timed above)", prep, "s", None, "", "info", True),
    ]


__all__ = ["Heartbeat", "make_pages", "run"]
