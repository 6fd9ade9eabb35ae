"""The map page builder, its data and the tile cache, without a browser.

What the written page may and may not contain is checked on the files themselves:
no http(s) URL in anything we write; vendor libraries may keep only the listed
URL strings, none of which is ever fetched (XML namespaces, comments, a link text).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from commandroom.domain.models import Incident, Report, TeamMember, Township
from commandroom.sync.local import LocalStore
from ui.map.basedata import load_base_layers
from ui.map.page import build_map_page
from ui.map.payload import epoch_ms, read_all, read_changed, read_snapshot, to_js
from ui.map.tiles import MBTiles, parse_tile_url, write_mbtiles

ROOT = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"https?://[^\s\"'()<>]*", re.IGNORECASE)

# URL strings that ship inside the vendor files, none of them fetched by the page.
VENDOR_URL_ALLOWLIST = {
    "lib/leaflet.js": {
        "http://www.w3.org/2000/svg",
        "https://leafletjs.com",
    },  # SVG namespace; attribution link (prefix disabled)
    "lib/leaflet.css": {"https://bugzilla.mozilla.org/show_bug.cgi?id=888319"},  # a comment
    "lib/leaflet-heat.js": {  # licence comments and a source note
        "https://github.com/Leaflet/Leaflet.heat",
        "https://github.com/Leaflet/Leaflet.heat/pull/78",
        "https://github.com/mourner/simpleheat",
        "https://leaflet.github.io/Leaflet.heat/dist/leaflet-heat.js",
    },
}


@pytest.fixture
def plain_store(tmp_path):
    """A migrated store with no reference data: the map falls back to the data files."""
    s = LocalStore(tmp_path / "plain.db")
    yield s
    s.close()


@pytest.fixture
def page_dir(tmp_path):
    return tmp_path / "page"


def _urls(path: Path) -> set[str]:
    return {
        m.group(0).rstrip(".,;") for m in URL_RE.finditer(path.read_text(encoding="utf-8", errors="replace"))
    }


def test_written_page_contains_no_remote_url(page_dir, plain_store):
    build_map_page(page_dir, load_base_layers(plain_store))
    files = [p for p in page_dir.rglob("*") if p.is_file() and p.suffix in (".html", ".js", ".css")]
    assert {p.relative_to(page_dir).as_posix() for p in files} >= {
        "index.html",
        "lib/leaflet.js",
        "lib/leaflet.markercluster.js",
        "lib/leaflet-heat.js",
        "lib/cr_map.js",
        "lib/cr_map.css",
    }
    for path in files:
        rel = path.relative_to(page_dir).as_posix()
        found = _urls(path)
        allowed = VENDOR_URL_ALLOWLIST.get(rel, set())
        assert found <= allowed, f"{rel} has URLs {sorted(found - allowed)}"
    html = (page_dir / "index.html").read_text(encoding="utf-8")
    # none of folium's CDN defaults survives
    for name in ("jquery", "bootstrap", "awesome", "font-awesome", "fontawesome", "cdn."):
        assert name not in html.lower(), name
    # every src/href is a relative file of the page folder, and it exists
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"^[a-z]+:", ref), ref
        assert (page_dir / ref).is_file(), ref


def test_every_script_carries_the_csp_nonce(page_dir, plain_store):
    html = build_map_page(page_dir, load_base_layers(plain_store)).read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "connect-src 'none'" in csp
    tags = re.findall(r"<script\b[^>]*>", html)
    assert tags and all(f'nonce="{nonce}"' in t for t in tags)
    # a second build gets a fresh nonce
    html2 = build_map_page(page_dir, load_base_layers(plain_store)).read_text(encoding="utf-8")
    assert nonce not in html2


def test_incidents_are_not_baked_into_the_html(page_dir, plain_store):
    with plain_store.write() as s:
        s.add(
            Incident(
                township_code="330822111", title="独一无二的标题XYZ", category_code="x", lat=28.9, lon=118.4
            )
        )
    html = build_map_page(page_dir, load_base_layers(plain_store)).read_text(encoding="utf-8")
    assert "独一无二的标题XYZ" not in html
    assert "\\u72ec\\u4e00\\u65e0\\u4e8c" not in html


def test_base_layers_from_files_dissolve_seven_zones(plain_store):
    base = load_base_layers(plain_store)
    assert base.townships_approximate
    towns = {f["properties"]["code"]: shape(f["geometry"]) for f in base.townships["features"]}
    assert len(towns) == 14
    zones = base.zones["features"]
    assert len(zones) == 7
    for z in zones:
        members = [towns[c] for c in z["properties"]["members"]]
        dissolved = shape(z["geometry"])
        assert dissolved.area == pytest.approx(sum(m.area for m in members), rel=1e-3)
        assert z["properties"]["name"].endswith("片区")
        lat, lon = z["properties"]["label"]
        assert dissolved.contains(shapely.Point(lon, lat))
    qc = next(z for z in zones if z["properties"]["id"] == "QC")
    assert set(qc["properties"]["members"]) == {"330822111", "330822104", "330822211"}
    s, w, n, e = base.bounds
    assert 28.7 < s < n < 29.3 and 118.2 < w < e < 118.8


def test_base_layers_prefer_the_stores_official_boundaries(plain_store):
    square = {
        "type": "Polygon",
        "coordinates": [[[118.4, 28.8], [118.5, 28.8], [118.5, 28.9], [118.4, 28.9], [118.4, 28.8]]],
    }
    with plain_store.write() as s:
        s.add(
            Township(
                code="330822111",
                name="球川镇",
                short_name="球川",
                kind="镇",
                seat_lat=28.85,
                seat_lon=118.45,
                number_prefix="QC",
                area_geojson=square,
                area_approximate=False,
            )
        )
    base = load_base_layers(plain_store)
    assert [f["properties"]["code"] for f in base.townships["features"]] == ["330822111"]
    assert base.townships_approximate is False
    assert base.townships["features"][0]["properties"]["approximate"] is False


def test_mbtiles_round_trip_flips_rows(tmp_path):
    path = write_mbtiles(
        tmp_path / "t.mbtiles", {(10, 843, 420): b"PNGDATA"}, attribution="测试", minzoom="10", maxzoom="10"
    )
    tiles = MBTiles.open_if_usable(path)
    assert tiles is not None
    assert tiles.tile(10, 843, 420) == b"PNGDATA"
    assert tiles.tile(10, 843, 421) is None
    assert tiles.tile(10, 5000, 420) is None  # out of range
    assert tiles.info.mime == "image/png" and tiles.info.attribution == "测试"
    assert MBTiles.open_if_usable(tmp_path / "missing.mbtiles") is None
    (tmp_path / "junk.mbtiles").write_bytes(b"not sqlite")
    assert MBTiles.open_if_usable(tmp_path / "junk.mbtiles") is None


@pytest.mark.parametrize(
    ("url", "zxy"),
    [
        ("tiles:///10/843/420", (10, 843, 420)),
        ("tiles:///10/843/420.png", (10, 843, 420)),
        ("tiles://0.0.0.10/843/420", (10, 843, 420)),  # Chromium's reading of tiles://10/843/420
        ("tiles:///10/843", None),
        ("tiles:///a/b/c", None),
        ("http://example.com/10/1/1", None),
    ],
)
def test_parse_tile_url(url, zxy):
    assert parse_tile_url(url) == zxy


def test_payload_snapshot_and_changed_rows(plain_store):
    with plain_store.write() as s:
        s.add(
            Incident(
                id="i-ok", township_code="t", title="a", category_code="c", lat=28.9, lon=118.5, urgency="L1"
            )
        )
        s.add(Incident(id="i-nopos", township_code="t", title="b", category_code="c"))
        s.add(
            Incident(
                id="i-merged",
                township_code="t",
                title="c",
                category_code="c",
                lat=28.9,
                lon=118.5,
                merged_into_id="i-ok",
            )
        )
        s.add(
            Report(
                id="r-new",
                township_code="t",
                source="grid_patrol",
                category_code="c",
                description="d",
                lat=28.9,
                lon=118.5,
            )
        )
        s.add(
            Report(
                id="r-done",
                township_code="t",
                source="grid_patrol",
                category_code="c",
                description="d",
                lat=28.9,
                lon=118.5,
                state="accepted",
            )
        )
        s.add(
            TeamMember(
                id="m-1", township_code="t", zone_id="QC", name="张三", origin="x", lat=28.9, lon=118.5
            )
        )
    snap = read_snapshot(plain_store)
    assert [r[0] for r in snap["incident"]["rows"]] == ["i-ok"]
    assert snap["incident"]["cols"][:3] == ["id", "no", "title"]
    assert [r["id"] for r in read_all(plain_store, "report")] == ["r-new"]
    assert read_all(plain_store, "report")[0]["src"] == "网格巡查"
    assert [r["id"] for r in read_all(plain_store, "team_member")] == ["m-1"]
    inc = read_all(plain_store, "incident")[0]
    assert inc["urg"] == "L1" and inc["no"] == "" and inc["due"] is None
    rows, removed = read_changed(plain_store, "incident", ["i-ok", "i-nopos", "i-merged", "i-gone"])
    assert [r["id"] for r in rows] == ["i-ok"]
    assert removed == ["i-nopos", "i-merged", "i-gone"]
    rows, removed = read_changed(plain_store, "report", ["r-new", "r-done"])
    assert [r["id"] for r in rows] == ["r-new"] and removed == ["r-done"]


def test_deadlines_become_epoch_milliseconds_in_sql(plain_store):
    due = datetime(2026, 11, 26, 8, 30, 15, 250000)
    with plain_store.write() as s:
        s.add(
            Incident(
                id="i-due",
                township_code="t",
                title="a",
                category_code="c",
                lat=28.9,
                lon=118.5,
                close_due=due,
            )
        )
    assert read_all(plain_store, "incident")[0]["due"] == epoch_ms(due)


def test_to_js_is_json_and_keeps_hostile_text_as_data():
    # JSON is a JavaScript expression (ES2019 allows raw U+2028 in strings), passed to runJavaScript
    text = "</script><script>alert(1)</script>\u2028'\""
    assert json.loads(to_js({"t": text}))["t"] == text


def test_importing_the_view_loads_neither_webengine_nor_folium():
    """Cold start: the map's heavy imports wait until a map view is built."""
    script = textwrap.dedent(
        """
        import sys
        import ui.map.view
        heavy = [m for m in ("PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineCore", "folium") if m in sys.modules]
        print(",".join(heavy))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
