"""The demo base map: PNG tiles rendered from the reference data the project ships.

What it shows: the county outline, the approximate township areas (each its own pale colour),
villages and communities as dots with their names (from zoom 12), grids from zoom 15, and the
township seats (named as offices, 白石镇政府, from zoom 12: the map page names the townships
itself). No roads or rivers: the project ships no road or river data under a clear licence (see
data/SOURCES.md), and the map says "演示底图" in its attribution so nobody takes it for a survey map. Village names and points are ILLUSTRATIVE, like the data they come from.

Labels are placed once per zoom over the whole county (greedy, most important first), then each
tile draws the labels that touch it, so a name crossing a tile edge is drawn whole on both sides.

``python -m commandroom.basemap.demo OUT.mbtiles [--crs gcj02]`` writes a file; the demo
server imports one at seed time (:func:`ensure_demo_basemap`, cached under the data dir).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from commandroom.basemap.package import tile_range
from commandroom.refdata import geo

log = logging.getLogger(__name__)

MIN_ZOOM = 9
MAX_ZOOM = 15
TILE = 256
GENERATOR_VERSION = "2"  # bump when the drawing changes: the cached file is regenerated
ATTRIBUTION = "演示底图（由项目参考数据生成，村名与位置为示意）"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{w}.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{w}.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh{b}.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)
OUTSIDE = (238, 242, 245)  # the map page's own background: no seam where the tiles end
LAND = (246, 244, 238)
TOWN_COLOURS = [
    (238, 242, 226), (244, 236, 226), (230, 238, 244), (242, 232, 240), (236, 244, 236), (246, 240, 222),
    (232, 236, 246), (244, 234, 230), (234, 242, 238), (240, 238, 228), (236, 232, 242), (244, 242, 230),
    (230, 240, 232), (242, 236, 236),
]


def _font_path(bold: bool) -> str | None:
    for pattern in FONT_CANDIDATES:
        path = pattern.format(w="Bold" if bold else "Regular", b="bd" if bold else "")
        if Path(path).is_file():
            return path
    return None


def _mercator(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = TILE * (1 << z)
    r = math.radians(lat)
    return (lon + 180.0) / 360.0 * n, (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n


@dataclass
class _Label:
    text: str
    x: float  # global pixel of the anchor (the point)
    y: float
    size: int
    bold: bool
    colour: tuple[int, int, int]
    dot: int  # dot radius at the anchor (0: none)
    box: tuple[float, float, float, float] = (0, 0, 0, 0)


class DemoRenderer:
    """Renders the demo tiles of one coordinate system (``wgs84``, or ``gcj02`` to test alignment)."""

    def __init__(self, data_dir: str | Path | None = None, crs: str = "wgs84") -> None:
        from PIL import ImageFont

        self.data_dir = Path(data_dir) if data_dir else geo.DEFAULT_DATA_DIR
        self.crs = crs
        conv = geo.wgs84_to_gcj02 if crs == "gcj02" else (lambda lon, lat: (lon, lat))
        self.convert = conv
        self.outline = geo.transform_geometry(geo.load_outline(self.data_dir), conv)
        areas = geo.read_geojson(self.data_dir / geo.AREAS_FILE)["features"]
        self.towns = [(f["properties"]["name"], geo.transform_geometry(shape(f["geometry"]), conv)) for f in areas]
        self.seats = []
        with (self.data_dir / geo.TOWNSHIPS_FILE).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                self.seats.append((row["name"], *conv(float(row["seat_lon"]), float(row["seat_lat"]))))
        self.villages = []
        with (self.data_dir / "villages.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                self.villages.append((row["name"], row["kind"], *conv(float(row["lon"]), float(row["lat"]))))
        self.grids = []
        with (self.data_dir / "grids.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                self.grids.append((row["name"], *conv(float(row["lon"]), float(row["lat"]))))
        w, s, e, n = self.outline.bounds
        pad = 0.02
        self.bounds = (w - pad, s - pad, e + pad, n + pad)
        regular, bold = _font_path(False), _font_path(True)
        if regular is None:
            log.warning("no CJK font found: the demo base map is drawn without names")
        self._font_files = (regular, bold or regular)
        self._fonts: dict[tuple[int, bool], Any] = {}
        self._image_font = ImageFont

    def font(self, size: int, bold: bool) -> Any:
        key = (size, bold)
        if key not in self._fonts:
            path = self._font_files[1 if bold else 0]
            self._fonts[key] = self._image_font.truetype(path, size) if path else None
        return self._fonts[key]

    # ------------------------------------------------------------------ per zoom

    def _rings(self, geom: Any, z: int) -> list[list[tuple[float, float]]]:
        polys = list(getattr(geom, "geoms", [geom]))
        rings = []
        for p in polys:
            rings.append([_mercator(x, y, z) for x, y in p.exterior.coords])
        return rings

    def _labels(self, z: int) -> list[_Label]:
        """The labels drawn at zoom ``z``, after collision removal (most important first)."""
        wanted: list[_Label] = []
        # The map page names the townships itself; the tiles mark the seat, and name the office up close.
        seat_size = 15 if z <= 13 else 18
        for name, lon, lat in self.seats:
            x, y = _mercator(lon, lat, z)
            text = _office(name) if z >= 12 else ""
            wanted.append(_Label(text, x, y, seat_size, True, (31, 41, 55), 5 if z >= 11 else 4))
        if z >= 12:
            size = 12 if z == 12 else 14
            for name, kind, lon, lat in self.villages:
                x, y = _mercator(lon, lat, z)
                wanted.append(_Label(name, x, y, size, False, (55, 65, 81) if kind != "社区" else (30, 64, 120), 3))
        if z >= 15:
            for name, lon, lat in self.grids:
                x, y = _mercator(lon, lat, z)
                wanted.append(_Label(name, x, y, 12, False, (15, 118, 110), 2))
        placed: list[_Label] = []
        for label in wanted:
            font = self.font(label.size, label.bold)
            if font is None:
                label.box = (label.x - label.dot, label.y - label.dot, label.x + label.dot, label.y + label.dot)
                placed.append(label)
                continue
            _left, top, right, bottom = font.getbbox(label.text, stroke_width=2)
            tx, ty = label.x + label.dot + 3, label.y - (bottom - top) / 2 - top
            label.box = (label.x - label.dot - 1, ty + top - 1, tx + right + 1, ty + bottom + 1)
            if any(_overlap(label.box, other.box) for other in placed):
                label.text = ""  # keep the dot where it is free, drop the name
                label.box = (label.x - label.dot, label.y - label.dot, label.x + label.dot, label.y + label.dot)
                if any(_overlap(label.box, other.box) for other in placed):
                    continue
            placed.append(label)
        return placed

    def render_zoom(self, z: int) -> dict[tuple[int, int, int], bytes]:
        from PIL import Image, ImageDraw

        town_rings = [(i, self._rings(g, z)) for i, (_n, g) in enumerate(self.towns)]
        county_rings = self._rings(self.outline, z)
        labels = self._labels(z)
        w, s, e, n = self.bounds
        x0, y0, x1, y1 = tile_range(z, w, s, e, n)
        out: dict[tuple[int, int, int], bytes] = {}
        line = 1 if z < 12 else 2
        for tx in range(x0, x1 + 1):
            for ty in range(y0, y1 + 1):
                ox, oy = tx * TILE, ty * TILE
                img = Image.new("RGB", (TILE, TILE), OUTSIDE)
                draw = ImageDraw.Draw(img)

                def local(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
                    return [(x - ox, y - oy) for x, y in ring]  # noqa: B023 - used inside this iteration

                for i, rings in town_rings:
                    for ring in rings:
                        draw.polygon(local(ring), fill=TOWN_COLOURS[i % len(TOWN_COLOURS)])
                for _i, rings in town_rings:
                    for ring in rings:
                        draw.line(local(ring), fill=(170, 170, 160), width=line)
                for ring in county_rings:
                    draw.line(local(ring), fill=(90, 90, 100), width=line + 2, joint="curve")
                margin = 200
                for label in labels:
                    if not (ox - margin <= label.x <= ox + TILE + margin and oy - margin <= label.y <= oy + TILE + margin):
                        continue
                    lx, ly = label.x - ox, label.y - oy
                    r = label.dot
                    if r:
                        draw.ellipse((lx - r, ly - r, lx + r, ly + r), fill=label.colour, outline=(255, 255, 255))
                    font = self.font(label.size, label.bold)
                    if label.text and font is not None:
                        draw.text((label.box[0] + r + 4 - ox, label.box[1] + 1 - oy - font.getbbox(label.text,
                                   stroke_width=2)[1]), label.text, font=font, fill=label.colour,
                                  stroke_width=2, stroke_fill=(255, 255, 255))
                buf = io.BytesIO()
                img.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=False)
                out[(z, tx, ty)] = buf.getvalue()
        return out


def _office(township: str) -> str:
    """The seat's name as a map writes it: 白石镇政府, 同弓乡政府, 天马街道办事处."""
    return township + ("办事处" if township.endswith("街道") else "政府")


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def write_demo_mbtiles(
    path: str | Path, *, data_dir: str | Path | None = None, crs: str = "wgs84",
    min_zoom: int = MIN_ZOOM, max_zoom: int = MAX_ZOOM,
) -> Path:
    """Render the demo base map into an MBTiles file at ``path`` (written to a temp name, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    renderer = DemoRenderer(data_dir, crs)
    conn = sqlite3.connect(tmp)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    for z in range(min_zoom, max_zoom + 1):
        tiles = renderer.render_zoom(z)
        with conn:
            conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                             [(z, x, (1 << z) - 1 - y, sqlite3.Binary(d)) for (z, x, y), d in tiles.items()])
    w, s, e, n = renderer.bounds
    meta = {
        "name": "常山县演示底图" + ("（GCJ-02）" if crs == "gcj02" else ""), "format": "png", "type": "baselayer",
        "version": GENERATOR_VERSION, "crs": crs, "minzoom": str(min_zoom), "maxzoom": str(max_zoom),
        "bounds": f"{w:.6f},{s:.6f},{e:.6f},{n:.6f}", "center": f"{(w + e) / 2:.6f},{(s + n) / 2:.6f},10",
        "attribution": ATTRIBUTION, "description": "generated by commandroom.basemap.demo from data/",
    }
    with conn:
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    conn.close()
    tmp.replace(path)
    return path


def ensure_demo_basemap(cache_dir: str | Path, *, data_dir: str | Path | None = None) -> Path:
    """The demo MBTiles under ``cache_dir``, rendered once per generator version (≈ a minute)."""
    path = Path(cache_dir) / f"demo-basemap-v{GENERATOR_VERSION}.mbtiles"
    if not path.is_file():
        started = time.perf_counter()
        write_demo_mbtiles(path, data_dir=data_dir)
        log.info("demo base map rendered in %.1f s: %s", time.perf_counter() - started, path)
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m commandroom.basemap.demo", description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84")
    p.add_argument("--max-zoom", type=int, default=MAX_ZOOM)
    p.add_argument("--data", default=None)
    args = p.parse_args(argv)
    started = time.perf_counter()
    write_demo_mbtiles(args.out, data_dir=args.data, crs=args.crs, max_zoom=args.max_zoom)
    print(f"{args.out} written in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
