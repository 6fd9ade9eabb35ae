"""Dispatch mutations and their effect on the incident."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from commandroom.domain.errors import IllegalTransition, NotFound, ValidationError
from commandroom.domain.models import Dispatch, Incident
from tests.core.test_incident_mutations import NOW, OTHER, Room
from tests.core.test_routing import make_db


@pytest.fixture
def room(tmp_path):
    engine, factory = make_db(tmp_path)
    r = Room(factory)
    r.dispatched()
    yield r
    engine.dispose()


def test_field_flow_moves_the_incident(room):
    t1, t2, t3, t4 = (NOW + timedelta(minutes=m) for m in (5, 10, 40, 90))
    room.run("dispatch.acknowledge", "d1", {}, now=t1)
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.acknowledged_at) == ("acknowledged", t1)
    room.run("dispatch.en_route", "d1", {}, now=t2)
    room.run("dispatch.on_scene", "d1", {"note": "到达"}, now=t3)
    inc = room.get(Incident, "i1")
    assert inc.onsite_at == t3 and inc.state == "acknowledged"
    room.run("dispatch.done", "d1", {}, now=t4)
    d = room.get(Dispatch, "d1")
    assert (d.state, d.acknowledged_at, d.en_route_at, d.on_scene_at, d.done_at) == ("done", t1, t2, t3, t4)
    assert d.updated_at == t4
    tl = room.timeline("i1")
    assert [e.action for e in tl][-4:] == ["dispatch.acknowledge", "dispatch.en_route", "dispatch.on_scene",
                                           "dispatch.done"]
    ack = tl[-4]
    assert (ack.from_state, ack.to_state) == ("dispatched", "acknowledged")
    assert ack.data["dispatch_from"] == "assigned" and ack.data["dispatch_to"] == "acknowledged"
    assert tl[-3].from_state is None  # the incident did not move
    assert tl[-1].data.get("all_dispatches_ended") is True


def test_offline_times_are_kept_but_bounded(room):
    # pressed 09:20 Shanghai while offline; the server sees it at 11:00
    room.run("dispatch.on_scene", "d1", {"at": "2026-11-02T09:20:00+08:00"}, now=NOW + timedelta(hours=2))
    d = room.get(Dispatch, "d1")
    assert d.on_scene_at == datetime(2026, 11, 2, 1, 20)
    assert d.acknowledged_at == datetime(2026, 11, 2, 1, 20)  # arriving implies acknowledging
    inc = room.get(Incident, "i1")
    assert inc.onsite_at == datetime(2026, 11, 2, 1, 20) and inc.state == "acknowledged"
    # a time in the future is clamped to the server's clock; one before the assignment to the assignment
    room2 = room
    room2.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZF", "dispatch_id": "d2"})
    room2.run("dispatch.acknowledge", "d2", {"at": "2030-01-01T00:00:00Z"})
    assert room2.get(Dispatch, "d2").acknowledged_at == NOW
    room2.run("dispatch.en_route", "d2", {"at": "2020-01-01T00:00:00Z"})
    assert room2.get(Dispatch, "d2").en_route_at == NOW


def test_repeated_and_late_dispatch_actions_are_merged(room):
    room.run("dispatch.acknowledge", "d1", {})
    assert room.run("dispatch.acknowledge", "d1", {}, actor=OTHER).status == "merged"
    room.run("dispatch.on_scene", "d1", {})
    assert room.run("dispatch.en_route", "d1", {}, actor=OTHER).status == "merged"  # overtaken
    room.run("dispatch.done", "d1", {})
    ctx = room.run("dispatch.cancel", "d1", {"note": "撤回"}, actor=OTHER)
    assert ctx.status == "merged" and "完成" in ctx.explanation
    assert room.get(Dispatch, "d1").state == "done"


def test_cancel_needs_a_note_and_illegal_steps_raise(room):
    room.fails(ValidationError, "dispatch.cancel", "d1", {})
    room.fails(IllegalTransition, "dispatch.done", "d1", {})  # not even acknowledged
    room.fails(ValidationError, "dispatch.on_scene", "d1", {"at": "soon"})
    room.fails(NotFound, "dispatch.acknowledge", "nope", {})
    room.run("dispatch.cancel", "d1", {"note": "派错队伍"})
    assert room.get(Dispatch, "d1").state == "cancelled"
    assert room.get(Incident, "i1").state == "dispatched"  # the room re-dispatches explicitly
    assert room.timeline("i1")[-1].note == "派错队伍"


def test_actions_on_a_dispatch_of_a_previous_round_do_not_move_the_incident(room):
    room.run("incident.return", "i1", {"reason": "非本队职责"})
    assert room.get(Dispatch, "d1").state == "cancelled"
    assert room.run("dispatch.acknowledge", "d1", {}).status == "merged"
    room.run("incident.dispatch", "i1", {"target_kind": "team", "target_code": "QC", "dispatch_id": "d2"})
    d2 = room.get(Dispatch, "d2")
    assert d2.lifecycle_epoch == 1
    room.run("dispatch.acknowledge", "d2", {})
    assert room.get(Incident, "i1").state == "acknowledged"


def test_incident_acknowledge_takes_the_assigned_dispatches(room):
    room.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZF", "dispatch_id": "d2"})
    # 依单履责: the room's plain 签收 does not sign for a department; a proxy entry (代录) with a reason does
    room.run("incident.acknowledge", "i1", {"dispatch_id": "d2", "proxy_reason": "执法局电话告知已签收"})
    d2 = room.get(Dispatch, "d2")
    assert d2.state == "acknowledged" and d2.proxy_reason == "执法局电话告知已签收" and d2.proxy_by
    assert room.timeline("i1")[-1].data["proxy"]["for"] == ["ZF"]
    assert room.get(Dispatch, "d1").state == "assigned"
    room.run("incident.start", "i1", {})
    assert room.get(Dispatch, "d1").state == "acknowledged"
    room.run("incident.close", "i1", {"note": "处置完毕"})
    assert {room.get(Dispatch, d).state for d in ("d1", "d2")} == {"done"}


def test_the_rooms_plain_acknowledge_leaves_a_departments_dispatch_to_the_department(room):
    room.run("incident.return", "i1", {"reason": "改派部门"})
    room.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZF", "dispatch_id": "d2"})
    room.run("incident.acknowledge", "i1", {})
    assert room.get(Dispatch, "d2").state == "assigned" and room.get(Dispatch, "d2").acknowledged_at is None
    assert "proxy" not in (room.timeline("i1")[-1].data or {})
