"""Open311 report → a subscribed duty officer's workstation: p99 latency on a PostgreSQL-backed server.

``python -m tests.perf open311_latency``. A county database is seeded with the bundled reference
data; the real server runs under uvicorn in its own process on loopback; a duty officer's
workstation (``DeskStore`` + ``SyncEngine``, signed in, SSE connected, periodic pull at 60 s so
only pokes count) receives the reports a grid worker posts through ``POST /open311/v2/requests.json``
at a steady rate. Measured per report: from just before the POST is sent until the report is in the
workstation's store (poke → pull → apply). Same-run baseline: the POST's own round trip.
Needs PostgreSQL at 127.0.0.1:5432 (reported as an error otherwise).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from tests.perf.bench_sync import PG_ADMIN, PgServer
from tests.perf.measure import Measure, percentile

QC = "330822111"  # 球川镇
QC_POINT = (28.87, 118.33)
PASSWORD = "bench-password-1"


class SeededPgServer(PgServer):
    """The bench server over a database with the real reference data and two accounts."""

    def seed_county(self, workers: int = 8) -> list[str]:
        """Seed reference data, ``workers`` 球川 grid workers and a duty officer; returns the workers' api_keys.

        Several reporters, as in a township: one key may send at most 30 reports in 10 minutes (the intake's
        per-key limit), and the benchmark sends 200."""
        from commandroom.refdata.seed import seed_database
        from commandroom.server.state import open_state
        from commandroom.server.users import create_user

        seed_database(self.url)
        state = open_state(self.url, migrate=False)
        try:
            with state.transaction() as s:
                keys = [create_user(s, username=f"gw{i}", display_name=f"网格员{i}", role="grid_worker",
                                    township_code=QC, password=PASSWORD)[1] for i in range(workers)]
                create_user(s, username="duty", display_name="值班员", role="duty_officer", township_code=QC,
                            password=PASSWORD)
        finally:
            state.close()
        assert all(keys)
        return [key for key in keys if key]


async def _measure(base: str, api_keys: list[str], n: int, rate: float) -> tuple[list[float], list[float], int, int]:
    from commandroom.store.local import DeskStore
    from commandroom.sync.engine import SyncEngine
    from tests.sync.helpers import copy_template

    tmp = Path(tempfile.mkdtemp(prefix="bench-o311-"))
    copy_template("client", tmp / "desk.db")
    store = DeskStore(tmp / "desk.db")
    engine = SyncEngine(store, base, device_name="球川值班台", pull_interval=60.0)
    arrived: dict[str, float] = {}

    def on_change(changes) -> None:  # commandroom.mutations.core.Changes
        now = time.perf_counter()
        for rid in changes.ids("report"):
            arrived.setdefault(rid, now)

    store.subscribe(on_change)
    e2e: list[float] = []
    rtt: list[float] = []
    missing = 0
    try:
        await engine.login("duty", PASSWORD)
        assert await engine.sync_once(raise_errors=True)  # the first download (reference data)
        engine.start()
        for _ in range(500):
            if engine.sse_connects:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def post(i: int) -> tuple[str, float] | None:
                data = {"api_key": api_keys[i % len(api_keys)], "service_code": "urban_parking", "lat": str(QC_POINT[0]),
                        "long": str(QC_POINT[1]), "description": f"球川镇镇区第{i}处机动车违停"}
                t0 = time.perf_counter()
                r = await http.post("/open311/v2/requests.json", data=data)
                rtt.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    return None
                return r.json()[0]["token"], t0

            t_start = time.perf_counter()
            tasks = []
            for i in range(n):
                delay = t_start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(i)))
            sent = await asyncio.gather(*tasks)
            deadline = time.perf_counter() + 15
            while time.perf_counter() < deadline and not all(s and s[0] in arrived for s in sent):
                await asyncio.sleep(0.02)
            for s in sent:
                if s is None or s[0] not in arrived:
                    missing += 1
                else:
                    e2e.append(arrived[s[0]] - s[1])
        pokes = engine.pokes
    finally:
        await engine.aclose()
        store.close()
    return e2e, rtt, missing, pokes


def bench_open311_latency(n: int = 200, rate: float = 5.0) -> list[Measure]:
    srv = SeededPgServer()
    try:
        keys = srv.seed_county(workers=n // 25 + 1)
        base = srv.start()
        e2e, rtt, missing, pokes = asyncio.run(_measure(base, keys, n, rate))
    finally:
        srv.stop()
    p99, p50 = percentile(e2e, 99), percentile(e2e, 50)
    base_p99 = percentile(rtt, 99)
    name = (f"Open311 report → subscribed workstation's store, p99 of {len(e2e)} reports at {rate:.0f}/s "
            f"(p50 {p50 * 1000:.0f} ms, {missing} missing, {pokes} pokes, load avg {os.getloadavg()[0]:.1f})")
    return [Measure(name, p99, "s", base_p99, "POST round trip p99", "≤ 2 s", p99 <= 2.0 and missing == 0,
                    key="open311.report_to_desk_p99")]


def run() -> list[Measure]:
    return bench_open311_latency()


__all__ = ["PG_ADMIN", "bench_open311_latency", "run"]


if __name__ == "__main__":
    for m in run():
        print(m.row())
