"""Buckets: which clients receive which rows, and which rows a user may change.

* ``county:shared`` — reference data (townships, zones, the list, the catalogue…);
* ``township:<code>`` — a township's operational rows;
* ``zone:<id>`` — a zone team's members, roster and loans.

The server computes a user's buckets from the user's scope; a client never
chooses them. Push authorization checks the *target row's* bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from commandroom.domain.models import (
    REFERENCE_MODELS,
    Base,
    MemberLoan,
    RosterEntry,
    TeamMember,
)
from commandroom.queries import scope as scope_rules

SHARED = "county:shared"
ZONE_TABLES = {TeamMember.__tablename__, RosterEntry.__tablename__, MemberLoan.__tablename__}


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
    return [f"township:{values['township_code']}"]


def buckets_of(row: Base) -> list[str]:
    """The buckets an ORM row is replicated in."""
    return buckets_for_values(row.__tablename__, _RowValues(row))


class _RowValues(Mapping[str, Any]):
    """Read-only mapping view of an ORM row's attributes."""

    def __init__(self, row: Base) -> None:
        self._row = row

    def __getitem__(self, key: str) -> Any:
        return getattr(self._row, key)

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


def scope_buckets_and_townships(session: Session, scope_kind: str, scope_code: str | None,
                                ) -> tuple[list[str], list[str]]:
    """What :func:`buckets_for_scope` and :func:`township_codes_in_scope` give, reading each once."""
    townships = township_codes_in_scope(session, scope_kind, scope_code)
    buckets = [SHARED]
    buckets += [f"township:{c}" for c in townships]
    buckets += [f"zone:{z}" for z in zones_in_scope(session, scope_kind, scope_code)]
    return buckets, townships


def buckets_for_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every bucket a user with this scope reads: shared, its townships, its zones."""
    return scope_buckets_and_townships(session, scope_kind, scope_code)[0]
