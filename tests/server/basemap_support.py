"""Small base-map packages for tests: real MBTiles (SQLite) and PMTiles files over the county."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from commandroom.basemap.package import county_bounds, tile_range


def png_tile(colour: tuple[int, int, int] = (200, 210, 190)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="PNG")
    return out.getvalue()


def county_tiles(min_zoom: int = 9, max_zoom: int = 13, *, crs: str = "wgs84", shift: float = 0.0,
                 data: bytes | None = None) -> dict[tuple[int, int, int], bytes]:
    """``{(z, x, y): bytes}``: every tile over the county at ``min_zoom``, one tile at each higher zoom."""
    data = data if data is not None else png_tile()
    w, s, e, n = county_bounds(None, crs)
    w, s, e, n = w + shift, s, e + shift, n
    tiles = {}
    x0, y0, x1, y1 = tile_range(min_zoom, w, s, e, n)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            tiles[(min_zoom, x, y)] = data
    for z in range(min_zoom + 1, max_zoom + 1):
        x, y, _x1, _y1 = tile_range(z, (w + e) / 2, (s + n) / 2, (w + e) / 2, (s + n) / 2)
        tiles[(z, x, y)] = data
    return tiles


def write_package(path: Path, *, min_zoom: int = 9, max_zoom: int = 13, crs: str | None = "wgs84",
                  fmt: str | None = "png", shift: float = 0.0, data: bytes | None = None,
                  bounds: bool = True, name: str = "测试底图") -> Path:
    """An MBTiles file over the county (``shift`` degrees east moves it away)."""
    tiles = county_tiles(min_zoom, max_zoom, crs=crs or "wgs84", shift=shift, data=data)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    meta = {"name": name, "minzoom": str(min_zoom), "maxzoom": str(max_zoom)}
    if fmt:
        meta["format"] = fmt
    if crs:
        meta["crs"] = crs
    if bounds:
        w, s, e, n = county_bounds(None, crs or "wgs84")
        meta["bounds"] = f"{w - 0.01 + shift},{s - 0.01},{e + 0.01 + shift},{n + 0.01}"
    with conn:
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
        conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                         [(z, x, (1 << z) - 1 - y, d) for (z, x, y), d in tiles.items()])
    conn.close()
    return path


def write_pmtiles(path: Path, *, crs: str = "wgs84", min_zoom: int = 9, max_zoom: int = 13) -> Path:
    """A PMTiles v3 archive with the same tiles (needs the ``pmtiles`` package)."""
    import json

    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    tiles = county_tiles(min_zoom, max_zoom, crs=crs)
    w, s, e, n = county_bounds(None, crs)
    with path.open("wb") as fh:
        writer = Writer(fh)
        for (z, x, y), data in sorted(tiles.items(), key=lambda kv: zxy_to_tileid(*kv[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize(
            {"tile_type": TileType.PNG, "tile_compression": Compression.NONE, "min_zoom": min_zoom,
             "max_zoom": max_zoom, "min_lon_e7": int((w - 0.01) * 1e7), "min_lat_e7": int((s - 0.01) * 1e7),
             "max_lon_e7": int((e + 0.01) * 1e7), "max_lat_e7": int((n + 0.01) * 1e7), "center_zoom": 10,
             "center_lon_e7": int((w + e) / 2 * 1e7), "center_lat_e7": int((s + n) / 2 * 1e7)},
            json.loads(json.dumps({"name": "PMTiles 测试底图", "crs": crs})),
        )
    return path
