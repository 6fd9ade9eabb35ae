"""The workstation's local store: the SQLite cache every screen reads, written only through named mutations.

``perform`` applies a mutation optimistically and writes its outbox entry in the
same transaction, so a crash leaves both or neither. Readers use a separate
engine with deferred transactions: under WAL they read the last committed
snapshot and never wait behind the sync writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandroom import SCHEMA_VERSION
from commandroom.domain.models import LocalMeta, OutboxEntry
from commandroom.ids import new_id
from commandroom.mutations.core import (
    Actor,
    Changes,
    MutationContext,
    apply_mutation,
    get_spec,
    primary_key_of,
)
from commandroom.store.db import make_engine, session_factory
from commandroom.store.migrate import upgrade
from commandroom.timeutil import utcnow

log = logging.getLogger(__name__)

ChangeListener = Callable[[Changes], None]


class LocalStore:
    """One workstation's database: reads for views, writes via mutations + outbox, change events."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        url = f"sqlite:///{self.path}"
        self.write_engine = make_engine(url, writer=True)
        upgrade(self.write_engine)
        self.read_engine = make_engine(url, writer=False)
        self._writer = session_factory(self.write_engine)
        self._reader = session_factory(self.read_engine)
        self._listeners: list[ChangeListener] = []
        self._lock = threading.Lock()
        with self.write() as session:
            if self._meta(session, "device_id") is None:
                self._set_meta(session, "device_id", new_id())
            if self._meta(session, "device_incarnation") is None:
                self._set_meta(session, "device_incarnation", new_id())

    # -- sessions

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE); commits on success, rolls back on error."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session on the reader engine."""
        with self._reader() as session:
            yield session
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
        with self.write() as session:
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
            except Exception:  # noqa: BLE001 - one broken view must not stop the others
                log.exception("change listener failed")

    # -- the write path

    def perform(self, actor: Actor, name: str, entity_id: str, args: dict[str, Any]) -> Changes:
        """Apply a named mutation locally and queue it for the server, in one transaction.

        Raises the mutation's DomainError (nothing written) when it is invalid here.
        """
        spec = get_spec(name)
        with self._lock, self.write() as session:
            base_versions = self._base_versions(session, spec.entity_type, entity_id)
            ctx = MutationContext(session, actor, now=utcnow(), on_server=False)
            changes = apply_mutation(ctx, name, entity_id, args)
            next_seq = (session.scalar(select(func.max(OutboxEntry.local_seq))) or 0) + 1
            session.add(
                OutboxEntry(
                    mutation_id=new_id(),
                    local_seq=next_seq,
                    device_incarnation=self._meta(session, "device_incarnation"),
                    user_id=actor.user_id,
                    name=name,
                    entity_type=spec.entity_type,
                    entity_id=entity_id,
                    args=args,
                    base_versions=base_versions,
                    created_local_ts=ctx.now,
                    state="pending",
                    schema_version=SCHEMA_VERSION,
                )
            )
        changes.note("local_outbox", str(next_seq))
        self.emit(changes)
        return changes

    @staticmethod
    def _base_versions(session: Session, entity_type: str, entity_id: str) -> dict[str, int]:
        """The server row_version this workstation last saw of the target row."""
        from commandroom.domain.models import SYNCED_MODELS

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
        with self.read() as session:
            return list(
                session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.state.in_(("rejected", "merged")), OutboxEntry.dismissed.is_(False))
                    .order_by(OutboxEntry.local_seq)
                )
            )
