"""Read, validate and load the reference data in ``data/``.

Two steps, so that nothing is half-loaded:

1. :func:`read_reference` reads every file and checks it completely (columns,
   codes, cross-references, numbers, coordinates inside the county outline…). A
   problem raises :class:`~commandroom.domain.errors.ReferenceDataError` naming the
   file, the 1-based data row (the item number in a JSON list) and the field; the
   message also lists the next few problems so one edit round fixes several.
2. :func:`load_reference` upserts the validated rows into a session (the caller's
   transaction). Rows are matched by code / primary key (matters by version + code),
   only changed columns are written, and a second load changes nothing. Rows that
   disappeared from the files are kept (incidents refer to them) and counted as
   ``stale``.

:func:`load_reference_data` does both against a database URL in one transaction.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.errors import ReferenceDataError
from commandroom.domain.models import (
    Base,
    Department,
    EventCategory,
    Grid,
    Matter,
    MatterListVersion,
    OneThingType,
    Township,
    UrgencyLevel,
    Village,
    Zone,
)
from commandroom.refdata.geo import AREAS_FILE, DEFAULT_DATA_DIR, OUTLINE_FILE

TOWNSHIPS = "townships.csv"
ZONES = "zones.json"
VILLAGES = "villages.csv"
GRIDS = "grids.csv"
DEPARTMENTS = "departments.csv"
CATEGORIES = "event_categories.json"
URGENCY = "urgency_levels.json"
VERSIONS = "responsibility_list_versions.json"
MATTERS = "responsibility_list.csv"
ONE_THINGS = "one_thing_catalogue.json"
MODULES = "modules.json"

ALL_FILES = (
    OUTLINE_FILE, TOWNSHIPS, ZONES, AREAS_FILE, VILLAGES, GRIDS, DEPARTMENTS, MODULES,
    CATEGORIES, URGENCY, VERSIONS, ONE_THINGS, MATTERS,
)

LIMIT_FIELDS = {"ack_minutes": int, "onsite_minutes": int, "close_workdays": float}
TOWNSHIP_KINDS = {"街道", "镇", "乡"}
VILLAGE_KINDS = {"社区", "行政村"}
CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
NBS_RE = re.compile(r"^\d{9}$")
PREFIX_RE = re.compile(r"^[A-Z]{2}$")
HAS_ZONE_NEIGHBOURS = "neighbour_ids" in Zone.__table__.columns
# a point may sit this far (degrees, ≈100 m) outside the simplified web-map outline
OUTLINE_TOLERANCE = 0.001
_NS = uuid.UUID("6f1c2a52-3308-4220-9a1e-2a6a1d6a0822")


def stable_id(kind: str, key: str) -> str:
    """A deterministic id for reference rows whose primary key is a surrogate (versions, matters)."""
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


# --------------------------------------------------------------------------- problems


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, int | None, str | None, str]] = []

    def add(self, file: str, row: int | None, fld: str | None, problem: str) -> None:
        self.items.append((file, row, fld, problem))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        err = ReferenceDataError(*first)
        rest = self.items[1:]
        if rest:
            more = "; ".join(str(ReferenceDataError(*p)) for p in rest[:5])
            tail = f" … and {len(rest) - 5} more" if len(rest) > 5 else ""
            err.message = f"{err.message}\n({len(rest)} more problem(s): {more}{tail})"
            err.args = (err.message,)
        err.others = rest  # type: ignore[attr-defined]
        raise err


class _Abort(Exception):
    """A file cannot be read at all; later checks that need it are skipped."""


# --------------------------------------------------------------------------- parsing helpers


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "是", "t"):
        return True
    if text in ("false", "0", "no", "n", "否", "f", ""):
        return False
    return None


class _Rows:
    """Field access with problem reporting for one file."""

    def __init__(self, problems: _Problems, file: str) -> None:
        self.p = problems
        self.file = file

    def err(self, row: int | None, fld: str | None, problem: str) -> None:
        self.p.add(self.file, row, fld, problem)

    def text(self, rec: dict, row: int, fld: str, *, required: bool = True, max_len: int | None = None) -> str:
        value = rec.get(fld)
        value = "" if value is None else str(value).strip()
        if required and not value:
            self.err(row, fld, "is empty")
        if max_len and len(value) > max_len:
            self.err(row, fld, f"is {len(value)} characters long (at most {max_len})")
        return value

    def code(self, rec: dict, row: int, fld: str, pattern: re.Pattern[str] = CODE_RE, what: str = "") -> str:
        value = self.text(rec, row, fld)
        if value and not pattern.match(value):
            self.err(row, fld, f"'{value}' is not a valid code{what or ' (ASCII letters, digits, _ or -, at most 32)'}")
        return value

    def number(
        self, rec: dict, row: int, fld: str, *, kind: type = float, required: bool = True,
        minimum: float | None = None, exclusive_min: bool = False,
    ) -> Any:
        raw = rec.get(fld)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.err(row, fld, "is empty")
            return None
        if isinstance(raw, bool):
            self.err(row, fld, f"'{raw}' is not a number")
            return None
        try:
            value = float(str(raw).strip().replace("_", ""))
        except ValueError:
            self.err(row, fld, f"'{raw}' is not a number")
            return None
        if not math.isfinite(value):
            self.err(row, fld, f"'{raw}' is not a finite number")
            return None
        if kind is int:
            if value != int(value):
                self.err(row, fld, f"'{raw}' is not a whole number")
                return None
            value = int(value)
        if minimum is not None and (value <= minimum if exclusive_min else value < minimum):
            self.err(row, fld, f"{raw} must be {'greater than' if exclusive_min else 'at least'} {minimum:g}")
            return None
        return value

    def flag(self, rec: dict, row: int, fld: str, default: bool | None = None) -> bool:
        raw = rec.get(fld)
        if (raw is None or raw == "") and default is not None:
            return default
        value = _bool(raw)
        if value is None:
            self.err(row, fld, f"'{raw}' is not true/false")
            return False
        return value

    def str_list(self, rec: dict, row: int, fld: str, *, required: bool = True) -> list[str]:
        raw = rec.get(fld)
        if raw is None or raw == "":
            if required:
                self.err(row, fld, "is empty")
            return []
        if isinstance(raw, str):
            items = [x.strip() for x in re.split(r"[;；]", raw) if x.strip()]
        elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            items = [x.strip() for x in raw]
        else:
            self.err(row, fld, "must be a list of texts")
            return []
        if required and not items:
            self.err(row, fld, "is empty")
        if len(set(items)) != len(items):
            self.err(row, fld, "lists the same value twice")
        return items


def _read_csv(problems: _Problems, data_dir: Path, name: str, required: Iterable[str]) -> list[dict[str, str]]:
    path = data_dir / name
    if not path.is_file():
        problems.add(name, None, None, f"file not found in {data_dir}")
        raise _Abort
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            for col in missing:
                problems.add(name, None, col, "missing column")
            if missing:
                raise _Abort
            reader.fieldnames = header
            rows = []
            for i, rec in enumerate(reader, start=1):
                if None in rec:
                    problems.add(name, i, None, f"has {len(header) + len(rec[None])} values for {len(header)} columns")
                rows.append({k: (v if v is not None else "") for k, v in rec.items() if k is not None})
            return rows
    except UnicodeDecodeError as exc:
        problems.add(name, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        raise _Abort from None


def _read_json(problems: _Problems, data_dir: Path, name: str) -> Any:
    path = data_dir / name
    if not path.is_file():
        problems.add(name, None, None, f"file not found in {data_dir}")
        raise _Abort
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        problems.add(name, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        raise _Abort from None
    except json.JSONDecodeError as exc:
        problems.add(name, None, None, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        raise _Abort from None


def _json_items(
    problems: _Problems, data_dir: Path, name: str, key: str, required: set[str], optional: set[str]
) -> list[dict[str, Any]]:
    doc = _read_json(problems, data_dir, name)
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        problems.add(name, None, key, "missing list")
        raise _Abort
    out = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.add(name, i, None, "must be an object")
            continue
        for k in sorted(required - item.keys()):
            problems.add(name, i, k, "missing")
        for k in sorted(item.keys() - required - optional):
            if not k.startswith("_"):
                problems.add(name, i, k, "unknown field (a typo?)")
        out.append(item)
    return out


def _dupes(rows: list[dict], key: Callable[[dict], Any], rp: _Rows, fld: str) -> None:
    seen: dict[Any, int] = {}
    for i, rec in enumerate(rows, start=1):
        k = key(rec)
        if k in (None, "", ()):
            continue
        if k in seen:
            rp.err(i, fld, f"duplicate '{k if not isinstance(k, tuple) else ' / '.join(map(str, k))}' "
                           f"(first in row {seen[k]})")
        else:
            seen[k] = i


# --------------------------------------------------------------------------- the validated data


@dataclass
class ReferenceData:
    """Everything in ``data/``, validated, as model-ready column dicts."""

    data_dir: Path
    outline: BaseGeometry
    areas: dict[str, BaseGeometry]
    zones: list[dict[str, Any]] = field(default_factory=list)
    townships: list[dict[str, Any]] = field(default_factory=list)
    villages: list[dict[str, Any]] = field(default_factory=list)
    grids: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    urgency_levels: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    matters: list[dict[str, Any]] = field(default_factory=list)
    one_things: list[dict[str, Any]] = field(default_factory=list)
    modules: list[dict[str, Any]] = field(default_factory=list)

    def table_rows(self) -> list[tuple[type[Base], list[dict[str, Any]]]]:
        """Rows per model, parents before children."""
        return [
            (Zone, self.zones),
            (Township, self.townships),
            (Village, self.villages),
            (Grid, self.grids),
            (Department, self.departments),
            (EventCategory, self.categories),
            (UrgencyLevel, self.urgency_levels),
            (MatterListVersion, self.versions),
            (OneThingType, self.one_things),
            (Matter, self.matters),
        ]


def read_reference(data_dir: str | Path | None = None) -> ReferenceData:
    """Read and validate every reference file; raise ReferenceDataError on the first problem."""
    data_dir = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    if not data_dir.is_dir():
        raise ReferenceDataError(str(data_dir), None, None, "reference-data folder not found")
    p = _Problems()
    outline = _read_outline(p, data_dir)
    p.raise_if_any()
    ref = ReferenceData(data_dir=data_dir, outline=outline, areas={})
    inside = outline.buffer(OUTLINE_TOLERANCE)

    def step(fn: Callable[[], None]) -> None:
        with contextlib.suppress(_Abort):
            fn()

    step(lambda: _townships(p, ref, inside))
    step(lambda: _zones(p, ref))
    step(lambda: _areas(p, ref))
    step(lambda: _villages_grids(p, ref, inside))
    step(lambda: _departments(p, ref))
    step(lambda: _modules(p, ref))
    step(lambda: _categories(p, ref))
    step(lambda: _urgency(p, ref))
    step(lambda: _versions(p, ref))
    step(lambda: _one_things(p, ref))
    step(lambda: _matters(p, ref))
    p.raise_if_any()
    return ref


def _read_outline(p: _Problems, data_dir: Path) -> BaseGeometry:
    try:
        doc = _read_json(p, data_dir, OUTLINE_FILE)
    except _Abort:
        return shapely.Polygon()
    try:
        geoms = [shape(f["geometry"]) for f in doc["features"]]
        geom = shapely.union_all(geoms)
    except Exception as exc:  # noqa: BLE001 - any malformed GeoJSON
        p.add(OUTLINE_FILE, None, "geometry", f"not a readable GeoJSON geometry ({exc})")
        return shapely.Polygon()
    if geom.is_empty or geom.area <= 0:
        p.add(OUTLINE_FILE, None, "geometry", "the county outline is empty")
    return geom


def _coord(rp: _Rows, rec: dict, row: int, inside: BaseGeometry, lat_f: str, lon_f: str, *,
           required: bool = True) -> tuple[float | None, float | None]:
    lat = rp.number(rec, row, lat_f, required=required)
    lon = rp.number(rec, row, lon_f, required=required)
    if lat is None or lon is None:
        return lat, lon
    if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
        rp.err(row, lat_f if not -90 <= lat <= 90 else lon_f, f"({lat}, {lon}) is not a latitude/longitude")
    elif not shapely.contains_xy(inside, lon, lat):
        rp.err(row, f"{lat_f}/{lon_f}", f"({lat}, {lon}) lies outside the county outline (WGS84; lat before lon?)")
    return lat, lon


def _townships(p: _Problems, ref: ReferenceData, inside: BaseGeometry) -> None:
    cols = ["code", "name", "short_name", "pinyin", "kind", "urban", "number_prefix", "seat_lat", "seat_lon",
            "seat_quality", "population"]
    rows = _read_csv(p, ref.data_dir, TOWNSHIPS, cols)
    rp = _Rows(p, TOWNSHIPS)
    for i, r in enumerate(rows, start=1):
        code = rp.code(r, i, "code", NBS_RE, " (a 9-digit NBS code)")
        kind = rp.text(r, i, "kind")
        if kind and kind not in TOWNSHIP_KINDS:
            rp.err(i, "kind", f"'{kind}' is not one of {'/'.join(sorted(TOWNSHIP_KINDS))}")
        prefix = rp.text(r, i, "number_prefix")
        if prefix and not PREFIX_RE.match(prefix):
            rp.err(i, "number_prefix", f"'{prefix}' must be two capital letters (e.g. QC)")
        lat, lon = _coord(rp, r, i, inside, "seat_lat", "seat_lon")
        ref.townships.append(
            {
                "code": code,
                "name": rp.text(r, i, "name", max_len=32),
                "short_name": rp.text(r, i, "short_name", max_len=16),
                "pinyin": rp.text(r, i, "pinyin", required=False, max_len=32),
                "kind": kind,
                "seat_lat": lat,
                "seat_lon": lon,
                "seat_quality": rp.text(r, i, "seat_quality", required=False, max_len=128),
                "number_prefix": prefix,
                "zone_id": None,
                "area_geojson": None,
                "area_approximate": True,
                "population": rp.number(r, i, "population", kind=int, required=False, minimum=0),
                "urban": rp.flag(r, i, "urban"),
            }
        )
    _dupes(ref.townships, lambda t: t["code"], rp, "code")
    _dupes(ref.townships, lambda t: t["name"], rp, "name")
    _dupes(ref.townships, lambda t: t["number_prefix"], rp, "number_prefix")


def _zones(p: _Problems, ref: ReferenceData) -> None:
    items = _json_items(p, ref.data_dir, ZONES, "zones", {"id", "name", "hub", "members"},
                        {"confidence", "note", "neighbours"})
    rp = _Rows(p, ZONES)
    towns = {t["code"]: t for t in ref.townships}
    zone_of: dict[str, tuple[str, int]] = {}
    for i, z in enumerate(items, start=1):
        zid = rp.code(z, i, "id")
        hub = rp.text(z, i, "hub")
        members = rp.str_list(z, i, "members")
        for m in members:
            if m not in towns:
                rp.err(i, "members", f"'{m}' is not a township code in {TOWNSHIPS}")
            elif m in zone_of:
                rp.err(i, "members", f"township {m} is already in zone {zone_of[m][0]} (row {zone_of[m][1]})")
            else:
                zone_of[m] = (zid, i)
        if hub and hub not in towns:
            rp.err(i, "hub", f"'{hub}' is not a township code in {TOWNSHIPS}")
        elif hub and hub not in members:
            rp.err(i, "hub", f"hub {hub} is not one of the zone's members")
        row = {
            "id": zid,
            "name": rp.text(z, i, "name", max_len=32),
            "hub_code": hub,
            "member_codes": members,
            "confidence": str(z.get("confidence") or "proposed")[:128],
        }
        if HAS_ZONE_NEIGHBOURS:
            row["neighbour_ids"] = rp.str_list(z, i, "neighbours", required=False)
        ref.zones.append(row)
    _dupes(ref.zones, lambda z: z["id"], rp, "id")
    if HAS_ZONE_NEIGHBOURS:
        ids = {z["id"] for z in ref.zones}
        neighbours = {z["id"]: set(z["neighbour_ids"]) for z in ref.zones}
        for i, z in enumerate(ref.zones, start=1):
            for n in z["neighbour_ids"]:
                if n == z["id"]:
                    rp.err(i, "neighbours", "a zone cannot be its own neighbour")
                elif n not in ids:
                    rp.err(i, "neighbours", f"'{n}' is not a zone id")
                elif z["id"] not in neighbours[n]:
                    rp.err(i, "neighbours", f"zone {n} does not list {z['id']} back (neighbours are mutual)")
    for t in ref.townships:
        if t["code"] and t["code"] not in zone_of:
            rp.err(None, "members", f"township {t['code']} ({t['name']}) belongs to no zone")
        elif t["code"]:
            t["zone_id"] = zone_of[t["code"]][0]


def _areas(p: _Problems, ref: ReferenceData) -> None:
    doc = _read_json(p, ref.data_dir, AREAS_FILE)
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        p.add(AREAS_FILE, None, "features", "missing list")
        raise _Abort
    rp = _Rows(p, AREAS_FILE)
    towns = {t["code"]: t for t in ref.townships}
    for i, f in enumerate(feats, start=1):
        props = f.get("properties") or {}
        code = str(props.get("code") or "")
        if code not in towns:
            rp.err(i, "properties.code", f"'{code}' is not a township code in {TOWNSHIPS}")
            continue
        if code in ref.areas:
            rp.err(i, "properties.code", f"duplicate area for township {code}")
            continue
        try:
            geom = shape(f["geometry"])
        except Exception as exc:  # noqa: BLE001
            rp.err(i, "geometry", f"not a readable GeoJSON geometry ({exc})")
            continue
        if geom.is_empty or not geom.is_valid or geom.geom_type not in ("Polygon", "MultiPolygon"):
            rp.err(i, "geometry", "must be a valid, non-empty (Multi)Polygon")
            continue
        t = towns[code]
        if t["seat_lat"] is not None and t["seat_lon"] is not None and not shapely.contains_xy(
            geom, t["seat_lon"], t["seat_lat"]
        ):
            rp.err(i, "geometry", f"the seat of {t['name']} lies outside its area; regenerate with "
                                  "`python -m commandroom.refdata.geo`")
        ref.areas[code] = geom
        t["area_geojson"] = f["geometry"]
        t["area_approximate"] = bool(props.get("approximate", True))
    for code, t in towns.items():
        if code and code not in ref.areas:
            rp.err(None, "features", f"no area for township {code} ({t['name']})")


def _villages_grids(p: _Problems, ref: ReferenceData, inside: BaseGeometry) -> None:
    towns = {t["code"] for t in ref.townships}
    rows = _read_csv(p, ref.data_dir, VILLAGES, ["id", "township_code", "name", "kind", "lat", "lon"])
    rp = _Rows(p, VILLAGES)
    for i, r in enumerate(rows, start=1):
        tc = rp.text(r, i, "township_code")
        if tc and tc not in towns:
            rp.err(i, "township_code", f"'{tc}' is not a township code in {TOWNSHIPS}")
        kind = rp.text(r, i, "kind")
        if kind and kind not in VILLAGE_KINDS:
            rp.err(i, "kind", f"'{kind}' is not one of {'/'.join(sorted(VILLAGE_KINDS))}")
        lat, lon = _coord(rp, r, i, inside, "lat", "lon", required=False)
        ref.villages.append({"id": rp.code(r, i, "id"), "township_code": tc, "name": rp.text(r, i, "name", max_len=32),
                             "kind": kind, "lat": lat, "lon": lon})
    _dupes(ref.villages, lambda v: v["id"], rp, "id")
    _dupes(ref.villages, lambda v: (v["township_code"], v["name"]), rp, "name")
    village_town = {v["id"]: v["township_code"] for v in ref.villages}
    rows = _read_csv(p, ref.data_dir, GRIDS, ["id", "village_id", "township_code", "name", "lat", "lon"])
    rp = _Rows(p, GRIDS)
    for i, r in enumerate(rows, start=1):
        vid = rp.text(r, i, "village_id")
        tc = rp.text(r, i, "township_code")
        if vid and vid not in village_town:
            rp.err(i, "village_id", f"'{vid}' is not a village id in {VILLAGES}")
        elif vid and tc != village_town[vid]:
            rp.err(i, "township_code", f"'{tc}' differs from the township of village {vid} ({village_town[vid]})")
        lat, lon = _coord(rp, r, i, inside, "lat", "lon", required=False)
        ref.grids.append({"id": rp.code(r, i, "id"), "village_id": vid, "township_code": tc,
                          "name": rp.text(r, i, "name", max_len=48), "lat": lat, "lon": lon, "area_geojson": None})
    _dupes(ref.grids, lambda g: g["id"], rp, "id")


def _departments(p: _Problems, ref: ReferenceData) -> None:
    rows = _read_csv(p, ref.data_dir, DEPARTMENTS, ["code", "name", "short_name", "kind"])
    rp = _Rows(p, DEPARTMENTS)
    for i, r in enumerate(rows, start=1):
        ref.departments.append({"code": rp.code(r, i, "code"), "name": rp.text(r, i, "name", max_len=64),
                                "short_name": rp.text(r, i, "short_name", max_len=32),
                                "kind": rp.text(r, i, "kind", max_len=32) or "county"})
    _dupes(ref.departments, lambda d: d["code"], rp, "code")
    _dupes(ref.departments, lambda d: d["name"], rp, "name")


def _modules(p: _Problems, ref: ReferenceData) -> None:
    items = _json_items(p, ref.data_dir, MODULES, "modules", {"name", "sort_order", "wip_limit"},
                        {"lead_title", "covers", "linked_offices", "member_posts"})
    rp = _Rows(p, MODULES)
    for i, m in enumerate(items, start=1):
        posts = m.get("member_posts") or []
        if not isinstance(posts, list) or not all(isinstance(x, dict) and x.get("post") for x in posts):
            rp.err(i, "member_posts", "must be a list of {post, department, dispatched}")
            posts = []
        ref.modules.append({
            "name": rp.text(m, i, "name", max_len=32),
            "sort_order": rp.number(m, i, "sort_order", kind=int),
            "wip_limit": rp.number(m, i, "wip_limit", kind=int, minimum=1),
            "lead_title": str(m.get("lead_title") or ""),
            "member_posts": posts,
        })
    _dupes(ref.modules, lambda m: m["name"], rp, "name")


def _categories(p: _Problems, ref: ReferenceData) -> None:
    items = _json_items(p, ref.data_dir, CATEGORIES, "categories",
                        {"code", "name", "module", "related", "urban_weight", "rural_weight"},
                        {"name_en", "platform", "group", "note", "closure"})
    rp = _Rows(p, CATEGORIES)
    modules = {m["name"] for m in ref.modules}
    codes = {str(c.get("code") or "") for c in items}
    for i, c in enumerate(items, start=1):
        code = rp.code(c, i, "code")
        module = rp.text(c, i, "module")
        if modules and module and module not in modules:
            rp.err(i, "module", f"'{module}' is not a module in {MODULES}")
        related = rp.str_list(c, i, "related", required=False)
        for r in related:
            if r == code:
                rp.err(i, "related", "a category cannot be related to itself")
            elif r not in codes:
                rp.err(i, "related", f"'{r}' is not a category code")
        ref.categories.append({
            "code": code, "name": rp.text(c, i, "name", max_len=64), "module": module,
            "platform": str(c.get("platform") or "")[:32], "group": str(c.get("group") or "")[:32],
            "related": related,
            "urban_weight": rp.number(c, i, "urban_weight", minimum=0),
            "rural_weight": rp.number(c, i, "rural_weight", minimum=0),
            "closure": _closure(rp, i, c.get("closure")),
        })
    _dupes(ref.categories, lambda c: c["code"], rp, "code")
    _dupes(ref.categories, lambda c: c["name"], rp, "name")


def _closure(rp: _Rows, row: int, value: Any) -> dict[str, str] | None:
    from commandroom.services.closure import parse_rule

    rule, problems = parse_rule(value)
    for problem in problems:
        rp.err(row, "closure", problem)
    return rule


def _urgency(p: _Problems, ref: ReferenceData) -> None:
    items = _json_items(p, ref.data_dir, URGENCY, "levels",
                        {"code", "name", "ack_minutes", "onsite_minutes", "close_workdays", "working_time"},
                        {"name_en", "note"})
    rp = _Rows(p, URGENCY)
    for i, u in enumerate(items, start=1):
        code = rp.text(u, i, "code")
        if code and not re.match(r"^L\d$", code):
            rp.err(i, "code", f"'{code}' must look like L1…L9")
        ack = rp.number(u, i, "ack_minutes", kind=int, minimum=0, exclusive_min=True)
        onsite = rp.number(u, i, "onsite_minutes", kind=int, minimum=0, exclusive_min=True)
        if ack is not None and onsite is not None and onsite < ack:
            rp.err(i, "onsite_minutes", f"{onsite} is shorter than ack_minutes {ack}")
        ref.urgency_levels.append({
            "code": code, "name": rp.text(u, i, "name", max_len=16), "ack_minutes": ack, "onsite_minutes": onsite,
            "close_workdays": rp.number(u, i, "close_workdays", minimum=0, exclusive_min=True),
            "working_time": rp.flag(u, i, "working_time"),
        })
    _dupes(ref.urgency_levels, lambda u: u["code"], rp, "code")
    if not ref.urgency_levels:
        rp.err(None, "levels", "no urgency levels")


def _versions(p: _Problems, ref: ReferenceData) -> None:
    items = _json_items(p, ref.data_dir, VERSIONS, "versions", {"version", "effective_from"},
                        {"title", "note", "illustrative"})
    rp = _Rows(p, VERSIONS)
    for i, v in enumerate(items, start=1):
        num = rp.number(v, i, "version", kind=int, minimum=1)
        raw = str(v.get("effective_from") or "")
        try:
            eff = date.fromisoformat(raw)
        except ValueError:
            rp.err(i, "effective_from", f"'{raw}' is not a date (YYYY-MM-DD)")
            eff = None
        ref.versions.append({
            "id": stable_id("matter_list_version", str(num)), "version": num, "effective_from": eff,
            "title": str(v.get("title") or "")[:128], "note": str(v.get("note") or ""),
            "illustrative": rp.flag(v, i, "illustrative", default=True),
        })
    _dupes(ref.versions, lambda v: v["version"], rp, "version")
    _dupes(ref.versions, lambda v: v["effective_from"], rp, "effective_from")


def _one_things(p: _Problems, ref: ReferenceData) -> None:
    items = _json_items(p, ref.data_dir, ONE_THINGS, "cases",
                        {"code", "name", "lead_department", "collaborating_departments", "steps", "time_limit_days",
                         "checkin_hours", "named_in_seed"},
                        {"name_en", "status", "previous_steps", "previous_duration", "description"})
    rp = _Rows(p, ONE_THINGS)
    depts = {d["code"] for d in ref.departments}
    for i, o in enumerate(items, start=1):
        lead = rp.text(o, i, "lead_department")
        if lead and lead not in depts:
            rp.err(i, "lead_department", f"unknown department code '{lead}' (see {DEPARTMENTS})")
        collab = rp.str_list(o, i, "collaborating_departments")
        for d in collab:
            if d not in depts:
                rp.err(i, "collaborating_departments", f"unknown department code '{d}' (see {DEPARTMENTS})")
            elif d == lead:
                rp.err(i, "collaborating_departments", f"'{d}' is already the lead department")
        limit = rp.number(o, i, "time_limit_days", kind=int, minimum=1)
        steps = _catalogue_steps(rp, o, i, limit)
        prev = rp.number(o, i, "previous_steps", kind=int, required=False, minimum=1)
        ref.one_things.append({
            "code": rp.code(o, i, "code"), "name": rp.text(o, i, "name", max_len=64),
            "lead_department_code": lead, "collaborating_department_codes": collab, "steps": steps,
            "previous_steps": prev,
            "time_limit_days": limit,
            "previous_duration": str(o.get("previous_duration") or "")[:64],
            "checkin_hours": rp.number(o, i, "checkin_hours", kind=int, minimum=1),
            "named_in_seed": rp.flag(o, i, "named_in_seed"),
            "description": str(o.get("description") or ""),
        })
    _dupes(ref.one_things, lambda o: o["code"], rp, "code")
    _dupes(ref.one_things, lambda o: o["name"], rp, "name")


def _catalogue_steps(rp: _Rows, o: dict, i: int, limit: int | None) -> list[dict[str, Any]]:
    """The steps of a catalogue entry as ``[{name, days}]``: each step's own limit in working days.

    The days of all steps together may not exceed the case's ``time_limit_days`` (a step clock that
    could run past the case's own deadline would never be the one that warns first).
    """
    raw = o.get("steps")
    if not isinstance(raw, list) or not raw:
        rp.err(i, "steps", "must be a list of {name, days}")
        return []
    out: list[dict[str, Any]] = []
    for k, s in enumerate(raw, start=1):
        if not isinstance(s, dict):
            rp.err(i, f"steps[{k}]", "must be an object {name, days}")
            continue
        name = rp.text(s, i, "name", max_len=64)
        days = rp.number(s, i, "days", minimum=0, exclusive_min=True)
        if name and days is not None:
            out.append({"name": name, "days": days})
    if len({s["name"] for s in out}) != len(out):
        rp.err(i, "steps", "names the same step twice")
    total = sum(s["days"] for s in out)
    if limit is not None and total > limit + 1e-9:
        rp.err(i, "steps", f"the steps' days add up to {total:g}, more than time_limit_days {limit}")
    return out


def parse_limits(text: str, levels: set[str]) -> tuple[dict[str, dict[str, float | int]], list[str]]:
    """``"L1.ack_minutes=15; L3.close_workdays=3"`` → ``{"L1": {"ack_minutes": 15}, …}`` and problems."""
    out: dict[str, dict[str, float | int]] = {}
    problems: list[str] = []
    for part in re.split(r"[;；]", text or ""):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^(L\d)\.(\w+)\s*=\s*([0-9.]+)$", part)
        if not m:
            problems.append(f"'{part}' is not LEVEL.field=number (e.g. L3.close_workdays=3)")
            continue
        level, fld, raw = m.groups()
        if levels and level not in levels:
            problems.append(f"'{level}' is not an urgency level in {URGENCY}")
            continue
        if fld not in LIMIT_FIELDS:
            problems.append(f"'{fld}' is not one of {', '.join(LIMIT_FIELDS)}")
            continue
        try:
            value = LIMIT_FIELDS[fld](float(raw)) if LIMIT_FIELDS[fld] is int else float(raw)
        except ValueError:
            problems.append(f"'{raw}' is not a number")
            continue
        if value <= 0:
            problems.append(f"{fld} must be greater than 0")
            continue
        out.setdefault(level, {})[fld] = value
    return out, problems


def _matters(p: _Problems, ref: ReferenceData) -> None:
    cols = ["version", "code", "name", "field", "category_codes", "default_for", "lead_department",
            "township_duty", "department_duty", "is_enforcement", "one_thing_code", "limits"]
    rows = _read_csv(p, ref.data_dir, MATTERS, cols)
    rp = _Rows(p, MATTERS)
    versions = {v["version"]: v for v in ref.versions}
    depts = {d["code"] for d in ref.departments}
    cats = {c["code"] for c in ref.categories}
    ots = {o["code"] for o in ref.one_things}
    levels = {u["code"] for u in ref.urgency_levels}
    row_of: list[int] = []
    for i, r in enumerate(rows, start=1):
        num = rp.number(r, i, "version", kind=int, minimum=1)
        if num is not None and num not in versions:
            rp.err(i, "version", f"version {num} is not in {VERSIONS}")
        code = rp.code(r, i, "code")
        categories = rp.str_list(r, i, "category_codes")
        for c in categories:
            if c not in cats:
                rp.err(i, "category_codes", f"unknown category code '{c}' (see {CATEGORIES})")
        default_for = rp.str_list(r, i, "default_for", required=False)
        for c in default_for:
            if c not in categories:
                rp.err(i, "default_for", f"'{c}' is not one of this matter's category_codes")
        lead = rp.text(r, i, "lead_department")
        if lead and lead not in depts:
            rp.err(i, "lead_department", f"unknown department code '{lead}' (see {DEPARTMENTS})")
        ot = rp.text(r, i, "one_thing_code", required=False)
        if ot and ot not in ots:
            rp.err(i, "one_thing_code", f"unknown one-thing code '{ot}' (see {ONE_THINGS})")
        limits, problems = parse_limits(r.get("limits", ""), levels)
        for problem in problems:
            rp.err(i, "limits", problem)
        status = (r.get("status") or "").strip().upper()
        ref.matters.append({
            "id": stable_id("matter", f"{num}:{code}"),
            "version_id": versions[num]["id"] if num in versions else None,
            "_version": num,
            "code": code,
            "name": rp.text(r, i, "name", max_len=128),
            "field": rp.text(r, i, "field", max_len=32),
            "category_codes": categories,
            "default_for": default_for,
            "lead_department_code": lead,
            "township_duty": rp.text(r, i, "township_duty"),
            "department_duty": rp.text(r, i, "department_duty"),
            "limits": limits,
            "is_enforcement": rp.flag(r, i, "is_enforcement"),
            "one_thing_code": ot or None,
            "illustrative": status != "OFFICIAL",
            "closure": _closure(rp, i, r.get("closure")),
        })
        row_of.append(i)
    _dupes(ref.matters, lambda m: (m["_version"], m["code"]), rp, "code")
    # routing must be unambiguous: per version, each covered category has exactly one default matter
    for num in versions:
        covering: dict[str, list[int]] = {}
        defaults: dict[str, list[int]] = {}
        for idx, m in enumerate(ref.matters):
            if m["_version"] != num:
                continue
            for c in m["category_codes"]:
                covering.setdefault(c, []).append(idx)
            for c in m["default_for"]:
                defaults.setdefault(c, []).append(idx)
        for c, idxs in sorted(covering.items()):
            d = defaults.get(c, [])
            if len(d) > 1:
                rp.err(row_of[d[1]], "default_for", f"category '{c}' already has default matter "
                                                    f"{ref.matters[d[0]]['code']} in version {num}")
            elif not d and len(idxs) > 1:
                names = ", ".join(ref.matters[j]["code"] for j in idxs)
                rp.err(row_of[idxs[0]], "default_for", f"category '{c}' is covered by {names} in version {num}; "
                                                       "mark one of them default_for it")
            elif not d:
                ref.matters[idxs[0]]["default_for"] = [*ref.matters[idxs[0]]["default_for"], c]
    for m in ref.matters:
        m.pop("_version", None)


# --------------------------------------------------------------------------- loading


@dataclass
class LoadResult:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)
    new_rows: list[Base] = field(default_factory=list)
    changed_rows: list[tuple[Base, list[str]]] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())


def _pk(model: type[Base]) -> str:
    return model.__mapper__.primary_key[0].key


def _natural_key(model: type[Base]) -> Callable[[Any], Any]:
    if model is MatterListVersion:
        return lambda r: r["version"] if isinstance(r, dict) else r.version
    if model is Matter:
        return lambda r: (r["version_id"], r["code"]) if isinstance(r, dict) else (r.version_id, r.code)
    key = _pk(model)
    return lambda r: r[key] if isinstance(r, dict) else getattr(r, key)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return a is not None and b is not None and abs(float(a) - float(b)) < 1e-12
        except (TypeError, ValueError):
            return False
    return a == b


def load_reference(session: Session, ref: ReferenceData) -> LoadResult:
    """Upsert the validated reference rows in ``session`` (no commit); idempotent."""
    result = LoadResult()
    for model, rows in ref.table_rows():
        name = model.__tablename__
        key = _natural_key(model)
        existing = {key(obj): obj for obj in session.scalars(select(model))}
        pk = _pk(model)
        ins = upd = same = 0
        seen = set()
        for rec in rows:
            k = key(rec)
            seen.add(k)
            obj = existing.get(k)
            if obj is None:
                obj = model(**rec)
                session.add(obj)
                result.new_rows.append(obj)
                ins += 1
                continue
            changed = [c for c, v in rec.items() if c != pk and not _same(getattr(obj, c), v)]
            for c in changed:
                setattr(obj, c, rec[c])
            if changed:
                upd += 1
                result.changed_rows.append((obj, changed))
            else:
                same += 1
        session.flush()
        result.inserted[name] = ins
        result.updated[name] = upd
        result.unchanged[name] = same
        result.stale[name] = len(set(existing) - seen)
    return result


def load_reference_data(url: str, data_dir: str | Path | None = None) -> LoadResult:
    """Validate ``data_dir`` and load it into the (migrated) database at ``url`` in one transaction."""
    from commandroom.store.db import make_engine, session_factory

    ref = read_reference(data_dir)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session, session.begin():
            return load_reference(session, ref)
    finally:
        engine.dispose()
