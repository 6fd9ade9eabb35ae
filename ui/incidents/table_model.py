"""The incident table model: a million incidents as ordered keys, rows fetched a page at a time.

Modelled on Anki's browser ``DataModel`` (``qt/aqt/browser/table/model.py``):

* the model holds only the *keys* of the rows in view (incident rowids, an int64
  numpy array from one SQL query: sort, filter and search all run in SQL on the
  store's reader engine, see :mod:`commandroom.queries.incidents`);
* rows are fetched lazily, :data:`PAGE` at a time, and kept in an LRU cache keyed
  by key; ``data()`` only formats a cached row (a miss costs one indexed page read);
* a new filter or sort re-runs the key query on the reader pool through a
  :class:`~ui.async_runner.LatestTask` (the latest request wins, stale results are
  dropped) and then resets the model — the only reset there is;
* the store's change events are applied in place: the changed ids are looked up on the
  reader pool (batched, in order), then a changed row that is cached is repainted
  (``dataChanged``), a deleted one is removed, a new one that matches the filter is
  inserted (``beginInsertRows``) at the top for a descending sort and at the bottom for
  an ascending one. Rows keep their place until the next re-query, as in Anki, so
  nothing jumps under the officer's cursor;
* while a sync streams changes in, they are applied at a bounded rate (one batch per
  :data:`APPLY_INTERVAL` at most; the first change after a quiet spell at once), each batch
  in short slices of the GUI thread: the new rows' cells are built before they are
  inserted, so the repaint after the insert only draws (``ui/incidents/table_view.py``
  draws them from text laid out once).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from commandroom.queries.incidents import (
    COLUMN_KEYS,
    IncidentQuery,
    IncidentRow,
    RefNames,
    fetch_rows,
    find_incident_keys,
    has_fts,
    keys_of_ids,
    load_names,
    matching_keys,
    raw_reader,
)
from commandroom.services.deadlines import clock_state
from commandroom.timeutil import fmt_local
from ui import gc_policy
from ui.async_runner import LatestTask, loop_running, run_read, store_events
from ui.incidents import labels, refcounts
from ui.incidents.keys import DisplayKeys, SortedKeys

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

IdRole = Qt.ItemDataRole.UserRole + 1
"""``data(index, IdRole)``: the incident id (UUID text)."""
KeyRole = Qt.ItemDataRole.UserRole + 2
"""``data(index, KeyRole)``: the row key (rowid)."""
RowRole = Qt.ItemDataRole.UserRole + 3
"""``data(index, RowRole)``: the cached :class:`~commandroom.queries.incidents.IncidentRow`."""
ClockStateRole = Qt.ItemDataRole.UserRole + 4
"""``data(index, ClockStateRole)``: ok / warning / overdue / met / late / none of the running clock."""

(COL_NUMBER, COL_TITLE, COL_TOWNSHIP, COL_STATE, COL_URGENCY, COL_LEAD, COL_ASSIGNEE, COL_CREATED, COL_CLOCK,
 COL_ESCALATION) = range(len(COLUMN_KEYS))

PAGE = 200
FIRST_PAGE = 300  # keys of the first step of a re-query (more than a screenful)
CACHE_ROWS = 6000
CLOCK_TICK_MS = 30_000
CHANGE_BATCH = 2000  # changed ids resolved per read on the reader pool
APPLY_INTERVAL = 0.25  # seconds between two applied batches of changes while they stream in
MAX_TOP_MARKS = 1024  # inserts at the top that a stale position hint is tried against
MAX_CHANGED_RUNS = 64  # changed rows repainted run by run up to this many runs, else as one range
PREPARE_ROWS = 48  # new rows whose cells are built before they are inserted (a screenful and some)
PREPARE_STEP_ROWS = 4  # ... this many at a time (cells built, then their texts laid out by the view)
SLICE_SECONDS = 0.004  # a slice of that work gives the event loop a turn once it has run this long

_HEADERS = (
    QT_TRANSLATE_NOOP("Incidents", "No."), QT_TRANSLATE_NOOP("Incidents", "Title / category"),
    QT_TRANSLATE_NOOP("Incidents", "Township"), QT_TRANSLATE_NOOP("Incidents", "State"),
    QT_TRANSLATE_NOOP("Incidents", "Urgency"), QT_TRANSLATE_NOOP("Incidents", "Lead department"),
    QT_TRANSLATE_NOOP("Incidents", "Assigned to"), QT_TRANSLATE_NOOP("Incidents", "Created"),
    QT_TRANSLATE_NOOP("Incidents", "Deadline"), QT_TRANSLATE_NOOP("Incidents", "Supervision"),
)

_COLOURS = {
    "light": {"warning_bg": "#fff1c2", "warning_fg": "#7a4f00", "overdue_bg": "#f9d3cf", "overdue_fg": "#9b1c1c",
              "muted_fg": "#7a8594", "urgent_fg": "#c0392b", "escalation_fg": "#b03a2e"},
    "dark": {"warning_bg": "#4d3b00", "warning_fg": "#ffd666", "overdue_bg": "#5a1f1f", "overdue_fg": "#ff9b91",
             "muted_fg": "#98a3b3", "urgent_fg": "#ff7b6b", "escalation_fg": "#ff8a80"},
}


def _theme_colours() -> dict[str, str]:
    try:
        from ui.theme import current_theme

        return _COLOURS.get(current_theme(), _COLOURS["light"])
    except Exception:  # noqa: BLE001 - colours are decoration
        return _COLOURS["light"]


def _load_keys(store: Store, query: IncidentQuery, now: datetime, with_names: bool,
               limit: int | None = None) -> dict[str, Any]:
    """Core read for the reader pool: the keys of ``query`` (at most ``limit``), names on first load."""
    t0 = time.perf_counter()
    with raw_reader(store) as conn:
        keys = find_incident_keys(conn, query, now, fts=has_fts(conn), limit=limit)
        names = load_names(conn) if with_names else None
    sorted_keys = SortedKeys(np.sort(keys))
    return {"keys": keys, "sorted": sorted_keys, "display": DisplayKeys.with_room(keys), "names": names,
            "seconds": time.perf_counter() - t0, "complete": limit is None or len(keys) < limit}


@dataclass
class Resolved:
    """What a batch of changed incident ids means for the model (computed on the reader pool)."""

    cached_keys: list[int]
    fresh: dict[int, IncidentRow]
    new_keys: list[int]
    generation: int
    new_rows: dict[int, IncidentRow] | None = None


def resolve_changes(store: Store, ids: list[str], cached: dict[str, int], sorted_keys: SortedKeys,
                    query: IncidentQuery, now: datetime, generation: int) -> Resolved:
    """Core read for the reader pool: fresh rows of the cached ids, and the new keys that match ``query``.

    ``sorted_keys`` is the model's (immutable) key set at the time of the call.
    """
    with raw_reader(store) as conn:
        known = keys_of_ids(conn, ids)
        cached_keys = list(cached.values())
        fresh = fetch_rows(conn, cached_keys) if cached_keys else {}
        # new ids, and ids written again with INSERT OR REPLACE (a new key; the old one reads as gone)
        absent = [k for i, k in known.items() if cached.get(i) != k and k not in sorted_keys]
        new_keys = sorted(matching_keys(conn, absent, query, now), reverse=True) if absent else []
        # new rows go to the top of a descending list, where the view shows them next: read them here,
        # not in data() on the GUI thread
        new_rows = fetch_rows(conn, new_keys[:PAGE]) if new_keys and query.descending else None
    return Resolved(cached_keys, fresh, new_keys, generation, new_rows)


class IncidentTableModel(QAbstractTableModel):
    """Incidents in view, as a lazily filled table (see the module docstring).

    Args:
        store: the workstation's DeskStore.
        query: the first query (scope, filters, sort); :meth:`set_query` changes it.
        parent: the owning QObject.

    Signals:
        keys_did_load(int, float): a re-query's rows are shown (its first page at least): row count, seconds.
        keys_did_complete(int, float): every key of the re-query is in the model.
        loading_did_change(bool): a re-query started (True) or finished (False).
        rows_prepared(list): the cells of new rows about to be inserted at the top (a view may lay them out).
    """

    keys_did_load = Signal(int, float)
    keys_did_complete = Signal(int, float)
    loading_did_change = Signal(bool)
    rows_prepared = Signal(object)

    def __init__(self, store: Store, query: IncidentQuery | None = None, parent: Any = None) -> None:
        refcounts.install()  # PySide6 6.12 on CPython 3.11: see ui/incidents/refcounts.py
        super().__init__(parent)
        self.store = store
        self._query = query or IncidentQuery()
        self._key_buffer = DisplayKeys()  # the keys in view order (``_keys``)
        self._sorted = SortedKeys(np.empty(0, dtype=np.int64))  # the same keys, for membership tests
        self._rows: OrderedDict[int, IncidentRow] = OrderedDict()
        self._key_of_id: dict[str, int] = {}
        self._missing: set[int] = set()
        self._names = RefNames()
        self._names_loaded = False
        self._now = store.now()  # the server's clock when this machine's is off (DeskStore.now)
        self._frozen_now: datetime | None = None
        self._clock_cache: dict[int, tuple[str, str]] = {}
        # per cached row, what the delegate asks of each cell (text, colours, bold, alignment), built once
        # per row and kept until the row changes: a repaint asks ~2,000 times. Only str, int, bool and None
        # in them (colours by name, see _cell), so the garbage collector stops tracking them
        self._cells: dict[int, tuple[tuple[Any, ...], ...]] = {}
        # cells built before the last clock tick: all but the countdown column still hold (cells_at)
        self._clock_stale: dict[int, tuple[tuple[Any, ...], ...]] = {}
        self._memo_row = -1  # the row position whose cells _memo_cells holds (the delegate asks cell by cell)
        self._memo_cells: tuple[tuple[Any, ...], ...] | None = None
        self._task = LatestTask("incident-keys")
        self._in_flight_ids: set[str] | None = None
        self._pending_ids: set[str] = set()
        self._drain_task: asyncio.Future | None = None
        self._last_apply = float("-inf")  # loop time of the last applied batch of changes
        self._hurry = asyncio.Event()  # set: apply queued changes without waiting for their turn
        self._generation = 0
        # rows put at the top since the last reset, in all, and that total after each insert: a cached row's
        # position hint is not moved on each insert (6,000 cached rows: 0.7 ms a batch), _position tries it
        # moved by each total since
        self._top_total = 0
        self._top_marks: list[int] = [0]
        self._colours = _theme_colours()
        self._brushes = {k: QBrush(QColor(v)) for k, v in self._colours.items()}
        self._bold = QFont()
        self._bold.setBold(True)
        self.last_query_seconds = 0.0

        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(CLOCK_TICK_MS)
        self._clock_timer.timeout.connect(self._on_clock_tick)
        self._clock_timer.start()
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    # Query
    ######################################################################

    @property
    def _keys(self) -> np.ndarray:
        return self._key_buffer.view

    @property
    def query(self) -> IncidentQuery:
        return self._query

    @property
    def names(self) -> RefNames:
        return self._names

    @property
    def loading(self) -> bool:
        return self._task.running

    def set_query(self, query: IncidentQuery) -> None:
        """Show ``query``'s rows: the keys are found on the reader pool, then the model resets."""
        self._query = query
        self.refresh()

    def refresh(self) -> None:
        """Re-run the current query in the background (latest request wins).

        Two steps: the first :data:`FIRST_PAGE` keys (a LIMIT query: the view shows them at
        once), then all keys, appended as inserted rows when they extend the first page.
        """
        self._now = self._frozen_now or self.store.now()
        self._in_flight_ids = set()
        self.loading_did_change.emit(True)
        self._task.start(self._two_steps(self._query, self._now, not self._names_loaded),
                         self._on_keys_loaded, self._on_keys_failed)

    async def _two_steps(self, query: IncidentQuery, now: datetime, with_names: bool) -> dict[str, Any]:
        first = await run_read(_load_keys, self.store, query, now, with_names, FIRST_PAGE)
        self._apply_result(first)
        if first["complete"]:
            return first
        full = await run_read(_load_keys, self.store, query, now, False, None)
        self._extend_result(full)
        return full

    def load_now(self) -> None:
        """Run the current query on this thread (first show in tests and tools; the view uses :meth:`refresh`)."""
        self._task.cancel()
        self._now = self._frozen_now or self.store.now()
        self._in_flight_ids = set()
        self._apply_result(_load_keys(self.store, self._query, self._now, not self._names_loaded))
        self._in_flight_ids = None

    async def wait_idle(self) -> None:
        """Wait for the running re-query (tests and shutdown)."""
        await self._task.wait()

    def _on_keys_loaded(self, result: dict[str, Any]) -> None:
        self._in_flight_ids = None
        self.loading_did_change.emit(False)
        self.keys_did_complete.emit(len(self._keys), self.last_query_seconds)

    def _on_keys_failed(self, exc: BaseException) -> None:
        log.error("incident query failed: %s", exc, exc_info=exc)
        self._in_flight_ids = None
        self.loading_did_change.emit(False)

    def _apply_result(self, result: dict[str, Any]) -> None:
        """A new key list: the one reset of this model (filter or sort changed)."""
        if result.get("names") is not None:
            self._names = result["names"]
            self._names_loaded = True
        self.beginResetModel()
        self._key_buffer = result.get("display") or DisplayKeys(result["keys"])
        self._sorted = result["sorted"]
        self._clock_cache.clear()
        self._cells.clear()
        self._clock_stale.clear()
        self._memo_row = -1
        self._top_total = 0
        self._top_marks = [0]
        self._generation += 1
        self.endResetModel()
        self.last_query_seconds = float(result.get("seconds", 0.0))
        self._replay_in_flight()
        self.keys_did_load.emit(len(self._keys), self.last_query_seconds)

    def _extend_result(self, result: dict[str, Any]) -> None:
        """All keys after the first page: appended rows when they extend what is shown, else a reset."""
        keys = result["keys"]
        shown = len(self._keys)
        self.last_query_seconds += float(result.get("seconds", 0.0))
        if shown <= len(keys) and np.array_equal(keys[:shown], self._keys):
            if len(keys) > shown:
                self.beginInsertRows(QModelIndex(), shown, len(keys) - 1)
                self._key_buffer = result.get("display") or DisplayKeys(keys)
                self._memo_row = -1
                self._sorted = result["sorted"]
                self.endInsertRows()
            self._replay_in_flight()
        else:  # changes arrived in between and moved the first page: start over with the full list
            self._apply_result(result)

    def _replay_in_flight(self) -> None:
        # changes that arrived while a query ran may not be in its snapshot: apply them again
        replay = self._in_flight_ids or set()
        if self._in_flight_ids is not None:
            self._in_flight_ids = set()
        if replay:
            self._apply_changed_ids(replay)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is a new SQL query (never a proxy model): the header's click lands here."""
        if not 0 <= column < len(COLUMN_KEYS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = COLUMN_KEYS[column]
        if key == self._query.sort_key and descending == self._query.descending and (
                len(self._keys) or self._task.running):
            return
        self.set_query(self._query.with_sort(key, descending))

    # Rows
    ######################################################################

    def key_at(self, row: int) -> int | None:
        return int(self._keys[row]) if 0 <= row < len(self._keys) else None

    def row_at(self, row: int) -> IncidentRow | None:
        """The row at position ``row`` (its page is fetched on a cache miss)."""
        if not 0 <= row < len(self._keys):
            return None
        key = int(self._keys[row])
        cached = self._rows.get(key)
        if cached is not None:
            self._rows.move_to_end(key)
            cached.pos_hint = row
            return cached
        if key in self._missing:
            return None
        self._fetch_page(row)
        cached = self._rows.get(key)
        if cached is not None:
            cached.pos_hint = row
        return cached

    def id_at(self, row: int) -> str | None:
        r = self.row_at(row)
        return r.id if r is not None else None

    def row_of_id(self, incident_id: str) -> int:
        """Position of ``incident_id`` in view, or -1 (looks the key up when the row is not cached)."""
        key = self._key_of_id.get(incident_id)
        if key is None:
            with raw_reader(self.store) as conn:
                key = keys_of_ids(conn, [incident_id]).get(incident_id)
        if key is None:
            return -1
        cached = self._rows.get(key)
        return self._position(key, cached.pos_hint if cached else -1)

    def _fetch_page(self, row: int) -> None:
        start = row - row % PAGE
        page = [int(k) for k in self._keys[start: start + PAGE] if int(k) not in self._rows]
        with raw_reader(self.store) as conn:
            fetched = fetch_rows(conn, page)
        for key in page:
            got = fetched.get(key)
            if got is None:
                self._missing.add(key)
            else:
                self._cache(got)
        self._trim_cache()

    def _cache(self, row: IncidentRow) -> None:
        old = self._rows.get(row.key)
        if old is not None and old.id != row.id:
            self._key_of_id.pop(old.id, None)
        self._rows[row.key] = row
        self._rows.move_to_end(row.key)
        self._key_of_id[row.id] = row.key
        self._missing.discard(row.key)
        self._clock_cache.pop(row.key, None)
        self._cells.pop(row.key, None)
        self._clock_stale.pop(row.key, None)
        self._memo_row = -1

    def _trim_cache(self) -> None:
        while len(self._rows) > CACHE_ROWS:
            key, row = self._rows.popitem(last=False)
            self._key_of_id.pop(row.id, None)
            self._clock_cache.pop(key, None)
            self._cells.pop(key, None)
            self._clock_stale.pop(key, None)
            self._memo_row = -1

    def _position(self, key: int, hint: int = -1) -> int:
        keys = self._keys
        if 0 <= hint < len(keys) and keys[hint] == key:
            return hint
        if hint >= 0 and len(self._top_marks) > 1:  # the hint as it was before some inserts at the top
            moved = hint + (self._top_total - np.asarray(self._top_marks[:-1], dtype=np.int64))
            moved = moved[moved < len(keys)]
            hits = moved[keys[moved] == key]
            if len(hits):
                return int(hits[-1])
        found = np.flatnonzero(keys == key)  # (a million keys: 1–2 ms)
        return int(found[0]) if len(found) else -1

    def _has_key(self, key: int) -> bool:
        return key in self._sorted

    # Live updates
    ######################################################################

    def _on_store_changes(self, changes: Any) -> None:
        ids = changes.ids("incident")
        if not ids:
            return
        if self._in_flight_ids is not None:
            self._in_flight_ids.update(ids)
        self._apply_changed_ids(ids)

    def _apply_changed_ids(self, ids: Iterable[str]) -> None:
        """Queue ``ids`` for the change drain (reads on the reader pool, applies here, in order)."""
        self._pending_ids.update(ids)
        if self._drain_task is not None and not self._drain_task.done():
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (tools, synchronous tests): resolve here
            while self._pending_ids:
                batch = self._take_batch()
                self._apply_resolved(batch, resolve_changes(self.store, *self._resolve_args(batch)))
            return
        self._drain_task = asyncio.ensure_future(self._drain())

    def _take_batch(self) -> list[str]:
        batch = list(itertools.islice(self._pending_ids, CHANGE_BATCH))
        self._pending_ids.difference_update(batch)
        return batch

    def _resolve_args(self, batch: list[str]) -> tuple[Any, ...]:
        cached = {i: self._key_of_id[i] for i in batch if i in self._key_of_id}
        return batch, cached, self._sorted, self._query, self.store.now(), self._generation

    async def _drain(self) -> None:
        """Resolve queued ids on the reader pool, one batch at a time, and apply each on this thread.

        At a bounded rate: a batch is applied no sooner than :data:`APPLY_INTERVAL` after the
        previous one (ids arriving meanwhile join the next batch), so a sync of many pages repaints
        the table a few times a second, not once per page. The first change after a quiet spell is
        applied at once. Each batch is short slices with the event loop free in between: the new
        rows' cells are built (:meth:`_prepare`) and the view lays their texts out (``rows_prepared``)
        a few rows at a time (:meth:`_prepare_in_slices`), then the rows go in and the view repaints.
        """
        loop = asyncio.get_running_loop()
        while self._pending_ids:
            if not loop_running():  # the app is closing: qasync steps its tasks once more after the loop stopped
                return
            wait = self._last_apply + APPLY_INTERVAL - loop.time()
            if wait > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), wait)
                if not loop_running():
                    return
            batch = self._take_batch()
            if not batch:
                continue
            try:
                resolved = await run_read(resolve_changes, self.store, *self._resolve_args(batch))
            except Exception:  # a failed read must not stop live updates for good
                log.exception("could not read changed incidents")
                continue
            if resolved.new_rows and resolved.generation == self._generation:
                await self._prepare_in_slices(resolved)
            self._apply_resolved(batch, resolved)
            self._last_apply = loop.time()
            gc_policy.note_busy()  # a sync is streaming in: no full collection amid it

    async def _prepare_in_slices(self, resolved: Resolved) -> None:
        """Build the cells of the new rows that will show at the top and have the view lay their texts out,
        :data:`PREPARE_STEP_ROWS` rows a step, giving the loop a turn whenever a slice has run
        :data:`SLICE_SECONDS` (a monotonic clock) and once more before the insert.

        One slice for all 48 rows took 10–13 ms at load 14 (the texts' layout 6.6 ms on average, the cells
        3.6 ms), as long as the repaint and the insert together.
        """
        keys = resolved.new_keys[:PREPARE_ROWS]
        started = time.monotonic()
        for first in range(0, len(keys), PREPARE_STEP_ROWS):
            prepared = self._prepare(resolved, keys[first:first + PREPARE_STEP_ROWS])
            if prepared:
                self.rows_prepared.emit(prepared)  # the view lays their texts out now, not in the repaint
            if time.monotonic() - started >= SLICE_SECONDS:
                await asyncio.sleep(0)  # let the loop run (timers, input, paints) between the slices
                if not loop_running() or resolved.generation != self._generation:
                    return
                started = time.monotonic()
        await asyncio.sleep(0)  # the insert and its repaint in a slice of their own

    def _prepare(self, resolved: Resolved, keys: list[int]) -> list[tuple[tuple[Any, ...], ...]]:
        """Cache the new rows of ``keys`` (they will show at the top) and build their cells; returns those cells.

        Done before the rows are inserted, so the repaint that follows the insert only draws.
        """
        rows = resolved.new_rows or {}
        prepared = []
        for key in keys:
            row = rows.get(key)
            if row is not None and not self._has_key(key):
                self._cache(row)
                cells = self._cells[key] = self._row_cells(row)
                prepared.append(cells)
        return prepared

    async def wait_changes(self) -> None:
        """Apply the queued change events now, without waiting for the next turn, and wait for them (tests)."""
        self._hurry.set()
        try:
            while self._drain_task is not None and not self._drain_task.done():
                await self._drain_task
        finally:
            self._hurry.clear()

    def _apply_resolved(self, batch: list[str], resolved: Resolved) -> None:
        """Repaint changed cached rows, drop deleted ones, insert new ones that match the filter."""
        if resolved.generation != self._generation:
            self._pending_ids.update(batch)  # resolved against an older query: again, against this one
            return
        changed_rows: list[int] = []
        removed_rows: list[int] = []
        for key in resolved.cached_keys:
            old = self._rows.get(key)
            pos = self._position(key, old.pos_hint if old else -1)
            row = resolved.fresh.get(key)
            if row is None or (row.deleted and not self._query.include_deleted):
                if old is not None:
                    self._rows.pop(key, None)
                    self._key_of_id.pop(old.id, None)
                if pos >= 0:
                    removed_rows.append(pos)
                continue
            if old is not None:
                row.pos_hint = pos
            self._cache(row)
            if pos >= 0:
                changed_rows.append(pos)
        if changed_rows:
            # one signal per run of adjacent rows: one from the first to the last changed row would
            # repaint the whole screen for two rows far apart
            last = self.columnCount() - 1
            runs = _runs(changed_rows)
            if len(runs) > MAX_CHANGED_RUNS:  # many: one signal (each costs a call across to Qt)
                runs = [(runs[0][0], runs[-1][1])]
            for first, end in runs:
                self.dataChanged.emit(self.index(first, 0), self.index(end, last))
        for pos in sorted(set(removed_rows), reverse=True):
            self._remove_row(pos)
        # an earlier batch may have inserted some of these meanwhile
        new_keys = resolved.new_keys
        if new_keys:
            block = np.asarray(new_keys, dtype=np.int64)
            block = block[~self._sorted.contains(block)]
        if new_keys and len(block):
            for key, row in (resolved.new_rows or {}).items():
                if key not in self._rows:  # (_prepare cached the first ones, their cells built)
                    self._cache(row)
            self._insert_keys(block)
            self._trim_cache()

    def _remove_row(self, pos: int) -> None:
        self.beginRemoveRows(QModelIndex(), pos, pos)
        key = int(self._keys[pos])
        self._key_buffer.delete(pos)
        self._memo_row = -1
        self._sorted = self._sorted.without(key)
        for row in self._rows.values():
            if row.pos_hint > pos:
                row.pos_hint -= 1
        self.endRemoveRows()

    def _insert_keys(self, block: np.ndarray) -> None:
        count = len(block)
        at_top = self._query.descending
        first = 0 if at_top else len(self._keys)
        self.beginInsertRows(QModelIndex(), first, first + count - 1)
        self._memo_row = -1
        if at_top:
            self._key_buffer.prepend(block)
            self._top_total += count  # (the cached rows' hints stay: _position moves them when asked)
            self._top_marks.append(self._top_total)
            if len(self._top_marks) > MAX_TOP_MARKS:
                del self._top_marks[0]
        else:
            self._key_buffer.append(block[::-1])
        self._sorted = self._sorted.with_added(block)
        self.endInsertRows()

    def _on_clock_tick(self) -> None:
        self._repaint_clocks(self._frozen_now or self.store.now())

    def set_now(self, now: datetime | None) -> None:
        """Freeze the countdowns at ``now`` (naive UTC; tests and screenshots); None follows the clock."""
        self._frozen_now = now
        self._repaint_clocks(now or self.store.now())

    def _repaint_clocks(self, now: datetime) -> None:
        """The countdowns move on: only their column is rebuilt (cells_at) and repainted.

        The other nine cells of each cached row stay as built, and the view repaints only the
        countdown column's rectangle (the changed range is that one column), so the tick every
        30 s is a few milliseconds, not a rebuild and repaint of the whole screen.
        """
        self._now = now
        self._clock_cache.clear()
        if self._cells:
            self._clock_stale.update(self._cells)
            self._cells = {}
        self._memo_row = -1
        if len(self._keys):
            self.dataChanged.emit(self.index(0, COL_CLOCK), self.index(len(self._keys) - 1, COL_CLOCK))

    # Qt model interface
    ######################################################################

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        # (the view asks for every cell it paints, through index(): keep it to an attribute read)
        return 0 if parent.isValid() else self._key_buffer.count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else _COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return labels.tr(_HEADERS[section])
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # No row fetch here (Anki: a Ctrl+A selection must not load every row).
        # (the view asks twice per cell on every repaint: a constant, not three enum operations)
        return _FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        slot = _CELL_SLOTS.get(role)
        if slot is not None:  # what the delegate asks while painting: from the row's cells, built once
            r = index.row()
            cells = self.cells_at(r)
            column = index.column()
            if cells is None or not 0 <= column < len(cells):
                return None
            value = cells[column][slot]
            if slot in (1, 2):  # a colour's name
                return None if value is None else self._brushes[value]
            if slot == 3:
                return self._bold if value else None
            return value
        if not index.isValid() or not 0 <= index.row() < len(self._keys):
            return None
        if role == KeyRole:
            return int(self._keys[index.row()])
        if role not in _ROLES:
            return None
        row = self.row_at(index.row())
        if row is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return "—" if index.column() else self.tr("(removed)")
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == IdRole:
            return row.id
        if role == RowRole:
            return row
        if role == ClockStateRole:
            return self._clock(row)[1]
        if role == Qt.ItemDataRole.BackgroundRole:
            if column == COL_CLOCK:
                state = self._clock(row)[1]
                if state == "warning":
                    return self._brushes["warning_bg"]
                if state == "overdue":
                    return self._brushes["overdue_bg"]
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            name = self._foreground(row, column)
            return None if name is None else self._brushes[name]
        if role == Qt.ItemDataRole.FontRole:
            if column == COL_CLOCK and self._clock(row)[1] == "overdue":
                return self._bold
            if column == COL_URGENCY and row.urgency == "L1":
                return self._bold
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTER if column in (COL_STATE, COL_URGENCY, COL_ESCALATION) else _LEFT
        return None

    # Cell formatting
    ######################################################################

    def cells_at(self, position: int) -> tuple[tuple[Any, ...], ...] | None:
        """The cells of the row at ``position`` (fetching its page on a miss); None outside the table."""
        if position == self._memo_row:  # the view paints a row cell by cell
            return self._memo_cells
        if not 0 <= position < len(self._keys):
            return None
        row = self.row_at(position)
        if row is None:
            cells = self._gone_cells()
        else:
            cells = self._cells.get(row.key)
            if cells is None:
                stale = self._clock_stale.pop(row.key, None)
                if stale is not None:  # built before the clock ticked: only the countdown is new
                    cells = (*stale[:COL_CLOCK], self._cell(row, COL_CLOCK), *stale[COL_CLOCK + 1:])
                else:
                    cells = self._row_cells(row)
                self._cells[row.key] = cells
        self._memo_row, self._memo_cells = position, cells
        return cells

    def _row_cells(self, row: IncidentRow) -> tuple[tuple[Any, ...], ...]:
        # (a collection drops the cells from its lists, the next one the row's tuple that holds them)
        return tuple(self._cell(row, c) for c in range(len(COLUMN_KEYS)))

    @property
    def brushes(self) -> dict[str, QBrush]:
        """The brushes the cells name (``cells_at``: background and foreground by name)."""
        return self._brushes

    def _gone_cells(self) -> tuple[tuple[Any, ...], ...]:
        return ((self.tr("(removed)"), None, None, False, None),
                *(("—", None, None, False, None) for _ in range(1, len(COLUMN_KEYS))))

    def _cell(self, row: IncidentRow, column: int) -> tuple[Any, ...]:
        """(display text, background, foreground, bold, alignment): the delegate's roles, in _CELL_SLOTS order.

        Colours by their name in :attr:`brushes` and the font as "bold or not", not the QBrush and
        QFont themselves: a tuple of str, int, bool and None is dropped from the garbage collector's
        lists at its first collection, one holding a Qt object is walked by every collection after
        (6,000 cached rows × 11 tuples: most of what a full collection walked).
        """
        background = None
        bold = False
        if column == COL_CLOCK:
            state = self._clock(row)[1]
            if state == "warning":
                background = "warning_bg"
            elif state == "overdue":
                background = "overdue_bg"
                bold = True
        elif column == COL_URGENCY and row.urgency == "L1":
            bold = True
        return (self._display(row, column), background, self._foreground(row, column), bold,
                _CENTER if column in _CENTERED else _LEFT)

    def _display(self, row: IncidentRow, column: int) -> str:
        if column == COL_NUMBER:
            return row.number or self.tr("(provisional)")
        if column == COL_TITLE:
            category = _short_category(self._names.category(row.category_code))
            if not category or category in row.title:
                return row.title
            return f"{category}｜{row.title}"
        if column == COL_TOWNSHIP:
            return self._names.township(row.township_code)
        if column == COL_STATE:
            return labels.state_label(row.state)
        if column == COL_URGENCY:
            return labels.urgency_label(row.urgency)
        if column == COL_LEAD:
            if row.outside_list and not row.lead_department_code:
                return self.tr("Township-county joint")
            return self._names.department(row.lead_department_code)
        if column == COL_ASSIGNEE:
            return self.assignee_text(row.assignee_kind, row.assignee_code)
        if column == COL_CREATED:
            return fmt_local(row.created_at, "%y-%m-%d %H:%M")
        if column == COL_CLOCK:
            return self._clock(row)[0]
        if column == COL_ESCALATION:
            level = row.escalation_level or "none"
            return "" if level == "none" else labels.label(labels.ESCALATION_LABELS, level)
        return ""

    def assignee_text(self, kind: str | None, code: str | None) -> str:
        if not code:
            return ""
        if kind == "team":
            return self.tr("{zone} team").format(zone=self._names.zone(code))
        return self._names.department(code)

    def _clock(self, row: IncidentRow) -> tuple[str, str]:
        cached = self._clock_cache.get(row.key)
        if cached is not None:
            return cached
        kind, due, done_at, started = row.active_clock()
        if due is None:
            value = ("", "none")
        else:
            state = clock_state(due, done_at, self._now, started)
            value = (labels.countdown_text(kind, due, done_at, self._now), state)
        self._clock_cache[row.key] = value
        return value

    def _foreground(self, row: IncidentRow, column: int) -> str | None:
        """The name of the cell's text colour in :attr:`brushes`, None for the view's own."""
        if column == COL_CLOCK:
            state = self._clock(row)[1]
            if state == "warning":
                return "warning_fg"
            if state == "overdue":
                return "overdue_fg"
            if state in ("met", "late", "none"):
                return "muted_fg"
            return None
        if column == COL_URGENCY and row.urgency == "L1":
            return "urgent_fg"
        if column == COL_ESCALATION and (row.escalation_level or "none") != "none":
            return "escalation_fg"
        if row.state == "closed" and column in (COL_STATE, COL_NUMBER):
            return "muted_fg"
        return None

    def _tooltip(self, row: IncidentRow, column: int) -> str | None:
        if column == COL_CLOCK:
            kind, due, _done, _started = row.active_clock()
            if due is None:
                return None
            return self.tr("{clock} due {when}").format(
                clock=labels.label(labels.CLOCK_LABELS, kind), when=fmt_local(due))
        if column == COL_TITLE:
            return f"{row.title}\n{self._names.category(row.category_code)}\n{row.address}".strip()
        if column == COL_LEAD and row.matter_name:
            return row.matter_name
        return None


_CENTER = int(Qt.AlignmentFlag.AlignCenter.value)
_LEFT = int((Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft).value)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_COLUMN_COUNT = len(COLUMN_KEYS)
_CENTERED = frozenset((COL_STATE, COL_URGENCY, COL_ESCALATION))
_CELL_SLOTS = {  # role → place in a cell tuple (IncidentTableModel._cell)
    Qt.ItemDataRole.DisplayRole: 0, Qt.ItemDataRole.BackgroundRole: 1, Qt.ItemDataRole.ForegroundRole: 2,
    Qt.ItemDataRole.FontRole: 3, Qt.ItemDataRole.TextAlignmentRole: 4,
}
_ROLES = frozenset((
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole,
    IdRole, RowRole, ClockStateRole,
))


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Sorted runs of adjacent positions as (first, last): [7, 3, 4, 9] → [(3, 4), (7, 7), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for pos in sorted(set(positions)):
        if runs and runs[-1][1] + 1 == pos:
            runs[-1] = (runs[-1][0], pos)
        else:
            runs.append((pos, pos))
    return runs


def _short_category(name: str) -> str:
    """"矛盾纠纷(邻里/婚姻家庭/…)" → "矛盾纠纷"; "违法建设" stays."""
    for sep in ("(", "（", "/"):
        if sep in name:
            name = name.split(sep, 1)[0]
    return name.strip()
