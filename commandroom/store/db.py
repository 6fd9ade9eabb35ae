"""Engines and sessions for SQLite and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit is atomic and consistent, but the last
commits before a power loss may be rolled back. A transaction that carries what a person entered (a
desk's mutation and its outbox entry) or what the server acknowledges (a push) calls :func:`durable`,
which makes its commit ``synchronous=FULL`` (the WAL is synced before COMMIT returns); the connection
goes back to NORMAL when it returns to the pool. A *writer* engine opens
every transaction with ``BEGIN IMMEDIATE`` so a reader that later writes cannot
deadlock against another writer; a *reader* engine keeps deferred transactions
so the UI thread never waits behind the sync writer (WAL readers see the last
committed snapshot).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def _json_serializer(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _json_deserializer(value: object) -> object:
    # SQLite's numeric affinity turns a stored JSON text like "2.0" back into a number.
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and plain file paths; use psycopg 3 for PostgreSQL."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        # render_as_string keeps the password percent-encoded (p%40ss%2Fw0rd stays one password)
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def make_engine(url: str, *, writer: bool = True, echo: bool = False, **server: Any) -> Engine:
    """Create an engine with the project's connection settings.

    Args:
        url: SQLAlchemy URL or a file path (SQLite).
        writer: for SQLite, open transactions with BEGIN IMMEDIATE.
        server: PostgreSQL only, instead of the defaults: ``pool_pre_ping``, ``pool_size``, ``max_overflow``,
            ``isolation_level``.
    """
    url = normalise_url(url)
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=_json_serializer,
            json_deserializer=_json_deserializer,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if path == ":memory:" else None,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Let SQLAlchemy, not the driver, decide when a transaction begins.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        @event.listens_for(engine, "checkin")
        def _on_checkin(dbapi_conn, record):
            if record.info.pop(_FULL_SYNC, False):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

        begin_sql = "BEGIN IMMEDIATE" if writer else "BEGIN"

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            if conn.get_execution_options().get(_FULL_SYNC):
                # the safety level cannot change inside a transaction: set it on the raw connection first
                record_info = conn.connection.info
                if not record_info.get(_FULL_SYNC):
                    conn.connection.driver_connection.execute("PRAGMA synchronous=FULL")
                    record_info[_FULL_SYNC] = True
            conn.exec_driver_sql(begin_sql)

        return engine
    return create_engine(
        url,
        echo=echo,
        json_serializer=_json_serializer,
        json_deserializer=_json_deserializer,
        **({"pool_pre_ping": True, "pool_size": int(os.environ.get("COMMANDROOM_DB_POOL", "10")), "max_overflow": 20}
           | server),
    )


_FULL_SYNC = "commandroom.full_sync"


def durable(session: Session) -> None:
    """Make this session's transaction survive a power cut once committed (SQLite: ``synchronous=FULL``).

    WAL with NORMAL may roll back the last commits after a power loss; FULL syncs the WAL at COMMIT. Only
    for transactions whose loss nobody could repair (what a person entered, what the server acknowledged):
    pulled pages can be pulled again and stay NORMAL. PostgreSQL commits durably already (its default).
    Call it first in the transaction: the options apply when the session procures its connection.
    """
    session.connection(execution_options={_FULL_SYNC: True})


def session_factory(engine: Engine, session_class: type[Session] = Session) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=session_class, expire_on_commit=False, future=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with factory() as session, session.begin():
        yield session
