"""Scope isolation on the real app: who may read and change which township's rows; 401 reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.domain.errors import NotFound
from commandroom.domain.models import DeviceToken, Incident, Report, TimelineEntry
from commandroom.ids import new_id
from commandroom.timeutil import utcnow
from tests.server.test_auth_support import BS, QC, TG, TM, open_server


@pytest.fixture
def world(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        srv.add_user("duty-qc", "duty_officer", township_code="球川镇")
        srv.add_user("duty-tm", "duty_officer", township_code="天马")
        srv.add_user("leader-qc", "team_leader", scope_code="QC")
        srv.add_user("county", "county_coordinator")
        srv.add_user("root", "admin")
        ids = {}
        with srv.state.transaction() as s:
            for code in (QC, BS, TG, TM):
                inc = Incident(id=new_id(), township_code=code, title=f"{code} 事件", category_code="dispute",
                               number=f"T{code[-3:]}-2026-000001")
                s.add(inc)
                ids[code] = inc.id
            rep = Report(id=new_id(), township_code=TM, source="grid_patrol", category_code="dispute",
                         description="天马的报告", number="TM-R-2026-000001")
            s.add(rep)
            ids["report_tm"] = rep.id
        srv.ids = ids
        yield srv


def _timeline_count(srv, incident_id: str) -> int:
    with srv.state.read() as s:
        return int(s.scalar(select(func.count()).select_from(TimelineEntry)
                            .where(TimelineEntry.incident_id == incident_id)))


def _push_note(srv, headers: dict, device_id: str, incident_id: str) -> dict:
    body = {"device_id": device_id, "device_incarnation": new_id(), "first_local_seq": 1,
            "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
            "mutations": [{"mutation_id": new_id(), "local_seq": 1, "name": "incident.note", "entity_id": incident_id,
                           "args": {"note": "到现场查看"}}]}
    r = srv.client.post("/api/v1/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def test_township_duty_officer_reads_and_changes_only_its_township(world):
    srv = world
    h = srv.bearer("duty-qc", "ws-qc-0001")
    ok = srv.client.get(f"/api/v1/incidents/{srv.ids[QC]}", headers=h)
    assert ok.status_code == 200 and ok.json()["incident"]["township_code"] == QC
    # another township's row is answered exactly like a row that does not exist (404, same words)
    for kind, ident in (("incident", srv.ids[TM]), ("report", srv.ids["report_tm"]), ("report", "TM-R-2026-000001"),
                        ("incident", srv.ids[BS])):
        r = srv.client.get(f"/api/v1/{kind}s/{ident}", headers=h)
        missing = srv.client.get(f"/api/v1/{kind}s/{ident[:-1]}x", headers=h)
        assert r.status_code == missing.status_code == 404, ident
        assert r.json() == {"detail": {"code": "not_found", "message": f"{kind} {ident} does not exist"}}
        assert missing.json()["detail"]["message"] == f"{kind} {ident[:-1]}x does not exist"
    # changing a 天马 incident through sync is rejected like a missing one, and nothing is written
    before = _timeline_count(srv, srv.ids[TM])
    result = _push_note(srv, h, "ws-qc-0001", srv.ids[TM])
    assert result["status"] == "rejected" and result["code"] == "not_found"
    assert TM not in result["explanation"] and "天马" not in result["explanation"]
    assert _timeline_count(srv, srv.ids[TM]) == before
    # the same note on its own township's incident is applied
    h2 = srv.bearer("duty-qc", "ws-qc-0002")
    assert _push_note(srv, h2, "ws-qc-0002", srv.ids[QC])["status"] == "applied"
    assert _timeline_count(srv, srv.ids[QC]) == 1


def test_pipeline_authorizes_against_the_target_row(world):
    from commandroom.mutations.core import Actor
    from commandroom.server.pipeline import execute

    actor = Actor(user_id=None, name="值班员", role="duty_officer", scope_code=QC, township_code=QC)
    with pytest.raises(NotFound, match="does not exist"), world.state.transaction() as s:
        execute(s, actor=actor, allowed_townships=[QC], name="incident.note", entity_id=world.ids[TM],
                args={"note": "越权"})
    assert _timeline_count(world, world.ids[TM]) == 0


def test_zone_team_leader_reads_its_zone(world):
    h = world.bearer("leader-qc")
    me = world.client.get("/api/v1/auth/me", headers=h).json()
    assert sorted(me["townships"]) == sorted([QC, BS, TG])
    for code in (QC, BS, TG):
        assert world.client.get(f"/api/v1/incidents/{world.ids[code]}", headers=h).status_code == 200
    r = world.client.get(f"/api/v1/incidents/{world.ids[TM]}", headers=h)
    assert r.status_code == 404 and r.json()["detail"]["code"] == "not_found"


def test_county_coordinator_reads_everything(world):
    h = world.bearer("county")
    for code in (QC, BS, TG, TM):
        assert world.client.get(f"/api/v1/incidents/{world.ids[code]}", headers=h).status_code == 200
    assert world.client.get(f"/api/v1/reports/{world.ids['report_tm']}", headers=h).status_code == 200
    assert world.client.get("/api/v1/incidents/no-such-id", headers=h).status_code == 404


def test_user_list_is_for_the_administrator(world):
    for who in ("root",):
        r = world.client.get("/api/v1/users", headers=world.bearer(who))
        assert r.status_code == 200
        users = r.json()["users"]
        assert {u["username"] for u in users} >= {"duty-qc", "leader-qc"}
        assert all("password_hash" not in u and "api_key_hash" not in u for u in users)
    for who in ("duty-qc", "county"):
        r = world.client.get("/api/v1/users", headers=world.bearer(who))
        assert r.status_code == 403 and "系统管理员" in r.json()["detail"]["message"]


def test_401_says_why(world):
    c = world.client
    path = f"/api/v1/incidents/{world.ids[QC]}"
    assert c.get(path).json()["detail"]["code"] == "no_token"
    assert c.get(path, headers={"Authorization": "Bearer garbage-token"}).json()["detail"]["code"] == "bad_token"
    login = world.login("duty-qc", "ws-expire-01")
    h = {"Authorization": f"Bearer {login['access_token']}"}
    with world.state.transaction() as s:
        s.execute(update(DeviceToken).where(DeviceToken.id == login["token_id"])
                  .values(access_expires_at=utcnow() - timedelta(seconds=1)))
    r = c.get(path, headers=h)
    assert r.status_code == 401 and r.json()["detail"]["code"] == "expired"
    # logout revokes
    h2 = world.bearer("duty-qc", "ws-logout-01")
    assert c.post("/api/v1/auth/logout", headers=h2).status_code == 200
    r = c.get(path, headers=h2)
    assert r.status_code == 401 and r.json()["detail"]["code"] == "revoked"


def test_device_revocation(world):
    c = world.client
    path = f"/api/v1/incidents/{world.ids[QC]}"
    own = world.bearer("duty-qc", "ws-own-0001")
    other = world.bearer("leader-qc", "ws-leader-01")
    # a user may revoke their own device, not someone else's (answered like an unknown device)
    r = c.post("/api/v1/admin/devices/ws-leader-01/revoke", headers=own)
    assert r.status_code == 404
    assert r.json() == {"detail": {"code": "not_found", "message": "no device ws-leader-01 has signed in"}}
    assert c.get(path, headers=other).status_code == 200
    r = c.post("/api/v1/admin/devices/ws-own-0001/revoke", headers=own)
    assert r.status_code == 200 and r.json()["revoked_tokens"] == 1
    r = c.get(path, headers=own)
    assert r.status_code == 401 and r.json()["detail"]["code"] == "revoked"
    # the administrator revokes anyone's device
    boss = world.bearer("root")
    assert c.post("/api/v1/admin/devices/ws-leader-01/revoke", headers=boss).status_code == 200
    assert c.get(path, headers=other).json()["detail"]["code"] == "revoked"
    assert c.post("/api/v1/admin/devices/never-seen/revoke", headers=boss).status_code == 404
    # refresh of a revoked device fails too
    login = world.login("duty-qc", "ws-refresh-1")
    c.post("/api/v1/admin/devices/ws-refresh-1/revoke", headers=boss)
    r = c.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert r.status_code == 401 and r.json()["detail"]["code"] == "revoked"


def test_disable_user_through_the_api(world):
    c = world.client
    victim = world.bearer("duty-tm")
    with world.state.read() as s:
        from commandroom.server.users import find_user

        tm_id = find_user(s, "duty-tm").id
    assert c.post(f"/api/v1/admin/users/{tm_id}/disable", headers=world.bearer("duty-qc")).status_code == 403
    assert c.post(f"/api/v1/admin/users/{tm_id}/disable", headers=world.bearer("county")).status_code == 403
    boss = world.bearer("root")
    with world.state.read() as s:
        me = find_user(s, "root").id
    assert c.post(f"/api/v1/admin/users/{me}/disable", headers=boss).status_code == 403
    r = c.post(f"/api/v1/admin/users/{tm_id}/disable", headers=boss)
    assert r.status_code == 200 and r.json()["user"]["disabled"] is True
    r = c.get(f"/api/v1/incidents/{world.ids[TM]}", headers=victim)
    assert r.status_code == 401 and r.json()["detail"]["code"] == "disabled"
    r = c.post("/api/v1/auth/login", json={"username": "duty-tm", "password": world.passwords["duty-tm"],
                                           "device_id": "ws-tm-00001"})
    assert r.status_code == 401 and "disabled" in r.json()["detail"]["message"]
    assert c.post(f"/api/v1/admin/users/{tm_id}/enable", headers=boss).status_code == 200
    assert c.get(f"/api/v1/incidents/{world.ids[TM]}", headers=victim).status_code == 200
    assert c.post("/api/v1/admin/users/nobody/disable", headers=boss).status_code == 404
