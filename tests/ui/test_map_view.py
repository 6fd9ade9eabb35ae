"""The map view with a real QtWebEngine page (offscreen): bridge, safety, live updates, tools.

Waiting uses ``qtbot.waitUntil`` around ``runJavaScript`` callbacks (no asyncio needed).
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtTest import QTest

from ui.map.web import register_schemes  # must precede the first QtWebEngine object

register_schemes()

from commandroom.domain.models import Incident, Report, TeamMember  # noqa: E402
from commandroom.mutations.core import Changes  # noqa: E402
from commandroom.store.local import DeskStore  # noqa: E402
from commandroom.timeutil import utcnow  # noqa: E402
from tools.screenshots.map import insert_demo_rows  # noqa: E402
from ui.map.tiles import write_mbtiles  # noqa: E402
from ui.map.view import MapView  # noqa: E402

# The page speaks the language installed when it is built; these tests read its Chinese.
pytestmark = pytest.mark.usefixtures("zh")

LOAD_MS = 30_000
JS_MS = 10_000
HOSTILE_IMG = "<img src=x onerror=\"window.__pwned='img';alert(1)\">"
HOSTILE_SCRIPT = "<script>window.__pwned='script'</script>"
HOSTILE_SVG = '"><svg onload="window.__pwned=\'svg\'"></svg>'


@pytest.fixture
def plain_store(tmp_path, qapp):
    from ui.async_runner import forget_store

    s = DeskStore(tmp_path / "ws.db")
    yield s
    forget_store(s)
    s.close()


def js(view: MapView, qtbot, expression: str, timeout: int = JS_MS):
    """Evaluate a JavaScript expression in the page and return its (JSON-decoded) value."""
    box: list = []
    view.evaluate(expression, box.append)
    qtbot.waitUntil(lambda: len(box) > 0, timeout=timeout)
    return box[0]


def run(view: MapView, qtbot, statements: str, timeout: int = JS_MS) -> None:
    """Run JavaScript statements in the page and wait until they ran."""
    box: list = []
    view.run_js(f"(function () {{ {statements}\n}})(); 1", box.append)
    qtbot.waitUntil(lambda: len(box) > 0, timeout=timeout)


def open_view(qtbot, store, size=(1100, 750), **kwargs) -> MapView:
    view = MapView(store, **kwargs)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitUntil(lambda: view.is_ready, timeout=LOAD_MS)
    return view


def add_incident(store, **fields) -> str:
    row = {
        "township_code": "330822001",
        "title": "测试事件",
        "category_code": "DEMO01",
        "lat": 28.905,
        "lon": 118.505,
    }
    row.update(fields)
    with store.write() as s:
        inc = Incident(**row)
        s.add(inc)
        s.flush()
        iid = inc.id
    return iid


def emit(store, kind: str, *ids: str) -> None:
    changes = Changes()
    for i in ids:
        changes.note(kind, i)
    store.emit(changes)


def click_at(view: MapView, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    target = view.web_view().focusProxy()
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, modifier, QPoint(round(x), round(y)))


# ---------------------------------------------------------------------------- loading


def test_map_loads_offline_with_data_pushed_not_baked(qtbot, plain_store):
    ids = insert_demo_rows(plain_store, incidents=300, reports=12, members=9)
    view = open_view(qtbot, plain_store)
    stats = js(view, qtbot, "cr.stats()")
    assert stats["incidents"] == 300
    assert stats["reports"] == 12
    assert stats["teams"] == 9
    assert view.load_count == 1
    assert view.blocked_requests == []  # nothing on the page even tried to reach out
    assert view.refused_navigations == []
    # Leaflet really rendered: tiles-free vector panes, clusters, our controls, Chinese labels
    dom = js(
        view,
        qtbot,
        """({
            leaflet: typeof L, clusters: document.querySelectorAll('.cr-cluster').length,
            zones: document.querySelectorAll('.cr-label-zone').length,
            control: document.querySelector('.leaflet-control-layers').textContent,
            legend: document.querySelector('.cr-legend').textContent,
            tiles: document.querySelectorAll('.leaflet-tile').length
        })""",
    )
    assert dom["leaflet"] == "object"
    assert dom["clusters"] > 0
    assert dom["zones"] == 7
    assert "乡镇范围（近似边界）" in dom["control"] and "执法片区" in dom["control"]
    assert "离线瓦片底图" not in dom["control"]  # no MBTiles file: no tile layer at all
    assert "近似边界" in dom["legend"] and "已超期" in dom["legend"]
    assert (
        js(view, qtbot, "document.querySelectorAll('.cr-legend-grid-1').length") == 0
    )  # Chinese: two columns
    assert dom["tiles"] == 0
    assert len(ids["incident"]) == 300


def test_reference_store_uses_db_townships_and_grids(qtbot, store):
    """With the county's reference data loaded, areas and zones come from the database."""
    view = open_view(qtbot, store)
    dom = js(
        view,
        qtbot,
        """({towns: document.querySelectorAll('.cr-label-town').length,
             zones: document.querySelectorAll('.cr-label-zone').length,
             control: document.querySelector('.leaflet-control-layers').textContent})""",
    )
    assert dom["towns"] == 14 and dom["zones"] == 7
    assert "网格" in dom["control"]


def test_the_page_speaks_english_when_english_is_chosen(qtbot, plain_store, qapp):
    """Layer control, legend, toolbar, popup and selection count in English, no Chinese of our own."""
    from ui.i18n import install_translators

    install_translators(qapp, "en")  # the module's zh fixture switches back to English afterwards too
    insert_demo_rows(plain_store, incidents=40, reports=0, members=3)
    iid = add_incident(
        plain_store,
        title="T-1",
        lat=29.1,
        lon=118.6,
        urgency="L1",
        state="pending_dispatch",
        category_code="none",
    )
    view = MapView(plain_store)
    assert view._placeholder.text() == "Loading the map…"
    qtbot.addWidget(view)
    view.resize(1100, 750)
    view.show()
    qtbot.waitUntil(lambda: view.is_ready, timeout=LOAD_MS)
    view.select_incident(iid)
    qtbot.waitUntil(lambda: js(view, qtbot, "cr.stats().highlighted") == iid, timeout=JS_MS)
    dom = js(
        view,
        qtbot,
        """({
            control: document.querySelector('.leaflet-control-layers').textContent,
            legend: document.querySelector('.cr-legend').textContent,
            legendTip: document.querySelector('.cr-legend-title').title,
            tools: Array.from(document.querySelectorAll('.cr-tool')).map(e => e.textContent),
            tips: Array.from(document.querySelectorAll('.cr-tool')).map(e => e.title).join(' '),
            popup: (document.querySelector('.leaflet-popup .cr-pop') || {}).textContent,
            legendOverflow: (function (l) { return l.scrollWidth - l.clientWidth; })(document.querySelector('.cr-legend'))
        })""",
    )
    assert dom["legendOverflow"] <= 1  # longer words than the Chinese: a one-column grid, no sideways scroll
    for words in (
        "County boundary",
        "Township areas (approximate boundaries)",
        "Enforcement zones",
        "Incident heat map",
        "Incidents (open)",
        "New reports",
        "Enforcement officer positions",
    ):
        assert words in dom["control"], words
    for words in (
        "Legend",
        "Incident state (colour)",
        "Pending dispatch",
        "Urgency (size)",
        "Urgent",
        "Overdue",
        "Enforcement officer",
        "approximate boundaries",
    ):
        assert words in dom["legend"], words
    assert dom["legendTip"] == "Click to collapse or expand the legend"
    assert dom["tools"] == ["Rectangle", "Lasso", "Clear", "Whole county"]
    assert "Select incidents with a rectangle" in dom["tips"]
    assert "Pending dispatch" in dom["popup"] and "Urgent" in dom["popup"] and "View details" in dom["popup"]
    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    for part in ("control", "legend", "legendTip", "tools", "tips", "popup"):
        text = " ".join(dom[part]) if isinstance(dom[part], list) else dom[part]
        assert not cjk.search(text), (part, text)
    with qtbot.waitSignal(view.selection_made, timeout=JS_MS) as blocker:
        js(view, qtbot, "cr.selectBounds(28.0, 118.0, 29.5, 119.0)")
    n = len(blocker.args[0])
    assert n > 0
    assert js(view, qtbot, "document.querySelector('.cr-tool-status').textContent") == f"{n} selected"


def test_loading_placeholder_is_translated(plain_store):
    view = MapView(plain_store)
    try:
        assert view._placeholder.text() == "地图加载中…"  # the module's zh fixture
    finally:
        view.deleteLater()


# ---------------------------------------------------------------------------- bridge round trip


def test_clicking_a_marker_emits_incident_activated(qtbot, plain_store):
    iid = add_incident(plain_store, title="点击测试", lat=28.95, lon=118.62)
    view = open_view(qtbot, plain_store)
    assert js(view, qtbot, f"cr.highlight('{iid}')") is True
    qtbot.waitUntil(lambda: js(view, qtbot, f"cr.markerPoint('{iid}')") is not None, timeout=JS_MS)
    x, y = js(view, qtbot, f"cr.markerPoint('{iid}')")
    js(view, qtbot, "cr.clearHighlight()")
    with qtbot.waitSignal(view.incident_activated, timeout=JS_MS) as blocker:
        click_at(view, x, y)  # a real mouse click through Chromium's input path
    assert blocker.args == [iid]
    # and the popup's 查看详情 button goes the same way
    with qtbot.waitSignal(view.incident_activated, timeout=JS_MS) as blocker:
        run(view, qtbot, "document.querySelector('.leaflet-popup .cr-pop-open').click();")
    assert blocker.args == [iid]


def test_select_incident_from_python_pans_and_highlights(qtbot, plain_store):
    insert_demo_rows(plain_store, incidents=200, reports=0, members=0)
    iid = add_incident(plain_store, title="选中我", lat=29.1, lon=118.6, urgency="L1")
    view = open_view(qtbot, plain_store)
    view.select_incident(iid)
    qtbot.waitUntil(lambda: js(view, qtbot, "cr.stats().highlighted") == iid, timeout=JS_MS)
    state = js(
        view,
        qtbot,
        f"""({{title: (document.querySelector('.leaflet-popup .cr-pop-title') || {{}}).textContent,
              visible: cr.incidentState('{iid}').visible, zoom: cr.stats().zoom}})""",
    )
    assert state["title"] == "选中我"
    assert state["visible"] is True
    assert js(view, qtbot, "cr.panTo('nope')") is False


def test_page_cannot_reach_the_bridge_object(qtbot, plain_store):
    """The QWebChannel lives in an isolated world: page scripts see neither qt nor the bridge."""
    view = open_view(qtbot, plain_store)
    seen = js(view, qtbot, "[typeof qt, typeof QWebChannel, typeof window.crBridge].join(',')")
    assert seen == "undefined,undefined,undefined"
    # forged calls reach only the whitelisted slots, type-checked
    got: list = []
    view.incident_activated.connect(got.append)
    run(
        view,
        qtbot,
        """['deleteLater', 'destroyed', 'incidentClicked'].forEach(function (m) {
             document.dispatchEvent(new CustomEvent('cr-bridge-call', {detail: JSON.stringify({m: m, a: [42]})}));
           });""",
    )
    run(
        view,
        qtbot,
        "document.dispatchEvent(new CustomEvent('cr-bridge-call', {detail: JSON.stringify({m: 'incidentClicked', a: ['ok-id']})}));",
    )
    qtbot.waitUntil(lambda: got == ["ok-id"], timeout=JS_MS)
    # the bridge still works (deleteLater was not reachable)
    assert view._bridge is not None and view._bridge.objectName() == ""


# ---------------------------------------------------------------------------- hostile text


def test_hostile_text_stays_text_and_runs_nothing(qtbot, plain_store):
    iid = add_incident(
        plain_store,
        title=HOSTILE_IMG,
        description=HOSTILE_SCRIPT + " 描述",
        address=HOSTILE_SVG,
        number="<b>SJ1</b>",
        lat=28.96,
        lon=118.44,
    )
    with plain_store.write() as s:
        s.add(
            Report(
                id="r-evil",
                township_code="330822111",
                source="grid_patrol",
                category_code="DEMO01",
                description=HOSTILE_IMG,
                address=HOSTILE_SCRIPT,
                reporter_name=HOSTILE_SVG,
                lat=28.87,
                lon=118.33,
            )
        )
        s.add(
            TeamMember(
                id="m-evil",
                township_code="330822111",
                zone_id="QC",
                name=HOSTILE_IMG,
                origin="x",
                lat=28.88,
                lon=118.35,
            )
        )
    view = open_view(qtbot, plain_store)
    run(view, qtbot, "window.alert = function () { window.__pwned = 'alert'; };")
    assert js(view, qtbot, f"cr.highlight('{iid}')") is True
    qtbot.waitUntil(
        lambda: js(view, qtbot, "!!document.querySelector('.leaflet-popup .cr-pop-incident')"), timeout=JS_MS
    )
    popup = js(
        view,
        qtbot,
        """(function () {
            var p = document.querySelector('.leaflet-popup .cr-pop-incident');
            var v = p.querySelectorAll('.cr-pop-value');
            return {title: p.querySelector('.cr-pop-title').textContent,
                    desc: p.querySelector('.cr-pop-desc').textContent,
                    no: p.querySelector('.cr-pop-no').textContent,
                    values: Array.prototype.map.call(v, function (e) { return e.textContent; }),
                    imgs: p.querySelectorAll('img, script, svg, b').length};
        })()""",
    )
    assert popup["title"] == HOSTILE_IMG
    assert popup["desc"] == HOSTILE_SCRIPT + " 描述"
    assert popup["no"] == "<b>SJ1</b>"
    assert HOSTILE_SVG in popup["values"]
    assert popup["imgs"] == 0

    # hover and click each kind of marker; read back the tooltip and popup they produce
    def hover_and_click(selector: str) -> dict:
        run(
            view,
            qtbot,
            f"""var e = document.querySelector({selector!r});
                e.dispatchEvent(new MouseEvent('mouseover', {{bubbles: true}}));
                e.dispatchEvent(new MouseEvent('click', {{bubbles: true}}));""",
        )
        qtbot.waitUntil(
            lambda: js(view, qtbot, "!!document.querySelector('.leaflet-popup .cr-pop')"), timeout=JS_MS
        )
        return js(
            view,
            qtbot,
            """({pop: Array.prototype.map.call(document.querySelectorAll('.leaflet-popup .cr-pop-value, .leaflet-popup .cr-pop-desc, .leaflet-popup .cr-pop-title'), function (e) { return e.textContent; }),
                 tip: (document.querySelector('.leaflet-tooltip .cr-tip') || {}).textContent || '',
                 markup: document.querySelectorAll('.leaflet-popup-pane img, .leaflet-popup-pane svg, .leaflet-tooltip-pane img, .leaflet-tooltip-pane script').length})""",
        )

    report = hover_and_click(".cr-report")
    assert HOSTILE_IMG in report["pop"] and HOSTILE_SCRIPT in report["pop"] and HOSTILE_SVG in report["pop"]
    assert report["markup"] == 0
    team = hover_and_click(".cr-team")
    assert HOSTILE_IMG in team["pop"]
    assert team["tip"].startswith(HOSTILE_IMG)
    assert team["markup"] == 0
    js(view, qtbot, "cr.clearHighlight()")
    incident = hover_and_click("path.cr-inc")
    assert incident["tip"] == "<b>SJ1</b> · " + HOSTILE_IMG + " · 待派单"
    assert HOSTILE_IMG in incident["pop"]
    assert js(view, qtbot, "document.querySelector('.cr-team-icon').textContent") == "<"
    assert (
        js(
            view,
            qtbot,
            "document.querySelectorAll('img[src=\"x\"], svg[onload], script:not([nonce])').length",
        )
        == 0
    )
    qtbot.wait(300)  # give any onerror/onload a chance to fire
    assert js(view, qtbot, "window.__pwned === undefined ? null : window.__pwned") is None


def test_csp_blocks_injected_inline_handlers_even_via_innerHTML(qtbot, plain_store):
    """Defence in depth: if future code used innerHTML, the page's CSP still stops inline script."""
    view = open_view(qtbot, plain_store)
    run(
        view,
        qtbot,
        f"""var d = document.createElement('div'); d.innerHTML = {HOSTILE_IMG!r} + {HOSTILE_SVG!r};
            document.body.appendChild(d); var s = document.createElement('script');
            s.textContent = "window.__pwned = 'dyn'"; document.body.appendChild(s);""",
    )
    qtbot.wait(500)
    assert js(view, qtbot, "window.__pwned === undefined ? null : window.__pwned") is None


# ---------------------------------------------------------------------------- live updates


def test_live_update_moves_and_recolours_without_reload(qtbot, plain_store):
    insert_demo_rows(plain_store, incidents=150, reports=0, members=0)
    iid = add_incident(plain_store, state="pending_dispatch", urgency="L3", lat=28.95, lon=118.62)
    view = open_view(qtbot, plain_store)
    before = js(view, qtbot, f"cr.incidentState('{iid}')")
    assert before["fillColor"] == "#f59e0b" and before["radius"] == 6 and before["overdue"] is False

    with plain_store.write() as s:
        row = s.get(Incident, iid)
        row.state = "in_progress"
        row.urgency = "L1"
        row.lat, row.lon = 29.05, 118.55
        row.close_due = utcnow() - timedelta(hours=3)
    with qtbot.waitSignal(view.live_update_applied, timeout=JS_MS) as blocker:
        emit(plain_store, "incident", iid)
    assert blocker.args[0]["incident"]["upsert"]["moved"] == 1
    after = js(view, qtbot, f"cr.incidentState('{iid}')")
    assert after["fillColor"] == "#7c3aed"  # 处置中
    assert after["radius"] == 10  # 紧急
    assert (after["lat"], after["lng"]) == (29.05, 118.55)
    assert after["overdue"] is True and "cr-overdue" in after["className"] and after["color"] == "#dc2626"

    # a new incident appears; a closed one moves to the hidden 已办结 layer; a deleted one goes
    new_id = add_incident(plain_store, title="新事件", lat=28.9, lon=118.5)
    with qtbot.waitSignal(view.live_update_applied, timeout=JS_MS):
        emit(plain_store, "incident", new_id)
    assert js(view, qtbot, "cr.stats().incidents") == 152
    with plain_store.write() as s:
        s.get(Incident, iid).state = "closed"
        s.get(Incident, new_id).deleted = True
    with qtbot.waitSignal(view.live_update_applied, timeout=JS_MS) as blocker:
        emit(plain_store, "incident", iid, new_id)
    assert blocker.args[0]["incident"]["remove"] == 1
    closed = js(view, qtbot, f"cr.incidentState('{iid}')")
    assert closed["group"] == "closed" and closed["overdue"] is False
    assert js(view, qtbot, f"cr.incidentState('{new_id}')") is None
    assert view.load_count == 1  # never reloaded


def test_live_reports_and_team_positions(qtbot, plain_store):
    view = open_view(qtbot, plain_store)
    with plain_store.write() as s:
        s.add(
            Report(
                id="r-1",
                township_code="330822111",
                source="hotline_12345",
                category_code="DEMO01",
                description="新上报",
                lat=28.87,
                lon=118.33,
            )
        )
        s.add(
            TeamMember(
                id="m-1",
                township_code="330822111",
                zone_id="QC",
                name="王队员",
                origin="x",
                status="en_route",
                lat=28.88,
                lon=118.35,
            )
        )
    with qtbot.waitSignal(view.live_update_applied, timeout=JS_MS):
        emit(plain_store, "report", "r-1")
        emit(plain_store, "team_member", "m-1")
    qtbot.waitUntil(lambda: js(view, qtbot, "cr.stats().teams") == 1, timeout=JS_MS)
    assert js(view, qtbot, "cr.stats().reports") == 1
    with plain_store.write() as s:
        s.get(Report, "r-1").state = "accepted"  # triaged: no longer an open report
    with qtbot.waitSignal(view.live_update_applied, timeout=JS_MS):
        emit(plain_store, "report", "r-1")
    assert js(view, qtbot, "cr.stats().reports") == 0
    assert view.load_count == 1


def test_changes_before_the_page_is_ready_are_not_lost(qtbot, plain_store):
    view = MapView(plain_store)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    iid = add_incident(plain_store, title="早到的事件")
    emit(plain_store, "incident", iid)  # arrives while the page is still loading
    qtbot.waitUntil(lambda: view.is_ready, timeout=LOAD_MS)
    qtbot.waitUntil(lambda: js(view, qtbot, f"cr.incidentState('{iid}') !== null"), timeout=JS_MS)


def test_a_big_pulled_page_is_read_off_the_gui_thread(qtbot, plain_store, monkeypatch):
    import ui.map.view as view_module

    monkeypatch.setattr(view_module, "SYNC_FLUSH_LIMIT", 5)
    view = open_view(qtbot, plain_store)
    ids = insert_demo_rows(plain_store, incidents=40, reports=0, members=0, seed=3)["incident"]
    with qtbot.waitSignal(view.live_update_applied, timeout=JS_MS) as blocker:
        emit(plain_store, "incident", *ids)
    assert blocker.args[0]["incident"]["upsert"]["added"] == 40
    assert js(view, qtbot, "cr.stats().incidents") == 40
    assert view.load_count == 1


def test_reference_data_changes_rebuild_the_base_page(qtbot, plain_store):
    iid = add_incident(plain_store)
    view = open_view(qtbot, plain_store)
    ready: list = []
    view.ready.connect(lambda: ready.append(True))
    emit(plain_store, "zone", "QC")
    emit(plain_store, "township", "330822111")  # coalesced with the zone change: one rebuild
    qtbot.waitUntil(lambda: bool(ready), timeout=LOAD_MS)
    assert view.load_count == 2
    assert js(view, qtbot, f"cr.incidentState('{iid}') !== null") is True


# ---------------------------------------------------------------------------- navigation and requests


def test_navigation_away_is_refused(qtbot, plain_store):
    view = open_view(qtbot, plain_store)
    home = view.page().url()
    run(view, qtbot, "location.href = 'http://example.com/';")
    qtbot.waitUntil(lambda: any("example.com" in u for u in view.refused_navigations), timeout=JS_MS)
    run(
        view,
        qtbot,
        "var a = document.createElement('a'); a.href = 'https://example.com/x'; document.body.appendChild(a); a.click();",
    )
    view.page().load(QUrl("http://example.com/"))
    qtbot.waitUntil(lambda: len(view.refused_navigations) >= 3, timeout=JS_MS)
    qtbot.wait(300)
    assert view.page().url() == home
    assert view.load_count == 1
    assert js(view, qtbot, "typeof cr.stats") == "function"  # still our page


def test_interceptor_blocks_remote_and_foreign_file_requests(tmp_path):
    from ui.map.web import LocalOnlyInterceptor

    class Info:
        def __init__(self, url: str) -> None:
            self.url = QUrl(url)
            self.blocked = False

        def requestUrl(self):
            return self.url

        def block(self, flag: bool) -> None:
            self.blocked = flag

    page_dir = tmp_path / "page"
    page_dir.mkdir()
    interceptor = LocalOnlyInterceptor(page_dir)
    cases = {
        "http://example.com/a.png": True,
        "https://tile.openstreetmap.org/1/1/1.png": True,
        "ws://127.0.0.1:9/": True,
        QUrl.fromLocalFile(str(tmp_path / "elsewhere.txt")).toString(): True,
        QUrl.fromLocalFile(str(page_dir / "lib" / "leaflet.js")).toString(): False,
        "tiles:///10/1/1": False,
        "data:image/png;base64,AAAA": False,
    }
    for url, should_block in cases.items():
        info = Info(url)
        interceptor.interceptRequest(info)
        assert info.blocked is should_block, url
    assert len(interceptor.blocked) == 4


def test_remote_image_never_loads(qtbot, plain_store):
    view = open_view(qtbot, plain_store)
    run(
        view,
        qtbot,
        """window.__img = 'pending'; var i = new Image(); i.onload = function () { window.__img = 'loaded'; };
           i.onerror = function () { window.__img = 'error'; }; i.src = 'https://example.com/a.png';""",
    )
    qtbot.waitUntil(lambda: js(view, qtbot, "window.__img") != "pending", timeout=JS_MS)
    assert js(view, qtbot, "window.__img") == "error"


# ---------------------------------------------------------------------------- selection tools


def test_shift_drag_rectangle_selects_the_incidents_inside(qtbot, plain_store):
    inside = [add_incident(plain_store, lat=28.93 + i * 0.004, lon=118.58 + i * 0.004) for i in range(3)]
    outside = add_incident(plain_store, lat=29.1, lon=118.6)
    view = open_view(qtbot, plain_store)
    zoom_before = js(view, qtbot, "cr.stats().zoom")
    x0, y0 = js(view, qtbot, "cr.containerPoint(28.955, 118.57)")
    x1, y1 = js(view, qtbot, "cr.containerPoint(28.92, 118.60)")
    target = view.web_view().focusProxy()
    shift = Qt.KeyboardModifier.ShiftModifier
    with qtbot.waitSignal(view.selection_made, timeout=JS_MS) as blocker:
        QTest.mousePress(target, Qt.MouseButton.LeftButton, shift, QPoint(round(x0), round(y0)))
        for k in range(1, 6):
            QTest.mouseMove(target, QPoint(round(x0 + (x1 - x0) * k / 5), round(y0 + (y1 - y0) * k / 5)))
            qtbot.wait(20)
        QTest.mouseRelease(target, Qt.MouseButton.LeftButton, shift, QPoint(round(x1), round(y1)))
    assert sorted(blocker.args[0]) == sorted(inside)
    assert outside not in blocker.args[0]
    assert js(view, qtbot, "document.querySelector('.cr-tool-status').textContent") == "已选 3 件"
    assert js(view, qtbot, "cr.stats().zoom") == zoom_before  # shift+drag selected; it did not box-zoom


def test_toolbar_rectangle_and_lasso(qtbot, plain_store):
    a = add_incident(plain_store, lat=28.95, lon=118.60)
    b = add_incident(plain_store, lat=28.95, lon=118.65)
    view = open_view(qtbot, plain_store)
    # lasso: a triangle around a only
    with qtbot.waitSignal(view.selection_made, timeout=JS_MS) as blocker:
        js(view, qtbot, "cr.selectPolygon([[28.90, 118.57], [29.00, 118.60], [28.90, 118.63]])")
    assert blocker.args[0] == [a]
    # the toolbar's 框选 button arms a drag without shift
    zoom_before = js(view, qtbot, "cr.stats().zoom")
    run(
        view,
        qtbot,
        "Array.from(document.querySelectorAll('.cr-tool')).find(e => e.textContent === '框选').click();",
    )
    x0, y0 = js(view, qtbot, "cr.containerPoint(29.0, 118.55)")
    x1, y1 = js(view, qtbot, "cr.containerPoint(28.9, 118.7)")
    target = view.web_view().focusProxy()
    with qtbot.waitSignal(view.selection_made, timeout=JS_MS) as blocker:
        QTest.mousePress(
            target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x0), round(y0))
        )
        QTest.mouseMove(target, QPoint(round((x0 + x1) / 2), round((y0 + y1) / 2)))
        qtbot.wait(20)
        QTest.mouseMove(target, QPoint(round(x1), round(y1)))
        QTest.mouseRelease(
            target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x1), round(y1))
        )
    assert sorted(blocker.args[0]) == sorted([a, b])
    assert js(view, qtbot, "cr.stats().zoom") == zoom_before  # the drag selected, it did not pan or zoom
    run(
        view,
        qtbot,
        "Array.from(document.querySelectorAll('.cr-tool')).find(e => e.textContent === '清除').click();",
    )
    assert js(view, qtbot, "cr.selection().length") == 0

    # the 套索 (lasso) button: a freehand loop drawn with the mouse around b only
    run(
        view,
        qtbot,
        "Array.from(document.querySelectorAll('.cr-tool')).find(e => e.textContent === '套索').click();",
    )
    loop = [(29.0, 118.63), (29.0, 118.68), (28.9, 118.68), (28.9, 118.63)]
    points = [js(view, qtbot, f"cr.containerPoint({lat}, {lon})") for lat, lon in loop]
    with qtbot.waitSignal(view.selection_made, timeout=JS_MS) as blocker:
        QTest.mousePress(
            target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*map(round, points[0]))
        )
        for (xa, ya), (xb, yb) in zip(points, points[1:] + points[:1], strict=True):
            for k in range(1, 5):
                QTest.mouseMove(target, QPoint(round(xa + (xb - xa) * k / 4), round(ya + (yb - ya) * k / 4)))
                qtbot.wait(10)
        QTest.mouseRelease(
            target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*map(round, points[0]))
        )
    assert blocker.args[0] == [b]
    assert js(view, qtbot, "cr.stats().zoom") == zoom_before


# ---------------------------------------------------------------------------- overdue, heat, tiles


def test_overdue_follows_the_clock(qtbot, plain_store):
    due = utcnow() + timedelta(hours=1)
    iid = add_incident(plain_store, close_due=due, state="dispatched")
    view = open_view(qtbot, plain_store)
    assert js(view, qtbot, f"cr.incidentState('{iid}').overdue") is False
    due_ms = int((due - utcnow()).total_seconds() * 1000)
    assert js(view, qtbot, f"cr.setNow(Date.now() + {due_ms} + 60000)") == 1
    assert js(view, qtbot, f"cr.incidentState('{iid}').overdue") is True
    js(view, qtbot, "cr.setNow(null)")
    assert js(view, qtbot, f"cr.incidentState('{iid}').overdue") is False


def test_heat_layer_follows_open_incidents_or_explicit_points(qtbot, plain_store):
    insert_demo_rows(plain_store, incidents=100, reports=0, members=0)
    view = open_view(qtbot, plain_store)
    run(
        view,
        qtbot,
        "document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function (l) { if (l.textContent.indexOf('热力') >= 0) l.querySelector('input').click(); });",
    )
    qtbot.waitUntil(
        lambda: js(view, qtbot, "document.querySelectorAll('canvas.leaflet-heatmap-layer').length") == 1,
        timeout=JS_MS,
    )
    assert js(view, qtbot, "cr.setHeat([[28.9, 118.5, 1], [29.0, 118.6, 0.5], [null, 1, 1]])") == 2
    assert js(view, qtbot, "cr.setHeat(null)") == -1


PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _tiles_for(z: int, s: float, w: float, n: float, e: float) -> dict[tuple[int, int, int], bytes]:
    import math

    def xy(lat: float, lon: float) -> tuple[int, int]:
        x = int((lon + 180) / 360 * (1 << z))
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * (1 << z))
        return x, y

    x0, y0 = xy(n, w)
    x1, y1 = xy(s, e)
    return {(z, x, y): PNG_1PX for x in range(x0 - 1, x1 + 2) for y in range(y0 - 1, y1 + 2)}


def test_mbtiles_layer_is_served_through_the_tiles_scheme(qtbot, plain_store, tmp_path: Path):
    tiles_path = write_mbtiles(
        tmp_path / "tiles.mbtiles",
        _tiles_for(10, 28.7, 118.2, 29.3, 118.8),
        attribution="测试瓦片",
        minzoom="10",
        maxzoom="10",
    )
    view = open_view(qtbot, plain_store, tiles_path=tiles_path)
    qtbot.waitUntil(lambda: view.tiles_served > 0, timeout=JS_MS)
    qtbot.waitUntil(
        lambda: js(view, qtbot, "document.querySelectorAll('img.leaflet-tile-loaded').length") > 0,
        timeout=JS_MS,
    )
    control = js(view, qtbot, "document.querySelector('.leaflet-control-layers').textContent")
    assert "离线瓦片底图" in control and "矢量底图" in control
    assert view.blocked_requests == []


def test_wall_urgent_takeover_zooms_to_the_spot_rings_it_there_and_the_card_leaves_it_free(qtbot, plain_store):
    """An urgent incident in 球川 (28.8875, 118.3481): the map zooms there, the ring is on that spot, not in the
    middle of the county (辉埠), and the card beside it does not cover it."""
    from datetime import datetime

    from commandroom.queries.wall import UrgentItem
    from ui.wall.config import WallConfig
    from ui.wall.pages import WallMapPage

    page = WallMapPage(plain_store, WallConfig(), lambda: datetime(2026, 12, 8, 2, 0))
    qtbot.addWidget(page)
    page.resize(1600, 900)
    page.show()
    page.view.start()
    qtbot.waitUntil(lambda: page.view.is_ready, timeout=LOAD_MS)
    lat, lon = 28.8875, 118.3481
    item = UrgentItem("incident", "i-1", "QC-2026-000001", "山林起火", "森林火灾", "球川镇", "球川村", "浓烟较大",
                      "L1", "pending_dispatch", datetime(2026, 12, 8, 1, 55), lat, lon)
    page.show_urgent(item, 0)
    view = page.view
    qtbot.waitUntil(lambda: page.ring.isVisible(), timeout=JS_MS)

    def where() -> list:
        return js(view, qtbot, f"cr.containerPoint({lat}, {lon})")

    def ring_on_spot() -> bool:
        x, y = where()
        origin = view.mapTo(page, QPoint(0, 0))
        return abs(page.ring_centre.x() - (origin.x() + x)) <= 3 and abs(page.ring_centre.y() - (origin.y() + y)) <= 3

    qtbot.waitUntil(ring_on_spot, timeout=JS_MS)
    assert page.ring.geometry().center().x() - page.ring_centre.x() in (-1, 0, 1)
    assert not page.card.geometry().contains(page.ring_centre), (page.card.geometry(), page.ring_centre)
    assert page.ring_centre.x() > page.card.geometry().right()
    zoom = js(view, qtbot, "(function(){var m=null; for (var k in window) { if (window[k] instanceof L.Map) { m = window[k]; } } return m ? m.getZoom() : null; })()")
    assert zoom == WallMapPage.URGENT_ZOOM
    page.clear_urgent()
    assert not page.ring.isVisible() and not page.card.isVisible()


def test_the_wall_map_masks_every_name_and_number_popups_included(qtbot, plain_store):
    """Reporters, team members and numbers in descriptions are masked on a masked map (the wall's)."""
    from commandroom.timeutil import utcnow as now

    with plain_store.write() as s:
        s.add(Report(township_code="330822001", source="grid_patrol", category_code="DEMO01",
                     description="联系人：张三丰，电话13812345678", reporter_name="网格员 徐建华", state="new",
                     reported_at=now(), lat=28.905, lon=118.505))
        s.add(TeamMember(zone_id="TM", township_code="330822001", name="李正阳", origin="enforcement_bureau",
                         status="available", lat=28.91,
                         lon=118.51))
    iid = add_incident(plain_store, title="家门口乱堆杂物", description="车主：陈小明 13900001111")
    view = open_view(qtbot, plain_store, masked=True)
    qtbot.waitUntil(lambda: js(view, qtbot, "cr.stats().reports") == 1, timeout=JS_MS)
    run(view, qtbot, f"cr.highlight({iid!r})")
    qtbot.waitUntil(lambda: bool(js(view, qtbot, "(document.querySelector('.leaflet-popup') || {}).textContent")),
                    timeout=JS_MS)
    popup = js(view, qtbot, "document.querySelector('.leaflet-popup').textContent")
    assert "陈**" in popup and "139****1111" in popup and "陈小明" not in popup
    from commandroom.queries.map import INCIDENT, REPORT, TEAM_MEMBER, read_snapshot

    snap = read_snapshot(plain_store, masked=True)
    text = str(snap[REPORT]) + str(snap[TEAM_MEMBER]) + str(snap[INCIDENT])
    for secret in ("徐建华", "张三丰", "13812345678", "李正阳", "陈小明", "13900001111"):
        assert secret not in text, secret
    assert "网格员 徐**" in str(snap[REPORT]) and "李**" in str(snap[TEAM_MEMBER])


def test_popup_shows_the_incidents_photo_once_its_thumbnail_is_here(qtbot, plain_store):
    import io

    from PIL import Image

    from commandroom.domain.models import Photo

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 160, 60)).save(buf, format="JPEG")
    with plain_store.write() as s:
        s.add(Photo(sha256="7" * 64, mime="image/jpeg", size=9, thumbnail=buf.getvalue(), has_full=False))
    with_photo = add_incident(plain_store, title="有照片", lat=29.1, lon=118.6, photos_after=["7" * 64])
    without = add_incident(plain_store, title="无照片", lat=28.95, lon=118.4, photos_after=["8" * 64])
    view = open_view(qtbot, plain_store)
    popup = "(document.querySelector('.leaflet-popup .cr-pop') || {})"
    view.select_incident(with_photo)
    qtbot.waitUntil(lambda: "有照片" in (js(view, qtbot, f"{popup}.textContent || ''") or ""), timeout=JS_MS)
    qtbot.waitUntil(lambda: js(view, qtbot, "!!document.querySelector('.leaflet-popup .cr-pop-photo')") is True,
                    timeout=JS_MS)
    size = js(view, qtbot, "(function(){var i=document.querySelector('.leaflet-popup .cr-pop-photo');"
                           "return [i.naturalWidth, i.naturalHeight];})()")
    assert size == [320, 240]
    # an incident whose photo has not arrived on this desk: no broken image, just the text
    view.select_incident(without)
    qtbot.waitUntil(lambda: "无照片" in (js(view, qtbot, f"{popup}.textContent || ''") or ""), timeout=JS_MS)
    assert js(view, qtbot, "!!document.querySelector('.leaflet-popup .cr-pop-photo')") is False


def test_labels_and_markers_grow_with_the_wall_screen(qtbot, plain_store):
    """The wall passes its size (height / 1080 × 1.5): names and incident dots grow by that factor, at once and
    on a page rebuilt later; a desk stays at 1."""
    iid = add_incident(plain_store, title="大屏测试", lat=28.95, lon=118.62, urgency="L2")
    view = open_view(qtbot, plain_store)
    town = "parseFloat(getComputedStyle(document.querySelector('.cr-label-town .cr-label-text')).fontSize)"
    qtbot.waitUntil(lambda: js(view, qtbot, f"cr.incidentState('{iid}') !== null"), timeout=JS_MS)
    desk_font = js(view, qtbot, town)
    desk_radius = js(view, qtbot, f"cr.incidentState('{iid}').radius")
    assert desk_font == 12 and desk_radius == 8

    view.set_scale(3.0)  # a 4K wall: 2160 lines / 1080 × 1.5
    qtbot.waitUntil(lambda: js(view, qtbot, town) == 36, timeout=JS_MS)
    assert js(view, qtbot, f"cr.incidentState('{iid}').radius") == 24
    loads = view.load_count
    view.reload()  # e.g. a new base-map version: the rebuilt page keeps the wall's size
    qtbot.waitUntil(lambda: view.load_count > loads and view.is_ready, timeout=LOAD_MS)
    assert js(view, qtbot, town) == 36 and js(view, qtbot, f"cr.incidentState('{iid}').radius") == 24
