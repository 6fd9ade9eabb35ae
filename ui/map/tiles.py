"""A read-only MBTiles cache of base-map tiles, for the map's offline tile layers (vector tiles drawn to PNG).

MBTiles (spec 1.3) is one SQLite file with a ``tiles`` table
(``zoom_level, tile_column, tile_row, tile_data``, rows counted from the south, TMS
style) and a ``metadata`` key/value table. Leaflet asks for XYZ tiles (rows counted
from the north), so :meth:`MBTiles.tile` flips the row.

No Qt here: the scheme handler in :mod:`ui.map.web` calls :meth:`MBTiles.tile`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MIME_BY_FORMAT = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class TileSetInfo:
    """What the page needs to declare the tile layer."""

    name: str
    fmt: str
    min_zoom: int
    max_zoom: int
    attribution: str
    bounds: tuple[float, float, float, float] | None  # west, south, east, north

    @property
    def mime(self) -> str:
        return MIME_BY_FORMAT.get(self.fmt, "application/octet-stream")


class MBTiles:
    """One MBTiles file opened read-only; thread-safe, one connection guarded by a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        uri = f"file:{self.path}?mode=ro&immutable=1"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.info = self._read_info()

    @classmethod
    def open_if_usable(cls, path: str | Path | None) -> MBTiles | None:
        """The tile set at ``path``, or None when there is no file or it holds no tiles."""
        if not path:
            return None
        path = Path(path)
        if not path.is_file():
            return None
        try:
            tiles = cls(path)
            if not tiles.has_tiles():
                tiles.close()
                return None
            return tiles
        except sqlite3.Error as exc:
            log.warning("ignoring unusable MBTiles file %s: %s", path, exc)
            return None

    def _read_info(self) -> TileSetInfo:
        with self._lock:
            meta = dict(self._conn.execute("SELECT name, value FROM metadata").fetchall())
            zooms: tuple[Any, Any] = (None, None)
            if "minzoom" not in meta or "maxzoom" not in meta:  # a scan of every tile: only when not declared
                zooms = self._conn.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        bounds = None
        if meta.get("bounds"):
            try:
                w, s, e, n = (float(v) for v in str(meta["bounds"]).split(","))
                bounds = (w, s, e, n)
            except ValueError:
                bounds = None
        min_zoom = int(meta.get("minzoom", zooms[0] if zooms[0] is not None else 0))
        max_zoom = int(meta.get("maxzoom", zooms[1] if zooms[1] is not None else 18))
        return TileSetInfo(
            name=str(meta.get("name", self.path.stem)),
            fmt=str(meta.get("format", "png")).lower(),
            min_zoom=min_zoom,
            max_zoom=max_zoom,
            attribution=str(meta.get("attribution", "")),
            bounds=bounds,
        )

    def has_tiles(self) -> bool:
        """At least one tile (one row read: a base map's count is a scan of a large table, paid at every page build)."""
        with self._lock:
            return self._conn.execute("SELECT 1 FROM tiles LIMIT 1").fetchone() is not None

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM tiles").fetchone()[0])

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The XYZ tile ``z/x/y`` (row counted from the north), or None."""
        if z < 0 or z > 30 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
            return None
        tms_row = (1 << z) - 1 - y
        with self._lock:
            row = self._conn.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, tms_row),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class VectorTiles(MBTiles):
    """An MBTiles file of vector tiles (``format=pbf``) served as PNG: each tile is drawn on request by
    :func:`commandroom.basemap.vector.render_tile` (no network, no browser plugin) and the last few hundred
    drawn tiles are kept, so panning back over them costs nothing.

    ``scale`` draws tiles larger (``256 × scale`` pixels) with lines and names to match: the wall's map.
    """

    CACHE_TILES = 512

    def __init__(self, path: str | Path, *, scale: float = 1.0) -> None:
        super().__init__(path)
        self.scale = scale
        self._drawn: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._draw_lock = threading.Lock()
        src = self.info
        self.info = TileSetInfo(name=src.name, fmt="png", min_zoom=src.min_zoom, max_zoom=src.max_zoom,
                                attribution=src.attribution, bounds=src.bounds)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        key = (z, x, y)
        with self._draw_lock:
            hit = self._drawn.get(key)
            if hit is not None:
                self._drawn.move_to_end(key)
                return hit
        raw = super().tile(z, x, y)
        if raw is None:
            return None
        from commandroom.basemap.vector import VectorTileError, render_tile

        try:
            png = render_tile(raw, scale=self.scale)
        except VectorTileError as exc:
            log.warning("vector tile %s/%s/%s of %s is unreadable: %s", z, x, y, self.path.name, exc)
            return None
        with self._draw_lock:
            self._drawn[key] = png
            while len(self._drawn) > self.CACHE_TILES:
                self._drawn.popitem(last=False)
        return png


def open_tiles(path: str | Path, tile_format: str | None, *, scale: float = 1.0) -> MBTiles | None:
    """A desk's base-map file: raster tiles as they are, vector tiles (``pbf``) drawn to PNG."""
    tiles = MBTiles.open_if_usable(path)
    if tiles is None or (tile_format or tiles.info.fmt) != "pbf":
        return tiles
    tiles.close()
    return VectorTiles(path, scale=scale)


@dataclass(frozen=True)
class LocalBaseMap:
    """A downloaded base-map layer on this desk: ``layer`` (streets/imagery/labels), its CRS, its tiles."""

    layer: str
    crs: str  # wgs84 | gcj02
    info: TileSetInfo
    path: Path

    @property
    def overlay(self) -> bool:
        """Labels are drawn over whichever base is shown."""
        return self.layer == "labels"


def parse_layer_tile_url(url: str) -> tuple[str | None, int, int, int] | None:
    """``(layer, z, x, y)`` from ``tiles:///layer/z/x/y`` (layer None for the 3-part form), or None."""
    if not url.startswith("tiles:"):
        return None
    rest = url[len("tiles:") :].split("?", 1)[0].split("#", 1)[0].strip("/")
    parts = rest.split("/")
    if len(parts) == 4 and parts[0].isidentifier():
        zxy = parse_tile_url("tiles:///" + "/".join(parts[1:]))
        return None if zxy is None else (parts[0], *zxy)
    zxy = parse_tile_url(url)
    return None if zxy is None else (None, *zxy)


def parse_tile_url(url: str) -> tuple[int, int, int] | None:
    """``(z, x, y)`` from ``tiles:///z/x/y[.ext]`` (also ``tiles://z/x/y``), or None.

    Chromium parses the numeric "host" of ``tiles://12/…`` as an IPv4 address and hands
    us ``tiles://0.0.0.12/…``, so the page uses the host-less form and we accept both.
    """
    if not url.startswith("tiles:"):
        return None
    rest = url[len("tiles:") :].split("?", 1)[0].split("#", 1)[0].strip("/")
    parts = rest.split("/")
    if len(parts) != 3:
        return None
    z_part, x_part, y_part = parts
    if "." in z_part:  # 0.0.0.12 → 12
        z_part = z_part.rsplit(".", 1)[1]
    y_part = y_part.split(".", 1)[0]
    try:
        return int(z_part), int(x_part), int(y_part)
    except ValueError:
        return None


def write_mbtiles(path: str | Path, tiles: dict[tuple[int, int, int], bytes], **metadata: str) -> Path:
    """Write a small MBTiles file from ``{(z, x, y): data}`` (XYZ rows); tests and tools use it."""
    path = Path(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        conn.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)"
        )
        conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        meta = {"name": path.stem, "format": "png"} | metadata
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
        conn.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [(z, x, (1 << z) - 1 - y, sqlite3.Binary(data)) for (z, x, y), data in tiles.items()],
        )
    conn.close()
    return path
