"""incident search: the SQLite FTS5 table and its triggers, the PostgreSQL trigram index

Hand-written (autogenerate does not see virtual tables, triggers or extensions). Until this
revision the desk created them at run time when the incident list first opened.

* SQLite: ``incident_fts``, an external-content FTS5 table over ``incident.search_text`` (the
  pre-tokenised text, see :mod:`commandroom.services.search`), kept in step by three triggers;
  rows already there are indexed once here.
* PostgreSQL: ``pg_trgm`` and a GIN trigram index on ``incident.search_text`` when the
  extension can be created (in a savepoint: without it searches still work, as scans).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 10:00:00
"""

import logging

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_UP = [
    "CREATE VIRTUAL TABLE incident_fts USING fts5("
    "search_text, content='incident', content_rowid='rowid', tokenize='unicode61')",
    "CREATE TRIGGER incident_fts_ai AFTER INSERT ON incident BEGIN "
    "INSERT INTO incident_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER incident_fts_ad AFTER DELETE ON incident BEGIN "
    "INSERT INTO incident_fts(incident_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER incident_fts_au AFTER UPDATE OF search_text ON incident BEGIN "
    "INSERT INTO incident_fts(incident_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO incident_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS incident_fts_au",
    "DROP TRIGGER IF EXISTS incident_fts_ad",
    "DROP TRIGGER IF EXISTS incident_fts_ai",
    "DROP TABLE IF EXISTS incident_fts",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in SQLITE_UP:
            op.execute(sql)
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                bind.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_incident_search_trgm "
                                     "ON incident USING gin (search_text gin_trgm_ops)")
        except Exception as exc:  # noqa: BLE001 - no permission / extension not installed
            log.warning("pg_trgm is not available (%s): incident search works without its index, as scans", exc)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in SQLITE_DOWN:
            op.execute(sql)
    elif bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP INDEX IF EXISTS ix_incident_search_trgm")
