"""``calendar.publish_year``: the county publishes a year's holiday schedule (节假日安排).

Args: ``{holidays: ["YYYY-MM-DD", …], workdays: ["YYYY-MM-DD", …], source}``; ``entity_id``
is the year. Publishing a year again replaces it (a correction). Reference rows: only a
county coordinator (or an admin) may write them on the server.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import CalendarYear
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation

MAX_DAYS = 60  # a year has about 30 holiday days and a handful of make-up days


def _dates(args: dict[str, Any], key: str, year: int) -> list[date]:
    raw = args.get(key, [])
    if not isinstance(raw, list) or len(raw) > MAX_DAYS:
        raise ValidationError(key, f"must be a list of at most {MAX_DAYS} dates YYYY-MM-DD")
    out: list[date] = []
    for item in raw:
        try:
            d = date.fromisoformat(item) if isinstance(item, str) else None
        except ValueError:
            d = None
        if d is None:
            raise ValidationError(key, f"{item!r} is not a date YYYY-MM-DD")
        if d.year != year:
            raise ValidationError(key, f"{d.isoformat()} is not in {year}")
        out.append(d)
    return sorted(set(out))


@mutation("calendar.publish_year", "calendar_year")
def publish_year(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Publish (or correct) the statutory holidays and make-up working days of one year."""
    try:
        year = int(entity_id)
    except ValueError:
        raise ValidationError("year", f"'{entity_id}' is not a year") from None
    if not 2000 <= year <= 2100:
        raise ValidationError("year", f"{year} is outside 2000–2100")
    holidays = _dates(args, "holidays", year)
    workdays = _dates(args, "workdays", year)
    source = v.text(args, "source", max_len=256)
    if not holidays:
        raise ValidationError("holidays", "list at least one holiday (元旦, 春节, …)")
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise ValidationError("workdays", f"{both[0].isoformat()} is listed both as a holiday and as a working day")
    weekdays = [d for d in workdays if d.weekday() < 5]
    if weekdays:
        raise ValidationError("workdays", f"{weekdays[0].isoformat()} is a weekday: a make-up working day "
                                          "(调休上班) is a Saturday or Sunday")
    row = ctx.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        ctx.add(row)
    row.holidays = [d.isoformat() for d in holidays]
    row.workdays = [d.isoformat() for d in workdays]
    row.source = source
    row.published_at = ctx.now
    row.published_by = ctx.actor.user_id
