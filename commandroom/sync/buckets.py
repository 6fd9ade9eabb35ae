"""Buckets: which clients receive which rows, and which rows a user may change.

* ``county:shared`` — reference data (townships, zones, the list, the catalogue…);
* ``township:<code>`` — a township's operational rows;
* ``zone:<id>`` — a zone team's members, roster and loans.

The server computes a user's buckets from the user's scope; a client never
chooses them. Push authorization checks the *target row's* bucket.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import ScopeKind
from commandroom.domain.models import (
    REFERENCE_MODELS,
    Base,
    MemberLoan,
    RosterEntry,
    TeamMember,
    Township,
    Zone,
)

SHARED = "county:shared"
ZONE_TABLES = {TeamMember.__tablename__, RosterEntry.__tablename__, MemberLoan.__tablename__}


def buckets_of(row: Base) -> list[str]:
    """The buckets a row is replicated in (a loan reaches both the lending and the borrowing zone)."""
    table = row.__tablename__
    if table in REFERENCE_MODELS:
        return [SHARED]
    if isinstance(row, MemberLoan):
        return sorted({f"zone:{row.from_zone_id}", f"zone:{row.to_zone_id}"})
    if table in ZONE_TABLES:
        return [f"zone:{row.zone_id}"]
    return [f"township:{row.township_code}"]


def bucket_of(row: Base) -> str:
    """The first bucket of a row (most rows have exactly one)."""
    return buckets_of(row)[0]


def township_codes_in_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """The townships a scope covers: its own, its zone's members, or all of the county."""
    if scope_kind == ScopeKind.COUNTY:
        return list(session.scalars(select(Township.code).order_by(Township.code)))
    if scope_kind == ScopeKind.ZONE:
        zone = session.get(Zone, scope_code)
        return sorted(zone.member_codes) if zone else []
    return [scope_code] if scope_code else []


def zones_in_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    if scope_kind == ScopeKind.COUNTY:
        return list(session.scalars(select(Zone.id).order_by(Zone.id)))
    if scope_kind == ScopeKind.ZONE:
        return [scope_code] if scope_code else []
    zone_ids = [z.id for z in session.scalars(select(Zone)) if scope_code in (z.member_codes or [])]
    return sorted(zone_ids)


def buckets_for_scope(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every bucket a user with this scope reads: shared, its townships, its zones."""
    buckets = [SHARED]
    buckets += [f"township:{c}" for c in township_codes_in_scope(session, scope_kind, scope_code)]
    buckets += [f"zone:{z}" for z in zones_in_scope(session, scope_kind, scope_code)]
    return buckets
