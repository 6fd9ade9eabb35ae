"""Geography of the reference data: coordinate conversion and the approximate township areas.

* GCJ-02 ↔ WGS84. Chinese web maps (高德, 腾讯, DataV) publish GCJ-02; everything
  stored in CommandRoom is WGS84. :func:`wgs84_to_gcj02` is the standard forward
  formula; :func:`gcj02_to_wgs84` inverts it iteratively (residual well under 1 cm).
  All functions take and return ``(lon, lat)``, the GeoJSON / shapely order.
* Township areas. No free township boundaries exist for Changshan (see
  data/SOURCES.md), so :func:`build_township_areas` makes Voronoi cells around the
  township seats, computed in a local equirectangular plane (so distances are
  metric-ish), clipped to the county outline, and flagged ``approximate``.

``python -m commandroom.refdata.geo [DATA_DIR]`` rewrites
``township_areas_approx.geojson`` from ``townships.csv`` and
``county_outline_wgs84.geojson``; the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from commandroom.shipped import DATA_DIR

# data/ of the checkout, of a wheel (commandroom/data) or of a PyInstaller bundle: commandroom.shipped
DEFAULT_DATA_DIR = DATA_DIR
OUTLINE_FILE = "county_outline_wgs84.geojson"
AREAS_FILE = "township_areas_approx.geojson"
TOWNSHIPS_FILE = "townships.csv"

AREA_METHOD = (
    "Voronoi cells around the township seats (computed in a local equirectangular projection "
    "centred on the county), clipped to the county outline (DataV GeoAtlas, converted GCJ-02→WGS84). "
    "APPROXIMATE: not an administrative boundary; replace with official 天地图/自然资源局 boundaries."
)

# --------------------------------------------------------------------------- GCJ-02 ↔ WGS84

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its eccentricity squared


def out_of_china(lon: float, lat: float) -> bool:
    """GCJ-02 is only applied inside a rough bounding box of China."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lon: float, lat: float) -> tuple[float, float]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02 (the "Mars" offset of Chinese web maps). Returns ``(lon, lat)``."""
    if out_of_china(lon, lat):
        return lon, lat
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance: float = 1e-9, max_iter: int = 30) -> tuple[float, float]:
    """GCJ-02 → WGS84 by fixed-point iteration of the forward formula. Returns ``(lon, lat)``.

    Converges to ~1e-9° (≈0.1 mm) in a handful of steps; the one-step inverse that
    many snippets use is off by up to a few metres.
    """
    if out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(max_iter):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < tolerance and abs(dlat) < tolerance:
            break
    return wlon, wlat


def transform_geometry(geom: BaseGeometry, convert: Any) -> BaseGeometry:
    """``geom`` with every vertex passed through ``convert(lon, lat)`` (e.g. :func:`wgs84_to_gcj02`)."""
    return shapely.transform(geom, lambda xy: [convert(float(x), float(y)) for x, y in xy])


def gcj02_offset_grid(
    bounds: tuple[float, float, float, float], step: float = 0.01
) -> dict[str, Any]:
    """The GCJ-02 offset sampled on a lon/lat grid over ``bounds`` (west, south, east, north).

    The map page draws WGS84 data over GCJ-02 tiles by adding this offset, interpolated
    bilinearly (over a 0.02° cell its error stays under 0.5 m, a pixel at zoom 18), so the formula itself
    exists only here. Returns ``{"west", "south", "step", "cols", "rows", "dlon", "dlat"}``
    with the offsets row by row from the south.
    """
    west, south, east, north = bounds
    west, south = math.floor(west / step) * step, math.floor(south / step) * step
    cols = math.ceil((east - west) / step) + 2
    rows = math.ceil((north - south) / step) + 2
    dlon: list[float] = []
    dlat: list[float] = []
    for r in range(rows):
        for c in range(cols):
            lon, lat = west + c * step, south + r * step
            glon, glat = wgs84_to_gcj02(lon, lat)
            dlon.append(round(glon - lon, 9))
            dlat.append(round(glat - lat, 9))
    return {"west": west, "south": south, "step": step, "cols": cols, "rows": rows, "dlon": dlon, "dlat": dlat}


# --------------------------------------------------------------------------- files


def read_geojson(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def load_outline(data_dir: Path | str | None = None) -> BaseGeometry:
    """The county outline (WGS84) as one shapely geometry."""
    path = Path(data_dir or DEFAULT_DATA_DIR) / OUTLINE_FILE
    doc = read_geojson(path)
    geoms = [shape(f["geometry"]) for f in doc["features"]]
    return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]


def _read_seats(data_dir: Path) -> list[tuple[str, str, float, float]]:
    with (data_dir / TOWNSHIPS_FILE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(r["code"], r["name"], float(r["seat_lon"]), float(r["seat_lat"])) for r in rows]


# --------------------------------------------------------------------------- township areas


def _round_coords(obj: Any, ndigits: int = 6) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, list | tuple):
        return [_round_coords(v, ndigits) for v in obj]
    return obj


def voronoi_areas(
    seats: list[tuple[str, float, float]], outline: BaseGeometry
) -> dict[str, BaseGeometry]:
    """Voronoi cells around ``(code, lon, lat)`` seats, clipped to ``outline``.

    The cells are computed in a plane where one unit is the same distance north–south
    and east–west (longitudes scaled by cos(latitude) at the outline's centre), then
    mapped back to lon/lat; the mapping is affine, so clipping commutes with it.
    """
    minx, miny, maxx, maxy = outline.bounds
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    k = math.cos(math.radians(lat0))

    def fwd(x: float, y: float) -> tuple[float, float]:
        return ((x - lon0) * k, y - lat0)

    pts = MultiPoint([fwd(lon, lat) for _, lon, lat in seats])
    pad = 1.0
    env = shapely.box((minx - lon0) * k - pad, miny - lat0 - pad, (maxx - lon0) * k + pad, maxy - lat0 + pad)
    cells = shapely.voronoi_polygons(pts, extend_to=env, ordered=True)
    out: dict[str, BaseGeometry] = {}
    for (code, _lon, _lat), cell in zip(seats, cells.geoms, strict=True):
        back = affinity.affine_transform(cell, [1 / k, 0, 0, 1, lon0, lat0])
        clipped = back.intersection(outline)
        out[code] = clipped
    return out


def build_township_areas(data_dir: Path | str | None = None) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of approximate township areas (not written)."""
    data_dir = Path(data_dir or DEFAULT_DATA_DIR)
    outline = load_outline(data_dir)
    seats = _read_seats(data_dir)
    areas = voronoi_areas([(c, lon, lat) for c, _n, lon, lat in seats], outline)
    features = []
    for code, name, lon, lat in seats:
        geom = areas[code]
        if geom.geom_type == "Polygon":
            geom = shapely.MultiPolygon([geom])
        elif geom.geom_type == "GeometryCollection":  # pragma: no cover - degenerate clip
            geom = shapely.MultiPolygon([g for g in geom.geoms if g.geom_type == "Polygon"])
        gj = mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": name,
                    "approximate": True,
                    "method": AREA_METHOD,
                    "seat": [round(lon, 6), round(lat, 6)],
                },
                "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"])},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "changshan_township_areas_approx",
        "crs_note": "WGS84 lon/lat",
        "approximate": True,
        "generator": "python -m commandroom.refdata.geo",
        "features": features,
    }


def write_township_areas(data_dir: Path | str | None = None) -> Path:
    data_dir = Path(data_dir or DEFAULT_DATA_DIR)
    doc = build_township_areas(data_dir)
    path = data_dir / AREAS_FILE
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # one feature per line keeps diffs readable when a seat moves
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"').replace(
        '"features":[{"type":"Feature"', '"features":[\n{"type":"Feature"'
    )
    path.write_text(text + "\n", encoding="utf-8")
    return path


def load_township_areas(data_dir: Path | str | None = None) -> dict[str, BaseGeometry]:
    """``{township code: shapely geometry}`` from the committed approximate-areas file."""
    doc = read_geojson(Path(data_dir or DEFAULT_DATA_DIR) / AREAS_FILE)
    return {f["properties"]["code"]: shape(f["geometry"]) for f in doc["features"]}


def contains(geom: BaseGeometry, lon: float, lat: float) -> bool:
    return bool(shapely.contains_xy(geom, lon, lat))


def point(lon: float, lat: float) -> Point:
    return Point(lon, lat)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    data_dir = Path(argv[0]) if argv else DEFAULT_DATA_DIR
    path = write_township_areas(data_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
