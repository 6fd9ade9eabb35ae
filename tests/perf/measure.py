"""One measured figure with the baseline or limit measured in the same run, and its target."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Measure:
    """A benchmark result: value, the same-run baseline/limit, their ratio, the target and a verdict."""

    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_label: str
    target: str
    ok: bool

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
