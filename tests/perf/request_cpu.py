"""Server CPU per request over real HTTP: one uvicorn process on PostgreSQL, one keep-alive client, one request at a time.

``python -m tests.perf.request_cpu [n]`` (default 3000 of each). The server's user and system CPU (``/proc``) per
request, for: a desk's pull with nothing new (its cursors at the head: the fixed cost of every poked pull), the
health check, ``/auth/me`` (the token check of most routes) and a path that does not exist (uvicorn, Starlette
and FastAPI's own share). Serial requests make the figure robust to a busy machine, unlike the load benchmark's
latencies. ``REQUEST_CPU_SPY=<label>`` samples that case with py-spy (``py-spy`` on the PATH) into
``request_cpu-spy.txt``.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import time

import orjson

from tests.perf.bench_sync import PgServer, seed_county
from tests.perf.raw_http import pull_path


def _cpu_ticks(pid: int) -> tuple[int, int]:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - one read
    return int(fields[11]), int(fields[12])


def main(n: int = 3000) -> None:
    srv = PgServer(1)
    try:
        srv.seed(200)
        tokens = seed_county(srv.url, 10, pushers=1, pullers=1)
        base = srv.start()
        assert srv.proc is not None
        token = tokens["listen"][0][0]
        conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]))

        def get(path: str) -> bytes:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            body = response.read()
            if response.status not in (200, 404):
                raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
            return body

        first = orjson.loads(get(pull_path({})))
        at_head = pull_path(first["cursors"])
        tick = os.sysconf("SC_CLK_TCK")
        spy_label = os.environ.get("REQUEST_CPU_SPY", "")
        for label, path in (("pull, nothing new", at_head), ("health", "/health"), ("auth/me", "/api/v1/auth/me"),
                            ("not found", "/nothing-here")):
            for _ in range(200):  # warm: prepared statements, caches
                get(path)
            spy = None
            if spy_label and spy_label in label and shutil.which("py-spy"):
                spy = subprocess.Popen(["py-spy", "record", "-p", str(srv.proc.pid), "-d", "8", "-r", "500", "-f",
                                        "raw", "-o", "request_cpu-spy.txt", "--nonblocking"])
            user0, system0 = _cpu_ticks(srv.proc.pid)
            t0 = time.perf_counter()
            for _ in range(n):
                get(path)
            wall = time.perf_counter() - t0
            user1, system1 = _cpu_ticks(srv.proc.pid)
            if spy is not None:
                spy.wait()
            user, system = (user1 - user0) / tick * 1000 / n, (system1 - system0) / tick * 1000 / n
            print(f"{label:20s} server CPU {user + system:.3f} ms/request (user {user:.3f}, system {system:.3f}), "
                  f"wall {wall * 1000 / n:.3f} ms", flush=True)
        conn.close()
    finally:
        srv.stop()
    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
