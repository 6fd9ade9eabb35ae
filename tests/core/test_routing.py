"""Routing: township by point-in-polygon, zone, matter by the list version in force.

Also holds the small hand-built reference database (two square townships, a
zone, departments, categories, two list versions) that the other domain tests
import: ``from tests.core.test_routing import make_db``.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from commandroom.domain.models import (
    Base,
    Department,
    EventCategory,
    Matter,
    MatterListVersion,
    TeamMember,
    Township,
    UrgencyLevel,
    Zone,
)
from commandroom.services.routing import (
    OUTSIDE_LIST_DEPARTMENT_DUTY,
    OUTSIDE_LIST_NAME,
    OUTSIDE_LIST_TOWNSHIP_DUTY,
    invalidate_routing_cache,
    route,
    township_at,
)
from commandroom.store.db import make_engine, session_factory

QC = "330822111"  # 球川镇: lon 118.30–118.40, lat 28.82–28.92
BS = "330822104"  # 白石镇: lon 118.40–118.50, lat 28.88–28.98
TM = "330822001"  # 天马街道: no boundary in this fixture

QC_POINT = (28.87, 118.35)
BS_POINT = (28.93, 118.45)
OUTSIDE_POINT = (28.80, 118.45)  # south of 白石, east of 球川: in neither square

V1_FROM = date(2026, 1, 1)
V2_FROM = date(2026, 10, 1)


def _square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def populate(session) -> None:
    """Insert the minimal reference data by hand."""
    session.add(Zone(id="QC", name="球川片区", hub_code=QC, member_codes=[QC, BS, "330822211"]))
    session.add_all(
        [
            Township(code=QC, name="球川镇", short_name="球川", kind="镇", seat_lat=28.87, seat_lon=118.35,
                     number_prefix="QC", zone_id="QC", area_geojson=_square(118.30, 28.82, 118.40, 28.92)),
            Township(code=BS, name="白石镇", short_name="白石", kind="镇", seat_lat=28.93, seat_lon=118.45,
                     number_prefix="BS", zone_id="QC",
                     area_geojson={"type": "Feature", "properties": {},
                                   "geometry": _square(118.40, 28.88, 118.50, 28.98)}),
            Township(code=TM, name="天马街道", short_name="天马", kind="街道", seat_lat=28.904, seat_lon=118.505,
                     number_prefix="TM", zone_id=None, area_geojson=None),
        ]
    )
    session.add_all(
        [
            Department(code="ZF", name="常山县综合行政执法局", short_name="执法局"),
            Department(code="ZRZY", name="常山县自然资源和规划局", short_name="自然资源局"),
            Department(code="SCJG", name="常山县市场监督管理局", short_name="市场监管局"),
            Department(code="SHZL", name="常山县社会治理中心", short_name="社会治理中心"),
        ]
    )
    session.add_all(
        [
            EventCategory(code="wfjs", name="违法建设", module="平安法治", related=["lzgd"]),
            EventCategory(code="lzgd", name="乱占耕地", module="平安法治", related=[]),
            EventCategory(code="wt", name="城区机动车违停", module="平安法治", related=[]),
            EventCategory(code="yc", name="渣土扬尘", module="平安法治", related=[]),
            EventCategory(code="spaq", name="食品安全", module="经济生态", related=[]),
            EventCategory(code="qt", name="其他事项", module="公共服务", related=[]),
        ]
    )
    session.add_all(
        [
            UrgencyLevel(code="L1", name="紧急", ack_minutes=30, onsite_minutes=60, close_workdays=1,
                         working_time=False),
            UrgencyLevel(code="L2", name="较急", ack_minutes=120, onsite_minutes=240, close_workdays=3),
            UrgencyLevel(code="L3", name="一般", ack_minutes=420, onsite_minutes=840, close_workdays=5),
            UrgencyLevel(code="L4", name="疑难复杂", ack_minutes=420, onsite_minutes=1260, close_workdays=7),
        ]
    )
    v1 = MatterListVersion(id="v1", version=1, effective_from=V1_FROM, title="2026年第一版")
    v2 = MatterListVersion(id="v2", version=2, effective_from=V2_FROM, title="2026年动态调整")
    session.add_all([v1, v2])
    session.flush()

    def m(version: str, code: str, name: str, cats: list[str], lead: str, **kw) -> Matter:
        return Matter(id=f"{version}-{code}", version_id=version, code=code, name=name, field="综合执法",
                      category_codes=cats, lead_department_code=lead, township_duty=f"{name}：乡镇发现、劝导、报告",
                      department_duty=f"{name}：部门查处", **kw)

    session.add_all(
        [
            # several matters may list a category: M00 lists 违法建设 second, M01 first
            m("v1", "M00", "乱占耕地建房", ["lzgd", "wfjs"], "ZRZY"),
            m("v1", "M01", "违法建设查处", ["wfjs"], "ZF", is_enforcement=True),
            m("v1", "M02", "扬尘污染处置", ["yc"], "ZF", limits={"L2": {"ack_minutes": 60}},
              one_thing_code="OT-YC"),
            m("v1", "M03", "食品安全监管", ["spaq"], "SCJG"),
            # version 2: 违法建设 moves to 自然资源局, 违停 joins the list
            m("v2", "M00", "乱占耕地建房", ["wfjs", "lzgd"], "SCJG"),
            m("v2", "M01", "违法建设查处", ["wfjs", "lzgd"], "ZRZY", is_enforcement=True, default_for=["wfjs", "lzgd"]),
            m("v2", "M02", "扬尘污染处置", ["yc"], "ZF", limits={"L2": {"ack_minutes": 60}},
              one_thing_code="OT-YC"),
            m("v2", "M03", "食品安全监管", ["spaq"], "SCJG"),
            m("v2", "M04", "城区机动车违停治理", ["wt"], "ZF", is_enforcement=True),
        ]
    )
    # two certified members of the QC team (dispatch tests name them as crew and lead)
    session.add_all([
        TeamMember(id=mid, township_code=QC, zone_id="QC", name=name, origin="enforcement_bureau",
                   cert_no=f"ZJ-{mid}", cert_expiry=date(2030, 12, 31))
        for mid, name in (("m1", "张队员"), ("m2", "李队员"))
    ])


def make_db(tmp_path, name: str = "domain.db"):
    """A fresh SQLite file with the schema and the minimal reference data; returns (engine, factory)."""
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        populate(s)
    return engine, factory


@pytest.fixture
def db(tmp_path):
    engine, factory = make_db(tmp_path)
    yield factory
    invalidate_routing_cache()
    engine.dispose()


# ----------------------------------------------------------------------------- township_at


def test_township_at_finds_the_square_containing_the_point(db):
    with db() as s:
        assert township_at(s, *QC_POINT) == QC
        assert township_at(s, *BS_POINT) == BS  # stored as a GeoJSON Feature


def test_township_at_outside_every_area_is_none_not_the_nearest_seat(db):
    with db() as s:
        assert township_at(s, *OUTSIDE_POINT) is None
        # the seat of 天马 has no boundary in this fixture: its seat point is not matched either
        assert township_at(s, 28.904, 118.505) is None
        assert township_at(s, 0.0, 0.0) is None


def test_township_at_shared_border_is_deterministic(db):
    with db() as s:
        # lon 118.40 between lat 28.88 and 28.92 is on both squares' edge: the lower code wins
        assert township_at(s, 28.90, 118.40) == min(QC, BS)


def test_township_cache_is_per_database_and_can_be_invalidated(db, tmp_path):
    with db() as s:
        assert township_at(s, *QC_POINT) == QC
        s.get(Township, QC).area_geojson = _square(0, 0, 1, 1)
        s.commit()
        assert township_at(s, *QC_POINT) == QC  # cached
        invalidate_routing_cache(s)
        assert township_at(s, *QC_POINT) is None
        assert township_at(s, 0.5, 0.5) == QC
    other_engine, other = make_db(tmp_path, "other.db")
    with other() as s2:
        assert township_at(s2, *QC_POINT) == QC  # another database has its own cache
    other_engine.dispose()


# ----------------------------------------------------------------------------- route


def test_route_by_point_uses_zone_and_matter(db):
    with db() as s:
        r = route(s, category_code="yc", lat=BS_POINT[0], lon=BS_POINT[1], at=datetime(2026, 11, 2, 2, 0))
    assert r.township_code == BS
    assert r.zone_id == "QC"
    assert (r.matter_code, r.matter_version, r.lead_department_code) == ("M02", 2, "ZF")
    assert r.limits == {"L2": {"ack_minutes": 60}}
    assert r.one_thing_code == "OT-YC"
    assert not r.outside_list


def test_route_uses_the_version_in_force_at_the_time(db):
    with db() as s:
        before = route(s, category_code="wfjs", township_code=QC, at=datetime(2026, 9, 30, 12, 0))
        after = route(s, category_code="wfjs", township_code=QC, at=datetime(2026, 10, 1, 1, 0))
        # 2026-09-30 16:30 UTC is already 10-01 00:30 in Shanghai: version 2 is in force
        edge = route(s, category_code="wfjs", township_code=QC, at=datetime(2026, 9, 30, 16, 30))
    assert (before.matter_version, before.lead_department_code) == (1, "ZF")
    assert (after.matter_version, after.lead_department_code) == (2, "ZRZY")
    assert edge.matter_version == 2
    assert before.is_enforcement and after.is_enforcement


def test_route_category_outside_the_list(db):
    with db() as s:
        r = route(s, category_code="wt", township_code=QC, at=datetime(2026, 6, 1))  # 违停 only joins in v2
        q = route(s, category_code="qt", township_code=QC, at=datetime(2026, 11, 1))
    for x in (r, q):
        assert x.outside_list
        assert x.matter_code is None and x.lead_department_code is None
        assert x.matter_name == OUTSIDE_LIST_NAME
        assert x.township_duty == OUTSIDE_LIST_TOWNSHIP_DUTY == "乡镇受理、县乡联办"
        assert x.department_duty == OUTSIDE_LIST_DEPARTMENT_DUTY
    assert r.matter_version == 1


def test_route_before_any_version_is_outside_the_list(db):
    with db() as s:
        r = route(s, category_code="wfjs", township_code=QC, at=datetime(2025, 12, 1))
    assert r.outside_list and r.matter_version is None


def test_route_outside_the_county_has_no_township(db):
    with db() as s:
        r = route(s, category_code="wfjs", lat=OUTSIDE_POINT[0], lon=OUTSIDE_POINT[1], at=datetime(2026, 11, 1))
    assert r.township_code is None and r.zone_id is None
    assert r.matter_code == "M01"


def test_route_prefers_default_then_primary_category(db):
    with db() as s:
        v1_wfjs = route(s, category_code="wfjs", township_code=QC, at=datetime(2026, 6, 1))
        v1_lzgd = route(s, category_code="lzgd", township_code=QC, at=datetime(2026, 6, 1))
        v2_lzgd = route(s, category_code="lzgd", township_code=QC, at=datetime(2026, 11, 1))
    assert v1_wfjs.matter_code == "M01"  # its first category, although M00 has the lower code
    assert v1_lzgd.matter_code == "M00"
    assert v2_lzgd.matter_code == "M01"  # the declared default for the category


def test_route_township_without_zone(db):
    with db() as s:
        r = route(s, category_code="spaq", township_code=TM, at=datetime(2026, 11, 1))
    assert r.zone_id is None and r.lead_department_code == "SCJG"


def test_routing_is_hashable_and_comparable(db):
    with db() as s:
        a = route(s, category_code="yc", township_code=QC, at=datetime(2026, 11, 1))
        b = route(s, category_code="yc", township_code=QC, at=datetime(2026, 11, 1))
    assert a == b and hash(a) == hash(b)


def test_seeded_reference_data_routes_a_point(request):
    """With the real seed, a point at 天马's seat routes to a township of the county."""
    url = request.getfixturevalue("seeded_sqlite")
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            count = len(list(s.scalars(select(Township.code).where(Township.area_geojson.is_not(None)))))
            if not count:
                pytest.skip("seeded township areas are not available")
            code = township_at(s, 28.90403, 118.50549)
            assert code is not None and code.startswith("330822")
    finally:
        invalidate_routing_cache()
        engine.dispose()
