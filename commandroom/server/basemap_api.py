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

Files live in ``<data dir>/basemaps`` (``extras['basemaps_dir']`` in tests); they are written by
``commandroom basemap import`` (see :mod:`commandroom.basemap.library`).
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from commandroom.basemap import library
from commandroom.basemap.package import LAYERS, tile_range
from commandroom.domain.models import BaseMap, Township, Zone
from commandroom.refdata import geo
from commandroom.server.auth import Principal, principal
from commandroom.server.photos import _reader

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


def _not_found(message: str) -> HTTPException:
    return HTTPException(404, detail={"code": "not_found", "message": message})


@router.get("")
def listing(request: Request, _who: Principal = Depends(principal)) -> dict:
    state = request.app.state.server
    with state.read() as session:
        return {"basemaps": [library.describe(row) for row in library.current(session)]}


@router.get("/{basemap_id}/package")
def package(basemap_id: str, request: Request, _who: Principal = Depends(principal)) -> Response:
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


def _tile_source(state, layer: str) -> tuple[sqlite3.Connection, threading.Lock, str] | None:
    with state.read() as session:
        rows = [r for r in library.current(session) if r.layer == layer]
        if not rows:
            return None
        sha, fmt = rows[0].sha256, rows[0].tile_format
    cache = state.extras.setdefault("basemap_tile_conns", {})
    with _open_lock:
        if sha not in cache:
            path = library.package_path(basemaps_dir(state), sha)
            if not path.is_file():
                return None
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            cache[sha] = (conn, threading.Lock(), fmt)
        return cache[sha]


MAX_ZONE_TILES = 50_000


@router.get("/{layer}/zones/{zone_id}")
def zone_tiles(layer: str, zone_id: str, request: Request, max_zoom: int | None = None) -> dict:
    """The tile ranges over a zone, per zoom up to ``max_zoom`` (default: the layer's deepest)."""
    _reader(request)
    state = request.app.state.server
    with state.read() as session:
        rows = [r for r in library.current(session) if r.layer == layer]
        if not rows:
            raise _not_found(f"no {layer} base map on the server")
        zone = session.get(Zone, zone_id)
        if zone is None:
            raise _not_found("no such zone")
        areas = [t.area_geojson for t in session.query(Township).filter(Township.zone_id == zone_id)
                 if t.area_geojson]
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
    _reader(request)
    if layer not in LAYERS or not (0 <= z <= 22) or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
        raise _not_found("no such tile")
    state = request.app.state.server

    def read() -> tuple[bytes | None, str]:
        source = _tile_source(state, layer)
        if source is None:
            return None, ""
        conn, lock, fmt = source
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
