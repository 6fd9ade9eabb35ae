"""Run the benchmarks: ``python -m tests.perf [name ...]``; prints a Markdown table.

Each ``bench_*`` module runs in a process of its own (``python -m tests.perf --child NAME
RESULT``): Qt, QtWebEngine and the servers a module starts die with it, so one module's
crash (e.g. the segfault of a QtWebEngine page followed by another ``QApplication.exec()``)
is a failed row and the next module still runs. Then each measure with a ``key`` is compared
with the figures recorded in ``docs/performance.json`` (:mod:`tests.perf.regression`).

Exit status: 0 when every module ran and no measure regressed; 1 when a module crashed,
raised, timed out, or a measure is more than the tolerance (1.5×) worse than recorded.
Missed targets are shown (MISSED) and counted, and do not change the exit status.
Before each module the runner waits for the machine to be quiet (:func:`wait_until_quiet`: under a quarter of its
CPU busy for 3 s, at most ``BENCH_SETTLE_MAX`` seconds, default 90): whatever the previous module left running is
not counted against the next one; a wait of 5 s or more is shown beside the load.
``BENCH_MODULE_TIMEOUT`` (seconds, default 1800) bounds one module; ``BENCH_JSON=path`` also writes this
run's measures (with the load average of each module) as JSON, for ``python -m tests.perf.regression record``.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def load_average() -> str:
    """The 1-minute load average now (the machine is shared: each figure notes it)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from ``/proc/stat`` (idle and iowait count as not busy)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [float(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    total = sum(fields[:8])  # guest time is already inside user and nice
    return total - idle, total


QUIET_BUSY = 0.25
"""The machine is quiet while less than this share of its CPU is busy."""


def wait_until_quiet(max_wait: float, *, busy_limit: float = QUIET_BUSY, window: float = 3.0, step: float = 0.5,
                     cpu_times=_cpu_times, clock=time.monotonic, sleep=time.sleep) -> tuple[float, float]:
    """Wait until less than ``busy_limit`` of the machine's CPU was busy over the last ``window`` seconds, or
    ``max_wait`` passed: (seconds waited, busy share of the last window). The 1-minute load average trails a busy
    minute long after it ends; the CPU counters show the moment the machine is quiet again."""
    start = clock()
    samples = [(start, *cpu_times())]
    busy_share = 1.0
    while True:
        sleep(step)
        now = clock()
        samples.append((now, *cpu_times()))
        while len(samples) > 2 and now - samples[1][0] >= window:  # keep one sample at least a window back
            samples.pop(0)
        t0, busy0, total0 = samples[0]
        _, busy1, total1 = samples[-1]
        if now - t0 >= window:
            busy_share = (busy1 - busy0) / max(total1 - total0, 1e-9)
            if busy_share < busy_limit:
                return now - start, busy_share
        if now - start >= max_wait:
            return now - start, busy_share


def module_names(argv: list[str]) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(unknown)} (there are: {', '.join(names)})")
    return [n for n in names if n in wanted] if wanted else names


def child(module_name: str, result: Path) -> int:
    """Run one module's ``run()`` and write its measures (JSON) to ``result``."""
    module = importlib.import_module(module_name)
    load_before = load_average()
    measures = module.run()
    payload = {"load": f"{load_before} → {load_average()}", "measures": [m.to_json() for m in measures]}
    tmp = result.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(result)
    return 0


def _why(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def run_module(module_name: str, timeout: float, env: dict[str, str] | None = None) -> tuple[list, str, str]:
    """(measures, load average, failure or "") of one module (dotted name) run in its own process."""
    from tests.perf.measure import Measure

    with tempfile.TemporaryDirectory(prefix="commandroom-bench-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "tests.perf", "--child", module_name, str(result)]
        try:
            # stdout of the child (progress lines start with "#") goes to our stderr: the table stays clean
            proc = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr, timeout=timeout, check=False, env=env)
            failure = "" if proc.returncode == 0 else _why(proc.returncode)
        except subprocess.TimeoutExpired:
            failure = f"timed out after {timeout:.0f} s"
        if not result.exists():
            return [], load_average(), failure or "wrote no result"
        data = json.loads(result.read_text(encoding="utf-8"))
        measures = [Measure.from_json(m) for m in data["measures"]]
        if failure:
            failure += " after reporting its measures"
        return measures, data.get("load", ""), failure


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return child(argv[1], Path(argv[2]))
    from tests.perf.regression import RECORDED, compare, load_recorded

    timeout = float(os.environ.get("BENCH_MODULE_TIMEOUT", "1800"))
    names = module_names(argv)
    recorded = load_recorded()
    print("| measure | value | baseline or limit (same run) | ratio | target | verdict | load (1 min) |")
    print("|---|---|---|---|---|---|---|")
    crashed: list[str] = []
    missed = 0
    everything = []
    runs: list[dict] = []
    settle_max = float(os.environ.get("BENCH_SETTLE_MAX", "90")) if os.path.exists("/proc/stat") else 0.0
    for name in names:
        waited, busy_share = wait_until_quiet(settle_max) if settle_max > 0 else (0.0, 0.0)
        print(f"# {name}: started after {waited:.1f} s, the machine {busy_share:.0%} busy over the last 3 s",
              file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            measures, load, failure = run_module(f"tests.perf.{name}", timeout)
        except Exception:  # noqa: BLE001 - the runner itself failed on this module: report, go on
            traceback.print_exc()
            measures, load, failure = [], load_average(), "runner error"
        if waited >= 5:
            load = f"{load} ({'quiet after' if busy_share < QUIET_BUSY else 'not quiet in'} {waited:.0f} s)"
        for m in measures:
            print(f"{m.row()} {load} |", flush=True)
            runs.append({**m.to_json(), "load": load, "date": time.strftime("%Y-%m-%d", time.gmtime())})
            missed += 0 if m.ok else 1
        if failure:
            crashed.append(name)
            print(f"| {name}: {failure} ({time.perf_counter() - t0:.0f} s) | - | - | - | - | FAILED | {load} |",
                  flush=True)
        everything.extend(measures)

    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    comparisons, unrecorded = compare(everything, recorded)
    regressed = [c for c in comparisons if c.regressed]
    try:
        shown = RECORDED.relative_to(ROOT)
    except ValueError:
        shown = RECORDED
    print(f"\n## Against the recorded figures ({shown}, tolerance {recorded.get('tolerance', 1.5)}×)\n")
    if comparisons:
        print("| key | this run | recorded | worse by | allowed | verdict |")
        print("|---|---|---|---|---|---|")
        for c in comparisons:
            print(c.row())
    else:
        print("(no recorded measure in this run)")
    if unrecorded:
        print("\nNot recorded yet: " + ", ".join(f"{m.key} = {m.value:,.3f} {m.unit}" for m in unrecorded))
    print(f"\n{len(names)} benchmark modules: {len(crashed)} crashed or failed"
          f"{' (' + ', '.join(crashed) + ')' if crashed else ''}; {missed} measures missed their target; "
          f"{len(regressed)} regressed against the record"
          f"{' (' + ', '.join(c.key for c in regressed) + ')' if regressed else ''}")
    return 1 if crashed or regressed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
