"""Base maps for desks and the field app.

* ``GET /api/v1/basemaps`` — the newest version of each layer (id, layer, version, crs,
  zooms, bounds, size, sha256 …). Signed-in devices only.
* ``GET /api/v1/basemaps/{id}/package`` — the MBTiles file; HTTP ``Range`` requests are
  answered with 206, so a desk resumes an interrupted download where it stopped and checks
  the whole file's SHA-256 from the listing before using it.
* ``GET /api/v1/basemaps/{layer}/tiles/{z}/{x}/{y}`` — one tile (XYZ rows, from the north) of
  the newest version of a layer, for the field app, which fetches the tiles of its team's zone
  on demand (a bearer token or a grid worker's Open311 ``api_key``). 404 where there is none.
* ``GET /api/v1/basemaps/{layer}/zones/{zone_id}`` — which tiles cover an enforcement zone (its
  townships' areas), zoom by zoom, so the field app can fetch its team's zone ahead of going out.

The listing and the package are the county's one file per layer version, checked by its SHA-256 and shared by
every desk: a package is county-wide by nature (cutting it per caller would make a file per scope to keep, hash
and resume), and a base map's streets are no record of anyone's. So they are not cut to the caller's area; only
desk roles that show a map (``basemap.package``: not the accounts-only administrator, not a grid worker's key or
field token, which get tiles of their own area) may fetch them.

The tile and zone endpoints are limited to the caller's area (its scope in :mod:`commandroom.permissions`):
the county (county roles) gets every tile; a township's desk or grid worker its township; a zone's team its
zone's townships. A zone or a tile outside that area gets the same 404 as one that does not exist (out of
scope is not disclosed). A tile counts as inside when it touches the area grown by :data:`AREA_MARGIN_DEG`,
so the edge of the map does not end in a ragged line.

Files live in ``<data dir>/basemaps`` (``extras['basemaps_dir']`` in tests); they are written by
``commandroom basemap import`` (see :mod:`commandroom.basemap.library`).
"""

from __future__ import annotations

import math
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from commandroom import permissions
from commandroom.basemap import library
from commandroom.basemap.package import LAYERS, tile_range
from commandroom.domain.enums import ScopeKind
from commandroom.domain.models import BaseMap, Township, Zone
from commandroom.queries import scope
from commandroom.refdata import geo
from commandroom.server.auth import Principal, principal

router = APIRouter(prefix="/api/v1/basemaps", tags=["basemaps"])

MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "pbf": "application/x-protobuf"}
_open_lock = threading.Lock()


def basemaps_dir(state) -> Path:
    """``settings.data_dir/basemaps``; else ``extras['basemaps_dir']``; else a temporary folder (tests)."""
    if state.extras.get("basemaps_dir"):
        path = Path(state.extras["basemaps_dir"])
    else:
        data_dir = getattr(getattr(state, "settings", None), "data_dir", None)
        path = Path(data_dir) / "basemaps" if data_dir is not None else Path(
            tempfile.mkdtemp(prefix="commandroom-basemaps-"))
        state.extras["basemaps_dir"] = str(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


AREA_MARGIN_DEG = 0.01  # about 1 km around the caller's area: the tiles at its edge are whole


@dataclass(frozen=True)
class _Caller:
    """Who asks for tiles: the townships of its area (None: the whole county)."""

    townships: tuple[str, ...] | None
    scope_kind: str
    scope_code: str | None


def _caller(request: Request) -> _Caller:
    """The signed-in device (bearer) or the grid worker's Open311 ``api_key``, with ``basemap.read`` and its area."""
    api_key = request.query_params.get("api_key")
    auth = request.headers.get("authorization", "")
    state = request.app.state.server
    if api_key and not auth:
        from commandroom.server.users import user_for_api_key

        with state.read() as session:
            check = user_for_api_key(session, api_key)
        if check.problem or check.user is None:
            raise HTTPException(403, detail={"code": f"api_key_{check.problem}", "message": f"api_key is {check.problem}"})
        holder: Any = check.user
        why = permissions.refusal(holder, "basemap.read")
        if why is not None:
            raise HTTPException(403, detail={"code": "forbidden", "message": why, "rule": "basemap.read"})
    else:
        scheme, _, token = auth.partition(" ")
        creds = HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if token else None
        holder = principal(request, creds)
        holder.require("basemap.read")
    kind, code = holder.scope_kind, holder.scope_code
    if kind == ScopeKind.COUNTY.value:
        return _Caller(None, kind, code)
    with state.read() as session:
        towns = scope.township_codes(session, kind, code or getattr(holder, "township_code", None))
    return _Caller(tuple(towns), kind, code)


def _area_of(state, townships: tuple[str, ...], crs: str):
    """The union of the townships' areas (in the layer's coordinates), grown by the margin; cached per scope."""
    from shapely import prepare
    from shapely.geometry import shape
    from shapely.ops import unary_union

    cache = state.extras.setdefault("basemap_scope_areas", {})
    key = (townships, crs)
    if key not in cache:
        with state.read() as session:
            areas = [t.area_geojson for t in session.query(Township).filter(Township.code.in_(townships))
                     if t.area_geojson]
        area = unary_union([shape(a.get("geometry", a)) for a in areas]) if areas else None
        if area is not None:
            if crs == "gcj02":
                area = geo.transform_geometry(area, geo.wgs84_to_gcj02)
            area = area.buffer(AREA_MARGIN_DEG)
            prepare(area)
        cache[key] = area
    return cache[key]


def _tile_box(z: int, x: int, y: int):
    from shapely.geometry import box

    n = 1 << z
    west, east = x / n * 360.0 - 180.0, (x + 1) / n * 360.0 - 180.0
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    return box(west, south, east, north)


def _not_found(message: str) -> HTTPException:
    return HTTPException(404, detail={"code": "not_found", "message": message})


@router.get("")
def listing(request: Request, who: Principal = Depends(principal)) -> dict:
    who.require("basemap.package")
    state = request.app.state.server
    with state.read() as session:
        return {"basemaps": [library.describe(row) for row in library.current(session)]}


@router.get("/{basemap_id}/package")
def package(basemap_id: str, request: Request, who: Principal = Depends(principal)) -> Response:
    """The whole package (county-wide: see the module's note), for a desk role that shows a map."""
    who.require("basemap.package")
    state = request.app.state.server
    with state.read() as session:
        row = session.get(BaseMap, basemap_id)
        if row is None:
            raise _not_found("no such base map")
        sha, layer, version = row.sha256, row.layer, row.version
    path = library.package_path(basemaps_dir(state), sha)
    if not path.is_file():
        raise _not_found("the base map's file is missing on the server; import it again")
    return FileResponse(path, media_type="application/vnd.sqlite3",
                        filename=f"basemap-{layer}-v{version}.mbtiles",
                        headers={"ETag": f'"{sha}"', "X-Content-SHA256": sha})


def _tile_source(state, layer: str) -> tuple[sqlite3.Connection, threading.Lock, str, str] | None:
    with state.read() as session:
        rows = [r for r in library.current(session) if r.layer == layer]
        if not rows:
            return None
        sha, fmt, crs = rows[0].sha256, rows[0].tile_format, rows[0].crs or "wgs84"
    cache = state.extras.setdefault("basemap_tile_conns", {})
    with _open_lock:
        if sha not in cache:
            path = library.package_path(basemaps_dir(state), sha)
            if not path.is_file():
                return None
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            cache[sha] = (conn, threading.Lock(), fmt)
        conn, lock, fmt = cache[sha]
        return conn, lock, fmt, crs


MAX_ZONE_TILES = 50_000


@router.get("/{layer}/zones/{zone_id}")
def zone_tiles(layer: str, zone_id: str, request: Request, max_zoom: int | None = None) -> dict:
    """The tile ranges over a zone, per zoom up to ``max_zoom`` (default: the layer's deepest).

    Only a zone the caller works in, and of it only the caller's townships (a township desk gets its own
    township's part of its zone; the zone's team and the county get the whole zone).
    """
    who = _caller(request)
    state = request.app.state.server
    with state.read() as session:
        rows = [r for r in library.current(session) if r.layer == layer]
        if not rows:
            raise _not_found(f"no {layer} base map on the server")
        zone = session.get(Zone, zone_id)
        members = [t for t in session.query(Township).filter(Township.zone_id == zone_id)]
        if who.townships is not None:
            members = [t for t in members if t.code in who.townships]
        if zone is None or not members:  # out of the caller's area: the same answer as a zone that does not exist
            raise _not_found("no such zone")
        areas = [t.area_geojson for t in members if t.area_geojson]
        item = library.describe(rows[0])
    if not areas:
        raise _not_found("the zone's townships have no area on the server")
    from shapely.geometry import shape
    from shapely.ops import unary_union

    area = unary_union([shape(a.get("geometry", a)) for a in areas])
    if item["crs"] == "gcj02":
        area = geo.transform_geometry(area, geo.wgs84_to_gcj02)
    w, s, e, n = area.bounds
    top = min(item["max_zoom"], max_zoom if max_zoom is not None else item["max_zoom"])
    ranges, total = [], 0
    for z in range(item["min_zoom"], top + 1):
        x0, y0, x1, y1 = tile_range(z, w, s, e, n)
        count = (x1 - x0 + 1) * (y1 - y0 + 1)
        if total + count > MAX_ZONE_TILES:
            break
        total += count
        ranges.append({"z": z, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "count": count})
    return {"basemap": item, "zone": {"id": zone_id, "name": zone.name}, "bounds": [w, s, e, n],
            "tile_url": f"/api/v1/basemaps/{layer}/tiles/{{z}}/{{x}}/{{y}}", "ranges": ranges, "tiles": total}


@router.get("/{layer}/tiles/{z}/{x}/{y}")
async def tile(layer: str, z: int, x: int, y: int, request: Request) -> Response:
    """One tile of the caller's area (see the module's note); 404 outside it, as where there is no tile."""
    who = await run_in_threadpool(_caller, request)
    if layer not in LAYERS or not (0 <= z <= 22) or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
        raise _not_found("no such tile")
    state = request.app.state.server

    def read() -> tuple[bytes | None, str]:
        source = _tile_source(state, layer)
        if source is None:
            return None, ""
        conn, lock, fmt, crs = source
        if who.townships is not None:
            area = _area_of(state, who.townships, crs)
            if area is None or not area.intersects(_tile_box(z, x, y)):
                return None, ""
        with lock:
            row = conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y)).fetchone()
        return (None if row is None else bytes(row[0])), fmt

    data, fmt = await run_in_threadpool(read)
    if data is None:
        raise _not_found("no tile there")
    headers = {"Cache-Control": "private, max-age=86400"}
    if fmt == "pbf" and data[:2] == b"\x1f\x8b":
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=MIME.get(fmt, "application/octet-stream"), headers=headers)
