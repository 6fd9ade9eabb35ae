"""The report simulator against a real server on loopback."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from commandroom.domain.models import Report
from commandroom.server.simulator import run_simulator
from commandroom.services.routing import township_at
from tests.server.test_auth_support import BS, QC, open_server, uvicorn_thread


@pytest.fixture
def live(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        _, srv.key = srv.add_user("gw-sim", "grid_worker", township_code=QC)
        _, srv.key_bs = srv.add_user("gw-bs", "grid_worker", township_code=BS)
        # the simulator posts for a whole township's grid workers through one key, far above one
        # worker's intake limit (30 in 10 minutes): give that key room, as the demo's key needs
        srv.state.extras["open311_limiter"].per_key = 1000
        with uvicorn_thread(srv.app) as base:
            srv.base = base
            yield srv


def test_simulator_posts_realistic_reports(live):
    lines: list[str] = []
    code = run_simulator(live.base, api_key=live.key, rate=100, max_reports=15, seed=3, out=lines.append)
    assert code == 0, "\n".join(lines)
    with live.state.read() as s:
        reports = s.scalars(select(Report)).all()
        assert len(reports) == 15
        for r in reports:
            assert r.township_code == QC and r.source == "grid_patrol"
            assert township_at(s, r.lat, r.lon) == QC  # GCJ-02 points were converted back inside the township
            assert any("\u4e00" <= ch <= "\u9fff" for ch in r.description)
        assert len({r.category_code for r in reports}) > 3
    report_lines = [ln for ln in lines if "QC-R-" in ln]
    assert len(report_lines) == 15
    assert any("gcj02" in ln for ln in report_lines) and any("gcj02" not in ln for ln in report_lines)
    assert lines[-1] == "done: 15 reports accepted, 0 refused"


def test_duration_bounds_the_run(live):
    lines: list[str] = []
    started = time.monotonic()
    code = run_simulator(live.base, api_key=live.key_bs, rate=10, duration=0.45, out=lines.append)
    assert code == 0
    # unbounded it would post until stopped: ending at all is the bound's doing (a loaded machine's requests
    # may take seconds, so no tighter figure)
    assert time.monotonic() - started < 60
    with live.state.read() as s:
        n = len(s.scalars(select(Report).where(Report.township_code == BS)).all())
    assert 1 <= n <= 6


def test_without_a_key_it_explains(live):
    lines: list[str] = []
    assert run_simulator(live.base, api_key=None, out=lines.append) == 2
    assert "commandroom user add" in lines[0] and "--role grid-worker" in lines[0]


def test_townships_outside_the_key_are_refused(live):
    lines: list[str] = []
    assert run_simulator(live.base, api_key=live.key, townships=["天马"], max_reports=1, out=lines.append) == 2
    assert "天马" in lines[-1]
    assert run_simulator(live.base, api_key=live.key, townships=["球川"], max_reports=2, rate=50,
                         out=lines.append) == 0


def test_a_bad_key_stops_quickly(live):
    lines: list[str] = []
    assert run_simulator(live.base, api_key="cr311_wrong", max_reports=5, out=lines.append) == 2
    assert "not valid" in lines[-1]


def test_many_grid_workers_and_the_text_fits_the_category(live):
    from commandroom.demo_history.text import T

    lines: list[str] = []
    assert run_simulator(live.base, api_key=live.key, rate=100, max_reports=40, seed=5, out=lines.append) == 0
    with live.state.read() as s:
        reports = s.scalars(select(Report)).all()
    names = {r.reporter_name for r in reports}
    assert len(names) >= 10, names  # not one worker posting everything
    for r in reports:
        if r.category_code in T:  # the demo history's words for exactly this category
            options = [max(re.split(r"\{[a-z]+\}", t), key=len) for t in T[r.category_code]]
            assert any(o in r.description for o in options), (r.category_code, r.description)


def test_the_daily_rhythm_is_the_demo_historys():
    from datetime import datetime

    from commandroom.demo_history.history import HOUR_WEIGHTS, WEEKDAY_FACTOR
    from commandroom.server.simulator import rhythm_rate

    night = rhythm_rate(46, datetime(2026, 12, 8, 3, 0), True)
    morning = rhythm_rate(46, datetime(2026, 12, 8, 10, 0), True)
    weekend = rhythm_rate(46, datetime(2026, 12, 6, 10, 0), False)
    assert morning > 20 * night and weekend < morning
    day_total = sum(rhythm_rate(46, datetime(2026, 12, 8, h, 0), True) * 3600 for h in range(24))
    assert day_total == pytest.approx(46 * WEEKDAY_FACTOR)
    assert morning * 3600 == pytest.approx(46 * WEEKDAY_FACTOR * HOUR_WEIGHTS[10] / sum(HOUR_WEIGHTS))
    assert morning * 20 < 1  # far from one report every 20 s


def _dispatched_to_market(srv, n: int) -> list[str]:
    """``n`` 球川 incidents the duty officer dispatched to 市场监管局, and one summons of it."""
    import json

    from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
    from commandroom.domain.models import Incident
    from commandroom.ids import new_id
    from commandroom.server import changelog

    ids = []
    with srv.state.transaction() as s:
        for i in range(n + 1):
            inc = Incident(id=new_id(), township_code=QC, title=f"食品安全 {i}", category_code="food_safety",
                           state="pending_dispatch")
            s.add(inc)
            ids.append(inc.id)
        s.flush()
        changelog.backfill(s)
    muts = [{"mutation_id": new_id(), "local_seq": i + 1, "name": "incident.dispatch", "entity_id": iid,
             "args": {"target_kind": "department", "target_code": "market", "dispatch_id": new_id()}}
            for i, iid in enumerate(ids[:n])]
    muts.append({"mutation_id": new_id(), "local_seq": n + 1, "name": "summon", "entity_id": new_id(),
                 "args": {"incident_id": ids[n], "targets": [{"kind": "department", "code": "market"}]}})
    r = srv.client.post("/api/v1/sync/push", headers=srv.bearer("duty-sim", "ws-duty-sim-1"), json={
        "device_id": "ws-duty-sim-1", "device_incarnation": new_id(), "first_local_seq": 1,
        "protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION, "mutations": muts})
    assert [x["status"] for x in r.json()["results"]] == ["applied"] * (n + 1), json.dumps(r.json())
    return ids


@pytest.mark.parametrize("return_share", [0.0, 1.0])
def test_department_seats_sign_check_in_and_return(live, return_share):
    """The simulated liaison signs (or returns, with a proposal) every dispatch and checks in to the summons."""
    from commandroom.domain.models import Incident, TimelineEntry
    from commandroom.server.simulator import DepartmentDesk

    live.add_user("duty-sim", "duty_officer", township_code=QC)
    live.add_user("li-sim", "department_liaison", department="market", display_name="市监局联络员")
    ids = _dispatched_to_market(live, 3)
    desk = DepartmentDesk(live.client, "li-sim", "password-li-sim", seed=5, minutes=0.001, late_share=1.0,
                          return_share=return_share)
    desk.sign_in()
    desk.pull()
    assert len(desk.pending) == 4 and desk.department == "market"
    # every act is planned after its clock runs out (late_share 1): believable, and late
    assert all(p.at - time.monotonic() > 60 for p in desk.pending)
    assert desk.act_due() == 0
    assert desk.act_due(now=time.monotonic() + 10**7) == 4
    assert {status for _, _, status in desk.done} == {"applied"}, desk.done
    with live.state.read() as s:
        states = {i: s.get(Incident, i).state for i in ids[:3]}
        checkin = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == ids[3],
                                                        TimelineEntry.action == "checkin")).one()
    assert set(states.values()) == ({"returned"} if return_share else {"acknowledged"})
    assert checkin.actor_name == "市监局联络员" and checkin.data["attendee"]
