"""The field app's API: who may sign in, what a field token can never do, and acts sent twice applied once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commandroom.domain.models import Dispatch, Incident, ProcessedMutation, TeamMember, TimelineEntry
from commandroom.ids import new_id
from tests.field.world import PASSWORD, make_field_world
from tests.server.test_auth_support import QC_SEAT, jpeg_bytes, open_server


@pytest.fixture
def field(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        srv.world = make_field_world(srv.state)
        yield srv


def _login(srv, username: str, phone: str = "phone-0000-0001") -> dict:
    r = srv.client.post("/api/v1/field/login", json={"username": username, "password": PASSWORD, "device_id": phone})
    assert r.status_code == 200, r.text
    return r.json()


def _h(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _push(srv, tokens: dict, *acts: tuple[str, str, dict], incarnation: str = "inc-00000001", first: int = 1,
          ids: list[str] | None = None) -> dict:
    muts = [{"mutation_id": (ids[i] if ids else new_id()), "local_seq": first + i, "name": name, "entity_id": eid,
             "args": args, "created_local_ts": None} for i, (name, eid, args) in enumerate(acts)]
    r = srv.client.post("/api/v1/field/push", json={"device_incarnation": incarnation, "first_local_seq": 1,
                                                     "mutations": muts}, headers=_h(tokens))
    assert r.status_code == 200, r.text
    return r.json()


def test_the_field_sign_in_is_for_teams_and_grid_workers_and_never_opens_a_desk(field):
    c = field.client
    r = c.post("/api/v1/field/login", json={"username": "qc1", "password": PASSWORD, "device_id": "phone-0000-0001"})
    assert r.status_code == 403 and "请在指挥室工作站登录" in r.json()["detail"]["message"]
    r = c.post("/api/v1/field/login", json={"username": "qc-m1", "password": "wrong-password", "device_id": "p-000001"})
    assert r.status_code == 401 and r.json()["detail"]["message"] == "用户名或密码不对，请重新输入。"
    gw = _login(field, "gw-qc")
    assert gw["user"]["grid_worker"] and not gw["user"]["team"] and gw["device_id"].startswith("field-")
    member = _login(field, "qc-m1")
    assert member["user"]["team"] and member["user"]["zone_id"] == "QC"
    for tokens in (gw, member):
        # a field token is refused by everything a desk uses
        assert c.get("/api/v1/sync/pull", params={"cursors": "{}"}, headers=_h(tokens)).status_code == 403
        r = c.post("/api/v1/sync/push", json={}, headers=_h(tokens))
        assert r.status_code == 403 and r.json()["detail"]["code"] == "field_only"
        assert c.get("/api/v1/auth/me", headers=_h(tokens)).status_code == 403
        assert c.get("/api/v1/field/me", headers=_h(tokens)).status_code == 200
    # signing out ends the phone's token at once
    assert c.post("/api/v1/field/logout", headers=_h(gw)).status_code == 200
    assert c.get("/api/v1/field/me", headers=_h(gw)).status_code == 401
    # and a desk token is not a field token
    desk = field.client.post("/api/v1/auth/login", json={"username": "qc-lead", "password": PASSWORD,
                                                          "device_id": "desk-lead-0001"}).json()
    r = c.get("/api/v1/field/dispatches", headers=_h(desk))
    assert r.status_code == 403 and r.json()["detail"]["code"] == "not_field"


def test_a_member_sees_the_team_dispatch_and_its_acts_apply_once_with_position(field):
    w = field.world
    incident_id, dispatch_id = w.dispatched()
    tokens = _login(field, "qc-m1")
    listing = field.client.get("/api/v1/field/dispatches", headers=_h(tokens)).json()
    [d] = listing["dispatches"]
    assert d["id"] == dispatch_id and d["state_words"] == "已派" and d["incident"]["ack_due"].endswith("Z")
    assert d["incident"]["urgency_name"] == "一般"  # the phone shows the level's name, not its code (L3)
    photo = field.client.post("/api/v1/photos", content=jpeg_bytes(), headers={**_h(tokens),
                                                                                "Content-Type": "image/jpeg"}).json()
    ids = [new_id(), new_id()]
    acts = (("dispatch.acknowledge", dispatch_id, {"lat": QC_SEAT[0], "lon": QC_SEAT[1], "accuracy": 12}),
            ("dispatch.on_scene", dispatch_id, {"lat": 28.871, "lon": 118.331, "photos": [photo["sha256"]]}))
    first = _push(field, tokens, *acts, ids=ids)
    assert [x["status"] for x in first["results"]] == ["applied", "applied"]
    again = _push(field, tokens, *acts, ids=ids)  # the answer was lost: the phone sends the same acts again
    assert [x["duplicate"] for x in again["results"]] == [True, True]
    assert [x["seq"] for x in again["results"]] == [x["seq"] for x in first["results"]]
    entries = w.rows(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id,
                                                 TimelineEntry.action.like("dispatch.%")))
    assert sorted(e.action for e in entries) == ["dispatch.acknowledge", "dispatch.on_scene"]
    on_scene = next(e for e in entries if e.action == "dispatch.on_scene")
    assert on_scene.data["position"] == {"lat": 28.871, "lon": 118.331}
    assert w.get(Incident, incident_id).photos_before == [photo["sha256"]]
    member = w.get(TeamMember, w.members["qc-m1"])
    assert (member.lat, member.lon, member.status) == (28.871, 118.331, "on_scene")  # where the room's map shows it
    assert len(w.rows(select(ProcessedMutation).where(ProcessedMutation.mutation_id.in_(ids)))) == 2
    # 开始处置 and 提交核查 from another spot move him on the room's map too
    [res] = _push(field, tokens, ("incident.start", incident_id, {"lat": 28.872, "lon": 118.332}), first=3)["results"]
    assert res["status"] == "applied", res
    member = w.get(TeamMember, w.members["qc-m1"])
    assert (member.lat, member.lon, member.status) == (28.872, 118.332, "on_scene")
    [res] = _push(field, tokens, ("incident.submit", incident_id, {"lat": 28.873, "lon": 118.333}), first=4)["results"]
    assert res["status"] == "applied", res
    assert (w.get(TeamMember, w.members["qc-m1"]).lat, w.get(Incident, incident_id).state) == (28.873,
                                                                                               "awaiting_verification")


def test_only_the_leader_reassigns_and_only_within_the_team(field):
    w = field.world
    _incident_id, dispatch_id = w.dispatched()
    m1, m2 = w.members["qc-m1"], w.members["qc-m2"]
    member = _login(field, "qc-m1")
    [res] = _push(field, member, ("dispatch.reassign", dispatch_id, {"lead_member_id": m2, "member_ids": [m2]}))["results"]
    assert res["status"] == "rejected" and "队内改派" in res["explanation"]
    leader = _login(field, "qc-lead", phone="phone-lead-0001")
    [res] = _push(field, leader, ("dispatch.reassign", dispatch_id, {"lead_member_id": "not-a-member",
                                                                      "member_ids": ["not-a-member"]}))["results"]
    assert res["status"] == "rejected" and "只能改派给本队的队员" in res["explanation"]
    [res] = _push(field, leader, ("dispatch.reassign", dispatch_id, {"lead_member_id": m2, "member_ids": [m2, m1]}),
                  first=2)["results"]
    assert res["status"] == "applied", res
    d = w.get(Dispatch, dispatch_id)
    assert (d.lead_member_id, d.member_ids) == (m2, [m2, m1])
    # a desk act is not a field act
    r = field.client.post("/api/v1/field/push", headers=_h(leader), json={
        "device_incarnation": "inc-00000001", "mutations": [{"mutation_id": new_id(), "local_seq": 3,
                                                             "name": "incident.close", "entity_id": "x", "args": {}}]})
    assert r.status_code == 422 and "incident.close" in r.json()["detail"]["message"]


def test_a_grid_worker_checks_closures_in_its_own_grid_only(field):
    w = field.world
    mine = w.awaiting_verification()
    elsewhere = w.awaiting_verification("球川镇其他网格的占道经营", grid=False)
    tokens = _login(field, "gw-qc")
    listed = field.client.get("/api/v1/field/verifications", headers=_h(tokens)).json()["incidents"]
    assert [i["id"] for i in listed] == [mine]
    [res] = _push(field, tokens, ("incident.verify", elsewhere, {"passed": True}))["results"]
    assert res["status"] == "rejected" and "不是派给您的" in res["explanation"]
    [res] = _push(field, tokens, ("incident.verify", mine, {"passed": False}), first=2)["results"]
    assert res["status"] == "rejected" and "note" in res["explanation"]
    [res] = _push(field, tokens, ("incident.verify", mine, {"passed": False, "note": "摊位还在"}), first=3)["results"]
    assert res["status"] == "applied", res.get("explanation")
    inc = w.get(Incident, mine)
    [entry] = w.rows(select(TimelineEntry).where(TimelineEntry.incident_id == mine,
                                                 TimelineEntry.action == "verify_fail"))
    assert inc.state == "in_progress" and (entry.actor_name, entry.note) == ("王网格", "摊位还在")


def test_in_ci_a_missing_browser_fails_the_run_instead_of_skipping(monkeypatch):
    from tests.field.test_field_browser import _missing

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        _missing("chromium")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        _missing("chromium")


def test_a_team_phone_gets_the_base_map_of_its_zone_and_nothing_outside_it(field, tmp_path):
    from commandroom.basemap import library
    from commandroom.basemap.package import tile_range
    from commandroom.basemap.vector import POLYGON, Feature, Layer, encode_tile
    from tests.server.basemap_support import png_tile, write_package

    folder = tmp_path / "basemaps"
    field.state.extras["basemaps_dir"] = str(folder)
    library.import_package(field.state, write_package(tmp_path / "s.mbtiles", min_zoom=12, max_zoom=13,
                                                      data=png_tile((10, 200, 30))), folder, layer="streets")
    water = encode_tile([Layer("water", features=[Feature(POLYGON, [[(0, 0), (4096, 0), (4096, 4096), (0, 4096),
                                                                          (0, 0)]])])], compress=True)
    library.import_package(field.state, write_package(tmp_path / "v.mbtiles", min_zoom=12, max_zoom=13, fmt="pbf",
                                                      data=water), folder, layer="labels")
    member = _h(_login(field, "qc-m1"))
    info = field.client.get("/api/v1/field/basemap", headers=member).json()
    assert info["area_name"] == "球川片区"
    streets, labels = info["layers"]
    assert (streets["name"], labels["name"]) == ("街道图", "注记")
    w, s, e, n = streets["bounds"]
    assert w < QC_SEAT[1] < e and s < QC_SEAT[0] < n  # the zone, not the county
    assert e - w < 0.5

    def xy(lat: float, lon: float) -> tuple[int, int]:
        x, y, _x1, _y1 = tile_range(12, lon, lat, lon, lat)
        return x, y

    x, y = xy(*QC_SEAT)
    r = field.client.get(f"/api/v1/field/tiles/streets/12/{x}/{y}", headers=member)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png_tile((10, 200, 30))
    # a vector layer arrives drawn (the phone has no vector renderer): water colour, not protobuf
    r = field.client.get(f"/api/v1/field/tiles/labels/12/{x}/{y}", headers=member)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    from io import BytesIO

    from PIL import Image

    pixel = Image.open(BytesIO(r.content)).convert("RGB").getpixel((128, 128))
    assert pixel[2] > pixel[0]  # blue-ish water
    # a tile of another zone (芳村, the county's north-east) is answered as missing
    fx, fy = xy(29.10, 118.60)
    assert field.client.get(f"/api/v1/field/tiles/streets/12/{fx}/{fy}", headers=member).status_code == 404
    # the desks' tile endpoint does not take a field token
    assert field.client.get(f"/api/v1/basemaps/streets/tiles/12/{x}/{y}", headers=member).status_code == 403
    assert field.client.get(f"/api/v1/field/tiles/streets/12/{x}/{y}").status_code == 401
    # a grid worker's map is its township: inside the zone's
    grid = field.client.get("/api/v1/field/basemap", headers=_h(_login(field, "gw-qc"))).json()
    gw_w, gw_s, gw_e, gw_n = grid["layers"][0]["bounds"]
    assert grid["area_name"] == "球川镇" and w <= gw_w < QC_SEAT[1] < gw_e <= e and s <= gw_s < gw_n <= n
    assert (gw_e - gw_w) * (gw_n - gw_s) < (e - w) * (n - s)


def test_a_joint_visit_reaches_its_crew_and_leader_only(field):
    from tests.field.world import joint_visit

    visit, stops = joint_visit(field.world, ["球川镇镇区主干道机动车违停", "球川镇镇区主干道店外占道经营"],
                               lead="qc-lead", crew=["qc-m1"])

    def seen(username: str) -> dict[str, str | None]:
        r = field.client.get("/api/v1/field/dispatches", headers=_h(_login(field, username)))
        return {d["id"]: d["joint_visit_id"] for d in r.json()["dispatches"]}

    assert seen("qc-m1") == seen("qc-lead") == {d: visit for _i, d in stops}
    assert seen("qc-m2") == {}  # not in the crew: not on his phone
