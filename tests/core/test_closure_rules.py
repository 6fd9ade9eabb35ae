"""Verified closure (闭环) against the shipped reference data: what each category asks, refusals in the
officer's words with nothing written, the room's override, who may verify, and a rejected closure."""

from __future__ import annotations

import pytest
from shapely.geometry import shape

from commandroom.domain.errors import ClosureRefused, Forbidden
from commandroom.domain.models import Grid, Incident, Township
from commandroom.mutations.core import Actor
from commandroom.refdata.loader import read_reference
from commandroom.services.closure import parse_rule
from commandroom.services.routing import invalidate_routing_cache
from commandroom.store.db import make_engine, session_factory
from tests.core.test_incident_mutations import Room
from tests.core.test_incident_mutations_seeded import QC

PHOTO = "c" * 64


@pytest.fixture
def seeded_room(request):
    engine = make_engine(request.getfixturevalue("seeded_sqlite"))
    yield Room(session_factory(engine))
    invalidate_routing_cache()
    engine.dispose()


def _incident(room, category: str, grid: str | None = None) -> None:
    with room.factory() as s:
        p = shape(s.get(Township, QC).area_geojson).representative_point()
        grid = grid or s.query(Grid).filter(Grid.township_code == QC).first().id
    room.run("report.create", "r1", {"source": "grid_patrol", "category_code": category, "description": "现场情况",
                                     "lat": p.y, "lon": p.x, "grid_id": grid})
    room.run("report.accept", "r1", {"incident_id": "i1"})


def _grid_worker(grid: str | None) -> Actor:
    return Actor(user_id="u-gw", name="王网格", role="grid_worker", scope_kind="grid", scope_code=grid,
                 township_code=QC, device_id="phone-1")


def test_the_shipped_rules_are_sensible_and_checked():
    ref = read_reference()
    rules = {c["code"]: c["closure"] for c in ref.categories}
    assert rules["muck_dust"] == {"photos": "before_after", "verify": "grid_worker"}
    assert rules["fire_hazard"] == {"photos": "after", "verify": "both"}
    assert rules["dispute"] is None and rules["urban_parking"] is None  # no photo asked, the room closes
    assert parse_rule("after/both") == ({"photos": "after", "verify": "both"}, [])
    assert parse_rule({"photos": "some", "verify": "mayor"})[1] == [
        "closure photos must be one of none, after, before_after, got 'some'",
        "closure verify must be one of room, grid_worker, both, got 'mayor'"]


def test_close_is_refused_with_what_is_missing_and_allowed_with_a_reason(seeded_room):
    room = seeded_room
    _incident(room, "muck_dust")
    before = room.counts()
    err = room.fails(ClosureRefused, "incident.close", "i1", {"note": "已处理", "photos_after": [PHOTO]})
    assert err.message == ("不能结案：此类事项结案要求：需处置前、处置后照片，上报网格员核查。"
                           "目前缺少处置前照片；尚待网格员核查。请补充后再结案，或说明理由后强制结案。")
    assert room.counts() == before and room.get(Incident, "i1").state == "pending_dispatch"
    room.run("incident.close", "i1", {"note": "已处理", "photos_after": [PHOTO], "override_reason": "网格员请假"})
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.closure_override, inc.verifications) == ("closed", "网格员请假", ["room"])
    assert room.timeline("i1")[-1].data["missing"].startswith("此类事项结案要求")


def test_only_the_grid_worker_of_that_grid_verifies_and_a_rejection_reopens_to_the_team(seeded_room):
    room = seeded_room
    with room.factory() as s:
        grids = [g.id for g in s.query(Grid).filter(Grid.township_code == QC).limit(2)]
    _incident(room, "muck_dust", grids[0])
    room.run("incident.dispatch", "i1", {"target_kind": "team", "target_code": "QC", "dispatch_id": "d1"})
    room.run("incident.start", "i1", {})
    room.run("incident.submit", "i1", {"photos_after": [PHOTO]})
    # the room may not verify a matter the reporting grid worker verifies
    err = room.fails(ClosureRefused, "incident.verify", "i1", {"passed": True})
    assert "上报网格员核查" in err.message and "办结" in err.message
    # a grid worker of another grid may not either
    room.fails(Forbidden, "incident.verify", "i1", {"passed": True}, actor=_grid_worker(grids[1]))
    # that grid's worker rejects: back to the team, in handling, with the reason
    room.run("incident.reject_closure", "i1", {"reason": "渣土仍未清运", "photos": [PHOTO]},
             actor=_grid_worker(grids[0]))
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.assignee_code) == ("in_progress", "QC")
    assert room.timeline("i1")[-1].note == "渣土仍未清运"
    room.run("incident.submit", "i1", {})
    err = room.fails(ClosureRefused, "incident.verify", "i1", {"passed": True}, actor=_grid_worker(grids[0]))
    assert "缺少处置前照片" in err.message  # the rule asks before-photos too: not closed without them
    room.run("incident.verify", "i1", {"passed": False, "note": "请补处置前照片"}, actor=_grid_worker(grids[0]))
    room.run("incident.submit", "i1", {"photos_before": ["d" * 64]})
    room.run("incident.verify", "i1", {"passed": True}, actor=_grid_worker(grids[0]))
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.verifications) == ("closed", ["grid_worker"])
    # rejected after it was closed: reopened to the team
    room.run("incident.reject_closure", "i1", {"reason": "又堆上了"}, actor=_grid_worker(grids[0]))
    assert room.get(Incident, "i1").state == "in_progress"
