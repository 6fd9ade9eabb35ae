"""The desk store (``DeskStore``): the workstation's SQLite, every screen reads it, written only through named mutations.

``perform`` applies a mutation optimistically and writes its outbox entry in the
same transaction, so a crash leaves both or neither. Readers use a separate
engine with deferred transactions: under WAL they read the last committed
snapshot and never wait behind the sync writer.

Sync bookkeeping (used by :mod:`commandroom.sync.engine`):

* **pulled pages** are written with their new cursors in one transaction
  (:meth:`DeskStore.apply_page`); a crash never leaves a cursor ahead of its data;
* **rebase**: every row a not-yet-confirmed mutation touched has a *shadow* — its
  server version before the first local edit (``None``: the server never had it).
  When a page brings a shadowed row, or a mutation leaves the optimistic set
  (rejected, or acknowledged and covered by the cursors), the store puts every
  shadowed row back to its server version, writes the page, and re-applies the
  optimistic mutations in ``local_seq`` order. A pulled row therefore never silently
  overwrites an unsent edit, and a rejected edit never stays visible;
* **incarnation**: a marker file next to the database remembers the incarnation and
  the highest ``local_seq``; a database copied elsewhere or restored from a backup
  gets a new incarnation, and its pending mutations are renumbered for it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Column,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from commandroom import SCHEMA_VERSION, permissions
from commandroom.domain.errors import Forbidden
from commandroom.domain.models import (
    REFERENCE_MODELS,
    SYNCED_MODELS,
    Base,
    LocalMeta,
    Module,
    OutboxEntry,
    SyncCursor,
    TaskCard,
    record_label,
    row_to_dict,
)
from commandroom.ids import new_id
from commandroom.mutations.core import (
    Actor,
    Changes,
    MutationContext,
    apply_mutation,
    get_spec,
    old_values,
    primary_key_of,
    start_tracking,
    stop_tracking,
    touched_rows,
)
from commandroom.queries.scope import DEPARTMENT_TABLES
from commandroom.store.db import durable as make_durable
from commandroom.store.db import make_engine, session_factory
from commandroom.store.migrate import upgrade
from commandroom.sync import apply as rows_io
from commandroom.sync import protocol as wire
from commandroom.sync.buckets import BOARD_TABLES, MODULE_PREFIX, SHARED, ZONE_TABLES
from commandroom.timeutil import utcnow

log = logging.getLogger(__name__)

ChangeListener = Callable[[Changes], None]

JOURNAL_DAYS = 14
SCRYPT = {"n": 2**14, "r": 8, "p": 1}

# Client-only sync bookkeeping that the shared model does not describe (migration 0003 creates it).
_aux = MetaData()
shadow_table = Table(
    "local_shadow", _aux,
    Column("entity_type", String(32), primary_key=True),
    Column("entity_id", String(64), primary_key=True),
    Column("base", JSON, nullable=True),  # the server's version before the first local edit; NULL: none
)
touch_table = Table(
    "local_touch", _aux,
    Column("mutation_id", String(36), primary_key=True),
    Column("entity_type", String(32), primary_key=True),
    Column("entity_id", String(64), primary_key=True),
)

Key = tuple[str, str]


@dataclass
class _RebasePlan:
    rows: set[Key]  # rows to put back to their server versions
    mutations: set[str]  # mutations whose touches are forgotten (left the optimistic set, or re-applied)
    redo: list[OutboxEntry]  # optimistic mutations to re-apply, in local_seq order


def _remember_updated_at(session: Session, _ctx: Any, _instances: Any) -> None:
    """Record ``updated_at`` before the flush sets it (``onupdate``), so a shadow's base is exact."""
    olds_by_id = session.info.get("touched_old")
    if olds_by_id is None:
        return
    for obj in session.dirty:
        if not hasattr(obj, "updated_at") or not session.is_modified(obj):
            continue
        olds = olds_by_id.setdefault(id(obj), {})
        if olds is None or "updated_at" in olds:
            continue
        hist = sa_inspect(obj).attrs.updated_at.history
        olds["updated_at"] = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else None)


def _in_zone(model: type[Base], zone_id: str) -> Any:
    """Rows of a zone table replicated in ``zone:<zone_id>``: a member loan is in both its zones' buckets."""
    if hasattr(model, "zone_id"):
        return model.zone_id == zone_id
    return or_(model.from_zone_id == zone_id, model.to_zone_id == zone_id)


def _on_board(model: type[Base], module_id: str) -> Any:
    """Rows of a board table replicated in ``module:<module_id>``: the module itself and its cards."""
    return Module.id == module_id if model is Module else TaskCard.module_id == module_id


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) or hasattr(value, "isoformat") else value


class DeskStore:
    """One workstation's database: reads for views, writes via mutations + outbox, change events."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        url = f"sqlite:///{self.path}"
        self.write_engine = make_engine(url, writer=True)
        rows_io.tolerate_numeric_json(self.write_engine)
        upgrade(self.write_engine)
        self.read_engine = make_engine(url, writer=False)
        rows_io.tolerate_numeric_json(self.read_engine)
        self._writer = session_factory(self.write_engine)
        event.listen(self._writer, "before_flush", _remember_updated_at)
        self._reader = session_factory(self.read_engine)
        self._listeners: list[ChangeListener] = []
        self._lock = threading.RLock()
        self.incarnation_reason: str | None = None
        # seconds to add to this machine's clock for the server's time; the sync engine sets it once
        # the clock is off by a minute or more (commandroom.sync.clock), 0 otherwise
        self.clock_offset = 0.0
        # how far off this machine's clock is ("" fine, warn, bad; "unknown" until the server first answered):
        # each mutation carries it, so the server can flag the time of an act made on an untrusted clock
        self.clock_skew = "unknown"
        with self.write() as session:
            if self._meta(session, "device_id") is None:
                self._set_meta(session, "device_id", new_id())
            if self._meta(session, "device_incarnation") is None:
                self._set_meta(session, "device_incarnation", new_id())
                self._set_meta(session, "first_local_seq", 1)
        self._check_incarnation()

    # -- sessions

    @contextmanager
    def write(self, *, durable: bool = False) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE); commits on success, rolls back on error.

        ``durable``: the commit survives a power cut (``synchronous=FULL``) — for what a person entered.
        """
        with self._writer() as session, session.begin():
            if durable:
                make_durable(session)
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session on the reader engine."""
        with self._reader() as session:
            yield session
            session.expunge_all()  # objects read here stay usable (loaded, detached) after the block
            session.rollback()

    def close(self) -> None:
        self.write_engine.dispose()
        self.read_engine.dispose()

    # -- meta

    @staticmethod
    def _meta(session: Session, key: str) -> Any:
        row = session.get(LocalMeta, key)
        return None if row is None else row.value

    @staticmethod
    def _set_meta(session: Session, key: str, value: Any) -> None:
        row = session.get(LocalMeta, key)
        if row is None:
            session.add(LocalMeta(key=key, value=value))
        else:
            row.value = value

    def meta(self, key: str, default: Any = None) -> Any:
        with self.read() as session:
            value = self._meta(session, key)
        return default if value is None else value

    def set_meta(self, key: str, value: Any) -> None:
        with self._lock, self.write() as session:
            self._set_meta(session, key, value)

    @property
    def device_id(self) -> str:
        return self.meta("device_id")

    @property
    def device_incarnation(self) -> str:
        return self.meta("device_incarnation")

    # -- change events

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        """Call ``listener(changes)`` after every committed local write or pulled page."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, changes: Changes) -> None:
        if not changes:
            return
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:  # one broken view must not stop the others
                log.exception("change listener failed")

    def now(self) -> datetime:
        """Naive UTC now by the server's clock as far as it is known: local stamps and countdowns agree with it."""
        now = utcnow()
        return now + timedelta(seconds=self.clock_offset) if self.clock_offset else now

    # -- the write path

    def perform(self, actor: Actor, name: str, entity_id: str, args: dict[str, Any]) -> Changes:
        """Apply a named mutation locally and queue it for the server, in one transaction.

        Raises the mutation's DomainError (nothing written) when it is invalid here, and
        :class:`~commandroom.domain.errors.Forbidden` — saying why, in Chinese, offline too —
        when the actor's roles may not do it (the server's rule, :mod:`commandroom.permissions`).
        """
        spec = get_spec(name)
        mutation_id = new_id()
        reach = permissions.check(actor, name)  # before anything is read or written
        # durable: the officer sees it saved as soon as this returns, and the outbox entry is the only copy
        with self._lock, self.write(durable=True) as session:
            if reach is permissions.Reach.ASSIGNED:
                self._check_assigned(session, actor, name, spec.entity_type, entity_id, args)
            base_versions = self._base_versions(session, spec.entity_type, entity_id)
            ctx = MutationContext(session, actor, now=self.now(), on_server=False, mutation_id=mutation_id)
            changes = self._apply_tracked(session, ctx, mutation_id, name, spec.entity_type, entity_id, args)
            label = record_label(session, spec.entity_type, entity_id)  # after: a created record has its number
            next_seq = (session.scalar(select(func.max(OutboxEntry.local_seq))) or 0) + 1
            session.add(
                OutboxEntry(
                    mutation_id=mutation_id,
                    local_seq=next_seq,
                    device_incarnation=self._meta(session, "device_incarnation"),
                    user_id=actor.user_id,
                    name=name,
                    entity_type=spec.entity_type,
                    entity_id=entity_id,
                    args=args,
                    base_versions=base_versions,
                    created_local_ts=ctx.now,
                    clock_skew=self.clock_skew,
                    state="pending",
                    schema_version=SCHEMA_VERSION,
                    record_label=label,
                )
            )
            self._remember_actor(session, actor)
        self._write_marker(max_local_seq=next_seq)
        changes.note("local_outbox", str(next_seq))
        self.emit(changes)
        return changes

    @staticmethod
    def _check_assigned(session: Session, actor: Actor, name: str, entity_type: str, entity_id: str,
                        args: dict[str, Any]) -> None:
        model = SYNCED_MODELS.get(entity_type)
        row = session.get(model, entity_id) if model is not None else None
        if row is None and not permissions.assigned_args(actor, name, args, session):
            raise Forbidden(permissions.assigned_refusal(name), rule=name)
        if row is not None and not permissions.assigned_to(actor, entity_type, row, session):
            raise Forbidden(permissions.assigned_refusal(name), rule=name)

    def _apply_tracked(self, session: Session, ctx: MutationContext, mutation_id: str, name: str,
                       entity_type: str, entity_id: str, args: dict[str, Any]) -> Changes:
        """Apply a mutation, recording a shadow (server version) and a touch for every row it writes."""
        start_tracking(session)
        try:
            changes = apply_mutation(ctx, name, entity_id, args)
            rows = touched_rows(session)
            befores = [(r, self._before_image(session, r)) for r in rows if r.__tablename__ in rows_io.MODELS]
        finally:
            stop_tracking(session)
        keys: list[Key] = [(entity_type, entity_id)]
        for row, before in befores:
            key = (row.__tablename__, primary_key_of(row))
            keys.append(key)
            session.execute(sqlite_insert(shadow_table).values(entity_type=key[0], entity_id=key[1], base=before)
                            .on_conflict_do_nothing())
        self._touch(session, mutation_id, keys)
        return changes

    @staticmethod
    def _before_image(session: Session, row: Base) -> dict[str, Any] | None:
        olds = old_values(session, row)
        if olds is None:
            return None
        if getattr(row, "row_version", 1) == 0:
            return None  # a row only this workstation has (created by an earlier local edit)
        before = row_to_dict(row)
        for key, value in olds.items():
            before[key] = _iso(value)
        return before

    @staticmethod
    def _touch(session: Session, mutation_id: str, keys: Iterable[Key]) -> None:
        values = [{"mutation_id": mutation_id, "entity_type": t, "entity_id": i} for t, i in set(keys)]
        if values:
            session.execute(sqlite_insert(touch_table).on_conflict_do_nothing(), values)

    @staticmethod
    def _remember_actor(session: Session, actor: Actor) -> None:
        if not actor.user_id:
            return
        actors = dict(DeskStore._meta(session, "actors") or {})
        data = {"user_id": actor.user_id, "name": actor.name, "role": actor.role, "scope_kind": actor.scope_kind,
                "scope_code": actor.scope_code, "township_code": actor.township_code,
                "device_id": actor.device_id, "device_name": actor.device_name, "roles": list(actor.roles),
                "department_code": actor.department_code}
        if actors.get(actor.user_id) != data:
            actors[actor.user_id] = data
            DeskStore._set_meta(session, "actors", actors)

    def _actor_for(self, session: Session, user_id: str | None) -> Actor:
        data = (self._meta(session, "actors") or {}).get(user_id or "")
        if data:
            return Actor(**data)
        return Actor(user_id=user_id, name="", role="")

    @staticmethod
    def _base_versions(session: Session, entity_type: str, entity_id: str) -> dict[str, int]:
        """The server row_version this workstation last saw of the target row."""
        model = SYNCED_MODELS.get(entity_type)
        if model is None:
            return {}
        row = session.get(model, entity_id)
        if row is None:
            return {}
        return {f"{entity_type}:{primary_key_of(row)}": int(row.row_version or 0)}

    # -- outbox views

    def pending_count(self) -> int:
        with self.read() as session:
            return session.scalar(select(func.count()).where(OutboxEntry.state == "pending")) or 0

    def rejected(self) -> list[OutboxEntry]:
        """Mutations the server refused or merged, not yet dismissed, with the server's explanation."""
        with self.read() as session:
            return list(
                session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.state.in_(("rejected", "merged")), OutboxEntry.dismissed.is_(False))
                    .order_by(OutboxEntry.local_seq)
                )
            )

    def rejected_count(self) -> int:
        with self.read() as session:
            return session.scalar(select(func.count()).where(OutboxEntry.state == "rejected",
                                                             OutboxEntry.dismissed.is_(False))) or 0

    def dismiss(self, mutation_id: str) -> None:
        """The officer has read a rejection/merge notice: hide it from the list (the entry stays).

        Emits the change, so every view of the outbox (the conflicts panel, the status bar) refreshes.
        """
        with self._lock, self.write(durable=True) as session:
            entry = session.get(OutboxEntry, mutation_id)
            if entry is None:
                return
            entry.dismissed = True
        changes = Changes()
        changes.note("local_outbox", mutation_id)
        self.emit(changes)

    def redo(self, actor: Actor, mutation_id: str, args: dict[str, Any] | None = None) -> Changes:
        """Do a rejected mutation again as a new mutation (optionally with corrected ``args``)."""
        with self.read() as session:
            entry = session.get(OutboxEntry, mutation_id)
            if entry is None:
                raise KeyError(mutation_id)
            name, entity_id, old_args = entry.name, entry.entity_id, dict(entry.args or {})
            follow = (entry.server_result or {}).get("follow") or {}
        if follow.get("entity_id") and follow.get("entity_type") == get_spec(name).entity_type:
            entity_id = follow["entity_id"]  # the record lost a race: redo it on the one that won
        changes = self.perform(actor, name, entity_id, old_args if args is None else args)
        self.dismiss(mutation_id)
        return changes

    def outbox(self) -> list[OutboxEntry]:
        with self.read() as session:
            return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq)))

    # -- push bookkeeping

    def pending_batch(self, limit: int = wire.MAX_BATCH, after: int | None = None) -> dict[str, Any] | None:
        """The next push body's mutations: pending entries of one incarnation in local_seq order.

        ``after``: only entries past this ``local_seq`` (the batch after one the server has answered in full
        whose results are still being recorded).
        """
        query = select(OutboxEntry).where(OutboxEntry.state == "pending")
        if after is not None:
            query = query.where(OutboxEntry.local_seq > after)
        with self.read() as session:
            entries = list(session.scalars(query.order_by(OutboxEntry.local_seq).limit(limit)))
            if not entries:
                return None
            incarnation = entries[0].device_incarnation
            current = self._meta(session, "device_incarnation")
            firsts = self._meta(session, "incarnation_firsts") or {}
            first = self._meta(session, "first_local_seq") if incarnation == current else firsts.get(incarnation)
            muts = [
                {
                    "mutation_id": e.mutation_id,
                    "local_seq": e.local_seq,
                    "name": e.name,
                    "entity_id": e.entity_id,
                    "args": e.args or {},
                    "base_versions": e.base_versions or {},
                    "created_local_ts": e.created_local_ts.isoformat() if e.created_local_ts else None,
                    "clock_skew": e.clock_skew or "",
                }
                for e in entries
                if e.device_incarnation == incarnation
            ]
            return {
                "device_id": self._meta(session, "device_id"),
                "device_incarnation": incarnation,
                "first_local_seq": int(first or 1),
                "mutations": muts,
            }

    def record_results(self, results: list[dict[str, Any]], epoch: str | None) -> Changes:
        """Mark pushed mutations acked / merged / rejected; rebase if an optimistic edit must go."""
        now = utcnow()
        changes = Changes()
        left = False
        with self._lock, self.write() as session:
            if epoch and self._meta(session, "epoch") is None:
                self._set_meta(session, "epoch", epoch)
            # the batch's entries in one query (a long outage's push answers 100 at a time), not one each
            ids = [str(r.get("mutation_id") or "") for r in results]
            entries = {e.mutation_id: e for e in session.scalars(select(OutboxEntry)
                                                                 .where(OutboxEntry.mutation_id.in_(ids)))}
            for r, mutation_id in zip(results, ids, strict=True):
                entry = entries.get(mutation_id)
                if entry is None or entry.state != "pending":
                    continue
                status = r.get("status")
                entry.attempts = (entry.attempts or 0) + 1
                entry.server_result = dict(r)
                if status in (wire.APPLIED, wire.MERGED):
                    entry.state = "acked" if status == wire.APPLIED else "merged"
                    entry.acked_at = now
                    entry.acked_seq = r.get("seq")
                    entry.acked_epoch = epoch
                elif status in (wire.REJECTED, wire.ERROR):
                    entry.state = "rejected"
                    entry.acked_at = now
                    entry.acked_epoch = epoch
                changes.note("local_outbox", str(entry.local_seq))
                left |= status != wire.APPLIED
            session.flush()
            # an applied mutation stays optimistic until the cursors cover it: nothing to rebase unless one
            # left the optimistic set (merged, rejected) or a catch-up left rows to rebase
            if left or self._meta(session, "rebase_deferred"):
                changes.merge(self._rebase_if_needed(session, set()))
        return changes

    def new_incarnation(self, reason: str, *, repend_from: int | None = None) -> str:
        """Start a new incarnation: renumber pending mutations after every local_seq used so far.

        Args:
            repend_from: also send again acked/merged journal entries of the current incarnation
                with ``local_seq ≥`` this (the server lost them: a gap it reported).
        """
        with self._lock, self.write() as session:
            old = self._meta(session, "device_incarnation")
            if repend_from is not None:
                session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.device_incarnation == old, OutboxEntry.local_seq >= repend_from,
                           OutboxEntry.state.in_(("acked", "merged")))
                    .values(state="pending", acked_seq=None, acked_epoch=None, acked_at=None)
                )
            inc = self._renumber(session, reason)
        return inc

    def _renumber(self, session: Session, reason: str) -> str:
        old = self._meta(session, "device_incarnation")
        inc = new_id()
        top = session.scalar(select(func.max(OutboxEntry.local_seq))) or 0
        firsts = dict(self._meta(session, "incarnation_firsts") or {})
        firsts[old] = self._meta(session, "first_local_seq") or 1
        self._set_meta(session, "incarnation_firsts", firsts)
        self._set_meta(session, "device_incarnation", inc)
        self._set_meta(session, "first_local_seq", top + 1)
        pending = list(session.scalars(select(OutboxEntry).where(OutboxEntry.state == "pending")
                                       .order_by(OutboxEntry.local_seq)))
        for i, e in enumerate(pending, start=top + 1):
            e.local_seq = i
            e.device_incarnation = inc
            session.flush()
        self.incarnation_reason = reason
        log.warning("new device incarnation %s (was %s): %s", inc, old, reason)
        new_top = top + len(pending)
        session.flush()
        self._write_marker(max_local_seq=new_top, incarnation=inc)
        return inc

    def prune_journal(self, days: int = JOURNAL_DAYS, *, now: datetime | None = None) -> int:
        """Forget acked/merged journal entries older than ``days`` (rejected ones stay until dismissed)."""
        cutoff = (now or utcnow()) - timedelta(days=days)
        with self._lock, self.write() as session:
            result = session.execute(delete(OutboxEntry).where(OutboxEntry.state.in_(("acked", "merged")),
                                                               OutboxEntry.acked_at < cutoff))
            return result.rowcount or 0

    # -- pull bookkeeping

    def cursors(self) -> dict[str, int]:
        with self.read() as session:
            return {c.bucket: int(c.seq) for c in session.scalars(select(SyncCursor))}

    def apply_page(self, page: dict[str, Any]) -> Changes | None:
        """Write a pulled page and its cursors in one transaction, then rebase optimistic edits.

        Returns what changed, or None when the page is stale (its ``since`` is not the current
        cursors — a replayed or overtaken response): nothing is written.
        """
        with self._lock, self.write() as session:
            current = {c.bucket: c for c in session.scalars(select(SyncCursor))}
            since: dict[str, int] = page.get("since") or {}
            for bucket, seq in since.items():
                have = current.get(bucket)
                if (have.seq if have else 0) != seq:
                    return None
            epoch = page.get("epoch")
            latest: dict[Key, dict[str, Any]] = {}
            for ch in page.get("changes") or ():
                bucket = ch["bucket"]
                have = current.get(bucket)
                if have is not None and ch["seq"] <= have.seq:
                    continue
                latest[(ch["entity_type"], ch["entity_id"])] = ch
            new_cursors = {b: max(int(s), current[b].seq if b in current else 0)
                           for b, s in (page.get("cursors") or {}).items()}
            all_cursors = {b: c.seq for b, c in current.items()} | new_cursors
            changes = Changes()
            plan = None
            if page.get("has_more"):
                # catching up: rebase once, after the last page, not after every page (each would re-apply
                # every optimistic edit of the rows it brings — most of a long outage's queue, page after page)
                held = self._defer_rebase(session, latest)
                writes = [ch for key, ch in latest.items() if key not in held]
            else:
                plan = self._rebase_plan(session, set(latest), all_cursors)
                if plan is not None:
                    changes.merge(self._undo_rows(session, plan))
                held, writes = set(), list(latest.values())
            self._write_changes(session, writes)
            for key in latest:
                if key not in held:
                    changes.note(*key)
            for bucket, seq in new_cursors.items():
                row = current.get(bucket)
                if row is None:
                    session.add(SyncCursor(bucket=bucket, seq=seq, epoch=epoch))
                else:
                    row.seq, row.epoch = seq, epoch
            session.flush()
            if plan is not None:
                changes.merge(self._redo(session, all_cursors, plan.redo))
            return changes

    @staticmethod
    def _write_changes(session: Session, changes: Iterable[dict[str, Any]]) -> None:
        upserts: dict[str, list[dict[str, Any]]] = {}
        removes: dict[str, list[str]] = {}
        for ch in changes:
            if ch["op"] == "remove" or ch.get("fields") is None:
                removes.setdefault(ch["entity_type"], []).append(ch["entity_id"])
            else:
                upserts.setdefault(ch["entity_type"], []).append(ch["fields"])
        for etype, rows in upserts.items():
            rows_io.upsert_rows(session, etype, rows)
        for etype, ids in removes.items():
            rows_io.delete_rows(session, etype, ids)

    # -- rebase

    def _optimistic(self, session: Session, cursors: dict[str, int]) -> list[OutboxEntry]:
        """Mutations whose effect the pulled rows do not show yet: pending, or acked past the cursors."""
        low = min(cursors.values()) if cursors else 0
        epoch = self._meta(session, "epoch")
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.state.in_(("pending", "acked", "merged")))
                               .order_by(OutboxEntry.local_seq))
        out = []
        for e in rows:
            if e.state == "pending" or (e.acked_seq is not None and e.acked_seq > low and e.acked_epoch == epoch):
                out.append(e)
        return out

    def _defer_rebase(self, session: Session, latest: dict[Key, dict[str, Any]]) -> set[Key]:
        """A page in the middle of a catch-up: keep its locally edited rows as they show now and remember
        them for the next rebase; returns the rows not to write.

        A shadowed row (an optimistic edit is on it) is not written: its shadow takes the page's version as
        the server version to restore, so the officer's unsent edit stays visible until the rebase after the
        last page re-applies it there. A row a queued mutation merely touched is written, and remembered so
        that mutation is re-applied then. Kept in the store (``rebase_deferred``): a download cancelled or cut
        between pages is rebased by the next page or push result.
        """
        touched = {(t, i) for t, i in session.execute(select(touch_table.c.entity_type, touch_table.c.entity_id))}
        keys = {k for k in latest if k in touched}
        if not keys:
            return set()
        shadowed = {(t, i) for t, i in session.execute(select(shadow_table.c.entity_type, shadow_table.c.entity_id))}
        held = keys & shadowed
        if held:
            session.execute(
                update(shadow_table).where(shadow_table.c.entity_type == bindparam("t"),
                                           shadow_table.c.entity_id == bindparam("i"))
                .values(base=bindparam("b")),
                [{"t": t, "i": i, "b": None if latest[(t, i)]["op"] == "remove" else latest[(t, i)].get("fields")}
                 for t, i in held])
        deferred = {tuple(k) for k in self._meta(session, "rebase_deferred") or ()}
        self._set_meta(session, "rebase_deferred", sorted(deferred | keys))
        return held

    def _rebase_if_needed(self, session: Session, keys: set[Key]) -> Changes:
        cursors = {c.bucket: int(c.seq) for c in session.scalars(select(SyncCursor))}
        plan = self._rebase_plan(session, keys, cursors)
        if plan is None:
            return Changes()
        changes = self._undo_rows(session, plan)
        return changes.merge(self._redo(session, cursors, plan.redo))

    def _rebase_plan(self, session: Session, keys: set[Key], cursors: dict[str, int]) -> _RebasePlan | None:
        """Which rows to put back and which optimistic mutations to re-apply; None: nothing to rebase.

        Only what the change reaches: the rows of ``keys`` (a pulled page) that local edits touched, and the
        rows of mutations that left the optimistic set (rejected, merged, or acknowledged and covered by the
        cursors); then, until nothing is added, every optimistic mutation touching one of those rows and
        every row such a mutation touched (re-applying it must start from its rows' server versions). The
        cost is linear in the queue, where putting back everything after each result was quadratic.
        """
        deferred = self._meta(session, "rebase_deferred")
        if deferred:  # rows of pages written during a catch-up, whose rebase waited for the last page
            keys = keys | {tuple(k) for k in deferred}
            self._set_meta(session, "rebase_deferred", None)
        touched = session.execute(select(touch_table.c.mutation_id, touch_table.c.entity_type,
                                         touch_table.c.entity_id)).all()
        if not touched:
            return None
        by_mutation: dict[str, set[Key]] = {}
        by_key: dict[Key, set[str]] = {}
        for m, t, i in touched:
            by_mutation.setdefault(m, set()).add((t, i))
            by_key.setdefault((t, i), set()).add(m)
        optimistic = self._optimistic(session, cursors)
        live = {e.mutation_id for e in optimistic}
        gone = {m for m in by_mutation if m not in live}
        seeds = {k for k in keys if k in by_key}
        if keys:
            shadowed = {(t, i) for t, i in session.execute(select(shadow_table.c.entity_type,
                                                                  shadow_table.c.entity_id))}
            seeds |= keys & shadowed
        for m in gone:
            seeds |= by_mutation[m]
        if not seeds:
            return None
        rows: set[Key] = set()
        again: set[str] = set()
        frontier = list(seeds)
        while frontier:
            key = frontier.pop()
            if key in rows:
                continue
            rows.add(key)
            for m in by_key.get(key, ()):
                if m in live and m not in again:
                    again.add(m)
                    frontier.extend(by_mutation[m])
        return _RebasePlan(rows=rows, mutations=gone | again,
                           redo=[e for e in optimistic if e.mutation_id in again])

    def rebase(self) -> Changes:
        """Put shadowed rows back to their server version and re-apply the optimistic mutations."""
        with self._lock, self.write() as session:
            cursors = {c.bucket: int(c.seq) for c in session.scalars(select(SyncCursor))}
            changes = self._undo(session)
            changes.merge(self._redo(session, cursors))
        return changes

    @staticmethod
    def _undo_rows(session: Session, plan: _RebasePlan) -> Changes:
        """Put the plan's rows back to their server versions and forget their shadows and touches."""
        changes = Changes()
        session.flush()
        rows = plan.rows
        doomed = []
        for etype, eid, base in session.execute(select(shadow_table.c.entity_type, shadow_table.c.entity_id,
                                                       shadow_table.c.base)).all():
            if (etype, eid) in rows:
                rows_io.restore_row(session, etype, eid, base)
                changes.note(etype, eid)
                doomed.append({"t": etype, "i": eid})
        if doomed:
            session.execute(delete(shadow_table).where(shadow_table.c.entity_type == bindparam("t"),
                                                       shadow_table.c.entity_id == bindparam("i")), doomed)
        if plan.mutations:
            session.execute(delete(touch_table).where(touch_table.c.mutation_id == bindparam("m")),
                            [{"m": m} for m in plan.mutations])
        session.expire_all()
        return changes

    @staticmethod
    def _undo(session: Session) -> Changes:
        changes = Changes()
        session.flush()
        for etype, eid, base in session.execute(select(shadow_table.c.entity_type, shadow_table.c.entity_id,
                                                       shadow_table.c.base)).all():
            rows_io.restore_row(session, etype, eid, base)
            changes.note(etype, eid)
        session.execute(delete(shadow_table))
        session.execute(delete(touch_table))
        DeskStore._set_meta(session, "rebase_deferred", None)
        session.expire_all()
        return changes

    def _redo(self, session: Session, cursors: dict[str, int], entries: list[OutboxEntry] | None = None) -> Changes:
        """Re-apply optimistic mutations (``entries``, default all of them) in ``local_seq`` order."""
        changes = Changes()
        for e in self._optimistic(session, cursors) if entries is None else entries:
            actor = self._actor_for(session, e.user_id)
            ctx = MutationContext(session, actor, now=e.created_local_ts or utcnow(), on_server=False,
                                  mutation_id=e.mutation_id)
            try:
                with session.begin_nested():
                    changes.merge(self._apply_tracked(session, ctx, e.mutation_id, e.name, e.entity_type,
                                                      e.entity_id, dict(e.args or {})))
            except Exception as exc:  # noqa: BLE001 - no longer applies here; the server decides
                log.info("pending mutation %s (%s) does not apply locally now: %s", e.local_seq, e.name, exc)
                session.expire_all()
                self._touch(session, e.mutation_id, [(e.entity_type, e.entity_id)])
        return changes

    # -- epoch, resync

    def bucket_rows_delete(self, session: Session, bucket: str) -> int:
        """Delete every local row replicated in ``bucket`` (before downloading it again)."""
        n = 0
        kind, _, code = bucket.partition(":")
        targets: list[tuple[type[Base], Any]] = []
        if bucket == SHARED:
            targets = [(m, None) for m in REFERENCE_MODELS.values()]
        elif kind == "township":
            targets = [(m, m.township_code == code) for t, m in SYNCED_MODELS.items()
                       if t not in ZONE_TABLES and t not in BOARD_TABLES]
        elif kind == "module":
            targets = [(SYNCED_MODELS[t], _on_board(SYNCED_MODELS[t], code)) for t in sorted(BOARD_TABLES)]
        elif kind == "zone":
            for t in ZONE_TABLES:
                targets.append((SYNCED_MODELS[t], _in_zone(SYNCED_MODELS[t], code)))
        elif kind == "department":  # a liaison's desk holds this one bucket of operational rows
            targets = [(SYNCED_MODELS[t], None) for t in sorted(DEPARTMENT_TABLES)]
        for model, cond in targets:
            stmt = delete(model) if cond is None else delete(model).where(cond)
            n += session.execute(stmt).rowcount or 0
        return n

    def forget_boards_outside(self, buckets: Iterable[str]) -> Changes:
        """Delete the boards (modules and their cards) of no ``module:<id>`` bucket this desk reads.

        A desk whose buckets changed (a module lead no longer leads a module; an upgraded server that
        keeps another module's board from a module lead's desk) keeps nothing it may no longer read.
        """
        held = [b[len(MODULE_PREFIX):] for b in buckets if b.startswith(MODULE_PREFIX)]
        with self._lock, self.write() as session:
            changes = Changes()
            gone_cards = list(session.scalars(select(TaskCard.id).where(TaskCard.module_id.not_in(held))))
            gone_modules = list(session.scalars(select(Module.id).where(Module.id.not_in(held))))
            if not gone_cards and not gone_modules:
                return changes
            changes = self._undo(session)
            session.execute(delete(TaskCard).where(TaskCard.module_id.not_in(held)))
            session.execute(delete(Module).where(Module.id.not_in(held)))
            for cid in gone_cards:
                changes.note("task_card", cid)
            for mid in gone_modules:
                changes.note("module", mid)
            session.flush()
            cursors = {c.bucket: int(c.seq) for c in session.scalars(select(SyncCursor))}
            return changes.merge(self._redo(session, cursors))

    def rebuild_buckets(self, buckets: Iterable[str]) -> Changes:
        """Forget ``buckets`` (rows and cursors) so they download again from 0; the outbox is kept."""
        with self._lock, self.write() as session:
            return self._rebuild(session, list(buckets))

    def _rebuild(self, session: Session, buckets: list[str]) -> Changes:
        changes = self._undo(session)
        for b in buckets:
            self.bucket_rows_delete(session, b)
            session.execute(delete(SyncCursor).where(SyncCursor.bucket == b))
        changes.note("local_sync_cursor", ",".join(buckets))
        session.flush()
        cursors = {c.bucket: int(c.seq) for c in session.scalars(select(SyncCursor))}
        return changes.merge(self._redo(session, cursors))

    def restore_recovery(self, new_epoch: str, restored_head: int | None, buckets: Iterable[str], *,
                         same_epoch: bool = False) -> dict[str, Any]:
        """The server was restored from a backup (docs/sync-protocol.md, "Server restore"): re-send what it lost, download everything again.

        Journal entries acknowledged under another epoch after ``restored_head`` (or with no seq) go back
        to pending and are renumbered in a new incarnation; every bucket is rebuilt from 0.
        """
        with self._lock, self.write() as session:
            moved = 0
            for e in session.scalars(select(OutboxEntry).where(OutboxEntry.state.in_(("acked", "merged")))):
                if same_epoch:  # the server went backwards without a new epoch: trust the seqs only
                    if e.acked_seq is not None and restored_head is not None and e.acked_seq > restored_head:
                        e.state, e.acked_seq, e.acked_epoch, e.acked_at = "pending", None, None, None
                        moved += 1
                    continue
                if e.acked_epoch == new_epoch:
                    continue
                if e.acked_seq is None or restored_head is None or e.acked_seq > restored_head:
                    e.state, e.acked_seq, e.acked_epoch, e.acked_at = "pending", None, None, None
                    moved += 1
            session.flush()
            self._renumber(session, f"server restored (epoch {new_epoch})")
            self._set_meta(session, "epoch", new_epoch)
            self._set_meta(session, "restored_head", restored_head)
            every = set(buckets) | {c.bucket for c in session.scalars(select(SyncCursor))}
            self._rebuild(session, sorted(every))
        return {"repended": moved}

    def set_epoch(self, epoch: str) -> None:
        self.set_meta("epoch", epoch)

    # -- incarnation marker (a database copied or restored from a backup)

    @property
    def marker_path(self) -> Path:
        return self.path.with_name(self.path.name + ".incarnation")

    def _write_marker(self, *, max_local_seq: int | None = None, incarnation: str | None = None) -> None:
        """Remember the incarnation and the highest local_seq next to the database (never lowered)."""
        path = self.marker_path
        try:
            old = orjson.loads(path.read_bytes()) if path.exists() else {}
        except orjson.JSONDecodeError:
            old = {}
        inc = incarnation or self.meta("device_incarnation")
        top = int(max_local_seq or 0)
        if incarnation is None and old.get("incarnation") == inc:
            top = max(top, int(old.get("max_local_seq") or 0))
        data = {"device_id": self.meta("device_id"), "incarnation": inc, "max_local_seq": top}
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(orjson.dumps(data))
        os.replace(tmp, path)

    def _check_incarnation(self) -> None:
        path = self.marker_path
        with self.read() as session:
            inc = self._meta(session, "device_incarnation")
            top = int(session.scalar(select(func.max(OutboxEntry.local_seq))) or 0)
        try:
            marker = orjson.loads(path.read_bytes()) if path.exists() else None
        except orjson.JSONDecodeError:
            marker = None
        reason = None
        if marker is None:
            if top > 0:
                reason = "the incarnation marker next to the database is missing (copied database?)"
        elif marker.get("incarnation") != inc:
            reason = "the database's incarnation differs from its marker (restored or copied database)"
        elif top < int(marker.get("max_local_seq") or 0):
            reason = (f"the outbox went backwards ({top} < {marker.get('max_local_seq')}): "
                      f"the database was restored from a backup")
        if reason:
            with self._lock, self.write() as session:
                self._renumber(session, reason)
        else:
            self._write_marker(max_local_seq=top, incarnation=inc)

    # -- sign-in

    def save_login(self, data: dict[str, Any]) -> None:
        with self._lock, self.write() as session:
            self._set_meta(session, "auth", data)

    def auth(self) -> dict[str, Any]:
        return self.meta("auth", {}) or {}

    @staticmethod
    def _verifier_key(username: str) -> str:
        return "offline:" + hashlib.sha256(username.encode()).hexdigest()[:24]

    def save_offline_verifier(self, username: str, password: str, user: dict[str, Any]) -> None:
        """Keep a scrypt verifier of the password so the officer can sign in while the link is down."""
        salt = os.urandom(16)
        digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
        self.set_meta(self._verifier_key(username), {"salt": salt.hex(), "hash": digest.hex(), **SCRYPT,
                                                      "username": username, "user": user})

    def verify_offline(self, username: str, password: str) -> dict[str, Any] | None:
        """The user record if ``password`` matches the last successful online sign-in here, else None."""
        data = self.meta(self._verifier_key(username))
        if not data or data.get("username") != username:
            return None
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(data["salt"]), dklen=32,
                                n=data["n"], r=data["r"], p=data["p"])
        return data["user"] if hmac.compare_digest(digest.hex(), data["hash"]) else None

    # -- convergence audit

    def bucket_summaries(self, buckets: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Per bucket: count and order-free hash of the live rows (same definition as the server's)."""
        out: dict[str, dict[str, Any]] = {}
        with self.read() as session:
            for b in buckets:
                total = count = 0
                kind, _, code = b.partition(":")
                if b == SHARED:
                    for t, m in REFERENCE_MODELS.items():
                        for obj in session.scalars(select(m)):
                            count += 1
                            total += wire.entity_digest(t, primary_key_of(obj), 0)
                else:
                    for t, m in SYNCED_MODELS.items():
                        if kind == "department":
                            if t not in DEPARTMENT_TABLES:
                                continue
                            c = m.__table__.c
                            for eid, rv in session.execute(select(c.id, c.row_version).where(c.deleted.is_(False))):
                                count += 1
                                total += wire.entity_digest(t, eid, rv)
                            continue
                        if (kind == "zone") != (t in ZONE_TABLES) or (kind == "module") != (t in BOARD_TABLES):
                            continue
                        where = (_in_zone(m, code) if kind == "zone" else _on_board(m, code) if kind == "module"
                                 else m.township_code == code)
                        for eid, rv in session.execute(select(m.id, m.row_version)
                                                       .where(where, m.deleted.is_(False))):
                            count += 1
                            total += wire.entity_digest(t, eid, rv)
                out[b] = {"count": count, "hash": wire.combine(total)}
        return out
