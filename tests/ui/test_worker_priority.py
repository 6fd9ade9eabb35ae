"""The store's worker threads run below the GUI thread's OS priority and let go of the GIL within 1 ms
(ui/async_runner.py).

On a busy two-core machine the scheduler then gives the GUI thread a CPU before the writer
applying a pulled page: the table keeps drawing frames during a sync (docs/performance.md,
session 8). What a user depends on is that the writer and readers really run at the lower
priority, and that the GUI thread — the whole program — was not lowered with them.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")


def _nice() -> tuple[int, int]:
    """(native thread id, nice) of the calling thread."""
    tid = threading.get_native_id()
    return tid, os.getpriority(os.PRIO_PROCESS, tid)


@linux_only
@pytest.mark.asyncio
async def test_the_writer_and_readers_run_below_the_gui_thread():
    from ui.async_runner import BACKGROUND_NICE, run_db, run_read

    gui_tid, gui_nice = _nice()
    if gui_nice + 1 > 19:
        pytest.skip("the tests already run at the lowest priority")
    writer_tid, writer_nice = await run_db(_nice)
    reader_tid, reader_nice = await run_read(_nice)
    assert gui_tid not in (writer_tid, reader_tid)
    assert writer_nice == reader_nice == min(19, gui_nice + BACKGROUND_NICE)
    assert _nice() == (gui_tid, gui_nice), "the GUI thread must keep its priority"
    assert os.getpriority(os.PRIO_PROCESS, os.getpid()) == gui_nice, "the process must keep its priority"


def test_elsewhere_no_process_is_reniced(monkeypatch):
    """Outside Linux a thread id may be another process's id: nothing is lowered there."""
    from ui import async_runner

    calls = []
    monkeypatch.setattr(async_runner.sys, "platform", "darwin")
    monkeypatch.setattr(async_runner.os, "setpriority", lambda *a: calls.append(a), raising=False)
    async_runner.lower_thread_priority()
    assert calls == []


def test_a_refused_priority_change_leaves_the_worker_running(monkeypatch):
    """A sandbox that forbids setpriority must not break the executor (its initializer would)."""
    from ui import async_runner

    def refuse(*_a):
        raise PermissionError("not allowed here")

    monkeypatch.setattr(async_runner.sys, "platform", "linux")
    monkeypatch.setattr(async_runner.os, "setpriority", refuse, raising=False)
    monkeypatch.setattr(async_runner.os, "getpriority", lambda *_a: 0, raising=False)
    async_runner.lower_thread_priority()  # no exception


def test_once_a_worker_runs_the_gui_thread_waits_at_most_the_short_switch_interval_for_the_gil():
    """The writer applying a page holds the GIL between its statements; at CPython's 5 ms the GUI thread waited
    up to 16-19 ms for it amid a sync (docs/performance.md, session 14)."""
    from concurrent.futures import ThreadPoolExecutor

    from ui import async_runner

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        with ThreadPoolExecutor(max_workers=1, initializer=async_runner.background_worker) as pool:
            assert sys.getswitchinterval() == 0.005  # nothing changes before a worker starts
            pool.submit(lambda: None).result()
        assert sys.getswitchinterval() == pytest.approx(async_runner.GIL_SWITCH_SECONDS)
        assert async_runner.GIL_SWITCH_SECONDS <= 0.001
    finally:
        sys.setswitchinterval(before)
    assert async_runner.DB_EXECUTOR._initializer is async_runner.background_worker
    assert async_runner.READ_EXECUTOR._initializer is async_runner.background_worker
