"""Process-wide server state: the database engine, sessions and the event broker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from commandroom.store.db import durable as make_durable
from commandroom.store.db import is_sqlite, make_engine, normalise_url, session_factory
from commandroom.store.migrate import upgrade


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

    def close(self) -> None:
        self.engine.dispose()


def open_state(db_url: str, *, migrate: bool = True, settings: object | None = None) -> ServerState:
    url = normalise_url(db_url)
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return ServerState(db_url=url, engine=engine, sessions=session_factory(engine), settings=settings)
