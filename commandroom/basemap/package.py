"""Read and check a base-map tile package (MBTiles or PMTiles) before the server accepts it.

A package is refused with a :class:`BaseMapError` naming what is wrong:

* the container: an SQLite MBTiles file whose integrity check passes, or a PMTiles v3 archive
  whose header and directories decode (a truncated copy fails either way);
* the tiles' encoding: PNG, JPEG, WebP (raster) or Mapbox vector tiles (``pbf``), sniffed from
  the tiles' bytes and matched against what the package declares;
* the zoom range: between 0 and 22, and reaching at least :data:`MIN_DETAIL_ZOOM` so streets
  can be read;
* the coordinate system: ``wgs84`` (also CGCS2000 / 天地图's Web-Mercator tiles, which agree
  with WGS84 to centimetres) or ``gcj02`` (高德-style tiles), from the package's ``crs``
  metadata or given by the importer; geographic (EPSG:4326) tilings are refused;
* the coverage: the county's outline, in the package's own coordinate system, must lie inside
  the package bounds, and the tiles at the lowest zoom must be there.

:func:`inspect_package` only reads; :func:`write_normalized_mbtiles` writes the copy that the
server keeps and desks download: always MBTiles, with the checked facts in its metadata.
"""

from __future__ import annotations

import gzip
import math
import mmap
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from commandroom.domain.errors import DomainError
from commandroom.refdata import geo

LAYERS = ("streets", "imagery", "labels")
CRS_CHOICES = ("wgs84", "gcj02")
RASTER_FORMATS = ("png", "jpg", "webp")
VECTOR_FORMATS = ("pbf",)
MIN_DETAIL_ZOOM = 13
MAX_ZOOM = 22
COVER_TOLERANCE_DEG = 0.005  # ≈ 500 m: a package cut exactly at the county line still covers it
SAMPLE_TILES = 32

_CRS_ALIASES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "epsg:3857": "wgs84", "epsg:900913": "wgs84", "3857": "wgs84",
    "cgcs2000": "wgs84", "web mercator": "wgs84", "webmercator": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "mars": "gcj02", "amap": "gcj02",
}
_GEOGRAPHIC = ("epsg:4326", "epsg:4490", "4326", "4490")
_FORMAT_ALIASES = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "pbf": "pbf", "mvt": "pbf"}


class BaseMapError(DomainError):
    """A base-map package was refused; the message says what is wrong and what to do."""

    code = "basemap_invalid"


@dataclass
class PackageInfo:
    """What a checked package is."""

    path: Path
    container: str  # mbtiles | pmtiles
    tile_format: str  # png | jpg | webp | pbf
    crs: str  # wgs84 | gcj02
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north, in the package's crs
    tile_count: int
    name: str = ""
    attribution: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def is_raster(self) -> bool:
        return self.tile_format in RASTER_FORMATS


def sniff_encoding(data: bytes) -> str | None:
    """``png``/``jpg``/``webp``/``pbf`` from a tile's first bytes, or None when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    # a vector tile is a protobuf message of layers: field 3, length-delimited (0x1a)
    if data[:1] == b"\x1a":
        return "pbf"
    return None


def tile_range(z: int, west: float, south: float, east: float, north: float) -> tuple[int, int, int, int]:
    """XYZ tile columns/rows ``(x0, y0, x1, y1)`` (inclusive) covering a lon/lat box at zoom ``z``."""
    def tx(lon: float) -> int:
        return min((1 << z) - 1, max(0, int((lon + 180.0) / 360.0 * (1 << z))))

    def ty(lat: float) -> int:
        r = math.radians(lat)
        y = (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * (1 << z)
        return min((1 << z) - 1, max(0, int(y)))

    return tx(west), ty(north), tx(east), ty(south)


def county_bounds(data_dir: str | Path | None = None, crs: str = "wgs84") -> tuple[float, float, float, float]:
    """The county outline's bounding box in ``crs`` (west, south, east, north)."""
    outline = geo.load_outline(data_dir)
    if crs == "gcj02":
        outline = geo.transform_geometry(outline, geo.wgs84_to_gcj02)
    return tuple(outline.bounds)  # type: ignore[return-value]


def normalize_crs(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    key = str(value).strip().lower()
    if key in _GEOGRAPHIC:
        raise BaseMapError(
            f"the package is tiled in geographic coordinates ({value}); only Web-Mercator tiles "
            "(as 天地图 '_w' layers or 高德 tiles) can be shown. Export it in EPSG:3857."
        )
    crs = _CRS_ALIASES.get(key)
    if crs is None:
        raise BaseMapError(
            f"unknown coordinate system {value!r}; say which one with --crs wgs84 (also CGCS2000/天地图) "
            "or --crs gcj02 (高德-style)"
        )
    return crs


def _resolve_crs(declared: str | None, given: str | None) -> str:
    declared_crs = normalize_crs(declared)
    given_crs = normalize_crs(given)
    if declared_crs and given_crs and declared_crs != given_crs:
        raise BaseMapError(
            f"the package says its coordinate system is {declared}, but --crs {given} was given; "
            "check which one is right and import again"
        )
    crs = given_crs or declared_crs
    if crs is None:
        raise BaseMapError(
            "the package does not say which coordinate system its tiles are in; import it again with "
            "--crs wgs84 (天地图, survey data) or --crs gcj02 (高德-style tiles)"
        )
    return crs


def detect_container(path: Path) -> str:
    """``mbtiles`` or ``pmtiles`` from the file's first bytes."""
    if not path.is_file():
        raise BaseMapError(f"no file at {path}")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3\x00"):
        return "mbtiles"
    if head.startswith(b"PMTiles"):
        return "pmtiles"
    raise BaseMapError(
        f"{path.name} is neither an MBTiles (SQLite) nor a PMTiles file; export the base map as .mbtiles or .pmtiles"
    )


def inspect_package(
    path: str | Path, *, crs: str | None = None, data_dir: str | Path | None = None
) -> PackageInfo:
    """Read and check ``path``; a :class:`BaseMapError` says what is wrong."""
    path = Path(path)
    container = detect_container(path)
    info = _inspect_mbtiles(path, crs) if container == "mbtiles" else _inspect_pmtiles(path, crs)
    _check_zooms(info)
    _check_coverage(info, data_dir)
    return info


# --------------------------------------------------------------------------- MBTiles


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _inspect_mbtiles(path: Path, crs: str | None) -> PackageInfo:
    try:
        conn = _open_ro(path)
    except sqlite3.Error as exc:
        raise BaseMapError(f"{path.name} cannot be opened as MBTiles: {exc}") from None
    try:
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BaseMapError(f"{path.name} is damaged (SQLite check: {check}); copy the file again")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
            if not {"tiles", "metadata"} <= tables:
                raise BaseMapError(f"{path.name} is an SQLite file but not MBTiles (no tiles/metadata table)")
            meta = {str(k): str(v) for k, v in conn.execute("SELECT name, value FROM metadata")}
            count, zmin, zmax = conn.execute(
                "SELECT COUNT(*), MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            samples = [bytes(r[0]) for r in conn.execute(
                "SELECT tile_data FROM tiles ORDER BY zoom_level DESC LIMIT ?", (SAMPLE_TILES,))]
        except sqlite3.DatabaseError as exc:
            raise BaseMapError(f"{path.name} is damaged or truncated ({exc}); copy the file again") from None
        if not count:
            raise BaseMapError(f"{path.name} holds no tiles")
        fmt = _check_encoding(path.name, meta.get("format"), samples)
        bounds = _parse_bounds(meta.get("bounds")) or _bounds_from_tiles(conn, zmin)
        info = PackageInfo(
            path=path, container="mbtiles", tile_format=fmt,
            crs=_resolve_crs(meta.get("crs") or meta.get("srs"), crs),
            min_zoom=int(zmin), max_zoom=int(zmax), bounds=bounds, tile_count=int(count),
            name=meta.get("name", path.stem), attribution=meta.get("attribution", ""), metadata=meta,
        )
        info.metadata["_lowest_zoom_tiles"] = ",".join(
            f"{x}/{y}" for x, y in _tiles_at(conn, info.min_zoom))
        return info
    finally:
        conn.close()


def _tiles_at(conn: sqlite3.Connection, z: int) -> list[tuple[int, int]]:
    rows = conn.execute("SELECT tile_column, tile_row FROM tiles WHERE zoom_level=?", (z,)).fetchall()
    return [(int(x), (1 << z) - 1 - int(tms)) for x, tms in rows]


def _bounds_from_tiles(conn: sqlite3.Connection, z: int) -> tuple[float, float, float, float]:
    xs_ys = _tiles_at(conn, z)
    xs = [x for x, _ in xs_ys]
    ys = [y for _, y in xs_ys]
    west, north = _tile_corner(z, min(xs), min(ys))
    east, south = _tile_corner(z, max(xs) + 1, max(ys) + 1)
    return west, south, east, north


def _tile_corner(z: int, x: int, y: int) -> tuple[float, float]:
    n = 1 << z
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _parse_bounds(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        w, s, e, n = (float(v) for v in str(text).split(","))
    except ValueError:
        raise BaseMapError(f"the package's bounds {text!r} are not 'west,south,east,north' numbers") from None
    if not (w < e and s < n):
        raise BaseMapError(f"the package's bounds {text!r} are empty (west ≥ east or south ≥ north)")
    return w, s, e, n


def _check_encoding(name: str, declared: str | None, samples: list[bytes]) -> str:
    sniffed = {sniff_encoding(s) for s in samples if s}
    if None in sniffed or not sniffed:
        raise BaseMapError(
            f"{name}: the tiles are in an unknown encoding (not PNG, JPEG, WebP or vector pbf); "
            "export the base map with one of these"
        )
    if len(sniffed) > 1 and sniffed != {"png", "jpg"}:  # png+jpg mixes are common in imagery packages
        raise BaseMapError(f"{name}: the tiles mix encodings ({', '.join(sorted(sniffed))})")
    fmt = _FORMAT_ALIASES.get((declared or "").strip().lower()) if declared else None
    if declared and fmt is None:
        raise BaseMapError(f"{name}: unknown tile format {declared!r} in the package metadata")
    actual = sorted(sniffed)[0] if len(sniffed) == 1 else (fmt or "png")
    if fmt and fmt not in sniffed:
        raise BaseMapError(f"{name}: the package says its tiles are {fmt} but they are {actual}")
    return fmt or actual


# --------------------------------------------------------------------------- PMTiles


_PM_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp"}


def _pm_reader(path: Path):  # pmtiles' reader type
    try:
        from pmtiles.reader import Reader
    except ImportError:
        raise BaseMapError("PMTiles support needs the 'pmtiles' package on the server (pip install pmtiles)") from None
    size = path.stat().st_size
    with path.open("rb") as fh:  # mapped, not read: a county's imagery package may be gigabytes
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def get_bytes(offset: int, length: int) -> bytes:
        if offset + length > size:
            raise BaseMapError(f"{path.name} is truncated (it ends at byte {size}); copy the file again")
        return data[offset:offset + length]

    return Reader(get_bytes), get_bytes


def _pm_entries(get_bytes, header, offset: int, length: int):
    """The archive's tile entries ``(tile_id, offset, length, run_length)``, leaf directories followed;
    only the directories are read, never the tiles."""
    from pmtiles.tile import deserialize_directory

    for entry in deserialize_directory(get_bytes(offset, length)):
        if entry.run_length > 0:
            yield entry.tile_id, entry.offset, entry.length, entry.run_length
        else:
            yield from _pm_entries(get_bytes, header, header["leaf_directory_offset"] + entry.offset, entry.length)


def _inspect_pmtiles(path: Path, crs: str | None) -> PackageInfo:
    reader, get_bytes = _pm_reader(path)
    try:
        from pmtiles.tile import Compression, tileid_to_zxy

        header = reader.header()
        meta = reader.metadata()
        entries = list(_pm_entries(get_bytes, header, header["root_offset"], header["root_length"]))
        gzipped = header["tile_compression"] == Compression.GZIP
        samples = [get_bytes(header["tile_data_offset"] + off, ln) for _tid, off, ln, _run in entries[-SAMPLE_TILES:]]
        samples = [gzip.decompress(d) if gzipped and d[:2] == b"\x1f\x8b" else d for d in samples]
    except BaseMapError:
        raise
    except Exception as exc:  # noqa: BLE001 - the pmtiles reader raises whatever its parsing hits
        raise BaseMapError(f"{path.name} is not a readable PMTiles v3 archive ({exc.__class__.__name__}: {exc})") \
            from None
    tile_type = getattr(header["tile_type"], "value", header["tile_type"])
    declared = _PM_TYPES.get(int(tile_type))
    if declared is None:
        raise BaseMapError(f"{path.name}: the tiles are in an unknown encoding (PMTiles tile type {tile_type})")
    if not entries:
        raise BaseMapError(f"{path.name} holds no tiles")
    fmt = _check_encoding(path.name, declared, samples)
    meta = {str(k): (v if isinstance(v, str) else str(v)) for k, v in (meta or {}).items()}
    bounds = (header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
              header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7)
    min_zoom = tileid_to_zxy(entries[0][0])[0]  # tile ids grow with the zoom
    last_id, _o, _l, last_run = entries[-1]
    max_zoom = tileid_to_zxy(last_id + last_run - 1)[0]
    lowest = []
    for tid, _off, _len, run in entries:
        if tileid_to_zxy(tid)[0] != min_zoom:
            break
        lowest += [tileid_to_zxy(t) for t in range(tid, tid + run)]
    info = PackageInfo(
        path=path, container="pmtiles", tile_format=fmt, crs=_resolve_crs(meta.get("crs"), crs),
        min_zoom=min_zoom, max_zoom=max_zoom, bounds=_parse_bounds(",".join(map(str, bounds))) or bounds,
        tile_count=sum(run for _t, _o, _l, run in entries), name=meta.get("name", path.stem),
        attribution=meta.get("attribution", ""), metadata=meta,
    )
    info.metadata["_lowest_zoom_tiles"] = ",".join(f"{x}/{y}" for z, x, y in lowest if z == min_zoom)
    return info


def _pm_tiles(get_bytes, header):
    from pmtiles.reader import traverse
    from pmtiles.tile import Compression

    compressed = header["tile_compression"] == Compression.GZIP
    for zxy, data in traverse(get_bytes, header, header["root_offset"], header["root_length"]):
        yield zxy, (gzip.decompress(data) if compressed and data[:2] == b"\x1f\x8b" else data)


# --------------------------------------------------------------------------- checks


def _check_zooms(info: PackageInfo) -> None:
    if not (0 <= info.min_zoom <= info.max_zoom <= MAX_ZOOM):
        raise BaseMapError(f"{info.path.name}: zoom levels {info.min_zoom}–{info.max_zoom} are out of range 0–{MAX_ZOOM}")
    if info.max_zoom < MIN_DETAIL_ZOOM:
        raise BaseMapError(
            f"{info.path.name} stops at zoom {info.max_zoom}: streets and villages need at least zoom "
            f"{MIN_DETAIL_ZOOM}; export it with more zoom levels"
        )


def _check_coverage(info: PackageInfo, data_dir: str | Path | None) -> None:
    cw, cs, ce, cn = county_bounds(data_dir, info.crs)
    w, s, e, n = info.bounds
    t = COVER_TOLERANCE_DEG
    if w > cw + t or s > cs + t or e < ce - t or n < cn - t:
        inside = not (w > ce or e < cw or s > cn or n < cs)
        what = "covers only part of the county" if inside else "lies outside the county"
        raise BaseMapError(
            f"{info.path.name} {what}: its bounds are {w:.3f},{s:.3f} – {e:.3f},{n:.3f}, the county needs "
            f"{cw:.3f},{cs:.3f} – {ce:.3f},{cn:.3f} ({info.crs}); export a package that covers 常山县"
        )
    present = {tuple(int(v) for v in xy.split("/")) for xy in info.metadata.get("_lowest_zoom_tiles", "").split(",")
               if xy}
    x0, y0, x1, y1 = tile_range(info.min_zoom, cw, cs, ce, cn)
    missing = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1) if (x, y) not in present]
    if missing:
        raise BaseMapError(
            f"{info.path.name} says it covers the county, but {len(missing)} tile(s) over the county are missing at "
            f"zoom {info.min_zoom}; export the package again"
        )


# --------------------------------------------------------------------------- the kept copy


def write_normalized_mbtiles(info: PackageInfo, dest: Path, extra: dict[str, str]) -> None:
    """Write the copy the server keeps: MBTiles whatever came in, with the checked facts as metadata."""
    if info.container == "mbtiles":
        shutil.copyfile(info.path, dest)
        conn = sqlite3.connect(dest)
    else:
        conn = sqlite3.connect(dest)
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        _reader, get_bytes = _pm_reader(info.path)
        with conn:
            conn.executemany(
                "INSERT INTO tiles VALUES (?, ?, ?, ?)",
                (((z, x, (1 << z) - 1 - y, sqlite3.Binary(d))) for (z, x, y), d in
                 _pm_tiles(get_bytes, _reader.header())),
            )
    w, s, e, n = info.bounds
    facts = {k: v for k, v in info.metadata.items() if not k.startswith("_")} | {
        "name": info.name, "format": info.tile_format, "crs": info.crs,
        "minzoom": str(info.min_zoom), "maxzoom": str(info.max_zoom), "bounds": f"{w},{s},{e},{n}",
        "attribution": info.attribution,
    } | extra
    with conn:
        conn.execute("DELETE FROM metadata")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in facts.items()])
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
