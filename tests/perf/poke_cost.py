"""Server CPU per poke delivered to a listening desk, alone: no push, no pull.

``python -m tests.perf.poke_cost [notifies/s]`` (default 50, 20 s). One bench server process on PostgreSQL, its
140 simulated desks listening on their event streams (not pulling), and pokes sent as the server's own NOTIFY,
each for one township's board (ten desks read it). What the server spends on them (the NOTIFY read, the fan-out
to the subscribers, each desk's coalescing and its event written) is its CPU over that time (``/proc``) per poke
the desks received. ``POKE_COST_SPY=<file>`` records the server meanwhile with py-spy (``--gil``, raw format).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import orjson
import psycopg

from commandroom.server.events import CHANNEL
from tests.perf.bench_sync import Listeners, PgServer, _cpu_seconds, _descendants, _town, seed_county
from tests.sync.helpers import board_of

SECONDS = 20


def main(rate: float = 50.0) -> None:
    srv = PgServer(1)
    try:
        srv.seed(200)
        tokens = seed_county(srv.url, 140, pushers=1, pullers=1)
        base = srv.start()
        assert srv.proc is not None
        desks = Listeners(base, tokens["listen"], SECONDS + 8, pull_on_poke=False)
        spy_to = os.environ.get("POKE_COST_SPY")
        spy = subprocess.Popen(["py-spy", "record", "-p", str(srv.proc.pid), "-d", str(SECONDS - 2), "-r", "250",
                                "-f", "raw", "-o", spy_to, "--nonblocking", "--gil"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if spy_to else None
        pids = _descendants(srv.proc.pid)
        with psycopg.connect(srv.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            cpu0 = sum(_cpu_seconds(pids).values())
            t0, sent, seq = time.perf_counter(), 0, 10_000_000
            while time.perf_counter() - t0 < SECONDS:
                seq += 1
                heads = {f"module:{board_of(_town(sent % 14))}": seq}
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, orjson.dumps({"epoch": None, "heads": heads}).decode()))
                sent += 1
                time.sleep(max(0.0, t0 + sent / rate - time.perf_counter()))
            took = time.perf_counter() - t0
            cpu = sum(_cpu_seconds(pids).values()) - cpu0
        heard = desks.result(timeout=60)
        if spy is not None:
            spy.wait()
    finally:
        srv.stop()
    pokes = heard.get("pokes", 0)
    print(f"{sent} pokes sent in {took:.1f} s to {desks.connected} listening desks; they received {pokes}; server CPU "
          f"{cpu:.2f} s = {cpu * 1000 / max(pokes, 1):.3f} ms per poke received; errors {heard.get('n_errors')}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 50.0)
