"""One measured figure with the baseline or limit measured in the same run, and its target."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Measure:
    """A benchmark result: value, the same-run baseline/limit, their ratio, the target and a verdict.

    ``key`` names the measure in ``docs/performance.json`` (the recorded figures ``make bench``
    compares with; the name may carry run-dependent counts, the key does not); ``better`` says
    which way is good, "lower" (times, memory) or "higher" (rates).
    """

    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_label: str
    target: str
    ok: bool
    key: str = ""
    better: str = "lower"

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def row(self) -> str:
        base = "-" if self.baseline is None else f"{self.baseline:,.3f} {self.unit} ({self.baseline_label})"
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        verdict = "ok" if self.ok else "MISSED"
        return f"| {self.name} | {self.value:,.3f} {self.unit} | {base} | {ratio} | {self.target} | {verdict} |"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measure:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
