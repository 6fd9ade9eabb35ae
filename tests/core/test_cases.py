"""Linked command (吹哨/报到/督办) and one-thing cases (乡镇点单、部门报到、限时办结) on fixed data."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import CaseCheckin, CaseStep, OneThingCase, TaskCard, TimelineEntry
from commandroom.mutations.core import Actor
from commandroom.services import cases as svc
from commandroom.services.teams import stable_id
from tests.core.test_teams_fixtures import (
    NOW,
    QC,
    TM,
    add_incident,
    module_named,
    run,
    seeded_session,
)

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)


H = timedelta(hours=1)


def _card(db, card_id="host", now=NOW):
    run(db, "card.create", card_id, {"module_id": module_named(db, QC, "平安法治").id, "title": "河道整治"}, now=now)
    return db.get(TaskCard, card_id)


def _checkin(db, summons, kind, code):
    return db.get(CaseCheckin, stable_id("summon", summons, kind, code))


# --------------------------------------------------------------------------- summons and check-ins


def test_summon_from_a_card_creates_checkins_with_due_times(db):
    card = _card(db)
    public = module_named(db, QC, "公共服务")
    run(db, "summon", "s1", {"card_id": card.id, "targets": [
        {"kind": "department", "code": "natres"}, {"kind": "module", "code": public.id}]})
    natres = _checkin(db, "s1", "department", "natres")
    mod = _checkin(db, "s1", "module", public.id)
    assert natres.due_at == NOW + 24 * H and mod.due_at == NOW + 24 * H
    assert (natres.card_id, natres.state, natres.township_code) == (card.id, "waiting", QC)
    # summoning a department that is still waiting on the same card does nothing new
    ctx = run(db, "summon", "s2", {"card_id": card.id, "targets": [{"kind": "department", "code": "natres"}],
                                   "hours": 4})
    assert ctx.status == "merged" and _checkin(db, "s2", "department", "natres") is None
    # working hours: 8 h from Wed 10:00 = Wed 10:00–12:00, 14:00–17:30 (5.5 h) + Thu 08:30–11:00 (2.5 h)
    run(db, "summon", "s3", {"card_id": card.id, "targets": [{"kind": "department", "code": "housing"}],
                             "hours": 8, "working_time": True})
    assert _checkin(db, "s3", "department", "housing").due_at == datetime(2026, 11, 5, 3, 0)  # Thu 11:00 Shanghai

    with pytest.raises(ValidationError, match="exactly one"):
        run(db, "summon", "bad", {"targets": [{"kind": "department", "code": "natres"}]})
    with pytest.raises(ValidationError, match="no department"):
        run(db, "summon", "bad", {"card_id": card.id, "targets": [{"kind": "department", "code": "nope"}]})
    with pytest.raises(ValidationError, match="no module with id"):  # another township's module is not disclosed
        run(db, "summon", "bad", {"card_id": card.id,
                                  "targets": [{"kind": "module", "code": module_named(db, TM, "公共服务").id}]})
    with pytest.raises(ValidationError, match="at least one"):
        run(db, "summon", "bad", {"card_id": card.id, "targets": []})


def test_summon_from_an_incident_writes_its_timeline(db):
    inc = add_incident(db, "inc-1", QC)
    run(db, "summon", "s1", {"incident_id": inc.id, "targets": [{"kind": "department", "code": "ecoenv"}],
                             "note": "油烟扰民，请环境分局报到"})
    chk = _checkin(db, "s1", "department", "ecoenv")
    assert chk.incident_id == inc.id and chk.card_id is None
    run(db, "checkin", chk.id, {"note": "已到场"}, now=NOW + 2 * H)
    assert (chk.state, chk.checked_in_at) == ("checked_in", NOW + 2 * H)
    actions = [t.action for t in db.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == inc.id)
                                            .order_by(TimelineEntry.at))]
    assert actions == ["summon", "checkin"]
    assert run(db, "checkin", chk.id, {}, now=NOW + 3 * H).status == "merged"


def test_missed_checkins_escalate_up_the_ladder(db):
    card = _card(db, now=NOW - timedelta(days=3))
    # summoned Sunday 2026-11-01 10:00 Shanghai, due Monday 10:00
    run(db, "summon", "s-old", {"card_id": card.id, "targets": [{"kind": "department", "code": "natres"}]},
        now=NOW - timedelta(days=3))
    run(db, "summon", "s-new", {"card_id": card.id, "targets": [{"kind": "department", "code": "agri"}]},
        now=NOW - 30 * H)  # due Wed 04:00 Shanghai
    run(db, "summon", "s-ok", {"card_id": card.id, "targets": [{"kind": "department", "code": "housing"}]},
        now=NOW - H)
    due = svc.checkins_due(db, NOW)
    assert [d.checkin.target_code for d in due] == ["natres", "agri"]
    # natres: late by Mon 10:00→Wed 10:00 = 330 + 420 + 90 = 840 working minutes > one working day → 督办单
    # agri: late by Wed 04:00→10:00 = 90 working minutes → 提醒
    assert [d.suggested_level for d in due] == ["supervision_order", "reminder"]
    assert due[0].overdue_hours == 48.0 and all(d.needs_escalation for d in due)

    natres = due[0].checkin
    run(db, "checkin.escalate", natres.id, {})
    assert (natres.escalated, natres.escalation_level, natres.state) == (True, "supervision_order", "missed")
    assert run(db, "checkin.escalate", natres.id, {"level": "reminder"}).status == "merged"
    run(db, "checkin.escalate", natres.id, {"level": "leader_notice"})
    assert natres.escalation_level == "leader_notice"
    assert not svc.checkins_due(db, NOW)[0].needs_escalation
    with pytest.raises(ValidationError, match="not overdue"):
        run(db, "checkin.escalate", _checkin(db, "s-ok", "department", "housing").id, {})
    # a late check-in still counts, as late
    run(db, "checkin", natres.id, {}, now=NOW + H)
    assert natres.state == "checked_in"
    assert svc.checkin_outcome(natres, NOW + 2 * H) == "late"
    assert run(db, "checkin.escalate", natres.id, {}).status == "merged"


def test_checkin_summary_per_department(db):
    t = NOW - timedelta(days=4)
    for i, (code, offset) in enumerate([("natres", 0), ("natres", 1), ("natres", 2), ("natres", 3.5),
                                        ("agri", 0)]):
        card = _card(db, f"host{i}", now=t)  # one card each: a department still waiting is not summoned twice
        run(db, "summon", f"s{i}", {"card_id": card.id, "targets": [{"kind": "department", "code": code}]},
            now=t + timedelta(days=offset))
    c = [db.get(CaseCheckin, stable_id("summon", f"s{i}", "department", "natres")) for i in range(4)]
    run(db, "checkin", c[0].id, {}, now=c[0].due_at - H)  # on time
    run(db, "checkin", c[1].id, {}, now=c[1].due_at + 2 * H)  # 2 h late
    # c[2]: due NOW - 1 day, never checked in → missed; c[3]: due NOW + 12 h → waiting
    rows = {(s.target_kind, s.target_code): s for s in svc.checkin_summary(db, NOW)}
    n = rows[("department", "natres")]
    assert (n.total, n.on_time, n.late, n.missed, n.waiting) == (4, 1, 1, 1, 1)
    assert n.due == 3 and n.on_time_rate == pytest.approx(1 / 3, abs=1e-4)
    assert n.median_delay_hours == 2.0 and n.name == "自然资源局"
    a = rows[("department", "agri")]
    assert (a.missed, a.on_time_rate) == (1, 0.0)
    # a window on due times
    only = svc.checkin_summary(db, NOW, since=NOW - timedelta(days=2), until=NOW)
    assert [(s.target_code, s.total) for s in only] == [("natres", 2)]  # due NOW-2d (inclusive) and NOW-1d


# --------------------------------------------------------------------------- one-thing cases


def test_farmer_housing_case_three_steps_in_order_within_15_working_days(db):
    inc = add_incident(db, "inc-house", QC, enforcement=False, category="illegal_construction")
    run(db, "case.open", "case-1", {"type_code": "farmer_housing", "incident_id": inc.id})
    case = db.get(OneThingCase, "case-1")
    assert (case.state, case.lead_department_code, case.township_code) == ("ordered", "agri", QC)
    assert case.title.startswith("农民建房")
    # 15 working days from Wed 2026-11-04 10:00 Shanghai: Wed 2026-11-25 10:00 (no holiday in between)
    assert case.due_at == datetime(2026, 11, 25, 2, 0) == svc.case_due_at(NOW, 15)
    checkins = svc.case_checkins(db, case.id)
    assert sorted(c.target_code for c in checkins) == sorted(
        ["agri", "natres", "housing", "forest_water", "power_supply", "water_supply"])
    assert all(c.due_at == NOW + 24 * H for c in checkins)
    steps = svc.case_steps(db, case.id)
    assert [(s.position, s.name) for s in steps] == [
        (1, "需求申报(乡镇受理)"), (2, "联合审批(部门联审联办)"), (3, "竣工验收与发证")]

    p = svc.case_progress(db, case, NOW)
    assert (p.steps_total, p.previous_steps, p.previous_duration, p.time_limit_days) == (3, 7, "3–6个月", 15)
    assert p.reform_summary == "7 个步骤 → 3 个步骤；3–6个月 → 15 个工作日"
    assert p.current_step.position == 1 and p.fraction_done == 0 and not p.overdue

    # departments report: first one → 报到中, all → 办理中
    run(db, "case.checkin", case.id, {"department_code": "agri"}, now=NOW + H)
    assert case.state == "checking_in"
    with pytest.raises(ValidationError, match="not part of this case"):
        run(db, "case.checkin", case.id, {"department_code": "police"})
    for code in ["natres", "housing", "forest_water", "power_supply"]:
        run(db, "case.checkin", case.id, {"department_code": code}, now=NOW + 2 * H)
    run(db, "case.checkin", case.id, {"department_code": "water_supply"}, now=NOW + 30 * H)  # late
    assert case.state == "in_progress"
    p = svc.case_progress(db, case, NOW + 31 * H)
    assert p.checked_in == 6 and [c.outcome for c in p.checkins if c.target_code == "water_supply"] == ["late"]
    assert {c.role for c in p.checkins if c.target_code == "agri"} == {"lead"}

    with pytest.raises(ValidationError, match="before step 1"):
        run(db, "case.step_done", case.id, {"position": 2})
    with pytest.raises(ValidationError, match="3 step"):
        run(db, "case.complete", case.id, {})
    run(db, "case.step_done", case.id, {"position": 1}, now=NOW + timedelta(days=1))
    assert run(db, "case.step_done", case.id, {"position": 1}).status == "merged"
    run(db, "case.step_done", case.id, {"position": 2}, now=NOW + timedelta(days=5))
    with pytest.raises(ValidationError, match=r"3\.竣工验收与发证"):
        run(db, "case.complete", case.id, {})
    run(db, "case.step_done", case.id, {"position": 3}, now=NOW + timedelta(days=9))
    step3 = db.get(CaseStep, stable_id("case-step", case.id, 3))
    assert (step3.done_by, step3.done_by_user_id) == ("值班员甲", "u-officer")
    run(db, "case.complete", case.id, {"note": "已发证"}, now=NOW + timedelta(days=9, hours=1))
    assert case.state == "completed" and case.completed_at == NOW + timedelta(days=9, hours=1)
    p = svc.case_progress(db, case, NOW + timedelta(days=30))
    assert p.steps_done == 3 and not p.overdue and p.remaining_hours is None and p.elapsed_days == pytest.approx(
        9 + 1 / 24, abs=1e-3)
    assert run(db, "case.complete", case.id, {}).status == "merged"
    assert svc.cases_by_type(db)["farmer_housing"] == {"opened": 1, "completed": 1, "on_time": 1}


def test_township_order_overdue_escalation_and_completion(db):
    actor = Actor(user_id=None, name="县管理员", role="admin", scope_kind="county")
    with pytest.raises(ValidationError, match="township_code"):
        run(db, "case.open", "c2", {"type_code": "farmer_housing"}, actor=actor)
    with pytest.raises(ValidationError, match="no one-thing type"):
        run(db, "case.open", "c2", {"type_code": "nope"})
    run(db, "case.open", "c2", {"type_code": "farmer_housing", "title": "张家建房"})  # 乡镇点单 of 球川
    case = db.get(OneThingCase, "c2")
    assert (case.township_code, case.incident_id, case.title) == (QC, None, "张家建房")
    with pytest.raises(ValidationError, match="not overdue"):
        run(db, "case.escalate", case.id, {})
    assert svc.overdue_cases(db, NOW) == []
    # two working days after the deadline (Wed 11-25 10:00 → Fri 11-27 10:00 = 840 working minutes) → 督办单
    late = datetime(2026, 11, 27, 2, 0)
    od = svc.overdue_cases(db, late)
    assert [(o.case.id, o.suggested_level, o.overdue_hours) for o in od] == [("c2", "supervision_order", 48.0)]
    run(db, "case.escalate", case.id, {"reason": "联审超期"}, now=late)
    assert (case.state, case.escalation_level) == ("escalated", "supervision_order")
    assert run(db, "case.escalate", case.id, {"level": "reminder"}, now=late).status == "merged"
    assert svc.case_progress(db, case, late).overdue
    for pos in (1, 2, 3):
        run(db, "case.step_done", case.id, {"position": pos}, now=late)
    assert case.state == "escalated"  # the escalation stays visible until the case is completed
    run(db, "case.complete", case.id, {}, now=late + H)
    assert case.state == "completed"
    assert svc.cases_by_type(db)["farmer_housing"] == {"opened": 1, "completed": 1, "on_time": 0}
    assert run(db, "case.escalate", case.id, {}, now=late + 2 * H).status == "merged"
