"""Buckets: which clients receive which rows, and which rows a user may change.

* ``county:shared`` — reference data (townships, zones, the list, the catalogue…);
* ``township:<code>`` — a township's operational rows;
* ``zone:<id>`` — a zone team's members, roster and loans;
* ``module:<id>`` — one module's board (the module row and its task cards): every desk of the township
  reads all of them, a module lead's desk only the modules it leads (:func:`board_buckets`);
* ``department:<code>`` — a county department's work in every township (its incidents as lead or
  collaborator, its one-thing cases and summonses, with their timelines), for the liaison's desk.
  Which rows that is: :mod:`commandroom.queries.scope` (it needs the row's incident or case, so it
  takes a session). A row is also kept in its township bucket; it never leaves a department bucket
  (a matter the department returned stays in its history).

The server computes a user's buckets from the user's scope; a client never
chooses them. Push authorization checks the *target row's* bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from commandroom.domain.models import (
    REFERENCE_MODELS,
    Base,
    MemberLoan,
    Module,
    RosterEntry,
    TaskCard,
    TeamMember,
)
from commandroom.queries import scope as scope_rules

SHARED = "county:shared"
DEPARTMENT_PREFIX = "department:"
ZONE_TABLES = {TeamMember.__tablename__, RosterEntry.__tablename__, MemberLoan.__tablename__}
MODULE_PREFIX = "module:"
BOARD_TABLES = {Module.__tablename__, TaskCard.__tablename__}


def buckets_for_values(table: str, values: Mapping[str, Any]) -> list[str]:
    """The buckets a row of ``table`` with these column values is replicated in.

    A member loan reaches both the lending and the borrowing zone.
    """
    if table in REFERENCE_MODELS:
        return [SHARED]
    if table == MemberLoan.__tablename__:
        return sorted({f"zone:{values['from_zone_id']}", f"zone:{values['to_zone_id']}"})
    if table in ZONE_TABLES:
        return [f"zone:{values['zone_id']}"]
    if table == Module.__tablename__:
        return [f"{MODULE_PREFIX}{values['id']}"]
    if table == TaskCard.__tablename__:
        return [f"{MODULE_PREFIX}{values['module_id']}"]
    return [f"township:{values['township_code']}"]


def buckets_of(row: Base) -> list[str]:
    """The place buckets an ORM row is replicated in (no department buckets: see :func:`department_buckets`)."""
    return buckets_for_values(row.__tablename__, _RowValues(row))


def department_bucket(code: str) -> str:
    return f"{DEPARTMENT_PREFIX}{code}"


def department_buckets(session: Session, rows: list[Base]) -> list[list[str]]:
    """For each ORM row, the department buckets it is replicated in too (read once for all rows)."""
    items = [(r.__tablename__, _RowValues(r)) for r in rows]
    return [[department_bucket(c) for c in sorted(d)] for d in scope_rules.departments_of_rows(session, items)]


def all_buckets_of(session: Session, rows: list[Base]) -> list[list[str]]:
    """Place and department buckets of each row."""
    return [buckets_of(r) + extra for r, extra in zip(rows, department_buckets(session, rows), strict=True)]


class _RowValues(Mapping[str, Any]):
    """Read-only mapping view of an ORM row's attributes."""

    def __init__(self, row: Base) -> None:
        self._row = row

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self._row, key)
        except AttributeError:
            raise KeyError(key) from None

    def __iter__(self):
        return iter(c.key for c in self._row.__table__.columns)

    def __len__(self) -> int:
        return len(self._row.__table__.columns)


def bucket_of(row: Base) -> str:
    """The first bucket of a row (most rows have exactly one)."""
    return buckets_of(row)[0]


def township_codes_in_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """The townships a scope covers (:func:`commandroom.queries.scope.township_codes`)."""
    return scope_rules.township_codes(session, scope_kind, scope_code)


def zones_in_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """The zones a scope covers (:func:`commandroom.queries.scope.zone_ids`)."""
    return scope_rules.zone_ids(session, scope_kind, scope_code)


def board_buckets(session: Session, townships: list[str] | None, board_lead: str | None = None) -> list[str]:
    """The ``module:<id>`` buckets of these townships (None: the county's), or with ``board_lead`` (a module
    lead's desk) only of the modules that user leads and those without a named lead
    (:func:`commandroom.permissions.leads_board`: the same rule for changes)."""
    q = select(Module.id).order_by(Module.id)
    if townships is not None:
        q = q.where(Module.township_code.in_(townships))
    if board_lead is not None:
        q = q.where(or_(Module.lead_user_id == board_lead, Module.lead_user_id.is_(None), Module.lead_user_id == ""))
    return [f"{MODULE_PREFIX}{m}" for m in session.scalars(q)]


def scope_buckets_and_townships(session: Session, scope_kind: str, scope_code: str | None,
                                department_code: str | None = None,
                                board_lead: str | None = None) -> tuple[list[str], list[str]]:
    """What :func:`buckets_for_scope` and :func:`township_codes_in_scope` give, reading each once.

    ``department_code`` (a liaison's desk): reference data and the department's own bucket; the
    townships are still all of them (it acts, on its own work, in every township). ``board_lead``
    (a module lead's desk): of the townships' boards only those this user leads.
    """
    townships = township_codes_in_scope(session, scope_kind, scope_code)
    if department_code:
        return [SHARED, department_bucket(department_code)], townships
    buckets = [SHARED]
    buckets += [f"township:{c}" for c in townships]
    buckets += [f"zone:{z}" for z in zones_in_scope(session, scope_kind, scope_code)]
    county = scope_kind == "county"
    buckets += board_buckets(session, None if county else townships, board_lead)
    return buckets, townships


def buckets_for_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every bucket a user with this scope reads: shared, its townships, its zones."""
    return scope_buckets_and_townships(session, scope_kind, scope_code)[0]
