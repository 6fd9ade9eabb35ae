"""Open311 intake is rate-limited per key; a replayed mutation id from another account gets nobody's result."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.domain.models import Incident
from commandroom.ids import new_id
from commandroom.server.ratelimit import IntakeLimiter
from tests.server.test_auth_support import QC, open_server


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as s:
        _, s.key_a = s.add_user("gw-a", "grid_worker", township_code=QC)
        _, s.key_b = s.add_user("gw-b", "grid_worker", township_code=QC)
        s.add_user("duty-1", "duty_officer", township_code=QC)
        s.add_user("duty-2", "duty_officer", township_code=QC)
        yield s


def _report(srv, key: str):
    service = srv.client.get("/open311/v2/services.json").json()[0]["service_code"]
    return srv.client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": service, "lat": "28.87", "long": "118.33", "description": "路面塌陷"})


def test_open311_intake_is_limited_per_key(srv):
    srv.state.extras["open311_limiter"] = IntakeLimiter(srv.state, per_key=3, window=timedelta(minutes=10))
    for _ in range(3):
        assert _report(srv, srv.key_a).status_code == 201
    reports_before = srv.counts()["report"]
    r = _report(srv, srv.key_a)
    assert r.status_code == 429
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 600 and f"{wait} seconds" in r.json()[0]["description"]
    assert srv.counts()["report"] == reports_before  # refused before anything was written
    assert _report(srv, srv.key_b).status_code == 201  # another key is not held back


def _push(srv, username: str, device: str, mutation_id: str, incident_id: str) -> dict:
    h = srv.bearer(username, device)
    body = {"device_id": device, "device_incarnation": new_id(), "first_local_seq": 1,
            "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
            "mutations": [{"mutation_id": mutation_id, "local_seq": 1, "name": "incident.note",
                           "entity_id": incident_id, "args": {"note": "已电话联系"}}]}
    r = srv.client.post("/api/v1/sync/push", json=body, headers=h)
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def test_a_mutation_id_replayed_from_another_account_gets_nobodys_result(srv):
    with srv.state.transaction() as s:
        inc = Incident(id=new_id(), township_code=QC, title="路面塌陷", category_code="x")
        s.add(inc)
        incident_id = inc.id
    mid = new_id()
    first = _push(srv, "duty-1", "ws-duty-0001", mid, incident_id)
    assert first["status"] == "applied" and first["seq"]
    again = _push(srv, "duty-1", "ws-duty-0001", mid, incident_id)  # the same workstation: its stored result
    assert again["duplicate"] and again["seq"] == first["seq"]
    replay = _push(srv, "duty-2", "ws-duty-0002", mid, incident_id)
    assert replay["status"] == "error" and replay["seq"] is None and not replay["duplicate"]
    assert "已被使用" in replay["explanation"] and "duty-1" not in str(replay)
