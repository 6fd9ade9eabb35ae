"""Duplicate suggestions: open incidents of the same or a related category, near in place and time.

A bounding box in SQL narrows the rows (it uses the township/state index and
the lat/lon columns); the exact great-circle distance is then computed in
Python. Suggestions only: merging stays an explicit action (docs/sync-protocol.md, "Merge rules").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import IncidentState
from commandroom.domain.models import EventCategory, Incident

EARTH_RADIUS_M = 6_371_008.8
METERS_PER_DEGREE_LAT = 111_320.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Candidate:
    incident_id: str
    number: str | None
    title: str
    state: str
    category_code: str
    created_at: datetime
    distance_m: float | None
    hours_apart: float
    same_category: bool
    score: float
    parts: tuple[float, float, float] = (0.0, 0.0, 0.0)  # (place, time, category) shares of the score


@dataclass(frozen=True)
class Similarity:
    """How alike an incident is to a report: the score (0–1) and its three parts, for the merge dialog."""

    distance_m: float | None
    hours_apart: float
    same_category: bool
    place: float  # up to 0.5: nearer within the radius scores more
    time: float  # up to 0.3: closer in time within the window scores more
    category: float  # 0.2 the same category, 0.1 a related one, else 0

    @property
    def score(self) -> float:
        return round(self.place + self.time + self.category, 4)


def similarity(
    *,
    lat: float | None,
    lon: float | None,
    at: datetime,
    category_code: str,
    related: set[str] | frozenset[str] = frozenset(),
    inc_lat: float | None,
    inc_lon: float | None,
    inc_at: datetime,
    inc_category: str,
    radius_m: float = 500,
    window_hours: float = 72,
) -> Similarity:
    """The duplicate score of one incident for a report (place 50 %, time 30 %, category 20 %).

    Also for incidents outside the radius or the window (their place or time part is then 0), so
    every incident the merge dialog offers is ranked by the same rule.
    """
    hours = abs((inc_at - at).total_seconds()) / 3600.0
    distance = None
    place = 0.0
    if None not in (lat, lon, inc_lat, inc_lon):
        distance = haversine_m(lat, lon, inc_lat, inc_lon)  # type: ignore[arg-type]
        place = 0.5 * max(0.0, 1.0 - distance / radius_m) if radius_m > 0 else 0.5
    time_part = 0.3 * max(0.0, 1.0 - hours / window_hours) if window_hours > 0 else 0.3
    same = inc_category == category_code
    category = 0.2 if same else 0.1 if inc_category in related else 0.0
    return Similarity(None if distance is None else round(distance, 1), round(hours, 2), same,
                      round(place, 4), round(time_part, 4), category)


def related_categories(session: Session, category_code: str) -> set[str]:
    """The category itself, the categories it lists as related, and those that list it."""
    codes = {category_code}
    for cat in session.scalars(select(EventCategory)):
        related = set(cat.related or [])
        if cat.code == category_code:
            codes |= related
        elif category_code in related:
            codes.add(cat.code)
    return codes


def duplicate_candidates(
    session: Session,
    *,
    township_code: str | None,
    category_code: str,
    lat: float | None,
    lon: float | None,
    at: datetime,
    radius_m: float = 500,
    window_hours: float = 72,
    limit: int = 10,
    exclude_ids: Iterable[str] = (),
) -> list[Candidate]:
    """Open incidents that may describe the same thing, best first.

    Same or related category, not closed and not merged away, created within
    ``window_hours`` of ``at`` (either side) and within ``radius_m`` of the
    point. The score (0–1) weighs nearness (50 %), closeness in time (30 %)
    and the same category (20 %); ties go to the nearer, then the more recent.
    Without a location only same-category incidents in the township and the
    window are suggested, with ``distance_m`` None and a lower score.
    """
    exclude = set(exclude_ids)
    window = timedelta(hours=window_hours)
    same_only = lat is None or lon is None
    categories = {category_code} if same_only else related_categories(session, category_code)
    q = select(Incident).where(
        Incident.deleted.is_(False),
        Incident.state != IncidentState.CLOSED.value,
        Incident.merged_into_id.is_(None),
        Incident.category_code.in_(sorted(categories)),
        Incident.created_at >= at - window,
        Incident.created_at <= at + window,
    )
    if township_code is not None:
        q = q.where(Incident.township_code == township_code)
    if not same_only:
        assert lat is not None and lon is not None
        dlat = radius_m / METERS_PER_DEGREE_LAT
        dlon = radius_m / (METERS_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
        q = q.where(
            Incident.lat.between(lat - dlat, lat + dlat),
            Incident.lon.between(lon - dlon, lon + dlon),
        )
    out: list[Candidate] = []
    for inc in session.scalars(q):
        if inc.id in exclude:
            continue
        hours = abs((inc.created_at - at).total_seconds()) / 3600.0
        same = inc.category_code == category_code
        if same_only:
            distance = None
            nearness = 0.0
        else:
            assert lat is not None and lon is not None
            if inc.lat is None or inc.lon is None:
                continue
            distance = haversine_m(lat, lon, inc.lat, inc.lon)
            if distance > radius_m:
                continue
            nearness = 1.0 - distance / radius_m if radius_m > 0 else 1.0
        recency = 1.0 - hours / window_hours if window_hours > 0 else 1.0
        parts = (round(0.5 * nearness, 4), round(0.3 * max(0.0, recency), 4), 0.2 if same else 0.0)
        score = round(sum(parts), 4)
        out.append(
            Candidate(
                incident_id=inc.id,
                number=inc.number,
                title=inc.title,
                state=inc.state,
                category_code=inc.category_code,
                created_at=inc.created_at,
                distance_m=None if distance is None else round(distance, 1),
                hours_apart=round(hours, 2),
                same_category=same,
                score=score,
                parts=parts,
            )
        )
    out.sort(key=lambda c: (-c.score, c.distance_m if c.distance_m is not None else 0.0, c.hours_apart, c.incident_id))
    return out[:limit]
