"""The county server's scheduler with an injected clock: a day of escalations in seconds, two schedulers on one
database doing every escalation exactly once, a run interrupted mid-way and resumed by the next process."""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from commandroom.domain.models import (
    ChangeLog,
    DeviceToken,
    Incident,
    JobRun,
    Notice,
    NoticeChannel,
    NoticeRule,
    OneThingCase,
    Photo,
    TaskCard,
    TimelineEntry,
)
from commandroom.mutations.core import Actor
from commandroom.server import pipeline
from commandroom.server.scheduler import JOBS, Scheduler, job_status
from commandroom.server.state import open_state
from commandroom.services.deadlines import escalation_rank, load_levels
from commandroom.timeutil import SHANGHAI
from tests.server.test_auth_support import QC, QC_SEAT, seeded

OFFICER = Actor(user_id="u-qc1", name="球川值班甲", role="duty_officer", township_code=QC, device_id="ws-qc1",
                device_name="球川-甲")
LADDER = ["reminder", "supervision_order", "leader_notice"]


def beijing(text: str) -> datetime:
    """Naive UTC of a Beijing wall-clock moment."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


START = beijing("2026-12-08T09:00")  # a Tuesday morning


class Clock:
    """The injected clock: naive UTC, moved by the test."""

    def __init__(self, t: datetime) -> None:
        self.t = t
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.t

    def set(self, t: datetime) -> None:
        with self.lock:
            self.t = t


@pytest.fixture
def state(db_url, tmp_path):
    st = open_state(seeded(db_url, tmp_path))
    st.extras["photos_dir"] = str(tmp_path / "photos")
    yield st
    st.close()


def officer(state, name: str, entity_id: str, args: dict, now: datetime) -> pipeline.Outcome:
    with state.transaction() as s:
        load_levels(s)
        return pipeline.execute(s, actor=OFFICER, allowed_townships=None, name=name, entity_id=entity_id,
                                args=args, now=now, occurred_at=now)


def incident(state, n: int, now: datetime, urgency: str = "L2") -> str:
    rid, iid = f"r-sched-{n}", f"i-sched-{n}"
    officer(state, "report.create", rid, {
        "source": "grid_patrol", "category_code": "urban_parking", "description": f"第{n}处村口新建违章建筑，正在浇筑",
        "lat": QC_SEAT[0], "lon": QC_SEAT[1], "address": "球川镇某村村口", "township_code": QC}, now)
    officer(state, "report.accept", rid, {"incident_id": iid, "urgency": urgency}, now)
    return iid


def module(state, now: datetime) -> None:
    officer(state, "module.create", "m-sched-qc", {"name": "综合执法", "township_code": QC, "lead_name": "张组长"},
            now)


def system_entries(state, action: str) -> list[TimelineEntry]:
    with state.read() as s:
        return list(s.scalars(select(TimelineEntry).where(TimelineEntry.action == action)
                              .order_by(TimelineEntry.at, TimelineEntry.id)))


def reminds(state) -> Counter:
    """(incident, level) → how many times the ladder sent it."""
    return Counter((e.incident_id, e.data.get("level")) for e in system_entries(state, "remind"))


# --------------------------------------------------------------------------- a day of escalations in seconds


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T09:00:00+08:00")
def test_a_week_of_clocks_runs_by_itself_in_seconds(state):
    clock = Clock(START)
    module(state, START)
    urgent = incident(state, 1, START, "L1")
    normal = incident(state, 2, START, "L3")
    officer(state, "summon", "chk-sched-1", {"incident_id": normal, "hours": 2,
                                            "targets": [{"kind": "department", "code": "natres"}]}, START)
    with state.transaction() as s:  # the county's group robot hears of warnings and escalations
        robot = NoticeChannel(name="县指挥中心群", kind="robot", config={"url": "http://127.0.0.1:9/robot"})
        s.add(robot)
        s.flush()
        s.add_all([NoticeRule(event_kind=kind, channel_id=robot.id) for kind in ("pre_breach", "escalation")])
    scheduler = Scheduler(state, now=clock)
    step = timedelta(minutes=30)
    t = START
    while t <= START + timedelta(days=8):
        clock.set(t)
        scheduler.tick()
        t += step

    with state.read() as s:
        inc = {i.id: i for i in s.scalars(select(Incident).where(Incident.id.in_([urgent, normal])))}
        cards = list(s.scalars(select(TaskCard).where(TaskCard.auto_source != "")))
    # the ladder: every step once, in order, by 系统, at the first tick after it was due
    sent = system_entries(state, "remind")
    for iid in (urgent, normal):
        mine = [e for e in sent if e.incident_id == iid]
        assert [e.data["level"] for e in mine] == LADDER, (iid, [e.data for e in mine])
        assert {e.actor_name for e in mine} == {"系统"}
        assert inc[iid].escalation_level == "leader_notice"
        from commandroom.mutations.incidents import running_escalation

        with state.read() as s:
            load_levels(s)
            for e in mine:  # due at this tick, not yet at the one before
                assert running_escalation(inc[iid], e.at).value == e.data["level"] or \
                    escalation_rank(running_escalation(inc[iid], e.at).value) >= escalation_rank(e.data["level"])
                assert escalation_rank(running_escalation(inc[iid], e.at - step).value) < \
                    escalation_rank(e.data["level"])
    # the missed check-in climbs its ladder too, and each source has one 督办 card
    with state.read() as s:
        chk_levels = [e.data["level"] for e in s.scalars(select(TimelineEntry).where(
            TimelineEntry.action == "checkin_escalate").order_by(TimelineEntry.at))]
    assert chk_levels == LADDER
    assert Counter(c.auto_source for c in cards) == {"overdue_incident": 2, "missed_checkin": 1}
    # a pre-breach warning once per running clock before it ran out
    warned = Counter((e.incident_id, e.data["clock"]) for e in system_entries(state, "breach_warning"))
    assert warned[(urgent, "ack")] == 1 and warned[(urgent, "close")] == 1 and set(warned.values()) == {1}
    # the notices channel: one group message per warning, one per 督办单 / 领导通报 of each incident
    with state.read() as s:
        notices = Counter((n.event_kind, n.subject_id) for n in s.scalars(select(Notice)))
    for iid in (urgent, normal):
        assert notices[("escalation", iid)] == 2
        assert notices[("pre_breach", iid)] == sum(n for (i, _c), n in warned.items() if i == iid)
    # every job ran each of its slots once
    with state.read() as s:
        runs = Counter(r.job for r in s.scalars(select(JobRun)))
        unfinished = s.scalars(select(JobRun).where(JobRun.finished_at.is_(None))).all()
        status = {j["job"]: j for j in job_status(s, clock())}
    assert not unfinished
    assert runs["escalate"] == 8 * 24 * 2 + 1  # every 30-minute tick is a new 5-minute slot
    assert runs["compact_changes"] == 1 + 8  # the night it started in, then nightly at 03:00 Beijing
    assert status["escalate"]["last_run_at"] and status["escalate"]["next_run_at"] > clock().isoformat()


# --------------------------------------------------------------------------- exactly once with two schedulers


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T09:00:00+08:00")
def test_two_schedulers_on_one_database_escalate_exactly_once(state, db_url):
    clock = Clock(START)
    iids = [incident(state, n, START, "L1") for n in range(1, 6)]
    other_state = open_state(state.db_url, migrate=False)  # a second server process: its own engine
    live = {"a": Scheduler(state, now=clock), "b": Scheduler(other_state, now=clock)}
    everyone = list(live.values())
    ran = Counter()
    try:
        t = START
        while t <= START + timedelta(days=6):
            clock.set(t)
            barrier = threading.Barrier(len(live))
            results: dict[str, list] = {}

            def tick(name: str, sch: Scheduler, barrier: threading.Barrier = barrier,
                     results: dict[str, list] = results) -> None:
                barrier.wait()
                results[name] = sch.tick()

            threads = [threading.Thread(target=tick, args=item) for item in live.items()]
            for th in threads:
                th.start()
            for th in threads:
                th.join(60)
            for name, runs in results.items():
                ran[name] += len(runs)
            if t == START + timedelta(days=2) and len(live) == 2:
                # the leading process dies (its connection and lock with it); the other takes over
                leader = next((name for name, runs in results.items() if runs), None)
                if leader is not None:
                    live.pop(leader).close()
            t += timedelta(minutes=30)
    finally:
        for sch in everyone:
            sch.close()
        other_state.close()
    sent = reminds(state)
    assert {(i, lv) for i in iids for lv in LADDER} == set(sent), sent
    assert set(sent.values()) == {1}, sent  # exactly once each
    with state.read() as s:
        slots = Counter((r.job, r.slot_at) for r in s.scalars(select(JobRun)))
    assert set(slots.values()) == {1}
    if not state.is_sqlite:
        assert ran["a"] and ran["b"]  # one led, then the other


# --------------------------------------------------------------------------- a run interrupted mid-way


class Crash(BaseException):
    """The server process dies mid-run (not an error the scheduler could catch and record)."""


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T09:00:00+08:00")
def test_a_run_interrupted_mid_way_is_resumed_after_a_restart_without_doing_anything_twice(state):
    iids = [incident(state, n, START, "L1") for n in range(1, 5)]
    late = START + timedelta(days=1)  # every ack clock is overdue: four reminders in one run
    clock = Clock(late)
    acts: list[str] = []

    def crash_after_two(job: str, name: str, entity_id: str) -> None:
        acts.append(entity_id)
        if job == "escalate" and len(acts) == 2:
            raise Crash

    only_escalate = tuple(j for j in JOBS if j.name == "escalate")
    dead = Scheduler(state, now=clock, jobs=only_escalate, on_act=crash_after_two)
    with pytest.raises(Crash):
        dead.tick()
    dead.close()  # its process is gone, and with it its database connection (the leader lock on PostgreSQL)
    assert len(reminds(state)) == 2
    with state.read() as s:
        run = s.scalar(select(JobRun).where(JobRun.job == "escalate"))
        assert run.finished_at is None  # left unfinished by the dead process
        assert job_status(s, late, only_escalate)[0]["running_since"]

    restarted = Scheduler(state, now=clock, jobs=only_escalate)
    assert len(restarted.tick()) == 1
    sent = reminds(state)
    assert sorted(i for i, _level in sent) == sorted(iids)  # each incident reminded once: none skipped,
    assert set(sent.values()) == {1}  # none twice
    with state.read() as s:
        run = s.scalar(select(JobRun).where(JobRun.job == "escalate"))
        assert run.finished_at is not None and run.detail.get("resumed") == 1 and run.acts == 2
    assert restarted.tick() == []  # the slot is done


# --------------------------------------------------------------------------- housekeeping


@pytest.mark.at("2026-12-08T09:00:00+08:00")
def test_nightly_housekeeping_compacts_the_change_log_and_clears_orphans(state, tmp_path):
    now = START
    iid = incident(state, 1, now)
    for n in range(3):  # later notes: each one moves the incident's updated_at, a new version of it
        officer(state, "incident.note", iid, {"note": f"第{n}次进展"}, now + timedelta(minutes=n + 1))
    later = now + timedelta(days=120)
    with state.transaction() as s:
        s.add(Photo(sha256="a" * 64, mime="image/jpeg", size=10, created_at=now))  # nobody refers to it
        s.add(Photo(sha256="b" * 64, mime="image/jpeg", size=10, created_at=later - timedelta(days=1)))  # young
        s.add(Photo(sha256="c" * 64, mime="application/pdf", size=10, created_at=now))  # a case's document
        s.add(OneThingCase(id="case-old", township_code=QC, type_code="farmer_housing", title="农民建房",
                           lead_department_code="agri", due_at=now,
                           attachments=[{"sha256": "c" * 64, "name": "联审意见.pdf", "mime": "application/pdf"}]))
        s.add(DeviceToken(user_id=_a_user(s), device_id="ws-old",
                          access_hash="x", refresh_hash="y", access_expires_at=now - timedelta(days=40),
                          refresh_expires_at=now - timedelta(days=30)))
    with state.read() as s:
        before = s.query(ChangeLog).filter(ChangeLog.entity_id == iid).count()
        buckets = {c.bucket for c in s.query(ChangeLog).filter(ChangeLog.entity_id == iid)}
    from commandroom.server.photos import partial_path

    stale, fresh = partial_path(state, "d" * 64), partial_path(state, "e" * 64)
    stale.parent.mkdir(parents=True, exist_ok=True)
    for path, age in ((stale, timedelta(days=8)), (fresh, timedelta(days=1))):  # uploads cut off, not resumed
        path.write_bytes(b"part")
        os.utime(path, (0, (later - age).replace(tzinfo=UTC).timestamp()))
    jobs = tuple(j for j in JOBS if j.name in ("compact_changes", "clean_up"))
    runs = {r.job: r for r in Scheduler(state, now=lambda: later, jobs=jobs).tick()}
    with state.read() as s:
        after = s.query(ChangeLog).filter(ChangeLog.entity_id == iid).count()
        assert {p.sha256[0] for p in s.scalars(select(Photo))} == {"b", "c"}
        assert s.scalars(select(DeviceToken).where(DeviceToken.device_id == "ws-old")).first() is None
    # superseded versions of the incident went; the latest stays, one in each bucket it is read from
    assert before > len(buckets) and after == len(buckets)
    assert runs["compact_changes"].acts > 0
    assert runs["clean_up"].detail == {"photos": 1, "tokens": 1, "partial_uploads": 1}
    assert not stale.exists() and fresh.exists()


def _a_user(s) -> str:
    from commandroom.domain.models import User

    user = User(username="sched-old", display_name="旧设备", role="duty_officer", scope_kind="township")
    s.add(user)
    s.flush()
    return user.id


# --------------------------------------------------------------------------- serve --workers 2


@pytest.mark.postgres  # the server processes run on the real clock: any overdue clock gets at least 提醒
def test_serve_with_two_processes_runs_each_job_once_and_escalates_once(pg_url, tmp_path):
    """``commandroom serve --workers 2`` on PostgreSQL: both processes start a scheduler, one leads."""
    import os
    import subprocess
    import sys
    import time

    from commandroom.timeutil import utcnow
    from tests.server.test_auth_support import free_port

    state = open_state(seeded(pg_url, tmp_path))
    two_days_ago = utcnow() - timedelta(days=2)
    overdue = [incident(state, n, two_days_ago, "L1") for n in range(1, 4)]
    port = free_port()
    env = {**os.environ, "COMMANDROOM_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "commandroom.cli", "serve", "--workers", "2", "--db", pg_url,
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with state.read() as s:
                done = {r.job for r in s.scalars(select(JobRun).where(JobRun.finished_at.is_not(None)))}
            if done >= {j.name for j in JOBS}:
                break
            time.sleep(0.5)
        assert done >= {j.name for j in JOBS}, f"jobs run: {done}"
        time.sleep(3)  # both processes have ticked by now (each ticks at start)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    sent = reminds(state)
    assert sorted(i for i, _level in sent) == sorted(overdue) and set(sent.values()) == {1}, sent
    with state.read() as s:
        runs = list(s.scalars(select(JobRun)))
    assert set(Counter((r.job, r.slot_at) for r in runs).values()) == {1}
    assert len({r.runner for r in runs}) == 1  # one process led
    state.close()
