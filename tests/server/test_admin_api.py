"""The county administrator's account API: users, roles, keys, devices and the audit log, each change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from commandroom.domain.models import AuditEntry
from tests.server.test_auth_support import QC, open_server


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as s:
        s.add_user("root", "admin")
        s.add_user("county", "county_coordinator")
        yield s


def test_the_administrator_runs_accounts_and_each_change_is_audited(srv):
    c = srv.client
    h = srv.bearer("root", "ws-admin-01")
    # a grid worker: a key shown once, no password, no desk
    r = c.post("/api/v1/admin/users", json={"username": "gw9", "display_name": "网格员九", "role": "grid-worker",
                                            "township": "球川"}, headers=h)
    assert r.status_code == 201, r.text
    gw = r.json()
    assert gw["api_key"].startswith("cr311_") and "password" not in gw and gw["user"]["has_password"] is False
    # a duty officer: a generated password shown once, and it signs in
    r = c.post("/api/v1/admin/users", json={"username": "zhou", "role": "duty-officer", "township": QC}, headers=h)
    zhou = r.json()
    srv.passwords["zhou"] = zhou["password"]
    assert srv.login("zhou")["user"]["roles"] == ["duty_officer"]
    # roles change; a new key; the device list shows zhou's workstation with its sign-in
    r = c.post(f"/api/v1/admin/users/{zhou['user']['id']}/roles", json={"role": "duty-officer,module-lead"}, headers=h)
    assert r.status_code == 200 and r.json()["user"]["roles"] == ["duty_officer", "module_lead"]
    r = c.post(f"/api/v1/admin/users/{gw['user']['id']}/issue-key", headers=h)
    assert r.status_code == 200 and r.json()["api_key"] != gw["api_key"]
    devices = c.get("/api/v1/admin/devices", headers=h).json()["devices"]
    assert any("zhou" in d["users"] and d["active"] for d in devices)
    # the audit log has every change of zhou's account, newest first; the chain verifies
    entries = c.get("/api/v1/admin/audit", params={"entity_id": zhou["user"]["id"]}, headers=h).json()["entries"]
    assert [e["action"] for e in entries] == ["user.set_roles", "user.create"]
    assert all("password_hash" not in (e["after"] or {}) for e in entries)
    by_admin = c.get("/api/v1/admin/audit", params={"actor": "root"}, headers=h).json()["entries"]
    assert {"user.create", "user.set_roles", "user.rotate_key"} <= {e["action"] for e in by_admin}
    assert c.post("/api/v1/admin/audit/verify", headers=h).json()["ok"] is True
    # someone edits an entry behind the server's back: verify names where the chain breaks
    first = min(e["id"] for e in entries)
    with srv.state.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == first).values(action="user.disable"))
    v = c.post("/api/v1/admin/audit/verify", headers=h).json()
    assert v["ok"] is False and v["broken_at"] == first and "altered" in v["message"]


def test_only_the_administrator(srv):
    c = srv.client
    h = srv.bearer("county")
    for method, path, body in (("post", "/api/v1/admin/users", {"username": "x", "role": "viewer", "township": QC}),
                               ("get", "/api/v1/admin/devices", None), ("get", "/api/v1/admin/audit", None),
                               ("post", "/api/v1/admin/audit/verify", None)):
        r = getattr(c, method)(path, headers=h, **({"json": body} if body else {}))
        assert r.status_code == 403 and "系统管理员" in r.json()["detail"]["message"], path
