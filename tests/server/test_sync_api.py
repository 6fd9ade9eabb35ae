"""The sync API on its own: exactly-once push, ordering per device, bad input, pull scope, OpenAPI."""

from __future__ import annotations

import asyncio
import logging

import httpx
import orjson
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.domain.models import ChangeLog, ProcessedMutation, TaskCard, TimelineEntry
from commandroom.ids import new_id
from commandroom.sync.protocol import MAX_PAGE
from tests.sync.helpers import PASSWORD, T1, T2, board_of, make_server

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def api(db_url, tmp_path):
    srv = make_server(db_url, tmp_path)
    await srv.start()
    client = httpx.AsyncClient(transport=srv.transport(), base_url="http://127.0.0.1")
    yield srv, client
    await client.aclose()
    await srv.stop()
    srv.state.close()


async def login(client, username="a1", device_id=None):
    device_id = device_id or new_id()
    r = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD,
                                                     "device_id": device_id})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}, device_id


def mut(local_seq, name="test.card.create", entity_id=None, **args):
    return {"mutation_id": new_id(), "local_seq": local_seq, "name": name, "entity_id": entity_id or new_id(),
            "args": args or {"township_code": T1, "title": f"card {local_seq}"}, "base_versions": {}}


def body(device_id, muts, incarnation="inc-00000001", **extra):
    return {"device_id": device_id, "device_incarnation": incarnation, "protocol_version": PROTOCOL_VERSION,
            "schema_version": SCHEMA_VERSION, "mutations": muts, **extra}


def counts(srv):
    with srv.state.read() as s:
        return (s.scalar(select(func.count()).select_from(ProcessedMutation)),
                s.scalar(select(func.count()).select_from(ChangeLog)))


async def test_push_applies_and_a_resend_gets_the_stored_result(api):
    srv, c = api
    h, dev = await login(c)
    m1 = mut(1)
    r1 = await c.post("/api/v1/sync/push", json=body(dev, [m1]), headers=h)
    assert r1.status_code == 200, r1.text
    res = r1.json()["results"][0]
    assert res["status"] == "applied" and res["seq"] > 0 and not res["duplicate"]
    r2 = await c.post("/api/v1/sync/push", json=body(dev, [m1]), headers=h)
    res2 = r2.json()["results"][0]
    assert res2["duplicate"] and {k: res2[k] for k in ("status", "seq")} == {k: res[k] for k in ("status", "seq")}
    with srv.state.read() as s:
        assert s.scalar(select(func.count()).select_from(TaskCard)) == 1


async def test_same_id_different_payload_is_refused_and_alerted(api, caplog):
    srv, c = api
    h, dev = await login(c)
    m1 = mut(1)
    await c.post("/api/v1/sync/push", json=body(dev, [m1]), headers=h)
    evil = {**m1, "args": {"township_code": T1, "title": "changed"}}
    with caplog.at_level(logging.WARNING):
        r = await c.post("/api/v1/sync/push", json=body(dev, [evil]), headers=h)
    res = r.json()["results"][0]
    assert res["status"] == "error" and res["code"] == "payload_mismatch"
    assert "SYNC ALERT" in caplog.text
    with srv.state.read() as s:
        assert s.get(TaskCard, m1["entity_id"]).title == "card 1"


async def test_concurrent_duplicate_pushes_have_exactly_once_effect(api):
    """Failure scenario 4 (docs/sync-protocol.md): the same batch from several connections at once."""
    srv, c = api
    h, dev = await login(c)
    card = mut(1)
    await c.post("/api/v1/sync/push", json=body(dev, [card]), headers=h)
    batch = [mut(2, "test.card.note", card["entity_id"], text="x"),
             mut(3, "test.card.bump", card["entity_id"], by=5)]
    responses = await asyncio.gather(*[c.post("/api/v1/sync/push", json=body(dev, batch), headers=h)
                                       for _ in range(6)])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    results = [[(x["mutation_id"], x["status"], x["seq"]) for x in r.json()["results"]] for r in responses]
    assert all(r == results[0] for r in results)
    # the same two mutations under a second incarnation (a cloned workstation) are deduplicated too
    r = await c.post("/api/v1/sync/push", json=body(dev, [{**batch[0], "local_seq": 1},
                                                          {**batch[1], "local_seq": 2}], incarnation="inc-clone-1"),
                     headers=h)
    assert all(x["duplicate"] for x in r.json()["results"])
    with srv.state.read() as s:
        assert s.scalar(select(func.count()).select_from(TimelineEntry)) == 1
        assert s.get(TaskCard, card["entity_id"]).position == 5


async def test_gap_stops_the_batch_with_expected(api):
    """Failure scenario 5 (docs/sync-protocol.md): mutation k+1 before k."""
    srv, c = api
    h, dev = await login(c)
    m1, m2 = mut(1), mut(2)
    r = await c.post("/api/v1/sync/push", json=body(dev, [m2]), headers=h)
    data = r.json()
    assert r.status_code == 200 and data["results"] == []
    assert data["stop"]["code"] == "gap" and data["stop"]["expected"] == 1
    assert counts(srv)[0] == 0
    r = await c.post("/api/v1/sync/push", json=body(dev, [m1, m2]), headers=h)
    assert [x["status"] for x in r.json()["results"]] == ["applied", "applied"]


async def test_reused_local_seq_means_a_clone(api):
    _srv, c = api
    h, dev = await login(c)
    await c.post("/api/v1/sync/push", json=body(dev, [mut(1)]), headers=h)
    r = await c.post("/api/v1/sync/push", json=body(dev, [mut(1)]), headers=h)
    assert r.status_code == 409
    assert r.json()["detail"]["code"] == "new_incarnation_required"


async def test_poison_mutation_is_rejected_and_the_batch_goes_on(api):
    srv, c = api
    h, dev = await login(c)
    card = mut(1)
    batch = [card, mut(2, "test.card.server_rejects", card["entity_id"]),
             mut(3, "test.card.server_crashes", card["entity_id"]),
             mut(4, "test.card.set", card["entity_id"], title="ok"),
             mut(5, "test.card.create", None, township_code=T2, title="not my township")]
    r = await c.post("/api/v1/sync/push", json=body(dev, batch), headers=h)
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["applied", "rejected", "rejected", "applied", "rejected"]
    assert "test poison" in res[1]["explanation"]
    assert res[2]["code"] == "server_error"
    assert res[4]["code"] == "forbidden"
    with srv.state.read() as s:
        assert s.get(TaskCard, card["entity_id"]).title == "ok"
        assert s.get(TaskCard, card["entity_id"]).lane == ""
        assert s.get(TaskCard, batch[4]["entity_id"]) is None


@pytest.mark.parametrize("case", ["bad_json", "not_object", "missing_field", "unknown_name", "huge_batch",
                                  "old_protocol", "new_schema", "other_device", "unordered", "too_large"])
async def test_bad_push_input_is_refused_and_nothing_written(api, case):
    srv, c = api
    h, dev = await login(c)
    before = counts(srv)
    content = None
    payload = body(dev, [mut(1)])
    if case == "bad_json":
        content = b'{"device_id": '
    elif case == "not_object":
        content = b"[1, 2]"
    elif case == "missing_field":
        del payload["device_incarnation"]
    elif case == "unknown_name":
        payload["mutations"] = [mut(1), mut(2, "report.nonexistent")]
    elif case == "huge_batch":
        payload["mutations"] = [mut(i) for i in range(1, 102)]
    elif case == "old_protocol":
        payload["protocol_version"] = 0
    elif case == "new_schema":
        payload["schema_version"] = SCHEMA_VERSION + 1
    elif case == "other_device":
        payload["device_id"] = new_id()
    elif case == "unordered":
        payload["mutations"] = [mut(2), mut(1)]
    elif case == "too_large":
        payload["mutations"] = [mut(1, title="x" * (5 * 1024 * 1024))]
    r = await c.post("/api/v1/sync/push", content=content if content is not None else orjson.dumps(payload),
                     headers={**h, "Content-Type": "application/json"})
    expected = {"bad_json": 400, "not_object": 422, "missing_field": 422, "unknown_name": 422, "huge_batch": 413,
                "old_protocol": 426, "new_schema": 426, "other_device": 403, "unordered": 422,
                "too_large": 413}[case]
    assert r.status_code == expected, r.text
    detail = r.json()["detail"]
    assert detail["message"] and detail["code"]
    if case in ("old_protocol", "new_schema"):
        assert "升级" in detail["message"]
    assert counts(srv) == before


@pytest.mark.parametrize("case", ["bad_json", "not_object", "negative", "foreign_bucket", "big_limit",
                                  "zero_limit", "word_limit", "word_protocol", "old_protocol", "no_token",
                                  "other_scheme"])
async def test_bad_pull_input_is_refused(api, case):
    _srv, c = api
    h, _ = await login(c)
    if case == "no_token":
        h = {}
    elif case == "other_scheme":
        h = {"Authorization": h["Authorization"].replace("Bearer", "Basic")}
    params = {"cursors": orjson.dumps({f"township:{T1}": 0}).decode()}
    if case == "bad_json":
        params["cursors"] = "{township"
    elif case == "not_object":
        params["cursors"] = "[]"
    elif case == "negative":
        params["cursors"] = orjson.dumps({f"township:{T1}": -1}).decode()
    elif case == "foreign_bucket":
        params["cursors"] = orjson.dumps({f"township:{T2}": 0}).decode()
    elif case == "big_limit":
        params["limit"] = 100000
    elif case == "zero_limit":
        params["limit"] = 0
    elif case == "word_limit":
        params["limit"] = "all"
    elif case == "word_protocol":
        params["protocol_version"] = "new"
    elif case == "old_protocol":
        params["protocol_version"] = 0
    r = await c.get("/api/v1/sync/pull", params=params, headers=h)
    expected = {"bad_json": 400, "not_object": 400, "negative": 400, "foreign_bucket": 403, "big_limit": 422,
                "zero_limit": 422, "word_limit": 422, "word_protocol": 422, "old_protocol": 426, "no_token": 401,
                "other_scheme": 401}[case]
    assert r.status_code == expected, r.text
    detail = r.json()["detail"]
    assert detail["message"] if isinstance(detail, dict) else detail
    if expected == 422:  # names the parameter, as for any request FastAPI refuses
        assert detail["code"] == "validation_error"
        assert ("protocol_version" if case == "word_protocol" else "limit") in detail["message"], detail
    if case == "foreign_bucket":
        assert T2 in detail["message"] and detail["bucket"] == f"township:{T2}"


async def test_pull_pages_and_cursors(api):
    _srv, c = api
    h, dev = await login(c)
    muts = [mut(i) for i in range(1, 8)]
    await c.post("/api/v1/sync/push", json=body(dev, muts), headers=h)
    board = f"module:{board_of(T1)}"  # the cards' board: its module row and the seven cards
    cursors = {f"township:{T1}": 0, board: 0}
    seen = []
    for _ in range(10):
        r = await c.get("/api/v1/sync/pull", params={"cursors": orjson.dumps(cursors).decode(), "limit": 3},
                        headers=h)
        data = r.json()
        assert data["since"] == cursors
        seen += [ch["entity_id"] for ch in data["changes"]]
        assert all(v >= cursors[k] for k, v in data["cursors"].items())
        cursors = data["cursors"]
        if not data["has_more"]:
            break
    assert len(seen) == 8 == len(set(seen)) and {m["entity_id"] for m in muts} | {board_of(T1)} == set(seen)
    r = await c.get("/api/v1/sync/summary", headers=h)
    assert r.json()["buckets"][board]["count"] == 8


async def test_openapi_documents_the_sync_api(api):
    _, c = api
    schema = (await c.get("/openapi.json")).json()
    assert "/api/v1/sync/push" in schema["paths"] and "/api/v1/sync/pull" in schema["paths"]
    comps = schema["components"]["schemas"]
    assert "PushIn" in comps and "MutationIn" in comps and "PullOut" in comps
    pull = schema["paths"]["/api/v1/sync/pull"]["get"]
    params = {p["name"]: p for p in pull["parameters"]}
    assert set(params) == {"cursors", "limit", "protocol_version", "schema_version"}
    assert params["limit"]["schema"]["maximum"] == MAX_PAGE and params["limit"]["schema"]["minimum"] == 1
    assert pull["security"] == [{"HTTPBearer": []}] and "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_a_new_board_reaches_the_township_desks_at_their_next_pull_and_no_one_else(api):
    """The desks' buckets are kept between requests (auth.ScopeCache): a board added meanwhile must still
    be in the next answer of its township's desks, and never in another township's."""
    from commandroom.domain.models import Module
    from commandroom.server import changelog

    srv, c = api
    h1, _ = await login(c, "a1")
    h2, _ = await login(c, "b1")
    for h in (h1, h2):  # both desks' scopes are resolved (and kept) before the board exists
        assert (await c.get("/api/v1/sync/pull", headers=h)).status_code == 200
    with srv.state.transaction() as s:
        board = Module(id=new_id(), township_code=T1, name="新模块")
        s.add(board)
        s.flush()
        changelog.log_rows(s, [board])
    bucket = f"module:{board.id}"
    r1 = await c.get("/api/v1/sync/pull", params={"cursors": orjson.dumps({bucket: 0}).decode()}, headers=h1)
    assert r1.status_code == 200, r1.text
    assert bucket in r1.json()["buckets"] and [ch["entity_id"] for ch in r1.json()["changes"]] == [board.id]
    r2 = await c.get("/api/v1/sync/pull", params={"cursors": orjson.dumps({bucket: 0}).decode()}, headers=h2)
    assert r2.status_code == 403 and r2.json()["detail"]["code"] == "bucket_forbidden"
    everything = (await c.get("/api/v1/sync/pull", headers=h2, params={"limit": 5000})).json()
    assert bucket not in everything["buckets"] and board.id not in {ch["entity_id"] for ch in everything["changes"]}
