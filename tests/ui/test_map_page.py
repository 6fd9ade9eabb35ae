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
from commandroom.queries.map import epoch_ms, read_all, read_changed, read_snapshot, to_js
from commandroom.queries.map_base import load_base_layers
from commandroom.store.local import DeskStore
from ui.map.page import TEXTS, build_map_page
from ui.map.tiles import MBTiles, TileSetInfo, parse_tile_url, write_mbtiles

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
    s = DeskStore(tmp_path / "plain.db")
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
    assert read_all(plain_store, "report")[0]["src"] == "grid_patrol"  # the page labels it
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


# ---------------------------------------------------------------------------- language

CJK_RE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

# The page's words as the Chinese screens have always shown them.
CHINESE_TEXTS = {
    "legend": "图例",
    "legendToggle": "点击收起/展开图例",
    "legendStates": "事件状态（颜色）",
    "legendUrgency": "紧急程度（大小）",
    "legendOther": "其他",
    "legendCluster": "事件聚合（数字为件数）",
    "overdue": "已超期",
    "openReport": "待受理上报",
    "reportGlyph": "报",
    "teamGlyph": "队",
    "teamMember": "执法队员",
    "townshipShort": "乡镇范围",
    "approxShort": "近似边界",
    "approxNote": "乡镇范围为近似边界（按乡镇驻地划分的泰森多边形），不是法定行政界线；取得官方边界后自动替换。",
    "vectorBase": "矢量底图",
    "tileBase": "离线瓦片底图",
    "outlineLayer": "县界",
    "townshipsLayer": "乡镇范围",
    "townshipsLayerApprox": "乡镇范围（近似边界）",
    "zonesLayer": "执法片区",
    "gridsLayer": "网格",
    "heatLayer": "事件热力图",
    "openIncidentsLayer": "事件（未办结）",
    "closedIncidentsLayer": "事件（已办结）",
    "reportsLayer": "待受理上报",
    "teamsLayer": "执法队员位置",
    "noNumber": "（未编号）",
    "category": "类别",
    "address": "地址",
    "closeDue": "办结时限",
    "openDetail": "查看详情",
    "source": "来源",
    "reporter": "上报人",
    "reportedAt": "上报时间",
    "status": "状态",
    "zone": "片区",
    "statusAt": "状态时间",
    "rectSelect": "框选",
    "rectSelectTip": "框选事件（也可按住 Shift 拖动）",
    "lassoSelect": "套索",
    "lassoSelectTip": "套索选择事件：按下后拖动画出范围",
    "clearSelect": "清除",
    "wholeCounty": "全县",
    "selected": "已选 {n} 件",
}
LABEL_KEYS = ("stateLabels", "urgencyLabels", "memberStatusLabels", "sourceLabels")
UNTILED = TileSetInfo(name="t", fmt="png", min_zoom=8, max_zoom=12, attribution="", bounds=None)


def _built_page(out_dir: Path, store) -> tuple[dict, str]:
    """Build the page with a tile layer; its ``cr.init`` config (decoded) and its HTML."""
    index = build_map_page(out_dir, load_base_layers(store), tiles=UNTILED)
    html = index.read_text(encoding="utf-8")
    m = re.search(r"cr\.init\(\w+, (\{.*?\}), \{\s*outline:", html, re.DOTALL)
    assert m, "cr.init call not found in the page"
    return json.loads(m.group(1)), html


def _attribution(html: str) -> str:
    m = re.search(r'"attribution": (".*?(?<!\\)")', html)
    assert m, "tile layer attribution not found"
    return json.loads(m.group(1))


def test_page_words_follow_the_installed_language(tmp_path, plain_store, qapp):
    """Chinese as before with the zh_CN translator; English without CJK once switched (no stale page)."""
    from commandroom.domain import enums
    from ui.i18n import install_translators

    try:
        install_translators(qapp, "zh_CN")
        zh, zh_html = _built_page(tmp_path / "zh", plain_store)
        install_translators(qapp, "en")
        en, en_html = _built_page(tmp_path / "en", plain_store)
    finally:
        install_translators(qapp, "en")

    # Chinese: exactly the words the map always showed, the core's labels for the vocabularies
    assert zh["texts"] == CHINESE_TEXTS
    assert zh["stateLabels"] == {str(k): v for k, v in enums.INCIDENT_STATE_LABELS.items()}
    assert zh["urgencyLabels"] == {str(k): v for k, v in enums.URGENCY_LABELS.items()}
    assert zh["memberStatusLabels"] == {str(k): v for k, v in enums.MEMBER_STATUS_LABELS.items()}
    assert zh["sourceLabels"] == {str(k): v for k, v in enums.SOURCE_LABELS.items()}
    assert _attribution(zh_html) == "本地瓦片缓存"

    # English: the sources, and no Chinese left in any of the page's own words
    texts = en["texts"]
    assert texts == dict(TEXTS)
    assert texts["legend"] == "Legend" and texts["legendStates"] == "Incident state (colour)"
    assert texts["outlineLayer"] == "County boundary" and texts["heatLayer"] == "Incident heat map"
    assert texts["townshipsLayerApprox"] == "Township areas (approximate boundaries)"
    assert (
        texts["openIncidentsLayer"] == "Incidents (open)"
        and texts["teamsLayer"] == "Enforcement officer positions"
    )
    assert texts["selected"] == "{n} selected"
    assert en["stateLabels"]["pending_dispatch"] == "Pending dispatch"
    assert en["urgencyLabels"]["L1"] == "Urgent"
    assert en["memberStatusLabels"]["on_scene"] == "On scene"
    assert en["sourceLabels"]["grid_patrol"] == "Grid patrol"
    for key in ("texts", *LABEL_KEYS):
        leftovers = {k: v for k, v in en[key].items() if CJK_RE.search(v)}
        assert not leftovers, (key, leftovers)
    assert _attribution(en_html) == "Local tile cache"
    # the label tables cover every value the page may be sent
    assert set(en["stateLabels"]) == set(en["stateOrder"]) == {str(v) for v in enums.IncidentState}
    assert (
        set(en["memberStatusLabels"]) == set(en["memberStatusColors"]) == {str(v) for v in enums.MemberStatus}
    )
    assert set(en["sourceLabels"]) == {str(v) for v in enums.ReportSource}


def test_every_word_the_page_script_uses_is_in_its_config(plain_store):
    """cr_map.js reads ``texts.<key>`` (``T.<key>``) and ``cfg.<x>Labels``: all of them are sent."""
    from ui.map.page import PageOptions, page_config

    js_source = (ROOT / "ui" / "map" / "assets" / "cr_map.js").read_text(encoding="utf-8")
    used_texts = set(re.findall(r"\b(?:T|texts)\.(\w+)", js_source))
    used_labels = set(re.findall(r"\b(?:cfg|C)\.(\w+Labels)\b", js_source))
    config = page_config(load_base_layers(plain_store), PageOptions())
    assert used_texts and used_texts <= set(config["texts"]), used_texts - set(config["texts"])
    assert used_labels == set(LABEL_KEYS) and used_labels <= set(config)
    assert set(TEXTS) <= used_texts, set(TEXTS) - used_texts  # no dead words either
    assert "{n}" in config["texts"]["selected"] and "{n}" in CHINESE_TEXTS["selected"]
