"""The field app in a real headless Chromium (Debian's package) on a phone-size screen, against the real server.

One browser for the module; each test gets a fresh phone (browser context) and a fresh county (SQLite and
PostgreSQL). The phone goes offline with ``context.set_offline(True)``: what the person does is kept on the
phone and sent when the line returns, each act once, with the moment it was made.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from commandroom.domain.models import (
    Dispatch,
    Incident,
    Photo,
    ProcessedMutation,
    Report,
    TeamMember,
    TimelineEntry,
)
from tests.field.world import PASSWORD, SERVICE, joint_visit, make_field_world
from tests.server.test_auth_support import jpeg_bytes, seeded

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
HERE = (28.8712, 118.3315)  # where the phone says it is (inside 球川镇)

pytestmark = pytest.mark.timeout(240)


def _missing(what: str) -> None:
    message = f"{what} is missing: run scripts/system-deps.sh (as root) and install the dev extra"
    if os.environ.get("CI") == "true":
        pytest.fail(message)  # in CI a missing browser is a failure, never a silent skip
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright")
    if not Path(CHROMIUM).exists():
        _missing("chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def live(db_url, tmp_path):
    from tests.e2e.conftest import LiveServer

    server = LiveServer(seeded(db_url, tmp_path), tmp_path)
    server.start()
    server.world = make_field_world(server.state)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def phone(browser, live):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["geolocation"],
                                  geolocation={"latitude": HERE[0], "longitude": HERE[1], "accuracy": 15})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "现场.jpg"
    path.write_bytes(jpeg_bytes((1200, 900), (40, 120, 60)))
    return path


def _second_phone(page):
    """Another phone in the same browser (the leader's, beside the member's): a context of its own."""
    return page.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                            timezone_id="Asia/Shanghai")


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/field/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#who button")
    # installed: the service worker holds the app shell, so the app opens with no signal
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def _shot(page, name: str) -> None:
    """Screenshots for docs/ when FIELD_SCREENSHOTS names a folder (tools/screenshots/field.sh)."""
    folder = os.environ.get("FIELD_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"field_{name}.png"))


def _desk_sees(live, incident_id: str, *more: str) -> dict[str, Any]:
    """A duty officer's desk signs in, syncs, and returns the incident row of its own store (``more``: others)."""
    from tests.e2e.conftest import County

    out: dict[str, Any] = {}

    async def run() -> None:
        county = County(live, live.tmp, api_key="")
        try:
            ws = await county.workstation("qc-desk", "qc1")
            out["incident"] = ws.get("incident", incident_id)
            out["timeline"] = ws.timeline(incident_id)
            out["more"] = {i: {"incident": ws.get("incident", i), "timeline": ws.timeline(i)} for i in more}
        finally:
            await county.close()

    failed: list[BaseException] = []

    def desk() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - raised again on the test's thread, where pytest sees it
            failed.append(exc)

    t = threading.Thread(target=desk)  # the desk's own event loop, beside the browser's
    t.start()
    t.join(120)
    assert not t.is_alive(), "the desk did not finish its first sync within 120 s"
    if failed:
        raise failed[0]
    return out


def test_a_member_works_a_dispatch_through_lost_signal_and_every_act_arrives_once(phone, live, photo):
    from playwright.sync_api import expect

    page, w = phone, live.world
    incident_id, dispatch_id = w.dispatched()
    if os.environ.get("FIELD_SCREENSHOTS"):  # a fuller list for the pictures in docs/
        w.dispatched("球川镇农贸市场东门流动摊贩占道经营")
    _sign_in(page, live.url, "qc-m1")
    card = page.locator(f"[data-dispatch='{dispatch_id}']")
    expect(card).to_contain_text("球川镇镇区主干道")
    expect(card.locator(".due")).to_contain_text("签收时限剩余")
    expect(card.locator(".urg")).to_have_text("一般")  # the urgency's name, never its code
    _shot(page, "dispatches")

    page.context.set_offline(True)
    expect(page.locator("#net")).to_have_text("离线")
    card.locator("button[data-step=ack]").click()
    expect(page.locator("#pending")).to_contain_text("待发送 1 项")
    card.locator("button[data-step=go]").click()
    card.locator("input[type=file]").set_input_files(str(photo))
    card.locator("textarea").fill("已到现场，车主正在挪车")
    card.locator("button[data-step=arrive]").click()
    expect(page.locator("#pending")).to_contain_text("待发送 3 项")
    expect(card.locator(".step.waiting")).to_have_count(3)
    # the phone is switched off and on with no signal: the app opens from its cache and still holds the acts
    page.reload()
    expect(page.locator("#pending")).to_contain_text("待发送 3 项")
    page.click("#pending")
    expect(page.locator(".qlist li")).to_have_count(3)
    _shot(page, "offline_queue")
    queued = page.evaluate("window.crField.state.queue.map(q => [q.id, q.name, q.created_local_ts])")
    assert [q[1] for q in queued] == ["dispatch.acknowledge", "dispatch.en_route", "dispatch.on_scene"]
    assert w.get(Dispatch, dispatch_id).state == "assigned"  # nothing reached the server

    # the line comes back, but the answer to the first upload is lost on the way: the phone sends it again
    lost: list[int] = []

    def lose_answer(route) -> None:
        if not lost:
            route.fetch()  # the server applies it …
            lost.append(1)
            route.abort()  # … and the phone never hears so
        else:
            route.continue_()

    page.route("**/api/v1/field/push", lose_answer)
    time.sleep(1.5)  # the acts are at least this old when they arrive (see the moments below)
    page.context.set_offline(False)
    expect(page.locator("#pending")).to_have_count(0, timeout=40_000)
    assert lost == [1]

    d = w.get(Dispatch, dispatch_id)
    assert d.state == "on_scene"
    claimed = {name: _moment(ts) for _id, name, ts in queued}
    # each act at the moment it was made on the phone, not when it arrived (1.5 s or more later); within the error
    # of the phone's clock correction, which a loaded machine's round trips make a few milliseconds and more
    assert abs((d.acknowledged_at - claimed["dispatch.acknowledge"]).total_seconds()) < 0.5
    assert abs((d.en_route_at - claimed["dispatch.en_route"]).total_seconds()) < 0.5
    assert abs((d.on_scene_at - claimed["dispatch.on_scene"]).total_seconds()) < 0.5
    entries = w.rows(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id,
                                                 TimelineEntry.action.like("dispatch.%")))
    assert sorted(e.action for e in entries) == ["dispatch.acknowledge", "dispatch.en_route", "dispatch.on_scene"]
    assert all(e.received_at >= e.at for e in entries)
    arrived = next(e for e in entries if e.action == "dispatch.on_scene")
    assert arrived.note == "已到现场，车主正在挪车" and arrived.data["position"]["lat"] == HERE[0]
    ids = [q[0] for q in queued]
    assert len(w.rows(select(ProcessedMutation).where(ProcessedMutation.mutation_id.in_(ids)))) == 3
    [before] = w.get(Incident, incident_id).photos_before
    assert w.get(Photo, before) is not None
    member = w.get(TeamMember, w.members["qc-m1"])
    assert (member.lat, member.lon, member.status) == (HERE[0], HERE[1], "on_scene")  # on the room's map
    expect(card.locator(".step.done")).to_have_count(3)
    expect(card.locator(".thumbs img")).to_have_count(1)

    # handled and submitted with an after-photo, online this time
    card.locator("button[data-step=work]").click()
    expect(card.locator("button[data-step=submit]")).to_be_visible()
    card.locator("input[type=file]").set_input_files(str(photo.with_name("现场.jpg")))
    page.locator(f"[data-dispatch='{dispatch_id}'] textarea").fill("车辆已挪走，道路畅通")
    _shot(page, "submit")
    card.locator("button[data-step=submit]").click()
    # all five steps done and none still waiting on the phone
    expect(card.locator(".step.done:not(.waiting)")).to_have_count(5, timeout=40_000)
    # 提交核查 is two acts, the incident's submit and then the dispatch's 派单完成, and the steps show the first
    # only: wait for the whole queue bar to go (it stays while the second is being located, saved or sent)
    expect(page.locator("#queue")).to_be_hidden(timeout=40_000)
    inc = w.get(Incident, incident_id)
    assert inc.state == "awaiting_verification" and len(inc.photos_after) == 1
    assert w.get(Dispatch, dispatch_id).state == "done"
    expect(card).to_contain_text("已提交核查")

    # the leader, on his own phone, sends a new dispatch to 李队员 instead
    _other, second = w.dispatched("球川镇农贸市场东门流动摊贩占道经营")
    leader = _second_phone(page)
    try:
        lp = leader.new_page()
        _sign_in(lp, live.url, "qc-lead")
        lcard = lp.locator(f"[data-dispatch='{second}']")
        lcard.locator("button.link").click()
        lcard.locator("select[name=lead]").select_option(label="李队员")
        _shot(lp, "reassign")
        lcard.locator(".reassign button").click()
        expect(lcard).to_contain_text("带队 李队员", timeout=40_000)
    finally:
        leader.close()
    assert w.get(Dispatch, second).lead_member_id == w.members["qc-m2"]

    desk = _desk_sees(live, incident_id)
    assert desk["incident"]["photos_after"] == inc.photos_after  # the photo is referenced on the desk too
    assert desk["incident"]["photos_before"] == [before]
    assert [e["action"] for e in desk["timeline"]].count("dispatch.on_scene") == 1


def test_a_grid_worker_reports_offline_and_checks_a_closure_with_a_photo(phone, live, photo):
    from playwright.sync_api import expect

    page, w = phone, live.world
    _sign_in(page, live.url, "gw-qc")
    expect(page.locator("#tabs button")).to_have_text(["上报", "我的上报", "核查", "地图"])
    page.click("[data-tab=report]")
    expect(page.locator(f"select[name=service_code] option[value={SERVICE}]")).to_have_count(1)

    page.context.set_offline(True)
    page.select_option("select[name=service_code]", SERVICE)
    page.fill("textarea[name=description]", "球川镇文化广场东侧车辆乱停，堵住消防通道")
    page.set_input_files("input[name=media]", str(photo))
    _shot(page, "report")
    page.click("form button[type=submit]")
    expect(page.locator(".card.report.waiting")).to_contain_text("堵住消防通道")
    expect(page.locator("#pending")).to_contain_text("待发送 1 项")
    page.context.set_offline(False)
    expect(page.locator(".card.report:not(.waiting)")).to_contain_text("堵住消防通道", timeout=40_000)
    expect(page.locator("#pending")).to_have_count(0)

    [report] = w.rows(select(Report).where(Report.description.like("%堵住消防通道%")))
    assert report.source == "grid_patrol" and report.grid_id == w.grid_id
    assert (report.lat, report.lon) == HERE and len(report.photos) == 1 and w.get(Photo, report.photos[0])
    expect(page.locator(f"[data-report='{report.id}']")).to_contain_text("待受理")
    _shot(page, "my_reports")

    # 核查: an incident of the worker's grid was handled and waits for the check
    incident_id = w.awaiting_verification()
    page.click("[data-tab=verify]")
    page.evaluate("window.crField.refreshData()")
    card = page.locator(f"[data-incident='{incident_id}']")
    expect(card).to_contain_text("待核查")
    card.locator("button.danger").click()
    expect(card.locator(".error")).to_have_text("退回重办请写明原因。")
    card.locator("textarea").fill("占道摊位仍在，请继续清理")
    card.locator("input[type=file]").set_input_files(str(photo))
    _shot(page, "verify")
    card.locator("button.danger").click()
    # gone from the list once the server has it (the list is read again after each send)
    expect(page.locator(f"[data-incident='{incident_id}']")).to_have_count(0, timeout=40_000)
    expect(page.locator("#pending")).to_have_count(0)
    inc = w.get(Incident, incident_id)
    assert inc.state == "in_progress"  # back to the team: a rejected closure leaves nobody's check on it
    [entry] = w.rows(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id,
                                                 TimelineEntry.action.in_(("verify_fail", "reject_closure"))))
    assert (entry.actor_name, entry.note) == ("王网格", "占道摊位仍在，请继续清理") and len(entry.data["photos"]) == 1
    shutil.rmtree(live.tmp / "photos", ignore_errors=True)


def _lose_first_answer(page, path: str) -> list[int]:
    """The first answer from ``path`` is lost on the way back (the server did apply it): the phone sends again."""
    lost: list[int] = []

    def lose(route) -> None:
        if not lost:
            route.fetch()
            lost.append(1)
            route.abort()
        else:
            route.continue_()

    page.route(path, lose)
    return lost


def test_a_crew_member_records_his_part_of_a_joint_visit_offline_once_and_the_desk_sees_it(phone, live, photo):
    from playwright.sync_api import expect

    page, w = phone, live.world
    _sign_in(page, live.url, "qc-m1")
    expect(page.locator("#main .empty")).to_have_text("目前没有派给本队的任务。")
    visit, [(inc1, d1), (inc2, d2)] = joint_visit(
        w, ["球川镇镇区主干道机动车违停，堵塞交通", "球川镇镇区主干道店外占道经营"], lead="qc-lead", crew=["qc-m1"])
    page.evaluate("window.crField.refreshData()")  # what the phone does every minute
    expect(page.locator("#fresh")).to_contain_text("新派单 2 件")  # work that arrived is said at the top
    page.click("#fresh button")
    expect(page.locator("#fresh")).to_have_count(0)
    card = page.locator(f"[data-joint='{visit}']")
    expect(card.locator("[data-stop]")).to_have_count(2)
    expect(card).to_contain_text("综合查一次 · 2 处")
    expect(card).to_contain_text("带队 赵队长")
    expect(page.locator("[data-dispatch]")).to_have_count(0)  # its stops are not listed again one by one

    page.context.set_offline(True)
    expect(page.locator("#net")).to_have_text("离线")
    card.locator("[data-visit=ack]").click()  # 签收 for both stops: one act each
    expect(page.locator("#pending")).to_contain_text("待发送 2 项")
    card.locator("[data-visit=go]").click()
    expect(page.locator("#pending")).to_contain_text("待发送 4 项")
    stop1, stop2 = card.locator(f"[data-stop='{d1}']"), card.locator(f"[data-stop='{d2}']")
    stop1.locator("input[type=file]").set_input_files(str(photo))
    stop1.locator("textarea").fill("已到第一处，车主在场")
    stop1.locator("[data-act=arrive]").click()
    expect(page.locator("#pending")).to_contain_text("待发送 5 项")
    stop1.locator("input[type=file]").set_input_files(str(photo))
    stop1.locator("textarea").fill("车辆已挪走")
    stop1.locator("[data-act=done]").click()
    expect(page.locator("#pending")).to_contain_text("待发送 7 项")
    stop2.locator("[data-act=note]").click()
    expect(stop2.locator(".error")).to_have_text("只记录时请写明情况。")
    stop2.locator("textarea").fill("第二处店主不在，约定明早复查")
    stop2.locator("[data-act=note]").click()
    expect(page.locator("#pending")).to_contain_text("待发送 8 项")
    queued = page.evaluate("window.crField.state.queue.map(q => q.id)")
    assert w.get(Dispatch, d1).state == "assigned"  # nothing reached the server yet

    lost = _lose_first_answer(page, "**/api/v1/field/push")
    page.context.set_offline(False)
    expect(page.locator("#pending")).to_have_count(0, timeout=60_000)
    assert lost == [1]
    assert len(w.rows(select(ProcessedMutation).where(ProcessedMutation.mutation_id.in_(queued)))) == 8
    assert (w.get(Dispatch, d1).state, w.get(Dispatch, d2).state) == ("done", "en_route")
    first = w.get(Incident, inc1)
    assert first.state == "awaiting_verification" and len(first.photos_before) == len(first.photos_after) == 1
    assert w.get(Incident, inc2).state == "acknowledged"

    def acts(incident_id: str) -> list[str]:
        return sorted(e.action for e in w.rows(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id))
                      if e.actor_name == "张队员")

    # each act once, by the member who made it, though one answer was lost and its act sent twice
    assert acts(inc1) == ["dispatch.acknowledge", "dispatch.done", "dispatch.en_route", "dispatch.on_scene", "submit"]
    assert acts(inc2) == ["dispatch.acknowledge", "dispatch.en_route", "note"]
    expect(card.locator(f"[data-stop='{d1}']")).to_contain_text("已提交核查")
    expect(card).to_contain_text("还剩 1 处")
    _shot(page, "joint_visit")

    # the leader sends 李队员 to what is left of the visit, on his own phone
    leader = _second_phone(page)
    try:
        lp = leader.new_page()
        _sign_in(lp, live.url, "qc-lead")
        lcard = lp.locator(f"[data-joint='{visit}']")
        lcard.locator("button.link").click()
        lcard.locator("select[name=lead]").select_option(label="李队员")
        lcard.locator(".reassign button").click()
        expect(lcard.locator(f"[data-stop='{d2}']")).to_be_visible()
        # the act is first located and saved (no 待发送 line yet), then sent: wait for the whole queue bar to go,
        # not only its 待发送 line, which is also absent while the phone is still finding its position
        expect(lp.locator("#queue")).to_be_hidden(timeout=40_000)
    finally:
        leader.close()
    assert w.get(Dispatch, d2).lead_member_id == w.members["qc-m2"]
    assert w.get(Dispatch, d1).lead_member_id == w.members["qc-lead"]  # a finished stop keeps its crew

    desk = _desk_sees(live, inc1, inc2)
    assert desk["incident"]["state"] == "awaiting_verification"
    assert desk["incident"]["photos_after"] == first.photos_after
    assert [e["action"] for e in desk["timeline"]].count("dispatch.on_scene") == 1
    note = desk["more"][inc2]["timeline"]
    assert [e["note"] for e in note if e["action"] == "note"] == ["第二处店主不在，约定明早复查"]


def _zoomed_package(path: Path, zooms: range) -> Path:
    """An MBTiles over the whole county at every zoom of ``zooms``, each zoom its own colour."""
    import sqlite3

    from commandroom.basemap.package import county_bounds, tile_range
    from tests.server.basemap_support import png_tile

    w, s, e, n = county_bounds(None, "wgs84")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    with conn:
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "测试街道图"), ("format", "png"), ("crs", "wgs84"), ("minzoom", str(zooms.start)),
            ("maxzoom", str(zooms.stop - 1)), ("bounds", f"{w - 0.01},{s - 0.01},{e + 0.01},{n + 0.01}"),
            ("attribution", "测试底图")])
        for z in zooms:
            data = png_tile((90 + 30 * (z - zooms.start), 180, 120))
            x0, y0, x1, y1 = tile_range(z, w, s, e, n)
            conn.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                             [(z, x, (1 << z) - 1 - y, data) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)])
    conn.close()
    return path


_LOADED = "[...document.querySelectorAll('#map img.tile')].filter(i => i.complete && i.naturalWidth > 0)" \
          ".map(i => i.dataset.tile).sort()"
_SHOWN = "[...document.querySelectorAll('#map img.tile')].map(i => i.dataset.tile).sort()"
# every tile on the screen has its answer: an image, or none (outside the area, or no signal and never kept)
_SETTLED = "[...document.querySelectorAll('#map img.tile')].every(i => i.classList.contains('none') " \
           "|| (i.complete && i.naturalWidth > 0))"


def test_the_zone_base_map_comes_from_the_county_server_and_shows_again_without_signal(phone, live, tmp_path):
    from playwright.sync_api import expect

    from commandroom.basemap import library

    page, w = phone, live.world
    folder = Path(live.state.extras["basemaps_dir"])
    if os.environ.get("FIELD_SCREENSHOTS"):  # the pictures in docs/ show the demo base map (places with names)
        from commandroom.basemap.demo import write_demo_mbtiles

        package = write_demo_mbtiles(tmp_path / "demo.mbtiles", min_zoom=10, max_zoom=13)
        w.dispatched("球川镇农贸市场东门流动摊贩占道经营")
    else:
        package = _zoomed_package(tmp_path / "streets.mbtiles", range(10, 14))
    library.import_package(live.state, package, folder, layer="streets")
    _incident, _dispatch = w.dispatched()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    _sign_in(page, live.url, "qc-m1")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.click("[data-tab=map]")
    expect(page.locator("#main h2")).to_have_text("球川片区底图")
    page.wait_for_function(f"{_LOADED}.length > 0 && {_SETTLED}", timeout=30_000)
    seen = page.evaluate(_LOADED)
    _shot(page, "map")
    z = int(seen[0].split("/")[1])
    assert all(int(k.split("/")[1]) == z for k in seen) and 10 <= z < 13
    expect(page.locator("#map .mark[data-mark]")).to_have_count(len(w.rows(select(Dispatch))))  # my team's matters
    outside = [u for u in asked if not u.startswith((live.url, f"blob:{live.url}"))]  # blob: a tile in memory
    assert not outside, outside
    assert any("/api/v1/field/tiles/streets/" in u for u in asked)
    # the service worker keeps each tile it has passed on (not only the browser's own HTTP cache)
    kept = page.evaluate("caches.open('cr-field-tiles-v1').then(c => c.keys())"
                         ".then(ks => ks.map(r => new URL(r.url).pathname.split('/tiles/')[1]).sort())")
    assert set(seen) <= set(kept)

    # no signal, the phone restarted: the app opens from its cache and the map shows the same tiles
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#net")).to_have_text("离线")
    page.click("[data-tab=map]")
    page.wait_for_function(f"{_LOADED}.length === {len(seen)}", timeout=30_000)
    assert page.evaluate(_LOADED) == seen
    # tiles never looked at are not there without signal (the line is really cut) …
    page.click("[data-zoom=in]")
    page.wait_for_function(f"{_SHOWN}.length > 0 && {_SHOWN}.every(k => k.split('/')[1] === '{z + 1}')"
                           f" && {_SETTLED}")
    assert page.evaluate(_LOADED) == []
    expect(page.locator("#fetch-area")).to_be_disabled()
    # … until the line returns; then the whole zone is fetched ahead for the next time out
    page.context.set_offline(False)
    page.click("[data-zoom=out]")
    page.click("[data-zoom=in]")
    page.wait_for_function(f"{_LOADED}.length > 0 && {_SETTLED}", timeout=30_000)
    page.evaluate("window.crField.refreshData()")
    expect(page.locator("#fetch-area")).to_be_enabled()
    page.click("#fetch-area")
    expect(page.locator("#main .notice")).to_contain_text("本片区底图已存到手机", timeout=60_000)
    page.context.set_offline(True)
    page.click("[data-zoom=in]")
    page.click("[data-zoom=in]")  # the layer's deepest zoom, 13: never shown, fetched ahead
    page.wait_for_function(f"{_LOADED}.length > 0 && {_SHOWN}.every(k => k.split('/')[1] === '13') && {_SETTLED}",
                           timeout=30_000)
    # signing out leaves no tile of this account's area on the phone for the next person
    page.click("#who button")
    expect(page.locator("input[name=username]")).to_be_visible()
    page.wait_for_function("caches.has('cr-field-tiles-v1').then(x => !x)")
