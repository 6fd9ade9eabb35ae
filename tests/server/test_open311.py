"""Open311 GeoReport v2 against the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from commandroom.domain.models import ChangeLog, Incident, Photo, Report, TimelineEntry
from commandroom.mutations.core import Actor
from commandroom.refdata.geo import wgs84_to_gcj02
from commandroom.timeutil import utcnow
from tests.server.test_auth_support import QC, QC_SEAT, TM, TM_SEAT, jpeg_bytes, open_server

QC_POINT = QC_SEAT  # the 球川 seat lies in 球川's area
DESC = "球川镇XX村口垃圾堆放，已有异味，请尽快清运。"


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as server:
        _, key = server.add_user("gw-qc", "grid-worker", township_code="球川", display_name="王网格", phone="13800000001")
        server.keys = {"gw-qc": key}
        _, key = server.add_user("gw-tm", "grid-worker", township_code=TM)
        server.keys["gw-tm"] = key
        server.add_user("duty-qc", "duty_officer", township_code=QC)
        server.add_user("county", "county_coordinator")
        yield server


def _category(srv) -> str:
    r = srv.client.get("/open311/v2/services.json")
    return r.json()[0]["service_code"]


def post(srv, key="gw-qc", fmt="json", headers=None, files=None, **fields):
    data = {"api_key": srv.keys[key] if key else None, "service_code": fields.pop("service_code", None) or _category(srv),
            "lat": str(QC_POINT[0]), "long": str(QC_POINT[1]), "description": DESC}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return srv.client.post(f"/open311/v2/requests.{fmt}", data=data, files=files, headers=headers or {})


# --------------------------------------------------------------------------- services


def test_services_json_and_xml(srv):
    r = srv.client.get("/open311/v2/services.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    services = r.json()
    assert len(services) >= 30
    first = services[0]
    assert set(first) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert first["metadata"] is False and first["type"] == "realtime"
    assert first["group"] in {"党建统领", "经济生态", "平安法治", "公共服务"}

    x = srv.client.get("/open311/v2/services.xml")
    assert x.status_code == 200 and x.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(x.content)
    assert root.tag == "services"
    items = root.findall("service")
    assert len(items) == len(services)
    assert items[0].findtext("service_code") == first["service_code"]
    assert items[0].findtext("metadata") == "false"

    code = first["service_code"]
    d = srv.client.get(f"/open311/v2/services/{code}.json")
    assert d.status_code == 200 and d.json() == {"service_code": code, "attributes": []}
    dx = ET.fromstring(srv.client.get(f"/open311/v2/services/{code}.xml").content)
    assert dx.tag == "service_definition" and dx.findtext("service_code") == code
    assert dx.find("attributes") is not None and len(dx.find("attributes")) == 0


def test_unknown_service_and_format(srv):
    r = srv.client.get("/open311/v2/services/no_such.json")
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "service_code 'no_such' is not a service of this server"}]
    x = srv.client.get("/open311/v2/services/no_such.xml")
    assert x.status_code == 404
    err = ET.fromstring(x.content)
    assert err.tag == "errors" and err.find("error/code").text == "404"
    assert "no_such" in err.find("error/description").text
    assert srv.client.get("/open311/v2/services.yaml").status_code == 404
    bad_j = srv.client.get("/open311/v2/services.json?jurisdiction_id=999")
    assert bad_j.status_code == 404 and "999" in bad_j.json()[0]["description"]
    ok_j = srv.client.get(f"/open311/v2/services.json?jurisdiction_id={QC}")
    assert ok_j.status_code == 200


def test_discovery_and_jurisdictions(srv):
    d = srv.client.get("/open311/v2/discovery.json").json()
    assert d["endpoints"][0]["url"].endswith("/open311/v2")
    j = srv.client.get("/open311/v2/jurisdictions.json", params={"api_key": srv.keys["gw-qc"]}).json()
    assert len(j) == 14
    qc = next(t for t in j if t["jurisdiction_id"] == QC)
    assert qc["in_scope"] is True and qc["area"]["type"] in ("Polygon", "MultiPolygon", "Feature")
    assert sum(1 for t in j if t["in_scope"]) == 1
    x = ET.fromstring(srv.client.get("/open311/v2/jurisdictions.xml").content)
    assert len(x.findall("jurisdiction")) == 14


# --------------------------------------------------------------------------- POST → GET


def test_post_creates_report_through_the_write_path(srv, monkeypatch):
    poked = []
    import commandroom.server.events as events

    broker = events.broker_of(srv.state)
    if srv.state.is_sqlite:  # PostgreSQL pokes travel through NOTIFY at commit instead
        monkeypatch.setattr(broker, "publish_threadsafe", lambda heads, epoch=None: poked.append(set(heads)))
    before = srv.counts()
    r = post(srv, first_name="三", last_name="张", phone="13900000000", address_string="XX村口")
    assert r.status_code == 201, r.text
    [answer] = r.json()
    assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
    assert answer["account_id"] is None
    assert answer["service_request_id"].startswith("QC-R-")
    assert "球川镇" in answer["service_notice"]
    after = srv.counts()
    assert after["report"] == before["report"] + 1
    assert after["srv_change_log"] > before["srv_change_log"]
    assert after["srv_audit"] > before["srv_audit"]
    if srv.state.is_sqlite:
        assert poked == [{f"township:{QC}"}]  # exactly one poke: the commit hook's
    with srv.state.read() as s:
        rep = s.get(Report, answer["token"])
        assert rep.township_code == QC and rep.number == answer["service_request_id"]
        assert rep.source == "grid_patrol" and rep.reporter_name == "张三" and rep.reporter_phone == "13900000000"
        assert rep.description == DESC and rep.address == "XX村口"
        assert (rep.lat, rep.lon) == pytest.approx(QC_POINT)
        log = s.scalars(select(ChangeLog).where(ChangeLog.entity_id == rep.id)).all()
        assert [c.bucket for c in log] == [f"township:{QC}"]
        assert log[0].origin_device.startswith("open311:")

    g = srv.client.get(f"/open311/v2/requests/{answer['service_request_id']}.json", params={"api_key": srv.keys["gw-qc"]})
    assert g.status_code == 200
    [req] = g.json()
    assert req["status"] == "open" and req["status_notes"] == "待受理"
    assert req["service_request_id"] == answer["service_request_id"] and req["token"] == answer["token"]
    assert req["lat"] == pytest.approx(QC_POINT[0]) and req["long"] == pytest.approx(QC_POINT[1])
    assert req["requested_datetime"].endswith("+08:00")
    assert req["agency_responsible"] == "球川镇综合信息指挥室"
    by_uuid = srv.client.get(f"/open311/v2/requests/{answer['token']}.xml", params={"api_key": srv.keys["gw-qc"]})
    x = ET.fromstring(by_uuid.content)
    assert x.tag == "service_requests" and x.findtext("request/service_request_id") == answer["service_request_id"]
    assert x.findtext("request/status") == "open"
    t = srv.client.get(f"/open311/v2/tokens/{answer['token']}.json", params={"api_key": srv.keys["gw-qc"]})
    assert t.json() == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]


def test_post_xml_answer(srv):
    r = post(srv, fmt="xml")
    assert r.status_code == 201
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id").startswith("QC-R-")
    assert root.find("request/account_id") is not None and root.findtext("request/account_id") in (None, "")


def test_gcj02_coordinates_are_converted_at_intake(srv):
    glon, glat = wgs84_to_gcj02(QC_POINT[1], QC_POINT[0])
    assert abs(glon - QC_POINT[1]) > 1e-3  # the offset is hundreds of metres
    r = post(srv, lat=f"{glat:.8f}", long=f"{glon:.8f}", coord_system="gcj02")
    assert r.status_code == 201, r.text
    with srv.state.read() as s:
        rep = s.get(Report, r.json()[0]["token"])
    assert rep.lat == pytest.approx(QC_POINT[0], abs=1e-6)
    assert rep.lon == pytest.approx(QC_POINT[1], abs=1e-6)


def test_address_only_goes_to_the_workers_township_or_jurisdiction(srv):
    r = post(srv, lat=None, long=None, address_string="球川镇政府门口")
    assert r.status_code == 201, r.text
    r2 = post(srv, lat=None, long=None, address_string="球川镇政府门口", jurisdiction_id=QC)
    assert r2.status_code == 201
    with srv.state.read() as s:
        for resp in (r, r2):
            rep = s.get(Report, resp.json()[0]["token"])
            assert rep.township_code == QC and rep.lat is None


def test_a_bearer_token_works_too(srv):
    h = srv.bearer("duty-qc")
    r = srv.client.post("/open311/v2/requests.json", headers=h,
                        data={"service_code": _category(srv), "lat": str(QC_POINT[0]), "long": str(QC_POINT[1]),
                              "description": "热线转来：路灯不亮"})
    assert r.status_code == 201, r.text
    g = srv.client.get("/open311/v2/requests.json", headers=h)
    assert g.status_code == 200 and len(g.json()) == 1
    with srv.state.read() as s:
        assert s.get(Report, r.json()[0]["token"]).source == "villager_app"


def test_multipart_media_is_stored_by_hash(srv):
    data = jpeg_bytes()
    sha = hashlib.sha256(data).hexdigest()
    r = post(srv, files={"media": ("photo.jpg", data, "image/jpeg")})
    assert r.status_code == 201, r.text
    token = r.json()[0]["token"]
    with srv.state.read() as s:
        assert s.get(Report, token).photos == [sha]
        photo = s.get(Photo, sha)
        assert photo.mime == "image/jpeg" and photo.width == 800 and photo.thumbnail
    req = srv.client.get(f"/open311/v2/requests/{token}.json", params={"api_key": srv.keys["gw-qc"]}).json()[0]
    assert req["media_url"].endswith(f"/api/v1/photos/{sha}/full")
    path = req["media_url"].split("://", 1)[1].split("/", 1)[1]
    full = srv.client.get("/" + path, params={"api_key": srv.keys["gw-qc"]})
    assert full.status_code == 200 and full.content == data
    # a second report may point at the same photo by media_url
    r2 = post(srv, media_url=req["media_url"])
    assert r2.status_code == 201
    with srv.state.read() as s:
        assert s.get(Report, r2.json()[0]["token"]).photos == [sha]


def test_foreign_media_url_is_kept_in_text_not_fetched(srv):
    r = post(srv, media_url="https://example.invalid/p/1.jpg", email="a@b.cn")
    assert r.status_code == 201
    with srv.state.read() as s:
        rep = s.get(Report, r.json()[0]["token"])
    assert rep.photos == [] and "https://example.invalid/p/1.jpg" in rep.description
    # the reporter's contact is kept in its own field, not in the description everyone reads
    assert "a@b.cn" not in rep.description and rep.reporter_email == "a@b.cn"


def test_idempotency_key_returns_the_first_answer(srv):
    h = {"Idempotency-Key": "phone-42-report-7"}
    first = post(srv, headers=h, device_id="phone-42")
    assert first.status_code == 201
    n = srv.counts()
    again = post(srv, headers=h, device_id="phone-42")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert srv.counts() == n
    other = post(srv, headers=h, device_id="phone-42", description="另一件事")
    assert other.status_code == 409 and other.json()[0]["code"] == 409
    assert srv.counts() == n
    # the same key from another device is another request
    third = post(srv, headers=h, device_id="phone-43")
    assert third.status_code == 201 and third.json()[0]["token"] != first.json()[0]["token"]


# --------------------------------------------------------------------------- status, filters, scope


def _accept_and_close(srv, token: str, note: str) -> str:
    from commandroom.ids import new_id
    from commandroom.server.pipeline import execute

    incident_id = new_id()
    with srv.state.transaction() as s:
        execute(s, actor=Actor.system(), allowed_townships=None, name="report.accept", entity_id=token,
                args={"incident_id": incident_id})
    with srv.state.transaction() as s:
        s.execute(update(Incident).where(Incident.id == incident_id).values(state="closed", closed_at=utcnow()))
        s.add(TimelineEntry(township_code=QC, incident_id=incident_id, action="close", from_state="in_progress",
                            to_state="closed", note=note, at=utcnow() + timedelta(seconds=5)))
    return incident_id


def test_status_follows_the_incident(srv):
    key = {"api_key": srv.keys["gw-qc"]}
    a = post(srv).json()[0]
    b = post(srv).json()[0]
    _accept_and_close(srv, a["token"], "垃圾已清运完毕")
    ra = srv.client.get(f"/open311/v2/requests/{a['token']}.json", params=key).json()[0]
    assert ra["status"] == "closed" and ra["status_notes"] == "已办结：垃圾已清运完毕"
    assert ra["expected_datetime"] is not None
    closed = srv.client.get("/open311/v2/requests.json", params={**key, "status": "closed"}).json()
    opened = srv.client.get("/open311/v2/requests.json", params={**key, "status": "open"}).json()
    assert [x["token"] for x in closed] == [a["token"]]
    assert [x["token"] for x in opened] == [b["token"]]
    both = srv.client.get("/open311/v2/requests.json", params={**key, "status": "open,closed"}).json()
    assert {x["token"] for x in both} == {a["token"], b["token"]}


def test_filters(srv):
    key = {"api_key": srv.keys["gw-qc"]}
    services = [s["service_code"] for s in srv.client.get("/open311/v2/services.json").json()]
    a = post(srv, service_code=services[0]).json()[0]
    b = post(srv, service_code=services[1]).json()[0]
    got = srv.client.get("/open311/v2/requests.json", params={**key, "service_code": services[1]}).json()
    assert [x["token"] for x in got] == [b["token"]]
    ids = f"{a['service_request_id']},{b['token']}"
    got = srv.client.get("/open311/v2/requests.json", params={**key, "service_request_id": ids}).json()
    assert {x["token"] for x in got} == {a["token"], b["token"]}
    past = srv.client.get("/open311/v2/requests.json",
                          params={**key, "start_date": "2020-01-01T00:00:00+08:00",
                                  "end_date": "2020-02-01T00:00:00Z"}).json()
    assert past == []
    recent = srv.client.get("/open311/v2/requests.json", params={**key, "start_date": "2020-01-01"}).json()
    assert len(recent) == 2
    for params, word in (({"start_date": "yesterday"}, "start_date"), ({"end_date": "2026-13-45"}, "end_date"),
                         ({"status": "pending"}, "status"), ({"page_size": "5000"}, "page_size"),
                         ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "after")):
        bad = srv.client.get("/open311/v2/requests.json", params={**key, **params})
        assert bad.status_code == 400, params
        assert word in bad.json()[0]["description"]
    assert srv.client.get("/open311/v2/requests.json", params={**key, "page_size": "1"}).json().__len__() == 1


def test_reads_are_limited_to_the_key_holders_scope(srv):
    mine = post(srv).json()[0]
    theirs = post(srv, key="gw-tm", lat=str(TM_SEAT[0]), long=str(TM_SEAT[1])).json()[0]
    assert theirs["service_request_id"].startswith("TM-R-")
    key = {"api_key": srv.keys["gw-qc"]}
    listed = srv.client.get("/open311/v2/requests.json", params=key).json()
    assert [x["token"] for x in listed] == [mine["token"]]
    listed = srv.client.get("/open311/v2/requests.json",
                            params={**key, "service_request_id": theirs["service_request_id"]}).json()
    assert listed == []
    # another township's request is answered exactly like one that does not exist: no number, no township
    one = srv.client.get(f"/open311/v2/requests/{theirs['token']}.json", params=key)
    ghost = "0" * len(theirs["token"])
    missing = srv.client.get(f"/open311/v2/requests/{ghost}.json", params=key)
    assert one.status_code == missing.status_code == 404
    assert one.json() == [{"code": 404, "description": f"no service request '{theirs['token']}'"}]
    assert missing.json() == [{"code": 404, "description": f"no service request '{ghost}'"}]
    assert TM not in one.text and theirs["service_request_id"] not in one.text
    by_number = srv.client.get(f"/open311/v2/requests/{theirs['service_request_id']}.json", params=key)
    assert by_number.status_code == 404 and TM not in by_number.text
    tok = srv.client.get(f"/open311/v2/tokens/{theirs['token']}.xml", params=key)
    assert tok.status_code == 404 and ET.fromstring(tok.content).tag == "errors"
    assert theirs["service_request_id"] not in tok.text
    j = srv.client.get("/open311/v2/requests.json", params={**key, "jurisdiction_id": TM})
    assert j.status_code == 403
    county = srv.client.get("/open311/v2/requests.json", headers=srv.bearer("county")).json()
    assert {x["token"] for x in county} == {mine["token"], theirs["token"]}


def test_posting_outside_the_workers_township_is_refused(srv):
    before = srv.counts()
    r = post(srv, lat=str(TM_SEAT[0]), long=str(TM_SEAT[1]))
    assert r.status_code == 403 and TM in r.json()[0]["description"]
    assert srv.counts() == before


def test_key_problems(srv):
    from commandroom.server.users import disable_user, revoke_api_key

    assert srv.client.get("/open311/v2/requests.json").status_code == 403
    assert srv.client.get("/open311/v2/requests.json", params={"api_key": "nope"}).status_code == 403
    with srv.state.transaction() as s:
        revoke_api_key(s, "gw-qc")
        disable_user(s, "gw-tm")
    r = srv.client.get("/open311/v2/requests.json", params={"api_key": srv.keys["gw-qc"]})
    assert r.status_code == 403 and "revoked" in r.json()[0]["description"]
    r = srv.client.get("/open311/v2/requests.json", params={"api_key": srv.keys["gw-tm"]})
    assert r.status_code == 403 and "disabled" in r.json()[0]["description"]
    r = srv.client.get("/open311/v2/requests.json", headers={"Authorization": "Bearer nonsense-token-value"})
    assert r.status_code == 401
    assert srv.client.get("/open311/v2/requests/none.json", params={"api_key": "x"}).status_code == 403


def test_unknown_ids_are_404(srv):
    key = {"api_key": srv.keys["gw-qc"]}
    r = srv.client.get("/open311/v2/requests/QC-R-2020-999999.json", params=key)
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    x = srv.client.get("/open311/v2/tokens/00000000-0000-0000-0000-000000000000.xml", params=key)
    assert x.status_code == 404 and ET.fromstring(x.content).findtext("error/code") == "404"


def test_accepted_report_is_committed_durably_before_the_201(srv):
    """A grid worker told 201 must not lose the report to a power cut: on SQLite its transaction commits with
    synchronous=FULL (NORMAL may roll a WAL commit back after a power loss), and the row is in the file."""
    if not srv.state.is_sqlite:
        pytest.skip("PostgreSQL commits durably by default")
    from sqlalchemy import event

    levels = []

    def _on_execute(conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO REPORT "):
            levels.append(conn.connection.driver_connection.execute("PRAGMA synchronous").fetchone()[0])

    event.listen(srv.state.engine, "before_cursor_execute", _on_execute)
    try:
        r = post(srv)
    finally:
        event.remove(srv.state.engine, "before_cursor_execute", _on_execute)
    assert r.status_code == 201, r.text
    assert levels == [2]  # 2 = FULL, for the transaction that wrote the report
    token = r.json()[0]["token"]
    import sqlite3

    path = srv.state.engine.url.database
    srv.state.engine.dispose()  # as after a restart: only what reached the file
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT number FROM report WHERE id = ?", (token,)).fetchone()[0].startswith("QC-R-")
