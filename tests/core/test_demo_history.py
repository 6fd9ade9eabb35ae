"""Demo history: volume and rhythm, workflow states, routing, places, numbering, determinism, both engines."""

from __future__ import annotations

import hashlib
import itertools
import re
import shutil
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select

from commandroom.demo_history.history import generate_history
from commandroom.domain.enums import IncidentState
from commandroom.domain.models import (
    Dispatch,
    EventCategory,
    Incident,
    Matter,
    Report,
    SyncCounter,
    TeamMember,
    TimelineEntry,
    Township,
    UrgencyLevel,
)
from commandroom.refdata.seed import seed_database
from commandroom.store.db import make_engine, session_factory

NOW = datetime(2026, 11, 26, 2, 30)  # 10:30 on a Thursday in Changshan
DAYS = 30
SEED = 20261126
OUTSIDE = {"anti_cult", "agency_service", "village_org", "party_visit", "public_opinion"}
SHANGHAI = timedelta(hours=8)


def _generate(url: str, *, days: int, seed: int) -> dict:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s, s.begin():
            return generate_history(s, days=days, seed=seed, now=NOW)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """30 days on SQLite, generated once for the property tests (reference data from a fresh seed)."""
    path = tmp_path_factory.mktemp("history") / "history.db"
    url = f"sqlite:///{path}"
    seed_database(url, now=NOW)
    stats = _generate(url, days=DAYS, seed=SEED)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as s:
        data = {
            "stats": stats,
            "reports": list(s.scalars(select(Report))),
            "incidents": list(s.scalars(select(Incident))),
            "dispatches": list(s.scalars(select(Dispatch))),
            "timeline": list(s.scalars(select(TimelineEntry).order_by(TimelineEntry.at, TimelineEntry.id))),
            "townships": {t.code: t for t in s.scalars(select(Township))},
            "members": {m.id: m for m in s.scalars(select(TeamMember))},
            "categories": {c.code: c for c in s.scalars(select(EventCategory))},
            "matters": {m.code: m for m in s.scalars(select(Matter))},
            "levels": {u.code: u for u in s.scalars(select(UrgencyLevel))},
            "counter": s.get(SyncCounter, 1),
        }
    engine.dispose()
    return data


def _local(dt: datetime) -> datetime:
    return dt + SHANGHAI


def test_volume_about_300_a_day_with_a_daily_and_weekly_rhythm(history):
    reports = history["reports"]
    assert abs(len(reports) / DAYS - 300) < 0.1 * 300
    per_day = Counter(_local(r.reported_at).date() for r in reports)
    first, last = min(per_day), max(per_day)
    full = {d: n for d, n in per_day.items() if d not in (first, last)}
    assert all(300 * 0.5 <= n <= 300 * 1.45 for n in full.values()), full
    weekday = [n for d, n in full.items() if d.weekday() < 5]
    weekend = [n for d, n in full.items() if d.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 1.3 * sum(weekend) / len(weekend)
    hours = Counter(_local(r.reported_at).hour for r in reports)
    assert hours[10] > 5 * hours[3] and hours[15] > 5 * hours[2]
    assert hours[12] < hours[10] and hours[12] < hours[15]  # lunch dip between the two peaks
    sources = Counter(r.source for r in reports)
    assert sources.most_common(1)[0][0] == "grid_patrol"
    assert set(sources) == {"grid_patrol", "hotline_12345", "villager_app", "department_push", "sensor_alert",
                            "assigned_from_above", "inspection"}


def test_triage_accepts_merges_and_rejects(history):
    reports, incidents = history["reports"], {i.id: i for i in history["incidents"]}
    states = Counter(r.state for r in reports)
    assert states["accepted"] == len(incidents)
    assert 0.05 * len(reports) < states["merged"] < 0.2 * len(reports)
    assert 0.03 * len(reports) < states["rejected"] < 0.12 * len(reports)
    assert all(r.reject_reason for r in reports if r.state == "rejected")
    assert all(r.triaged_at is None and r.incident_id is None for r in reports if r.state == "new")
    merged_into = Counter(r.incident_id for r in reports if r.state == "merged")
    for inc in incidents.values():
        assert inc.report_count == 1 + merged_into.get(inc.id, 0)
    for r in reports:
        if r.state == "merged":
            inc = incidents[r.incident_id]
            assert r.category_code == inc.category_code or r.category_code in history["categories"][
                inc.category_code].related
            assert inc.created_at < r.triaged_at


def test_every_workflow_state_is_present_old_ones_closed_some_overdue(history):
    incidents = history["incidents"]
    states = Counter(i.state for i in incidents)
    assert set(states) == {s.value for s in IncidentState}, states
    old = [i for i in incidents if i.created_at < NOW - timedelta(days=12)]
    assert sum(i.state == "closed" for i in old) >= 0.97 * len(old)
    overdue = [i for i in incidents if i.state != "closed" and i.close_due and i.close_due < NOW]
    assert 10 <= len(overdue) < 0.1 * len(incidents)
    assert history["stats"]["overdue"] == len(overdue)
    assert any(i.escalation_level != "none" for i in overdue)
    assert all(i.closed_at is not None for i in incidents if i.state == "closed")
    assert any(i.return_count > 0 for i in incidents)


def test_routing_is_frozen_from_the_list(history):
    matters, categories = history["matters"], history["categories"]
    for inc in history["incidents"]:
        assert inc.zone_id == history["townships"][inc.township_code].zone_id
        if inc.outside_list:
            assert inc.category_code in OUTSIDE and inc.matter_code is None and inc.lead_department_code is None
            assert "县乡联办" in inc.township_duty
            continue
        m = matters[inc.matter_code]
        assert inc.category_code in m.category_codes and inc.matter_version == 1
        assert (inc.lead_department_code, inc.is_enforcement, inc.matter_name) == (
            m.lead_department_code, m.is_enforcement, m.name)
        if not inc.routing_override_reason:
            assert inc.category_code in m.default_for
    assert any(i.routing_override_reason for i in history["incidents"])
    assert any(i.outside_list for i in history["incidents"])
    assert set(categories) >= {i.category_code for i in history["incidents"]}


def test_deadlines_follow_the_urgency_clocks(history):
    from commandroom.services.deadlines import compute_deadlines, in_order

    matters, levels = history["matters"], history["levels"]
    for inc in history["incidents"][::97]:
        limits = matters[inc.matter_code].limits if inc.matter_code else {}
        expected = compute_deadlines(inc.created_at, inc.urgency, limits, levels)
        assert inc.close_due == expected.close_due
        if inc.dispatched_at is not None:
            resp = compute_deadlines(inc.dispatched_at, inc.urgency, limits, levels)
            assert (inc.ack_due, inc.onsite_due) == in_order(resp.ack_due, resp.onsite_due, inc.close_due)
        # 签收 ≤ 到场 ≤ 办结: a closed incident never lists its close deadline before the others
        dues = [d for d in (inc.ack_due, inc.onsite_due, inc.close_due) if d is not None]
        assert dues == sorted(dues)


def test_timelines_and_dispatches_tell_the_same_story(history):
    incidents = {i.id: i for i in history["incidents"]}
    by_incident: dict[str, list[TimelineEntry]] = defaultdict(list)
    for e in history["timeline"]:
        by_incident[e.incident_id].append(e)
        assert e.at <= NOW and e.actor_name and e.device_name
    assert set(by_incident) == set(incidents)
    for inc_id, entries in by_incident.items():
        inc = incidents[inc_id]
        assert entries[0].action == "create" and entries[0].to_state == "pending_dispatch"
        changes = [e for e in entries if e.to_state is not None]
        assert changes[-1].to_state == inc.state
        for a, b in itertools.pairwise(changes):
            assert b.from_state == a.to_state, (inc.number, a.action, b.action)
    actions = Counter(e.action for e in history["timeline"])
    assert {"create", "dispatch", "acknowledge", "arrive", "start", "submit", "verify_pass", "close", "return",
            "escalate", "remind", "merge_report", "override", "verify_fail"} <= set(actions)
    members = history["members"]
    for d in history["dispatches"]:
        inc = incidents[d.incident_id]
        assert d.assigned_at >= inc.created_at
        if d.target_kind == "team":
            assert d.target_code == inc.zone_id and d.lead_member_id in d.member_ids
            assert all(members[m].zone_id == d.target_code for m in d.member_ids)
        if inc.state == "closed":
            assert d.state in ("done", "cancelled")
    open_states = {"dispatched", "acknowledged", "in_progress", "awaiting_verification"}
    active = {d.incident_id for d in history["dispatches"] if d.state not in ("done", "cancelled")}
    assert active <= {i.id for i in incidents.values() if i.state in open_states}


def test_places_fit_the_township(history):
    areas = {}
    for code, t in history["townships"].items():
        areas[code] = shape(t.area_geojson)
        shapely.prepare(areas[code])
    for r in history["reports"]:
        assert shapely.contains_xy(areas[r.township_code], r.lon, r.lat), r.number
        assert r.address.startswith("常山县" + history["townships"][r.township_code].name)
        assert r.description and r.reporter_name
    urban = {c for c, t in history["townships"].items() if t.urban}
    mix = {True: Counter(), False: Counter()}
    for r in history["reports"]:
        mix[r.township_code in urban][r.category_code] += 1

    def share(is_urban: bool, codes: set[str]) -> float:
        return sum(mix[is_urban][c] for c in codes) / sum(mix[is_urban].values())

    city = {"urban_parking", "road_occupation", "fumes_noise"}
    country = {"illegal_construction", "open_burning", "river_waste", "farmland_occupation"}
    assert share(True, city) > 3 * share(False, city)
    assert share(False, country) > 3 * share(True, country)
    patrol = [r for r in history["reports"] if r.source == "grid_patrol"]
    assert all(r.grid_id for r in patrol)


def test_human_numbers_are_consistent_and_the_server_continues_them(history):
    serials: dict[str, list[int]] = defaultdict(list)
    for obj, pattern in ((history["incidents"], r"^([A-Z]{2})-2026-(\d{6})$"),
                         (history["reports"], r"^([A-Z]{2}-R)-2026-(\d{6})$")):
        for row in obj:
            m = re.match(pattern, row.number)
            assert m, row.number
            assert history["townships"][row.township_code].number_prefix == m.group(1)[:2]
            serials[f"{m.group(1)}:2026"].append(int(m.group(2)))
    for key, values in serials.items():
        assert sorted(values) == list(range(1, len(values) + 1)), key
    assert history["counter"].human_serials == {k: len(v) for k, v in serials.items()}
    incidents = sorted(history["incidents"], key=lambda i: i.created_at)
    qc = [i.number for i in incidents if i.number.startswith("QC-")]
    assert qc[:2] == ["QC-2026-000001", "QC-2026-000002"]


def test_search_text_is_filled(history):
    from commandroom.services.search import search_tokens

    for inc in history["incidents"][:50]:
        tokens = set(inc.search_text.split())
        assert set(search_tokens(inc.number, inc.description).split()) <= tokens


def _digest(url: str) -> str:
    engine = make_engine(url)
    h = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for table in ("report", "incident", "dispatch", "timeline_entry"):
                for row in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id"):
                    h.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return h.hexdigest()


def test_deterministic_for_a_seed(tmp_path, seeded_sqlite):
    template = seeded_sqlite.removeprefix("sqlite:///")
    urls = []
    for name in ("a", "b", "c"):
        dst = tmp_path / f"{name}.db"
        shutil.copy(template, dst)
        urls.append(f"sqlite:///{dst}")
    _generate(urls[0], days=2, seed=7)
    _generate(urls[1], days=2, seed=7)
    _generate(urls[2], days=2, seed=8)
    assert _digest(urls[0]) == _digest(urls[1]) != _digest(urls[2])


def test_seed_with_demo_days_on_both_engines(db_url):
    counts = seed_database(db_url, demo_days=1, now=NOW)
    assert 150 < counts["report"] < 450 and counts["incident"] > 100
    assert counts["timeline_entry"] > 3 * counts["incident"] and counts["dispatch"] > 0.6 * counts["incident"]
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            orphans = s.scalar(select(func.count()).select_from(Report).where(
                Report.incident_id.is_not(None), Report.incident_id.not_in(select(Incident.id))))
            assert orphans == 0
            assert s.scalar(select(func.count(func.distinct(Incident.number)))) == counts["incident"]
            serials = s.get(SyncCounter, 1).human_serials
            assert serials["QC:2026"] >= 1 and serials["QC-R:2026"] >= serials["QC:2026"]
        # seeding again neither duplicates the history nor fails
        assert seed_database(db_url, demo_days=1, now=NOW) == counts
    finally:
        engine.dispose()
