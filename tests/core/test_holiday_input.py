"""The county types next year's holiday schedule as the State Council's notice writes it: dates and
ranges in the common forms are read, an item that cannot be read is named, and the checks of
``calendar.publish_year`` are known before publishing."""

from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import pytest

from commandroom.services.holidays import (
    DayInputError,
    InputProblem,
    ScheduleProblem,
    festival_of,
    format_days,
    overview,
    package_knows,
    parse_days,
    publish_args,
    read_days,
    runs,
    schedule_problems,
)

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time

Y = 2027


def days(*isos: str) -> list[date]:
    return [date.fromisoformat(s) for s in isos]


def span(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [date.fromordinal(o) for o in range(a.toordinal(), b.toordinal() + 1)]


@pytest.mark.parametrize("text", [
    "2027-02-06", "2027/2/6", "2027.2.6", "2027年2月6日", "2/6", "2月6日", "2月6", "２０２７－０２－０６", " 2月6日（星期六） ",
])
def test_one_date_in_any_common_form(text):
    assert parse_days(text, Y) == days("2027-02-06")


@pytest.mark.parametrize("text", [
    "2027-02-06~2027-02-13", "2027-02-06 ~ 2027-02-13", "2027-02-06～2027-02-13", "2027-02-06-2027-02-13",
    "2027-02-06 - 2027-02-13", "2027/2/6~2/13", "2月6日至13日", "2月6日至2月13日", "2月6日 至 13日", "2月6日到13日",
    "2/6~13", "春节：2月6日（农历除夕）至13日放假调休，共8天。",
])
def test_a_range_in_any_common_form(text):
    assert parse_days(text, Y) == span("2027-02-06", "2027-02-13")


def test_items_separated_by_lines_commas_spaces_and_enumeration_commas():
    text = "2027-01-01\n2月6日至13日，4月5日、5月1日~5月5日; 6/9 2027-09-15,10月1日至7日"
    got = read_days(text, Y)
    assert got.problems == ()
    assert got.items == 7
    assert list(got.days) == (days("2027-01-01") + span("2027-02-06", "2027-02-13") + days("2027-04-05")
                              + span("2027-05-01", "2027-05-05") + days("2027-06-09", "2027-09-15")
                              + span("2027-10-01", "2027-10-07"))


def test_repeated_and_overlapping_days_count_once():
    assert parse_days("2月6日至8日 2月7日 2027-02-08", Y) == span("2027-02-06", "2027-02-08")


@pytest.mark.parametrize(("text", "item", "reason"), [
    ("2027-02-06, 春天", "春天", "unreadable"),
    ("2月30日", "2月30日", "not_a_date"),
    ("2027-13-01", "2027-13-01", "not_a_date"),
    ("2026-12-31", "2026-12-31", "other_year"),
    ("2月13日至6日", "2月13日~6日", "reversed"),
    ("2027-01-01~2027-03-01", "2027-01-01~2027-03-01", "too_long"),
    ("2月6日~", "2月6日~", "unreadable"),
    ("0206", "0206", "unreadable"),
])
def test_an_unreadable_item_is_named(text, item, reason):
    with pytest.raises(DayInputError) as caught:
        parse_days(text, Y)
    assert (caught.value.item, caught.value.reason) == (item, reason)
    assert item in str(caught.value)


def test_every_unreadable_item_is_listed_and_the_rest_is_read():
    got = read_days("2027-01-01\n2月31日\n5月1日至5日\nabc", Y)
    assert got.problems == (InputProblem("2月31日", "not_a_date"), InputProblem("abc", "unreadable"))
    assert list(got.days) == days("2027-01-01") + span("2027-05-01", "2027-05-05")


def test_nothing_typed_is_nothing_read():
    assert read_days("  \n ，", Y).items == 0 and read_days("", Y).days == ()


def test_formatted_days_read_back_the_same():
    chosen = days("2027-01-01") + span("2027-02-06", "2027-02-13") + days("2027-10-08")
    text = format_days(chosen)
    assert text == "2027-01-01\n2027-02-06~2027-02-13\n2027-10-08"
    assert parse_days(text, Y) == chosen
    assert runs(chosen)[1] == (date(2027, 2, 6), date(2027, 2, 13))


def test_the_checks_of_publishing_before_publishing():
    holidays = span("2027-02-06", "2027-02-13")
    assert schedule_problems(holidays, days("2027-02-14"), "通知") == []  # a Sunday worked
    assert schedule_problems([], [], " ") == [ScheduleProblem("no_holidays"), ScheduleProblem("no_source")]
    assert schedule_problems(holidays, days("2027-02-13", "2027-02-15"), "通知") == [
        ScheduleProblem("both", date(2027, 2, 13)), ScheduleProblem("weekday_workday", date(2027, 2, 15))]
    assert schedule_problems(span("2027-01-01", "2027-03-31"), [], "通知") == [ScheduleProblem("too_many")]
    assert publish_args(holidays[::-1], [], " 通知 ") == {
        "holidays": [d.isoformat() for d in holidays], "workdays": [], "source": "通知"}


@pytest.mark.parametrize("year", range(2016, 2027))
def test_breaks_are_named_as_the_calendar_package_names_them(year):
    """The preview's guess of each break's festival agrees with the package for the years it knows."""
    names = {"New Year's Day": "new_year", "Spring Festival": "spring_festival", "Tomb-sweeping Day": "qingming",
             "Labour Day": "labour_day", "Dragon Boat Festival": "dragon_boat",
             "Mid-autumn Festival": "mid_autumn", "National Day": "national_day"}
    breaks = runs([d for d in chinese_calendar.holidays if d.year == year])
    assert len(breaks) >= 6  # 中秋 shares 国庆's break in some years
    for first, last in breaks:
        known = {names[chinese_calendar.get_holiday_detail(date.fromordinal(o))[1]]
                 for o in range(first.toordinal(), last.toordinal() + 1)}
        guess = festival_of(first, last)
        if guess == "national_day_mid_autumn":
            assert "national_day" in known, (first, last)  # 2020: 中秋 fell on 1 October
        else:
            assert {guess} == known, (first, last)


def test_the_package_knows_this_year_but_not_the_next(seeded_sqlite):
    from commandroom.store.local import DeskStore

    assert package_knows(2026) and not package_knows(2027)
    store = DeskStore(seeded_sqlite.split("///", 1)[1])
    try:
        seen = overview(store, date(2026, 11, 26))
        assert [(s.year, s.kind) for s in seen.statuses] == [(2026, "package"), (2027, "unknown")]
        # the year the package knows is listed with its days (the page's month table is not empty)
        assert [(r.year, r.published_at) for r in seen.rows] == [(2026, None)]
        assert date(2026, 10, 1) in seen.rows[0].holidays
        with store.write() as session:
            from commandroom.domain.models import CalendarYear

            session.add(CalendarYear(year=2027, holidays=["2027-01-01"], workdays=[], source="示例",
                                     published_at=datetime(2026, 11, 26, 2, 0), published_by="nobody"))
        seen = overview(store, date(2026, 11, 26))
        assert [(s.year, s.kind) for s in seen.statuses] == [(2026, "package"), (2027, "published")]
        assert seen.rows[0].holidays == (date(2027, 1, 1),) and seen.rows[0].source == "示例"
    finally:
        store.close()
