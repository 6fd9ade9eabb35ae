"""Process-wide server state: the database engine, sessions and the event broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.util import identity_key

from commandroom.store.db import durable as make_durable
from commandroom.store.db import is_sqlite, make_engine, normalise_url, session_factory
from commandroom.store.migrate import upgrade

T = TypeVar("T")

QUICK_POOL = 16
QUICK_OVERFLOW = 8
"""Connections of :meth:`ServerState.quick_read` kept open, and opened beyond them when every one is busy (closed
again when given back); past both, a quick read waits for one. Under 140 desks pulling when poked, a process runs
well over 4 quick reads at once most of the time: with 4 kept open it opened and closed 250–500 connections in
30 s (each a new PostgreSQL backend, and the statements it had prepared lost), and the pushes' p99 was 2–3×
longer (docs/performance.md, session 9). With 16 kept, about none."""

ABSENT_TARGET = "server.absent_target"
"""``session.info`` key: the (model, id) a write's scope check just looked up and found absent."""

KNOWN_ABSENT = "server.known_absent"
"""``session.info`` key: identity keys a push's targets look-up found absent under the counter lock
(:func:`commandroom.server.pipeline.prefetch_targets`); a row of one that this session writes leaves it."""


class ServerSession(Session):
    """The county server's session: a create's own look-up of its target is answered from the scope check.

    A server write takes the counter lock before its scope check reads the target row, so when the check finds
    no row, nobody can create it before the mutation looks again (its "does this already exist" test): that
    look-up of that row, while nothing is pending in the session and the row is not in its identity map, is
    answered "absent" without a second query (one statement, and its ORM work, of a create's three or four).
    """

    def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        absent = self.info.get(ABSENT_TARGET)
        if absent is not None and absent == (entity, ident):
            del self.info[ABSENT_TARGET]  # once: any later look-up asks the database
            if not kw and not self.new and identity_key(entity, ident) not in self.identity_map:
                return None
        known = self.info.get(KNOWN_ABSENT)
        if known and not kw and not self.new and isinstance(entity, type):
            key = identity_key(entity, ident)
            if key in known and key not in self.identity_map:
                return None
        return super().get(entity, ident, **kw)


@event.listens_for(ServerSession, "pending_to_persistent")
def _written_is_not_absent(session: Session, instance: Any) -> None:
    """A row this session has just written (flushed) exists: its key is no longer known absent."""
    known = session.info.get(KNOWN_ABSENT)
    if known:
        known.discard(inspect(instance).key)


@dataclass
class ServerState:
    """What every request handler needs; held on ``app.state.server``."""

    db_url: str
    engine: Engine
    sessions: sessionmaker[Session]
    settings: object | None = None
    extras: dict = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.db_url)

    @contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[Session]:
        """A transaction; ``durable``: its commit survives a power cut (see :func:`store.db.durable`)."""
        with self.sessions() as session, session.begin():
            if durable:
                make_durable(session)
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def quick_read(self, work: Callable[[Session], T], sqlite: sessionmaker[Session] | None = None) -> T:
        """``work(session)`` for a short read that needs no transaction: the token check of every request, a pull.

        PostgreSQL: an autocommit session (no ``BEGIN`` and ``ROLLBACK`` round trips; each statement reads its
        own snapshot, as in the READ COMMITTED transaction it replaces) from a small pool of its own without the
        pre-ping (one more round trip per checkout). In a busy server process every round trip is also a wait
        for the GIL. A connection that died (the database restarted) fails its first statement, which discards
        it and the pool's other connections, and ``work`` is done once more on a new one. SQLite: in a session of
        ``sqlite`` (default :attr:`sessions`), rolled back afterwards.
        """
        if self.is_sqlite:
            with (sqlite or self.sessions)() as session:
                try:
                    return work(session)
                finally:
                    session.rollback()
        factory = self.extras.get("quick_sessions")
        if factory is None:
            engine = self.extras["quick_engine"] = make_engine(
                self.db_url, pool_pre_ping=False, pool_size=QUICK_POOL, max_overflow=QUICK_OVERFLOW,
                isolation_level="AUTOCOMMIT")
            factory = self.extras["quick_sessions"] = session_factory(engine, ServerSession)
        for attempt in (1, 2):
            with factory() as session:
                try:
                    return work(session)
                except DBAPIError as exc:
                    if attempt == 2 or not exc.connection_invalidated:
                        raise
        raise AssertionError("not reached")

    def close(self) -> None:
        self.extras.pop("quick_sessions", None)
        quick = self.extras.pop("quick_engine", None)
        if quick is not None:
            quick.dispose()
        self.engine.dispose()


def open_state(db_url: str, *, migrate: bool = True, settings: object | None = None) -> ServerState:
    url = normalise_url(db_url)
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return ServerState(db_url=url, engine=engine, sessions=session_factory(engine, ServerSession), settings=settings)
