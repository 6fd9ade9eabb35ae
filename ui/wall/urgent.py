"""Urgent incidents for the takeover: L1 incidents and waiting L1 reports appearing through change events.

At start the watcher reads the urgent items that already exist; they never take over (the
wall may restart at any time). After that, every change event touching ``incident`` or
``report`` is checked on the reader pool (:func:`commandroom.queries.wall.urgent_items`); items that
appeared within the last hours and were not seen before are emitted once. An incident
accepted from a report that already took over does not take over again.

The set of seen ids is bounded (the oldest are forgotten first), so weeks of incidents do
not grow it; a forgotten item cannot come back because only recent items qualify.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from commandroom.queries import wall as fg
from ui.async_runner import run_read, spawn, store_events

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

SEEN_LIMIT = 5000


def _read(store: Store, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with store.read() as session:
        return fn(session, *args, **kwargs)


class UrgentWatcher(QObject):
    """Emits ``urgent_did_arrive(list[UrgentItem])`` for urgent items that appear (once each).

    Args:
        store: the DeskStore.
        clock: "now" as naive UTC.
        townships: the wall's township scope (None: all).
    """

    urgent_did_arrive = Signal(list)

    def __init__(self, store: Store, clock: Callable[[], datetime], townships: Iterable[str] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.townships = None if townships is None else tuple(townships)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._ready = False
        self._backlog: tuple[set[str], set[str]] = (set(), set())
        self._closed = False
        self.checks = 0
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    def start(self) -> None:
        """Read what is already urgent (that never takes over), then watch."""
        spawn(self._baseline())

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(RuntimeError, TypeError):
            store_events(self.store).changes_did_happen.disconnect(self._on_store_changes)

    @property
    def seen_count(self) -> int:
        return len(self._seen)

    def _remember(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._seen[i] = None
            self._seen.move_to_end(i)
        while len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)

    async def _baseline(self) -> None:
        try:
            incidents, reports = await run_read(_read, self.store, fg.open_urgent_ids, townships=self.townships)
        except Exception:  # without a baseline, only new events count anyway
            log.exception("wall: could not read the urgent items that exist at start")
            incidents, reports = set(), set()
        self._remember(incidents | reports)
        self._ready = True
        backlog_i, backlog_r = self._backlog
        self._backlog = (set(), set())
        if backlog_i or backlog_r:
            await self._check(backlog_i, backlog_r)

    def _on_store_changes(self, changes: Any) -> None:
        if self._closed:
            return
        incidents = {i for i in changes.ids("incident") if i not in self._seen}
        reports = {i for i in changes.ids("report") if i not in self._seen}
        if not incidents and not reports:
            return
        if not self._ready:
            self._backlog[0].update(incidents)
            self._backlog[1].update(reports)
            return
        spawn(self._check(incidents, reports))

    async def _check(self, incidents: set[str], reports: set[str]) -> None:
        self.checks += 1
        try:
            items = await run_read(_read, self.store, fg.urgent_items, sorted(incidents), sorted(reports),
                                   self.clock(), townships=self.townships)
        except Exception:  # logged; the next change is checked again
            log.exception("wall: could not check changes for urgent items")
            return
        fresh = []
        for item in items:
            if item.id in self._seen or any(r in self._seen for r in item.report_ids):
                self._remember([item.id])
                continue
            self._remember([item.id, *item.report_ids])
            fresh.append(item)
        if fresh and not self._closed:
            self.urgent_did_arrive.emit(fresh)
