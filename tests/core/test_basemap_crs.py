"""WGS84 ↔ GCJ-02 at published control points, and the offset grid the map page interpolates."""

from __future__ import annotations

import pytest

from commandroom.basemap.package import normalize_crs, sniff_encoding
from commandroom.refdata import geo

# Published values: the test suite of the gcoord library (hujiulong/gcoord, MIT), WGS84.spec / GCJ02.spec.
WGS_TO_GCJ = [((123.0, 45.0), (123.00607541, 45.00197815))]
GCJ_TO_WGS = [((123.0, 45.0), (122.99395597, 44.99804071))]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_forward_matches_published_values(wgs, gcj):
    got = geo.wgs84_to_gcj02(*wgs)
    assert got == pytest.approx(gcj, abs=1e-8)


@pytest.mark.parametrize(("gcj", "wgs"), GCJ_TO_WGS)
def test_inverse_matches_published_values(gcj, wgs):
    # gcoord publishes 5 decimals for its inverse; ours iterates to the exact inverse
    assert geo.gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-6)
    assert geo.wgs84_to_gcj02(*geo.gcj02_to_wgs84(*gcj)) == pytest.approx(gcj, abs=1e-9)


def test_offset_grid_interpolates_within_a_pixel_at_street_zoom():
    w, s, e, n = geo.load_outline().bounds
    grid = geo.gcj02_offset_grid((w, s, e, n), step=0.02)  # what the page gets

    def interpolated(lon: float, lat: float) -> tuple[float, float]:
        fx, fy = (lon - grid["west"]) / grid["step"], (lat - grid["south"]) / grid["step"]
        c, r = int(fx), int(fy)
        tx, ty = fx - c, fy - r

        def bil(a: list[float]) -> float:
            i = r * grid["cols"] + c
            return (a[i] * (1 - tx) * (1 - ty) + a[i + 1] * tx * (1 - ty) + a[i + grid["cols"]] * (1 - tx) * ty
                    + a[i + grid["cols"] + 1] * tx * ty)

        return lon + bil(grid["dlon"]), lat + bil(grid["dlat"])

    worst = 0.0
    for i in range(40):
        for j in range(40):
            lon, lat = w + (e - w) * (i + 0.37) / 40, s + (n - s) * (j + 0.61) / 40
            exact = geo.wgs84_to_gcj02(lon, lat)
            got = interpolated(lon, lat)
            worst = max(worst, abs(got[0] - exact[0]), abs(got[1] - exact[1]))
    assert worst < 5e-6  # ≈ 0.5 m: under a pixel at zoom 18
    assert 0.003 < abs(grid["dlon"][0]) < 0.007  # and the offset itself is the ~500 m one


def test_crs_names_and_tile_sniffing():
    assert normalize_crs("CGCS2000") == "wgs84" and normalize_crs("GCJ-02") == "gcj02" and normalize_crs("") is None
    assert sniff_encoding(b"\x89PNG\r\n\x1a\n....") == "png"
    assert sniff_encoding(b"\xff\xd8\xff\xe0") == "jpg"
    assert sniff_encoding(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_encoding(b"\x1a\x05layer") == "pbf"
    assert sniff_encoding(b"GIF89a") is None
