"""The desktop's async machinery: one writer thread, a reader pool, latest-request-wins tasks.

House rules (docs/architecture.md, "Threads and loops on the desktop"):

* There is one asyncio loop, the qasync ``QEventLoop`` started by :func:`ui.app.run_desktop`.
* Every write to the local store runs on :data:`DB_EXECUTOR`, a single worker thread, so
  SQLite writes are serialised (Anki: "Tasks that access the collection are serialized").
  Actions go through :class:`ui.common.operations.Operation`, which runs the mutation there;
  other writes (meta, photo cache) use :func:`run_db`.
* Reads that may take more than a few milliseconds run on :data:`READ_EXECUTOR` via
  :func:`run_read`; they use the store's reader engine and never wait behind the writer.
* Functions sent to an executor are core functions: no Qt objects, no widget reads.
* The latest request wins: a view keeps a :class:`LatestTask` and starts every refresh
  through it; the previous run is cancelled and its result, if it still arrives, is dropped.
* Never call ``QApplication.processEvents()``.

Change events from :meth:`commandroom.store.local.DeskStore.subscribe` arrive on whatever
thread did the write. :func:`store_events` turns them into a Qt signal delivered on the
GUI thread (a queued connection), which is what views connect to.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from commandroom.store.protocol import Store


log = logging.getLogger(__name__)

T = TypeVar("T")

BACKGROUND_NICE = 10
"""How much lower than the GUI thread the store's worker threads run (Linux nice steps)."""


def lower_thread_priority(steps: int = BACKGROUND_NICE) -> None:
    """Run the calling thread ``steps`` nice levels below the thread that started it (Linux only).

    The executors' initializer. On a two-core machine a pulled page being applied by the writer
    and the GUI thread compete for one CPU whenever anything else runs; at equal priority the
    scheduler left the GUI thread runnable but waiting for 20+ ms, a dropped frame (docs/performance.md,
    session 8). A lower per-thread nice lets the GUI thread in first and costs the writer nothing
    against other programs: the kernel shares the CPU between sessions (autogroups) or cgroups
    first, and only then by nice between one program's threads. Linux applies ``setpriority`` to
    one thread given its id, and lowering one's own priority needs no privilege; elsewhere
    (where the id would name a process) this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + steps))
    except OSError:  # a sandbox that forbids it: run at the inherited priority
        log.debug("could not lower the priority of thread %s", tid, exc_info=True)


GIL_SWITCH_SECONDS = 0.001
"""The longest the GUI thread waits for the GIL before the worker holding it is asked to let go (CPython's
default is 5 ms). While the writer applies a pulled page the GUI thread wanted the GIL at every frame and,
at 5 ms, waited for it up to 16-19 ms in the UI-stall benchmark's longest gaps (neither running nor waiting
for a CPU); at 1 ms the longest gap was 8.7 ms, and the 100,000 changes took no longer (docs/performance.md,
session 14). Process-wide: set when the first worker thread starts (:func:`background_worker`)."""


def background_worker() -> None:
    """The executors' initializer: the worker yields to the GUI thread, for a CPU and for the GIL."""
    lower_thread_priority()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


DB_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer", initializer=background_worker)
"""The single worker that performs every local-store write (mutations, meta, dismissals), below
the GUI thread's priority (:func:`background_worker`)."""

READ_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-reader", initializer=background_worker)
"""A small pool for slow reads (id searches, routing previews); readers never block the writer.
Below the GUI thread's priority too."""


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on the single writer thread and await its result.

    Args:
        fn: a core function (no Qt objects, no widget reads).
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(DB_EXECUTOR, functools.partial(fn, *args, **kwargs))


async def run_read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a read-only core function on the reader pool and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(READ_EXECUTOR, functools.partial(fn, *args, **kwargs))


def loop_running() -> bool:
    """True inside the app's (or a test's) running asyncio loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def spawn(coro: Awaitable[T]) -> asyncio.Task | None:
    """Start ``coro`` as a task of the running loop; outside a running loop (a timer firing while
    the app shuts down, or after a test's loop ended) close it and do nothing."""
    if not loop_running():
        if asyncio.iscoroutine(coro):
            coro.close()
        log.debug("no running loop: %r not started", coro)
        return None
    return asyncio.ensure_future(_when_running(coro))


async def _when_running(coro: Awaitable[T]) -> T | None:
    # qasync steps pending tasks once more after its loop stopped (run_until_complete's last
    # processEvents); a task whose first step lands there has no loop to await on: skip it.
    if not loop_running():
        if asyncio.iscoroutine(coro):
            coro.close()
        return None
    return await coro


class LatestTask:
    """Keeps at most one running task per view: starting a new one cancels the previous.

    A result is handed to ``on_done`` only if its task is still the latest when it
    finishes; stale results are dropped, never applied (Orange's ``ConcurrentMixin``).

    Example::

        self._detail_task = LatestTask("detail")
        self._detail_task.start(run_read(load_detail, store, report_id), self._on_detail_loaded)
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._task: asyncio.Task | None = None
        self._generation = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def cancel(self) -> None:
        """Cancel the running task (if any); its result will be dropped."""
        self._generation += 1
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def start(
        self,
        coro: Awaitable[T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Task | None:
        """Cancel the previous run and start ``coro``; call ``on_done(result)`` if still the latest.

        Args:
            coro: the awaitable to run (typically ``run_read(core_fn, ...)``).
            on_done: called on the GUI thread with the result of the latest run only.
            on_error: called with the exception of the latest run; default logs and
                re-raises through ``sys.excepthook`` (the app's error dialog).
        """
        self.cancel()
        generation = self._generation
        if not loop_running():  # shutting down: nothing to refresh any more
            if asyncio.iscoroutine(coro):
                coro.close()
            return None

        async def runner() -> T | None:
            if not loop_running():  # see _when_running
                return None
            try:
                result = await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # handed to on_error or the excepthook
                if generation != self._generation:
                    return None
                if on_error is not None:
                    on_error(exc)
                else:
                    import sys

                    log.exception("task %s failed", self.name)
                    sys.excepthook(type(exc), exc, exc.__traceback__)
                return None
            if generation != self._generation:
                return None  # a newer request started meanwhile: drop this result
            if on_done is not None:
                on_done(result)
            return result

        task = asyncio.ensure_future(runner())
        if asyncio.iscoroutine(coro):
            # a task cancelled before its first step never awaits ``coro``: close it quietly
            task.add_done_callback(lambda _t, c=coro: c.close())
        self._task = task
        return task

    async def wait(self) -> None:
        """Wait for the running task, if any (tests and shutdown)."""
        task = self._task
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class StoreEvents(QObject):
    """Qt face of a DeskStore's change events, delivered on the GUI thread.

    ``changes_did_happen(Changes)`` is emitted once per committed write or pulled page;
    each view inspects ``changes.touches("report")`` / ``changes.ids("report")`` and
    refreshes only what it shows.
    """

    changes_did_happen = Signal(object)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        # The listener may run on the writer thread or the sync engine's thread; emitting a
        # signal of a GUI-thread object from there is delivered as a queued call.
        self._unsubscribe = store.subscribe(self._on_store_changes)

    def _on_store_changes(self, changes: Any) -> None:
        self.changes_did_happen.emit(changes)

    def close(self) -> None:
        self._unsubscribe()


_EVENTS: dict[int, StoreEvents] = {}


def store_events(store: Store) -> StoreEvents:
    """The one :class:`StoreEvents` bridge of ``store`` (created on first use, on the GUI thread)."""
    key = id(store)
    bridge = _EVENTS.get(key)
    if bridge is None or bridge.store is not store:
        bridge = StoreEvents(store)
        _EVENTS[key] = bridge
    return bridge


def forget_store(store: Store) -> None:
    """Drop the bridge of a store that is being closed."""
    bridge = _EVENTS.pop(id(store), None)
    if bridge is not None:
        bridge.close()
        bridge.deleteLater()


async def exec_dialog(dialog: Any) -> int:
    """Show ``dialog`` window-modally and await its result code, without a nested event loop.

    ``QDialog.exec()`` would spin a second Qt loop inside an asyncio task step, where the
    qasync loop cannot run other tasks; ``open()`` plus a future keeps one loop.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()

    def on_finished(code: int) -> None:
        if not future.done():
            future.set_result(int(code))

    dialog.finished.connect(on_finished)
    dialog.open()
    try:
        return await future
    finally:
        with contextlib.suppress(RuntimeError, TypeError):
            dialog.finished.disconnect(on_finished)
