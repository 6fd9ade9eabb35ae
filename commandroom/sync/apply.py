"""Writing pulled rows into the workstation's SQLite: grouped executemany upserts, tombstones, removes.

Rows arrive as the server's ``row_to_dict`` JSON (ISO date-times, JSON columns as values).
They are written with the raw sqlite3 cursor — one prepared ``INSERT … ON CONFLICT DO UPDATE``
per entity type and column set, ``executemany`` over the page — in the caller's transaction,
storing values exactly as SQLAlchemy's SQLite types store them (so the ORM reads them back).
Unknown fields (a newer server) are ignored; unknown entity types are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Date, DateTime
from sqlalchemy.orm import Session

from commandroom.domain.models import REFERENCE_MODELS, SYNCED_MODELS, Base

log = logging.getLogger(__name__)

MODELS: dict[str, type[Base]] = {**REFERENCE_MODELS, **SYNCED_MODELS}


def _dt(value: Any) -> Any:
    # SQLAlchemy's SQLite DATETIME storage: "YYYY-MM-DD HH:MM:SS.ffffff"
    if value is None or not isinstance(value, str):
        return value
    text = value.replace("T", " ", 1)
    if len(text) > 26:  # a UTC offset or more digits: normalise through datetime
        from commandroom.timeutil import parse_iso

        d = parse_iso(value)
        return None if d is None else d.strftime("%Y-%m-%d %H:%M:%S.%f")
    if "." not in text:
        text += ".000000"
    return text


def _json(value: Any) -> Any:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


@dataclass
class TableInfo:
    model: type[Base]
    table: str
    pk: list[str]
    columns: dict[str, Callable[[Any], Any] | None]
    synced: bool

    def sql(self, cols: tuple[str, ...]) -> str:
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in self.pk)
        conflict = ", ".join(f'"{c}"' for c in self.pk)
        tail = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return f'INSERT INTO "{self.table}" ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) {tail}'


_INFO: dict[str, TableInfo] = {}


def info(entity_type: str) -> TableInfo | None:
    ti = _INFO.get(entity_type)
    if ti is None:
        model = MODELS.get(entity_type)
        if model is None:
            return None
        cols: dict[str, Callable[[Any], Any] | None] = {}
        for col in model.__table__.columns:
            t = col.type
            conv: Callable[[Any], Any] | None = None
            if isinstance(t, DateTime):
                conv = _dt
            elif isinstance(t, Date):
                conv = None  # ISO date text is what SQLAlchemy stores
            elif isinstance(t, JSON):
                conv = _json
            elif isinstance(t, Boolean):
                conv = _bool
            elif t.__class__.__name__ in ("LargeBinary", "_Binary"):
                continue
            cols[col.key] = conv
        ti = TableInfo(model, model.__tablename__, [c.key for c in model.__table__.primary_key], cols,
                       entity_type in SYNCED_MODELS)
        _INFO[entity_type] = ti
    return ti


def raw_cursor(session: Session) -> Any:
    """The sqlite3 cursor of the session's connection (the session's transaction is already open)."""
    driver = session.connection().connection.driver_connection
    if driver is None:  # not reached: an open transaction holds its connection
        raise RuntimeError("the session has no database connection")
    return driver.cursor()


def upsert_rows(session: Session, entity_type: str, rows: Iterable[dict[str, Any]]) -> int:
    """Insert-or-update full rows of one entity type; returns how many were written."""
    ti = info(entity_type)
    if ti is None:
        return 0
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    convs = ti.columns
    n = 0
    last_keys: tuple[str, ...] | None = None
    plan: list[tuple[str, Callable[[Any], Any] | None]] = []
    target: list[tuple[Any, ...]] = []
    for fields in rows:
        keys = tuple(fields)
        if keys != last_keys:
            last_keys = keys
            cols = tuple(k for k in keys if k in convs)
            plan = _plan_cache(ti, cols)
            target = groups.setdefault(cols, [])
        target.append(tuple(fields[k] if c is None else c(fields[k]) for k, c in plan))
        n += 1
    cur = raw_cursor(session)
    for cols, values in groups.items():
        if cols:
            cur.executemany(ti.sql(cols), values)
    return n


_PLANS: dict[tuple[str, tuple[str, ...]], list[tuple[str, Callable[[Any], Any] | None]]] = {}


def _plan_cache(ti: TableInfo, cols: tuple[str, ...]) -> list[tuple[str, Callable[[Any], Any] | None]]:
    key = (ti.table, cols)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = [(k, ti.columns[k]) for k in cols]
    return plan


def delete_rows(session: Session, entity_type: str, ids: Iterable[str]) -> int:
    ti = info(entity_type)
    if ti is None or len(ti.pk) != 1:
        return 0
    keys = [(i,) for i in ids]
    if keys:
        raw_cursor(session).executemany(f'DELETE FROM "{ti.table}" WHERE "{ti.pk[0]}" = ?', keys)
    return len(keys)


def fetch_row(session: Session, entity_type: str, entity_id: str) -> dict[str, Any] | None:
    """A row as the server would send it (``row_to_dict``), read with the ORM."""
    from commandroom.domain.models import row_to_dict

    ti = info(entity_type)
    if ti is None:
        return None
    obj = session.get(ti.model, entity_id)
    return None if obj is None else row_to_dict(obj)


def restore_row(session: Session, entity_type: str, entity_id: str, base: dict[str, Any] | None) -> None:
    """Put a row back to ``base`` (a server version), or remove it when the server never had it."""
    if base is None:
        delete_rows(session, entity_type, [entity_id])
    else:
        upsert_rows(session, entity_type, [base])


def tolerant_json_loads(value: Any) -> Any:
    """SQLite gives a JSON column NUMERIC affinity, so a stored ``3`` or ``1.5`` comes back as a number."""
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def tolerate_numeric_json(engine: Any) -> None:
    """Make JSON columns holding a bare number readable on SQLite (see :func:`tolerant_json_loads`).

    Call before the engine runs its first query: SQLAlchemy caches result processors per dialect.
    """
    if engine.dialect.name == "sqlite":
        engine.dialect._json_deserializer = tolerant_json_loads
