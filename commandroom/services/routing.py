"""Routing by the responsibility list (属地管理事项清单): which township, zone, matter and department.

``township_at`` finds the township whose boundary contains a WGS84 point
(shapely, prepared geometries cached per database); a point outside every
township area gives ``None`` (no nearest-seat guessing). ``route`` looks the
category up in the list version in force at a given moment, so an incident
created before a new version took effect keeps the old version's routing.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shapely.geometry import Point, shape
from shapely.ops import unary_union
from shapely.prepared import PreparedGeometry, prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.models import Matter, MatterListVersion, Township, Zone
from commandroom.timeutil import to_local

OUTSIDE_LIST_NAME = "清单外事项"
OUTSIDE_LIST_TOWNSHIP_DUTY = "乡镇受理、县乡联办"
OUTSIDE_LIST_DEPARTMENT_DUTY = "县乡联合办理（县社会治理中心协调牵头部门）"


# ----------------------------------------------------------------------------- township_at

_CACHE: weakref.WeakKeyDictionary[Any, list[tuple[str, PreparedGeometry]]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _geometry(geojson: dict[str, Any]):
    kind = geojson.get("type")
    if kind == "Feature":
        return _geometry(geojson["geometry"])
    if kind == "FeatureCollection":
        return unary_union([_geometry(f) for f in geojson.get("features", [])])
    return shape(geojson)


def _cache_key(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def _township_areas(session: Session) -> list[tuple[str, PreparedGeometry]]:
    key = _cache_key(session)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    areas: list[tuple[str, PreparedGeometry]] = []
    rows = session.execute(
        select(Township.code, Township.area_geojson).where(Township.area_geojson.is_not(None)).order_by(Township.code)
    )
    for code, geojson in rows:
        if not geojson:
            continue
        geom = _geometry(geojson)
        if not geom.is_valid:
            geom = geom.buffer(0)
        areas.append((code, prep(geom)))
    with _CACHE_LOCK:
        _CACHE[key] = areas
    return areas


def invalidate_routing_cache(session_or_bind: Any = None) -> None:
    """Forget cached township geometries (call after township boundaries change).

    With no argument every database's cache is dropped.
    """
    with _CACHE_LOCK:
        if session_or_bind is None:
            _CACHE.clear()
            return
        key = _cache_key(session_or_bind) if isinstance(session_or_bind, Session) else getattr(
            session_or_bind, "engine", session_or_bind)
        _CACHE.pop(key, None)


def township_at(session: Session, lat: float, lon: float) -> str | None:
    """The code of the township whose area covers the WGS84 point, or None outside every area.

    Points on a shared border go to the township with the lowest code (deterministic).
    """
    pt = Point(lon, lat)
    for code, geom in _township_areas(session):
        if geom.covers(pt):
            return code
    return None


# ----------------------------------------------------------------------------- route


@dataclass(frozen=True)
class Routing:
    """Where a matter goes: township, zone, matter (in one list version) and the lead department."""

    township_code: str | None
    zone_id: str | None
    matter_code: str | None
    matter_name: str
    matter_version: int | None
    lead_department_code: str | None
    township_duty: str
    department_duty: str
    is_enforcement: bool
    outside_list: bool
    one_thing_code: str | None
    limits: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)


def _shanghai_date(at: datetime) -> date:
    loc = to_local(at)
    return loc.date()


def version_in_force(session: Session, at: datetime) -> MatterListVersion | None:
    """The list version whose ``effective_from`` is the latest on or before ``at``'s Shanghai date."""
    day = _shanghai_date(at)
    return session.scalars(
        select(MatterListVersion)
        .where(MatterListVersion.effective_from <= day)
        .order_by(MatterListVersion.effective_from.desc(), MatterListVersion.version.desc())
        .limit(1)
    ).first()


def matter_for(session: Session, version: MatterListVersion | None, category_code: str) -> Matter | None:
    """The matter of ``version`` that routes ``category_code``.

    Several matters may list the same category; the one that names it in
    ``default_for`` wins, then one whose first category it is, then the lowest
    matter code among those that list it.
    """
    if version is None:
        return None
    matters = list(session.scalars(select(Matter).where(Matter.version_id == version.id).order_by(Matter.code)))
    covering = [m for m in matters if category_code in (m.category_codes or [])]
    for m in matters:
        if category_code in (getattr(m, "default_for", None) or []):
            return m
    for m in covering:
        if (m.category_codes or [None])[0] == category_code:
            return m
    return covering[0] if covering else None


def find_matter(session: Session, version: MatterListVersion | None, matter_code: str) -> Matter | None:
    if version is None:
        return None
    return session.scalars(
        select(Matter).where(Matter.version_id == version.id, Matter.code == matter_code)
    ).first()


def zone_of(session: Session, township_code: str | None) -> str | None:
    """The enforcement zone whose ``member_codes`` contains the township (or whose hub it is)."""
    if not township_code:
        return None
    zones = list(session.scalars(select(Zone).order_by(Zone.id)))
    for z in zones:
        if township_code in (z.member_codes or []):
            return z.id
    for z in zones:
        if z.hub_code == township_code:
            return z.id
    return None


def routing_from_matter(
    matter: Matter | None,
    version: MatterListVersion | None,
    *,
    township_code: str | None,
    zone_id: str | None,
) -> Routing:
    if matter is None:
        return Routing(
            township_code=township_code,
            zone_id=zone_id,
            matter_code=None,
            matter_name=OUTSIDE_LIST_NAME,
            matter_version=version.version if version is not None else None,
            lead_department_code=None,
            township_duty=OUTSIDE_LIST_TOWNSHIP_DUTY,
            department_duty=OUTSIDE_LIST_DEPARTMENT_DUTY,
            is_enforcement=False,
            outside_list=True,
            one_thing_code=None,
            limits={},
        )
    return Routing(
        township_code=township_code,
        zone_id=zone_id,
        matter_code=matter.code,
        matter_name=matter.name,
        matter_version=version.version if version is not None else None,
        lead_department_code=matter.lead_department_code,
        township_duty=matter.township_duty,
        department_duty=matter.department_duty,
        is_enforcement=bool(matter.is_enforcement),
        outside_list=False,
        one_thing_code=matter.one_thing_code,
        limits=dict(matter.limits or {}),
    )


def route(
    session: Session,
    *,
    category_code: str,
    lat: float | None = None,
    lon: float | None = None,
    at: datetime,
    township_code: str | None = None,
) -> Routing:
    """Route a matter of ``category_code`` at (lat, lon) or in ``township_code``, by the list in force at ``at``.

    ``at`` is naive UTC; the version in force is the one with the latest
    ``effective_from`` on or before ``at``'s date in Shanghai. A category no
    matter covers is outside the list (清单外事项: 乡镇受理、县乡联办).
    """
    if township_code is None and lat is not None and lon is not None:
        township_code = township_at(session, lat, lon)
    version = version_in_force(session, at)
    matter = matter_for(session, version, category_code)
    return routing_from_matter(matter, version, township_code=township_code, zone_id=zone_of(session, township_code))
