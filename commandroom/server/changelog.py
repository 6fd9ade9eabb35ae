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

from sqlalchemy import insert, select, update
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
from commandroom.sync.buckets import bucket_of
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
) -> list[int]:
    """Append one change per row, stamping ``row_version`` and per-field versions on synced rows.

    Args:
        rows: rows written in this transaction (already flushed).
        changed_fields: per ``id(row)``, the fields that changed (None: all — a new row).
    Returns the allocated seqs, in row order.
    """
    if not rows:
        return []
    seqs = allocate_seqs(session, len(rows))
    now = utcnow()
    entries = []
    for seq, row in zip(seqs, rows, strict=True):
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
    for seq, row in zip(seqs, rows, strict=True):
        entries.append(
            {
                "seq": seq,
                "bucket": bucket_of(row),
                "entity_type": row.__tablename__,
                "entity_id": primary_key_of(row),
                "op": "delete" if getattr(row, "deleted", False) else op,
                "row_version": getattr(row, "row_version", seq),
                "fields": row_to_dict(row),
                "origin_device": origin_device,
                "origin_mutation": origin_mutation,
                "server_ts": now,
            }
        )
    session.execute(insert(ChangeLog), entries)
    return list(seqs)


def backfill(session: Session, *, batch: int = 5000) -> int:
    """Log every reference and operational row that has no change yet (after a seed or import)."""
    logged = {
        (t, i) for t, i in session.execute(select(ChangeLog.entity_type, ChangeLog.entity_id))
    }
    total = 0
    for model in list(REFERENCE_MODELS.values()) + list(SYNCED_MODELS.values()):
        pending: list[Base] = []
        for row in session.scalars(select(model)).yield_per(batch):
            if (model.__tablename__, primary_key_of(row)) in logged:
                continue
            pending.append(row)
            if len(pending) >= batch:
                total += len(log_rows(session, pending))
                pending = []
        if pending:
            total += len(log_rows(session, pending))
    return total


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
