"""Holiday schedules (节假日安排) as the county types and reads them. Qt-free core code.

The county coordinator copies next year's schedule from the State Council's notice into
two text boxes (holidays, make-up working days); :func:`read_days` turns what was typed into
dates — one item per line or separated by commas, spaces or 、, each item a date
(``2027-02-06``, ``2027/2/6``, ``2/6``, ``2月6日``) or a range (``2027-02-06~2027-02-13``,
``2027-02-06-2027-02-13``, ``2月6日至13日``) — and names every item it could not read.
:func:`schedule_problems` repeats the checks of ``calendar.publish_year`` so the officer sees
them before publishing; :func:`overview` tells, for this year and next, whether deadlines
know the holidays (the ``chinese_calendar`` package, a published ``calendar_year`` row) or
fall back to Monday–Friday.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
from sqlalchemy import select

from commandroom.domain.models import CalendarYear, User
from commandroom.store.protocol import ReadStore

MAX_DAYS = 60  # as calendar.publish_year allows per list
MAX_RANGE_DAYS = 31  # a longer range is a typo, not a holiday break

# ----------------------------------------------------------------------------- reading typed dates


@dataclass(frozen=True)
class InputProblem:
    """An item that could not be read: ``reason`` is unreadable / not_a_date / other_year /
    reversed / too_long (the desktop words it)."""

    item: str
    reason: str


class DayInputError(ValueError):
    """Raised by :func:`parse_days` for the first item it cannot read; ``item`` names it."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(f"cannot read {problem.item!r}: {problem.reason}")
        self.item = problem.item
        self.reason = problem.reason


@dataclass(frozen=True)
class DayInput:
    days: tuple[date, ...]  # sorted, each once
    problems: tuple[InputProblem, ...]
    items: int  # how many items were typed


_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?$")
_DAY = re.compile(r"^(\d{1,2})\s*日?$")
# words of the notice that carry no date: "春节：", "放假调休", "共8天", "（星期六）上班"
_NOISE = re.compile(r"\([^)]*\)|[^\W\d_]+\s*:|共\s*\d+\s*天|放假调休|放假|调休|上班|休息|星期[一二三四五六日天]|周[一二三四五六日天]")
_RANGE = re.compile(r"\s*(?:~|〜|至|到|—|–)\s*")
_SPACED_HYPHEN = re.compile(r"(?<=\d)\s+-\s*(?=\d)|(?<=\d)\s*-\s+(?=\d)")
_SEPARATORS = re.compile(r"[\s,、;。]+")


def _items(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text or "")  # full-width digits, ～ ， ： （ ） －
    text = _NOISE.sub(" ", text)
    text = _RANGE.sub("~", text)
    text = _SPACED_HYPHEN.sub("~", text)
    return [item for item in _SEPARATORS.split(text) if item]


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Bad("not_a_date") from None


def _one_date(text: str, year: int) -> date:
    if m := _FULL.match(text):
        d = _make(int(m[1]), int(m[2]), int(m[3]))
        if d.year != year:
            raise _Bad("other_year")
        return d
    if m := _MONTH_DAY.match(text):
        return _make(year, int(m[1]), int(m[2]))
    raise _Bad("unreadable")


def _range_end(text: str, start: date) -> date:
    """The end of a range: a full date, a month and day, or only the day (in the start's month)."""
    if m := _DAY.match(text):
        return _make(start.year, start.month, int(m[1]))
    return _one_date(text, start.year)


def _span(first: date, last: date) -> list[date]:
    if last < first:
        raise _Bad("reversed")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise _Bad("too_long")
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _read_item(item: str, year: int) -> list[date]:
    parts = item.split("~")
    if len(parts) == 2 and all(parts):
        start = _one_date(parts[0], year)
        return _span(start, _range_end(parts[1], start))
    if len(parts) != 1:
        raise _Bad("unreadable")
    try:
        return [_one_date(item, year)]
    except _Bad as first_try:
        # "2027-02-06-2027-02-13": a hyphen between two dates
        for k, ch in enumerate(item):
            if ch != "-" or k == 0:
                continue
            try:
                start = _one_date(item[:k], year)
                return _span(start, _range_end(item[k + 1:], start))
            except _Bad as exc:
                if exc.reason in ("reversed", "too_long", "other_year"):
                    raise
        raise first_try from None


def read_days(text: str, year: int) -> DayInput:
    """The dates typed in ``text`` (months and days without a year are in ``year``), and every
    item that could not be read."""
    days: set[date] = set()
    problems: list[InputProblem] = []
    items = _items(text)
    for item in items:
        try:
            days.update(_read_item(item, year))
        except _Bad as exc:
            problems.append(InputProblem(item, exc.reason))
    return DayInput(tuple(sorted(days)), tuple(problems), len(items))


def parse_days(text: str, year: int) -> list[date]:
    """The dates typed in ``text``; raises :class:`DayInputError` naming the first unreadable item."""
    result = read_days(text, year)
    if result.problems:
        raise DayInputError(result.problems[0])
    return list(result.days)


def runs(days: list[date] | tuple[date, ...]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs, in date order."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and d == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def format_days(days: list[date] | tuple[date, ...]) -> str:
    """Days as :func:`read_days` reads them back: one date or ``first~last`` range per line."""
    return "\n".join(a.isoformat() if a == b else f"{a.isoformat()}~{b.isoformat()}" for a, b in runs(days))


# ----------------------------------------------------------------------------- the schedule as a whole

FESTIVALS = ("new_year", "spring_festival", "qingming", "labour_day", "dragon_boat", "mid_autumn",
             "national_day", "national_day_mid_autumn")


def _overlaps(first: date, last: date, a: tuple[int, int], b: tuple[int, int]) -> bool:
    return first <= date(first.year, *b) and last >= date(first.year, *a)


def festival_of(first: date, last: date) -> str | None:
    """Which statutory holiday a break most likely is, from its dates alone (a preview aid).

    The lunar festivals move, but each stays inside its own window of the solar year:
    春节 late January–February, 端午 late May–June, 中秋 September–early October (with 国庆
    when the break holds 1 October and starts in September or runs past the 7th).
    """
    if (first.month == 1 and first.day <= 3) or (last.month == 12 and last.day == 31):
        return "new_year"
    if _overlaps(first, last, (10, 1), (10, 1)):
        return "national_day_mid_autumn" if first.month == 9 or last > date(first.year, 10, 7) else "national_day"
    windows = (("spring_festival", (1, 18), (2, 28)), ("qingming", (4, 2), (4, 7)),
               ("labour_day", (4, 28), (5, 6)), ("dragon_boat", (5, 26), (6, 26)),
               ("mid_autumn", (9, 5), (10, 9)))
    for key, a, b in windows:
        if _overlaps(first, last, a, b):
            return key
    return None


@dataclass(frozen=True)
class ScheduleProblem:
    """What ``calendar.publish_year`` would refuse: ``kind`` is no_holidays / no_source / both /
    weekday_workday / too_many; ``day`` names the date where there is one."""

    kind: str
    day: date | None = None


def schedule_problems(holidays: list[date] | tuple[date, ...], workdays: list[date] | tuple[date, ...],
                      source: str) -> list[ScheduleProblem]:
    """The problems ``calendar.publish_year`` would refuse the schedule for (empty: publishable)."""
    out: list[ScheduleProblem] = []
    if not holidays:
        out.append(ScheduleProblem("no_holidays"))
    if len(set(holidays)) > MAX_DAYS or len(set(workdays)) > MAX_DAYS:
        out.append(ScheduleProblem("too_many"))
    out += [ScheduleProblem("both", d) for d in sorted(set(holidays) & set(workdays))]
    out += [ScheduleProblem("weekday_workday", d) for d in sorted(set(workdays)) if d.weekday() < 5]
    if not source.strip():
        out.append(ScheduleProblem("no_source"))
    return out


def publish_args(holidays: list[date] | tuple[date, ...], workdays: list[date] | tuple[date, ...],
                 source: str) -> dict[str, Any]:
    """The arguments of ``calendar.publish_year`` (the year is the entity id)."""
    return {"holidays": [d.isoformat() for d in sorted(set(holidays))],
            "workdays": [d.isoformat() for d in sorted(set(workdays))],
            "source": source.strip()}


# ----------------------------------------------------------------------------- what the desks know


def package_knows(year: int) -> bool:
    """Whether the installed ``chinese_calendar`` package has ``year``'s holidays."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except (NotImplementedError, KeyError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class YearRow:
    """A published year (a ``calendar_year`` row); ``id`` is the year as text."""

    id: str
    year: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    source: str
    published_at: datetime | None
    published_by: str


@dataclass(frozen=True)
class YearStatus:
    """Where the deadlines of ``year`` take its holidays from: ``published`` (by the county, ``row``),
    ``package`` (the calendar package) or ``unknown`` (Monday–Friday is assumed)."""

    year: int
    kind: str
    row: YearRow | None = None


@dataclass(frozen=True)
class Overview:
    statuses: tuple[YearStatus, ...]  # this year, next year
    rows: tuple[YearRow, ...]  # published years, newest first


def _days(items: Any) -> tuple[date, ...]:
    return tuple(sorted(date.fromisoformat(d) for d in items or []))


def published_years(session: Any) -> list[YearRow]:
    """Every published year, newest first (the publisher by name where the desk knows the account)."""
    names = {u.id: u.display_name for u in session.scalars(select(User))}
    rows = session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc()))
    return [YearRow(str(c.year), c.year, _days(c.holidays), _days(c.workdays), c.source or "", c.published_at,
                    names.get(c.published_by or "", c.published_by or "")) for c in rows]


def year_status(year: int, rows: list[YearRow] | tuple[YearRow, ...]) -> YearStatus:
    row = next((r for r in rows if r.year == year), None)
    if row is not None:
        return YearStatus(year, "published", row)
    return YearStatus(year, "package" if package_knows(year) else "unknown")


PACKAGE_SOURCE = "程序内置的国家法定节假日安排"


def package_year(year: int) -> YearRow | None:
    """``year``'s holidays and make-up working days as the calendar package knows them (None if it does not).

    Shown like a published year, so a year the deadlines already know has its days on screen too.
    """
    if not package_knows(year):
        return None
    holidays = tuple(sorted(d for d in chinese_calendar.holidays if d.year == year))
    workdays = tuple(sorted(d for d in chinese_calendar.workdays if d.year == year))
    return YearRow(str(year), year, holidays, workdays, PACKAGE_SOURCE, None, "")


def overview(store: ReadStore, today: date) -> Overview:
    """This year's and next year's status, and the years with their days (``today``: the Shanghai date):
    the published years, plus this year and next when only the calendar package knows them."""
    with store.read() as session:
        rows = published_years(session)
    statuses = (year_status(today.year, rows), year_status(today.year + 1, rows))
    known = list(rows)
    for status in statuses:
        if status.kind == "package":
            row = package_year(status.year)
            if row is not None:
                known.append(row)
    known.sort(key=lambda r: -r.year)
    return Overview(statuses, tuple(known))
