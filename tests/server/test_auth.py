"""Sign-in: tokens, and failed sign-ins rate-limited per account and per address (across server processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commandroom.domain.models import LoginAttempt
from commandroom.server.app import create_app
from commandroom.server.ratelimit import LoginLimiter
from commandroom.timeutil import utcnow
from tests.server.test_auth_support import QC, open_server


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


def _login(client, username, password, device="ws-test-0001"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password, "device_id": device})


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as server:
        server.add_user("duty", "duty_officer", township_code=QC, password="correct-horse")
        server.clock = Clock()
        server.state.extras["login_limiter"].clock = server.clock
        yield server


def test_login_gives_tokens_and_scope(srv):
    r = _login(srv.client, "duty", "correct-horse")
    assert r.status_code == 200
    body = r.json()
    assert body["townships"] == [QC] and f"township:{QC}" in body["buckets"]
    me = srv.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "duty"
    bad = _login(srv.client, "duty", "wrong-password")
    assert bad.status_code == 401 and bad.json()["detail"]["code"] == "bad_credentials"


def test_five_failures_lock_the_account_for_15_minutes(srv):
    for _ in range(5):
        assert _login(srv.client, "duty", "wrong-password").status_code == 401
    with srv.state.read() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False))) == 5
    r = _login(srv.client, "duty", "correct-horse")  # even the right password waits
    assert r.status_code == 429
    assert 14 * 60 <= int(r.headers["Retry-After"]) <= 15 * 60
    detail = r.json()["detail"]
    assert detail["code"] == "too_many_attempts"
    assert "account 'duty' is locked after 5 failed sign-ins" in detail["message"]
    assert "try again in 15 minutes" in detail["message"]
    # refused attempts are not counted: the lock does not grow
    srv.clock.now += timedelta(minutes=10)
    r = _login(srv.client, "duty", "wrong-password")
    assert r.status_code == 429 and "5 minutes" in r.json()["detail"]["message"]
    srv.clock.now += timedelta(minutes=5, seconds=1)
    assert _login(srv.client, "duty", "correct-horse").status_code == 200


def test_a_success_clears_the_account_count(srv):
    for _ in range(4):
        _login(srv.client, "duty", "wrong-password")
    assert _login(srv.client, "duty", "correct-horse").status_code == 200
    for _ in range(4):
        assert _login(srv.client, "duty", "wrong-password").status_code == 401
    assert _login(srv.client, "duty", "correct-horse").status_code == 200


def test_old_failures_age_out(srv):
    for _ in range(4):
        _login(srv.client, "duty", "wrong-password")
    srv.clock.now += timedelta(minutes=16)
    for _ in range(4):
        assert _login(srv.client, "duty", "wrong-password").status_code == 401
    assert _login(srv.client, "duty", "correct-horse").status_code == 200


def test_twenty_failures_from_one_address_block_it(srv):
    for i in range(20):
        assert _login(srv.client, f"guess{i}", "password1").status_code == 401
    r = _login(srv.client, "duty", "correct-horse")
    assert r.status_code == 429
    assert "from address testclient" in r.json()["detail"]["message"]
    assert int(r.headers["Retry-After"]) > 0


def test_the_limit_holds_across_server_processes(srv):
    """Two app instances (as two server processes) on one database share the count."""
    other_app = create_app(srv.state.db_url)
    other = other_app.state.server
    other.extras["login_limiter"] = LoginLimiter(other, clock=srv.clock)
    try:
        with TestClient(other_app) as other_client:
            for i in range(5):
                client = srv.client if i % 2 else other_client
                assert _login(client, "duty", "wrong-password").status_code == 401
            assert _login(srv.client, "duty", "correct-horse").status_code == 429
            assert _login(other_client, "duty", "correct-horse").status_code == 429
    finally:
        other.close()


def test_refresh_and_logout(srv):
    body = _login(srv.client, "duty", "correct-horse").json()
    r = srv.client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 200
    new = {"Authorization": f"Bearer {r.json()['access_token']}"}
    old = {"Authorization": f"Bearer {body['access_token']}"}
    assert srv.client.get("/api/v1/auth/me", headers=new).status_code == 200
    assert srv.client.get("/api/v1/auth/me", headers=old).json()["detail"]["code"] == "bad_token"
    assert srv.client.post("/api/v1/auth/logout", headers=new).status_code == 200
    assert srv.client.get("/api/v1/auth/me", headers=new).json()["detail"]["code"] == "revoked"
