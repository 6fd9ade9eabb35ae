"""Time: stored in UTC, shown in Asia/Shanghai. The server's clock decides order and deadlines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC now (the database stores naive UTC on SQLite and PostgreSQL alike)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(dt: datetime) -> datetime:
    """Normalise any datetime to naive UTC."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


@overload
def to_local(dt: datetime) -> datetime: ...


@overload
def to_local(dt: None) -> None: ...


def to_local(dt: datetime | None) -> datetime | None:
    """Naive-UTC → aware Asia/Shanghai, for display."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(SHANGHAI)


def local_to_utc(dt: datetime) -> datetime:
    """A naive wall-clock time in Shanghai → naive UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return as_utc(dt)


def fmt_local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    loc = to_local(dt)
    return loc.strftime(fmt) if loc else ""


@overload
def iso(dt: datetime) -> str: ...


@overload
def iso(dt: None) -> None: ...


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="microseconds") if dt else None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
