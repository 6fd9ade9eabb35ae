"""The map's vector base layers: county outline, township areas, the 7 enforcement zones, grids.

Everything is WGS84 GeoJSON (lon/lat), as stored; nothing is converted for display.

Sources, in order of preference:

* townships: ``Township.area_geojson`` rows of the local store; while the store holds
  none (a fresh workstation before its first reference-data pull), the committed
  ``data/township_areas_approx.geojson``. A township is drawn as *approximate*
  (近似边界) unless its row says ``area_approximate = False``;
* zones: ``Zone.member_codes`` from the store (else ``data/zones.json``), each drawn as
  the dissolved union of its member townships' areas;
* grids: ``Grid.area_geojson`` polygons, or the grid's point when only that is known;
* the county outline: ``data/county_outline_wgs84.geojson``.

No Qt here (pure data), so it is testable and reusable by the wall screen.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel
from sqlalchemy import select

from commandroom.domain.models import Grid, Township, Zone
from commandroom.shipped import DATA_DIR as DEFAULT_DATA_DIR
from commandroom.store.protocol import ReadStore

log = logging.getLogger(__name__)

DATA_DIR = DEFAULT_DATA_DIR  # the checkout's data/, or the wheel's commandroom/data
OUTLINE_FILE = "county_outline_wgs84.geojson"
AREAS_FILE = "township_areas_approx.geojson"
ZONES_FILE = "zones.json"

# Seven distinguishable hues for the zones (ColorBrewer "Set2"-like, darker for borders).
ZONE_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


@dataclass
class BaseLayers:
    """GeoJSON FeatureCollections for the page builder, plus the view's initial bounds."""

    outline: dict[str, Any]
    townships: dict[str, Any]
    zones: dict[str, Any]
    grids: dict[str, Any]
    bounds: tuple[float, float, float, float]  # south, west, north, east
    townships_approximate: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def center(self) -> tuple[float, float]:
        s, w, n, e = self.bounds
        return ((s + n) / 2, (w + e) / 2)


def _fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _geometry(obj: Any) -> BaseGeometry | None:
    """A shapely geometry from a GeoJSON geometry, Feature or FeatureCollection (or None)."""
    if not obj:
        return None
    kind = obj.get("type")
    try:
        if kind == "Feature":
            return _geometry(obj.get("geometry"))
        if kind == "FeatureCollection":
            parts = [g for g in (_geometry(f) for f in obj.get("features", [])) if g is not None]
            return shapely.union_all(parts) if parts else None
        geom = shape(obj)
        return geom if geom.is_valid else geom.buffer(0)
    except Exception as exc:  # noqa: BLE001 - one bad shape must not blank the map
        log.warning("skipping unreadable geometry: %s", exc)
        return None


def _label_point(geom: BaseGeometry) -> list[float]:
    """``[lat, lon]`` for a label: the visual centre (pole of inaccessibility) of the largest part.

    Not the township seat: incidents bunch around the seats, and a label there would sit
    under their clusters.
    """
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    p = polylabel(geom, tolerance=0.0005) if geom.geom_type == "Polygon" else geom.representative_point()
    return [round(p.y, 6), round(p.x, 6)]


def _feature(geom: BaseGeometry, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def load_base_layers(store: ReadStore | None = None, data_dir: str | Path | None = None) -> BaseLayers:
    """Collect the base layers from ``store`` (a DeskStore, optional) and the data files.

    Args:
        store: the workstation's DeskStore; None uses the data files only.
        data_dir: where the committed reference files live (default: the repo's ``data/``).
    """
    data_dir = Path(data_dir) if data_dir else DATA_DIR
    notes: list[str] = []

    outline_doc = _read_json(data_dir / OUTLINE_FILE) if (data_dir / OUTLINE_FILE).exists() else _fc([])
    outline_geom = _geometry(outline_doc)

    db_townships: list[Township] = []
    db_zones: list[Zone] = []
    db_grids: list[Grid] = []
    if store is not None:
        with store.read() as session:
            db_townships = list(session.scalars(select(Township).order_by(Township.code)))
            db_zones = list(session.scalars(select(Zone).order_by(Zone.id)))
            db_grids = list(session.scalars(select(Grid).order_by(Grid.id)))
            session.expunge_all()

    key = _fingerprint(data_dir, db_townships, db_zones, db_grids)
    cached = _BUILT.get(key)
    if cached is not None:
        return cached
    built = _build(data_dir, outline_doc, outline_geom, notes, db_townships, db_zones, db_grids)
    if len(_BUILT) >= 4:
        _BUILT.pop(next(iter(_BUILT)))
    _BUILT[key] = built
    return built


_BUILT: dict[str, BaseLayers] = {}
"""The last few results by the fingerprint of their inputs: a map page rebuilt (a new base-map version, the
wall's watchdog) skips the unions and label points (~0.2–1 s under load). Callers only read the result."""


def _fingerprint(data_dir: Path, townships: list[Township], zones: list[Zone], grids: list[Grid]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for name in (OUTLINE_FILE, AREAS_FILE, ZONES_FILE):
        path = data_dir / name
        st = path.stat() if path.exists() else None
        h.update(repr((str(path), st.st_mtime_ns if st else None, st.st_size if st else None)).encode())
    for t in townships:
        h.update(repr((t.code, t.name, t.area_approximate, t.seat_lat, t.seat_lon, t.area_geojson)).encode())
    for z in zones:
        h.update(repr((z.id, z.name, z.member_codes, z.confidence)).encode())
    for g in grids:
        h.update(repr((g.id, g.name, g.township_code, g.lat, g.lon, g.area_geojson)).encode())
    return h.hexdigest()


def _build(data_dir: Path, outline_doc: dict[str, Any], outline_geom: BaseGeometry | None, notes: list[str],
           db_townships: list[Township], db_zones: list[Zone], db_grids: list[Grid]) -> BaseLayers:

    # -- townships: {code: (name, geometry, approximate, seat)}
    town: dict[str, tuple[str, BaseGeometry, bool, tuple[float, float] | None]] = {}
    for t in db_townships:
        geom = _geometry(t.area_geojson)
        if geom is not None and not geom.is_empty:
            town[t.code] = (t.name, geom, bool(t.area_approximate), (t.seat_lat, t.seat_lon))
    if not town and (data_dir / AREAS_FILE).exists():
        names = {t.code: t.name for t in db_townships}
        for f in _read_json(data_dir / AREAS_FILE).get("features", []):
            props = f.get("properties", {})
            geom = _geometry(f)
            if geom is None or geom.is_empty:
                continue
            seat = props.get("seat")
            town[props["code"]] = (
                names.get(props["code"], props.get("name", props["code"])),
                geom,
                bool(props.get("approximate", True)),
                (seat[1], seat[0]) if seat else None,
            )
        notes.append("township areas from data files")

    # -- zones: [(id, name, members, confidence)]
    zones: list[tuple[str, str, list[str], str]] = [
        (z.id, z.name, list(z.member_codes or []), z.confidence or "") for z in db_zones
    ]
    if not zones and (data_dir / ZONES_FILE).exists():
        for z in _read_json(data_dir / ZONES_FILE).get("zones", []):
            zones.append(
                (
                    z["id"],
                    z.get("name") or z.get("name_zh", z["id"]),
                    list(z["members"]),
                    z.get("confidence", ""),
                )
            )
        notes.append("zones from data files")

    zone_of: dict[str, int] = {}
    zone_features = []
    for index, (zid, zname, members, confidence) in enumerate(zones):
        parts = [town[c][1] for c in members if c in town]
        for c in members:
            zone_of.setdefault(c, index)
        if not parts:
            continue
        # Voronoi cells share exact edges, so the union dissolves the inner borders cleanly;
        # the tiny buffer pair closes hair-line gaps between cells drawn by other tools.
        geom = shapely.union_all(parts).buffer(1e-7).buffer(-1e-7)
        zone_features.append(
            _feature(
                geom,
                {
                    "id": zid,
                    "name": zname,
                    "members": members,
                    "confidence": confidence,
                    "color": ZONE_COLORS[index % len(ZONE_COLORS)],
                    "label": _label_point(geom),
                    "approximate": any(town[c][2] for c in members if c in town),
                },
            )
        )

    township_features = []
    for code, (name, geom, approximate, seat) in sorted(town.items()):
        zi = zone_of.get(code)
        township_features.append(
            _feature(
                geom,
                {
                    "code": code,
                    "name": name,
                    "approximate": approximate,
                    "zone": zones[zi][0] if zi is not None else None,
                    # alone in its zone: its label shares the zone label's spot, so it moves down
                    "stacked": zi is not None and len([c for c in zones[zi][2] if c in town]) == 1,
                    "color": ZONE_COLORS[zi % len(ZONE_COLORS)] if zi is not None else "#888888",
                    "label": _label_point(geom),
                    "seat": [seat[0], seat[1]] if seat else None,
                },
            )
        )

    grid_features = []
    for g in db_grids:
        geom = _geometry(g.area_geojson)
        if geom is None and g.lat is not None and g.lon is not None:
            geom = shapely.Point(g.lon, g.lat)
        if geom is None or geom.is_empty:
            continue
        grid_features.append(_feature(geom, {"id": g.id, "name": g.name, "township": g.township_code}))

    everything = [g for g in (outline_geom, *(v[1] for v in town.values())) if g is not None]
    if everything:
        w, s, e, n = shapely.union_all(everything).bounds
    else:  # Changshan county's bbox, so an empty store still opens on the right place
        w, s, e, n = 118.2518, 28.7697, 118.7596, 29.2185

    return BaseLayers(
        outline=outline_doc,
        townships=_fc(township_features),
        zones=_fc(zone_features),
        grids=_fc(grid_features),
        bounds=(s, w, n, e),
        townships_approximate=any(f["properties"]["approximate"] for f in township_features) or not town,
        notes=notes,
    )
