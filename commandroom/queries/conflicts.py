"""Read and bookkeeping functions behind the conflicts panel. Pure core code (no Qt).

Two sources: the outbox entries the server rejected or merged (``DeskStore.rejected()``)
and the ``conflict_record`` rows of the user's townships (values the server overwrote,
rules that intervened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from commandroom.domain.models import SYNCED_MODELS, ConflictRecord, OutboxEntry, record_label
from commandroom.store.protocol import ReadStore
from commandroom.timeutil import fmt_local

# Fields worth showing when describing "what the server kept" of a row, in this order.
SUMMARY_FIELDS = ("state", "number", "title", "urgency", "reject_reason", "assignee_code", "lead_department_code",
                  "column", "name", "status")


@dataclass(frozen=True)
class RejectedRow:
    """One outbox entry the server did not apply as sent."""

    mutation_id: str
    local_seq: int
    name: str
    entity_type: str
    entity_id: str
    args: dict[str, Any]
    state: str  # rejected / merged
    reason: str
    code: str
    created_at: datetime
    kept: tuple[tuple[str, Any], ...]  # (field, value) of the local row as the server left it; () when gone
    record: str = ""  # what the record is called here (number and title; "" when this desk does not hold it)
    redo_entity_id: str = ""  # where 重做 applies it: the record that won a race (server's "follow"), else entity_id


@dataclass(frozen=True)
class ConflictRow:
    id: str
    entity_type: str
    entity_id: str
    field: str
    kept_value: Any
    lost_value: Any
    rule: str
    by_user_name: str
    explanation: str
    created_at: datetime
    record_label: str = ""  # the record's name when the server wrote the conflict


def describe_row(session: Any, entity_type: str, entity_id: str) -> tuple[tuple[str, Any], ...]:
    """(field, value) pairs that say what the current local row is (empty when it is not here)."""
    model = SYNCED_MODELS.get(entity_type)
    if model is None:
        return ()
    row = session.get(model, entity_id)
    if row is None:
        return ()
    parts: list[tuple[str, Any]] = []
    for name in SUMMARY_FIELDS:
        if hasattr(row, name):
            value = getattr(row, name)
            if value not in (None, "", [], {}):
                parts.append((name, value))
    if getattr(row, "updated_at", None) is not None:
        parts.append(("updated_at", fmt_local(row.updated_at, "%m-%d %H:%M")))
    return tuple(parts)


def rejected_rows(store: ReadStore) -> list[RejectedRow]:
    """Every outbox entry the server rejected or merged and the user has not dismissed, oldest first."""
    out: list[RejectedRow] = []
    with store.read() as session:
        # the same selection as DeskStore.rejected(), read in this session so rows stay loaded
        entries = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.state.in_(("rejected", "merged")), OutboxEntry.dismissed.is_(False))
            .order_by(OutboxEntry.local_seq))
        for e in entries:
            result = e.server_result or {}
            reason = str(result.get("explanation") or result.get("message") or result.get("reason") or "")
            follow = result.get("follow") or {}
            redo_id = follow.get("entity_id") if follow.get("entity_type") == e.entity_type else None
            out.append(RejectedRow(
                mutation_id=e.mutation_id, local_seq=e.local_seq, name=e.name, entity_type=e.entity_type,
                entity_id=e.entity_id, args=dict(e.args or {}), state=e.state, reason=reason,
                code=str(result.get("code") or ""), created_at=e.created_local_ts,
                kept=describe_row(session, e.entity_type, e.entity_id), redo_entity_id=redo_id or e.entity_id,
                # the record as held now, else as it was called when the officer acted
                record=record_name(session, e.entity_type, e.entity_id) or e.record_label,
            ))
    return out


def conflict_rows(store: ReadStore, township_codes: list[str] | None, limit: int = 500) -> list[ConflictRow]:
    """Conflict records of ``township_codes`` (None: all the store holds), newest first."""
    q = select(ConflictRecord).where(ConflictRecord.deleted.is_(False))
    if township_codes is not None:
        q = q.where(ConflictRecord.township_code.in_(township_codes))
    q = q.order_by(ConflictRecord.created_at.desc()).limit(limit)
    with store.read() as session:
        return [ConflictRow(c.id, c.entity_type, c.entity_id, c.field, c.kept_value, c.lost_value, c.rule,
                            c.by_user_name, c.explanation, c.created_at, c.record_label or "")
                for c in session.scalars(q)]


@dataclass(frozen=True)
class ConflictGroup:
    """The conflict records of one record (an incident, a card…), newest first: the page lists records."""

    key: str
    entity_type: str
    entity_id: str
    record: str  # what the record is called here (number and title), "" when this desk does not hold it
    conflicts: tuple[ConflictRow, ...]

    @property
    def latest(self) -> ConflictRow:
        return self.conflicts[0]


def record_name(session: Any, entity_type: str, entity_id: str) -> str:
    """'QC-2026-000123「违停」' — a record as the officer knows it (never its id); "" when not here."""
    return record_label(session, entity_type, entity_id)


def conflict_groups(store: ReadStore, township_codes: list[str] | None, limit: int = 500) -> list[ConflictGroup]:
    """:func:`conflict_rows` grouped by record, the record with the newest conflict first."""
    rows = conflict_rows(store, township_codes, limit)
    by_key: dict[tuple[str, str], list[ConflictRow]] = {}
    for r in rows:
        by_key.setdefault((r.entity_type, r.entity_id), []).append(r)
    with store.read() as session:
        return [ConflictGroup(key=f"{t}:{i}", entity_type=t, entity_id=i,
                              record=record_name(session, t, i) or next((c.record_label for c in group
                                                                          if c.record_label), ""),
                              conflicts=tuple(group)) for (t, i), group in by_key.items()]

