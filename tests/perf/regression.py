"""The regression guard of ``make bench``: this run's measures against the recorded figures.

The figures ``docs/performance.md`` states are kept, machine-readable, in
``docs/performance.json``::

    {"tolerance": 1.5,
     "measures": {"incident_table.open": {"value": 31.0, "unit": "ms", "better": "lower",
                                          "target": "≤ 100 ms", "date": "2026-12-06",
                                          "load": "0.9 / 1.1", "runs": [30.1, 31.9]}}}

A measure is a regression when it is more than ``tolerance`` times worse than its recorded
value (slower or bigger for ``better: lower``, smaller for ``better: higher``). An entry may
add ``slack``, an absolute allowance in its unit, for figures near zero (a count of 0 or a
0.7 ms idle gap would otherwise fail on any noise). Measures without a record are listed,
not judged; records without a measure in this run are skipped (a partial run).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.perf.measure import Measure

DEFAULT_TOLERANCE = 1.5
RECORDED = Path(__file__).resolve().parents[2] / "docs" / "performance.json"


@dataclass(frozen=True)
class Comparison:
    """One measure of this run against its recorded figure."""

    key: str
    value: float
    recorded: float
    unit: str
    allowed: float
    regressed: bool
    problem: str = ""

    @property
    def factor(self) -> float:
        """How many times worse than recorded (above 1) or better (below 1)."""
        return worse_factor(self.value, self.recorded, self.better)

    better: str = "lower"

    def row(self) -> str:
        verdict = "REGRESSION" if self.regressed else "ok"
        factor = "-" if math.isnan(self.factor) else f"{self.factor:.2f}×"
        note = f" ({self.problem})" if self.problem else ""
        return (f"| {self.key} | {self.value:,.3f} {self.unit} | {self.recorded:,.3f} {self.unit} | {factor} | "
                f"{self.allowed:,.3f} {self.unit} | {verdict}{note} |")


def worse_factor(value: float, recorded: float, better: str) -> float:
    """value/recorded for lower-is-better, recorded/value for higher-is-better (inf when dividing by 0)."""
    num, den = (value, recorded) if better == "lower" else (recorded, value)
    if den == 0:
        return 1.0 if num == 0 else math.inf
    return num / den


def load_recorded(path: Path = RECORDED) -> dict[str, Any]:
    """The recorded figures (an empty record when the file does not exist)."""
    if not path.exists():
        return {"tolerance": DEFAULT_TOLERANCE, "measures": {}}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data.get("measures"), dict):
        raise ValueError(f"{path}: no \"measures\" object")
    return data


def compare(measures: list[Measure], recorded: dict[str, Any]) -> tuple[list[Comparison], list[Measure]]:
    """(comparisons of the recorded measures, measures with a key but no record)."""
    tolerance = float(recorded.get("tolerance", DEFAULT_TOLERANCE))
    entries: dict[str, dict[str, Any]] = recorded["measures"]
    out: list[Comparison] = []
    unrecorded: list[Measure] = []
    for m in measures:
        if not m.key:
            continue
        entry = entries.get(m.key)
        if entry is None:
            unrecorded.append(m)
            continue
        better = entry.get("better", m.better)
        value, rec = float(m.value), float(entry["value"])
        slack = float(entry.get("slack", 0.0))
        tol = float(entry.get("tolerance", tolerance))
        if better == "lower":
            allowed = rec * tol + slack
            regressed = value > allowed
        else:
            allowed = max(rec / tol - slack, 0.0)
            regressed = value < allowed
        problem = ""
        if entry.get("unit", m.unit) != m.unit:
            regressed, problem = True, f"unit {m.unit!r}, recorded in {entry['unit']!r}"
        elif math.isnan(value):
            regressed, problem = True, "no value"
        out.append(Comparison(m.key, value, rec, m.unit, allowed, regressed, problem, better))
    return out, unrecorded


def record(runs: list[list[dict[str, Any]]], recorded: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``recorded`` with the keyed measures that every one of ``runs`` (``BENCH_JSON`` files) reproduced.

    A measure counts as reproduced when it is in every run and the runs agree within the
    tolerance; the worse of the runs is recorded (with all of them and their load averages).
    Returns (the new record, notes on what was left out).
    """
    tolerance = float(recorded.get("tolerance", DEFAULT_TOLERANCE))
    by_key: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        for m in run:
            if m.get("key"):
                by_key.setdefault(m["key"], []).append(m)
    out = {"tolerance": tolerance, "measures": dict(recorded.get("measures", {}))}
    notes = []
    for key, seen in sorted(by_key.items()):
        if len(seen) < len(runs) or len(runs) < 2:
            notes.append(f"{key}: in {len(seen)} of {len(runs)} runs, not recorded")
            continue
        better = seen[0].get("better", "lower")
        values = [float(m["value"]) for m in seen]
        worst = max(values) if better == "lower" else min(values)
        best = min(values) if better == "lower" else max(values)
        if worse_factor(worst, best, better) > tolerance:
            notes.append(f"{key}: runs disagree ({', '.join(f'{v:,.3f}' for v in values)}), not recorded")
            continue
        old = out["measures"].get(key, {})
        out["measures"][key] = {
            "value": round(worst, 3), "unit": seen[0]["unit"], "better": better, "target": seen[0]["target"],
            "date": seen[-1].get("date", ""), "load": " / ".join(m.get("load", "?") for m in seen),
            "runs": [round(v, 3) for v in values], "name": seen[0]["name"],
            **({"slack": old["slack"]} if "slack" in old else {}),
        }
    return out, notes


def main(argv: list[str]) -> int:
    """``python -m tests.perf.regression record RUN.json RUN.json …``: update docs/performance.json."""
    if len(argv) < 3 or argv[0] != "record":
        print("usage: python -m tests.perf.regression record RUN.json RUN.json [...]")
        return 2
    runs = [json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:]]
    new, notes = record(runs, load_recorded())
    RECORDED.write_text(json.dumps(new, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for note in notes:
        print(note)
    print(f"{RECORDED}: {len(new['measures'])} measures")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
