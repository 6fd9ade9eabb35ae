"""The server's ordered change log.

Every server write takes the counter-row lock first (:func:`lock_counter`,
``SELECT … FROM srv_sync_counter WHERE id = 1 FOR UPDATE``) and holds it until
commit. On PostgreSQL that serializes writers, so seq order equals commit order
and a puller reading ``seq > cursor`` can never skip a change that commits late
(the juicefs #7521 class of bug); read-modify-write (human serials, the audit
chain) is safe across server processes. On SQLite writers are serialized anyway
(BEGIN IMMEDIATE).

The lock is taken once per transaction: the locked row (read fresh by the
``FOR UPDATE``) stays in ``session.info`` with the transaction or savepoint that
took it. Under the lock the row's values are the truth, so sequence numbers and
human serials are allocated on it in memory and written by the next flush (one
``UPDATE`` of the row, in the same transaction). A savepoint that rolls back
releases a lock taken inside it (PostgreSQL) and expires the row (SQLAlchemy),
so the next writer in that transaction locks and reads it again. On PostgreSQL the
lock statement also reads the audit chain's head (:func:`chain_head`).

A transaction that rolls back as a whole on any failure (the sync push's fast path)
may keep its audit entries, dedup records and new head in memory and write them in
one statement at the end (:func:`start_write_behind`, :func:`flush_write_behind`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, event, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from commandroom.domain.models import (
    REFERENCE_MODELS,
    SYNCED_MODELS,
    Base,
    ChangeLog,
    DeviceCursor,
    SyncCounter,
    Township,
    row_to_dict,
)
from commandroom.ids import human_number, new_id
from commandroom.mutations.core import primary_key_of
from commandroom.queries.scope import DepartmentLinks, department_links
from commandroom.sync.buckets import (
    DEPARTMENT_PREFIX,
    all_buckets_of,
    buckets_for_values,
    buckets_of,
    department_bucket,
    department_buckets,
)
from commandroom.sync.buckets import _RowValues as row_values  # the row's columns as a mapping, read lazily
from commandroom.timeutil import utcnow

NUMBER_KINDS = {"incident": "", "report": "R", "case": "J"}


def counter(session: Session) -> SyncCounter:
    """The single counter row, created on first use."""
    row = session.get(SyncCounter, 1)
    if row is None:
        row = SyncCounter(id=1, head=0, epoch=new_id(), human_serials={})
        session.add(row)
        session.flush()
    return row


_HELD = "commandroom.counter_lock"


@dataclass(eq=False)
class _Held:
    """The counter row locked by this session's transaction, and what is known under the lock."""

    owner: SessionTransaction  # the (nested) transaction that took the lock
    row: SyncCounter
    chain_owner: SessionTransaction | None = None  # the transaction that wrote ``chain_head``
    chain_head: tuple[int, str] | None = None  # the audit chain's last (id, hash)


def _innermost(session: Session) -> SessionTransaction:
    tx = session.get_nested_transaction() or session.get_transaction()
    assert tx is not None
    return tx


def _held(session: Session) -> _Held | None:
    held = session.info.get(_HELD)
    # a closed owner: the transaction ended, or the savepoint that took the lock rolled back (and released it)
    return held if held is not None and held.owner.is_active else None


@event.listens_for(Session, "after_commit")
def _savepoint_released(session: Session) -> None:
    """A released savepoint hands its row locks (and what it wrote) to the enclosing transaction."""
    held = session.info.get(_HELD)
    if held is None:
        return
    nested = session.get_nested_transaction()  # the savepoint being released; None for the real commit
    if nested is None:
        session.info.pop(_HELD, None)
        return
    if held.owner is nested and nested.parent is not None:
        held.owner = nested.parent
    if held.chain_owner is nested:
        held.chain_owner = nested.parent


# PostgreSQL: the lock and the audit chain's head in one round trip. Two statements sent together
# (simple query protocol), so the second one reads with a snapshot taken after the lock was granted:
# it sees the entry of the writer that held the lock before us.
_LOCK_SQL = ("SELECT head, epoch, restored_head, human_serials FROM srv_sync_counter WHERE id = 1 FOR UPDATE; "
             "SELECT id, hash FROM srv_audit ORDER BY id DESC LIMIT 1")
_EMPTY_CHAIN = (0, "0" * 64)  # the audit chain before its first entry (audit.GENESIS)


def lock_counter(session: Session) -> SyncCounter:
    """Take the counter-row lock for the rest of this transaction and return the row, read fresh.

    Idempotent: a transaction that already holds the lock gets the row without a statement.
    """
    held = _held(session)
    if held is not None:
        return held.row
    if session.get_bind().dialect.name == "sqlite":
        q = select(SyncCounter).where(SyncCounter.id == 1).execution_options(populate_existing=True)
        row = session.scalars(q).first()
        chain = None
    else:
        session.flush()  # as a query would (autoflush): nothing pending is overwritten by the fresh values
        result = session.connection().exec_driver_sql(_LOCK_SQL)
        cur = result.cursor
        if cur is None:  # not reached: the statement returns rows
            raise RuntimeError("the counter lock returned no cursor")
        found = cur.fetchone()
        last = cur.fetchone() if cur.nextset() else None
        result.close()
        row = None if found is None else _attach_counter(session, *found)
        chain = (int(last[0]), last[1]) if last is not None else _EMPTY_CHAIN
    if row is None:
        row = counter(session)  # the new row is this transaction's until it commits
    held = session.info[_HELD] = _Held(owner=_innermost(session), row=row)
    if chain is not None:
        held.chain_owner, held.chain_head = held.owner, chain
    return row


def _attach_counter(session: Session, head: int, epoch: str, restored_head: int | None,
                    human_serials: dict[str, Any] | None) -> SyncCounter:
    """The session's counter row carrying these freshly read values (loaded state, nothing to flush)."""
    values = {"head": head, "epoch": epoch, "restored_head": restored_head, "human_serials": human_serials}
    row = session.identity_map.get(Session.identity_key(SyncCounter, 1))
    if row is None:
        row = SyncCounter(id=1, **values)
        make_transient_to_detached(row)
        session.add(row)
    else:
        for key, value in values.items():
            set_committed_value(row, key, value)
    return row


def held_counter(session: Session) -> SyncCounter | None:
    """The counter row if this transaction holds its lock (its values are current), else None."""
    held = _held(session)
    return held.row if held is not None else None


def holds_lock(session: Session) -> bool:
    return _held(session) is not None


def chain_head(session: Session) -> tuple[int, str] | None:
    """The audit chain's last ``(id, hash)``, ``(0, GENESIS)`` when empty, if known under the lock (else None).

    Known when this transaction read it with the lock (PostgreSQL) or appended it, in a transaction or
    savepoint that is still active.
    """
    held = _held(session)
    if held is None or held.chain_owner is None or not held.chain_owner.is_active:
        return None
    return held.chain_head


def remember_chain_head(session: Session, entry_id: int, entry_hash: str) -> None:
    """Record the entry just appended (the caller holds the lock)."""
    held = _held(session)
    if held is not None:
        held.chain_owner, held.chain_head = _innermost(session), (entry_id, entry_hash)


def current_epoch(session: Session) -> str:
    return counter(session).epoch


def allocate_seqs(session: Session, n: int) -> range:
    """Reserve ``n`` consecutive sequence numbers in this transaction (locks the counter row).

    The new head is written by the next flush of the session, or with the transaction's
    write-behind rows (:func:`start_write_behind`).
    """
    row = lock_counter(session)
    wb = write_behind(session)
    start = int(row.head or 0) if wb is None or wb.head is None else wb.head
    if wb is None:
        row.head = start + n
    else:
        wb.head = start + n
        set_committed_value(row, "head", wb.head)  # current for readers; nothing for the ORM to flush
    return range(start + 1, start + n + 1)


# -- write-behind: bookkeeping rows written in one statement at the end of the transaction

_WRITE_BEHIND = "commandroom.write_behind"
_MAX_PARAMS = 30000  # bound parameters per statement (PostgreSQL's limit is 65,535)


@dataclass(eq=False)
class WriteBehind:
    """Rows that only this transaction reads back, written together by :func:`flush_write_behind`.

    Only for a transaction that rolls back as a whole on any failure (no savepoints): the sync
    push's fast path. The counter's new head is one of them.
    """

    rows: dict[Any, list[dict[str, Any]]]  # table → rows to insert, in order
    head: int | None = None
    # the push's device cursors, (device_id, incarnation) → {last_local_seq, last_seen, user_id}
    cursors: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def start_write_behind(session: Session) -> WriteBehind:
    wb = session.info[_WRITE_BEHIND] = WriteBehind(rows={})
    return wb


def write_behind(session: Session) -> WriteBehind | None:
    return session.info.get(_WRITE_BEHIND)


def flush_write_behind(session: Session, notify: tuple[str, str] | None = None) -> None:
    """Write the transaction's write-behind rows and head (and, on PostgreSQL, ``pg_notify``) at once.

    PostgreSQL: one statement, ``WITH … INSERT … SELECT * FROM unnest(…), … UPDATE srv_sync_counter …
    SELECT pg_notify(…)``, whose text depends only on which tables have rows (built once, not compiled per push).
    """
    wb = session.info.pop(_WRITE_BEHIND, None)
    if wb is None:
        return
    head = None
    if wb.head is not None:
        head = update(SyncCounter.__table__).where(SyncCounter.__table__.c.id == 1).values(head=wb.head)
    if session.get_bind().dialect.name == "sqlite":  # no round trips to save; executemany stays under its
        for table, rows in wb.rows.items():        # bound-parameter limit
            if rows:
                session.execute(table.insert(), rows)
        if head is not None:
            session.execute(head)
        _update_cursors(session, wb)
        return
    if any(_keys_differ(rows) for rows in wb.rows.values()):  # not reached: each writer builds its rows alike
        _flush_compiled(session, wb, head, notify)
        return
    sql, params = _write_behind_sql(session.get_bind().dialect, wb, notify)
    if sql is not None:
        session.connection().exec_driver_sql(sql, params)


def _update_cursors(session: Session, wb: WriteBehind) -> None:
    for (device_id, incarnation), values in wb.cursors.items():
        session.execute(update(DeviceCursor).where(DeviceCursor.device_id == device_id,
                                                   DeviceCursor.incarnation == incarnation).values(**values))


def _keys_differ(rows: list[dict[str, Any]]) -> bool:
    keys = rows[0].keys() if rows else ()
    return any(r.keys() != keys for r in rows)


def _flush_compiled(session: Session, wb: WriteBehind, head: Any, notify: tuple[str, str] | None) -> None:
    """The write-behind rows as SQLAlchemy multi-row INSERTs (compiled per call: rows of differing keys)."""
    _update_cursors(session, wb)
    dml: list[tuple[Any, int]] = []  # (statement, its bound parameters)
    for table, rows in wb.rows.items():
        per = max(1, _MAX_PARAMS // max(1, len(table.c)))
        dml.extend((table.insert().values(rows[i:i + per]), len(rows[i:i + per]) * len(rows[0]))
                   for i in range(0, len(rows), per))
    if head is not None:
        dml.append((head, 1))
    while len(dml) > 1 and sum(n for _, n in dml) > _MAX_PARAMS:  # a huge batch: its first parts on their own
        session.execute(dml.pop(0)[0])
    if not dml and notify is None:
        return
    tail = select(func.pg_notify(*notify)) if notify is not None else select(literal(1))
    session.execute(tail.add_cte(*(stmt.cte(f"w{i}") for i, (stmt, _) in enumerate(dml))))


@dataclass(frozen=True)
class _ArrayInsert:
    """``INSERT INTO t (cols) SELECT * FROM unnest(%(p0)s::TYPE[], …)`` for one table: one parameter per
    column whatever the number of rows, so the statement's text is the same for every push (no compiling
    per push, and PostgreSQL may keep it prepared)."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[Any, ...]  # the column type's bind processor (JSON → its text), as SQLAlchemy's own


_ARRAY_INSERTS: dict[tuple[Any, Any, str, tuple[str, ...]], _ArrayInsert] = {}


def _array_insert(dialect: Any, table: Any, prefix: str, columns: tuple[str, ...]) -> _ArrayInsert:
    key = (dialect, table, prefix, columns)  # the dialect holds the engine's JSON serializer
    found = _ARRAY_INSERTS.get(key)
    if found is not None:
        return found
    casts, processors = [], []
    for i, name in enumerate(columns):
        col = table.c[name]
        # no length in the cast: the INSERT checks it (a cast would truncate); binary: no escaping of each text
        type_name = dialect.type_compiler_instance.process(col.type).split("(")[0]
        casts.append(f"%({prefix}_{i})b::{type_name}[]")
        processors.append(col.type.dialect_impl(dialect).bind_processor(dialect))
    quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in columns)
    # names from the table's own metadata, values only as parameters
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({quoted}) "  # noqa: S608
           f"SELECT * FROM unnest({', '.join(casts)})")
    found = _ARRAY_INSERTS[key] = _ArrayInsert(sql, columns, tuple(processors))
    return found


_CURSORS_SQL = (
    "wc AS (UPDATE srv_device_cursor SET last_local_seq = v.l, last_seen = v.s, user_id = v.u "
    "FROM unnest(%(cd)b::VARCHAR[], %(ci)b::VARCHAR[], %(cl)b::BIGINT[], %(cs)b::TIMESTAMP WITHOUT TIME ZONE[], "
    "%(cu)b::VARCHAR[]) AS v(d, i, l, s, u) "
    "WHERE srv_device_cursor.device_id = v.d AND srv_device_cursor.incarnation = v.i)")


def _write_behind_sql(dialect: Any, wb: WriteBehind, notify: tuple[str, str] | None) -> tuple[str | None, dict]:
    """One statement: each table's rows as column arrays, the counter's head, and the NOTIFY (PostgreSQL)."""
    ctes: list[str] = []
    params: dict[str, Any] = {}
    for table, rows in wb.rows.items():
        if not rows:
            continue
        prefix = f"w{len(ctes)}"
        ins = _array_insert(dialect, table, prefix, tuple(rows[0]))
        for i, (name, process) in enumerate(zip(ins.columns, ins.processors, strict=True)):
            values = [r[name] for r in rows]
            params[f"{prefix}_{i}"] = [process(v) for v in values] if process is not None else values
        ctes.append(f"{prefix} AS ({ins.sql})")
    if wb.head is not None:
        ctes.append("wh AS (UPDATE srv_sync_counter SET head = %(head)s::BIGINT WHERE srv_sync_counter.id = 1)")
        params["head"] = wb.head
    if wb.cursors:
        ctes.append(_CURSORS_SQL)
        keys, values = list(wb.cursors), list(wb.cursors.values())
        params.update(cd=[k[0] for k in keys], ci=[k[1] for k in keys], cl=[v["last_local_seq"] for v in values],
                      cs=[v["last_seen"] for v in values], cu=[v["user_id"] for v in values])
    if not ctes and notify is None:
        return None, params
    tail = "SELECT pg_notify(%(channel)s, %(payload)s)" if notify is not None else "SELECT 1"
    if notify is not None:
        params["channel"], params["payload"] = notify
    return (f"WITH {', '.join(ctes)} {tail}" if ctes else tail), params


def allocate_number(session: Session, obj: Base, kind: str) -> str:
    """Next human number for ``kind`` in the row's township and year, e.g. ``QC-2026-000123``."""
    township = session.get(Township, getattr(obj, "township_code", None))
    prefix = township.number_prefix if township else "CS"
    letter = NUMBER_KINDS.get(kind, kind[:1].upper())
    full_prefix = f"{prefix}-{letter}" if letter else prefix
    year = (getattr(obj, "created_at", None) or utcnow()).year
    key = f"{full_prefix}:{year}"
    # under the counter lock the row's serials are current, so two writers never share a number
    row = lock_counter(session)
    serials = dict(row.human_serials or {})
    serial = int(serials.get(key, 0)) + 1
    serials[key] = serial
    row.human_serials = serials
    return human_number(full_prefix, year, serial)


SYSTEM_FIELDS = {"row_version", "field_versions", "field_writers", "updated_at", "created_at", "search_text"}


def field_writer(row: Base, name: str) -> str | None:
    """The user who wrote the current version of ``row.name`` (None: not known, e.g. seeded)."""
    writers = getattr(row, "field_writers", None) or {}
    return writers.get(name, writers.get(""))


def log_rows(
    session: Session,
    rows: Sequence[Base],
    *,
    changed_fields: dict[int, Iterable[str] | None] | None = None,
    origin_device: str | None = None,
    origin_mutation: str | None = None,
    origin_user: str | None = None,
    op: str = "upsert",
    before: dict[int, dict[str, Any] | None] | None = None,
    logged_fields: dict[int, dict[str, Any]] | None = None,
) -> list[int]:
    """Append one change per row, stamping ``row_version`` and per-field versions on synced rows.

    Args:
        rows: rows written in this transaction, flushed or pending (the flush here writes them with their
            stamps: one statement per row, not an INSERT and then an UPDATE of its versions).
        changed_fields: per ``id(row)``, the fields that changed (None: all — a new row).
        origin_user: the person whose change this is, kept per field in ``field_writers``.
        before: per ``id(row)``, the row as it was (None: new). A row that left a bucket (a team
            member moved to another zone) gets a ``remove`` change there, so the desks reading only
            the old bucket drop it instead of keeping a stale copy.
        logged_fields: filled, per ``id(row)``, with the row's values as logged (the audit entry's "after"
            is the same dict: not built twice while the counter lock is held). Not to be changed.
    Returns each row's new version (its last seq), in row order. A row replicated in two
    buckets (a member loan) gets one change per bucket.
    """
    if not rows:
        return []
    if _links_settled(session):  # the department lookup need not flush: the rows are written once, stamped
        with session.no_autoflush:
            buckets = _buckets_of_rows(session, list(rows), before or {})
    else:
        session.info.pop(_LINKS, None)
        buckets = all_buckets_of(session, list(rows))
    plan = list(zip(rows, buckets, strict=True))
    joined = _joined_department_rows(session, plan) if _may_join_department(plan, before or {}) else []
    left = [_buckets_left(row, buckets, (before or {}).get(id(row))) for row, buckets in plan]
    # a row's removes take the lower seqs: a desk reading both buckets sees the upsert last and keeps the row
    all_seqs = iter(allocate_seqs(session, sum(len(b) + len(g) for (_, b), g in zip(plan, left, strict=True))
                                  + len(joined)))
    left_seqs = [[next(all_seqs) for _ in gone] for gone in left]
    joined_seqs = [next(all_seqs) for _ in joined]
    row_seqs = [[next(all_seqs) for _ in buckets] for _, buckets in plan]
    now = utcnow()
    for (row, _buckets), seqs in zip(plan, row_seqs, strict=True):
        seq = seqs[-1]
        if hasattr(row, "row_version"):
            fields = None if changed_fields is None else changed_fields.get(id(row))
            versions = dict(row.field_versions or {})
            names = [c.key for c in row.__table__.columns] if fields is None else list(fields)
            writers = {} if fields is None else dict(row.field_writers or {})
            for name in names:
                if name not in SYSTEM_FIELDS:
                    versions[name] = seq
                    writers.pop(name, None)
            if fields is None:
                if origin_user:
                    writers[""] = origin_user
            else:
                for name in names:
                    if name not in SYSTEM_FIELDS and writers.get("") != origin_user:
                        writers[name] = origin_user
            row.field_versions = versions
            row.field_writers = writers
            row.row_version = seq
    session.flush()
    entries = []
    for (row, buckets), seqs in zip(plan, row_seqs, strict=True):
        fields_json = row_to_dict(row)
        if logged_fields is not None:
            logged_fields[id(row)] = fields_json
        for bucket, seq in zip(buckets, seqs, strict=True):
            entries.append(
                {
                    "seq": seq,
                    "bucket": bucket,
                    "entity_type": row.__tablename__,
                    "entity_id": primary_key_of(row),
                    "op": "delete" if getattr(row, "deleted", False) else op,
                    "row_version": getattr(row, "row_version", seq),
                    "fields": fields_json,
                    "origin_device": origin_device,
                    "origin_mutation": origin_mutation,
                    "server_ts": now,
                }
            )
    for (row, _buckets), gone, seqs, kept in zip(plan, left, left_seqs, row_seqs, strict=True):
        for bucket, seq in zip(gone, seqs, strict=True):
            entries.append({
                "seq": seq, "bucket": bucket, "entity_type": row.__tablename__, "entity_id": primary_key_of(row),
                "op": "remove", "row_version": getattr(row, "row_version", kept[-1]), "fields": None,
                "origin_device": origin_device, "origin_mutation": origin_mutation, "server_ts": now,
            })
    for (bucket, child), seq in zip(joined, joined_seqs, strict=True):
        # a department that joins a matter gets its history so far (the rows this write did not touch)
        entries.append({
            "seq": seq, "bucket": bucket, "entity_type": child.__tablename__, "entity_id": primary_key_of(child),
            "op": "delete" if getattr(child, "deleted", False) else "upsert",
            "row_version": getattr(child, "row_version", seq), "fields": row_to_dict(child),
            "origin_device": origin_device, "origin_mutation": origin_mutation, "server_ts": now,
        })
    wb = write_behind(session)
    if wb is not None:  # with the transaction's other bookkeeping rows, in one statement at the end
        wb.rows.setdefault(ChangeLog.__table__, []).extend(entries)
    else:
        session.execute(insert(ChangeLog), entries)
    # remember the buckets and newest seqs of this transaction: the commit hook pokes their readers
    heads = session.info.setdefault("logged_heads", {})
    for e in entries:
        if e["seq"] > heads.get(e["bucket"], 0):
            heads[e["bucket"]] = e["seq"]
    return [seqs[-1] for seqs in row_seqs]


_LINK_TABLES = {"dispatch", "case_checkin", "one_thing_case"}
_INCIDENT_LINKS = ("lead_department_code", "assignee_kind", "assignee_code")
_LINKS = "commandroom.department_links"


@event.listens_for(Session, "after_soft_rollback")
def _forget_links_on_rollback(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(_LINKS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_links(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LINKS, None)


def _moves_links(row: Base, before: dict[str, Any] | None) -> bool:
    """Can writing this row change which departments an incident or case belongs to?"""
    table = row.__tablename__
    if table in _LINK_TABLES:
        return True
    return table == "incident" and (before is None or any(
        k in before and before[k] != getattr(row, k) for k in _INCIDENT_LINKS))


def _buckets_of_rows(session: Session, rows: list[Base], before: dict[int, dict[str, Any] | None]) -> list[list[str]]:
    """:func:`all_buckets_of`, with the incidents' and cases' departments read once per transaction.

    A batch of notes on one incident asked for that incident's departments once per note. What was read
    stays true under the counter lock until this transaction writes an incident's lead or assignee, a
    dispatch, a summons or a one-thing case: logging such a row forgets what was read (and a rollback does).
    """
    if any(_moves_links(row, before.get(id(row))) for row in rows):
        session.info.pop(_LINKS, None)
        return all_buckets_of(session, rows)
    known: tuple[dict[str, set[str]], dict[str, set[str]]] = session.info.setdefault(_LINKS, ({}, {}))
    items = [(row.__tablename__, row_values(row)) for row in rows]
    incidents, cases = DepartmentLinks.ids_of(items)
    incidents = {i for i in incidents if i and i not in known[0]}
    cases = {c for c in cases if c and c not in known[1]}
    if incidents or cases:
        by_incident, by_case = department_links(session, incidents, cases)
        for i in incidents:
            known[0][i] = by_incident.get(i, set())
        for c in cases:
            known[1][c] = by_case.get(c, set())
    links = DepartmentLinks(known[0], known[1])
    return [buckets_of(row) + [department_bucket(c) for c in sorted(links.of(table, values))]
            for row, (table, values) in zip(rows, items, strict=True)]


def _links_settled(session: Session) -> bool:
    """Does the database already hold every value the department lookup reads (nothing pending can change it)?

    The lookup reads incidents' lead and assignee, dispatches, summonses and one-thing cases. When none of
    those is new, deleted or changed in those columns, an autoflush before it would only write the rows
    twice (once plain, then again with their version stamps).
    """
    if session.deleted:
        return False
    for obj in session.new:
        if obj.__tablename__ in _LINK_TABLES or obj.__tablename__ == "incident":
            return False
    for obj in session.dirty:
        table = obj.__tablename__
        if table in _LINK_TABLES:
            return False
        if table == "incident":
            state = inspect(obj)
            if any(state.attrs[k].history.has_changes() for k in _INCIDENT_LINKS):
                return False
    return True


def _may_join_department(plan: list[tuple[Base, list[str]]], before: dict[int, dict[str, Any] | None]) -> bool:
    """Can this write bring a record into a department's bucket? (A new department dispatch, summons or case,
    or an incident whose lead or assignee changed.) Most writes cannot: they skip the change-log lookup."""
    for row, _buckets in plan:
        table = row.__tablename__
        old = before.get(id(row))
        if table in ("dispatch", "case_checkin") and old is None and getattr(row, "target_kind", "") == "department":
            return True
        if table == "one_thing_case" and old is None:
            return True
        if table == "incident" and (old is None or any(
                k in old and old[k] != getattr(row, k) for k in ("lead_department_code", "assignee_code"))):
            return True
    return False


def _joined_department_rows(session: Session, plan: list[tuple[Base, list[str]]]) -> list[tuple[str, Base]]:
    """(bucket, row) for an incident or case, and its earlier rows, that this write brings into a department's
    bucket for the first time (dispatched or summoned to it): the department's desk needs the whole record."""
    from commandroom.domain.models import Incident, OneThingCase

    heads: dict[tuple[str, str], Base] = {}
    for row, buckets in plan:
        if not any(b.startswith(DEPARTMENT_PREFIX) for b in buckets):
            continue
        table = row.__tablename__
        if table in ("incident", "one_thing_case"):
            heads[(table, primary_key_of(row))] = row
        for model, key in ((Incident, "incident_id"), (OneThingCase, "case_id")):
            parent_id = getattr(row, key, None)
            if parent_id and (model.__tablename__, parent_id) not in heads:
                parent = session.get(model, parent_id)
                if parent is not None:
                    heads[(model.__tablename__, parent_id)] = parent
    if not heads:
        return []
    rows = list(heads.values())
    dept = department_buckets(session, rows)
    wanted = sorted({b for d in dept for b in d})
    if not wanted:
        return []
    found = session.execute(select(ChangeLog.bucket, ChangeLog.entity_type, ChangeLog.entity_id).where(
        ChangeLog.bucket.in_(wanted), ChangeLog.entity_type.in_(["incident", "one_thing_case"]),
        ChangeLog.entity_id.in_(sorted({primary_key_of(r) for r in rows}))))
    logged = {(b, t, i) for b, t, i in found}
    wb = write_behind(session)
    if wb is not None:  # this push's earlier mutations: their entries are written at its end
        logged |= {(e["bucket"], e["entity_type"], e["entity_id"]) for e in wb.rows.get(ChangeLog.__table__, [])}
    in_plan = {(row.__tablename__, primary_key_of(row)): buckets for row, buckets in plan}
    out: list[tuple[str, Base]] = []
    seen: set[tuple[str, str, str]] = set()
    for head, buckets in zip(rows, dept, strict=True):
        new = [b for b in buckets if (b, head.__tablename__, primary_key_of(head)) not in logged]
        for child in ([head, *_children(session, head)] if new else []):
            key = (child.__tablename__, primary_key_of(child))
            for b in new:
                if b in in_plan.get(key, ()) or (b, *key) in seen:
                    continue  # this write logs it there already
                seen.add((b, *key))
                out.append((b, child))
    return out


def _children(session: Session, head: Base) -> list[Base]:
    """The rows hanging off an incident (timeline, dispatches, reports, summonses, its cases) or a case."""
    from commandroom.domain.models import CaseCheckin, CaseStep, Dispatch, OneThingCase, Report, TimelineEntry

    if head.__tablename__ == "one_thing_case":
        return [*session.scalars(select(CaseStep).where(CaseStep.case_id == primary_key_of(head))),
                *session.scalars(select(CaseCheckin).where(CaseCheckin.case_id == primary_key_of(head)))]
    out: list[Base] = []
    for model in (TimelineEntry, Dispatch, Report, CaseCheckin):
        out += session.scalars(select(model).where(model.incident_id == primary_key_of(head)))
    for case in session.scalars(select(OneThingCase).where(OneThingCase.incident_id == primary_key_of(head))):
        out += [case, *_children(session, case)]
    return out


def _buckets_left(row: Base, buckets: list[str], before: dict[str, Any] | None) -> list[str]:
    """Buckets the row was replicated in before this write and is not any more."""
    if before is None:
        return []
    try:
        old = buckets_for_values(row.__tablename__, before)
    except KeyError:  # a partial snapshot: the bucket columns did not change
        return []
    return [b for b in old if b not in buckets]


def backfill(session: Session, *, batch: int = 5000) -> int:
    """Log every reference and operational row that has no change yet (after a seed or import).

    Bulk path: rows are read as plain mappings and stamped with one executemany UPDATE
    per batch, so a 30-day demo seed (~80k rows) takes seconds, not minutes.
    """
    logged = {(t, i) for t, i in session.execute(select(ChangeLog.entity_type, ChangeLog.entity_id))}
    session.flush()
    links = DepartmentLinks.everything(session)
    total = 0
    now = utcnow()
    for model in list(REFERENCE_MODELS.values()) + list(SYNCED_MODELS.values()):
        table = model.__table__
        pk_cols = [c.key for c in table.primary_key.columns]
        pending: list[dict[str, Any]] = []
        for item in session.execute(select(table)).mappings().yield_per(batch):
            if (table.name, "|".join(str(item[k]) for k in pk_cols)) in logged:
                continue
            pending.append(dict(item))
            if len(pending) >= batch:
                total += _backfill_batch(session, model, pending, now, links)
                pending = []
        if pending:
            total += _backfill_batch(session, model, pending, now, links)
    session.expire_all()
    return total


def _backfill_batch(session: Session, model: type[Base], items: list[dict[str, Any]], now: datetime,
                    links: DepartmentLinks) -> int:
    table = model.__table__
    pk_cols = [c.key for c in table.primary_key.columns]
    synced = "row_version" in table.c
    name = model.__tablename__
    plan = [buckets_for_values(name, item) + [department_bucket(c) for c in sorted(links.of(name, item))]
            for item in items]
    seqs_iter = iter(allocate_seqs(session, sum(len(b) for b in plan)))
    stamped_fields = [c.key for c in table.columns if c.key not in SYSTEM_FIELDS]
    entries, updates = [], []
    for item, buckets in zip(items, plan, strict=True):
        seqs = [next(seqs_iter) for _ in buckets]
        version = seqs[-1]
        if synced:
            item["row_version"] = version
            item["field_versions"] = dict.fromkeys(stamped_fields, version)
            # updated_at as it is: otherwise the UPDATE's onupdate re-stamps the row and its change-log copy
            # below (and every desk) keeps the old value
            updates.append({"_pk": item["id"], "row_version": version, "field_versions": item["field_versions"],
                            "keep_updated_at": item["updated_at"]})
        fields = {k: (v.isoformat() if isinstance(v, datetime | date) else v)
                  for k, v in item.items() if not isinstance(v, bytes)}
        entity_id = "|".join(str(item[k]) for k in pk_cols)
        for bucket, seq in zip(buckets, seqs, strict=True):
            entries.append({
                "seq": seq, "bucket": bucket, "entity_type": table.name, "entity_id": entity_id,
                "op": "delete" if item.get("deleted") else "upsert",
                "row_version": item.get("row_version", seq), "fields": fields,
                "origin_device": None, "origin_mutation": None, "server_ts": now,
            })
    if updates:
        session.connection().execute(
            table.update().where(table.c.id == bindparam("_pk")).values(
                row_version=bindparam("row_version"), field_versions=bindparam("field_versions"),
                updated_at=bindparam("keep_updated_at")),
            updates,
        )
    session.execute(insert(ChangeLog), entries)
    session.flush()  # the counter's new head
    return len(items)


def head(session: Session) -> int:
    return counter(session).head


def snapshot(row: Base, olds: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row as it was before a mutation (None if it is new)."""
    if olds is None:
        return None
    before = row_to_dict(row)
    for key, value in olds.items():
        before[key] = value.isoformat() if isinstance(value, datetime | date) else value
    return before
