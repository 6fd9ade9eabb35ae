"""Duplicate suggestions: related categories, radius, time window, open incidents only, ordering."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from commandroom.domain.models import Incident
from commandroom.services.duplicates import (
    METERS_PER_DEGREE_LAT,
    duplicate_candidates,
    haversine_m,
    related_categories,
)
from tests.core.test_routing import BS, QC, make_db

AT = datetime(2026, 11, 2, 2, 0)
LAT, LON = 28.87, 118.35


def _north(meters: float) -> float:
    return LAT + meters / METERS_PER_DEGREE_LAT


def _inc(id_: str, *, cat: str = "wfjs", dlat_m: float = 0.0, hours: float = 0.0, state: str = "pending_dispatch",
         township: str = QC, lat: float | None = None, lon: float | None = LON, merged_into: str | None = None) -> Incident:
    return Incident(
        id=id_,
        township_code=township,
        title=f"事件{id_}",
        category_code=cat,
        state=state,
        lat=_north(dlat_m) if lat is None else lat,
        lon=lon,
        created_at=AT + timedelta(hours=hours),
        updated_at=AT,
        merged_into_id=merged_into,
    )


@pytest.fixture
def db(tmp_path):
    engine, factory = make_db(tmp_path)
    with factory() as s, s.begin():
        s.add_all(
            [
                _inc("near-same", dlat_m=50, hours=-2),
                _inc("far-same", dlat_m=450, hours=-1),
                _inc("outside-radius", dlat_m=600),
                _inc("related", cat="lzgd", dlat_m=100, hours=-3),
                _inc("unrelated", cat="spaq", dlat_m=10),
                _inc("closed", dlat_m=20, state="closed"),
                _inc("too-old", dlat_m=20, hours=-100),
                _inc("later", dlat_m=30, hours=+5),
                _inc("other-township", dlat_m=40, township=BS),
                _inc("merged-away", dlat_m=40, merged_into="near-same"),
                _inc("no-location", lat=None, lon=None, dlat_m=0),
            ]
        )
        # a bounding-box corner: inside the box, outside the circle
        s.add(_inc("corner", dlat_m=400, lon=LON + 400 / (METERS_PER_DEGREE_LAT * 0.8756)))
    yield factory
    engine.dispose()


def test_haversine():
    assert haversine_m(LAT, LON, LAT, LON) == 0
    assert abs(haversine_m(LAT, LON, _north(1000), LON) - 1000) < 5


def test_related_categories_are_symmetric(db):
    with db() as s:
        assert related_categories(s, "wfjs") == {"wfjs", "lzgd"}
        assert related_categories(s, "lzgd") == {"wfjs", "lzgd"}
        assert related_categories(s, "spaq") == {"spaq"}


def test_candidates_filter_and_order(db):
    with db() as s:
        got = duplicate_candidates(s, township_code=QC, category_code="wfjs", lat=LAT, lon=LON, at=AT)
    ids = [c.incident_id for c in got]
    # score = 0.5 nearness + 0.3 closeness in time + 0.2 same category
    assert ids == ["later", "near-same", "related", "far-same"]
    near = next(c for c in got if c.incident_id == "near-same")
    assert 45 < near.distance_m < 55 and near.hours_apart == 2 and near.same_category
    rel = next(c for c in got if c.incident_id == "related")
    assert not rel.same_category
    scores = [c.score for c in got]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= c.score <= 1 for c in got)


def test_candidates_radius_window_limit_and_exclusions(db):
    with db() as s:
        wide = duplicate_candidates(s, township_code=QC, category_code="wfjs", lat=LAT, lon=LON, at=AT,
                                    radius_m=1000, window_hours=200)
        assert {"outside-radius", "too-old", "corner"} <= {c.incident_id for c in wide}
        short = duplicate_candidates(s, township_code=QC, category_code="wfjs", lat=LAT, lon=LON, at=AT,
                                     window_hours=1.5)
        assert {c.incident_id for c in short} == {"far-same"}
        one = duplicate_candidates(s, township_code=QC, category_code="wfjs", lat=LAT, lon=LON, at=AT, limit=1)
        assert len(one) == 1
        excl = duplicate_candidates(s, township_code=QC, category_code="wfjs", lat=LAT, lon=LON, at=AT,
                                    exclude_ids=["near-same", "later"])
        assert "near-same" not in {c.incident_id for c in excl}
        any_township = duplicate_candidates(s, township_code=None, category_code="wfjs", lat=LAT, lon=LON, at=AT)
        assert "other-township" in {c.incident_id for c in any_township}


def test_candidates_without_location_are_same_category_in_township(db):
    with db() as s:
        got = duplicate_candidates(s, township_code=QC, category_code="wfjs", lat=None, lon=None, at=AT)
    ids = {c.incident_id for c in got}
    assert "related" not in ids and "closed" not in ids and "too-old" not in ids
    assert {"near-same", "no-location", "outside-radius"} <= ids
    assert all(c.distance_m is None for c in got)
