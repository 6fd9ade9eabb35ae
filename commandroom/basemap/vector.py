"""Vector tiles (Mapbox Vector Tile, ``pbf``) drawn to PNG on the desk, with no network and no extra package.

A county's licensed base map may come as vector tiles (MBTiles/PMTiles with ``format=pbf``). The desktop map
(Leaflet in QtWebEngine) draws raster tiles only, and no well-kept offline Leaflet vector-tile plugin ships as a
Python package, so the desk rasterises each tile itself when the page asks for it: :func:`decode_tile` reads
the protobuf (the MVT 2.1 schema is small: layers of features with tags and a command-encoded geometry), and
:func:`render_tile` draws it with Pillow in a fixed cartographic style (water, green areas, buildings, roads by
class, boundaries, names). :func:`encode_tile` writes the same format; tests and tools make small packages
with it.

``scale`` draws the tile at ``256 × scale`` pixels with lines and names ``scale`` times thicker and larger:
the wall asks for tiles that stay readable from across the room (see ``ui.map``).
"""

from __future__ import annotations

import gzip
import io
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

POINT, LINESTRING, POLYGON = 1, 2, 3
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7


class VectorTileError(ValueError):
    """The bytes are not a Mapbox vector tile."""


@dataclass
class Feature:
    kind: int  # POINT / LINESTRING / POLYGON
    parts: list[list[tuple[int, int]]]  # points, lines or rings in tile coordinates (0 … extent, y down)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Layer:
    name: str
    extent: int = 4096
    features: list[Feature] = field(default_factory=list)


# --------------------------------------------------------------------------- protobuf, the little MVT needs


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        if pos >= len(buf):
            raise VectorTileError("truncated varint")
        b = buf[pos]
        pos += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, pos
        shift += 7
        if shift > 63:
            raise VectorTileError("varint too long")


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value): an int for varints and fixed, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise VectorTileError("truncated 64-bit field")
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise VectorTileError("truncated field")
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            if pos + 4 > len(buf):
                raise VectorTileError("truncated 32-bit field")
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise VectorTileError(f"unknown wire type {wire}")
        yield number, wire, value


def _packed(wire: int, value: Any) -> list[int]:
    if wire == 0:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _value(buf: bytes) -> Any:
    for number, _wire, v in _fields(buf):
        if number == 1:
            return bytes(v).decode("utf-8", "replace")
        if number == 2:
            return struct.unpack("<f", v)[0]
        if number == 3:
            return struct.unpack("<d", v)[0]
        if number == 4:
            return v - (1 << 64) if v >= 1 << 63 else v
        if number == 5:
            return v
        if number == 6:
            return _zigzag(v)
        if number == 7:
            return bool(v)
    return None


def _geometry(commands: list[int]) -> list[list[tuple[int, int]]]:
    parts: list[list[tuple[int, int]]] = []
    x = y = 0
    i = 0
    while i < len(commands):
        cmd, count = commands[i] & 7, commands[i] >> 3
        i += 1
        if cmd == CLOSE_PATH:
            if parts and parts[-1]:
                parts[-1].append(parts[-1][0])
            continue
        if cmd not in (MOVE_TO, LINE_TO) or i + 2 * count > len(commands):
            raise VectorTileError("bad geometry command")
        for _ in range(count):
            x += _zigzag(commands[i])
            y += _zigzag(commands[i + 1])
            i += 2
            if cmd == MOVE_TO:
                parts.append([(x, y)])
            elif parts:
                parts[-1].append((x, y))
    return parts


def decode_tile(data: bytes) -> list[Layer]:
    """The layers of one vector tile (gzip-compressed or not)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise VectorTileError(f"bad gzip: {exc}") from exc
    layers = []
    for number, _wire, raw in _fields(data):
        if number != 3:
            continue
        name, extent, keys, values, raw_features = "", 4096, [], [], []
        for n, w, v in _fields(raw):
            if n == 1:
                name = bytes(v).decode("utf-8", "replace")
            elif n == 2:
                raw_features.append(v)
            elif n == 3:
                keys.append(bytes(v).decode("utf-8", "replace"))
            elif n == 4:
                values.append(_value(v))
            elif n == 5 and w == 0:
                extent = v or 4096
        layer = Layer(name, extent)
        for rf in raw_features:
            kind, tags, geom = 0, [], []
            for n, w, v in _fields(rf):
                if n == 2:
                    tags += _packed(w, v)
                elif n == 3:
                    kind = v
                elif n == 4:
                    geom += _packed(w, v)
            props = {keys[tags[k]]: values[tags[k + 1]] for k in range(0, len(tags) - 1, 2)
                     if tags[k] < len(keys) and tags[k + 1] < len(values)}
            layer.features.append(Feature(kind, _geometry(geom), props))
        layers.append(layer)
    return layers


def _w_varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _w_field(number: int, payload: bytes) -> bytes:
    return _w_varint(number << 3 | 2) + _w_varint(len(payload)) + payload


def _w_uint(number: int, value: int) -> bytes:
    return _w_varint(number << 3) + _w_varint(value)


def _w_value(v: Any) -> bytes:
    if isinstance(v, bool):
        return _w_uint(7, int(v))
    if isinstance(v, int):
        return _w_uint(6, (v << 1) ^ (v >> 63))
    if isinstance(v, float):
        return _w_varint(3 << 3 | 1) + struct.pack("<d", v)
    return _w_field(1, str(v).encode("utf-8"))


def _w_geometry(kind: int, parts: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    out: list[int] = []
    x = y = 0

    def delta(px: int, py: int) -> None:
        nonlocal x, y
        dx, dy = px - x, py - y
        out.extend(((dx << 1) ^ (dx >> 31), (dy << 1) ^ (dy >> 31)))
        x, y = px, py

    if kind == POINT:
        out.append(MOVE_TO | len(parts) << 3)
        for part in parts:
            delta(*part[0])
        return out
    for part in parts:
        pts = list(part[:-1]) if kind == POLYGON and len(part) > 1 and part[0] == part[-1] else list(part)
        out.append(MOVE_TO | 1 << 3)
        delta(*pts[0])
        out.append(LINE_TO | (len(pts) - 1) << 3)
        for p in pts[1:]:
            delta(*p)
        if kind == POLYGON:
            out.append(CLOSE_PATH | 1 << 3)
    return out


def encode_tile(layers: Sequence[Layer], *, compress: bool = False) -> bytes:
    """One vector tile from ``layers`` (rings of a polygon: outer clockwise in tile coordinates)."""
    out = bytearray()
    for layer in layers:
        keys: list[str] = []
        values: list[Any] = []
        body = bytearray(_w_uint(15, 2) + _w_field(1, layer.name.encode("utf-8")))
        for f in layer.features:
            tags: list[int] = []
            for k, v in f.properties.items():
                if k not in keys:
                    keys.append(k)
                if v not in values:
                    values.append(v)
                tags += [keys.index(k), values.index(v)]
            packed_tags = b"".join(_w_varint(t) for t in tags)
            geom = b"".join(_w_varint(c) for c in _w_geometry(f.kind, f.parts))
            body += _w_field(2, _w_field(2, packed_tags) + _w_uint(3, f.kind) + _w_field(4, geom))
        for k in keys:
            body += _w_field(3, k.encode("utf-8"))
        for v in values:
            body += _w_field(4, _w_value(v))
        body += _w_uint(5, layer.extent)
        out += _w_field(3, bytes(body))
    return gzip.compress(bytes(out)) if compress else bytes(out)


# --------------------------------------------------------------------------- drawing

BACKGROUND = (242, 239, 233)
WATER = (170, 211, 223)
GREEN = (205, 232, 192)
BUILDING = (217, 208, 201)
BUILDING_EDGE = (190, 180, 172)
OTHER_AREA = (232, 228, 220)
BOUNDARY = (158, 123, 181)
ROAD_CASING = (170, 165, 160)
ROADS = {  # class → (colour, width at scale 1)
    "motorway": ((233, 144, 160), 4.0), "trunk": ((249, 178, 156), 4.0), "primary": ((252, 214, 164), 3.5),
    "secondary": ((247, 250, 191), 3.0), "tertiary": ((255, 255, 255), 2.5),
}
MINOR_ROAD = ((255, 255, 255), 1.8)
TEXT = (40, 44, 52)
HALO = (255, 255, 255)

_WATER_LAYERS = ("water", "ocean", "lake", "waterarea", "water_area", "reservoir")
_WATERWAY_LAYERS = ("waterway", "river", "rivers", "stream")
_GREEN_LAYERS = ("landcover", "landuse", "park", "green", "forest", "wood", "vegetation")
_ROAD_LAYERS = ("transportation", "road", "roads", "highway", "street", "streets")
_BOUNDARY_LAYERS = ("boundary", "boundaries", "admin", "admin_boundary")
_LABEL_LAYERS = ("place", "places", "place_label", "poi", "label", "labels", "village", "villages", "names")
_NAME_KEYS = ("name:zh", "name_zh", "name", "名称", "NAME")

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)


def _kind_of(layer: str) -> str:
    name = layer.lower()
    for kind, names in (("water", _WATER_LAYERS), ("waterway", _WATERWAY_LAYERS), ("green", _GREEN_LAYERS),
                        ("building", ("building", "buildings")), ("road", _ROAD_LAYERS),
                        ("boundary", _BOUNDARY_LAYERS), ("label", _LABEL_LAYERS)):
        if name in names:
            return kind
    return "other"


@lru_cache(maxsize=16)
def _font(size: int) -> Any:
    """A font that has Chinese glyphs (the first installed of :data:`FONT_CANDIDATES`); None: names are not drawn."""
    from PIL import ImageFont

    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return None


def label_font_available() -> bool:
    return _font(12) is not None


def _name(props: dict[str, Any]) -> str:
    for key in _NAME_KEYS:
        v = props.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def render_tile(data: bytes, *, size: int = 256, scale: float = 1.0) -> bytes:
    """The vector tile drawn as a PNG of ``size × scale`` pixels (lines and names ``scale`` times larger)."""
    from PIL import Image, ImageDraw

    layers = decode_tile(data)
    px = max(1, round(size * scale))
    ss = 2  # drawn at twice the size and reduced: smooth edges without an antialiasing library
    canvas = Image.new("RGB", (px * ss, px * ss), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    k = scale * ss

    def to_px(layer: Layer, part: Sequence[tuple[int, int]]) -> list[tuple[float, float]]:
        f = px * ss / layer.extent
        return [(x * f, y * f) for x, y in part]

    def polygons(kinds: tuple[str, ...], fill: tuple[int, int, int],
                 outline: tuple[int, int, int] | None = None) -> None:
        for layer in layers:
            kind = _kind_of(layer.name)
            if kind not in kinds:
                continue
            for f in layer.features:
                if f.kind != POLYGON:
                    continue
                colour = fill
                if kind == "other" and str(f.properties.get("class", "")).lower() in ("water", "river", "lake"):
                    colour = WATER
                for ring in f.parts:
                    if len(ring) >= 3:
                        draw.polygon(to_px(layer, ring), fill=colour, outline=outline)

    polygons(("other",), OTHER_AREA)
    polygons(("green",), GREEN)
    polygons(("water",), WATER)
    polygons(("building",), BUILDING, BUILDING_EDGE)

    def lines(kinds: tuple[str, ...], style: Any) -> None:
        for layer in layers:
            if _kind_of(layer.name) not in kinds:
                continue
            for f in layer.features:
                if f.kind == POINT:
                    continue
                got = style(f)
                if got is None:
                    continue
                colour, width = got
                for part in f.parts:
                    if len(part) >= 2:
                        draw.line(to_px(layer, part), fill=colour, width=max(1, round(width * k)), joint="curve")

    lines(("waterway",), lambda f: (WATER, 2.0))
    lines(("water",), lambda f: (WATER, 1.5) if f.kind == LINESTRING else None)
    lines(("other",), lambda f: ((160, 160, 160), 1.0) if f.kind == LINESTRING else None)
    lines(("boundary",), lambda f: (BOUNDARY, 1.5))

    def road(f: Feature) -> tuple[tuple[int, int, int], float]:
        cls = str(f.properties.get("class") or f.properties.get("highway") or "").lower()
        return ROADS.get(cls, MINOR_ROAD)

    lines(("road",), lambda f: (ROAD_CASING, road(f)[1] + 1.2))  # casing under every road, then the fills
    lines(("road",), road)

    font = _font(max(8, round(12 * k)))
    if font is not None:
        taken: list[tuple[float, float, float, float]] = []
        for layer in layers:
            if _kind_of(layer.name) != "label":
                continue
            for f in layer.features:
                name = _name(f.properties)
                if f.kind != POINT or not name:
                    continue
                for part in f.parts:
                    x, y = to_px(layer, part)[0]
                    draw.ellipse((x - 2.5 * k, y - 2.5 * k, x + 2.5 * k, y + 2.5 * k), fill=TEXT)
                    box = draw.textbbox((x + 4 * k, y), name, font=font, anchor="lm", stroke_width=round(2 * k))
                    if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
                        continue  # names never overlap: the later one gives way
                    taken.append(box)
                    draw.text((x + 4 * k, y), name, font=font, anchor="lm", fill=TEXT, stroke_width=round(2 * k),
                              stroke_fill=HALO)
    out = io.BytesIO()
    canvas.resize((px, px), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=False)
    return out.getvalue()
