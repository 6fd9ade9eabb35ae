"""Accounts: roles and scopes, api keys, passwords, devices; the ``commandroom user`` command."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from commandroom.cli import main
from commandroom.domain.errors import NotFound, ValidationError
from commandroom.domain.models import AuditEntry, DeviceToken, User
from commandroom.server.auth import token_hash, verify_password
from commandroom.server.users import (
    create_user,
    disable_user,
    enable_user,
    list_users,
    reset_password,
    revoke_api_key,
    revoke_device,
    rotate_api_key,
    user_for_api_key,
)
from tests.server.test_auth_support import BS, QC, TG, TM, open_server


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as server:
        yield server


@pytest.mark.parametrize("place", ["球川镇", "球川", QC, "qiuchuan", "Qiuchuan"])
def test_township_by_name_short_name_code_or_pinyin(srv, place):
    with srv.state.transaction() as s:
        user, key = create_user(s, username="d1", display_name="张敏", role="duty-officer", township_code=place,
                                password="long-enough")
        assert (user.scope_kind, user.scope_code, user.township_code) == ("township", QC, QC)
        assert key is None


def test_scopes_follow_roles(srv):
    with srv.state.transaction() as s:
        leader, _ = create_user(s, username="l1", display_name="李队", role="team_leader", scope_code="球川片区")
        assert (leader.scope_kind, leader.scope_code, leader.township_code) == ("zone", "QC", QC)
        leader2, _ = create_user(s, username="l2", display_name="李队", role="执法队长", scope_code="QC",
                                 township_code="白石")
        assert leader2.township_code == BS
        by_town, _ = create_user(s, username="l3", display_name="白石队长", role="team-leader", township_code="白石")
        assert (by_town.scope_kind, by_town.scope_code, by_town.township_code) == ("zone", "QC", BS)
        coord, _ = create_user(s, username="c1", display_name="县中心", role="county-coordinator")
        assert (coord.scope_kind, coord.scope_code) == ("county", None)
        admin, _ = create_user(s, username="a1", display_name="管理员", role="admin", scope_kind="county")
        assert admin.scope_kind == "county"
        lead, _ = create_user(s, username="m1", display_name="模块", role="module_lead", township_code=TG)
        assert lead.scope_code == TG


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"role": "duty_officer"}, "needs a township"),
    ({"role": "grid_worker"}, "needs a township"),
    ({"role": "team_leader"}, "needs a zone"),
    ({"role": "team_leader", "scope_code": "XX"}, "not an enforcement zone"),
    ({"role": "team_leader", "scope_code": "QC", "township_code": "天马"}, "not in zone QC"),
    ({"role": "county_coordinator", "scope_kind": "zone", "scope_code": "QC"}, "the whole county"),
    ({"role": "duty_officer", "scope_kind": "county"}, "one township"),
    ({"role": "duty_officer", "township_code": "上海"}, "not a township of the county"),
    ({"role": "pilot", "township_code": QC}, "not a role"),
    ({"role": "", "township_code": QC}, "role"),
    ({"role": "duty_officer", "township_code": QC, "password": "short"}, "at least 8"),
    ({"role": "duty_officer", "township_code": QC, "grid_id": "nope"}, "not a known grid"),
    ({"role": "grid_worker", "township_code": TM, "grid_id": "330822111-001-G1"}, "lies in township"),
    ({"role": "duty_officer", "township_code": QC, "scope_kind": "galaxy"}, "not one of"),
])
def test_bad_combinations_are_refused_clearly(srv, kwargs, words):
    with srv.state.transaction() as s, pytest.raises(ValidationError, match=words):
        create_user(s, username="x", display_name="x", **kwargs)
    assert srv.counts()["user_account"] == 0


def test_username_is_unique_and_sane(srv):
    srv.add_user("same", "admin")
    with srv.state.transaction() as s:
        with pytest.raises(ValidationError, match="already taken"):
            create_user(s, username="same", display_name="x", role="admin")
        with pytest.raises(ValidationError, match="no spaces"):
            create_user(s, username="two words", display_name="x", role="admin")


def test_grid_worker_gets_an_api_key_once_stored_hashed(srv):
    with srv.state.transaction() as s:
        grid = "330822111-001-G1"
        user, key = create_user(s, username="gw", display_name="网格员", role="网格员", grid_id=grid)
        assert user.township_code == QC and user.grid_id == grid
        assert key and key.startswith("cr311_") and len(key) > 40
        assert user.api_key_hash == token_hash(key) and key not in user.api_key_hash
        uid = user.id
    with srv.state.transaction() as s:
        assert user_for_api_key(s, key).user.id == uid
        assert user_for_api_key(s, key + "x").problem == "unknown"
        assert user_for_api_key(s, None).problem == "missing"
        revoke_api_key(s, "gw")
        assert user_for_api_key(s, key).problem == "revoked"
        _, new_key = rotate_api_key(s, "gw")
        assert user_for_api_key(s, new_key).user.id == uid
        assert user_for_api_key(s, key).problem == "unknown"
        disable_user(s, "gw")
        assert user_for_api_key(s, new_key).problem == "disabled"


def test_reset_password_revokes_devices(srv):
    srv.add_user("duty", "duty_officer", township_code=QC)
    h1 = srv.bearer("duty", "ws-a-000001")
    h2 = srv.bearer("duty", "ws-b-000001")
    with srv.state.transaction() as s:
        user, revoked = reset_password(s, "duty", "brand-new-password")
        assert revoked == 2 and verify_password(user.password_hash, "brand-new-password")
        with pytest.raises(ValidationError):
            reset_password(s, "duty", "short")
        with pytest.raises(NotFound):
            reset_password(s, "ghost", "long-enough-1")
    for h in (h1, h2):
        assert srv.client.get("/api/v1/auth/me", headers=h).json()["detail"]["code"] == "revoked"
    srv.passwords["duty"] = "brand-new-password"
    assert srv.client.get("/api/v1/auth/me", headers=srv.bearer("duty")).status_code == 200


def test_disable_enable_list_and_revoke_device(srv):
    srv.add_user("duty", "duty_officer", township_code=QC)
    srv.add_user("boss", "county_coordinator")
    h = srv.bearer("duty", "ws-z-000001")
    with srv.state.transaction() as s:
        assert [u.username for u in list_users(s)] == ["boss", "duty"]
        assert [u.username for u in list_users(s, role="duty-officer")] == ["duty"]
        assert [u.username for u in list_users(s, township_code=QC)] == ["duty"]
        disable_user(s, "duty")
        assert [u.username for u in list_users(s, include_disabled=False)] == ["boss"]
    assert srv.client.get("/api/v1/auth/me", headers=h).json()["detail"]["code"] == "disabled"
    with srv.state.transaction() as s:
        enable_user(s, "duty")
    assert srv.client.get("/api/v1/auth/me", headers=h).status_code == 200
    with srv.state.transaction() as s:
        assert revoke_device(s, "ws-z-000001") == 1
        assert revoke_device(s, "ws-z-000001") == 0
        assert s.scalars(select(DeviceToken).where(DeviceToken.device_id == "ws-z-000001")).one().revoked


def test_account_changes_are_audited_without_secrets(srv):
    srv.add_user("gw", "grid_worker", township_code=QC)
    with srv.state.transaction() as s:
        disable_user(s, "gw")
    with srv.state.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["user.create", "user.disable"]
    for r in rows:
        assert "password_hash" not in (r.after or {}) and "api_key_hash" not in (r.after or {})
    assert rows[1].before["disabled"] is False and rows[1].after["disabled"] is True


# --------------------------------------------------------------------------- the command line


def _cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_user_command(db_url, tmp_path, capsys):
    from tests.server.test_auth_support import seeded

    url = seeded(db_url, tmp_path)
    code, out, err = _cli(capsys, "user", "add", "gw01", "--role", "grid-worker", "--township", "球川", "--db", url,
                          "--name", "王小明")
    assert code == 0, err
    key = re.search(r"api_key \(shown once.*\): (\S+)", out).group(1)
    assert "password (shown once)" not in out and "no password" in out  # Open311 key only, never a desk
    code, out, err = _cli(capsys, "user", "add", "zhang", "--role", "duty-officer", "--township", "330822001",
                          "--password", "given-password", "--db", url)
    assert code == 0 and "password (shown once)" not in out and "api_key" not in out
    code, out, err = _cli(capsys, "user", "add", "li", "--role", "team-leader", "--zone", "QC", "--db", url)
    assert code == 0 and "zone:QC" in out
    code, out, err = _cli(capsys, "user", "add", "chen", "--role", "county-coordinator", "--county", "--db", url)
    assert code == 0 and "county" in out

    code, out, err = _cli(capsys, "user", "list", "--db", url)
    assert code == 0 and all(n in out for n in ("gw01", "zhang", "li", "chen")) and "王小明" in out
    code, out, err = _cli(capsys, "user", "list", "--township", "球川", "--db", url)
    assert "gw01" in out and "zhang" not in out

    code, out, err = _cli(capsys, "user", "reset-password", "zhang", "--db", url)
    assert code == 0 and "password (shown once)" in out
    code, out, err = _cli(capsys, "user", "revoke-key", "gw01", "--db", url)
    assert code == 0
    code, out, err = _cli(capsys, "user", "disable", "zhang", "--db", url)
    assert code == 0 and "disabled zhang" in out
    code, out, err = _cli(capsys, "user", "enable", "zhang", "--db", url)
    assert code == 0

    from commandroom.server.state import open_state

    state = open_state(url)
    try:
        with state.read() as s:
            assert user_for_api_key(s, key).problem == "revoked"
            gw = s.scalars(select(User).where(User.username == "gw01")).one()
            assert gw.password_hash is None and gw.display_name == "王小明" and gw.roles == ["grid_worker"]
    finally:
        state.close()

    # mistakes exit 2 with a message, and change nothing
    for argv, words in ((["user", "add", "x1", "--role", "duty-officer"], "needs a township"),
                        (["user", "add", "x2"], "--role is required"),
                        (["user", "add", "x3", "--role", "team-leader"], "needs a zone"),
                        (["user", "add", "x4", "--role", "duty-officer", "--township", "火星"], "not a township"),
                        (["user", "add", "x5", "--role", "duty-officer", "--township", "球川", "--password", "abc"],
                         "at least 8"),
                        (["user", "add", "x6", "--role", "duty-officer", "--zone", "QC"], "one township"),
                        (["user", "disable", "ghost"], "does not exist"),
                        (["user", "disable"], "give the user name"),
                        (["user", "revoke-key", "zhang"], "has no api_key")):
        code, out, err = _cli(capsys, *argv, "--db", url)
        assert code == 2, argv
        assert words in err, (argv, err)


def test_roles_on_the_command_line(db_url, tmp_path, capsys):
    """Several roles on one scope; a department liaison names its department; a wrong mix is refused."""
    from tests.server.test_auth_support import seeded

    url = seeded(db_url, tmp_path)
    code, out, err = _cli(capsys, "user", "add", "li", "--role", "department-liaison", "--department", "natres",
                          "--county", "--password", "liaison-pass-1", "--db", url)
    assert code == 0, err
    code, out, err = _cli(capsys, "user", "add", "zhou", "--role", "duty-officer,module-lead", "--township", "球川",
                          "--password", "zhou-pass-123", "--db", url)
    assert code == 0 and "值班员+模块牵头人" in out, (out, err)
    code, out, err = _cli(capsys, "user", "roles", "zhou", "--role", "grid-supervisor", "--db", url)
    assert code == 0 and "grid_supervisor" in out
    code, out, err = _cli(capsys, "user", "add", "mix", "--role", "duty-officer,team-leader", "--township", "球川",
                          "--db", url)
    assert code == 2 and "same scope" in err
    code, out, err = _cli(capsys, "user", "add", "nodept", "--role", "department-liaison", "--county", "--db", url)
    assert code == 2 and "needs a department" in err
    from commandroom.server.state import open_state

    state = open_state(url)
    try:
        with state.read() as s:
            li = s.scalars(select(User).where(User.username == "li")).one()
            zhou = s.scalars(select(User).where(User.username == "zhou")).one()
            assert (li.roles, li.department_code, li.scope_kind) == (["department_liaison"], "natres", "county")
            assert (zhou.role, zhou.roles) == ("grid_supervisor", ["grid_supervisor"])
            assert s.scalars(select(User).where(User.username == "mix")).first() is None
    finally:
        state.close()
