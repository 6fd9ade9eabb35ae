"""A department liaison's desk receives its department's work from every township, and nothing else.

Through the real app (sync pull, REST reads, push) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pytest

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.domain.models import Incident
from commandroom.ids import new_id
from commandroom.server import changelog
from tests.server.test_auth_support import BS, QC, TG, TM, open_server


@pytest.fixture
def world(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        srv.add_user("duty-qc", "duty_officer", township_code=QC)
        srv.add_user("duty-tm", "duty_officer", township_code=TM)
        srv.add_user("market-li", "department_liaison", department="market")
        srv.add_user("natres-li", "department_liaison", department="natres")
        ids = {}
        with srv.state.transaction() as s:
            for key, town, lead in (("qc_market", QC, "market"), ("tm_market", TM, "market"),
                                    ("bs_natres", BS, "natres"), ("qc_none", QC, None), ("tg_none", TG, None),
                                    ("tm_none", TM, None)):
                inc = Incident(id=new_id(), township_code=town, title=f"{key} 事件", category_code="dispute",
                               lead_department_code=lead, state="pending_dispatch")
                s.add(inc)
                ids[key] = inc.id
            s.flush()
            changelog.backfill(s)
        srv.ids = ids
        yield srv


def _push(srv, headers: dict, device: str, name: str, entity_id: str, args: dict) -> dict:
    body = {"device_id": device, "device_incarnation": new_id(), "first_local_seq": 1,
            "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
            "mutations": [{"mutation_id": new_id(), "local_seq": 1, "name": name, "entity_id": entity_id,
                           "args": args}]}
    r = srv.client.post("/api/v1/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def _pulled(srv, headers: dict) -> dict[str, set[str]]:
    """entity type → ids the desk received (all pages)."""
    out: dict[str, set[str]] = {}
    me = srv.client.get("/api/v1/auth/me", headers=headers).json()
    cursors: dict[str, int] = dict.fromkeys(me["buckets"], 0)
    while True:
        r = srv.client.get("/api/v1/sync/pull", params={"cursors": json.dumps(cursors)}, headers=headers)
        assert r.status_code == 200, r.text
        data = r.json()
        for ch in data["changes"]:
            out.setdefault(ch["entity_type"], set()).add(ch["entity_id"])
            cursors[ch["bucket"]] = max(cursors.get(ch["bucket"], 0), ch["seq"])
        if not data["has_more"]:
            return out


def test_liaison_desk_gets_its_department_work_from_several_townships_and_nothing_else(world):
    srv = world
    ids = srv.ids
    qc, tm = srv.bearer("duty-qc", "ws-qc-0001"), srv.bearer("duty-tm", "ws-tm-0001")
    # 球川 dispatches a matter without a list department to 市场监管局 (it collaborates); 天马 whistles for it
    assert _push(srv, qc, "ws-qc-0001", "incident.note", ids["qc_none"], {"note": "先有的记录"})["status"] == "applied"
    assert _push(srv, qc, "ws-qc-0001", "incident.dispatch", ids["qc_none"],
                 {"target_kind": "department", "target_code": "market", "dispatch_id": new_id()})["status"] == "applied"
    summons = new_id()
    assert _push(srv, tm, "ws-tm-0001", "summon", summons,
                 {"incident_id": ids["tm_none"], "targets": [{"kind": "department", "code": "market"}]}
                 )["status"] == "applied"

    me = srv.client.get("/api/v1/auth/me", headers=(li := srv.bearer("market-li", "ws-market-0001"))).json()
    assert sorted(me["buckets"]) == ["county:shared", "department:market"]
    got = _pulled(srv, li)
    mine = {ids["qc_market"], ids["tm_market"], ids["qc_none"], ids["tm_none"]}
    assert got["incident"] == mine  # four incidents from two townships, none of the others
    assert {"township", "department", "matter"} <= set(got)  # the reference data it needs
    # the history from before it joined came with the dispatch: the earlier note, the dispatch, the summons
    notes = got.get("timeline_entry", set())
    assert len(notes) >= 3
    assert got["case_checkin"] and got["dispatch"]
    assert not {"team_member", "roster_entry", "module", "task_card"} & set(got)

    # the other department sees only its own
    natres = _pulled(srv, srv.bearer("natres-li", "ws-natres-0001"))
    assert natres["incident"] == {ids["bs_natres"]}

    # REST reads: its own work is readable; the rest is answered exactly as a missing row
    assert srv.client.get(f"/api/v1/incidents/{ids['tm_none']}", headers=li).status_code == 200
    for other in (ids["bs_natres"], ids["tg_none"]):
        r = srv.client.get(f"/api/v1/incidents/{other}", headers=li)
        missing = srv.client.get(f"/api/v1/incidents/{other[:-1]}x", headers=li)
        assert r.status_code == missing.status_code == 404
        assert r.json()["detail"]["code"] == missing.json()["detail"]["code"] == "not_found"
    # acting on another department's matter is refused as if it did not exist
    res = _push(srv, li, "ws-market-0001", "incident.note", ids["bs_natres"], {"note": "越权"})
    assert res["status"] == "rejected" and res["code"] == "not_found"
    assert _push(srv, li, "ws-market-0001", "incident.note", ids["tm_market"], {"note": "已联系"})["status"] == "applied"
    # and the township desk still gets its whole township
    township = _pulled(srv, qc)
    assert {ids["qc_market"], ids["qc_none"]} <= township["incident"]
    assert ids["tm_market"] not in township["incident"]


def test_the_demo_has_the_four_departments_liaisons(sqlite_url, tmp_path):
    """`make demo` accounts: 市场监管、综合执法、自然资源、农业农村 liaisons, each on its department's bucket."""
    from sqlalchemy import select

    from commandroom.demo import LIAISONS, _ensure_accounts
    from commandroom.domain.models import Department, User
    from commandroom.server.state import open_state
    from tests.server.test_auth_support import seeded

    url = seeded(sqlite_url, tmp_path)
    _ensure_accounts(url)
    _ensure_accounts(url)  # twice: an existing demo gets the missing accounts once
    state = open_state(url)
    try:
        with state.read() as s:
            users = {u.username: u for u in s.scalars(select(User).where(User.username.in_(LIAISONS)))}
            names = {users[n].department_code: s.get(Department, users[n].department_code).name for n in users}
    finally:
        state.close()
    assert sorted(names.values()) == sorted(["县市场监督管理局", "县综合行政执法局", "县自然资源和规划局", "县农业农村局"])
    assert all(u.role == "department_liaison" and u.scope_kind == "county" for u in users.values())


def test_a_note_after_a_dispatch_in_the_same_push_reaches_the_department(world):
    """The departments of an incident are read once per push transaction; a dispatch in between changes them,
    so the note after it is logged for the department's desk too (and the note before it joins with the record)."""
    from sqlalchemy import select

    from commandroom.domain.models import ChangeLog

    srv = world
    incident = srv.ids["qc_none"]
    qc = srv.bearer("duty-qc", "ws-qc-0002")
    muts = [("incident.note", {"note": "派遣之前"}),
            ("incident.dispatch", {"target_kind": "department", "target_code": "market", "dispatch_id": new_id()}),
            ("incident.note", {"note": "派遣之后"})]
    body = {"device_id": "ws-qc-0002", "device_incarnation": new_id(), "first_local_seq": 1,
            "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
            "mutations": [{"mutation_id": new_id(), "local_seq": i + 1, "name": name, "entity_id": incident,
                           "args": args} for i, (name, args) in enumerate(muts)]}
    r = srv.client.post("/api/v1/sync/push", json=body, headers=qc)
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["applied"] * 3, r.text
    before, _dispatch, after = (m["mutation_id"] for m in body["mutations"])
    with srv.state.read() as s:
        def buckets(mutation_id: str) -> set[str]:
            return set(s.scalars(select(ChangeLog.bucket).where(ChangeLog.origin_mutation == mutation_id,
                                                                ChangeLog.entity_type == "timeline_entry")))
        assert buckets(before) == {f"township:{QC}"}
        assert buckets(after) == {f"township:{QC}", "department:market"}
        notes = set(s.scalars(select(ChangeLog.entity_id).where(ChangeLog.bucket == "department:market",
                                                                ChangeLog.entity_type == "timeline_entry")))
    li = srv.bearer("market-li", "ws-market-0002")
    assert notes <= _pulled(srv, li)["timeline_entry"] and len(notes) >= 2  # both notes reach the liaison
