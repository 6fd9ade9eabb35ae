"""Handover summary and daily briefing figures on fixed data (no Qt)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from commandroom.domain.models import (
    CaseCheckin,
    Department,
    EventCategory,
    Incident,
    OneThingCase,
    Township,
)
from commandroom.queries.briefing import (
    CLOSED_LATER,
    Cancelled,
    TaskState,
    daily_briefing,
    handover_summary,
    local_day_bounds,
    running_clocks,
)
from commandroom.store.db import make_engine, session_factory
from commandroom.store.migrate import upgrade

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time

NOW = datetime(2026, 11, 26, 6, 0)  # 14:00 in Changshan
QC, TM = "330822111", "330822001"
H = timedelta(hours=1)


def _inc(n: int, township: str, state: str, created: datetime, **kw) -> Incident:
    return Incident(id=f"inc-{n:02d}", township_code=township, number=f"T-{n:02d}", title=f"事件{n}",
                    category_code=kw.pop("category", "sanitation"), state=state, urgency=kw.pop("urgency", "L3"),
                    created_at=created, updated_at=created, **kw)


@pytest.fixture
def session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        s.add_all([
            Township(code=QC, name="球川镇", short_name="球川", kind="镇", seat_lat=0, seat_lon=0, number_prefix="QC"),
            Township(code=TM, name="天马街道", short_name="天马", kind="街道", seat_lat=0, seat_lon=0,
                     number_prefix="TM"),
            Department(code="enforcement", name="县综合行政执法局", short_name="综合执法局"),
            Department(code="ecoenv", name="县生态环境分局", short_name="生态环境分局"),
            EventCategory(code="sanitation", name="环境卫生", module="公共服务"),
            EventCategory(code="muck_dust", name="渣土扬尘", module="平安法治"),
        ])
        today = datetime(2026, 11, 26, 0, 30)
        s.add_all([
            _inc(1, QC, "pending_dispatch", today, ack_due=NOW + H, close_due=NOW + 120 * H),
            _inc(2, QC, "dispatched", today, dispatched_at=today, ack_due=NOW - H / 2, onsite_due=NOW + H,
                 close_due=NOW + 72 * H, assignee_kind="department", assignee_code="enforcement"),
            _inc(3, QC, "acknowledged", today, acknowledged_at=today + H, ack_due=NOW - 3 * H,
                 onsite_due=NOW + 3 * H, close_due=NOW + 72 * H),
            _inc(4, QC, "in_progress", today, acknowledged_at=today, close_due=NOW + 10 * H),
            _inc(5, QC, "in_progress", datetime(2026, 11, 10), acknowledged_at=datetime(2026, 11, 10, 2),
                 close_due=NOW - 48 * H),
            _inc(6, QC, "awaiting_verification", today, close_due=NOW + 2 * H),
            _inc(7, QC, "closed", datetime(2026, 11, 23, 3), closed_at=datetime(2026, 11, 25, 3),
                 close_due=datetime(2026, 11, 26)),
            _inc(8, QC, "closed", datetime(2026, 11, 20), closed_at=datetime(2026, 11, 25, 8),
                 close_due=datetime(2026, 11, 24)),
            _inc(9, TM, "dispatched", today, dispatched_at=today, ack_due=NOW - H, close_due=NOW + 50 * H),
            _inc(10, QC, "returned", today, ack_due=NOW - H, close_due=NOW + 3 * H + 50 * timedelta(minutes=1)),
            _inc(11, QC, "in_progress", datetime(2026, 11, 1), close_due=NOW - 100 * H, deleted=True),
            _inc(12, QC, "closed", datetime(2026, 11, 25, 1), closed_at=datetime(2026, 11, 25, 7),
                 close_due=datetime(2026, 11, 27), category="muck_dust"),
            _inc(13, TM, "dispatched", datetime(2026, 11, 25, 2), dispatched_at=datetime(2026, 11, 25, 2, 5),
                 ack_due=datetime(2026, 11, 25, 2, 35), onsite_due=datetime(2026, 11, 25, 3),
                 close_due=datetime(2026, 11, 25, 12)),
            # open at the end of the 25th, closed this morning
            _inc(14, QC, "closed", datetime(2026, 11, 24, 1), closed_at=datetime(2026, 11, 26, 1),
                 close_due=datetime(2026, 11, 28)),
        ])
        s.add(OneThingCase(id="case-1", township_code=QC, type_code="farmer_housing", title="张某农民建房",
                           lead_department_code="enforcement", due_at=NOW + 240 * H))
        s.add_all([
            CaseCheckin(id="ck-1", township_code=QC, case_id="case-1", target_code="ecoenv", due_at=NOW + H),
            CaseCheckin(id="ck-2", township_code=QC, case_id="case-1", target_code="enforcement", due_at=NOW - H),
            CaseCheckin(id="ck-3", township_code=QC, case_id="case-1", target_code="ecoenv", due_at=NOW - H,
                        state="checked_in"),
            CaseCheckin(id="ck-4", township_code=TM, incident_id="inc-09", target_code="ecoenv", due_at=NOW),
        ])
    with factory() as s:
        yield s
    engine.dispose()


def test_handover_summary_for_one_township(session):
    summary = handover_summary(session, township_codes=[QC], now=NOW, unsynced=3, notes="注意 5 号")
    assert summary.open_by_state == {"pending_dispatch": 1, "dispatched": 1, "acknowledged": 1, "in_progress": 2,
                                     "awaiting_verification": 1, "returned": 1}
    assert summary.open_total == 7
    assert [(c.number, c.clock) for c in summary.imminent] == [
        ("T-01", "ack"), ("T-06", "close"), ("T-03", "onsite"), ("T-10", "close")]
    assert [(c.number, c.clock) for c in summary.overdue] == [("T-05", "close"), ("T-02", "ack")]
    assert summary.overdue[1].assignee == "综合执法局"
    assert [(c.checkin_id, c.overdue, c.target_name) for c in summary.pending_checkins] == [
        ("ck-2", True, "综合执法局"), ("ck-1", False, "生态环境分局")]
    assert summary.pending_checkins[0].subject == "张某农民建房"
    assert summary.unsynced == 3
    data = summary.to_dict()
    assert data["open_total"] == 7 and data["overdue_count"] == 2 and data["imminent_count"] == 4
    assert data["unsynced"] == 3 and data["overdue"][0]["number"] == "T-05"


def test_handover_summary_county_and_window(session):
    summary = handover_summary(session, township_codes=None, now=NOW)
    assert summary.open_total == 9  # + T-09 and T-13 of 天马; the deleted T-11 never counts
    assert {c.number for c in summary.overdue} == {"T-02", "T-05", "T-09", "T-13"}
    assert len(summary.pending_checkins) == 3
    narrow = handover_summary(session, township_codes=[QC], now=NOW, window=timedelta(hours=2))
    assert [c.number for c in narrow.imminent] == ["T-01", "T-06"]


def test_daily_briefing_of_yesterday(session):
    b = daily_briefing(session, day=date(2026, 11, 25), township_codes=None, now=NOW)
    start, end = local_day_bounds(date(2026, 11, 25))
    assert (start, end) == (datetime(2026, 11, 24, 16), datetime(2026, 11, 25, 16))
    assert b.as_of == end
    assert b.created == 2  # T-12, T-13
    assert b.closed == 3 and b.closed_on_time == 2  # T-07, T-12 on time; T-08 late
    assert b.on_time_rate == pytest.approx(2 / 3)
    # open at the end of the 25th: T-05, T-13, and T-14 (closed only this morning)
    assert b.open_total == 3
    assert b.by_state == {"dispatched": 1, "in_progress": 1, CLOSED_LATER: 1}
    assert [c.number for c in b.overdue] == ["T-05", "T-13"]
    assert b.created_by_state == {"dispatched": 1, "closed": 1}
    cats = {r.key: (r.created, r.closed, r.closed_on_time) for r in b.by_category}
    assert cats == {"sanitation": (1, 2, 1), "muck_dust": (1, 1, 1)}
    towns = {r.key: (r.created, r.closed, r.open_now, r.overdue_now) for r in b.by_township}
    assert towns == {QC: (1, 3, 2, 1), TM: (1, 0, 1, 1)}
    qc_only = daily_briefing(session, day=date(2026, 11, 25), township_codes=[QC], now=NOW)
    assert (qc_only.created, qc_only.closed, qc_only.open_total) == (1, 3, 2)


def test_daily_briefing_of_today_is_as_of_now(session):
    b = daily_briefing(session, day=date(2026, 11, 26), township_codes=[QC], now=NOW)
    assert b.as_of == NOW
    assert b.created == 6  # T-01..T-04, T-06, T-10 (T-14 was created on the 24th)
    assert b.closed == 1 and b.on_time_rate == 1.0  # T-14
    assert b.open_total == 7


def test_cancellation_stops_the_briefing(session):
    state = TaskState()
    state.cancel()
    with pytest.raises(Cancelled):
        daily_briefing(session, day=date(2026, 11, 25), township_codes=None, now=NOW, state=state)
    seen = []
    state = TaskState(on_progress=lambda f, m: seen.append(f))
    daily_briefing(session, day=date(2026, 11, 25), township_codes=None, now=NOW, state=state)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_daily_briefing_shows_the_photos_of_the_days_closures(session):
    """The day's closures with photos, latest first: after photos, before photos from the incident or else from
    its reports; a photo this desk has no thumbnail of is still named (the export says it is not here yet)."""
    from commandroom.domain.models import Photo, Report

    a, b_, c, d = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
    with session.begin():
        session.get(Incident, "inc-12").photos_after = [a, c, d]
        session.get(Incident, "inc-08").photos_before = []
        session.add(Report(id="r-08", township_code=QC, source="grid_patrol", category_code="sanitation",
                           description="垃圾", incident_id="inc-08", photos=[b_]))
        session.get(Incident, "inc-14").photos_after = [a]  # closed on the 26th: not in the 25th's briefing
        session.add(Photo(sha256=a, mime="image/jpeg", size=10, thumbnail=b"thumb-a"))
        session.add(Photo(sha256=b_, mime="image/jpeg", size=10, thumbnail=None))
    day = daily_briefing(session, day=date(2026, 11, 25), township_codes=None, now=NOW)
    assert [(p.number, p.before, p.after) for p in day.photos] == [("T-08", [b_], []), ("T-12", [], [a, c])]
    assert day.photos[0].township_name == "球川" and day.photos[0].closed_at == datetime(2026, 11, 25, 8)
    assert day.photos[0].thumbnails == {} and day.photos[1].thumbnails == {a: b"thumb-a"}
    assert daily_briefing(session, day=date(2026, 11, 25), township_codes=[TM], now=NOW).photos == []


def test_running_clocks_follow_the_state():
    t = datetime(2026, 1, 1)
    assert running_clocks("closed", None, None, t, t, t) == []
    assert [k for k, _ in running_clocks("pending_dispatch", None, None, t, t, t)] == ["ack", "close"]
    assert [k for k, _ in running_clocks("dispatched", None, None, t, t, t)] == ["ack", "onsite", "close"]
    assert [k for k, _ in running_clocks("acknowledged", t, None, t, t, t)] == ["onsite", "close"]
    assert [k for k, _ in running_clocks("in_progress", t, None, t, t, t)] == ["close"]
    assert [k for k, _ in running_clocks("returned", None, None, t, t, t)] == ["close"]
