"""Deadlines on the Chinese working calendar (国庆 2026, 春节 2026, 调休 Saturdays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from commandroom.domain.enums import EscalationLevel
from commandroom.services.deadlines import (
    DEFAULT_LEVELS,
    LevelClocks,
    add_working_minutes,
    calendar_known,
    clear_registered_days,
    clock_state,
    compute_deadlines,
    escalation_for,
    is_workday,
    register_calendar_days,
    working_minutes_between,
)
from commandroom.timeutil import local_to_utc

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time


def L(y, mo, d, h=0, mi=0):
    """A Shanghai wall-clock time as naive UTC."""
    return local_to_utc(datetime(y, mo, d, h, mi))


LEVELS = {
    "L1": {"ack_minutes": 30, "onsite_minutes": 60, "close_workdays": 1, "working_time": False},
    "L2": LevelClocks("L2", 120, 240, 3),
    "L3": LevelClocks("L3", 420, 840, 5),
    "L4": LevelClocks("L4", 420, 1260, 7),
}


def test_calendar_holidays_and_make_up_days():
    assert not is_workday(date(2026, 10, 1))  # 国庆
    assert not is_workday(date(2026, 10, 7))
    assert is_workday(date(2026, 10, 8))
    assert is_workday(date(2026, 10, 10))  # 调休: a Saturday that is a working day
    assert is_workday(date(2026, 9, 20))  # 调休 Sunday
    assert not is_workday(date(2026, 2, 17))  # 春节 2026
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2026, 2, 28))  # 调休 Saturdays
    assert not is_workday(date(2026, 2, 21))


def test_unknown_years_fall_back_to_monday_to_friday():
    d = date(2031, 1, 6)  # a Monday
    assert not calendar_known(d)
    assert is_workday(d)
    assert not is_workday(date(2031, 1, 4))  # Saturday
    assert is_workday(date(2031, 1, 1))  # 元旦 unknown: Wednesday counts as a working day
    register_calendar_days(holidays=[date(2031, 1, 1)], workdays=[date(2031, 1, 4)])
    try:
        assert not is_workday(date(2031, 1, 1))
        assert is_workday(date(2031, 1, 4))
    finally:
        clear_registered_days()
    # a deadline far into an unknown year is computed, not an error
    due = compute_deadlines(L(2031, 3, 3, 9, 0), "L3", None, LEVELS).close_due
    assert due == L(2031, 3, 10, 9, 0)


def test_working_minutes_skip_lunch_nights_and_weekends():
    assert add_working_minutes(L(2026, 11, 2, 11, 0), 90) == L(2026, 11, 2, 14, 30)
    assert add_working_minutes(L(2026, 11, 2, 20, 0), 30) == L(2026, 11, 3, 9, 0)  # starts next morning
    assert add_working_minutes(L(2026, 11, 6, 17, 0), 60) == L(2026, 11, 9, 9, 0)  # Friday → Monday
    assert add_working_minutes(L(2026, 11, 2, 9, 0), 180) == L(2026, 11, 2, 12, 0)  # ends exactly at noon
    assert working_minutes_between(L(2026, 11, 6, 17, 0), L(2026, 11, 9, 9, 0)) == 60
    assert working_minutes_between(L(2026, 11, 9, 9, 0), L(2026, 11, 6, 17, 0)) == -60


def test_guoqing_2026_l3_ack_and_close():
    start = L(2026, 9, 30, 16, 0)  # Wednesday afternoon before the National Day holiday
    d = compute_deadlines(start, "L3", None, LEVELS)
    # 90 min on 9-30, nothing 10-01..10-07, then 10-08: 210 + 120
    assert d.ack_due == L(2026, 10, 8, 16, 0)
    # 5 working days = 2100 min: 9-30 90, 10-08 420, 10-09 420, 10-10 (调休 Saturday) 420, 10-12 420, 10-13 330
    assert d.close_due == L(2026, 10, 13, 16, 0)
    assert d.onsite_due == L(2026, 10, 9, 16, 0)


def test_guoqing_l2_close_lands_on_the_make_up_saturday():
    d = compute_deadlines(L(2026, 9, 30, 16, 0), "L2", None, LEVELS)
    assert d.ack_due == L(2026, 10, 8, 9, 0)
    assert d.close_due == L(2026, 10, 10, 16, 0)
    assert date(2026, 10, 10).weekday() == 5


def test_chunjie_2026():
    start = L(2026, 2, 13, 10, 0)  # Friday before the Spring Festival; 2-14 (Sat) is a make-up day
    d = compute_deadlines(start, "L3", None, LEVELS)
    # 2-13 from 10:00: 120 + 210 = 330 min; the ack clock needs 90 more on the make-up Saturday
    assert d.ack_due == L(2026, 2, 14, 10, 0)
    # on-site (840): 330 + 420 on 2-14, then the holiday 2-15..2-23, 90 more on 2-24
    assert d.onsite_due == L(2026, 2, 24, 10, 0)
    # 5 days = 2100: 2-13 330, 2-14 420 (750), 2-24 420 (1170), 2-25 (1590), 2-26 (2010), 2-27 needs 90
    assert d.close_due == L(2026, 2, 27, 10, 0)


def test_l1_runs_around_the_clock():
    start = L(2026, 10, 1, 23, 0)  # a holiday night
    d = compute_deadlines(start, "L1", None, LEVELS)
    assert d.ack_due == start + timedelta(minutes=30)
    assert d.onsite_due == start + timedelta(minutes=60)
    assert d.close_due == start + timedelta(days=1)


def test_matter_limits_override_urgency_defaults():
    start = L(2026, 11, 2, 9, 0)
    plain = compute_deadlines(start, "L2", None, LEVELS)
    faster = compute_deadlines(start, "L2", {"L2": {"ack_minutes": 60}}, LEVELS)
    assert plain.ack_due == L(2026, 11, 2, 11, 0)
    assert faster.ack_due == L(2026, 11, 2, 10, 0)
    assert faster.close_due == plain.close_due
    other_level = compute_deadlines(start, "L3", {"L2": {"ack_minutes": 60}}, LEVELS)
    assert other_level.ack_due == L(2026, 11, 3, 9, 0)


def test_missing_levels_use_defaults_and_zero_means_no_clock():
    d = compute_deadlines(L(2026, 11, 2, 9, 0), "L4", None, None)
    assert d.close_due == add_working_minutes(L(2026, 11, 2, 9, 0), 7 * 420)
    assert DEFAULT_LEVELS["L1"].working_time is False
    none = compute_deadlines(L(2026, 11, 2, 9, 0), "L3", {"L3": {"onsite_minutes": 0}}, LEVELS)
    assert none.onsite_due is None
    with pytest.raises(ValueError):
        compute_deadlines(L(2026, 11, 2, 9, 0), "L9", None, LEVELS)


def test_clock_state():
    started = datetime(2026, 11, 2, 0, 0)
    due = started + timedelta(hours=5)
    assert clock_state(due, started + timedelta(hours=4), started + timedelta(hours=6), started) == "met"
    assert clock_state(due, started + timedelta(hours=6), started + timedelta(hours=7), started) == "late"
    assert clock_state(due, None, started + timedelta(hours=3), started) == "ok"
    # 20 % of 5 h = 1 h < 2 h: warning in the last hour
    assert clock_state(due, None, started + timedelta(hours=4, minutes=1), started) == "warning"
    assert clock_state(due, None, started + timedelta(hours=3, minutes=59), started) == "ok"
    assert clock_state(due, None, started + timedelta(hours=5, minutes=1), started) == "overdue"
    # a long window: the 2-hour cap applies
    long_due = started + timedelta(days=5)
    assert clock_state(long_due, None, long_due - timedelta(hours=2, minutes=1), started) == "ok"
    assert clock_state(long_due, None, long_due - timedelta(hours=1, minutes=59), started) == "warning"
    assert clock_state(None, None, started, started) == "ok"
    assert clock_state(None, started, started, started) == "met"


def test_clock_state_in_working_time():
    # due Tuesday 09:00; on Monday 16:30 only 90 working minutes remain (< 2 h): warning already
    started = L(2026, 11, 2, 9, 0)
    due = L(2026, 11, 10, 9, 0)
    now = L(2026, 11, 9, 16, 30)
    assert clock_state(due, None, now, started) == "ok"  # 16.5 wall-clock hours remain
    assert clock_state(due, None, now, started, working_time=True) == "warning"


def test_escalation_ladder_in_working_days():
    due = L(2026, 11, 2, 10, 0)  # Monday
    assert escalation_for(due, due) == EscalationLevel.NONE
    assert escalation_for(None, due) == EscalationLevel.NONE
    assert escalation_for(due, L(2026, 11, 2, 10, 1)) == EscalationLevel.REMINDER
    assert escalation_for(due, L(2026, 11, 3, 10, 0)) == EscalationLevel.REMINDER  # exactly one working day
    assert escalation_for(due, L(2026, 11, 3, 10, 1)) == EscalationLevel.SUPERVISION_ORDER
    assert escalation_for(due, L(2026, 11, 5, 10, 0)) == EscalationLevel.SUPERVISION_ORDER
    assert escalation_for(due, L(2026, 11, 5, 10, 1)) == EscalationLevel.LEADER_NOTICE


def test_escalation_does_not_count_the_national_day_holiday():
    due = L(2026, 9, 30, 17, 0)
    # 10-08 16:00 is only 30 + 420 - 90 = 360 working minutes late: still a reminder
    assert escalation_for(due, L(2026, 10, 8, 16, 0)) == EscalationLevel.REMINDER
    assert escalation_for(due, L(2026, 10, 9, 9, 0)) == EscalationLevel.SUPERVISION_ORDER


def test_a_matter_shorter_than_the_on_site_limit_keeps_the_deadlines_in_order():
    """签收 ≤ 到场 ≤ 办结: a one-day close limit pulls the two-day on-site deadline in to the close deadline."""
    from datetime import datetime

    from commandroom.services.deadlines import compute_deadlines, in_order

    start = datetime(2026, 12, 8, 2, 0)  # a Tuesday, 10:00 in Beijing
    d = compute_deadlines(start, "L3", {"L3": {"close_workdays": 1}}, None)
    assert d.ack_due <= d.onsite_due == d.close_due
    # a dispatch late in the close window: the response clocks restart but never run past the close deadline
    late = compute_deadlines(d.close_due, "L3", {}, None)
    assert in_order(late.ack_due, late.onsite_due, d.close_due) == (d.close_due, d.close_due)
