"""Argument checks for mutations: each failure names the field and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, overload

from commandroom.domain.errors import ValidationError
from commandroom.timeutil import parse_iso

_MISSING = object()


def text(args: dict[str, Any], key: str, *, required: bool = True, max_len: int = 2000, default: str = "") -> str:
    value = args.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise ValidationError(key, "is required")
        return default
    if not isinstance(value, str):
        raise ValidationError(key, f"must be text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise ValidationError(key, "must not be empty")
    if len(value) > max_len:
        raise ValidationError(key, f"is {len(value)} characters long; at most {max_len} allowed")
    return value


@overload
def choice(args: dict[str, Any], key: str, allowed: Iterable[str], *, required: Literal[True] = True,
           default: str | None = None) -> str: ...


@overload
def choice(args: dict[str, Any], key: str, allowed: Iterable[str], *, required: bool, default: str) -> str: ...


@overload
def choice(args: dict[str, Any], key: str, allowed: Iterable[str], *, required: bool,
           default: None = None) -> str | None: ...


def choice(args: dict[str, Any], key: str, allowed: Iterable[str], *, required: bool = True,
           default: str | None = None) -> str | None:
    allowed = list(allowed)
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, f"is required (one of {', '.join(allowed)})")
        return default
    if value not in allowed:
        raise ValidationError(key, f"'{value}' is not one of {', '.join(allowed)}")
    return value


@overload
def number(args: dict[str, Any], key: str, *, required: Literal[True] = True, lo: float | None = None,
           hi: float | None = None) -> float: ...


@overload
def number(args: dict[str, Any], key: str, *, required: bool, lo: float | None = None,
           hi: float | None = None) -> float | None: ...


def number(args: dict[str, Any], key: str, *, required: bool = True, lo: float | None = None,
           hi: float | None = None) -> float | None:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(key, f"must be a number, got {value!r}")
    if value != value:  # NaN
        raise ValidationError(key, "must be a number, got NaN")
    if lo is not None and value < lo:
        raise ValidationError(key, f"{value} is below {lo}")
    if hi is not None and value > hi:
        raise ValidationError(key, f"{value} is above {hi}")
    return float(value)


@overload
def when(args: dict[str, Any], key: str, *, required: Literal[True] = True) -> datetime: ...


@overload
def when(args: dict[str, Any], key: str, *, required: bool) -> datetime | None: ...


def when(args: dict[str, Any], key: str, *, required: bool = True) -> datetime | None:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(key, "must be an ISO 8601 date-time text")
    try:
        return parse_iso(value)
    except ValueError:
        raise ValidationError(key, f"'{value}' is not an ISO 8601 date-time") from None


def id_list(args: dict[str, Any], key: str, *, required: bool = True, max_items: int = 500) -> list[str]:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        raise ValidationError(key, "must be a list of ids")
    if len(value) > max_items:
        raise ValidationError(key, f"has {len(value)} items; at most {max_items}")
    return value


def gps_fix(args: dict[str, Any]) -> dict[str, float] | None:
    """A phone's GPS fix sent with a field act (``lat``, ``lon``, optional ``accuracy`` in metres)."""
    lat, lon = location(args)
    if lat is None or lon is None:
        return None
    out = {"lat": round(lat, 7), "lon": round(lon, 7)}
    acc = number(args, "accuracy", required=False, lo=0, hi=100_000)
    if acc is not None:
        out["accuracy"] = round(acc, 1)
    return out


def location(args: dict[str, Any], *, required: bool = False) -> tuple[float | None, float | None]:
    """WGS84 latitude/longitude, checked to lie in a plausible range for China."""
    lat = number(args, "lat", required=required, lo=-90, hi=90)
    lon = number(args, "lon", required=required, lo=-180, hi=180)
    if (lat is None) != (lon is None):
        raise ValidationError("lat/lon", "give both latitude and longitude, or neither")
    return lat, lon
