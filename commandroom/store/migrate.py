"""Run the Alembic migrations programmatically (``commandroom migrate``, server start, client open)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HEAD_REVISION = "0010_board_buckets"
"""The newest revision; a test checks it against the migration scripts. Lets a workstation that
is already current skip loading Alembic at start-up (it costs a noticeable part of a cold start)."""


NOT_IN_MODELS_PREFIXES = ("incident_fts", "ix_incident_search_trgm", "local_shadow", "local_touch")
"""Schema the hand-written revisions add that the models do not describe (FTS5 tables, the trigram index,
the workstation's sync bookkeeping):
autogenerate and the models-vs-migrations check leave it alone."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: skip :data:`NOT_IN_MODELS_PREFIXES`."""
    return not (name or "").startswith(NOT_IN_MODELS_PREFIXES)


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config  # imported here: a current workstation never loads Alembic (cold start)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` (idempotent; instant when already current)."""
    if revision == "head" and current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def script_head() -> str:
    """The head revision according to the migration scripts (loads Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migration scripts have no head revision")
    return head
