"""The county server's scheduler: the clocks keep running when nobody clicks.

Jobs (:data:`JOBS`): the escalation ladder (提醒 → 督办单 → 领导通报) of overdue incidents, missed
check-ins (报到) and overdue one-thing cases; one-thing case steps on their own limits (warning, ladder,
督办 card); pre-breach warnings (即将超时预警, a banner on the desks);
automatic 督办 cards for overdue incidents and missed check-ins; change-log compaction (desks behind
the horizon get 410 and download again); clean-up of unreferenced photos and expired device tokens.

* **Once per county.** With several server processes on PostgreSQL only the leader runs jobs: the
  process holding a session-level advisory lock (:data:`LEADER_LOCK`) on a connection of its own; when
  it dies the lock goes with its connection and another process takes over at its next tick. On
  SQLite there is a single server process.
* **Never twice.** Time is cut into slots per job (every 5 minutes, every day at 03:00 Beijing…). A run
  is a ``srv_job_run`` row, unique per (job, slot): a second scheduler reaching the same slot finds it.
  Each act is a named mutation through :func:`commandroom.server.pipeline.execute` by 系统, in its own
  transaction, and idempotent (the ladder only rises, a card's id derives from its source, a warning
  is given once per clock and due time), so a run interrupted by a crash is resumed by the next leader
  without doing anything twice.
* **Injected clock.** ``now`` is a callable; tests run a day of escalations in seconds.

Deadlines and working days come from :mod:`commandroom.services.deadlines` with the published holiday
schedule (``load_levels`` reads it), as everywhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commandroom.domain.enums import CaseState, CheckinState
from commandroom.domain.errors import DomainError
from commandroom.domain.models import (
    CaseCheckin,
    CaseStep,
    DeviceToken,
    Dispute,
    Incident,
    JobRun,
    OneThingCase,
    Photo,
    Report,
    TimelineEntry,
    UrgencyLevel,
)
from commandroom.mutations.core import Actor
from commandroom.server import pipeline
from commandroom.server.auth import Principal, principal
from commandroom.services.deadlines import clock_state, escalation_for, escalation_rank, load_levels
from commandroom.timeutil import utcnow
from commandroom.workflows import INCIDENT_OPEN_STATES

log = logging.getLogger(__name__)

SYSTEM = Actor.system()  # 系统: every act of the scheduler is on the timeline under this name
LEADER_LOCK = 0x43520017  # pg advisory lock key: "CR" + issue 17
DAILY_ANCHOR = datetime(2000, 1, 1, 19, 0)  # naive UTC = 03:00 Beijing: daily jobs run at night
PHOTO_GRACE = timedelta(days=30)  # a photo may be uploaded long before the report that uses it is pushed
PARTIAL_GRACE = timedelta(days=7)  # an upload cut off and never resumed: its received part is dropped
TOKEN_GRACE = timedelta(days=7)  # an expired device token is kept a week (sign-in messages can name it)
KEEP_CHANGES_DAYS = 90


@dataclass(frozen=True)
class Job:
    name: str
    label: str  # what the county administrator reads
    every: timedelta
    fn: Callable[[Run], None]
    anchor: datetime = datetime(2000, 1, 1)

    def slot(self, now: datetime) -> datetime:
        """The start of the slot ``now`` falls in."""
        n = (now - self.anchor) // self.every
        return self.anchor + n * self.every


@dataclass
class Run:
    """One run of one job: its slot, its moment, the acts it did."""

    scheduler: Scheduler
    job: Job
    slot: datetime
    now: datetime
    acts: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self.scheduler.state.read() as session:
            load_levels(session)  # the published holiday schedule, for working-day arithmetic
            yield session

    def act(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        """One named mutation by 系统 in its own transaction; True when it changed something."""
        try:
            with self.scheduler.state.transaction() as session:
                load_levels(session)
                outcome = pipeline.execute(session, actor=SYSTEM, allowed_townships=None, name=name,
                                           entity_id=entity_id, args=args, now=self.scheduler.now())
        except DomainError as exc:
            log.warning("scheduler %s: %s %s refused: %s", self.job.name, name, entity_id, exc.message)
            self.detail["refused"] = self.detail.get("refused", 0) + 1
            return False
        applied = outcome.status == "applied"
        if applied:
            self.acts += 1
        if self.scheduler.on_act is not None:
            self.scheduler.on_act(self.job.name, name, entity_id)
        return applied


# --------------------------------------------------------------------------- the jobs


def _open_incidents(session: Session, now: datetime) -> list[Incident]:
    return list(session.scalars(
        select(Incident).where(Incident.deleted.is_(False), Incident.merged_into_id.is_(None),
                               Incident.state.in_([s.value for s in INCIDENT_OPEN_STATES]))
        .order_by(Incident.created_at, Incident.id)))


def escalate(run: Run) -> None:
    """The ladder at the published times: each overdue clock's level, once it is higher than the last one sent."""
    from commandroom.mutations.incidents import running_escalation

    plan: list[tuple[str, str, dict[str, Any]]] = []
    with run.read() as s:
        for inc in _open_incidents(s, run.now):
            level = running_escalation(inc, run.now).value
            if escalation_rank(level) > escalation_rank(inc.escalation_level or "none"):
                plan.append(("incident.remind", inc.id, {"level": level, "note": "超过时限，系统自动催办"}))
        for chk in s.scalars(select(CaseCheckin).where(
                CaseCheckin.deleted.is_(False), CaseCheckin.checked_in_at.is_(None), CaseCheckin.due_at < run.now,
                CaseCheckin.state.in_([CheckinState.WAITING.value, CheckinState.MISSED.value]))
                .order_by(CaseCheckin.due_at, CaseCheckin.id)):
            level = escalation_for(chk.due_at, run.now).value
            if escalation_rank(level) > escalation_rank(chk.escalation_level or "none"):
                plan.append(("checkin.escalate", chk.id, {"level": level}))
        for case in s.scalars(select(OneThingCase).where(
                OneThingCase.deleted.is_(False), OneThingCase.state != CaseState.COMPLETED.value,
                OneThingCase.due_at < run.now).order_by(OneThingCase.due_at, OneThingCase.id)):
            level = escalation_for(case.due_at, run.now).value
            if escalation_rank(level) > escalation_rank(case.escalation_level or "none"):
                plan.append(("case.escalate", case.id, {"level": level, "reason": "超过办理时限，系统自动督办"}))
    for name, entity_id, args in plan:
        run.act(name, entity_id, args)
    run.detail["planned"] = len(plan)


def warn_breaches(run: Run) -> None:
    """Pre-breach warnings: a clock entering its warning window gets one 即将超时预警 (the desks show a banner)."""
    from commandroom.domain.clocks import running_clocks

    plan: list[tuple[str, dict[str, Any]]] = []
    with run.read() as s:
        working = {lv.code: lv.working_time for lv in s.scalars(select(UrgencyLevel))}
        for inc in _open_incidents(s, run.now):
            clocks = running_clocks(inc.state, inc.acknowledged_at, inc.onsite_at, inc.ack_due, inc.onsite_due,
                                    inc.close_due)
            for kind, due in clocks:
                dispatched = inc.dispatched_at or inc.created_at
                started = {"ack": dispatched, "onsite": inc.acknowledged_at or dispatched}.get(kind, inc.created_at)
                state = clock_state(due, None, run.now, started, working_time=working.get(inc.urgency, True))
                if state == "warning":
                    plan.append((inc.id, {"clock": kind, "due": due.isoformat()}))
    for incident_id, args in plan:
        run.act("incident.warn_breach", incident_id, args)


def auto_cards(run: Run) -> None:
    """Automatic 督办 cards for overdue incidents and missed check-ins (one per source, ever)."""
    from commandroom.services.boards import auto_cards as planned_cards

    with run.read() as s:
        plans = planned_cards(s, run.now)
    for p in plans:
        run.act(p.name, p.entity_id, p.args)


def case_steps(run: Run) -> None:
    """One-thing case steps on their own clocks: a warning before the limit (即将超时, once per step), the ladder
    after it (提醒 → 督办单 → 领导通报, only rising) and one 督办 card per overdue step; notices go with the acts."""
    from commandroom.domain.clocks import step_running_expr
    from commandroom.services.boards import step_cards

    plan: list[tuple[str, str, dict[str, Any]]] = []
    with run.read() as s:
        rows = s.execute(
            select(CaseStep, OneThingCase).join(OneThingCase, OneThingCase.id == CaseStep.case_id)
            .where(step_running_expr(), OneThingCase.deleted.is_(False),
                   OneThingCase.state != CaseState.COMPLETED.value)
            .order_by(CaseStep.due_at, CaseStep.id)).all()
        for step, case in rows:
            assert step.due_at is not None
            if step.due_at < run.now:
                level = escalation_for(step.due_at, run.now).value
                if escalation_rank(level) > escalation_rank(step.escalation_level or "none"):
                    plan.append(("case.step_escalate", case.id, {"position": step.position, "level": level}))
                continue
            if step.warned_at is not None:
                continue
            before = s.scalar(select(CaseStep.done_at).where(
                CaseStep.case_id == case.id, CaseStep.position == step.position - 1, CaseStep.deleted.is_(False)))
            started = before or case.ordered_at
            if clock_state(step.due_at, None, run.now, started, working_time=True) == "warning":
                plan.append(("case.step_warn", case.id, {"position": step.position}))
        cards = step_cards(s, run.now)
    for name, entity_id, args in plan:
        run.act(name, entity_id, args)
    for p in cards:
        run.act(p.name, p.entity_id, p.args)
    run.detail["planned"] = len(plan) + len(cards)


def escalate_disputes(run: Run) -> None:
    """Disputes (推诿) the county has not decided within their working-time limit: escalated once each."""
    from commandroom.domain.clocks import dispute_overdue_expr

    with run.read() as s:
        overdue = list(s.scalars(select(Dispute.id).where(dispute_overdue_expr(run.now), Dispute.state == "open")
                                 .order_by(Dispute.due_at, Dispute.id)))
    for dispute_id in overdue:
        run.act("dispute.escalate", dispute_id, {})
    run.detail["planned"] = len(overdue)


def propose_amendments(run: Run) -> None:
    """Matters disputed (推诿) THRESHOLD times this quarter: 系统 proposes a list amendment, once per quarter each."""
    from collections import Counter

    from commandroom.domain.models import MatterListAmendment
    from commandroom.mutations.amendments import THRESHOLD, amendment_id, disputes_in, quarter_of
    from commandroom.services.teams import shanghai_date

    quarter = quarter_of(shanghai_date(run.now))
    with run.read() as s:
        counts = Counter(d.matter_code for d in disputes_in(s, None, quarter))
        due = [code for code, n in sorted(counts.items()) if code and n >= THRESHOLD
               and s.get(MatterListAmendment, amendment_id(code, quarter)) is None]
    for code in due:
        run.act("reflist.propose_amendment", amendment_id(code, quarter), {"matter_code": code, "quarter": quarter})
    run.detail["planned"] = len(due)


def compact_changes(run: Run) -> None:
    """Change-log compaction: superseded changes older than 90 days go; a desk behind gets 410 and resyncs."""
    from commandroom.server.sync_api import compact

    with run.scheduler.state.transaction() as s:
        deleted = compact(s, keep_days=run.scheduler.keep_changes_days, now=run.now)
    run.acts += sum(deleted.values())
    run.detail["deleted"] = deleted


def clean_up(run: Run) -> None:
    """Photos no record refers to (after a grace period) and device tokens long expired."""
    from commandroom.server.photos import photo_path, photos_dir

    state = run.scheduler.state
    with state.read() as s:
        old = set(s.scalars(select(Photo.sha256).where(Photo.created_at < run.now - PHOTO_GRACE)))
        if old:  # only then read every reference (reports, incidents, timeline entries)
            for photos in s.scalars(select(Report.photos)):
                old.difference_update(photos or [])
            for before, after in s.execute(select(Incident.photos_before, Incident.photos_after)):
                old.difference_update(before or [])
                old.difference_update(after or [])
            for data in s.scalars(select(TimelineEntry.data)):
                for key in ("photos", "photos_before", "photos_after"):
                    old.difference_update((data or {}).get(key) or [])
            for attachments in s.scalars(select(OneThingCase.attachments)):  # a case's documents and images
                old.difference_update(a.get("sha256") for a in attachments or [] if isinstance(a, dict))
        doomed = sorted(old)
    root = photos_dir(state) if doomed else None
    with state.transaction() as s:
        for start in range(0, len(doomed), 500):
            s.execute(delete(Photo).where(Photo.sha256.in_(doomed[start:start + 500])))
        tokens = s.execute(delete(DeviceToken).where(DeviceToken.refresh_expires_at < run.now - TOKEN_GRACE))
    for sha in doomed:  # after the commit: a file without a row is harmless, a row without its file is not
        assert root is not None
        with contextlib.suppress(OSError):
            photo_path(root, sha).unlink(missing_ok=True)
    from commandroom.server.photos import drop_stale_partials

    partials = drop_stale_partials(state, run.now - PARTIAL_GRACE)
    run.acts += len(doomed) + (tokens.rowcount or 0) + partials
    run.detail.update(photos=len(doomed), tokens=tokens.rowcount or 0, partial_uploads=partials)


JOBS: tuple[Job, ...] = (
    Job("escalate", "超时催办与督办（提醒 → 督办单 → 领导通报）", timedelta(minutes=5), escalate),
    Job("warn_breaches", "即将超时预警", timedelta(minutes=5), warn_breaches),
    Job("auto_cards", "超期事件与未报到的督办卡片", timedelta(minutes=15), auto_cards),
    Job("case_steps", "一件事步骤时限（预警、督办与督办卡片）", timedelta(minutes=5), case_steps),
    Job("escalate_disputes", "推诿争议超过仲裁时限未裁定的升级", timedelta(minutes=5), escalate_disputes),
    Job("propose_amendments", "推诿多发事项提出清单调整建议", timedelta(minutes=30), propose_amendments),
    Job("compact_changes", "同步变更日志压缩", timedelta(days=1), compact_changes, DAILY_ANCHOR),
    Job("clean_up", "清理无引用照片与过期设备令牌", timedelta(days=1), clean_up, DAILY_ANCHOR),
)


# --------------------------------------------------------------------------- the scheduler


class Scheduler:
    """Runs :data:`JOBS` on a county server database when this process is the leader.

    Args:
        now: the clock (naive UTC); tests inject one.
        on_act: called after each act with (job, mutation name, entity id): tests interrupt a run here.
    """

    def __init__(self, state: Any, *, now: Callable[[], datetime] = utcnow, jobs: tuple[Job, ...] = JOBS,
                 on_act: Callable[[str, str, str], None] | None = None,
                 keep_changes_days: int = KEEP_CHANGES_DAYS) -> None:
        self.state = state
        self.now = now
        self.jobs = jobs
        self.on_act = on_act
        self.keep_changes_days = keep_changes_days
        self.runner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._leader: Connection | None = None

    # -- leadership

    def is_leader(self) -> bool:
        """Whether this scheduler may run jobs now (taking the lead if nobody holds it)."""
        if self.state.is_sqlite:
            return True
        if self._leader is not None:
            try:
                self._leader.exec_driver_sql("SELECT 1")
                return True
            except Exception:  # noqa: BLE001 - the connection (and the lock with it) is gone
                self._drop_leader()
        conn = self.state.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar()
        if got:
            self._leader = conn
            log.info("scheduler %s leads", self.runner)
            return True
        conn.close()
        return False

    def _drop_leader(self) -> None:
        if self._leader is not None:
            with contextlib.suppress(Exception):
                self._leader.invalidate()
            self._leader = None

    def close(self) -> None:
        """Give up the lead (another process takes it at its next tick)."""
        if self._leader is not None:
            with contextlib.suppress(Exception):
                self._leader.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK})
                self._leader.close()
            self._leader = None

    # -- runs

    def tick(self) -> list[JobRun]:
        """Run every job whose current slot has not been run; the runs done (none when not the leader)."""
        if not self.is_leader():
            return []
        done = []
        for job in self.jobs:
            run = self._claim(job)
            if run is not None:
                done.append(self._run(run))
        return done

    def _claim(self, job: Job) -> Run | None:
        now = self.now()
        slot = job.slot(now)
        try:
            with self.state.transaction() as s:
                row = s.scalar(select(JobRun).where(JobRun.job == job.name, JobRun.slot_at == slot))
                if row is not None and row.finished_at is not None:
                    return None
                if row is None:
                    s.add(JobRun(job=job.name, slot_at=slot, started_at=now, runner=self.runner))
                else:  # interrupted (its process died): resume it; every act is idempotent
                    log.warning("scheduler: resuming %s of %s left by %s", job.name, slot, row.runner)
                    row.runner = self.runner
                    row.detail = {**(row.detail or {}), "resumed": int((row.detail or {}).get("resumed", 0)) + 1}
        except IntegrityError:
            return None  # another scheduler claimed this slot first
        return Run(self, job, slot, now)

    def _run(self, run: Run) -> JobRun:
        error = ""
        try:
            run.job.fn(run)
        except Exception as exc:
            log.exception("scheduler job %s failed", run.job.name)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        with self.state.transaction() as s:
            row = s.scalar(select(JobRun).where(JobRun.job == run.job.name, JobRun.slot_at == run.slot))
            assert row is not None
            row.acts = (row.acts or 0) + run.acts
            row.detail = {**(row.detail or {}), **run.detail}
            row.error = error
            if not error:
                row.finished_at = self.now()
            s.flush()
            s.expunge(row)
        return row

    async def run_forever(self, interval: float = 30.0) -> None:
        """Tick every ``interval`` seconds until cancelled (the database work runs in a thread)."""
        try:
            while True:
                try:
                    await asyncio.to_thread(self.tick)
                except Exception:  # a database hiccup must not stop the clocks for good
                    log.exception("scheduler tick failed")
                    self._drop_leader()
                await asyncio.sleep(interval)
        finally:
            await asyncio.to_thread(self.close)


def job_status(session: Session, now: datetime, jobs: tuple[Job, ...] = JOBS) -> list[dict[str, Any]]:
    """Each job's last run and next run, for the county administrator (from the database: any process answers)."""
    out = []
    for job in jobs:
        last = session.scalar(select(JobRun).where(JobRun.job == job.name)
                              .order_by(JobRun.slot_at.desc()).limit(1))
        finished = session.scalar(select(JobRun).where(JobRun.job == job.name, JobRun.finished_at.is_not(None))
                                  .order_by(JobRun.slot_at.desc()).limit(1))
        current = job.slot(now)
        next_run = current + job.every if finished is not None and finished.slot_at >= current else now
        out.append({
            "job": job.name,
            "label": job.label,
            "every_minutes": int(job.every.total_seconds() // 60),
            "last_run_at": finished.finished_at.isoformat() if finished else None,
            "last_acts": finished.acts if finished else None,
            "last_detail": finished.detail if finished else None,
            "running_since": (last.started_at.isoformat()
                              if last is not None and last.finished_at is None and not last.error else None),
            "last_error": last.error if last is not None and last.error else "",
            "last_attempt_at": last.started_at.isoformat() if last is not None and last.started_at else None,
            "next_run_at": next_run.isoformat(),
        })
    return out


# --------------------------------------------------------------------------- wiring into the app

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/jobs")
def jobs(request: Request, who: Principal = Depends(principal)) -> dict:
    """The scheduler's jobs with their last and next run (county administrator and coordinators)."""
    who.require("admin.jobs")
    state = request.app.state.server
    clock = getattr(state.extras.get("scheduler_instance"), "now", utcnow)
    with state.read() as session:
        return {"now": clock().isoformat(), "jobs": job_status(session, clock())}


def install(app: Any, state: Any) -> None:
    """Start the scheduler with the app when the settings say so (``serve``: on by default) or
    ``state.extras['scheduler']`` is true; tests that build an app leave it off unless they ask."""
    enabled = state.extras.get("scheduler")
    if enabled is None:
        enabled = bool(getattr(state.settings, "scheduler", False))
    if not enabled:
        return
    scheduler = Scheduler(state)
    state.extras["scheduler_instance"] = scheduler
    task: list[asyncio.Task] = []

    async def start() -> None:
        interval = float(state.extras.get("scheduler_interval", 30.0))
        task.append(asyncio.create_task(scheduler.run_forever(interval), name="county-scheduler"))

    async def stop() -> None:
        for t in task:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
