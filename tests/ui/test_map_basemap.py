"""The map page over the desk's downloaded base maps (real QtWebEngine, offscreen).

* the layer switch offers the downloaded layers and 无底图, and the page loads nothing remote;
* GCJ-02 tiles: the WGS84 overlays land where the tiles draw the place — checked on the pixels the
  user sees (a township seat's dot in the tiles sits under its WGS84 position) and on the projection;
* a newly switched-in version rebuilds the page.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor

from ui.map.web import register_schemes  # must precede the first QtWebEngine object

register_schemes()

from commandroom.basemap.demo import write_demo_mbtiles  # noqa: E402
from commandroom.basemap.local import write_manifest  # noqa: E402
from commandroom.refdata import geo  # noqa: E402
from commandroom.store.local import DeskStore  # noqa: E402
from tests.ui.test_map_view import js, open_view, run  # noqa: E402

pytestmark = pytest.mark.usefixtures("zh")
URL_RE = re.compile(r"https?://", re.IGNORECASE)
MAX_Z = 13


@pytest.fixture
def desk(tmp_path, qapp):
    from ui.async_runner import forget_store

    s = DeskStore(tmp_path / "ws.db")
    yield s
    forget_store(s)
    s.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """The demo base map rendered in both coordinate systems (zooms 9–13), once for the module."""
    out = tmp_path_factory.mktemp("rendered")
    return {crs: write_demo_mbtiles(out / f"{crs}.mbtiles", crs=crs, max_zoom=MAX_Z) for crs in ("wgs84", "gcj02")}


def install(folder: Path, crs: str, package: Path, *, version: int = 1, layer: str = "streets") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{layer}-v{version}.mbtiles"
    shutil.copyfile(package, folder / name)
    write_manifest(folder, {"layers": {layer: {
        "id": f"id-{version}", "layer": layer, "version": version, "name": "常山县演示底图", "tile_format": "png",
        "raster": True, "crs": crs, "min_zoom": 9, "max_zoom": MAX_Z, "file": name}}})


def seat(name: str) -> tuple[float, float]:
    with (geo.DEFAULT_DATA_DIR / geo.TOWNSHIPS_FILE).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["short_name"] == name:
                return float(row["seat_lon"]), float(row["seat_lat"])
    raise KeyError(name)


def layer_switch(view, qtbot) -> list[str]:
    return js(view, qtbot, "Array.from(document.querySelectorAll('.leaflet-control-layers-base label'))"
                           ".map(function (l) { return l.textContent.trim(); })")


def test_switch_offers_the_downloaded_layer_and_none_and_nothing_remote(qtbot, desk, rendered, tmp_path):
    folder = tmp_path / "desk-basemaps"
    install(folder, "wgs84", rendered["wgs84"])
    view = open_view(qtbot, desk, basemap_dir=folder)
    assert layer_switch(view, qtbot) == ["无底图", "街道图"]
    html = (view.page_dir / "index.html").read_text(encoding="utf-8")
    assert not URL_RE.search(html) and "tiles:///streets/{z}/{x}/{y}" in html
    qtbot.waitUntil(lambda: view.tiles_served > 0, timeout=10_000)
    assert view.blocked_requests == [] and view.refused_navigations == []
    # 无底图: the tile layer leaves the map, the vector layers stay
    run(view, qtbot, "document.querySelectorAll('.leaflet-control-layers-base input')[0].click();")
    assert js(view, qtbot, "document.querySelectorAll('.leaflet-tile-container img').length") == 0
    assert js(view, qtbot, "document.querySelectorAll('.leaflet-crBase-pane path').length") > 0


_TILES_LOADED = ("Array.from(document.querySelectorAll('.leaflet-tile-container img'))"
                 ".every(function (i) { return i.complete; })")


def _painted(qtbot, view, measure, ok) -> Any:
    """``measure(grabbed image)`` once the view shows what ``ok`` wants and the same on two grabs in a row.

    Loaded tiles are painted (faded in) over frames that a loaded machine draws late: no fixed pause before a
    grab is long enough.
    """
    seen: list[Any] = []

    def shown() -> bool:
        seen.append(measure(view.grab().toImage()))
        return len(seen) >= 2 and seen[-1] == seen[-2] and bool(ok(seen[-1]))

    qtbot.waitUntil(lambda: js(view, qtbot, _TILES_LOADED), timeout=20_000)
    qtbot.waitUntil(shown, timeout=20_000)
    return seen[-1]


def _dark_near(view, x: float, y: float, radius: int = 3) -> bool:
    """Whether the grabbed view shows the seat dot's dark ink within ``radius`` px of (x, y)."""
    image = view.grab().toImage()
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = QColor(image.pixel(int(x) + dx, int(y) + dy))
            if c.red() < 90 and c.green() < 90 and c.blue() < 110:
                return True
    return False


@pytest.mark.parametrize("crs", ["gcj02", "wgs84"])
def test_overlays_sit_on_the_tiles_whatever_their_crs(qtbot, desk, rendered, tmp_path, crs):
    folder = tmp_path / "desk-basemaps"
    install(folder, crs, rendered[crs])
    view = open_view(qtbot, desk, basemap_dir=folder, size=(900, 700))
    lon, lat = seat("白石")
    # the user zooms to the township at the tiles' deepest zoom; only the base tiles stay visible
    run(view, qtbot, f"""
        var map = Object.values(window).find(function (v) {{ return v instanceof L.Map; }});
        window.__m = map;
        map.setView([{lat}, {lon}], {MAX_Z}, {{animate: false}});
        ['overlayPane', 'markerPane', 'crBase', 'crLabels', 'crIncidents', 'crReports', 'crTeams', 'shadowPane',
         'tooltipPane'].forEach(function (p) {{ var el = map.getPane(p); if (el) {{ el.style.display = 'none'; }} }});
        document.querySelectorAll('.leaflet-control-container').forEach(function (c) {{ c.style.display = 'none'; }});
    """)
    p = js(view, qtbot, f"(function () {{ var q = window.__m.latLngToContainerPoint([{lat}, {lon}]); "
                        "return [q.x, q.y]; })()")
    # the seat dot under the WGS84 position (waited for: the tiles fade in, a loaded machine paints them late)
    _painted(qtbot, view, lambda _image: _dark_near(view, p[0], p[1]), bool)
    if crs == "gcj02":
        # the same spot drawn with plain Web-Mercator (no alignment) misses the dot by ~500 m
        q = js(view, qtbot, f"(function () {{ var m = window.__m; var pt = L.CRS.EPSG3857.latLngToPoint("
                            f"L.latLng({lat}, {lon}), m.getZoom()).subtract(m.getPixelOrigin()); "
                            "var c = m.layerPointToContainerPoint(pt); return [c.x, c.y]; })()")
        assert abs(q[0] - p[0]) + abs(q[1] - p[1]) > 20
        assert not _dark_near(view, q[0], q[1])


def test_gcj_projection_matches_the_conversion_at_control_points(qtbot, desk, rendered, tmp_path):
    folder = tmp_path / "desk-basemaps"
    install(folder, "gcj02", rendered["gcj02"])
    view = open_view(qtbot, desk, basemap_dir=folder)
    for name in ("天马", "球川", "新昌", "青石"):
        lon, lat = seat(name)
        glon, glat = geo.wgs84_to_gcj02(lon, lat)
        got = js(view, qtbot, f"(function () {{ var m = Object.values(window).find(function (v) {{ "
                              f"return v instanceof L.Map; }}); var a = m.project([{lat}, {lon}], 18); "
                              f"var b = L.CRS.EPSG3857.latLngToPoint(L.latLng({glat}, {glon}), 18); "
                              f"var back = m.unproject(a, 18); "
                              f"return [a.x - b.x, a.y - b.y, back.lat - {lat}, back.lng - {lon}]; }})()")
        assert abs(got[0]) < 0.5 and abs(got[1]) < 0.5, (name, got)  # under 0.3 m at zoom 18
        assert abs(got[2]) < 1e-7 and abs(got[3]) < 1e-7, (name, got)  # clicks come back in WGS84


def test_a_new_version_switched_in_rebuilds_the_page(qtbot, desk, rendered, tmp_path):
    folder = tmp_path / "desk-basemaps"
    install(folder, "wgs84", rendered["wgs84"])
    view = open_view(qtbot, desk, basemap_dir=folder)
    assert view.basemap_keys == ("streets:1",)
    loads = view.load_count
    install(folder, "gcj02", rendered["gcj02"], version=2)
    qtbot.waitUntil(lambda: view.load_count > loads and view.is_ready, timeout=30_000)
    assert view.basemap_keys == ("streets:2",)
    assert layer_switch(view, qtbot) == ["无底图", "街道图"]


def test_labels_layer_of_the_other_coordinate_system_steps_aside(qtbot, desk, rendered, tmp_path):
    folder = tmp_path / "desk-basemaps"
    folder.mkdir()
    layers = {}
    for layer, crs in (("streets", "gcj02"), ("labels", "wgs84")):
        shutil.copyfile(rendered[crs], folder / f"{layer}.mbtiles")
        layers[layer] = {"id": layer, "layer": layer, "version": 1, "name": layer, "tile_format": "png",
                         "raster": True, "crs": crs, "min_zoom": 9, "max_zoom": MAX_Z, "file": f"{layer}.mbtiles"}
    write_manifest(folder, {"layers": layers})
    view = open_view(qtbot, desk, basemap_dir=folder)
    labels_on = ("(function () { var box = Array.from(document.querySelectorAll("
                 "'.leaflet-control-layers-overlays label')).find(function (l) { "
                 "return l.textContent.trim() === '地图注记'; }); return box ? box.querySelector('input').checked : null; })()")
    assert layer_switch(view, qtbot) == ["无底图", "街道图"]
    assert js(view, qtbot, labels_on) is False  # GCJ-02 streets shown: WGS84 labels would sit ~500 m off
    run(view, qtbot, "document.querySelectorAll('.leaflet-control-layers-base input')[0].click();")  # 无底图
    qtbot.waitUntil(lambda: js(view, qtbot, labels_on) is True, timeout=5000)


def _vector_package(path: Path) -> Path:
    """A small vector (pbf) base map over the county: each tile half lake (west), half land with a road."""
    from commandroom.basemap.package import county_bounds, tile_range
    from commandroom.basemap.vector import LINESTRING, POLYGON, Feature, Layer, encode_tile
    from ui.map.tiles import write_mbtiles

    tile = encode_tile([
        Layer("water", 4096, [Feature(POLYGON, [[(0, 0), (2048, 0), (2048, 4096), (0, 4096), (0, 0)]])]),
        Layer("transportation", 4096, [Feature(LINESTRING, [[(2048, 2048), (4096, 2048)]], {"class": "primary"})]),
    ], compress=True)
    w, s, e, n = county_bounds(None, "wgs84")
    tiles = {}
    for z in range(9, 12):
        x0, y0, x1, y1 = tile_range(z, w, s, e, n)
        tiles.update({(z, x, y): tile for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)})
    return write_mbtiles(path, tiles, format="pbf", minzoom="9", maxzoom="11", name="矢量底图")


def _installed_vector_base_map(tmp_path):
    """A desk's base-map folder holding the vector package as its streets layer (as a download leaves it)."""
    folder = tmp_path / "desk-basemaps"
    folder.mkdir()
    shutil.copyfile(_vector_package(tmp_path / "v.mbtiles"), folder / "streets-v1.mbtiles")
    write_manifest(folder, {"layers": {"streets": {
        "id": "v1", "layer": "streets", "version": 1, "name": "矢量底图", "tile_format": "pbf", "raster": False,
        "crs": "wgs84", "min_zoom": 9, "max_zoom": 11, "file": "streets-v1.mbtiles"}}})
    return folder


def test_vector_base_map_is_drawn_on_the_desk(qtbot, desk, tmp_path):
    from commandroom.basemap.vector import WATER

    folder = _installed_vector_base_map(tmp_path)
    view = open_view(qtbot, desk, basemap_dir=folder, size=(900, 700))
    assert layer_switch(view, qtbot) == ["无底图", "街道图"]
    qtbot.waitUntil(lambda: view.tiles_served > 0, timeout=10_000)

    def water(image) -> int:
        return sum(1 for x in range(0, image.width(), 10) for y in range(0, image.height(), 10)
                   if all(abs(a - b) <= 10 for a, b in zip(QColor(image.pixel(x, y)).getRgb()[:3], WATER,
                                                           strict=True)))

    _painted(qtbot, view, water, lambda n: n > 200)  # the lakes of the drawn vector tiles fill about half the map
    assert view.blocked_requests == []


def test_tile_magnification_is_the_nearest_power_of_two():
    from ui.map.page import tile_magnification

    # a desk, a 1080-line wall (its map at 1.5), a 4K wall (3.0)
    assert [tile_magnification(s) for s in (0.8, 1.0, 1.3, 1.5, 2.0, 3.0, 6.0)] == [1, 1, 1, 2, 2, 4, 8]


def _road_thickness(image, column: int) -> int:
    """The longest vertical run of the primary road's fill colour in ``column`` (pixels)."""
    from commandroom.basemap.vector import ROADS

    fill = ROADS["primary"][0]
    best = run_ = 0
    for y in range(image.height()):
        rgb = QColor(image.pixel(column, y)).getRgb()[:3]
        run_ = run_ + 1 if all(abs(a - b) <= 12 for a, b in zip(rgb, fill, strict=True)) else 0
        best = max(best, run_)
    return best


def test_on_the_wall_the_vector_base_map_is_drawn_larger(qtbot, desk, tmp_path):
    """At the wall's scale the tiles are drawn at 512 px with roads (and names) twice as thick, laid out as
    512-px tiles of the zoom below: the same ground, read from across the room."""
    from ui.map.page import PageOptions

    folder = _installed_vector_base_map(tmp_path)
    tiles_loaded = ("Array.from(document.querySelectorAll('.leaflet-tile-container img'))"
                    ".every(function (i) { return i.complete; })")
    natural = ("Array.from(document.querySelectorAll('.leaflet-tile-container img'))"
               ".map(function (i) { return [i.naturalWidth, i.width]; })")
    thickness = {}
    for name, scale in (("desk", 1.0), ("wall", 1.5)):
        view = open_view(qtbot, desk, basemap_dir=folder, size=(900, 700), page_options=PageOptions(scale=scale))
        qtbot.waitUntil(lambda v=view: v.tiles_served > 0, timeout=10_000)
        qtbot.waitUntil(lambda v=view: js(v, qtbot, tiles_loaded), timeout=10_000)
        sizes = {tuple(s) for s in js(view, qtbot, natural) if s[0] > 0}  # tiles beyond the county are none
        assert sizes == ({(256, 256)} if name == "desk" else {(512, 512)})
        thickness[name] = _painted(qtbot, view, lambda image: max(_road_thickness(image, x)
                                                                  for x in range(0, image.width(), 25)), bool)
        assert view.blocked_requests == []
        view.close()
    assert thickness["desk"] >= 2
    assert thickness["wall"] >= 1.7 * thickness["desk"]


def test_the_wall_scale_given_after_the_page_was_built_redraws_the_base_map(qtbot, desk, tmp_path):
    folder = _installed_vector_base_map(tmp_path)
    view = open_view(qtbot, desk, basemap_dir=folder, size=(900, 700))
    loads = view.load_count
    view.set_scale(1.2)  # same tiles (magnification 1): only the page's labels and markers change
    qtbot.wait(200)
    assert view.load_count == loads
    view.set_scale(3.0)  # a 4K wall: tiles four times larger, so the page is built again
    qtbot.waitUntil(lambda: view.load_count > loads and view.is_ready, timeout=30_000)
    tile_px = js(view, qtbot, "Array.from(document.querySelectorAll('.leaflet-tile-container img'))"
                              ".map(function (i) { return i.width; })")
    assert tile_px and set(tile_px) == {1024}
