"""Assessment arithmetic on fixed data: four dimensions, reverse veto, two-way indicators, grid workers,
and the export rows. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from commandroom.domain.errors import Forbidden, NotFound, ValidationError
from commandroom.domain.models import AssessmentRecord, Dispatch, Report, TaskCard, TimelineEntry
from commandroom.mutations.core import Actor
from commandroom.services import assessment as svc
from commandroom.services.teams import stable_id
from tests.core.test_teams_fixtures import NOW, OFFICER, QC, TM, add_incident, run, seeded_session

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)


MONTH = "2026-11"
LEAD = Actor(user_id="u-lead", name="牵头人", role="module_lead", scope_kind="township", scope_code=QC,
             township_code=QC)
LEAD2 = Actor(user_id="u-lead2", name="牵头人二", role="module_lead", scope_kind="township", scope_code=QC,
              township_code=QC)
ZS = Actor(user_id="u-zs", name="张三", role="module_lead", scope_kind="township", scope_code=QC, township_code=QC)
LS = Actor(user_id=None, name="李四", role="duty_officer", scope_kind="township", scope_code=QC, township_code=QC)
END = datetime(2026, 12, 1, 2, 0)  # evaluated on 2026-12-01 10:00 Shanghai


def utc(month: int, day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A UTC time; hour 2 UTC is 10:00 in Shanghai."""
    return datetime(2026, month, day, hour, minute)


def _record(db, name, actor, *, township=QC, month=MONTH, subject, dim, module=None, **args):
    rid = svc.record_id(township, month, subject, dim, module)
    return run(db, name, rid, {"month": month, "subject_code": subject, "township_code": township, **args},
               actor=actor, now=END)


def _modules(db):
    run(db, "module.create", "mod-x", {"name": "专班甲", "lead_user_id": "u-lead", "lead_name": "牵头人",
                                       "members": [{"name": "张三", "user_id": "u-zs"},
                                                   {"name": "李四", "department": "natres", "dispatched": True}]})
    run(db, "module.create", "mod-y", {"name": "专班乙", "lead_user_id": "u-lead2", "lead_name": "牵头人二",
                                       "members": [{"name": "张三", "user_id": "u-zs"}]})


def _card(db, cid, *, user=None, name="", done_at=None, due=None, column="done"):
    db.add(TaskCard(id=cid, township_code=QC, module_id="mod-x", title=cid, column=column, assignee_user_id=user,
                    assignee_name=name, due_at=due, column_changed_at=done_at, created_at=utc(10, 1)))


def _build_four_dimension_data(db):
    _modules(db)
    _record(db, "assessment.set_post", OFFICER, subject="u-zs", dim="post", subject_name="张三", points=60)
    _record(db, "assessment.set_post", OFFICER, subject="李四", dim="post", subject_name="李四", points=50)
    _record(db, "assessment.rate_module", LEAD, subject="u-zs", dim="module", module="mod-x", module_id="mod-x",
            subject_name="张三", points=80)
    _record(db, "assessment.rate_module", LEAD2, subject="u-zs", dim="module", module="mod-y", module_id="mod-y",
            subject_name="张三", points=90)
    _record(db, "assessment.rate_module", LEAD, subject="李四", dim="module", module="mod-x", module_id="mod-x",
            points=70)
    _record(db, "assessment.veto", OFFICER, subject="李四", dim="veto", subject_name="李四", reason="未按要求到岗")
    # 组团积分 (cards done in November)
    _card(db, "c1", user="u-zs", name="张三", done_at=utc(11, 9), due=utc(11, 10))  # on time: 2
    _card(db, "c2", user="u-zs", name="张三", done_at=utc(11, 6), due=utc(11, 5))  # late: 1
    _card(db, "c3", user="u-zs", name="张三", done_at=utc(11, 7))  # no due date: on time, 2
    _card(db, "c4", user="u-zs", name="张三", done_at=datetime(2026, 10, 31, 14, 0))  # 22:00 on 10-31: October
    _card(db, "c5", name="李四", done_at=utc(11, 8))  # 2
    _card(db, "c6", user="u-zs", name="张三", done_at=utc(11, 8), column="doing")  # not done
    db.flush()
    # 专班计分 (case steps): 农民建房 ordered 11-04 10:00, due 11-25 10:00 Shanghai
    run(db, "case.open", "case-1", {"type_code": "farmer_housing"}, now=NOW)
    run(db, "case.step_done", "case-1", {"position": 1}, actor=ZS, now=utc(11, 5))  # before the deadline: 2
    run(db, "case.step_done", "case-1", {"position": 2}, actor=ZS, now=utc(11, 26))  # after it: 1
    run(db, "case.step_done", "case-1", {"position": 3}, actor=LS, now=utc(11, 27))  # after it: 1
    run(db, "case.complete", "case-1", {}, now=utc(11, 27, 3))
    # a step in December does not count for November
    run(db, "case.open", "case-2", {"type_code": "farmer_housing"}, now=utc(11, 30))
    run(db, "case.step_done", "case-2", {"position": 1}, actor=ZS, now=utc(12, 1, 1))


def test_four_dimension_scores_and_veto(db):
    _build_four_dimension_data(db)
    scores = {s.subject_code: s for s in svc.four_dimension(db, MONTH)}
    assert set(scores) == {"u-zs", "李四"}
    zs = scores["u-zs"]
    # 张三: post 60 + module (80 + 90) / 2 = 85 + cluster 2 + 1 + 2 = 5 + task force 2 + 1 = 3 → 153
    assert (zs.post, zs.module, zs.cluster, zs.task_force, zs.total) == (60, 85, 5, 3, 153)
    assert (zs.cards_on_time, zs.cards_late, zs.steps_on_time, zs.steps_late) == (2, 1, 1, 1)
    assert zs.name == "张三" and zs.eligible
    assert zs.explain() == ("岗位赋分 60 + 模块评分 85（2 个模块平均） + 组团积分 5（按时完成卡片 2×2 + 超时 1×1） + "
                            "专班计分 3（按时完成步骤 1×2 + 超时 1×1） = 153")
    ls = scores["李四"]
    # 李四: post 50 + module 70 + cluster 2 + task force 1 → 123, vetoed
    assert (ls.post, ls.module, ls.cluster, ls.task_force, ls.total) == (50, 70, 2, 1, 123)
    assert ls.vetoed and not ls.eligible and ls.vetoes == ["未按要求到岗"]
    assert [s.subject_code for s in svc.four_dimension(db, MONTH)] == ["u-zs", "李四"]  # by total
    assert svc.four_dimension(db, MONTH, township_code=TM) == []
    # editing a score updates the same record (one per cadre, month, dimension)
    _record(db, "assessment.set_post", OFFICER, subject="u-zs", dim="post", subject_name="张三", points=65)
    assert {s.subject_code: s.total for s in svc.four_dimension(db, MONTH)}["u-zs"] == 158
    # a veto withdrawn: tombstoned, the cadre is eligible again
    run(db, "assessment.revoke", svc.record_id(QC, MONTH, "李四", "veto"), {"reason": "核实后撤销"}, actor=OFFICER)
    assert {s.subject_code: s.vetoed for s in svc.four_dimension(db, MONTH)}["李四"] is False


def test_assessment_permissions_and_validation(db):
    _modules(db)
    county = Actor(user_id="u-c", name="县里", role="county_coordinator", scope_kind="county")
    with pytest.raises(Forbidden, match="本乡镇领导"):
        _record(db, "assessment.set_post", county, subject="u-zs", dim="post", points=60)
    tm_officer = Actor(user_id="u-tm", name="天马值班", role="duty_officer", scope_kind="township", scope_code=TM,
                       township_code=TM)
    with pytest.raises(Forbidden, match="本乡镇领导"):  # another township's officer
        _record(db, "assessment.set_post", tm_officer, subject="u-zs", dim="post", points=60)
    with pytest.raises(NotFound):  # another lead's board is not on this module lead's desk: as if it did not exist
        _record(db, "assessment.rate_module", LEAD2, subject="u-zs", dim="module", module="mod-x",
                module_id="mod-x", points=80)
    with pytest.raises(ValidationError, match="not a member"):
        _record(db, "assessment.rate_module", LEAD, subject="王五", dim="module", module="mod-x",
                module_id="mod-x", points=80)
    with pytest.raises(ValidationError, match="not a cadre dispatched"):
        _record(db, "assessment.veto", OFFICER, subject="u-zs", dim="veto", reason="x")
    with pytest.raises(ValidationError, match="reason"):
        _record(db, "assessment.veto", OFFICER, subject="李四", dim="veto")
    with pytest.raises(Forbidden, match="乡镇党委"):
        _record(db, "assessment.veto", county, subject="李四", dim="veto", reason="x", township_code=QC)
    with pytest.raises(ValidationError, match="above 100"):
        _record(db, "assessment.set_post", OFFICER, subject="u-zs", dim="post", points=120, township_code=QC)
    with pytest.raises(ValidationError, match="entity_id: must be"):
        run(db, "assessment.set_post", "random-id", {"month": MONTH, "subject_code": "u-zs", "points": 60,
                                                      "township_code": QC}, actor=OFFICER)
    with pytest.raises(ValidationError, match="not a month"):
        _record(db, "assessment.set_post", OFFICER, subject="u-zs", dim="post", points=60, month="2026-13")
    assert db.get(AssessmentRecord, svc.record_id(QC, MONTH, "u-zs", "post")) is None


def test_nomination_is_a_recorded_act_of_the_township(db):
    """推荐提名: recorded by the township's leadership for a dispatched cadre; it adds no points."""
    _modules(db)
    rid = svc.record_id(QC, MONTH, "李四", svc.NOMINATION)
    county = Actor(user_id="u-c", name="县里", role="county_coordinator", scope_kind="county")
    with pytest.raises(Forbidden, match="推荐提名"):
        run(db, "assessment.nominate", rid, {"month": MONTH, "subject_code": "李四", "reason": "x",
                                             "township_code": QC}, actor=county)
    with pytest.raises(ValidationError, match="not a cadre dispatched"):
        _record(db, "assessment.nominate", OFFICER, subject="u-zs", dim=svc.NOMINATION, reason="表现突出")
    _record(db, "assessment.nominate", OFFICER, subject="李四", dim=svc.NOMINATION, subject_name="李四",
            reason="防汛期间表现突出，推荐评优")
    row = db.get(AssessmentRecord, rid)
    assert row.dimension == "nomination" and row.given_by == OFFICER.name and "评优" in row.note
    assert svc.four_dimension(db, MONTH) == []  # a nomination is not a score


def test_month_range_is_the_shanghai_month():
    assert svc.month_range("2026-11") == (datetime(2026, 10, 31, 16, 0), datetime(2026, 11, 30, 16, 0))
    assert svc.month_range("2026-12")[1] == datetime(2026, 12, 31, 16, 0)


def _two_way_data(db):
    # the 农民建房 case's check-ins are due 11-05 10:00 Shanghai (= utc(11, 5))
    run(db, "case.open", "case-1", {"type_code": "farmer_housing"}, now=NOW)
    run(db, "case.checkin", "case-1", {"department_code": "agri"}, now=utc(11, 4, 6))  # on time
    run(db, "case.checkin", "case-1", {"department_code": "natres"}, now=utc(11, 5, 5))  # 3 h late
    # housing never checks in → missed; the other three are on time
    for code in ("forest_water", "power_supply", "water_supply"):
        run(db, "case.checkin", "case-1", {"department_code": code}, now=utc(11, 4, 8))
    # a summons to natres from an incident, due 11-10 10:00, answered on time
    inc = add_incident(db, "inc-s", QC)
    run(db, "summon", "s-1", {"incident_id": inc.id, "targets": [{"kind": "department", "code": "natres"}]},
        now=utc(11, 9))
    run(db, "checkin", stable_id("summon", "s-1", "department", "natres"), {}, now=utc(11, 9, 5))
    # incidents natres leads, closed in November: 2 of 3 on time; one closed in October does not count
    add_incident(db, "i1", QC, lead="natres", state="closed", close_due=utc(11, 12), closed_at=utc(11, 10, 6))
    add_incident(db, "i2", QC, lead="natres", state="closed", close_due=utc(11, 11), closed_at=utc(11, 12, 12))
    add_incident(db, "i3", QC, lead="natres", state="closed", close_due=None, closed_at=utc(11, 20))
    add_incident(db, "i4", QC, lead="natres", state="closed", close_due=utc(10, 1), closed_at=utc(10, 20))
    # dispatches to natres: acknowledged after 30 and 90 minutes; the third was returned
    for did, day, ack in (("d1", 2, 30), ("d2", 3, 90), ("d3", 4, None)):
        db.add(Dispatch(id=did, township_code=QC, incident_id=f"i-{did}", target_kind="department",
                        target_code="natres", state="done" if ack else "cancelled", assigned_at=utc(11, day),
                        acknowledged_at=utc(11, day) + timedelta(minutes=ack) if ack else None))
    db.add(TimelineEntry(id="t-ret", township_code=QC, incident_id="i-d3", at=utc(11, 4, 5), action="return",
                         data={"cancelled_dispatches": ["d3"]}))
    # verification turnaround: i1 4 h (submit 10:00 → pass 14:00); i2 12 h (fail, submit again, close)
    for tid, iid, when, action in (
        ("v1", "i1", utc(11, 10, 2), "submit"), ("v2", "i1", utc(11, 10, 6), "verify_pass"),
        ("v3", "i2", utc(11, 11, 2), "submit"), ("v4", "i2", utc(11, 11, 4), "verify_fail"),
        ("v5", "i2", utc(11, 12, 0), "submit"), ("v6", "i2", utc(11, 12, 12), "close"),
    ):
        db.add(TimelineEntry(id=tid, township_code=QC, incident_id=iid, at=when, action=action))
    db.flush()


def test_department_indicators(db):
    _two_way_data(db)
    by = {d.code: d for d in svc.department_indicators(db, MONTH, END)}
    n = by["natres"]
    # check-ins: case (3 h late) + summons (on time) → 1 on time of 2 due
    assert (n.checkins_on_time, n.checkins_late, n.checkins_missed, n.checkin_on_time_rate) == (1, 1, 0, 0.5)
    # closure: i1 on time, i2 late, i3 no deadline (on time) → 2/3
    assert (n.led_closed, n.led_closed_on_time, n.on_time_closure_rate) == (3, 2, 0.6667)
    # returns: 1 of 3 dispatches; acceptance 30 and 90 min → median 60, p90 (2nd of 2) 90
    assert (n.dispatched, n.returned, n.return_rate) == (3, 1, 0.3333)
    assert (n.ack_median_min, n.ack_p90_min) == (60.0, 90.0)
    assert (by["housing"].checkins_missed, by["housing"].checkin_on_time_rate) == (1, 0.0)
    assert by["agri"].checkin_on_time_rate == 1.0
    # evaluated before the check-in deadline, housing is still waiting (not missed)
    early = {d.code: d for d in svc.department_indicators(db, MONTH, utc(11, 4, 9))}
    assert early["housing"].checkins_due == 0


def test_township_indicators(db):
    _two_way_data(db)
    run(db, "case.step_done", "case-1", {"position": 1}, now=utc(11, 6))
    run(db, "case.step_done", "case-1", {"position": 2}, now=utc(11, 7))
    run(db, "case.step_done", "case-1", {"position": 3}, now=utc(11, 26))
    run(db, "case.complete", "case-1", {}, now=utc(11, 26, 1))  # after the 11-25 deadline
    (qc,) = svc.township_indicators(db, MONTH, township_code=QC)
    assert (qc.dispatched_to_departments, qc.returned, qc.return_rate) == (3, 1, 0.3333)
    assert qc.verification_hours == [4.0, 12.0] and qc.verification_median_hours == 8.0
    assert qc.summons == 1
    assert (qc.cases_ordered, qc.cases_completed, qc.cases_completed_on_time, qc.case_on_time_rate) == (1, 1, 0, 0.0)


def test_grid_worker_statistics(db):
    def rep(rid, who, name, state, reported, triage_min=None, source="grid_patrol"):
        db.add(Report(id=rid, township_code=QC, source=source, category_code="sanitation", description="x",
                      reporter_user_id=who, reporter_name=name, state=state, reported_at=reported,
                      triaged_at=reported + timedelta(minutes=triage_min) if triage_min is not None else None))

    t = utc(11, 10)
    rep("r1", "gw-1", "王五", "accepted", t, 10)
    rep("r2", "gw-1", "王五", "accepted", t, 20)
    rep("r3", "gw-1", "王五", "merged", t, 30)
    rep("r4", "gw-1", "王五", "rejected", t, 40)
    rep("r5", "gw-1", "王五", "new", t)
    rep("r6", None, "赵六", "accepted", t, 5)
    rep("r7", "gw-1", "王五", "accepted", datetime(2026, 10, 31, 15, 0), 1)  # 23:00 on 10-31: October
    # callers, villagers, department pushes and tasks from above are not grid workers (issue 13 item 7)
    rep("r8", None, "12345热线", "accepted", t, 3, source="hotline_12345")
    rep("r9", None, "县长热线", "accepted", t, 3, source="assigned_from_above")
    rep("r10", None, "县环保局推送", "accepted", t, 3, source="department_push")
    rep("r11", None, "村情通·钱佳怡", "accepted", t, 3, source="villager_app")
    rep("r12", "gw-1", "王五", "accepted", t, 3, source="sensor_alert")
    db.flush()
    rows = svc.grid_worker_stats(db, MONTH)
    assert [r.key for r in rows] == ["gw-1", "赵六"]
    w = rows[0]
    # 5 reports: 2 accepted (0.4), 1 merged (0.2), 1 rejected (0.2), 1 pending; triage 10/20/30/40 → median 25
    assert (w.made, w.accepted, w.merged, w.rejected, w.pending) == (5, 2, 1, 1, 1)
    assert (w.accepted_share, w.merged_share, w.rejected_share, w.triage_median_min) == (0.4, 0.2, 0.2, 25.0)
    assert (rows[1].made, rows[1].accepted_share) == (1, 1.0)


def test_export_rows(db):
    _build_four_dimension_data(db)
    sheets = svc.export_rows(db, MONTH, END, township_code=QC)
    assert list(sheets) == ["四维考核", "乡镇评部门", "部门评乡镇", "网格员"]
    four = sheets["四维考核"]
    assert four[0][:9] == ["月份", "干部编码", "干部", "岗位赋分", "模块评分", "组团积分", "专班计分", "合计", "反向否决"]
    assert four[1][:10] == ["2026-11", "u-zs", "张三", 60.0, 85.0, 5.0, 3.0, 153.0, "", ""]
    assert four[2][:10] == ["2026-11", "李四", "李四", 50.0, 70.0, 2.0, 1.0, 123.0, "否决", "未按要求到岗"]
    for rows in sheets.values():
        assert all(len(r) == len(rows[0]) for r in rows)
        assert all(v is None or isinstance(v, str | int | float) for r in rows for v in r)
    depts = {r[1]: r for r in sheets["乡镇评部门"][1:]}
    # the 农民建房 case's six departments were never checked in: all missed by 12-01
    assert depts["agri"][3:8] == [1, 0, 0, 1, 0.0]
