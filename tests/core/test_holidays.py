"""The county publishes a year's holiday schedule the calendar package does not know yet
(节假日安排): deadlines on the server and on the desks then skip those holidays and count the
make-up Saturdays, and a bad schedule is refused with the date that is wrong."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import CalendarYear
from commandroom.services import deadlines
from commandroom.store.db import make_engine, session_factory
from commandroom.timeutil import local_to_utc
from tests.core.test_teams_fixtures import COORDINATOR, OFFICER, QC, run, seeded_session

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time

YEAR = 2031  # a year chinese_calendar does not know
SPRING = [f"2031-01-{d:02d}" for d in range(22, 29)]  # a seven-day break, Wed 22 – Tue 28 January
MAKE_UP = ["2031-01-18", "2031-02-08"]  # Saturdays worked


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)
    deadlines.use_published_years({})


def _publish(db, holidays=SPRING, workdays=MAKE_UP, year=YEAR, actor=COORDINATOR):
    return run(db, "calendar.publish_year", str(year),
               {"holidays": list(holidays), "workdays": list(workdays), "source": "国务院办公厅通知（示例）"},
               actor=actor)


def test_a_published_year_moves_deadlines_past_its_holidays(db):
    start = local_to_utc(datetime(2031, 1, 21, 9, 0))  # Tuesday before the break
    before = deadlines.add_working_minutes(start, 420 * 2)  # two working days
    assert not deadlines.calendar_known(date(2031, 1, 22))
    _publish(db)
    deadlines.load_levels(db)  # what every deadline computation reads first
    assert deadlines.calendar_known(date(2031, 1, 22))
    assert not deadlines.is_workday(date(2031, 1, 22)) and not deadlines.is_workday(date(2031, 1, 27))
    assert deadlines.is_workday(date(2031, 1, 18))  # make-up Saturday
    assert not deadlines.is_workday(date(2031, 1, 25))  # an ordinary Saturday inside the break
    after = deadlines.add_working_minutes(start, 420 * 2)
    # Mon–Fri fallback: Tue 09:00 + two working days = Thu 23 09:00; published: the break runs to
    # Tue 28, so the second day is Wed 29 and the clock stops at Thu 30 09:00
    assert before == local_to_utc(datetime(2031, 1, 23, 9, 0))
    assert after == local_to_utc(datetime(2031, 1, 30, 9, 0))
    row = db.get(CalendarYear, YEAR)
    assert row.holidays == SPRING and row.workdays == MAKE_UP and row.published_by == COORDINATOR.user_id

    # publishing again replaces the year (a correction), and a database without it forgets it
    _publish(db, holidays=["2031-01-01"], workdays=[])
    deadlines.load_levels(db)
    assert deadlines.is_workday(date(2031, 1, 22)) and not deadlines.is_workday(date(2031, 1, 1))
    db.delete(db.get(CalendarYear, YEAR))
    db.flush()
    deadlines.load_levels(db)
    assert not deadlines.calendar_known(date(2031, 1, 22))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"holidays": ["2030-12-31"]}, "2030-12-31 is not in 2031"),
    ({"holidays": ["2031-02-30"]}, "'2031-02-30' is not a date"),
    ({"holidays": []}, "at least one holiday"),
    ({"workdays": ["2031-01-20"]}, "2031-01-20 is a weekday"),
    ({"workdays": ["2031-01-25"], "holidays": ["2031-01-25"]}, "both as a holiday and as a working day"),
    ({"year": 1999}, "outside 2000–2100"),
])
def test_a_bad_schedule_is_refused_with_the_wrong_date(db, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        _publish(db, **kwargs)
    assert db.get(CalendarYear, kwargs.get("year", YEAR)) is None


def test_only_a_county_coordinator_publishes_through_the_server(seeded_sqlite):
    from commandroom.server.pipeline import execute

    factory = session_factory(make_engine(seeded_sqlite))
    args = {"holidays": SPRING, "workdays": MAKE_UP, "source": "通知"}
    with pytest.raises(Forbidden, match="县社会治理中心"), factory() as s, s.begin():
        execute(s, actor=OFFICER, allowed_townships=[QC], name="calendar.publish_year", entity_id="2031",
                args=args)
    with factory() as s, s.begin():
        out = execute(s, actor=COORDINATOR, allowed_townships=None, name="calendar.publish_year",
                      entity_id="2031", args=args)
        assert out.status == "applied" and out.seq is not None
    with factory() as s:
        assert s.get(CalendarYear, 2031).holidays == SPRING
    deadlines.use_published_years({})
