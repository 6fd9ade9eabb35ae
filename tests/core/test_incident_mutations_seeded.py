"""Report → incident → dispatch → close against the real seeded reference data (when the seed is available)."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from commandroom.domain.models import Dispatch, Incident, Report, Township
from commandroom.services.routing import invalidate_routing_cache, township_at
from commandroom.store.db import make_engine, session_factory
from tests.core.test_incident_mutations import NOW, Room

QC = "330822111"


@pytest.fixture
def seeded_room(request):
    url = request.getfixturevalue("seeded_sqlite")
    engine = make_engine(url)
    yield Room(session_factory(engine))
    invalidate_routing_cache()
    engine.dispose()


def test_every_seeded_township_area_routes_its_own_interior_point(seeded_room):
    with seeded_room.factory() as s:
        towns = [t for t in s.query(Township).order_by(Township.code) if t.area_geojson]
        assert towns
        for t in towns:
            p = shape(t.area_geojson).representative_point()
            assert township_at(s, p.y, p.x) == t.code, t.name


def test_seeded_report_to_closed_incident(seeded_room):
    room = seeded_room
    with room.factory() as s:
        area = shape(s.get(Township, QC).area_geojson)
    p = area.representative_point()
    room.run("report.create", "r1", {"source": "grid_patrol", "category_code": "urban_parking",
                                     "description": "镇区主干道机动车违停，堵塞交通", "lat": p.y, "lon": p.x,
                                     "address": "球川镇镇区"})
    assert room.get(Report, "r1").township_code == QC
    room.run("report.accept", "r1", {"incident_id": "i1"})
    inc = room.get(Incident, "i1")
    assert inc.zone_id == "QC" and not inc.outside_list
    assert inc.matter_code == "CE-02" and inc.matter_version == 1
    assert inc.close_due is not None and inc.close_due > NOW
    assert "违停" in inc.search_text.split()
    room.run("incident.dispatch", "i1", {"target_kind": "team", "target_code": "QC", "dispatch_id": "d1"})
    room.run("dispatch.on_scene", "d1", {})
    room.run("incident.close", "i1", {"note": "已劝离"})
    assert room.get(Incident, "i1").state == "closed"
    assert room.get(Dispatch, "d1").state == "done"
