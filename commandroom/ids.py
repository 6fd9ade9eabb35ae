"""Identities: client-generated UUIDv7 for every syncable row; server-assigned human numbers."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    """A UUIDv7 as text: time-ordered, so new rows cluster at the end of the index."""
    return str(uuid6.uuid7())


def human_number(prefix: str, year: int, serial: int) -> str:
    """The number people say on the phone, e.g. QC-2026-000123."""
    return f"{prefix}-{year}-{serial:06d}"
