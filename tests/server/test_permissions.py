"""The permission matrix, generated from the model, through the real app on SQLite and PostgreSQL.

Every role × every registered mutation × own scope / other scope is pushed through
``/api/v1/sync/push`` and must get the documented answer: a role the rule does not name is
refused with the rule's own Chinese reason (before any row is read, so own and other scope
get the same words); a role that may act is not refused on its own rows; a row of another
township is answered exactly like a row that does not exist; a role that reaches only rows
assigned to its department or team is refused, saying so, on the others. Reads (REST, pull,
admin, Open311, photos) are walked the same way. A test also fails when a registered mutation
or a route of the app has no rule, or when docs/permissions.md is not the generated table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION, permissions
from commandroom.domain.enums import Role
from commandroom.domain.models import SYNCED_MODELS, Department, Grid, Zone
from commandroom.ids import new_id
from commandroom.mutations.core import REGISTRY, _load_all
from commandroom.permissions import RULES, Reach
from commandroom.server.races import missing_explanation
from tests.server.test_auth_support import QC, TM, open_server

ROOT = Path(__file__).resolve().parents[2]
ZONE = "QC"  # 球川片区: 球川、白石、同弓 (天马 is outside it)

# one account per role; the county-wide roles have no "other township"
ACCOUNTS: dict[str, tuple[Role, dict[str, Any]]] = {
    "do": (Role.DUTY_OFFICER, {"township_code": QC}),
    "gs": (Role.GRID_SUPERVISOR, {"township_code": QC}),
    "tl": (Role.TEAM_LEADER, {"scope_code": ZONE}),
    "tmem": (Role.TEAM_MEMBER, {"scope_code": ZONE}),
    "ml": (Role.MODULE_LEAD, {"township_code": QC}),
    "dl": (Role.DEPARTMENT_LIAISON, {}),
    "cc": (Role.COUNTY_COORDINATOR, {}),
    "ad": (Role.ADMIN, {}),
    "vw": (Role.VIEWER, {"township_code": QC}),
}
COUNTY_WIDE = {"dl", "cc", "ad"}
ASSIGNABLE = {"incident", "dispatch", "case_checkin", "one_thing_case", "task_card", "module"}
BOARDS = {"module", "task_card"}
NEEDS_ITS_OWN_BOARD = {"card.create", "summon"}  # a module lead's new card or summons names one of its boards


def real_mutations() -> dict[str, Any]:
    _load_all()
    return {n: s for n, s in REGISTRY.items() if s.fn.__module__.startswith("commandroom.mutations")}


# --------------------------------------------------------------------------- the model covers everything


def test_every_registered_mutation_has_a_rule():
    names = real_mutations()
    assert len(names) > 50
    assert permissions.coverage_problems(names) == []
    assert "assessment.nominate" in names and RULES["assessment.nominate"].power == "推荐提名权"


def _routes(app):
    """(path, methods) of every HTTP route, also those inside included routers."""
    for r in app.routes:
        if hasattr(r, "effective_route_contexts"):
            for c in r.effective_route_contexts():
                yield c.path, set(c.methods or ())
        elif getattr(r, "methods", None):
            yield r.path, set(r.methods)


def test_every_route_of_the_app_has_a_rule(tmp_path):
    from commandroom.server.app import create_app

    app = create_app(f"sqlite:///{tmp_path / 'routes.db'}")
    try:
        docs = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
        routes = {(m, path) for path, methods in _routes(app) if path not in docs
                  for m in methods if m not in ("HEAD", "OPTIONS")}
        missing = sorted(routes - set(permissions.ENDPOINTS))
        assert missing == [], f"routes without a rule in commandroom/permissions.py ENDPOINTS: {missing}"
        assert set(permissions.ENDPOINTS) <= routes, "ENDPOINTS names routes the app does not have"
        assert all(name in RULES for name in permissions.ENDPOINTS.values())
    finally:
        app.state.server.close()


def test_the_seed_powers_belong_to_the_township_leadership():
    leadership = {Role.DUTY_OFFICER, Role.MODULE_LEAD}
    for name in ("assessment.veto", "assessment.set_post", "assessment.rate_module", "assessment.nominate"):
        assert set(RULES[name].grants) == leadership, name
    for name in ("incident.dispatch", "summon"):  # 指挥协调 = dispatch and summon
        assert RULES[name].power == "指挥协调权"
        assert Role.GRID_WORKER not in RULES[name].grants and Role.DEPARTMENT_LIAISON not in RULES[name].grants
    # 依单履责: only the department summoned checks in, for itself
    assert RULES["checkin"].grants[Role.DEPARTMENT_LIAISON] is Reach.ASSIGNED
    assert Role.DUTY_OFFICER not in RULES["checkin"].grants
    # a grid worker reports and checks closures in its own grid (核查 or 退回结案, from the field app), nothing
    # else; the wall screen changes nothing; the administrator only accounts
    for name in ("incident.verify", "incident.reject_closure"):
        assert RULES[name].grants[Role.GRID_WORKER] is Reach.ASSIGNED, name
    for name, rule in RULES.items():
        if rule.kind == "mutation" and name != "report.create":
            assert not {Role.VIEWER, Role.ADMIN} & set(rule.grants), name
            assert Role.GRID_WORKER not in rule.grants or name in ("incident.verify", "incident.reject_closure"), name


def test_docs_permissions_is_the_generated_matrix():
    doc = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert doc == permissions.matrix_markdown(), "run: python -m commandroom.permissions"


# --------------------------------------------------------------------------- a world with rows in both scopes


def _row(model: type, **values: Any) -> Any:
    """A row with every required column filled with a plain value (the mutation under test needs no more)."""
    now = dt.datetime(2026, 11, 4, 2, 0)
    out = {}
    for col in model.__table__.columns:
        if col.primary_key or col.nullable or col.default is not None or col.server_default is not None:
            continue
        py = col.type.python_type
        out[col.key] = {str: "x", int: 0, float: 0.0, bool: False, dict: {}, list: [], dt.datetime: now,
                        dt.date: now.date()}[py]
    out.update(values)
    return model(id=values.pop("id", new_id()), **out)


@pytest.fixture(scope="module")
def world(module_db_url, tmp_path_factory):
    with open_server(module_db_url, tmp_path_factory.mktemp("perm")) as srv:
        with srv.state.read() as s:
            depts = list(s.scalars(select(Department.code).order_by(Department.code)))
            tm_zone = next(z.id for z in s.scalars(select(Zone)) if TM in (z.member_codes or []))
        dept, other_dept = depts[0], depts[1]
        srv.ids = {}
        for name, (role, kw) in ACCOUNTS.items():
            if role is Role.DEPARTMENT_LIAISON:
                kw = {**kw, "department": dept}
            srv.ids[name], _ = srv.add_user(name, role.value, **kw)
        _, srv.gw_key = srv.add_user("gw", "grid_worker", township_code=QC)
        _, srv.gw_tm_key = srv.add_user("gw-tm", "grid_worker", township_code=TM)
        srv.dept, srv.other_dept = dept, other_dept
        srv.rows = _make_rows(srv, dept, other_dept, tm_zone, srv.ids["ml"])
        srv.users = {name: srv.login(name) for name in ACCOUNTS}
        yield srv


@pytest.fixture(scope="module")
def module_db_url(request, tmp_path_factory):
    """The ``db_url`` of this module's parameter (SQLite or PostgreSQL), created once for the module."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('permdb') / 'server.db'}"
        return
    from tests.conftest import create_pg_database, drop_pg_database

    admin = request.getfixturevalue("pg_admin_url")
    url = create_pg_database(admin)
    yield url
    drop_pg_database(admin, url)


def pytest_generate_tests(metafunc):
    """Each test of the world runs on SQLite and on PostgreSQL (one world per backend for the module)."""
    if "world" in metafunc.fixturenames:
        metafunc.parametrize("module_db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                             indirect=True, scope="module")


def _make_rows(srv, dept: str, other_dept: str, tm_zone: str, lead: str) -> dict[str, dict[str, str]]:
    """Per entity type: a row in 球川 assigned to the liaison's department ("own"), one assigned to the 球川
    zone team ("team"; a board: the module lead's ``lead``), one in 球川 assigned to neither ("unassigned";
    a board someone else leads), and one in 天马 ("other")."""
    from commandroom.domain.models import (
        CaseCheckin,
        Dispatch,
        Incident,
        MemberLoan,
        Module,
        OneThingCase,
        TaskCard,
    )

    out: dict[str, dict[str, str]] = {}
    with srv.state.transaction() as s:
        mine = _row(Module, township_code=QC, name="本人牵头的模块", lead_user_id=lead)
        led = _row(Module, township_code=QC, name="他人牵头的模块", lead_user_id=new_id())  # not the module lead's
        unled = _row(Module, township_code=QC, name="无牵头人的模块")  # every module lead's until one is named
        s.add_all([mine, led, unled])
        srv.modules = {"mine": mine.id, "led": led.id, "unled": unled.id}
        for table, model in SYNCED_MODELS.items():
            zone_table = table in ("team_member", "roster_entry")
            for which, township, zone in (("own", QC, ZONE), ("team", QC, ZONE), ("unassigned", QC, ZONE),
                                          ("other", TM, tm_zone)):
                values: dict[str, Any] = {"township_code": township}
                if zone_table:
                    values["zone_id"] = zone
                if model is MemberLoan:
                    values.update(from_zone_id=zone, to_zone_id=zone)
                assigned = which == "own"
                if model is Incident:
                    values.update(assignee_kind="department" if assigned else None,
                                  assignee_code=dept if assigned else None,
                                  lead_department_code=dept if assigned else other_dept, state="dispatched")
                    if which == "team":
                        values.update(assignee_kind="team", assignee_code=ZONE, zone_id=ZONE)
                if model in (Dispatch, CaseCheckin):
                    values.update(target_kind="department", target_code=dept if assigned else other_dept)
                if model is Dispatch:  # each on an incident of its own (dispatches tie an incident to a department)
                    values["incident_id"] = new_id()
                if model is Dispatch and which == "team":
                    values.update(target_kind="team", target_code=ZONE)
                if model is CaseCheckin and which == "team":
                    values.update(target_kind="module", target_code=mine.id)
                if model is TaskCard:  # the module lead's own board, or a board someone else leads
                    values["module_id"] = led.id if which == "unassigned" else mine.id
                if model is Module:
                    values["lead_user_id"] = lead if which == "team" else new_id()
                if model is OneThingCase:
                    values.update(lead_department_code=dept if assigned else other_dept, type_code="none")
                row = _row(model, **values)
                s.add(row)
                out.setdefault(table, {})[which] = row.id
        s.flush()
        # the report behind the liaison's own incident is its department's to read
        s.get(SYNCED_MODELS["report"], out["report"]["own"]).incident_id = out["incident"]["own"]
    return out


# --------------------------------------------------------------------------- the mutation matrix


def _push(srv, username: str, mutations: list[tuple[str, str, dict]]) -> list[dict]:
    """Push (name, entity_id, args) in batches from one fresh workstation; the per-mutation results."""
    device = f"perm-{username}-{uuid.uuid4().hex[:8]}"
    login = srv.client.post("/api/v1/auth/login", json={"username": username, "password": srv.passwords[username],
                                                        "device_id": device})
    assert login.status_code == 200, login.text
    h = {"Authorization": f"Bearer {login.json()['access_token']}"}
    incarnation = new_id()
    results: list[dict] = []
    for start in range(0, len(mutations), 100):
        chunk = mutations[start:start + 100]
        body = {"device_id": device, "device_incarnation": incarnation, "first_local_seq": 1,
                "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
                "mutations": [{"mutation_id": new_id(), "local_seq": start + i + 1, "name": n, "entity_id": e,
                               "args": a} for i, (n, e, a) in enumerate(chunk)]}
        r = srv.client.post("/api/v1/sync/push", json=body, headers=h)
        if r.status_code == 403:  # the whole push refused (a role that may change nothing)
            return [{"status": "refused", **r.json()["detail"]}] * len(mutations)
        assert r.status_code == 200, r.text
        results += r.json()["results"]
    return results


def _actor(srv, username: str):
    role, _ = ACCOUNTS[username]
    from commandroom.mutations.core import Actor

    user = srv.users[username]["user"]
    return Actor(user_id=user["id"], name=username, role=role.value, roles=tuple(user["roles"]),
                 scope_kind=user["scope_kind"], scope_code=user["scope_code"],
                 department_code=user.get("department_code"))


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_mutation_matrix(world, username):
    srv = world
    actor = _actor(srv, username)
    cases: list[tuple[str, str, str, dict]] = []  # (which, name, entity_id, args)
    for name, spec in sorted(real_mutations().items()):
        if spec.creates or spec.entity_type not in srv.rows:
            cases.append(("new", name, new_id(), {}))
            continue
        for which in ("own", "unassigned", "other"):
            key = "team" if which == "own" and username in ("tl", "tmem", "ml") else which
            cases.append((which, name, srv.rows[spec.entity_type][key], {}))
    results = _push(srv, username, [(n, e, a) for _, n, e, a in cases])
    problems = []
    for (which, name, _entity_id, _), res in zip(cases, results, strict=True):
        rule = RULES[name]
        refusal = permissions.refusal(actor, name)
        reach = rule.reach(actor.roles)
        entity = real_mutations()[name].entity_type
        if res["status"] == "refused":  # the role may push nothing at all (the wall screen, the administrator)
            want = permissions.refusal(actor, "sync.push")
            if refusal is None or res.get("message") != want:
                problems.append((name, which, "whole push refused", res))
            continue
        got = (res["status"], res.get("code"), res.get("explanation"))
        if refusal is not None:
            expected = ("rejected", "forbidden", refusal)  # the same words in every scope: nothing is read
            if got != expected:
                problems.append((name, which, expected, got))
        elif which == "other" and username not in COUNTY_WIDE:
            # the words a missing record gets (never its id): another township's row is answered the same
            expected = ("rejected", "not_found", missing_explanation(entity))
            if got != expected:
                problems.append((name, which, expected, got))
        elif username == "ml" and which == "unassigned" and entity in BOARDS:
            # a board the module lead does not lead never reached its desk: answered as missing
            expected = ("rejected", "not_found", missing_explanation(entity))
            if got != expected:
                problems.append((name, which, expected, got))
        elif username == "dl" and which in ("unassigned", "other") and entity in ASSIGNABLE:
            # another department's work is not on a liaison's desk: answered as missing
            expected = ("rejected", "not_found", missing_explanation(entity))
            if got != expected:
                problems.append((name, which, expected, got))
        elif username == "ml" and which == "new" and name in NEEDS_ITS_OWN_BOARD:
            expected = ("rejected", "forbidden", permissions.assigned_refusal(name))  # no board given: not its own
            if got != expected:
                problems.append((name, which, expected, got))
        elif reach is Reach.ASSIGNED and which in ("unassigned", "other") and entity in ASSIGNABLE:
            expected = ("rejected", "forbidden", permissions.assigned_refusal(name))
            if got != expected:
                problems.append((name, which, expected, got))
        elif res.get("code") == "forbidden" and res.get("explanation") in (
                permissions.assigned_refusal(name), refusal):
            problems.append((name, which, "allowed", got))
    assert problems == [], "\n".join(map(str, problems))


def test_a_refusal_is_the_same_for_a_missing_row_and_another_townships_row(world):
    srv = world
    ghost = new_id()
    res = _push(srv, "do", [("incident.note", srv.rows["incident"]["other"], {"note": "看看"}),
                            ("incident.note", ghost, {"note": "看看"})])
    assert [(r["status"], r["code"]) for r in res] == [("rejected", "not_found")] * 2
    assert res[0]["explanation"].replace(srv.rows["incident"]["other"], "ID") == \
        res[1]["explanation"].replace(ghost, "ID")


# --------------------------------------------------------------------------- reads


def test_read_matrix(world):
    srv = world
    problems = []
    for username in ACCOUNTS:
        actor = _actor(srv, username)
        h = {"Authorization": f"Bearer {srv.users[username]['access_token']}"}
        for name, path in (("incident.read", f"/api/v1/incidents/{srv.rows['incident']['own']}"),
                           ("report.read", f"/api/v1/reports/{srv.rows['report']['own']}"),
                           ("admin.users", "/api/v1/users"),
                           ("sync.pull", "/api/v1/sync/pull?limit=1"),
                           ("sync.pull", "/api/v1/sync/summary"),
                           ("auth.session", "/api/v1/auth/me"),
                           ("open311.read", "/open311/v2/requests.json"),
                           ("notices.read", "/api/v1/notices"),
                           ("notices.configure", "/api/v1/notice-channels"),
                           ("admin.jobs", "/api/v1/admin/jobs"),
                           ("admin.audit", "/api/v1/admin/audit"),
                           ("admin.users", "/api/v1/admin/devices"),
                           ("basemap.package", "/api/v1/basemaps")):
            assert permissions.ENDPOINTS.get(("GET", path.split("?")[0]), name) == name
            r = srv.client.get(path, headers=h)
            why = permissions.refusal(actor, name)
            if why is None and r.status_code != 200:
                problems.append((username, path, 200, r.status_code, r.text[:200]))
            if why is not None:
                body = r.json()
                said = body[0]["description"] if isinstance(body, list) else body["detail"]["message"]
                if r.status_code != 403 or said != why:
                    problems.append((username, path, 403, r.status_code, r.text[:200]))
        # another township's row: 404 with the words a missing row gets (county-wide roles see it)
        if username not in COUNTY_WIDE and permissions.may(actor, "incident.read"):
            for kind in ("incident", "report"):
                other = srv.rows[kind]["other"]
                r = srv.client.get(f"/api/v1/{kind}s/{other}", headers=h)
                if (r.status_code, r.json()) != (404, {"detail": {"code": "not_found",
                                                                  "message": f"{kind} {other} does not exist"}}):
                    problems.append((username, kind, "other", r.status_code, r.text))
    assert problems == [], "\n".join(map(str, problems))


def test_reporter_contact_only_for_roles_that_call_back(world):
    """Open311 contact details land in their own fields; only roles that call reporters back receive them."""
    import json

    srv = world
    service = srv.client.get("/open311/v2/services.json").json()[0]["service_code"]
    r = srv.client.post("/open311/v2/requests.json", data={
        "api_key": srv.gw_key, "service_code": service, "lat": "28.87", "long": "118.33",
        "description": "村口路灯不亮", "phone": "13900001111", "email": "cun@example.cn", "first_name": "小明"})
    assert r.status_code == 201, r.text
    token = r.json()[0]["token"]
    for username in ("do", "vw", "tmem", "tl"):
        h = {"Authorization": f"Bearer {srv.users[username]['access_token']}"}
        may = permissions.may(_actor(srv, username), "report.contact")
        rep = srv.client.get(f"/api/v1/reports/{token}", headers=h).json()["report"]
        assert rep["description"] == "村口路灯不亮", username  # never appended to what everyone reads
        assert (rep["reporter_phone"], rep["reporter_email"]) == (
            ("13900001111", "cun@example.cn") if may else ("", "")), username
        pulled, cursors = [], "{}"
        while True:
            page = srv.client.get("/api/v1/sync/pull", params={"cursors": cursors, "limit": 1000}, headers=h).json()
            pulled += [c["fields"] for c in page["changes"] if c["entity_id"] == token]
            if not page["has_more"]:
                break
            cursors = json.dumps(page["cursors"])
        assert pulled, username
        assert ("13900001111" in json.dumps(pulled)) is may and ("cun@example.cn" in json.dumps(pulled)) is may


def test_an_account_without_a_desk_role_gets_no_desk_token(world):
    srv = world
    with srv.state.transaction() as s:  # a grid worker's password (for the field app) gets no desk token
        from commandroom.domain.models import User
        from commandroom.server.auth import hash_password

        s.scalars(select(User).where(User.username == "gw")).one().password_hash = hash_password("gw-password-1")
    r = srv.client.post("/api/v1/auth/login", json={"username": "gw", "password": "gw-password-1",
                                                    "device_id": "gw-phone-0001"})
    assert r.status_code == 403 and r.json()["detail"]["code"] == "no_desk_role"
    assert "Open311" in r.json()["detail"]["message"] and "access_token" not in r.text
    # its Open311 key works where a grid worker works
    assert srv.client.get("/open311/v2/requests.json", params={"api_key": srv.gw_key}).status_code == 200


def test_open311_reads_and_photos_follow_the_rules(world):
    srv = world
    other = srv.rows["report"]["other"]
    r = srv.client.get(f"/open311/v2/requests/{other}.json", params={"api_key": srv.gw_key})
    ghost = srv.client.get(f"/open311/v2/requests/{new_id()}.json", params={"api_key": srv.gw_key})
    assert r.status_code == ghost.status_code == 404 and TM not in r.text
    assert r.json() == [{"code": 404, "description": f"no service request '{other}'"}]
    assert ghost.json()[0]["description"].startswith("no service request '")
    # the administrator's desk token is for accounts: no Open311 reads, no operational rows in its pull
    h = {"Authorization": f"Bearer {srv.users['ad']['access_token']}"}
    r = srv.client.get("/open311/v2/requests.json", headers=h)
    assert r.status_code == 403 and "系统管理员" in r.json()[0]["description"]
    assert srv.users["ad"]["buckets"] == ["county:shared"]


def test_a_module_lead_changes_only_the_boards_it_leads(world):
    """#14: a module lead creates cards on, moves cards of and whistles from its own boards only."""
    srv = world
    mine, theirs = srv.modules["mine"], srv.modules["led"]
    card = new_id()
    res = _push(srv, "ml", [
        ("card.create", card, {"module_id": mine, "title": "排查出租房"}),
        ("card.create", new_id(), {"module_id": theirs, "title": "别人的模块"}),
        ("card.create", new_id(), {"module_id": srv.modules["unled"], "title": "无人牵头的模块"}),
        ("card.move", srv.rows["task_card"]["unassigned"], {"column": "doing"}),
        ("summon", new_id(), {"card_id": card, "targets": [{"kind": "department", "code": "market"}]}),
        ("summon", new_id(), {"card_id": srv.rows["task_card"]["unassigned"],
                              "targets": [{"kind": "department", "code": "market"}]}),
    ])
    assert [r["status"] for r in res] == ["applied", "rejected", "applied", "rejected", "applied", "rejected"], res
    for r, name in ((res[1], "card.create"), (res[5], "summon")):
        assert r["code"] == "forbidden" and r["explanation"] == permissions.assigned_refusal(name)
    # another's card never reached the module lead's desk: answered like a card that does not exist
    assert (res[3]["code"], res[3]["explanation"]) == ("not_found", missing_explanation("task_card"))
    # naming another's board in the arguments is answered like naming no board at all
    rate = {"month": "2026-11", "subject_code": "某干部", "subject_name": "某干部", "points": 90}
    theirs_res, ghost_res = _push(srv, "ml", [
        ("assessment.rate_module", new_id(), {**rate, "module_id": theirs}),
        ("assessment.rate_module", new_id(), {**rate, "module_id": new_id()})])
    assert theirs_res["code"] == ghost_res["code"] == "not_found", (theirs_res, ghost_res)
    assert theirs_res["explanation"] == ghost_res["explanation"]
    # the duty officer still runs every board of the township
    assert _push(srv, "do", [("card.move", srv.rows["task_card"]["unassigned"], {"column": "doing", "expected_epoch": 0})]
                 )[0]["status"] == "applied"


def test_a_grid_workers_open311_reads_cover_its_grid(world):
    """#14: a grid worker's key reads the requests of its own grid (and its own), not the whole township."""
    from commandroom.domain.models import Report

    srv = world
    with srv.state.read() as s:
        grids = list(s.scalars(select(Grid.id).where(Grid.township_code == QC).order_by(Grid.id).limit(2)))
    _, key = srv.add_user("gw-grid", "grid_worker", township_code=QC, grid_id=grids[0])
    ids = {}
    with srv.state.transaction() as s:
        for which, grid in (("mine", grids[0]), ("neighbour", grids[1])):
            rep = _row(Report, township_code=QC, grid_id=grid, source="grid_patrol", category_code="dispute",
                       description=f"{which} 网格的上报", reported_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
            s.add(rep)
            ids[which] = rep.id
    ok = srv.client.get(f"/open311/v2/requests/{ids['mine']}.json", params={"api_key": key})
    assert ok.status_code == 200
    no = srv.client.get(f"/open311/v2/requests/{ids['neighbour']}.json", params={"api_key": key})
    ghost = srv.client.get(f"/open311/v2/requests/{new_id()}.json", params={"api_key": key})
    assert no.status_code == ghost.status_code == 404
    listed = {r["token"] for r in srv.client.get("/open311/v2/requests.json", params={"api_key": key}).json()}
    assert ids["mine"] in listed and ids["neighbour"] not in listed
    # the township's duty officer reads both (its key-less desk token works for Open311 reads too)
    h = {"Authorization": f"Bearer {srv.users['do']['access_token']}"}
    assert srv.client.get(f"/open311/v2/requests/{ids['neighbour']}.json", headers=h).status_code == 200


def _pulled(srv, username: str) -> tuple[list[str], set[tuple[str, str]]]:
    """Everything ``username``'s desk downloads from 0: its buckets and every (entity type, id) in them."""
    import json

    h = {"Authorization": f"Bearer {srv.users[username]['access_token']}"}
    seen: set[tuple[str, str]] = set()
    cursors = "{}"
    while True:
        r = srv.client.get("/api/v1/sync/pull", params={"cursors": cursors, "limit": 1000}, headers=h)
        assert r.status_code == 200, r.text
        page = r.json()
        seen |= {(c["entity_type"], c["entity_id"]) for c in page["changes"]}
        if not page["has_more"]:
            return page["buckets"], seen
        cursors = json.dumps(page["cursors"])


def test_a_module_leads_desk_receives_only_the_boards_it_leads(world):
    """#14: the pull of a module lead carries its own boards (and any without a named lead) and the township's
    other work, never another module's board; the duty officer's and the wall's carry every board."""
    srv = world
    boards = {"mine": (new_id(), new_id(), srv.ids["ml"]), "theirs": (new_id(), new_id(), srv.ids["do"]),
              "nobody": (new_id(), new_id(), "")}
    muts = []
    for which, (module, card, lead) in boards.items():
        muts += [("module.create", module, {"name": f"拉取{which}", "township_code": QC, "lead_user_id": lead}),
                 ("card.create", card, {"module_id": module, "title": f"{which}的任务"})]
    incident = srv.rows["incident"]["unassigned"]
    muts.append(("incident.note", incident, {"note": "模块牵头人也看得到本乡镇的事件"}))
    assert [r["status"] for r in _push(srv, "do", muts)] == ["applied"] * len(muts)
    # a module lead's own new board is its own
    own_new = new_id()
    assert _push(srv, "ml", [("module.create", own_new, {"name": "牵头人新建", "township_code": QC})]
                 )[0]["status"] == "applied"

    buckets, seen = _pulled(srv, "ml")
    with srv.state.read() as s:
        from commandroom.domain.models import Module

        unled = set(s.scalars(select(Module.id).where(Module.township_code == QC, Module.lead_user_id.is_(None))))
    assert boards["nobody"][0] in unled and srv.modules["unled"] in unled
    assert {b for b in buckets if b.startswith("module:")} == {
        f"module:{m}" for m in {boards["mine"][0], own_new, srv.modules["mine"], srv.rows["module"]["team"], *unled}}
    for which in ("mine", "nobody"):
        module, card, _ = boards[which]
        assert ("module", module) in seen and ("task_card", card) in seen, which
    assert ("module", own_new) in seen
    module, card, _ = boards["theirs"]
    assert ("module", module) not in seen and ("task_card", card) not in seen
    assert any(t == "timeline_entry" for t, _ in seen)  # the township's incidents still reach it
    # asking for another module's bucket is refused like any bucket outside the scope
    h = {"Authorization": f"Bearer {srv.users['ml']['access_token']}"}
    r = srv.client.get("/api/v1/sync/pull", params={"cursors": f'{{"module:{boards["theirs"][0]}": 0}}'}, headers=h)
    assert r.status_code == 403 and r.json()["detail"]["code"] == "bucket_forbidden"
    # the command desk and the wall see every board of the township
    for username in ("do", "vw"):
        _buckets, seen = _pulled(srv, username)
        for module, card, _ in boards.values():
            assert ("module", module) in seen and ("task_card", card) in seen, username


def test_what_each_desk_downloads_follows_its_scope(world):
    """#14: the buckets each role's desk reads. The wall reads what its township's command desk reads (and
    changes nothing); the county coordinator every township, zone and board; a module lead its township without
    the boards another leads; a liaison its department; the administrator reference data only."""
    srv = world
    got = {u: set(srv.login(u)["buckets"]) for u in ACCOUNTS}  # as of now (other tests add boards)
    with srv.state.read() as s:
        from commandroom.domain.models import Module, Township

        towns = set(s.scalars(select(Township.code)))
        zones = set(s.scalars(select(Zone.id)))
        boards = {m.id: (m.township_code, m.lead_user_id) for m in s.scalars(select(Module))}
        qc_zones = {z.id for z in s.scalars(select(Zone)) if QC in (z.member_codes or [])}
        team_towns = {c for z in s.scalars(select(Zone).where(Zone.id == ZONE)) for c in
                      {*(z.member_codes or []), z.hub_code}}
    township_desk = {"county:shared", f"township:{QC}", *(f"zone:{z}" for z in qc_zones),
                     *(f"module:{m}" for m, (t, _) in boards.items() if t == QC)}
    assert got["do"] == got["gs"] == got["vw"] == township_desk
    assert got["cc"] == {"county:shared", *(f"township:{t}" for t in towns), *(f"zone:{z}" for z in zones),
                         *(f"module:{m}" for m in boards)}
    assert got["ml"] == {b for b in township_desk if not b.startswith("module:")} | {
        f"module:{m}" for m, (t, lead) in boards.items() if t == QC and lead in (srv.ids["ml"], None, "")}
    assert got["tl"] == got["tmem"] == {"county:shared", *(f"township:{t}" for t in team_towns), f"zone:{ZONE}",
                                        *(f"module:{m}" for m, (t, _) in boards.items() if t in team_towns)}
    assert got["dl"] == {"county:shared", f"department:{srv.dept}"}
    assert got["ad"] == {"county:shared"}
    # the wall reads like its township's desk, and may change nothing at all
    vw = _actor(srv, "vw")
    assert all(permissions.refusal(vw, n) for n, r in RULES.items() if r.kind == "mutation")
    assert not permissions.may(vw, "sync.push") and not permissions.may(vw, "report.contact")


def test_merge_summon_and_joint_visit_say_nothing_of_another_townships_incident(world):
    """#14: naming another township's incident in a merge, a summons or a joint visit is answered exactly as
    naming one that does not exist (same code, same words but for the id given): no state, number or township."""
    srv = world
    theirs, ghost = srv.rows["incident"]["other"], new_id()
    with srv.state.read() as s:
        from commandroom.domain.models import TeamMember

        member = s.scalars(select(TeamMember.id).where(TeamMember.zone_id == ZONE)).first()
    for name, entity, args in (
            ("report.merge", srv.rows["report"]["unassigned"], lambda i: {"incident_id": i}),
            ("summon", None, lambda i: {"incident_id": i, "targets": [{"kind": "department", "code": srv.dept}]}),
            ("team.joint_visit", None, lambda i: {"incident_ids": [i], "lead_member_id": member or new_id()})):
        got = _push(srv, "do", [(name, entity or new_id(), args(theirs)), (name, entity or new_id(), args(ghost))])
        (a, b) = got
        assert a["status"] == b["status"] == "rejected" and a["code"] == b["code"], (name, a, b)
        assert a["explanation"].replace(theirs, "ID") == b["explanation"].replace(ghost, "ID"), (name, a, b)
        assert TM not in a["explanation"] and "天马" not in a["explanation"], name
