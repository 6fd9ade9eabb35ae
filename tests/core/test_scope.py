"""Which townships and zones an actor sees: one rule for the desk's screens and the server's sync buckets."""

from __future__ import annotations

import pytest

from commandroom.mutations.core import Actor
from commandroom.queries.scope import home_township, is_county, resolve, townships_of
from commandroom.store.db import make_engine, session_factory
from commandroom.sync.buckets import scope_buckets_and_townships

QC = "330822111"


@pytest.fixture
def session(seeded_sqlite):
    engine = make_engine(seeded_sqlite)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


def _actor(kind: str, code: str | None, home: str | None = None) -> Actor:
    return Actor(user_id="u", name="某人", role="duty_officer", scope_kind=kind, scope_code=code, township_code=home)


def test_each_kind_of_scope(session):
    county, zone, town = _actor("county", None), _actor("zone", "QC", QC), _actor("township", QC, QC)
    assert is_county(county) and townships_of(county, session) is None and resolve(county, session).zones is None
    assert set(townships_of(zone, session)) == {"330822111", "330822104", "330822211"}
    assert resolve(zone, session).zones == ("QC",)
    assert townships_of(town, session) == (QC,) and resolve(town, session).zones == ("QC",)
    assert home_township(zone) == QC and home_township(town) == QC and home_township(county) is None
    assert resolve(town, session).narrow(["330822104", QC]) == (QC,)


def test_the_sync_buckets_cover_the_same_townships(session):
    """What the server sends a desk and what the desk's screens show are the same townships."""
    for actor in (_actor("zone", "QC", QC), _actor("township", QC, QC)):
        _buckets, towns = scope_buckets_and_townships(session, actor.scope_kind, actor.scope_code)
        assert tuple(towns) == townships_of(actor, session)
    _buckets, towns = scope_buckets_and_townships(session, "county", None)
    assert len(towns) > 10 and townships_of(_actor("county", None), session) is None
