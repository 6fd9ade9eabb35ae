"""The county's holiday schedule (节假日安排) travels to the desks with the reference data."""

from __future__ import annotations

from datetime import date

import pytest

from commandroom.domain.models import CalendarYear
from commandroom.services import deadlines

pytestmark = [pytest.mark.asyncio, pytest.mark.working_time]  # rerun at fixed moments by make test


async def test_a_published_holiday_schedule_reaches_the_desks_and_their_deadlines(county):
    """The county publishes next year's 节假日安排; a township desk gets it with the reference data and an
    incident accepted there gets the same close deadline on the desk and on the server."""
    cc = await county.workstation("县中心", "cc")
    a = await county.workstation("球川-甲", "qc1")
    holidays = [f"2031-01-{d:02d}" for d in range(22, 29)]
    cc.perform("calendar.publish_year", "2031", {"holidays": holidays, "workdays": ["2031-01-18"],
                                                 "source": "国务院办公厅关于2031年部分节假日安排的通知（示例）"})
    await cc.sync()
    assert not cc.store.rejected()
    await a.sync()
    try:
        with a.store.read() as s:
            assert s.get(CalendarYear, 2031).holidays == holidays
            deadlines.load_levels(s)
        assert not deadlines.is_workday(date(2031, 1, 22)) and deadlines.is_workday(date(2031, 1, 18))
    finally:
        deadlines.use_published_years({})
    await cc.close()
    await a.close()
