"""Incident-list queries behind the incident table: ordered keys from one SQL query, rows in pages.

Qt-free (it could move to ``commandroom/services``; it lives here because the
numpy key arrays are a desktop concern). The table model holds only *keys*,
SQLite rowids of ``incident`` rows, as an ``int64`` numpy array: a million
keys are 8 MB and the ``SELECT rowid … ORDER BY`` that produces them is a
covering scan of one index. Rows are fetched by key, a page at a time.

Sort, filter and search all run in SQL on the store's *reader* engine:

* each sort key is ``ORDER BY <column> <dir>, rowid <dir>``, which is the order
  of the column's single-column index, so an unfiltered sort needs no sort step;
* search goes through the FTS5 table ``incident_fts`` (unigram + bigram tokens
  of ``search_text``, see :mod:`commandroom.services.search`) and falls back to
  ``LIKE`` on ``search_text`` / title / number when the FTS table is missing.

Keys are rowids, so an ``INSERT OR REPLACE`` of a row (which gives it a new
rowid) makes the old key vanish; :func:`fetch_rows` simply does not return it
and the model shows a "gone" placeholder until the next re-query. The store's
writers upsert with ``ON CONFLICT DO UPDATE``, which keeps rowids.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np

from commandroom.domain.clocks import OPEN_STATES, active_due_sql, overdue_sql, running_clocks
from commandroom.domain.enums import IncidentState
from commandroom.services import search as search_service
from commandroom.store.protocol import ReadStore

# The columns of the incident table, in display order.
COLUMN_KEYS: tuple[str, ...] = (
    "number",
    "title",
    "township",
    "state",
    "urgency",
    "lead",
    "assignee",
    "created",
    "clock",
    "escalation",
)

_ACTIVE_DUE = active_due_sql()  # the first running clock's due time (commandroom.domain.clocks)

# ORDER BY expression per column; each one (but "clock") has a single-column index.
SORT_SQL: dict[str, str] = {
    "number": "incident.number",
    "title": "incident.category_code",
    "township": "incident.township_code",
    "state": "incident.state",
    "urgency": "incident.urgency",
    "lead": "incident.lead_department_code",
    "assignee": "incident.assignee_code",
    "created": "incident.created_at",
    "clock": _ACTIVE_DUE,
    "escalation": "incident.escalation_level",
}

DB_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def db_time(value: datetime) -> str:
    """A naive-UTC datetime in the text form SQLite rows hold (comparable as text)."""
    return value.strftime(DB_TIME_FORMAT)


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


# ----------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class IncidentQuery:
    """What the incident table shows: scope, filters, search text and sort.

    ``scope_townships`` is the viewer's scope (``None``: every township, for county
    coordinators); ``townships`` narrows it further when the filter bar asks.
    Times are naive UTC.
    """

    scope_townships: tuple[str, ...] | None = None
    townships: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    zone_id: str | None = None
    matter_code: str | None = None
    lead_department_code: str | None = None
    urgencies: tuple[str, ...] = ()
    overdue_only: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None
    search: str = ""
    sort_key: str = "created"
    descending: bool = True
    include_deleted: bool = False

    def with_sort(self, sort_key: str, descending: bool) -> IncidentQuery:
        return replace(self, sort_key=sort_key, descending=descending)

    def same_filter(self, other: IncidentQuery) -> bool:
        """Whether ``other`` selects the same rows (it may sort them differently)."""
        return replace(self, sort_key="", descending=False) == replace(other, sort_key="", descending=False)


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def add_in(self, column: str, name: str, values: Sequence[str]) -> None:
        names = []
        for i, v in enumerate(values):
            key = f"{name}{i}"
            names.append(f":{key}")
            self.params[key] = v
        self.clauses.append(f"{column} IN ({', '.join(names)})" if names else "0")

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"


def has_fts(conn: sqlite3.Connection) -> bool:
    """Whether the FTS5 table ``incident_fts`` exists in this database."""
    return _has_object(conn, "incident_fts")


def _has_object(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def _search_clause(where: _Where, text: str, fts: bool, *, as_filter: bool = False) -> None:
    """Add the search condition; ``as_filter`` makes FTS a membership test on rows another index found."""
    text = text.strip()
    if not text:
        return
    expression = _match_expression(text) if fts else ""
    if expression:
        # "+rowid" stops SQLite from driving the query by rowid lookups of every hit
        where.add(
            f"{'+' if as_filter else ''}incident.rowid IN "
            "(SELECT rowid FROM incident_fts WHERE incident_fts MATCH :fts_match)",
            fts_match=expression,
        )
        return
    # Fallback (no FTS table): every whitespace-separated word occurs in the tokens, the title or the number.
    for i, word in enumerate(text.split()):
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.add(
            f"(incident.search_text LIKE :like{i} ESCAPE '\\' OR incident.title LIKE :like{i} ESCAPE '\\' "
            f"OR incident.number LIKE :like{i} ESCAPE '\\')",
            **{f"like{i}": like},
        )


def overdue_clause(now_param: str = ":now") -> str:
    """SQL that is true for an overdue incident: :func:`commandroom.domain.clocks.overdue_sql`."""
    return overdue_sql(now_param)


def build_where(query: IncidentQuery, now: datetime, *, fts: bool, with_deleted: bool = True,
                townships: Sequence[str] | None = None) -> _Where:
    """The WHERE clause (text and named parameters) selecting ``query``'s rows, as plain IN lists.

    ``with_deleted`` False leaves out the ``deleted = 0`` test (the caller drops deleted keys itself);
    ``townships`` is the resolved township list (scope ∩ filter ∩ zone), None for all.
    """
    where = _Where()
    if not query.include_deleted and with_deleted:
        where.add("incident.deleted = 0")
    if townships is not None:
        where.add_in("incident.township_code", "tw", townships)
    if query.states:
        where.add_in("incident.state", "st", query.states)
    rest = _residual(query, now, fts=fts, fts_as_filter=False)
    where.clauses.extend(rest.clauses)
    where.params.update(rest.params)
    return where


# ----------------------------------------------------------------------------- planning


MAX_ARMS = 120  # above this many (township, state) pairs, fall back to IN lists


@dataclass
class TableStats:
    """Row counts the planner uses to judge how selective a filter is (estimates, refreshed rarely)."""

    total: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    taken_at: float = 0.0

    def fraction(self, column: str, values: Sequence[str]) -> float:
        by_value = self.counts.get(column)
        if not by_value or not self.total:
            return 1.0
        return sum(by_value.get(v, 0) for v in values) / self.total


_STATS: dict[str, TableStats] = {}
STATS_TTL = 600.0


def table_stats(conn: sqlite3.Connection, columns: Sequence[str]) -> TableStats:
    """Value counts of ``columns`` (each a GROUP BY over its index), cached per database file."""
    import time

    path = conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
    stats = _STATS.get(path)
    now = time.monotonic()
    if stats is None or now - stats.taken_at > STATS_TTL:
        stats = TableStats(total=int(conn.execute("SELECT count(*) FROM incident").fetchone()[0]), taken_at=now)
        _STATS[path] = stats
    for column in columns:
        if column not in stats.counts:
            stats.counts[column] = {
                str(v): int(c) for v, c in conn.execute(
                    f"SELECT {column}, count(*) FROM incident GROUP BY {column}")  # column: ours, not user text
            }
    return stats


def forget_stats() -> None:
    _STATS.clear()


@dataclass
class _Plan:
    sql: str
    params: dict[str, Any]
    post_filter_deleted: bool


def _residual(query: IncidentQuery, now: datetime, *, fts: bool, fts_as_filter: bool) -> _Where:
    """Every condition except the township/state equalities the arms carry."""
    where = _Where()
    if query.matter_code:
        where.add("incident.matter_code = :matter", matter=query.matter_code)
    if query.lead_department_code:
        where.add("incident.lead_department_code = :lead", lead=query.lead_department_code)
    if query.urgencies:
        where.add_in("incident.urgency", "urg", query.urgencies)
    if query.created_from is not None:
        where.add("incident.created_at >= :cfrom", cfrom=db_time(query.created_from))
    if query.created_to is not None:
        where.add("incident.created_at < :cto", cto=db_time(query.created_to))
    if query.overdue_only:
        where.add(overdue_clause(), now=db_time(now))
    _search_clause(where, query.search, fts, as_filter=fts_as_filter)
    return where


def _townships(conn: sqlite3.Connection, query: IncidentQuery) -> tuple[str, ...] | None:
    """The township list the query is limited to (None: every township).

    A zone filter means the zone's member townships.
    """
    allowed: list[set[str]] = []
    if query.scope_townships is not None:
        allowed.append(set(query.scope_townships))
    if query.townships:
        allowed.append(set(query.townships))
    if query.zone_id:
        allowed.append(set(zone_townships(conn, query.zone_id)))
    if not allowed:
        return None
    keep = set.intersection(*allowed)
    order = query.townships or query.scope_townships or sorted(keep)
    return tuple(t for t in dict.fromkeys([*order, *sorted(keep)]) if t in keep)


def zone_townships(conn: sqlite3.Connection, zone_id: str) -> list[str]:
    """The member townships of an enforcement zone (hub first)."""
    import json

    row = conn.execute("SELECT hub_code, member_codes FROM zone WHERE id = ?", (zone_id,)).fetchone()
    if row is None:
        return []
    members = json.loads(row[1] or "[]")
    return list(dict.fromkeys([row[0], *members]))


def _states(query: IncidentQuery) -> tuple[str, ...] | None:
    states = tuple(query.states) if query.states else None
    if query.overdue_only:  # only open incidents can be overdue: lets the planner use the state index
        states = tuple(s for s in (states or OPEN_STATES) if s in OPEN_STATES)
    return states


def plan(conn: sqlite3.Connection, query: IncidentQuery, now: datetime, *, fts: bool | None = None,
         limit: int | None = None) -> _Plan:
    """The SQL selecting ``query``'s keys in order (a small planner over SQLite's).

    * township and state lists become one ``UNION ALL`` arm per (township, state)
      pair, each an equality range of a ``(township, state, created_at)``-style
      index; SQLite merges the ordered arms without sorting;
    * with no such list, a selective filter (by the table's value counts) is
      read through its own index and sorted (``ORDER BY +expr``), an unselective
      one scans the sort column's index;
    * deleted rows are dropped afterwards by key when their partial index exists.
    """
    if fts is None:
        fts = has_fts(conn)
    post_deleted = not query.include_deleted and _has_object(conn, "ix_incident_deleted_rows")
    townships = _townships(conn, query)
    states = _states(query)
    sort_expr = SORT_SQL.get(query.sort_key, SORT_SQL["created"])
    # the arms' indexes end in created_at; any other sort key must not pick its own index
    # (SQLite would scan all of it to avoid a sort), so "+" hides it
    arm_sort = sort_expr if query.sort_key == "created" else f"+{sort_expr}"
    direction = "DESC" if query.descending else "ASC"
    tail = f" LIMIT {int(limit)}" if limit is not None else ""

    arms: list[tuple[str | None, str | None]] = []
    if townships is not None or states is not None:
        arms = list(itertools.product(townships if townships is not None else (None,),
                                      states if states is not None else (None,)))
    if arms and len(arms) <= MAX_ARMS:
        residual = _residual(query, now, fts=fts, fts_as_filter=True)
        if not query.include_deleted and not post_deleted:
            residual.add("incident.deleted = 0")
        parts = []
        params = dict(residual.params)
        for i, (township, state) in enumerate(arms):
            eq = []
            if township is not None:
                eq.append(f"incident.township_code = :a_t{i}")
                params[f"a_t{i}"] = township
            if state is not None:
                eq.append(f"incident.state = :a_s{i}")
                params[f"a_s{i}"] = state
            parts.append(f"SELECT incident.rowid AS k, {arm_sort} AS s FROM incident "
                         f"WHERE {' AND '.join(eq + residual.clauses) or '1'}")
        sql = " UNION ALL ".join(parts) + f" ORDER BY s {direction}, k {direction}{tail}"
        return _Plan(sql, params, post_deleted)
    if arms:  # too many pairs: plain IN lists
        where = build_where(query, now, fts=fts, with_deleted=not post_deleted, townships=townships)
        return _Plan(f"SELECT incident.rowid AS k FROM incident WHERE {where.sql()} "
                     f"ORDER BY {sort_expr} {direction}, incident.rowid {direction}{tail}", where.params,
                     post_deleted)
    if townships == () or states == ():
        return _Plan("SELECT 0 AS k WHERE 0", {}, False)

    # no township/state list: decide between the filter's index and the sort column's index
    selective = _selective(conn, query, fts)
    residual = _residual(query, now, fts=fts, fts_as_filter=not selective)
    if not query.include_deleted and not post_deleted:
        residual.add("incident.deleted = 0")
    order_expr = f"+{sort_expr}" if selective and sort_expr.startswith("incident.") else sort_expr
    sql = (f"SELECT incident.rowid AS k FROM incident WHERE {residual.sql()} "
           f"ORDER BY {order_expr} {direction}, incident.rowid {direction}{tail}")
    return _Plan(sql, residual.params, post_deleted)


# Rough per-row costs (µs) on SQLite, measured on the million-row benchmark store.
_COST_INDEX_ENTRY = 0.1  # stepping a covering index
_COST_ROW_LOOKUP = 0.5  # stepping an index and reading the row it points to
_COST_SORTED_ROW = 2.5  # reading a row by key and sorting it


def _selective(conn: sqlite3.Connection, query: IncidentQuery, fts: bool) -> bool:
    """Whether reading the filtered rows and sorting them beats scanning the sort column's index.

    Scanning costs every row of the table (a cheap covering step when the only filter
    is the FTS membership test, a row read otherwise); sorting costs the estimated hits.
    """
    if query.created_from or query.created_to:
        return False  # the created_at index gives both the range and the order
    checks: list[tuple[str, Sequence[str]]] = []
    if query.urgencies:
        checks.append(("urgency", query.urgencies))
    if query.lead_department_code:
        checks.append(("lead_department_code", (query.lead_department_code,)))
    if query.matter_code:
        checks.append(("matter_code", (query.matter_code,)))
    searching = bool(fts and query.search.strip())
    if not checks and not searching:
        return False
    stats = table_stats(conn, [c for c, _v in checks])
    if not stats.total:
        return False
    fraction = 1.0
    for column, values in checks:
        fraction *= stats.fraction(column, values)
    if searching:
        expression = _match_expression(query.search)
        if expression:
            hits = conn.execute("SELECT count(*) FROM incident_fts WHERE incident_fts MATCH ?",
                                (expression,)).fetchone()[0]
            fraction = min(fraction, hits / stats.total)
    scan_cost = stats.total * (_COST_ROW_LOOKUP if checks else _COST_INDEX_ENTRY)
    sort_cost = stats.total * fraction * _COST_SORTED_ROW
    return sort_cost < scan_cost


def _match_expression(text: str) -> str:
    return search_service.match_expression(text)


# The keys of the deleted rows, through the partial index ix_incident_deleted_rows. Its WHERE must
# be the index's own condition, word for word ("deleted", not "deleted = 1"): SQLite uses a partial
# index only when the query's WHERE implies the index's, and it does not see that "deleted = 1"
# implies "deleted"; it scanned all million rows (~0.4 s) on every key query instead.
DELETED_KEYS_SQL = "SELECT rowid FROM incident WHERE deleted"


def _keys_from_plan(conn: sqlite3.Connection, p: _Plan) -> np.ndarray:
    # One text value instead of a million 1-tuples: group_concat over the ordered subquery
    # (SQLite keeps the subquery's order) parsed by numpy in C, ~4x faster than fetchall().
    text = conn.execute(f"SELECT group_concat(k) FROM ({p.sql})", p.params).fetchone()[0]
    keys = np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64)
    if p.post_filter_deleted and len(keys):
        deleted = np.array([r[0] for r in conn.execute(DELETED_KEYS_SQL)],
                           dtype=np.int64)
        if len(deleted):
            keys = keys[~np.isin(keys, deleted)]
    return keys


def find_incident_keys(
    conn: sqlite3.Connection, query: IncidentQuery, now: datetime, *, limit: int | None = None,
    fts: bool | None = None,
) -> np.ndarray:
    """The rowids of the incidents ``query`` selects, in its sort order (int64 array).

    Args:
        conn: a raw sqlite3 connection of the store's reader engine.
        now: naive UTC, for the overdue filter.
        limit: at most this many keys; None for all.
        fts: whether ``incident_fts`` exists (looked up when None).
    """
    p = plan(conn, query, now, fts=fts, limit=None if limit is None else limit + 64)
    keys = _keys_from_plan(conn, p)
    return keys if limit is None else keys[:limit]


def count_incidents(conn: sqlite3.Connection, query: IncidentQuery, now: datetime) -> int:
    return len(find_incident_keys(conn, query, now))


def matching_keys(conn: sqlite3.Connection, keys: Iterable[int], query: IncidentQuery, now: datetime) -> set[int]:
    """Which of ``keys`` ``query`` selects (for rows that appear after the last re-query)."""
    keys = [int(k) for k in keys]
    if not keys:
        return set()
    where = build_where(query, now, fts=has_fts(conn), with_deleted=True, townships=_townships(conn, query))
    out: set[int] = set()
    for chunk in _chunks(keys, 500):
        # named and positional parameters cannot mix: inline the keys (they are ints)
        sql = (f"SELECT incident.rowid FROM incident WHERE incident.rowid IN ({', '.join(map(str, chunk))}) "
               f"AND {where.sql()}")
        out.update(r[0] for r in conn.execute(sql, where.params))
    return out


def keys_of_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, int]:
    """Incident id (UUID text) → rowid key, for the ids that exist."""
    out: dict[str, int] = {}
    for chunk in _chunks(list(ids), 500):
        marks = ", ".join("?" * len(chunk))
        out.update(
            (r[1], r[0]) for r in conn.execute(f"SELECT rowid, id FROM incident WHERE id IN ({marks})", chunk)
        )
    return out


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


# ----------------------------------------------------------------------------- rows


_ROW_COLUMNS = (
    "rowid", "id", "number", "title", "category_code", "township_code", "zone_id", "state", "urgency",
    "lead_department_code", "outside_list", "assignee_kind", "assignee_code", "created_at", "ack_due",
    "onsite_due", "close_due", "dispatched_at", "acknowledged_at", "onsite_at", "closed_at",
    "escalation_level", "deleted", "matter_name", "address",
)
_TIME_FIELDS = frozenset(
    ("created_at", "ack_due", "onsite_due", "close_due", "dispatched_at", "acknowledged_at", "onsite_at",
     "closed_at")
)


class IncidentRow:
    """One incident as the table shows it (only the columns the table needs)."""

    __slots__ = (*(c if c != "rowid" else "key" for c in _ROW_COLUMNS), "pos_hint")

    key: int
    id: str
    number: str | None
    title: str
    category_code: str
    township_code: str
    zone_id: str | None
    state: str
    urgency: str
    lead_department_code: str | None
    outside_list: bool
    assignee_kind: str | None
    assignee_code: str | None
    created_at: datetime | None
    ack_due: datetime | None
    onsite_due: datetime | None
    close_due: datetime | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    onsite_at: datetime | None
    closed_at: datetime | None
    escalation_level: str
    deleted: bool
    matter_name: str
    address: str
    pos_hint: int

    def __init__(self, values: Sequence[Any]) -> None:
        for name, value in zip(_ROW_COLUMNS, values, strict=True):
            if name in _TIME_FIELDS:
                value = _parse_time(value)
            elif name in ("outside_list", "deleted"):
                value = bool(value)
            setattr(self, "key" if name == "rowid" else name, value)
        self.pos_hint = -1

    def active_clock(self) -> tuple[str, datetime | None, datetime | None, datetime | None]:
        """The clock the table shows: ``(kind, due, done_at, started)``; kind is ack/onsite/close.

        Of the clocks that run now (the workflow's rule, see
        :func:`commandroom.domain.clocks.running_clocks`) the one due first; for a closed
        incident the close clock with its done time.
        """
        if self.state == IncidentState.CLOSED:
            return "close", self.close_due, self.closed_at or self.created_at, self.created_at
        clocks = running_clocks(self.state, self.acknowledged_at, self.onsite_at, self.ack_due, self.onsite_due,
                                self.close_due)
        if not clocks:
            return "close", None, None, self.created_at
        kind, due = min(clocks, key=lambda kd: kd[1])
        dispatched = self.dispatched_at or self.created_at
        started = {"ack": dispatched, "onsite": self.acknowledged_at or dispatched}.get(kind, self.created_at)
        return kind, due, None, started


def fetch_rows(conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, IncidentRow]:
    """The rows of ``keys`` (missing keys are absent from the result)."""
    out: dict[int, IncidentRow] = {}
    cols = ", ".join(f"incident.{c}" for c in _ROW_COLUMNS)
    for chunk in _chunks([int(k) for k in keys], 500):
        sql = f"SELECT {cols} FROM incident WHERE incident.rowid IN ({', '.join(map(str, chunk))})"
        for values in conn.execute(sql):
            row = IncidentRow(values)
            out[row.key] = row
    return out


# ----------------------------------------------------------------------------- reference names


@dataclass
class RefNames:
    """Display names of the reference codes the table shows (loaded once per store)."""

    townships: dict[str, str] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)
    zone_townships: dict[str, list[str]] = field(default_factory=dict)
    matters: dict[str, str] = field(default_factory=dict)

    def township(self, code: str | None) -> str:
        return self.townships.get(code or "", code or "")

    def department(self, code: str | None) -> str:
        return self.departments.get(code or "", code or "")

    def category(self, code: str | None) -> str:
        return self.categories.get(code or "", code or "")

    def zone(self, code: str | None) -> str:
        return self.zones.get(code or "", code or "")


def load_names(conn: sqlite3.Connection) -> RefNames:
    """Short names of townships, departments, categories, zones and matters."""
    import json

    names = RefNames()
    names.townships = dict(conn.execute("SELECT code, short_name FROM township ORDER BY code"))
    names.departments = dict(conn.execute("SELECT code, short_name FROM department ORDER BY code"))
    names.categories = dict(conn.execute("SELECT code, name FROM event_category ORDER BY code"))
    for zid, name, members in conn.execute("SELECT id, name, member_codes FROM zone ORDER BY id"):
        names.zones[zid] = name
        try:
            names.zone_townships[zid] = list(json.loads(members or "[]"))
        except ValueError:
            names.zone_townships[zid] = []
    # the newest version's name of each matter code
    names.matters = dict(
        conn.execute(
            "SELECT m.code, m.name FROM matter m JOIN matter_list_version v ON v.id = m.version_id "
            "ORDER BY v.version"
        )
    )
    return names


# ----------------------------------------------------------------------------- raw connections


@contextmanager
def raw_reader(store: ReadStore) -> Iterator[sqlite3.Connection]:
    """A raw sqlite3 connection inside a read transaction of ``store``'s reader engine.

    The table's queries run through the DB-API directly: building a million
    SQLAlchemy result rows would cost more than the query itself.
    """
    with store.read() as session:
        connection = session.connection()
        yield connection.connection.driver_connection


__all__ = [
    "COLUMN_KEYS",
    "IncidentQuery",
    "IncidentRow",
    "RefNames",
    "count_incidents",
    "db_time",
    "fetch_rows",
    "find_incident_keys",
    "has_fts",
    "keys_of_ids",
    "load_names",
    "matching_keys",
    "raw_reader",
]


# ----------------------------------------------------------------------------- detail and choices


@dataclass
class TimelineItem:
    at: datetime | None
    actor_name: str
    device_name: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    data: dict[str, Any]
    entered_offline: bool = False  # 离线录入: uploaded well after it was made
    received_at: datetime | None = None  # when the county server received it
    clock_untrusted: bool = False  # the desk's clock was off, or the time had to be bounded


@dataclass
class DispatchItem:
    id: str
    target_kind: str
    target_code: str
    target_name: str
    member_names: list[str]
    lead_member_name: str
    state: str
    note: str
    assigned_at: datetime | None
    acknowledged_at: datetime | None
    on_scene_at: datetime | None
    done_at: datetime | None


@dataclass
class PhotoItem:
    sha256: str
    kind: str  # before / after / report
    thumbnail: bytes | None


@dataclass
class IncidentDetail:
    """Everything the detail panel shows of one incident (a snapshot; no ORM objects)."""

    fields: dict[str, Any]
    township_name: str
    category_name: str
    lead_department_name: str
    assignee_name: str
    zone_name: str
    timeline: list[TimelineItem]
    dispatches: list[DispatchItem]
    photos: list[PhotoItem]
    reports: list[tuple[str, str]]  # (number or id, description)

    @property
    def id(self) -> str:
        return self.fields["id"]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


def incident_detail(store: ReadStore, incident_id: str) -> IncidentDetail | None:
    """Read one incident with its timeline, dispatches and photos (a core read for the reader pool)."""
    from sqlalchemy import select

    from commandroom.domain.models import (
        Department,
        Dispatch,
        EventCategory,
        Incident,
        Photo,
        Report,
        TeamMember,
        TimelineEntry,
        Township,
        Zone,
    )

    with store.read() as session:
        inc = session.get(Incident, incident_id)
        if inc is None:
            return None
        fields = {c.key: getattr(inc, c.key) for c in Incident.__table__.columns}
        township = session.get(Township, inc.township_code)
        category = session.get(EventCategory, inc.category_code)
        lead = session.get(Department, inc.lead_department_code) if inc.lead_department_code else None
        zone = session.get(Zone, inc.zone_id) if inc.zone_id else None
        assignee = ""
        if inc.assignee_kind == "team" and inc.assignee_code:
            z = session.get(Zone, inc.assignee_code)
            assignee = z.name if z else inc.assignee_code
        elif inc.assignee_code:
            d = session.get(Department, inc.assignee_code)
            assignee = d.short_name if d else inc.assignee_code
        timeline = [
            TimelineItem(e.at, e.actor_name, e.device_name, e.action, e.from_state, e.to_state, e.note,
                         dict(e.data or {}), bool(e.entered_offline), e.received_at, bool(e.clock_untrusted))
            for e in session.scalars(
                select(TimelineEntry).where(TimelineEntry.incident_id == incident_id, TimelineEntry.deleted.is_(False))
                .order_by(TimelineEntry.at, TimelineEntry.id))
        ]
        dispatch_rows = list(session.scalars(
            select(Dispatch).where(Dispatch.incident_id == incident_id, Dispatch.deleted.is_(False))
            .order_by(Dispatch.assigned_at, Dispatch.id)))
        member_ids = {m for d in dispatch_rows for m in (d.member_ids or [])}
        members = {}
        if member_ids:
            members = dict(session.execute(select(TeamMember.id, TeamMember.name)
                                           .where(TeamMember.id.in_(sorted(member_ids)))).all())
        dispatches = []
        for d in dispatch_rows:
            if d.target_kind == "team":
                z = session.get(Zone, d.target_code)
                name = z.name if z else d.target_code
            else:
                dep = session.get(Department, d.target_code)
                name = dep.short_name if dep else d.target_code
            dispatches.append(DispatchItem(
                d.id, d.target_kind, d.target_code, name, [members.get(m, m) for m in (d.member_ids or [])],
                members.get(d.lead_member_id or "", ""), d.state, d.note, d.assigned_at, d.acknowledged_at,
                d.on_scene_at, d.done_at))
        reports = [(r.number or r.id[:8], r.description) for r in session.scalars(
            select(Report).where(Report.incident_id == incident_id, Report.deleted.is_(False))
            .order_by(Report.reported_at))]
        report_photos: list[str] = []
        for r in session.scalars(select(Report).where(Report.incident_id == incident_id)):
            report_photos.extend(r.photos or [])
        # a report's photos become the incident's "before" photos on acceptance: show each photo once
        wanted = [("report", h) for h in dict.fromkeys(report_photos)] + [
            ("before", h) for h in (inc.photos_before or []) if h not in report_photos] + [
            ("after", h) for h in (inc.photos_after or [])]
        thumbs = {}
        if wanted:
            thumbs = dict(session.execute(select(Photo.sha256, Photo.thumbnail)
                                          .where(Photo.sha256.in_([h for _k, h in wanted]))).all())
        photos = [PhotoItem(h, kind, thumbs.get(h)) for kind, h in wanted]
        return IncidentDetail(
            fields=fields,
            township_name=township.short_name if township else inc.township_code,
            category_name=category.name if category else inc.category_code,
            lead_department_name=lead.short_name if lead else "",
            assignee_name=assignee,
            zone_name=zone.name if zone else "",
            timeline=timeline,
            dispatches=dispatches,
            photos=photos,
            reports=reports,
        )


@dataclass
class Choice:
    code: str
    name: str


@dataclass
class TeamMemberChoice:
    id: str
    name: str
    origin: str
    status: str
    is_auxiliary: bool
    cert_no: str | None = None
    cert_expiry: date | None = None


@dataclass
class FilterChoices:
    """What the filter bar offers (townships are already limited to the viewer's scope)."""

    townships: list[Choice]
    zones: list[Choice]
    matters: list[Choice]
    departments: list[Choice]


def filter_choices(store: ReadStore, scope: tuple[str, ...] | None) -> FilterChoices:
    """Townships in scope, zones, matters of the newest list version, departments (one small read)."""
    with raw_reader(store) as conn:
        townships = [Choice(c, n) for c, n in conn.execute("SELECT code, name FROM township ORDER BY code")
                     if scope is None or c in scope]
        zones = [Choice(c, n) for c, n in conn.execute("SELECT id, name FROM zone ORDER BY id")]
        matters = [Choice(c, n) for c, n in conn.execute(
            "SELECT m.code, m.name FROM matter m JOIN matter_list_version v ON v.id = m.version_id "
            "WHERE v.version = (SELECT max(version) FROM matter_list_version) ORDER BY m.code")]
        departments = [Choice(c, n) for c, n in conn.execute(
            "SELECT code, short_name FROM department ORDER BY kind, code")]
    return FilterChoices(townships, zones, matters, departments)


@dataclass
class DispatchChoices:
    """What the dispatch dialog offers: departments, zones, and each zone team's members."""

    departments: list[Choice]
    zones: list[Choice]
    members: dict[str, list[TeamMemberChoice]]


def dispatch_choices(store: ReadStore) -> DispatchChoices:
    """Departments, zones and team members (available first) for the dispatch dialog (one small read)."""
    with raw_reader(store) as conn:
        departments = [Choice(c, n) for c, n in conn.execute(
            "SELECT code, short_name FROM department ORDER BY kind, code")]
        zones = [Choice(c, n) for c, n in conn.execute("SELECT id, name FROM zone ORDER BY id")]
        members: dict[str, list[TeamMemberChoice]] = {}
        for zone_id, *rest in conn.execute(
                "SELECT zone_id, id, name, origin, status, is_auxiliary, cert_no, cert_expiry FROM team_member "
                "WHERE deleted = 0 ORDER BY zone_id, CASE status WHEN 'available' THEN 0 WHEN 'en_route' THEN 1 "
                "WHEN 'on_scene' THEN 2 ELSE 3 END, is_auxiliary, name"):
            expiry = rest[6]
            if isinstance(expiry, str):
                expiry = date.fromisoformat(expiry[:10])
            members.setdefault(zone_id, []).append(TeamMemberChoice(rest[0], rest[1], rest[2], rest[3],
                                                                    bool(rest[4]), rest[5] or None, expiry))
    return DispatchChoices(departments, zones, members)




def closure_needs(store: ReadStore, incident_id: str) -> Any:
    """What closing the incident needs and still lacks (:class:`commandroom.services.closure.Requirement`)."""
    from commandroom.domain.models import Incident
    from commandroom.services import closure

    with store.read() as session:
        incident = session.get(Incident, incident_id)
        return None if incident is None else closure.requirement(session, incident)
