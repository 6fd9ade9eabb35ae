"""A township desk and a department desk at once over real HTTP (the department offline for a while): the
assignment reaches the department live; its 签收, 报到 and 退回 reach the township under the liaison's name."""

from __future__ import annotations

import httpx
import pytest

from commandroom.queries.department import department_notices, work_items
from tests.e2e.conftest import PASSWORD, QC, new_id, wait_until

pytestmark = pytest.mark.asyncio


class LineDown(httpx.AsyncBaseTransport):
    """Real HTTP, until ``down`` is set: then every request fails as a cut line does."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the department's line is down", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _liaison(county) -> None:
    from commandroom.server.users import create_user

    with county.server.state.transaction() as s:
        create_user(s, username="li-market", display_name="市监局联络员 郑敏", role="department_liaison",
                    department="market", password=PASSWORD)


def _last(ws, incident_id: str, action: str) -> dict | None:
    entries = [e for e in ws.timeline(incident_id) if e["action"] == action]
    return entries[-1] if entries else None


async def test_department_seat_and_township_desk_work_one_record(county):
    _liaison(county)
    line = LineDown()
    town = await county.workstation("球川-甲", "qc1")
    dept = await county.workstation("市监局", "li-market", transport=line)
    assert sorted(dept.store.meta("buckets")) == ["county:shared", "department:market"]
    for ws in (town, dept):
        ws.engine.start()
    await wait_until(lambda: all(ws.engine.sse_connects >= 1 for ws in (town, dept)), 10, "SSE connected")

    # two matters in 球川; the township dispatches the first to 市场监管局
    first, second = new_id(), new_id()
    for incident_id, text in ((first, "集镇超市出售过期食品"), (second, "农贸市场无证摊位")):
        report = await county.report(text)
        await wait_until(lambda r=report: town.get("report", r) is not None, 10, "report on the township desk")
        town.perform("report.accept", report, {"incident_id": incident_id})
    dispatch_id = new_id()
    town.perform("incident.dispatch", first, {"target_kind": "department", "target_code": "market",
                                              "dispatch_id": dispatch_id, "note": "请市场监管局处理"})
    # live: the department desk receives the assignment by poke, with its history, and would announce it
    await wait_until(lambda: (dept.get("incident", first) or {}).get("assignee_code") == "market", 10,
                     "assignment on the department desk")
    assert dept.get("incident", second) is None  # not its work
    entries = [e["id"] for e in dept.timeline(first)]
    assert [n.kind for n in department_notices(dept.store, "market", entries)] == ["dispatch"]
    assert [w.incident_id for w in work_items(dept.store, "market", dept.store.now())] == [first]

    # the department's line goes down; it signs for the matter offline (queued in the same outbox)
    line.down = True  # every request of the department desk fails from now on (its open event stream aside)
    dept.perform("dispatch.acknowledge", dispatch_id, {"note": "已安排执法人员"})
    assert dept.get("dispatch", dispatch_id)["state"] == "acknowledged" and dept.store.pending_count() == 1
    # meanwhile the township whistles for it on the second matter
    town.perform("summon", new_id(), {"incident_id": second, "targets": [{"kind": "department", "code": "market"}],
                                      "hours": 4})
    await wait_until(lambda: town.store.pending_count() == 0, 10, "summons on the server")
    assert dept.get("incident", second) is None  # offline: its pulls fail, so nothing new arrived
    assert dept.store.pending_count() == 1  # and its 签收 is still queued

    # the line comes back: the 签收 reaches the township under the liaison's name, the summons the department
    line.down = False
    await wait_until(lambda: dept.store.pending_count() == 0 and dept.get("incident", second) is not None, 20,
                     "department desk back in step")
    await wait_until(lambda: _last(town, first, "dispatch.acknowledge") is not None, 10, "签收 on the township desk")
    ack = _last(town, first, "dispatch.acknowledge")
    assert ack["actor_name"] == "市监局联络员 郑敏"
    assert town.get("incident", first)["state"] == "acknowledged"

    # 报到 for the summons: who attends and when
    summons = next(w for w in work_items(dept.store, "market", dept.store.now()) if w.kind == "summons")
    dept.perform("checkin", summons.entity_id, {"attendee": "郑敏、王强", "attend_at": "今天15:00"})
    await wait_until(lambda: _last(town, second, "checkin") is not None, 10, "报到 on the township desk")
    checkin = _last(town, second, "checkin")
    assert checkin["actor_name"] == "市监局联络员 郑敏" and checkin["data"]["attendee"] == "郑敏、王强"

    # 退回 of the first matter, with a reason and a counter-proposal the county can arbitrate on
    dept.perform("incident.return_by_department", first, {"reason": "属占道经营，非食品安全事项",
                                                          "proposed_department_code": "enforcement"})
    await wait_until(lambda: (town.get("incident", first) or {}).get("state") == "returned", 10,
                     "退回 on the township desk")
    back = _last(town, first, "return")
    assert back["actor_name"] == "市监局联络员 郑敏"
    assert back["data"]["dispute"]["by_department_code"] == "market"
    assert back["data"]["dispute"]["proposed_department_code"] == "enforcement"
    assert "县综合行政执法局" in town.get("incident", first)["counter_proposal"]
    # the department keeps the returned matter in its history (its bucket), off its open list
    assert dept.get("incident", first)["state"] == "returned"
    assert first not in {w.incident_id for w in work_items(dept.store, "market", dept.store.now())}
    assert all(r["township_code"] == QC for r in dept.rows("incident"))
