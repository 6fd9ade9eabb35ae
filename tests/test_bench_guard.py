"""`make bench`'s regression guard and its one-process-per-module runner, on small fixtures (no benchmark runs)."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from tests.perf.__main__ import run_module
from tests.perf.measure import Measure
from tests.perf.regression import compare, load_recorded


def _m(key: str, value: float, unit: str = "ms", better: str = "lower") -> Measure:
    return Measure(key, value, unit, None, "", "-", True, key=key, better=better)


RECORD = {
    "tolerance": 1.5,
    "measures": {
        "table.open": {"value": 40.0, "unit": "ms", "better": "lower"},
        "apply.rate": {"value": 70000.0, "unit": "rows/s", "better": "higher"},
        "stall.over50": {"value": 0.0, "unit": "", "better": "lower", "slack": 2},
        "soak.slope": {"value": 0.1, "unit": "MiB/day", "tolerance": 3.0},
    },
}


def _verdicts(measures: list[Measure]) -> dict[str, bool]:
    comparisons, _ = compare(measures, RECORD)
    return {c.key: c.regressed for c in comparisons}


def test_a_time_more_than_one_and_a_half_times_the_record_is_a_regression() -> None:
    assert _verdicts([_m("table.open", 59.9)]) == {"table.open": False}
    assert _verdicts([_m("table.open", 60.1)]) == {"table.open": True}
    assert _verdicts([_m("table.open", 400.0)]) == {"table.open": True}  # the incident table's 10× slowdown


def test_a_rate_is_a_regression_when_it_falls_below_the_record_over_the_tolerance() -> None:
    assert _verdicts([_m("apply.rate", 50000.0, "rows/s")]) == {"apply.rate": False}
    assert _verdicts([_m("apply.rate", 45000.0, "rows/s")]) == {"apply.rate": True}
    assert _verdicts([_m("apply.rate", 900000.0, "rows/s")]) == {"apply.rate": False}


def test_slack_and_own_tolerance_of_an_entry() -> None:
    assert _verdicts([_m("stall.over50", 2, "")]) == {"stall.over50": False}
    assert _verdicts([_m("stall.over50", 3, "")]) == {"stall.over50": True}
    assert _verdicts([_m("soak.slope", 0.29, "MiB/day")]) == {"soak.slope": False}
    assert _verdicts([_m("soak.slope", 0.31, "MiB/day")]) == {"soak.slope": True}


def test_a_unit_change_is_flagged_and_unrecorded_or_unkeyed_measures_are_not_judged() -> None:
    comparisons, unrecorded = compare(
        [_m("table.open", 0.03, "s"), _m("new.measure", 1.0), Measure("no key", 9e9, "ms", None, "", "-", True)],
        RECORD)
    assert [(c.key, c.regressed) for c in comparisons] == [("table.open", True)]
    assert "unit" in comparisons[0].problem
    assert [m.key for m in unrecorded] == ["new.measure"]


def test_the_recorded_file_of_the_repository_reads_and_names_units(tmp_path: Path) -> None:
    data = load_recorded()
    for key, entry in data["measures"].items():
        assert {"value", "unit", "target", "date", "load"} <= entry.keys(), key
        assert entry.get("better", "lower") in ("lower", "higher"), key
    assert load_recorded(tmp_path / "missing.json")["measures"] == {}


def _fake_module(tmp_path: Path, body: str) -> dict[str, str]:
    (tmp_path / "fake_bench.py").write_text(
        "from tests.perf.measure import Measure\n" + body, encoding="utf-8")
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), root])}


def test_a_module_that_crashes_is_a_failure_and_keeps_nothing_it_did_not_report(tmp_path: Path) -> None:
    env = _fake_module(tmp_path, "import os, signal\ndef run():\n    os.kill(os.getpid(), signal.SIGSEGV)\n")
    measures, _load, failure = run_module("fake_bench", 60, env)
    assert measures == []
    assert "SIGSEGV" in failure


def test_a_module_that_reports_comes_back_with_its_measures(tmp_path: Path) -> None:
    env = _fake_module(tmp_path, "def run():\n    return [Measure('x', 1.5, 'ms', 3.0, 'b', '≤ 2 ms', True, key='k')]\n")
    measures, load, failure = run_module("fake_bench", 60, env)
    assert failure == ""
    assert [(m.key, m.value, m.ratio) for m in measures] == [("k", 1.5, 0.5)]
    assert "→" in load


def test_a_crash_after_reporting_keeps_the_measures_and_still_fails(tmp_path: Path) -> None:
    env = _fake_module(tmp_path, (
        "import atexit, os, signal\n"
        "atexit.register(lambda: os.kill(os.getpid(), signal.SIGSEGV))\n"
        "def run():\n    return [Measure('x', 1.0, 'ms', None, '', '-', True, key='k')]\n"))
    measures, _load, failure = run_module("fake_bench", 60, env)
    assert [m.key for m in measures] == ["k"]
    assert "SIGSEGV" in failure and "after reporting" in failure
    assert json.loads(json.dumps(measures[0].to_json()))["key"] == "k"


def test_only_measures_reproduced_in_every_run_and_within_the_tolerance_are_recorded() -> None:
    from tests.perf.regression import record

    def run(**values: float) -> list[dict]:
        return [{**_m(k, v).to_json(), "load": "0.9 → 1.0", "date": "2026-12-06"} for k, v in values.items()]

    new, notes = record([run(a=40.0, b=10.0, c=5.0), run(a=44.0, b=30.0)], {"tolerance": 1.5, "measures": {}})
    assert set(new["measures"]) == {"a"}
    assert new["measures"]["a"]["value"] == 44.0 and new["measures"]["a"]["runs"] == [40.0, 44.0]
    assert any(n.startswith("b:") and "disagree" in n for n in notes)
    assert any(n.startswith("c:") and "1 of 2" in n for n in notes)


class _FakeMachine:
    """CPU counters (busy, total jiffies) and a clock that advance together: ``busy`` share per step, in phases."""

    def __init__(self, phases: list[tuple[float, float]]) -> None:
        self.phases = phases  # (seconds, busy share while they last)
        self.now, self.busy, self.total = 0.0, 0.0, 0.0

    def clock(self) -> float:
        return self.now

    def cpu_times(self) -> tuple[float, float]:
        return self.busy, self.total

    def sleep(self, seconds: float) -> None:
        ends = itertools.accumulate(length for length, _ in self.phases)
        share = next((s for end, (_, s) in zip(ends, self.phases, strict=True) if self.now < end), self.phases[-1][1])
        self.busy += share * seconds * 200  # 2 CPUs, 100 jiffies a second
        self.total += seconds * 200
        self.now += seconds


def test_the_next_benchmark_starts_once_the_machine_is_quiet() -> None:
    from tests.perf.__main__ import wait_until_quiet

    machine = _FakeMachine([(20, 0.9), (1000, 0.05)])  # 20 s of the previous module's tail, then quiet
    waited, busy = wait_until_quiet(90, cpu_times=machine.cpu_times, clock=machine.clock, sleep=machine.sleep)
    assert 21 <= waited <= 23  # once the last 3 s were mostly quiet, not before the busy 20 s end
    assert busy < 0.25

    quiet = _FakeMachine([(1000, 0.1)])
    waited, _ = wait_until_quiet(90, cpu_times=quiet.cpu_times, clock=quiet.clock, sleep=quiet.sleep)
    assert waited == 3.0  # one window and no more


def test_a_machine_that_stays_busy_delays_the_benchmark_only_up_to_the_bound() -> None:
    from tests.perf.__main__ import wait_until_quiet

    machine = _FakeMachine([(10_000, 0.8)])
    waited, busy = wait_until_quiet(30, cpu_times=machine.cpu_times, clock=machine.clock, sleep=machine.sleep)
    assert waited == 30.0
    assert abs(busy - 0.8) < 0.01
