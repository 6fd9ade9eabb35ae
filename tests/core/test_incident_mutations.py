"""Report and incident mutations: happy paths, merge semantics, clear errors, nothing written on failure.

Shared helpers for the other mutation test files live here too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from commandroom.domain.errors import IllegalTransition, NotFound, ValidationError
from commandroom.domain.models import (
    Base,
    Dispatch,
    Grid,
    Incident,
    Report,
    TimelineEntry,
    Village,
    row_to_dict,
)
from commandroom.mutations import Actor, MutationContext, apply_mutation
from commandroom.services.deadlines import compute_deadlines, load_levels
from commandroom.services.routing import invalidate_routing_cache
from commandroom.services.search import search_tokens
from tests.core.test_routing import BS, OUTSIDE_POINT, QC, QC_POINT, make_db

NOW = datetime(2026, 11, 2, 1, 0)  # Monday 09:00 in Shanghai; not the wall clock
OFFICER = Actor(user_id="u-zhang", name="张三", role="duty_officer", township_code=QC, device_id="dev-1",
                device_name="球川指挥室1号机")
OTHER = Actor(user_id="u-li", name="李四", role="duty_officer", township_code=QC, device_id="dev-2",
              device_name="球川指挥室2号机")
PHOTO = "a" * 64
PHOTO2 = "b" * 64


def _numbers() -> Any:
    counter = {"n": 0}

    def alloc(obj: Any, kind: str) -> str:
        counter["n"] += 1
        return f"{kind[:3].upper()}-2026-{counter['n']:06d}"

    return alloc


class Room:
    """A domain database plus a helper that runs one mutation per transaction, like the server does."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.alloc = _numbers()

    def run(self, name: str, entity_id: str, args: dict[str, Any], *, now: datetime = NOW,
            actor: Actor = OFFICER) -> MutationContext:
        with self.factory() as s, s.begin():
            ctx = MutationContext(s, actor, now=now, on_server=True, number_allocator=self.alloc)
            ctx.changes = apply_mutation(ctx, name, entity_id, args)
        return ctx

    def get(self, model: Any, ident: str) -> Any:
        with self.factory() as s:
            obj = s.get(model, ident)
            if obj is not None:
                s.expunge(obj)
            return obj

    def counts(self) -> dict[str, int]:
        with self.factory() as s:
            return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in Base.metadata.sorted_tables}

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        with self.factory() as s:
            rows = list(s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                                  .order_by(TimelineEntry.at, TimelineEntry.id)))
            for r in rows:
                s.expunge(r)
            return rows

    def fails(self, exc: type[Exception], name: str, entity_id: str, args: dict[str, Any], **kw: Any) -> Exception:
        """The mutation raises ``exc`` and leaves every table exactly as it was."""
        before = self.counts()
        snapshot = self._snapshot()
        with pytest.raises(exc) as info:
            self.run(name, entity_id, args, **kw)
        assert self.counts() == before
        assert self._snapshot() == snapshot
        return info.value

    def _snapshot(self) -> dict[str, Any]:
        with self.factory() as s:
            return {
                "report": [row_to_dict(r) for r in s.scalars(select(Report).order_by(Report.id))],
                "incident": [row_to_dict(r) for r in s.scalars(select(Incident).order_by(Incident.id))],
                "dispatch": [row_to_dict(r) for r in s.scalars(select(Dispatch).order_by(Dispatch.id))],
            }

    # --- shortcuts

    def report(self, rid: str = "r1", **over: Any) -> Report:
        args = {
            "source": "grid_patrol",
            "category_code": "wfjs",
            "description": "村口新建违章建筑，正在浇筑",
            "lat": QC_POINT[0],
            "lon": QC_POINT[1],
            "address": "球川镇某村村口",
            "photos": [PHOTO],
            "urgency_hint": "L2",
        }
        args.update(over)
        self.run("report.create", rid, args, now=over.pop("_now", NOW) if "_now" in over else NOW)
        return self.get(Report, rid)

    def incident(self, rid: str = "r1", iid: str = "i1", **accept: Any) -> Incident:
        self.report(rid)
        self.run("report.accept", rid, {"incident_id": iid, **accept})
        return self.get(Incident, iid)

    def dispatched(self, iid: str = "i1", did: str = "d1") -> Incident:
        self.incident(iid=iid)
        self.run("incident.dispatch", iid, {"target_kind": "team", "target_code": "QC", "member_ids": ["m1", "m2"],
                                            "lead_member_id": "m1", "dispatch_id": did})
        return self.get(Incident, iid)


@pytest.fixture
def room(tmp_path):
    engine, factory = make_db(tmp_path)
    yield Room(factory)
    invalidate_routing_cache()
    engine.dispose()


# ----------------------------------------------------------------------------- report.create


def test_report_create_locates_the_township_and_numbers_the_report(room):
    r = room.report()
    assert r.township_code == QC
    assert r.state == "new"
    assert r.number == "REP-2026-000001"
    assert r.reported_at == NOW and r.created_at == NOW and r.updated_at == NOW
    assert r.reporter_user_id == "u-zhang" and r.reporter_name == "张三"
    assert r.photos == [PHOTO] and r.urgency_hint == "L2"


def test_report_create_with_explicit_township_and_time(room):
    room.run("report.create", "r2", {"source": "hotline_12345", "category_code": "spaq", "description": "饭店卫生差",
                                     "township_code": BS, "reported_at": "2026-11-01T08:00:00+08:00",
                                     "reporter_name": "王五", "reporter_phone": "13800000000",
                                     "external_ref": "12345-001"})
    r = room.get(Report, "r2")
    assert r.township_code == BS and r.reported_at == datetime(2026, 11, 1, 0, 0)
    assert r.lat is None and r.reporter_name == "王五" and r.external_ref == "12345-001"


def test_report_create_township_from_grid(room):
    with room.factory() as s, s.begin():
        s.add(Village(id="v1", township_code=BS, name="白石村"))
        s.add(Grid(id="g1", village_id="v1", township_code=BS, name="白石村第一网格"))
    room.run("report.create", "r2", {"source": "grid_patrol", "category_code": "yc", "description": "工地扬尘",
                                     "grid_id": "g1"})
    assert room.get(Report, "r2").township_code == BS
    # a point in a gap between the approximate boundaries falls back to the grid's township
    room.run("report.create", "r3", {"source": "grid_patrol", "category_code": "yc", "description": "工地扬尘",
                                     "grid_id": "g1", "lat": OUTSIDE_POINT[0], "lon": OUTSIDE_POINT[1]})
    assert room.get(Report, "r3").township_code == BS
    # the point wins over the grid when it lies inside a township
    room.run("report.create", "r4", {"source": "grid_patrol", "category_code": "yc", "description": "工地扬尘",
                                     "grid_id": "g1", "lat": QC_POINT[0], "lon": QC_POINT[1]})
    assert room.get(Report, "r4").township_code == QC


def test_report_create_future_time_is_clamped_to_now(room):
    room.report(reported_at="2027-01-01T00:00:00Z")
    assert room.get(Report, "r1").reported_at == NOW


def test_report_create_twice_is_merged(room):
    room.report()
    ctx = room.run("report.create", "r1", {"source": "grid_patrol", "category_code": "wfjs", "description": "x",
                                           "township_code": QC})
    assert ctx.status == "merged"
    assert room.counts()["report"] == 1


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"source": "carrier_pigeon"}, "source"),
        ({"source": None}, "source"),
        ({"category_code": "nope"}, "category_code"),
        ({"description": "  "}, "description"),
        ({"lat": OUTSIDE_POINT[0], "lon": OUTSIDE_POINT[1]}, "lat/lon"),
        ({"lat": None, "lon": None}, "township_code"),
        ({"lon": None}, "lat/lon"),
        ({"lat": "28.8"}, "lat"),
        ({"photos": ["not-a-hash"]}, "photos"),
        ({"photos": "abc"}, "photos"),
        ({"urgency_hint": "L9"}, "urgency_hint"),
        ({"township_code": "999"}, "township_code"),
        ({"grid_id": "no-such-grid"}, "grid_id"),
        ({"reported_at": "yesterday"}, "reported_at"),
    ],
)
def test_report_create_errors_name_the_field_and_write_nothing(room, over, field):
    args = {"source": "grid_patrol", "category_code": "wfjs", "description": "违建", "lat": QC_POINT[0],
            "lon": QC_POINT[1]}
    for k, v in over.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    err = room.fails(ValidationError, "report.create", "r1", args)
    assert err.field == field


# ----------------------------------------------------------------------------- report.accept


def test_report_accept_creates_a_routed_incident_with_deadlines(room):
    room.report()
    ctx = room.run("report.accept", "r1", {"incident_id": "i1"})
    assert ctx.status == "applied"
    inc = room.get(Incident, "i1")
    assert inc.state == "pending_dispatch" and inc.lifecycle_epoch == 0
    assert inc.township_code == QC and inc.zone_id == "QC"
    assert (inc.matter_code, inc.matter_version, inc.lead_department_code) == ("M01", 2, "ZRZY")
    assert inc.is_enforcement and not inc.outside_list
    assert inc.urgency == "L2"  # from the hint
    assert inc.title == "违法建设·球川镇某村村口"
    assert inc.number == "INC-2026-000002"
    assert inc.photos_before == [PHOTO] and inc.report_count == 1
    assert inc.created_at == NOW and inc.updated_at == NOW
    with room.factory() as s:
        expected = compute_deadlines(NOW, "L2", {}, load_levels(s))
    assert (inc.ack_due, inc.onsite_due, inc.close_due) == (expected.ack_due, expected.onsite_due, expected.close_due)
    assert inc.ack_due == NOW + timedelta(hours=2)
    assert "违章" in inc.search_text.split() and "违法" in inc.search_text.split()  # category name too
    r = room.get(Report, "r1")
    assert (r.state, r.incident_id, r.triaged_by, r.triaged_at) == ("accepted", "i1", "u-zhang", NOW)
    (entry,) = room.timeline("i1")
    assert (entry.action, entry.from_state, entry.to_state) == ("create", None, "pending_dispatch")
    assert (entry.actor_name, entry.device_name, entry.at, entry.township_code) == ("张三", "球川指挥室1号机", NOW, QC)


def test_report_accept_routes_by_the_version_in_force_when_reported(room):
    # reported on 09-29 (version 1: 执法局 leads), accepted after version 2 took effect on 10-01
    room.report(reported_at="2026-09-29T10:00:00+08:00")
    room.run("report.accept", "r1", {"incident_id": "i1", "urgency": "L3", "title": "村口违建"})
    inc = room.get(Incident, "i1")
    assert (inc.matter_version, inc.lead_department_code) == (1, "ZF")
    assert inc.urgency == "L3" and inc.title == "村口违建"


def test_report_accept_outside_the_list(room):
    room.report(category_code="qt", urgency_hint=None)
    room.run("report.accept", "r1", {"incident_id": "i1"})
    inc = room.get(Incident, "i1")
    assert inc.outside_list and inc.matter_name == "清单外事项" and inc.township_duty == "乡镇受理、县乡联办"
    assert inc.lead_department_code is None and inc.urgency == "L3"


def test_report_accept_uses_matter_limits(room):
    room.report(category_code="yc")
    room.run("report.accept", "r1", {"incident_id": "i1"})
    inc = room.get(Incident, "i1")
    assert inc.ack_due == NOW + timedelta(minutes=60)  # the 扬尘 matter's L2 override


def test_report_accept_with_override_is_recorded(room):
    room.report()
    ctx = room.run("report.accept", "r1", {"incident_id": "i1", "override": {
        "matter_code": "M03", "lead_department_code": "SCJG", "reason": "实为无证食品作坊"}})
    inc = room.get(Incident, "i1")
    assert (inc.matter_code, inc.lead_department_code) == ("M03", "SCJG")
    assert inc.routing_override_reason == "实为无证食品作坊"
    actions = [e.action for e in room.timeline("i1")]
    assert actions == ["create", "override"]
    over = room.timeline("i1")[1]
    assert over.data["routed_matter_code"] == "M01" and over.data["routed_lead_department_code"] == "ZRZY"
    assert ctx.notices and ctx.notices[0]["rule"] == "routing_override"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "incident_id"),
        ({"incident_id": "i1", "urgency": "L5"}, "urgency"),
        ({"incident_id": "i1", "override": {"lead_department_code": "SCJG"}}, "override.reason"),
        ({"incident_id": "i1", "override": {"lead_department_code": "SCJG", "reason": " "}}, "override.reason"),
        ({"incident_id": "i1", "override": {"reason": "x"}}, "override"),
        ({"incident_id": "i1", "override": {"lead_department_code": "NOPE", "reason": "x"}},
         "override.lead_department_code"),
        ({"incident_id": "i1", "override": {"matter_code": "M99", "reason": "x"}}, "override.matter_code"),
        ({"incident_id": "i1", "override": "SCJG"}, "override"),
    ],
)
def test_report_accept_errors(room, args, field):
    room.report()
    err = room.fails(ValidationError, "report.accept", "r1", args)
    assert err.field == field
    assert room.get(Report, "r1").state == "new"


def test_report_accept_unknown_report(room):
    room.fails(NotFound, "report.accept", "nope", {"incident_id": "i1"})


def test_report_accept_twice_makes_one_incident(room):
    room.report()
    room.run("report.accept", "r1", {"incident_id": "i1"})
    ctx = room.run("report.accept", "r1", {"incident_id": "i2"}, actor=OTHER)
    assert ctx.status == "merged" and "已受理" in ctx.explanation
    assert room.get(Incident, "i2") is None
    assert room.counts()["incident"] == 1


def test_report_accept_into_an_existing_incident_id_fails(room):
    room.incident()
    room.report("r2")
    err = room.fails(ValidationError, "report.accept", "r2", {"incident_id": "i1"})
    assert err.field == "incident_id"


# ----------------------------------------------------------------------------- merge / unmerge / reject


def test_report_merge_and_unmerge(room):
    room.incident()
    room.report("r2", description="同一处违建，邻居投诉扬尘")
    room.report("r3")
    room.run("report.merge", "r2", {"incident_id": "i1"})
    room.run("report.merge", "r3", {"incident_id": "i1"}, actor=OTHER)
    inc = room.get(Incident, "i1")
    assert inc.report_count == 3
    assert "扬尘" in inc.search_text.split()  # merged report text is searchable
    r2 = room.get(Report, "r2")
    assert (r2.state, r2.incident_id) == ("merged", "i1")
    assert [e.action for e in room.timeline("i1")] == ["create", "merge_report", "merge_report"]
    # a second merge of the same report is merged (no double count)
    assert room.run("report.merge", "r2", {"incident_id": "i1"}).status == "merged"
    assert room.get(Incident, "i1").report_count == 3
    # undo
    room.run("report.unmerge", "r2", {})
    assert room.get(Incident, "i1").report_count == 2
    assert room.get(Report, "r2").state == "new" and room.get(Report, "r2").incident_id is None
    assert "扬尘" not in room.get(Incident, "i1").search_text.split()
    assert room.run("report.unmerge", "r2", {}).status == "merged"
    assert room.timeline("i1")[-1].action == "unmerge_report"


def test_report_merge_errors(room):
    room.incident()
    room.report("r2")
    room.fails(ValidationError, "report.merge", "r2", {})
    room.fails(NotFound, "report.merge", "r2", {"incident_id": "nope"})
    room.run("incident.close", "i1", {"note": "当场解决"})
    err = room.fails(ValidationError, "report.merge", "r2", {"incident_id": "i1"})
    assert "closed" in err.message
    room.fails(IllegalTransition, "report.unmerge", "r1", {})  # an accepted report cannot be unmerged


def test_report_reject(room):
    room.report()
    room.fails(ValidationError, "report.reject", "r1", {"reason": ""})
    room.run("report.reject", "r1", {"reason": "重复上报，已在处理"})
    r = room.get(Report, "r1")
    assert (r.state, r.reject_reason, r.triaged_at) == ("rejected", "重复上报，已在处理", NOW)
    ctx = room.run("report.accept", "r1", {"incident_id": "i1"}, actor=OTHER)
    assert ctx.status == "merged" and "不予受理" in ctx.explanation
    assert room.counts()["incident"] == 0


# ----------------------------------------------------------------------------- the incident lifecycle


def test_full_lifecycle_with_timeline(room):
    room.dispatched()
    t = NOW
    for name, args in [
        ("incident.acknowledge", {}),
        ("incident.arrive", {"note": "已到现场"}),
        ("incident.start", {}),
        ("incident.note", {"note": "已责令停工", "photos": [PHOTO2]}),
        ("incident.submit", {"photos_after": [PHOTO2], "note": "已拆除"}),
        ("incident.verify", {"passed": True, "verified_by": "王队长"}),
    ]:
        t += timedelta(minutes=30)
        assert room.run(name, "i1", args, now=t).status == "applied", name
    inc = room.get(Incident, "i1")
    assert inc.state == "closed" and inc.closed_at == t and inc.updated_at == t
    assert inc.verified_by == "王队长" and inc.photos_after == [PHOTO2]
    assert inc.acknowledged_at == NOW + timedelta(minutes=30)
    assert inc.onsite_at == NOW + timedelta(minutes=60)
    d = room.get(Dispatch, "d1")
    assert d.state == "done" and d.done_at == t
    tl = room.timeline("i1")
    assert [e.action for e in tl] == ["create", "dispatch", "acknowledge", "arrive", "start", "note", "submit",
                                      "verify_pass"]
    assert [(e.from_state, e.to_state) for e in tl[1:3]] == [("pending_dispatch", "dispatched"),
                                                              ("dispatched", "acknowledged")]
    assert tl[5].note == "已责令停工" and tl[5].from_state is None and tl[5].data == {"photos": [PHOTO2]}
    assert all(e.actor_name == "张三" and e.device_name == "球川指挥室1号机" for e in tl)


def test_dispatch_creates_the_dispatch_row_and_restarts_response_clocks(room):
    room.incident()
    later = NOW + timedelta(hours=1)
    room.run("incident.dispatch", "i1", {"target_kind": "team", "target_code": "QC", "member_ids": ["m1"],
                                         "lead_member_id": "m1", "dispatch_id": "d1", "note": "速去"}, now=later)
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.assignee_kind, inc.assignee_code, inc.dispatched_at) == ("dispatched", "team", "QC", later)
    assert inc.ack_due == later + timedelta(hours=2)
    d = room.get(Dispatch, "d1")
    assert (d.incident_id, d.state, d.member_ids, d.lead_member_id, d.township_code, d.assigned_at) == (
        "i1", "assigned", ["m1"], "m1", QC, later)
    # an additional dispatch (a department) keeps the state
    room.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZRZY", "dispatch_id": "d2"},
             now=later + timedelta(minutes=1))
    assert room.get(Incident, "i1").state == "dispatched"
    assert room.timeline("i1")[-1].data["additional"] is True
    assert room.get(Incident, "i1").dispatched_at == later
    # the same dispatch again is merged
    again = room.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZRZY",
                                                 "dispatch_id": "d2"})
    assert again.status == "merged" and room.counts()["dispatch"] == 2


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"target_kind": "army", "target_code": "QC", "dispatch_id": "d1"}, "target_kind"),
        ({"target_kind": "team", "target_code": "XX", "dispatch_id": "d1"}, "target_code"),
        ({"target_kind": "department", "target_code": "QC", "dispatch_id": "d1"}, "target_code"),
        ({"target_kind": "team", "target_code": "QC"}, "dispatch_id"),
        ({"target_kind": "team", "target_code": "QC", "dispatch_id": "d1", "member_ids": "m1"}, "member_ids"),
        ({"target_kind": "team", "target_code": "QC", "dispatch_id": "d1", "member_ids": ["m1"],
          "lead_member_id": "m9"}, "lead_member_id"),
        ({"target_kind": "department", "target_code": "ZF", "dispatch_id": "d1", "member_ids": ["m1"]},
         "member_ids"),
    ],
)
def test_dispatch_errors(room, args, field):
    room.incident()
    err = room.fails(ValidationError, "incident.dispatch", "i1", args)
    assert err.field == field


def test_second_close_is_merged_with_who_and_when(room):
    room.dispatched()
    room.run("incident.close", "i1", {"note": "已处置完毕"}, now=NOW + timedelta(hours=1))
    ctx = room.run("incident.close", "i1", {"note": "我也处理完了"}, actor=OTHER, now=NOW + timedelta(hours=2))
    assert ctx.status == "merged"
    assert "张三" in ctx.explanation and "办结" in ctx.explanation
    inc = room.get(Incident, "i1")
    assert inc.closed_at == NOW + timedelta(hours=1) and inc.updated_at == NOW + timedelta(hours=1)
    assert [e.action for e in room.timeline("i1")].count("close") == 1
    # actions that arrive after the close are merged, not errors
    for name, args in [("incident.acknowledge", {}), ("incident.start", {}), ("incident.submit", {}),
                       ("incident.return", {"reason": "不归我们管"}), ("incident.escalate", {"reason": "x"}),
                       ("incident.verify", {"passed": False, "note": "no"}), ("incident.remind", {})]:
        assert room.run(name, "i1", args, actor=OTHER).status == "merged", name
    assert room.get(Incident, "i1").state == "closed"


def test_acknowledge_twice_is_merged(room):
    room.dispatched()
    room.run("incident.acknowledge", "i1", {})
    ctx = room.run("incident.acknowledge", "i1", {}, actor=OTHER, now=NOW + timedelta(minutes=5))
    assert ctx.status == "merged" and "签收" in ctx.explanation
    assert room.get(Incident, "i1").acknowledged_at == NOW
    room.run("incident.arrive", "i1", {})
    assert room.run("incident.arrive", "i1", {}, actor=OTHER).status == "merged"


def test_truly_illegal_actions_raise_and_write_nothing(room):
    room.incident()
    err = room.fails(IllegalTransition, "incident.reopen", "i1", {"reason": "再看看"})
    assert (err.entity, err.state, err.action) == ("incident", "pending_dispatch", "reopen")
    room.fails(IllegalTransition, "incident.submit", "i1", {})
    room.fails(IllegalTransition, "incident.acknowledge", "i1", {})
    room.fails(IllegalTransition, "incident.return", "i1", {"reason": "x"})
    room.fails(IllegalTransition, "incident.verify", "i1", {"passed": True})
    room.fails(NotFound, "incident.acknowledge", "nope", {})


def test_close_from_pending_dispatch_is_a_same_day_sign_off(room):
    room.incident()
    room.fails(ValidationError, "incident.close", "i1", {})
    room.run("incident.close", "i1", {"note": "电话协调，当场解决", "photos_before": [PHOTO], "photos_after": [PHOTO2]})
    inc = room.get(Incident, "i1")
    assert inc.state == "closed" and inc.photos_after == [PHOTO2] and inc.photos_before == [PHOTO]


def test_return_bumps_epoch_cancels_dispatches_and_stale_actions_merge(room):
    room.dispatched()
    room.fails(ValidationError, "incident.return", "i1", {})
    room.run("incident.return", "i1", {"reason": "不属于执法事项", "counter_proposal": "建议自然资源局牵头"})
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.lifecycle_epoch, inc.return_count) == ("returned", 1, 1)
    assert inc.return_reason == "不属于执法事项" and inc.counter_proposal == "建议自然资源局牵头"
    assert room.get(Dispatch, "d1").state == "cancelled"
    # a team member's acknowledge made offline against epoch 0 is merged away
    ctx = room.run("incident.acknowledge", "i1", {"expected_epoch": 0}, actor=OTHER)
    assert ctx.status == "merged" and "不再适用" in ctx.explanation
    # without expected_epoch it is simply illegal
    room.fails(IllegalTransition, "incident.acknowledge", "i1", {})
    # the county arbitrates: dispatch again
    room.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZRZY", "dispatch_id": "d2",
                                         "expected_epoch": 1})
    assert room.get(Incident, "i1").state == "dispatched"
    room.fails(ValidationError, "incident.acknowledge", "i1", {"expected_epoch": -1})


def test_escalate_and_dispatch_again(room):
    room.dispatched()
    room.fails(ValidationError, "incident.escalate", "i1", {})
    room.run("incident.escalate", "i1", {"reason": "涉及多部门，需县级协调"})
    inc = room.get(Incident, "i1")
    assert inc.state == "escalated" and inc.lifecycle_epoch == 1
    assert room.run("incident.escalate", "i1", {"reason": "again"}).status == "merged"
    room.run("incident.dispatch", "i1", {"target_kind": "department", "target_code": "ZRZY", "dispatch_id": "d2"})
    assert room.get(Incident, "i1").state == "dispatched"


def test_verify_fail_goes_back_to_handling(room):
    room.dispatched()
    room.run("incident.start", "i1", {})
    room.run("incident.submit", "i1", {})
    err = room.fails(ValidationError, "incident.verify", "i1", {"passed": False})
    assert err.field == "note"
    room.fails(ValidationError, "incident.verify", "i1", {"passed": "yes"})
    room.run("incident.verify", "i1", {"passed": False, "note": "现场仍有建筑垃圾"})
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.lifecycle_epoch, inc.verified_by) == ("in_progress", 1, "张三")
    assert room.timeline("i1")[-1].action == "verify_fail"


def test_reopen_bumps_epoch_and_restarts_clocks(room):
    room.dispatched()
    room.run("incident.close", "i1", {"note": "ok"})
    later = NOW + timedelta(days=3)
    room.fails(ValidationError, "incident.reopen", "i1", {})
    room.fails(ValidationError, "incident.reopen", "i1", {"reason": "x", "to": "closed"})
    room.run("incident.reopen", "i1", {"reason": "群众反映又在施工", "expected_epoch": 0}, now=later)
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.lifecycle_epoch, inc.closed_at, inc.assignee_code) == ("pending_dispatch", 1, None, None)
    with room.factory() as s:
        assert inc.close_due == compute_deadlines(later, "L2", {}, load_levels(s)).close_due
    # a second officer's reopen of the same closed incident (offline, against epoch 0) is merged
    ctx = room.run("incident.reopen", "i1", {"reason": "也要重开", "expected_epoch": 0}, actor=OTHER)
    assert ctx.status == "merged"
    assert room.get(Incident, "i1").lifecycle_epoch == 1
    # a close made offline against epoch 0 no longer applies
    assert room.run("incident.close", "i1", {"note": "旧的", "expected_epoch": 0}).status == "merged"
    assert room.get(Incident, "i1").state == "pending_dispatch"
    # reopen straight back to handling keeps the assignee
    room.run("incident.dispatch", "i1", {"target_kind": "team", "target_code": "QC", "dispatch_id": "d9"})
    room.run("incident.close", "i1", {"note": "done"})
    room.run("incident.reopen", "i1", {"reason": "返工", "to": "in_progress"})
    inc = room.get(Incident, "i1")
    assert (inc.state, inc.lifecycle_epoch, inc.assignee_code) == ("in_progress", 2, "QC")


def test_update_scalar_fields_last_writer_wins(room):
    room.incident()
    room.run("incident.update", "i1", {"title": "新标题", "address": "新地址", "lat": 28.88, "lon": 118.36})
    room.run("incident.update", "i1", {"title": "再改标题", "urgency": "L1"}, actor=OTHER,
             now=NOW + timedelta(minutes=1))
    inc = room.get(Incident, "i1")
    assert (inc.title, inc.address, inc.lat, inc.lon, inc.urgency) == ("再改标题", "新地址", 28.88, 118.36, "L1")
    assert inc.ack_due == NOW + timedelta(minutes=30)  # L1 clocks from the creation time
    assert "标题" in inc.search_text.split()
    entry = room.timeline("i1")[-1]
    assert entry.action == "update" and entry.data["changes"]["title"] == ["新标题", "再改标题"]
    assert room.run("incident.update", "i1", {"title": "再改标题"}).status == "merged"
    for args, field in [({}, "args"), ({"state": "closed"}, "state"), ({"urgency": "L7"}, "urgency"),
                        ({"lat": 28.8}, "lon"), ({"title": ""}, "title"), ({"title": "x" * 200}, "title")]:
        assert room.fails(ValidationError, "incident.update", "i1", args).field == field


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T10:00:00+08:00")
def test_urgency_change_counts_the_close_limit_from_the_act_not_the_intake(room):
    inc = room.incident()
    assert inc.urgency == "L2"
    # changed offline on Wednesday 11-04 10:00 Shanghai, uploaded an hour later
    acted = datetime(2026, 11, 4, 2, 0)
    with room.factory() as s, s.begin():
        ctx = MutationContext(s, OFFICER, now=acted + timedelta(hours=1), occurred_at=acted, on_server=True,
                              number_allocator=room.alloc)
        apply_mutation(ctx, "incident.update", "i1", {"urgency": "L3"})
    inc = room.get(Incident, "i1")
    # L3: 5 working days from the act (Wed 11-04 10:00) → Wed 11-11 10:00, not from the Monday 11-02 09:00 intake
    # (→ Mon 11-09 09:00, which the old rule gave)
    assert inc.close_due == datetime(2026, 11, 11, 2, 0)
    # the response clocks still count from the intake: one working day (420 min) from Mon 09:00 → Tue 09:00
    assert inc.ack_due == datetime(2026, 11, 3, 1, 0)


def test_remind_ladder(room):
    room.incident()
    room.fails(ValidationError, "incident.remind", "i1", {})  # nothing overdue yet
    room.run("incident.remind", "i1", {"level": "reminder", "note": "请尽快派单"})
    assert room.get(Incident, "i1").escalation_level == "reminder"
    assert room.run("incident.remind", "i1", {"level": "reminder"}).status == "merged"
    # four working days after the L2 close clock ran out: the ladder calls for a leader notice
    inc = room.get(Incident, "i1")
    much_later = inc.close_due + timedelta(days=7)
    room.run("incident.remind", "i1", {}, now=much_later)
    assert room.get(Incident, "i1").escalation_level == "leader_notice"
    assert room.timeline("i1")[-1].data == {"level": "leader_notice", "previous": "reminder"}
    assert room.run("incident.remind", "i1", {"level": "supervision_order"}).status == "merged"
    room.fails(ValidationError, "incident.remind", "i1", {"level": "fire"})


def test_note_is_append_only_and_allowed_when_closed(room):
    room.incident()
    room.fails(ValidationError, "incident.note", "i1", {"note": ""})
    room.fails(ValidationError, "incident.note", "i1", {"note": "x", "photos": [1]})
    room.run("incident.close", "i1", {"note": "ok"})
    room.run("incident.note", "i1", {"note": "回访：群众满意"})
    assert room.timeline("i1")[-1].note == "回访：群众满意"
    assert room.get(Incident, "i1").state == "closed"


def test_search_text_is_maintained(room):
    room.incident()
    inc = room.get(Incident, "i1")
    assert set(search_tokens("违法建设", "村口新建违章建筑")) <= set(inc.search_text) or \
        {"违章", "村口", "违法"} <= set(inc.search_text.split())
    assert "inc" in inc.search_text.split() or "000002" in inc.search_text.split()


def test_mutations_are_deterministic_across_databases(tmp_path):
    """The same mutations with the same clock and actor give identical rows (client and server agree)."""
    results = []
    for name in ("a.db", "b.db"):
        engine, factory = make_db(tmp_path, name)
        room = Room(factory)
        room.dispatched()
        room.run("dispatch.on_scene", "d1", {"at": "2026-11-02T09:20:00+08:00"}, now=NOW + timedelta(hours=1))
        room.run("incident.submit", "i1", {"photos_after": [PHOTO]}, now=NOW + timedelta(hours=2))
        room.run("incident.verify", "i1", {"passed": True}, now=NOW + timedelta(hours=3))
        with factory() as s:
            inc = row_to_dict(s.get(Incident, "i1"))
            disp = row_to_dict(s.get(Dispatch, "d1"))
            tl = [{k: v for k, v in row_to_dict(e).items() if k != "id"}
                  for e in s.scalars(select(TimelineEntry).order_by(TimelineEntry.at, TimelineEntry.action))]
        results.append((inc, disp, tl))
        invalidate_routing_cache()
        engine.dispose()
    assert results[0] == results[1]
