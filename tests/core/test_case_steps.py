"""One-thing case steps on their own clocks: the catalogue's limits, working days across a holiday, the next step's
clock starting when the previous one is done, and the step overdue rule in Python and SQL agreeing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from commandroom.domain.clocks import step_is_overdue, step_overdue_expr
from commandroom.domain.models import CaseStep, OneThingCase, OneThingType
from commandroom.services import cases as svc
from commandroom.services.teams import stable_id
from tests.core.test_teams_fixtures import NOW, QC, add_incident, run, seeded_session

pytestmark = pytest.mark.working_time

# Tuesday 2026-09-29 10:00 Shanghai: two working days later is after the National Day holiday (10-01 … 10-07)
BEFORE_HOLIDAY = datetime(2026, 9, 29, 2, 0)


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)


def _step(db, case_id: str, pos: int) -> CaseStep:
    return db.get(CaseStep, stable_id("case-step", case_id, pos))


def test_catalogue_gives_every_step_a_limit_within_the_case_limit(db):
    for t in db.scalars(select(OneThingType)):
        days = [s["days"] for s in t.steps]
        assert all(d > 0 for d in days), t.code
        assert sum(days) <= t.time_limit_days + 1e-9, t.code
    housing = db.get(OneThingType, "farmer_housing")
    assert [(s["name"], s["days"]) for s in housing.steps] == [
        ("需求申报(乡镇受理)", 2), ("联合审批(部门联审联办)", 10), ("竣工验收与发证", 3)]


def test_first_step_runs_from_the_order_across_the_national_day_holiday(db):
    inc = add_incident(db, "inc-h", QC, category="illegal_construction", created_at=BEFORE_HOLIDAY)
    run(db, "case.open", "case-h", {"type_code": "farmer_housing", "incident_id": inc.id,
                                    "ordered_at": BEFORE_HOLIDAY.isoformat() + "Z"}, now=BEFORE_HOLIDAY)
    first, second = _step(db, "case-h", 1), _step(db, "case-h", 2)
    # 2 working days from Tue 09-29 10:00: Wed 09-30 is the only working day before 10-01…10-07 → Thu 10-08 10:00
    assert first.due_at == datetime(2026, 10, 8, 2, 0)
    assert first.limit_days == 2 and second.limit_days == 10
    assert second.due_at is None  # not started: the step before it is not done
    assert not step_is_overdue(first.done, first.due_at, datetime(2026, 10, 7, 15, 0))  # holiday: still on time
    assert step_is_overdue(first.done, first.due_at, datetime(2026, 10, 8, 2, 1))


def test_next_step_clock_starts_when_the_step_before_is_done(db):
    inc = add_incident(db, "inc-s", QC, category="illegal_construction")
    run(db, "case.open", "case-s", {"type_code": "farmer_housing", "incident_id": inc.id})
    assert _step(db, "case-s", 1).due_at == datetime(2026, 11, 6, 2, 0)  # Wed 10:00 + 2 working days = Fri 10:00
    done_at = NOW + timedelta(days=1, hours=5)  # Thu 15:00 Shanghai
    run(db, "case.step_done", "case-s", {"position": 1}, now=done_at)
    second = _step(db, "case-s", 2)
    # 10 working days from Thu 2026-11-05 15:00: Thu 2026-11-19 15:00 (two weekends, no holiday)
    assert second.due_at == datetime(2026, 11, 19, 7, 0)
    assert _step(db, "case-s", 3).due_at is None
    p = svc.case_progress(db, db.get(OneThingCase, "case-s"), done_at)
    assert p.current_step is not None and p.current_step.due_at == second.due_at
    assert not p.current_step.overdue


def test_step_overdue_rule_agrees_in_python_and_sql(db):
    rng = random.Random(17)
    base = NOW
    for i in range(60):
        done = rng.random() < 0.3
        due = None if rng.random() < 0.25 else base + timedelta(hours=rng.randint(-48, 48))
        db.add(CaseStep(id=f"agree-{i}", township_code=QC, case_id="agree", position=i + 1, name=f"步骤{i}",
                        done=done, due_at=due, limit_days=1.0, escalation_level="none", created_at=base,
                        updated_at=base))
    db.flush()
    for now in (base - timedelta(days=3), base, base + timedelta(hours=7), base + timedelta(days=3)):
        in_sql = set(db.scalars(select(CaseStep.id).where(CaseStep.case_id == "agree", step_overdue_expr(now))))
        in_py = {s.id for s in db.scalars(select(CaseStep).where(CaseStep.case_id == "agree"))
                 if step_is_overdue(s.done, s.due_at, now)}
        assert in_sql == in_py
    assert any(True for _ in in_sql)  # the last moment has overdue steps: the comparison is not of two empty sets
