"""The running clocks and the overdue rule: the Python form and the SQL forms agree on generated data.

One definition (``commandroom.domain.clocks``) serves the incident list's raw SQLite filter and sort,
the SQLAlchemy counts (SQLite and PostgreSQL) and the Python checks of the briefing, the wall and
the escalation. Incidents with every state and every mix of set/missing times are generated from a
fixed seed and each form is asked which are overdue.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from commandroom.domain.clocks import (
    active_due_sql,
    checkin_is_open,
    checkin_is_overdue,
    checkin_open_expr,
    checkin_overdue_expr,
    is_overdue,
    overdue_expr,
    overdue_sql,
    running_clocks,
)
from commandroom.domain.enums import IncidentState
from commandroom.domain.models import CaseCheckin, EventCategory, Incident, Township
from commandroom.queries.incidents import db_time
from commandroom.store.db import make_engine, session_factory
from commandroom.store.migrate import upgrade

NOW = datetime(2026, 11, 26, 6, 0)
QC = "330822111"
STATES = [s.value for s in IncidentState]


def _maybe_time(rng: random.Random) -> datetime | None:
    if rng.random() < 0.25:
        return None
    return NOW + timedelta(minutes=rng.randint(-600, 600), microseconds=rng.choice([0, 1, 500000]))


def _incidents(seed: int, n: int) -> list[Incident]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        created = NOW - timedelta(days=2)
        out.append(Incident(
            id=f"inc-{i:04d}", township_code=QC, number=f"T-{i:04d}", title=f"事件{i}", category_code="sanitation",
            state=rng.choice(STATES), urgency="L3", created_at=created, updated_at=created,
            acknowledged_at=_maybe_time(rng), onsite_at=_maybe_time(rng), ack_due=_maybe_time(rng),
            onsite_due=_maybe_time(rng), close_due=_maybe_time(rng),
        ))
    # the edge: a clock due exactly now is not overdue yet
    out.append(Incident(id="inc-edge", township_code=QC, number="T-edge", title="边界", category_code="sanitation",
                        state="dispatched", urgency="L3", created_at=NOW, updated_at=NOW, ack_due=NOW,
                        onsite_due=NOW, close_due=NOW))
    return out


def _checkins(seed: int, n: int) -> list[CaseCheckin]:
    rng = random.Random(seed)
    return [CaseCheckin(id=f"ck-{i:04d}", township_code=QC, target_code="enforcement",
                        state=rng.choice(["waiting", "checked_in", "missed"]),
                        due_at=NOW + timedelta(minutes=rng.randint(-300, 300)),
                        checked_in_at=None if rng.random() < 0.6 else NOW - timedelta(minutes=rng.randint(0, 900)))
            for i in range(n)]


@pytest.fixture
def factory(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        s.add(Township(code=QC, name="球川镇", short_name="球川", kind="镇", seat_lat=0, seat_lon=0,
                       number_prefix="QC"))
        s.add(EventCategory(code="sanitation", name="环境卫生", module="公共服务"))
    yield factory
    engine.dispose()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_overdue_in_sql_and_in_python_agree(factory, db_url, seed):
    incidents = _incidents(seed, 300)
    expected = {i.id for i in incidents if is_overdue(i.state, i.acknowledged_at, i.onsite_at, i.ack_due,
                                                      i.onsite_due, i.close_due, NOW)}
    assert 0 < len(expected) < len(incidents)
    with factory() as s, s.begin():
        s.add_all(incidents)
    with factory() as s:
        in_sql = set(s.scalars(select(Incident.id).where(overdue_expr(NOW))))
        assert in_sql == expected
        if db_url.startswith("sqlite"):
            raw = s.connection().connection.driver_connection
            text = {r[0] for r in raw.execute(f"SELECT id FROM incident WHERE {overdue_sql(':now')}",
                                              {"now": db_time(NOW)})}
            assert text == expected
            # the list's clock sort: the first running clock's due time
            for inc_id, due in raw.execute(f"SELECT id, {active_due_sql()} FROM incident"):
                i = next(x for x in incidents if x.id == inc_id)
                clocks = running_clocks(i.state, i.acknowledged_at, i.onsite_at, i.ack_due, i.onsite_due,
                                        i.close_due)
                want = db_time(min(d for _k, d in clocks)) if clocks else None
                assert due == want, (inc_id, i.state)
    assert "inc-edge" not in expected


def test_a_clock_that_does_not_run_is_not_overdue():
    long_ago = NOW - timedelta(days=3)
    # 处置中 with no recorded arrival: the on-site clock has stopped, only the close clock counts
    assert not is_overdue("in_progress", long_ago, None, long_ago, long_ago, NOW + timedelta(days=1), NOW)
    assert is_overdue("acknowledged", long_ago, None, long_ago, long_ago, NOW + timedelta(days=1), NOW)
    # 签收 runs while waiting for dispatch or sign-off, not after
    assert is_overdue("pending_dispatch", None, None, long_ago, None, None, NOW)
    assert not is_overdue("acknowledged", None, None, long_ago, None, None, NOW)
    assert not is_overdue("closed", None, None, long_ago, long_ago, long_ago, NOW)


@pytest.mark.parametrize("seed", [7, 8])
def test_open_and_overdue_checkins_in_sql_and_in_python_agree(factory, seed):
    checkins = _checkins(seed, 200)
    with factory() as s, s.begin():
        s.add_all(checkins)
    open_ids = {c.id for c in checkins if checkin_is_open(c.checked_in_at, c.state)}
    late_ids = {c.id for c in checkins if checkin_is_overdue(c.checked_in_at, c.state, c.due_at, NOW)}
    assert late_ids and open_ids - late_ids
    # an escalated check-in is stored as "missed" and is still waited for
    assert any(c.state == "missed" for c in checkins if c.id in late_ids)
    with factory() as s:
        assert set(s.scalars(select(CaseCheckin.id).where(checkin_open_expr()))) == open_ids
        assert set(s.scalars(select(CaseCheckin.id).where(checkin_overdue_expr(NOW)))) == late_ids
