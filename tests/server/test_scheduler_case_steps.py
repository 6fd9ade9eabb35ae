"""One-thing case step deadlines kept by the county scheduler with an injected clock, across the National Day
holiday: one warning before the limit, the ladder after it (never during the holiday), one 督办 card, notices,
every act by 系统 and none twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from commandroom.domain.models import (
    CaseStep,
    JobRun,
    Notice,
    NoticeChannel,
    NoticeRule,
    TaskCard,
    TimelineEntry,
)
from commandroom.server.scheduler import JOBS, Scheduler
from commandroom.server.state import open_state
from commandroom.services.teams import stable_id
from tests.server.test_auth_support import seeded
from tests.server.test_scheduler import Clock, beijing, incident, module, officer

pytestmark = pytest.mark.working_time

ORDER = beijing("2026-09-29T10:00")  # Tuesday; 10-01 … 10-07 are the National Day holiday, 10-10 (Sat) is worked
ONLY_STEPS = tuple(j for j in JOBS if j.name == "case_steps")


@pytest.fixture
def state(db_url, tmp_path):
    st = open_state(seeded(db_url, tmp_path))
    yield st
    st.close()


def step_entries(state, action: str) -> list[TimelineEntry]:
    with state.read() as s:
        return list(s.scalars(select(TimelineEntry).where(TimelineEntry.action == action)
                              .order_by(TimelineEntry.at, TimelineEntry.id)))


@pytest.mark.at("2026-09-29T10:00:00+08:00")
def test_step_clock_warns_then_escalates_by_itself_around_a_holiday(state):
    module(state, ORDER)
    iid = incident(state, 1, ORDER, "L3")
    officer(state, "case.open", "case-step-sched", {"type_code": "farmer_housing", "incident_id": iid}, ORDER)
    with state.transaction() as s:  # the county's group robot hears of warnings and escalations
        robot = NoticeChannel(name="县指挥中心群", kind="robot", config={"url": "http://127.0.0.1:9/robot"})
        s.add(robot)
        s.flush()
        s.add_all([NoticeRule(event_kind=kind, channel_id=robot.id) for kind in ("pre_breach", "escalation")])
    clock = Clock(ORDER)
    scheduler = Scheduler(state, now=clock, jobs=ONLY_STEPS)
    t, end = ORDER, beijing("2026-10-13T12:00")
    try:
        while t <= end:
            clock.set(t)
            scheduler.tick()
            t += timedelta(minutes=30)
    finally:
        scheduler.close()

    first_id = stable_id("case-step", "case-step-sched", 1)
    with state.read() as s:
        first = s.get(CaseStep, first_id)
        assert first is not None
        due, warned_at, level = first.due_at, first.warned_at, first.escalation_level
        cards = list(s.scalars(select(TaskCard).where(TaskCard.auto_source == "overdue_step")))
        notices = Counter(n.event_kind for n in s.scalars(select(Notice).where(Notice.subject_id == "case-step-sched")))
    assert due == beijing("2026-10-08T10:00")  # 2 working days: Wed 09-30, then Thu 10-08 after the holiday
    # one warning, given before the holiday (less than 2 working hours were left of the step's window)
    warnings = step_entries(state, "case_step_warning")
    assert len(warnings) == 1 and warnings[0].actor_name == "系统" and warned_at is not None
    assert beijing("2026-09-30T12:00") <= warnings[0].at < beijing("2026-10-01T00:00")
    # the ladder: 提醒 at the first tick after the due time, 督办单 a working day later, 领导通报 after three working
    # days (Fri 10-09, Sat 10-10 worked, Mon 10-12) — nothing during the holiday
    ladder = step_entries(state, "case_step_escalate")
    assert [(e.data["level"], e.actor_name) for e in ladder] == [
        ("reminder", "系统"), ("supervision_order", "系统"), ("leader_notice", "系统")]
    assert [e.at for e in ladder] == [beijing("2026-10-08T10:30"), beijing("2026-10-09T10:30"),
                                      beijing("2026-10-12T10:30")]
    assert level == "leader_notice"
    assert len(cards) == 1 and cards[0].case_id == "case-step-sched" and "需求申报" in cards[0].title
    assert notices == {"pre_breach": 1, "escalation": 3}

    # the same slots again (as if a second process reached them, or a run was resumed): nothing is done twice
    with state.transaction() as s:
        s.execute(delete(JobRun))
    clock.set(end)
    scheduler.close()  # the first process goes; another one takes the lead (on PostgreSQL by the advisory lock)
    scheduler = Scheduler(state, now=clock, jobs=ONLY_STEPS)
    assert [r.acts for r in scheduler.tick()] == [0]

    # the step is done: the next step's clock starts from that moment and the old one stops for good
    officer(state, "case.step_done", "case-step-sched", {"position": 1}, beijing("2026-10-13T15:00"))
    clock.set(beijing("2026-10-13T16:00"))
    assert [r.acts for r in scheduler.tick()] == [0]
    scheduler.close()
    with state.read() as s:
        second = s.get(CaseStep, stable_id("case-step", "case-step-sched", 2))
        assert second is not None and second.due_at == beijing("2026-10-27T15:00")  # 10 working days
        assert second.escalation_level == "none" and second.warned_at is None
