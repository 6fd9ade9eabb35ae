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
    assert time.monotonic() - started < 5
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
