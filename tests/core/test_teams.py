"""Enforcement-team deployment (一支队伍管执法): certificates, roster, on duty, loans, zone board,
dispatch suggestions, joint visits, response times — on the seeded reference data and fixed rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Dispatch, Incident, RosterEntry, Township, Zone
from commandroom.services import teams as svc
from tests.core.test_teams_fixtures import (
    BS,
    HJ,
    JC,
    MONDAY,
    NOW,
    QC,
    TG,
    TM,
    add_incident,
    add_member,
    roster_today,
    run,
    seeded_session,
)

# deadlines, holidays and working time: rerun by `make test` at fixed moments (tests/conftest.py)
pytestmark = pytest.mark.working_time


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)


QC_HUB = (28.87, 118.33)


# --------------------------------------------------------------------------- certificates


def test_certificate_states_and_the_lead_rule(db):
    today = date(2026, 11, 4)
    ok = add_member(db, "m-ok", "QC", "张有效", cert_expiry="2027-06-30")
    soon = add_member(db, "m-soon", "QC", "李将到", cert_expiry="2026-11-24")  # 20 days left
    edge = add_member(db, "m-edge", "QC", "王三十", cert_expiry="2026-12-04")  # exactly 30 days: warned
    late = add_member(db, "m-late", "QC", "赵过期", cert_expiry="2026-11-03")
    none = add_member(db, "m-none", "QC", "钱无证", cert_expiry=None)
    aux = add_member(db, "m-aux", "QC", "孙辅助", auxiliary=True, cert_expiry=None)

    assert svc.cert_state(ok, today) == "valid"
    assert svc.cert_state(soon, today) == "expiring"
    assert svc.cert_state(edge, today) == "expiring"
    assert svc.cert_state(late, today) == "expired"
    assert svc.cert_state(none, today) == "none"
    # valid and expiring certificates may lead; expired, none and auxiliaries may not
    assert svc.can_lead(ok, today) and svc.can_lead(soon, today)
    assert not svc.can_lead(late, today) and not svc.can_lead(none, today) and not svc.can_lead(aux, today)
    assert "辅助人员" in svc.lead_problem(aux, today)
    # the dispatch date decides: 李将到 cannot lead on 2026-11-25
    assert svc.can_lead(soon, date(2026, 11, 24)) and not svc.can_lead(soon, date(2026, 11, 25))
    with pytest.raises(ValidationError, match="2026-11-03"):
        svc.check_lead(db, "m-late", NOW)
    # the dispatch date is the Shanghai date: 2026-11-24 23:30 Shanghai is 15:30 UTC that day
    svc.check_lead(db, "m-soon", datetime(2026, 11, 24, 15, 30))
    with pytest.raises(ValidationError):
        svc.check_lead(db, "m-soon", datetime(2026, 11, 24, 16, 30))  # 00:30 on the 25th in Shanghai

    mine = [w for w in svc.cert_warnings(db, today, "QC") if w.member_id.startswith("m-")]
    assert [(w.member_id, w.state, w.days_left) for w in mine] == [
        ("m-none", "none", None), ("m-late", "expired", -1), ("m-soon", "expiring", 20), ("m-edge", "expiring", 30),
    ]


# --------------------------------------------------------------------------- roster


def test_roster_set_on_duty_and_stable_ids(db):
    add_member(db, "q1", "QC", "甲")
    add_member(db, "q2", "QC", "乙")
    run(db, "roster.set", "r1", {"zone_id": "QC", "week_start": MONDAY, "entries": [
        {"member_id": "q1", "day": "2026-11-04", "shift": "day"},
        {"member_id": "q2", "day": "2026-11-04", "shift": "night"},
        {"member_id": "q2", "day": "2026-11-06", "shift": "full"},
    ]})
    week = svc.roster_week(db, "QC", date(2026, 11, 2))
    assert len(week) == 3
    e = next(x for x in week if x.member_id == "q1")
    # day shift 08:00–18:00 Shanghai = 00:00–10:00 UTC
    assert (e.starts_at, e.ends_at) == (datetime(2026, 11, 4, 0, 0), datetime(2026, 11, 4, 10, 0))
    assert e.id == svc.stable_id("roster", "QC", "q1", "2026-11-04", "day", "")
    assert svc.on_duty_ids(db, "QC", NOW) == ["q1"]
    # 23:00 Shanghai: the night shift (18:00–08:00) covers it
    assert svc.on_duty_ids(db, "QC", datetime(2026, 11, 4, 15, 0)) == ["q2"]
    # shifts are half-open: at 18:00 sharp the day shift is over and the night shift has begun
    assert svc.on_duty_ids(db, "QC", datetime(2026, 11, 4, 9, 59, 59)) == ["q1"]
    assert svc.on_duty_ids(db, "QC", datetime(2026, 11, 4, 10, 0)) == ["q2"]

    # setting the week again with fewer entries tombstones the others (ids stay the same)
    run(db, "roster.set", "r2", {"zone_id": "QC", "week_start": MONDAY, "entries": [
        {"member_id": "q1", "day": "2026-11-04", "shift": "day"},
    ]})
    assert [x.member_id for x in svc.roster_week(db, "QC", date(2026, 11, 2))] == ["q1"]
    assert db.scalar(select(RosterEntry).where(RosterEntry.member_id == "q2", RosterEntry.shift == "night")).deleted
    # re-adding revives the same row
    run(db, "roster.set", "r3", {"zone_id": "QC", "week_start": MONDAY, "entries": [
        {"member_id": "q1", "day": "2026-11-04", "shift": "day"},
        {"member_id": "q2", "day": "2026-11-04", "shift": "night"},
    ]})
    rows = db.scalars(select(RosterEntry).where(RosterEntry.member_id == "q2")).all()
    assert len(rows) == 2 and sum(not r.deleted for r in rows) == 1


def test_roster_rejects_clashes_foreign_members_and_bad_weeks(db):
    add_member(db, "q1", "QC", "甲")
    add_member(db, "j1", "JC", "金一")
    with pytest.raises(ValidationError, match="班次时间重叠"):
        run(db, "roster.set", "r", {"zone_id": "QC", "week_start": MONDAY, "entries": [
            {"member_id": "q1", "day": "2026-11-04", "shift": "day"},
            {"member_id": "q1", "day": "2026-11-04", "shift": "full"},
        ]})
    with pytest.raises(ValidationError, match="not lent to QC"):
        run(db, "roster.set", "r", {"zone_id": "QC", "week_start": MONDAY, "entries": [
            {"member_id": "j1", "day": "2026-11-04", "shift": "day"}]})
    with pytest.raises(ValidationError, match="not a Monday"):
        run(db, "roster.set", "r", {"zone_id": "QC", "week_start": "2026-11-03", "entries": []})
    with pytest.raises(ValidationError, match="not in the week"):
        run(db, "roster.set", "r", {"zone_id": "QC", "week_start": MONDAY, "entries": [
            {"member_id": "q1", "day": "2026-11-09", "shift": "day"}]})
    with pytest.raises(ValidationError, match="shift"):
        run(db, "roster.set", "r", {"zone_id": "QC", "week_start": MONDAY, "entries": [
            {"member_id": "q1", "day": "2026-11-04", "shift": "morning"}]})

    # in two zones at once: j1 lent to QC for the day, rostered in JC (home) and in QC on the same shift
    run(db, "member.lend", "loan-j1", {"member_id": "j1", "from_zone_id": "JC", "to_zone_id": "QC",
                                       "starts_at": "2026-11-04T00:00:00", "ends_at": "2026-11-04T10:00:00",
                                       "reason": "球川片区案件积压"}, now=NOW - timedelta(hours=3))
    roster_today(db, "JC", ["j1"])
    with pytest.raises(ValidationError, match="两个片区"):
        run(db, "roster.set", "r", {"zone_id": "QC", "week_start": MONDAY, "entries": [
            {"member_id": "j1", "day": "2026-11-04", "shift": "day"}]})


def test_roster_clashes_found_in_stored_data(db):
    """Two offline edits of two zones can both pass locally; the clash report finds them."""
    add_member(db, "j1", "JC", "金一")
    a = svc.shift_bounds(date(2026, 11, 4), "day")
    db.add(RosterEntry(id="e-jc", township_code=JC, zone_id="JC", member_id="j1", day=date(2026, 11, 4),
                       shift="day", starts_at=a[0], ends_at=a[1]))
    db.add(RosterEntry(id="e-qc", township_code=QC, zone_id="QC", member_id="j1", day=date(2026, 11, 4),
                       shift="full", starts_at=a[0] + timedelta(hours=2), ends_at=a[0] + timedelta(hours=26)))
    db.flush()
    clashes = svc.roster_clashes(db, datetime(2026, 11, 2), datetime(2026, 11, 9))
    assert len(clashes) == 1
    c = clashes[0]
    assert (c.member_id, c.kind, c.first_zone, c.second_zone) == ("j1", "two_zones", "JC", "QC")
    assert "金一" in c.message and "两个片区" in c.message
    assert svc.roster_clashes(db, datetime(2026, 11, 2), datetime(2026, 11, 9), zone_id="TM") == []


def test_roster_copy_week_and_observed_remove(db):
    add_member(db, "q1", "QC", "甲")
    add_member(db, "q2", "QC", "乙")
    roster_today(db, "QC", ["q1", "q2"])
    run(db, "roster.copy_week", "c1", {"zone_id": "QC", "from_week": MONDAY, "to_week": "2026-11-09"})
    nxt = svc.roster_week(db, "QC", date(2026, 11, 9))
    assert sorted((e.member_id, e.day.isoformat(), e.shift) for e in nxt) == [
        ("q1", "2026-11-11", "day"), ("q2", "2026-11-11", "day")]

    # an editor who saw only q1's entry removes q1's; q2's entry (added while they edited) stays
    q1_id = svc.stable_id("roster", "QC", "q1", "2026-11-11", "day", "")
    ctx = run(db, "roster.set", "r", {"zone_id": "QC", "week_start": "2026-11-09", "entries": [],
                                      "base_entry_ids": [q1_id]})
    assert [e.member_id for e in svc.roster_week(db, "QC", date(2026, 11, 9))] == ["q2"]
    assert ctx.notices and ctx.notices[0]["rule"] == "roster_kept_concurrent"
    with pytest.raises(ValidationError, match="no roster entries"):
        run(db, "roster.copy_week", "c2", {"zone_id": "QC", "from_week": "2026-11-16", "to_week": "2026-11-23"})


# --------------------------------------------------------------------------- loans


def test_loans_move_members_between_zones_until_they_end(db):
    add_member(db, "j1", "JC", "金一")
    add_member(db, "j2", "JC", "金二")
    roster_today(db, "JC", ["j1", "j2"])
    run(db, "member.lend", "loan", {"member_id": "j2", "from_zone_id": "JC", "to_zone_id": "QC",
                                    "starts_at": (NOW - timedelta(hours=1)).isoformat(),
                                    "ends_at": (NOW + timedelta(hours=3)).isoformat(), "reason": "忙闲不均"})
    assert svc.on_duty_ids(db, "JC", NOW) == ["j1"]  # lent out: not counted at home
    assert svc.on_duty_ids(db, "QC", NOW) == ["j2"]  # lent in
    later = NOW + timedelta(hours=4)  # the loan ended by itself; the day shift still runs
    assert svc.on_duty_ids(db, "JC", later) == ["j1", "j2"]
    assert svc.on_duty_ids(db, "QC", later) == []

    with pytest.raises(ValidationError, match="already lent"):
        run(db, "member.lend", "loan2", {"member_id": "j2", "from_zone_id": "JC", "to_zone_id": "TM",
                                         "ends_at": (NOW + timedelta(hours=2)).isoformat(), "reason": "x"})
    with pytest.raises(ValidationError, match="belongs to zone JC"):
        run(db, "member.lend", "loan3", {"member_id": "j1", "from_zone_id": "QC", "to_zone_id": "TM",
                                         "ends_at": (NOW + timedelta(hours=2)).isoformat(), "reason": "x"})
    with pytest.raises(ValidationError, match="at most 31 days"):
        run(db, "member.lend", "loan4", {"member_id": "j1", "from_zone_id": "JC", "to_zone_id": "TM",
                                         "ends_at": (NOW + timedelta(days=40)).isoformat(), "reason": "x"})
    with pytest.raises(ValidationError, match="reason"):
        run(db, "member.lend", "loan5", {"member_id": "j1", "from_zone_id": "JC", "to_zone_id": "TM",
                                         "ends_at": (NOW + timedelta(hours=2)).isoformat()})
    # ending a loan early
    run(db, "member.end_loan", "loan", {}, now=NOW + timedelta(minutes=30))
    assert svc.on_duty_ids(db, "JC", NOW + timedelta(hours=1)) == ["j1", "j2"]
    assert run(db, "member.end_loan", "loan", {}, now=NOW + timedelta(hours=1)).status == "merged"


# --------------------------------------------------------------------------- zone board


def _busy_qc_setup(db):
    add_member(db, "q1", "QC", "球一", lat=28.87, lon=118.33)
    add_member(db, "j1", "JC", "金一", lat=28.90, lon=118.40)  # ~7.4 km from the 球川 seat
    add_member(db, "j2", "JC", "金二", lat=28.93, lon=118.49)
    add_member(db, "j3", "JC", "金辅", lat=28.88, lon=118.35, auxiliary=True, cert_expiry=None)  # nearer, auxiliary
    add_member(db, "t1", "TM", "天一", lat=28.90, lon=118.50)
    add_member(db, "t2", "TM", "天二", lat=28.91, lon=118.51)
    add_member(db, "f1", "FC", "芳一", lat=29.10, lon=118.60)
    add_member(db, "f2", "FC", "芳二", lat=29.10, lon=118.61)
    add_member(db, "f3", "FC", "芳三", lat=29.11, lon=118.60)
    roster_today(db, "QC", ["q1"])
    roster_today(db, "JC", ["j1", "j2", "j3"])
    roster_today(db, "TM", ["t1", "t2"])
    roster_today(db, "FC", ["f1", "f2", "f3"])
    for i, town in enumerate([QC, QC, BS, TG]):
        add_incident(db, f"qc-{i}", town, lat=28.87, lon=118.33)
    add_incident(db, "qc-closed", QC, state="closed")
    add_incident(db, "qc-noenf", QC, enforcement=False)
    add_incident(db, "tm-0", TM, lat=28.90, lon=118.50)


def test_zone_board_workload_balance_and_lending_suggestion(db):
    _busy_qc_setup(db)
    board = {z.zone_id: z for z in svc.zone_board(db, NOW)}
    assert list(board) == ["FC", "HB", "JC", "QC", "TM", "ZG", "ZX"]
    qc = board["QC"]
    assert qc.township_codes == [QC, BS, TG] and qc.township_names == ["球川", "白石", "同弓"]
    assert [m.member_id for m in qc.members] == ["q1"]
    assert qc.open_incidents == 4 and sorted(qc.open_incident_ids) == ["qc-0", "qc-1", "qc-2", "qc-3"]
    # loads: QC 4/1 = 4.0, TM 1/2 = 0.5, the others 0 → mean 4.5/7 ≈ 0.643; busy ≥ max(1, 1.5×mean) = 1
    assert (qc.load, board["TM"].load, board["JC"].load) == (4.0, 0.5, 0.0)
    assert qc.balance == "busy"
    assert board["TM"].balance == "normal"  # 0.5 > 0.5 × mean ≈ 0.32
    assert board["JC"].balance == "idle" and board["FC"].balance == "idle"
    # nobody rostered in 辉埠, 紫港, 招贤: no spare capacity there (无人在岗), whatever their load of 0 says
    assert [board[z].balance for z in ("HB", "ZG", "ZX")] == ["unstaffed"] * 3
    assert svc.BALANCE_LABELS["unstaffed"] == "无人在岗"
    assert set(qc.neighbours) == {"JC", "TM"}
    s = qc.lend_suggestion
    # FC is idler but not a neighbour; JC (load 0) beats TM (0.5); j3 is nearer but auxiliary
    assert (s.from_zone_id, s.to_zone_id, s.member_id) == ("JC", "QC", "j1")
    assert s.until == datetime(2026, 11, 4, 10, 0)  # the end of j1's day shift
    assert "金一" in s.reason and "4.0" in s.reason
    assert all(z.lend_suggestion is None for k, z in board.items() if k != "QC")

    # after lending j1 the board recomputes: QC 4/2 = 2.0 still busy; JC has j2 and j3 available → j2
    run(db, "member.lend", "loan-j1", {"member_id": "j1", "from_zone_id": "JC", "to_zone_id": "QC",
                                       "ends_at": s.until.isoformat(), "reason": s.reason})
    board = {z.zone_id: z for z in svc.zone_board(db, NOW)}
    assert board["QC"].load == 2.0 and [m.lent_from for m in board["QC"].members] == [None, "JC"]
    assert board["JC"].on_duty == 2
    assert board["QC"].lend_suggestion.member_id == "j2"


def test_zone_board_understaffed_and_no_donor(db):
    add_incident(db, "qc-0", QC)
    board = {z.zone_id: z for z in svc.zone_board(db, NOW)}
    assert board["QC"].understaffed and board["QC"].balance == "busy"
    assert board["QC"].lend_suggestion is None  # nobody on duty anywhere to lend


def test_configured_adjacency_when_areas_are_missing(db):
    db.get(Township, TG).area_geojson = None
    for zone in db.scalars(select(Zone)):
        zone.neighbour_ids = []  # only what this test configures (the data file has real neighbours)
    db.get(Zone, "QC").neighbour_ids = ["FC"]
    db.flush()
    neighbours = svc.zone_neighbours(db)
    assert neighbours["QC"] == ["FC"] and neighbours["FC"] == ["QC"]
    assert neighbours["JC"] == []
    assert svc.zone_neighbours(db, {"QC": ["JC", "XX"]})["JC"] == ["QC"]


# --------------------------------------------------------------------------- dispatch suggestions


def test_suggest_members_ranks_status_distance_and_load(db):
    inc = add_incident(db, "inc", BS, lat=28.92, lon=118.41)
    add_member(db, "q1", "QC", "远一", lat=28.87, lon=118.33)  # ~9.6 km
    add_member(db, "q3", "QC", "近忙", lat=28.921, lon=118.411)  # ~0.15 km, one open dispatch
    add_member(db, "q4", "QC", "近闲", lat=28.925, lon=118.415)  # ~0.7 km, no open work
    add_member(db, "q5", "QC", "在途", lat=28.92, lon=118.41, status="en_route")
    add_member(db, "q6", "QC", "休息", lat=28.92, lon=118.41, status="off_duty")
    add_member(db, "q7", "QC", "借出", lat=28.92, lon=118.41)
    add_member(db, "q8", "QC", "未排班", lat=28.92, lon=118.41)
    add_member(db, "j2", "JC", "借入", lat=28.95, lon=118.41)  # ~3.3 km
    roster_today(db, "QC", ["q1", "q3", "q4", "q5", "q6", "q7"])
    roster_today(db, "JC", ["j2"])
    run(db, "member.lend", "l1", {"member_id": "j2", "from_zone_id": "JC", "to_zone_id": "QC",
                                  "ends_at": (NOW + timedelta(hours=4)).isoformat(), "reason": "支援"})
    run(db, "member.lend", "l2", {"member_id": "q7", "from_zone_id": "QC", "to_zone_id": "TM",
                                  "ends_at": (NOW + timedelta(hours=4)).isoformat(), "reason": "支援"})
    db.add(Dispatch(id="busy", township_code=QC, incident_id="other", target_kind="team", target_code="QC",
                    member_ids=["q3"], lead_member_id="q3", state="acknowledged", assigned_at=NOW))
    db.flush()
    ranked = svc.suggest_members(db, inc, NOW)
    assert [s.member_id for s in ranked] == ["q4", "q3", "j2", "q1", "q5"]
    by = {s.member_id: s for s in ranked}
    assert by["q3"].open_load == 1 and by["q4"].open_load == 0
    assert by["j2"].lent_from == "JC"
    assert by["q4"].distance_km == pytest.approx(svc.haversine_km(28.925, 118.415, 28.92, 118.41), abs=1e-3)
    assert 9.0 < by["q1"].distance_km < 10.0


def test_haversine_and_percentile_arithmetic():
    # one degree of latitude ≈ 111.2 km
    assert svc.haversine_km(28.0, 118.0, 29.0, 118.0) == pytest.approx(111.195, abs=0.01)
    assert svc.percentile([5, 10, 30], 90) == 30
    assert svc.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert svc.percentile([], 90) is None


# --------------------------------------------------------------------------- joint visits


def test_joint_visit_grouping_and_mutation(db):
    day1 = NOW - timedelta(hours=3)  # 2026-11-04 07:00 Shanghai
    add_incident(db, "A", QC, lat=28.8700, lon=118.3300, created_at=day1)
    add_incident(db, "B", QC, lat=28.8750, lon=118.3300, created_at=day1 + timedelta(minutes=5))  # 0.56 km
    add_incident(db, "C", QC, lat=28.8800, lon=118.3300, created_at=day1 + timedelta(minutes=9))  # 1.11 km
    add_incident(db, "D", QC, lat=28.9500, lon=118.3300, created_at=day1)  # 8.9 km
    add_incident(db, "E", QC, lat=28.8701, lon=118.3300, created_at=day1 - timedelta(days=1))  # the day before
    add_incident(db, "F", HJ, lat=28.8702, lon=118.3300, created_at=day1)  # another zone (JC)
    assert svc.joint_visit(db, ["A", "B", "C", "D", "E", "F"]) == [["A", "B", "C"]]
    assert svc.joint_visit(db, ["A", "B", "C"], radius_km=0.6) == [["A", "B"]]

    add_member(db, "lead", "QC", "主办")
    add_member(db, "aux", "QC", "辅助", auxiliary=True, cert_expiry=None)
    with pytest.raises(ValidationError, match=r"8\.9 km apart"):
        run(db, "team.joint_visit", "jv0", {"incident_ids": ["A", "D"], "lead_member_id": "lead"})
    with pytest.raises(ValidationError, match="辅助人员"):
        run(db, "team.joint_visit", "jv0", {"incident_ids": ["A", "B"], "lead_member_id": "aux"})
    with pytest.raises(ValidationError, match="same zone"):
        run(db, "team.joint_visit", "jv0", {"incident_ids": ["A", "F"], "lead_member_id": "lead"})
    with pytest.raises(ValidationError, match="same day"):
        run(db, "team.joint_visit", "jv0", {"incident_ids": ["A", "E"], "lead_member_id": "lead"})
    # #14: another zone's enforcer (an expired certificate) is answered like one that does not exist: its
    # certificate and status are not the 球川 desk's to learn
    add_member(db, "tm-lead", "TM", "他队主办", cert_expiry=(NOW.date() - timedelta(days=3)).isoformat())
    for member in ("tm-lead", "ghost"):
        with pytest.raises(ValidationError) as caught:
            run(db, "team.joint_visit", "jv0", {"incident_ids": ["A", "B"], "lead_member_id": member})
        assert caught.value.problem.replace(member, "ID") == "no team member with id 'ID'", member

    # B already has a team dispatch to QC: it joins the visit instead of getting a second dispatch
    run(db, "incident.dispatch", "B", {"target_kind": "team", "target_code": "QC", "dispatch_id": "d-b",
                                       "member_ids": ["lead"], "lead_member_id": "lead"})
    ctx = run(db, "team.joint_visit", "jv1", {"incident_ids": ["A", "B", "C"], "lead_member_id": "lead",
                                              "member_ids": ["aux"], "note": "一次上门"})
    assert ctx.status == "applied"
    rows = db.scalars(select(Dispatch).where(Dispatch.joint_visit_id == "jv1").order_by(Dispatch.incident_id)).all()
    assert [d.incident_id for d in rows] == ["A", "B", "C"]
    assert all(d.target_code == "QC" and d.lead_member_id == "lead" for d in rows)
    assert rows[1].id == "d-b" and set(rows[1].member_ids) == {"lead", "aux"}
    assert db.get(Incident, "A").state == "dispatched" and db.get(Incident, "C").assignee_code == "QC"
    assert len(db.scalars(select(Dispatch).where(Dispatch.incident_id == "B")).all()) == 1
    assert run(db, "team.joint_visit", "jv1", {"incident_ids": ["A", "B", "C"],
                                               "lead_member_id": "lead"}).status == "merged"
    # #14: the id of another township's joint visit, sent again from here, tells nothing of it ("已安排")
    db.add(Dispatch(id="tm-d", township_code="TM", incident_id="tm-x", target_kind="team", target_code="TM",
                    member_ids=[], joint_visit_id="jv-tm", state="assigned", assigned_at=NOW))
    db.flush()
    assert run(db, "team.joint_visit", "jv-tm", {"incident_ids": ["A", "B", "C"],
                                                 "lead_member_id": "lead"}).status == "applied"


# --------------------------------------------------------------------------- status, response times


def test_member_status_is_validated_and_recorded(db):
    m = add_member(db, "q1", "QC", "甲")
    run(db, "member.set_status", "q1", {"status": "on_scene", "lat": 28.9, "lon": 118.4},
        now=NOW + timedelta(minutes=3))
    assert (m.status, m.lat, m.lon, m.status_at) == ("on_scene", 28.9, 118.4, NOW + timedelta(minutes=3))
    with pytest.raises(ValidationError, match="status"):
        run(db, "member.set_status", "q1", {"status": "busy"})
    with pytest.raises(ValidationError, match="lat/lon"):
        run(db, "member.set_status", "q1", {"status": "available", "lat": 28.9})


def test_response_time_statistics_on_fixed_dispatches(db):
    t0 = datetime(2026, 11, 3, 1, 0)
    m = timedelta(minutes=1)

    def disp(did, lead, members, ack, scene, done, kind="team", code="QC", start=t0):
        db.add(Dispatch(id=did, township_code=QC, incident_id=f"i-{did}", target_kind=kind, target_code=code,
                        lead_member_id=lead, member_ids=members, state="done", assigned_at=start,
                        acknowledged_at=start + ack * m if ack is not None else None,
                        on_scene_at=start + scene * m if scene is not None else None,
                        done_at=start + done * m if done is not None else None))

    disp("d1", "m1", ["m1", "m2"], 5, 20, 60)
    disp("d2", "m1", ["m1"], 10, 40, 120)
    disp("d3", "m2", ["m2"], 30, None, None)
    disp("d4", None, [], 1, 2, 3, kind="department", code="natres")  # departments are not teams
    disp("d5", "m3", ["m3"], 99, 99, 99, code="TM", start=t0 - timedelta(days=10))  # outside the window
    db.flush()
    zones, members = svc.response_times(db, since=t0 - timedelta(days=1), until=t0 + timedelta(days=1))
    assert [z.key for z in zones] == ["QC"]
    qc = zones[0]
    assert qc.dispatches == 3
    # acknowledged: 5, 10, 30 → median 10, p90 (nearest rank ⌈2.7⌉ = 3rd) 30
    assert (qc.acknowledged.n, qc.acknowledged.median_min, qc.acknowledged.p90_min) == (3, 10, 30)
    assert (qc.on_scene.n, qc.on_scene.median_min, qc.on_scene.p90_min) == (2, 30, 40)
    assert (qc.done.median_min, qc.done.p90_min) == (90, 120)
    by = {s.key: s for s in members}
    assert set(by) == {"m1", "m2"}
    assert (by["m1"].dispatches, by["m1"].acknowledged.median_min, by["m1"].acknowledged.p90_min) == (2, 7.5, 10)
    assert (by["m2"].acknowledged.median_min, by["m2"].acknowledged.p90_min) == (17.5, 30)
    assert (by["m2"].on_scene.n, by["m2"].on_scene.median_min) == (1, 20)
    assert by["m2"].done.median_min == 60


def test_incident_dispatch_refuses_a_lead_without_a_valid_certificate(db):
    """The lead rule holds on every dispatch path, not only in the team dialog."""
    inc = add_incident(db, "inc-lead", BS, lat=28.92, lon=118.41)
    add_member(db, "m-expired", "QC", "过期", cert_expiry="2026-10-01")
    add_member(db, "m-valid", "QC", "有效", cert_expiry="2027-10-01")
    with pytest.raises(ValidationError, match="lead_member_id"):
        run(db, "incident.dispatch", inc.id, {"target_kind": "team", "target_code": "QC", "member_ids": ["m-expired"],
                                              "lead_member_id": "m-expired", "dispatch_id": "d-1"})
    run(db, "incident.dispatch", inc.id, {"target_kind": "team", "target_code": "QC", "member_ids": ["m-valid"],
                                          "lead_member_id": "m-valid", "dispatch_id": "d-2"})
    assert db.get(Incident, inc.id).state == "dispatched"
