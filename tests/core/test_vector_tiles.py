"""Vector tiles (MVT) read and drawn in the core: a round trip through the encoder, gzip, and the pixels a person
sees (water blue where the water is, a road across, a village name in Chinese), larger at the wall's scale."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from commandroom.basemap.vector import (
    LINESTRING,
    POINT,
    POLYGON,
    WATER,
    Feature,
    Layer,
    VectorTileError,
    decode_tile,
    encode_tile,
    label_font_available,
    render_tile,
)


def _sample() -> list[Layer]:
    return [
        Layer("water", 4096, [Feature(POLYGON, [[(0, 0), (2048, 0), (2048, 2048), (0, 2048), (0, 0)]],
                                      {"class": "lake", "id": 7})]),
        Layer("transportation", 4096, [Feature(LINESTRING, [[(0, 3000), (4096, 3000)]], {"class": "primary"})]),
        Layer("place", 4096, [Feature(POINT, [[(2600, 1000)]], {"name": "球川镇", "rank": -3, "area": 1.5,
                                                               "capital": False})]),
    ]


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _close(c: tuple[int, ...], want: tuple[int, int, int], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(c, want, strict=False))


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_keeps_layers_geometry_and_properties(compress):
    layers = decode_tile(encode_tile(_sample(), compress=compress))
    assert [lay.name for lay in layers] == ["water", "transportation", "place"]
    water, road, place = layers
    assert water.features[0].kind == POLYGON and water.features[0].parts[0][0] == water.features[0].parts[0][-1]
    assert water.features[0].properties == {"class": "lake", "id": 7}
    assert road.features[0].parts == [[(0, 3000), (4096, 3000)]]
    assert place.features[0].properties == {"name": "球川镇", "rank": -3, "area": 1.5, "capital": False}


def test_drawn_tile_shows_water_road_and_name_where_they_are():
    img = _image(render_tile(encode_tile(_sample(), compress=True)))
    assert img.size == (256, 256)
    assert _close(img.getpixel((40, 40)), WATER)  # the lake's quarter
    assert not _close(img.getpixel((200, 230)), WATER)  # dry land
    road_row = [img.getpixel((x, 187)) for x in range(0, 256, 16)]  # y 3000/4096 × 256 ≈ 187
    assert all(not _close(c, img.getpixel((128, 220))) for c in road_row)  # the road crosses the whole tile
    if label_font_available():  # the name's dark ink beside its dot
        dark = sum(1 for x in range(170, 256) for y in range(50, 75) if sum(img.getpixel((x, y))) < 300)
        assert dark > 20


def test_wall_scale_draws_a_larger_tile_with_larger_names():
    tile = encode_tile(_sample())
    small, large = _image(render_tile(tile)), _image(render_tile(tile, scale=2))
    assert large.size == (512, 512)
    if label_font_available():
        def ink(img: Image.Image, box: tuple[int, int, int, int]) -> int:
            return sum(1 for x in range(box[0], box[2]) for y in range(box[1], box[3]) if sum(img.getpixel((x, y))) < 300)
        # the same name covers about four times the pixels: it reads from twice as far
        assert ink(large, (330, 100, 512, 150)) > 3 * ink(small, (165, 50, 256, 75))


def test_not_a_vector_tile_is_refused_with_a_clear_error():
    with pytest.raises(VectorTileError):
        decode_tile(b"\x1a\xff\xff\xff")
    with pytest.raises(VectorTileError):
        decode_tile(b"\x1f\x8b broken gzip")
