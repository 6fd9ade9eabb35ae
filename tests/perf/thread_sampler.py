"""Who had the CPUs during the UI-stall benchmark's longest heartbeat gaps (``BENCH_THREADS=1``).

At every heartbeat the GUI thread reads each thread's scheduler statistics of this process
(Linux ``/proc/self/task/*/schedstat``: nanoseconds on a CPU, nanoseconds runnable but waiting)
and the machine's CPU times (``/proc/stat``, in 10 ms ticks: coarse, but the only view of the
other processes). :func:`report` lists, for the longest gaps, how the gap's CPU time went:
the GUI thread's own, its wait, each other thread of ours by name, and what the machine as a
whole was busy with besides us. Diagnostics only: a sample costs ~0.1 ms of GUI-thread CPU.
Linux only; elsewhere it records nothing.
"""

from __future__ import annotations

import contextlib
import os
import threading

_TICK = 1e9 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 1e7  # ns per /proc/stat tick


class ThreadSampler:
    """Per-heartbeat snapshots: {native thread id: (run ns, wait ns)} and the machine's CPU ticks."""

    def __init__(self) -> None:
        self.fds: dict[int, int] = {}
        self.samples: list[tuple[dict[int, tuple[int, int]], tuple[int, ...]]] = []
        self.names: dict[int, str] = {}
        self._stat = -1
        self._ticks = 0
        with contextlib.suppress(OSError):
            self._stat = os.open("/proc/stat", os.O_RDONLY)
        self.refresh()

    def refresh(self) -> None:
        """Open the schedstat of threads started since, and name every thread."""
        try:
            tids = [int(t) for t in os.listdir("/proc/self/task")]
        except OSError:
            return
        for tid in tids:
            if tid not in self.fds:
                with contextlib.suppress(OSError):
                    self.fds[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
        by_native = {t.native_id: t.name for t in threading.enumerate()}
        for tid in tids:
            if tid not in by_native and tid not in self.names:
                try:
                    with open(f"/proc/self/task/{tid}/comm", encoding="utf-8") as fh:
                        self.names[tid] = fh.read().strip() + " (not Python)"
                except OSError:
                    self.names[tid] = str(tid)
        self.names.update({tid: name for tid, name in by_native.items() if tid is not None})

    def sample(self) -> None:
        self._ticks += 1
        if self._ticks % 200 == 0:  # once a second: threads started meanwhile
            self.refresh()
        threads: dict[int, tuple[int, int]] = {}
        for tid, fd in list(self.fds.items()):
            try:
                fields = os.pread(fd, 128, 0).split()
                threads[tid] = (int(fields[0]), int(fields[1]))
            except (OSError, IndexError, ValueError):
                os.close(fd)
                del self.fds[tid]
        machine: tuple[int, ...] = ()
        if self._stat >= 0:
            with contextlib.suppress(OSError, ValueError):
                machine = tuple(int(x) for x in os.pread(self._stat, 256, 0).split(b"\n", 1)[0].split()[1:9])
        self.samples.append((threads, machine))

    def clear(self) -> None:
        self.samples = []

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        if self._stat >= 0:
            os.close(self._stat)
            self._stat = -1


def _nice(tid: int) -> str:
    try:
        return str(os.getpriority(os.PRIO_PROCESS, tid))
    except OSError:
        return "?"


def report(sampler: ThreadSampler, gaps: list[float], gui_native_id: int, show: int = 8) -> str:
    """Text: for the ``show`` longest gaps, where the two CPUs' time went (ms).

    ``gaps[i]`` is the gap that ended with sample ``i + 1`` (sample 0 was taken at the start).
    """
    samples = sampler.samples
    cpus = os.cpu_count() or 1
    order = sorted(range(min(len(gaps), len(samples) - 1)), key=lambda i: -gaps[i])[:show]
    lines = [f"# the {len(order)} longest heartbeat gaps: where the {cpus} CPUs' time went (ms); "
             "'machine' from /proc/stat in 10 ms ticks"]
    totals: dict[str, float] = {}
    for i in order:
        (before, m0), (after, m1) = samples[i], samples[i + 1]
        gap_ms = gaps[i] * 1000
        run = {tid: (after[tid][0] - before.get(tid, (0, 0))[0]) / 1e6 for tid in after}
        wait = {tid: (after[tid][1] - before.get(tid, (0, 0))[1]) / 1e6 for tid in after}
        ours = sum(run.values())
        parts = [f"GUI run {run.get(gui_native_id, 0):.1f} wait {wait.get(gui_native_id, 0):.1f}"]
        for tid, ms in sorted(run.items(), key=lambda kv: -kv[1]):
            if tid != gui_native_id and ms >= 0.3:
                name = sampler.names.get(tid, str(tid))
                parts.append(f"{name} run {ms:.1f} wait {wait[tid]:.1f}")
                totals[name] = totals.get(name, 0.0) + ms
        machine = ""
        if m0 and m1:
            d = [(b - a) * _TICK / 1e6 for a, b in zip(m0, m1, strict=True)]
            busy = d[0] + d[1] + d[2] + d[5] + d[6]  # user nice system irq softirq
            machine = (f"; machine busy {busy:.0f} (others ≈ {max(0.0, busy - ours):.0f}), idle {d[3]:.0f}, "
                       f"iowait {d[4]:.0f}, steal {d[7]:.0f}")
        lines.append(f"#   gap {gap_ms:5.1f}: ours {ours:.1f} of {cpus * gap_ms:.0f}: " + ", ".join(parts) + machine)
    if totals:
        lines.append("#   other threads of ours over these gaps (run ms): "
                     + ", ".join(f"{n} {ms:.1f}" for n, ms in sorted(totals.items(), key=lambda kv: -kv[1])))
    if len(samples) >= 2:
        (first, m0), (last, m1) = samples[0], samples[-1]
        whole = sorted(((t, sampler.names.get(t, str(t)), (last[t][0] - first.get(t, (0, 0))[0]) / 1e6,
                        (last[t][1] - first.get(t, (0, 0))[1]) / 1e6) for t in last), key=lambda x: -x[2])
        lines.append("#   every thread of ours over the whole phase (run / wait ms, nice): "
                     + ", ".join(f"{n} {r:.0f} / {w:.0f}, {_nice(t)}" for t, n, r, w in whole))
        if m0 and m1:
            d = [(b - a) * _TICK / 1e6 for a, b in zip(m0, m1, strict=True)]
            lines.append(f"#   machine over the phase (ms): busy {d[0] + d[1] + d[2] + d[5] + d[6]:.0f}, "
                         f"idle {d[3]:.0f}, iowait {d[4]:.0f}, steal {d[7]:.0f}; ours {sum(r for _, _, r, _ in whole):.0f}")
    return "\n".join(lines)


__all__ = ["ThreadSampler", "report"]
