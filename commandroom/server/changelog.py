"""The server's ordered change log.

Sequence numbers are allocated with ``UPDATE srv_sync_counter SET head = head + n
RETURNING head`` inside the writing transaction. On PostgreSQL the row lock
serializes writers until commit, so seq order equals commit order and a puller
reading ``seq > cursor`` can never skip a change that commits late (the juicefs
#7521 class of bug). On SQLite writers are serialized anyway (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from commandroom.domain.models import (
    REFERENCE_MODELS,
    SYNCED_MODELS,
    Base,
    ChangeLog,
    SyncCounter,
    Township,
    row_to_dict,
)
from commandroom.ids import human_number, new_id
from commandroom.mutations.core import primary_key_of
from commandroom.sync.buckets import buckets_for_values, buckets_of
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


def lock_counter(session: Session) -> None:
    """Take the counter-row lock for the rest of this transaction (a no-op where writers are serial)."""
    counter(session)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(SyncCounter.id).where(SyncCounter.id == 1).with_for_update())


def current_epoch(session: Session) -> str:
    return counter(session).epoch


def allocate_seqs(session: Session, n: int) -> range:
    """Reserve ``n`` consecutive sequence numbers in this transaction (locks the counter row)."""
    counter(session)
    head = session.execute(
        update(SyncCounter).where(SyncCounter.id == 1).values(head=SyncCounter.head + n).returning(SyncCounter.head)
    ).scalar_one()
    return range(head - n + 1, head + 1)


def allocate_number(session: Session, obj: Base, kind: str) -> str:
    """Next human number for ``kind`` in the row's township and year, e.g. ``QC-2026-000123``."""
    township = session.get(Township, getattr(obj, "township_code", None))
    prefix = township.number_prefix if township else "CS"
    letter = NUMBER_KINDS.get(kind, kind[:1].upper())
    full_prefix = f"{prefix}-{letter}" if letter else prefix
    year = (getattr(obj, "created_at", None) or utcnow()).year
    key = f"{full_prefix}:{year}"
    row = counter(session)
    # lock the counter row before reading the serials (PostgreSQL), so two writers never share a number
    session.execute(update(SyncCounter).where(SyncCounter.id == 1).values(head=SyncCounter.head))
    session.refresh(row, ["human_serials"])
    serials = dict(row.human_serials or {})
    serial = int(serials.get(key, 0)) + 1
    serials[key] = serial
    row.human_serials = serials
    return human_number(full_prefix, year, serial)


SYSTEM_FIELDS = {"row_version", "field_versions", "updated_at", "created_at", "search_text"}


def log_rows(
    session: Session,
    rows: Sequence[Base],
    *,
    changed_fields: dict[int, Iterable[str] | None] | None = None,
    origin_device: str | None = None,
    origin_mutation: str | None = None,
    op: str = "upsert",
    before: dict[int, dict[str, Any] | None] | None = None,
) -> list[int]:
    """Append one change per row, stamping ``row_version`` and per-field versions on synced rows.

    Args:
        rows: rows written in this transaction (already flushed).
        changed_fields: per ``id(row)``, the fields that changed (None: all — a new row).
        before: per ``id(row)``, the row as it was (None: new). A row that left a bucket (a team
            member moved to another zone) gets a ``remove`` change there, so the desks reading only
            the old bucket drop it instead of keeping a stale copy.
    Returns each row's new version (its last seq), in row order. A row replicated in two
    buckets (a member loan) gets one change per bucket.
    """
    if not rows:
        return []
    plan = [(row, buckets_of(row)) for row in rows]
    left = [_buckets_left(row, buckets, (before or {}).get(id(row))) for row, buckets in plan]
    # a row's removes take the lower seqs: a desk reading both buckets sees the upsert last and keeps the row
    all_seqs = iter(allocate_seqs(session, sum(len(b) + len(g) for (_, b), g in zip(plan, left, strict=True))))
    left_seqs = [[next(all_seqs) for _ in gone] for gone in left]
    row_seqs = [[next(all_seqs) for _ in buckets] for _, buckets in plan]
    now = utcnow()
    for (row, _buckets), seqs in zip(plan, row_seqs, strict=True):
        seq = seqs[-1]
        if hasattr(row, "row_version"):
            fields = None if changed_fields is None else changed_fields.get(id(row))
            versions = dict(row.field_versions or {})
            names = [c.key for c in row.__table__.columns] if fields is None else list(fields)
            for name in names:
                if name not in SYSTEM_FIELDS:
                    versions[name] = seq
            row.field_versions = versions
            row.row_version = seq
    session.flush()
    entries = []
    for (row, buckets), seqs in zip(plan, row_seqs, strict=True):
        fields_json = row_to_dict(row)
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
    session.execute(insert(ChangeLog), entries)
    # remember the buckets and newest seqs of this transaction: the commit hook pokes their readers
    heads = session.info.setdefault("logged_heads", {})
    for e in entries:
        if e["seq"] > heads.get(e["bucket"], 0):
            heads[e["bucket"]] = e["seq"]
    return [seqs[-1] for seqs in row_seqs]


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
                total += _backfill_batch(session, model, pending, now)
                pending = []
        if pending:
            total += _backfill_batch(session, model, pending, now)
    session.expire_all()
    return total


def _backfill_batch(session: Session, model: type[Base], items: list[dict[str, Any]], now: datetime) -> int:
    table = model.__table__
    pk_cols = [c.key for c in table.primary_key.columns]
    synced = "row_version" in table.c
    plan = [buckets_for_values(table.name, item) for item in items]
    seqs_iter = iter(allocate_seqs(session, sum(len(b) for b in plan)))
    stamped_fields = [c.key for c in table.columns if c.key not in SYSTEM_FIELDS]
    entries, updates = [], []
    for item, buckets in zip(items, plan, strict=True):
        seqs = [next(seqs_iter) for _ in buckets]
        version = seqs[-1]
        if synced:
            item["row_version"] = version
            item["field_versions"] = dict.fromkeys(stamped_fields, version)
            updates.append({"_pk": item["id"], "row_version": version, "field_versions": item["field_versions"]})
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
                row_version=bindparam("row_version"), field_versions=bindparam("field_versions")),
            updates,
        )
    session.execute(insert(ChangeLog), entries)
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
