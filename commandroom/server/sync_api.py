"""The sync API: push (exactly-once, ordered per device), pull (cursor pages), summary and SSE pokes.

See ``docs/sync-protocol.md`` for the wire format and the reasoning behind each rule.

Push, per batch, in one transaction:

1. lock the ``(device, incarnation)`` cursor row (``SELECT … FOR UPDATE`` on PostgreSQL;
   SQLite serializes writers anyway), creating it on first use, and look up the batch's
   mutation ids in one query;
2. per mutation: a known ``mutation_id`` returns its stored result (a different payload
   under the same id is refused with ``payload_mismatch`` and logged as an alert);
   ``local_seq ≤ last`` with an unknown id means the workstation's database was cloned or
   restored: stop, 409 ``new_incarnation_required``; ``local_seq > last + 1`` stops the
   batch with ``expected`` (a mutation "from the future");
3. before the first apply, write the cursor row (the mutation moves it whatever its outcome)
   and take the counter lock (:func:`commandroom.server.changelog.lock_counter`, held to commit);
4. apply through :func:`commandroom.server.pipeline.execute` together with the
   ``ProcessedMutation`` row, so the effect and its dedup record commit together; a
   rejection (validation, scope) is recorded and the batch goes on. The first attempt has no
   savepoints; a failure rolls it back and the batch is done again with a savepoint per
   mutation (:func:`process_push`).

The ``ProcessedMutation`` primary key is the last line of defence: two connections that
apply the same mutation concurrently under different incarnations collide on it, and the
loser's savepoint (its effect included) is rolled back and answered with the stored result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from commandroom.domain.errors import DomainError
from commandroom.domain.models import (
    REFERENCE_MODELS,
    DeviceCursor,
    DeviceToken,
    ProcessedMutation,
    SyncCounter,
)
from commandroom.server import changelog, events, restore
from commandroom.server.auth import (
    Principal,
    authenticate,
    bearer,
    bearer_hash,
    principal,
    principal_of_token,
    token_statement,
)
from commandroom.server.pipeline import execute, payload_hash, prefetch_targets, rejected
from commandroom.store.db import make_engine, session_factory
from commandroom.sync import protocol as wire
from commandroom.sync.apply import tolerate_numeric_json
from commandroom.timeutil import utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

HORIZON_KEY = "__sync_horizon__"  # in SyncCounter.human_serials: {bucket: highest compacted seq}


# --------------------------------------------------------------------------- wire models (validation + OpenAPI)


class MutationIn(BaseModel):
    """One named mutation from a workstation's outbox."""

    model_config = ConfigDict(extra="ignore")
    mutation_id: str = Field(min_length=8, max_length=36, description="client-generated UUID; the dedup key")
    local_seq: int = Field(ge=1, description="the workstation's outbox order within its incarnation")
    name: str = Field(min_length=1, max_length=48, description="registered mutation name, e.g. report.create")
    entity_id: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    base_versions: dict[str, int] = Field(default_factory=dict,
                                          description="'type:id' → row_version the workstation last saw")
    created_local_ts: str | None = Field(default=None, max_length=40,
                                         description="when the person acted: the desk's clock corrected by its "
                                                     "skew estimate (naive UTC ISO); recorded as occurred_at, bounded")
    clock_skew: str = Field(default="", max_length=8,
                            description="the desk's clock then: '' fine, warn (≥ 60 s), bad (≥ 300 s), unknown")


class PushIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    device_id: str = Field(min_length=8, max_length=64)
    device_incarnation: str = Field(min_length=8, max_length=36)
    first_local_seq: int = Field(default=1, ge=1, description="the first local_seq of this incarnation")
    protocol_version: int
    schema_version: int
    mutations: list[MutationIn] = Field(max_length=wire.MAX_BATCH)


class ResultOut(BaseModel):
    mutation_id: str
    local_seq: int
    status: str = Field(description="applied | merged | rejected | error")
    seq: int | None = None
    explanation: str = ""
    code: str = ""
    conflicts: int = 0
    duplicate: bool = False
    follow: dict[str, str] | None = Field(
        None, description="{entity_type, entity_id}: the record that won a race, where to redo this (lost_race)")


class StopOut(BaseModel):
    code: str = Field(description="gap | new_incarnation_required")
    message: str
    expected: int | None = None


class PushOut(BaseModel):
    epoch: str
    restored_head: int | None = None
    head: int
    results: list[ResultOut]
    stop: StopOut | None = None


class ChangeOut(BaseModel):
    seq: int
    bucket: str
    entity_type: str
    entity_id: str
    op: str = Field(description="upsert | delete | remove")
    row_version: int
    fields: dict[str, Any] | None


class PullOut(BaseModel):
    epoch: str
    restored_head: int | None
    since: dict[str, int] = Field(description="the cursors this page was computed from")
    changes: list[ChangeOut]
    cursors: dict[str, int]
    has_more: bool
    head: int
    buckets: list[str] = Field(description="every bucket this user may read")


class BucketSummary(BaseModel):
    count: int
    hash: str
    seq: int


class SummaryOut(BaseModel):
    epoch: str
    buckets: dict[str, BucketSummary]


def _problem(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": {"code": code, "message": message, **extra}})


def _check_versions(protocol_version: Any, schema_version: Any) -> JSONResponse | None:
    problem = wire.version_problem(protocol_version, schema_version)
    if problem:
        return _problem(426, wire.CODE_UPGRADE, problem, protocol_min=wire.PROTOCOL_MIN, protocol_max=wire.PROTOCOL_MAX,
                        schema_min=wire.SCHEMA_MIN, schema_max=wire.SCHEMA_MAX)
    return None


# --------------------------------------------------------------------------- helpers


def _read_sessions(state: Any) -> sessionmaker[Session]:
    """Sessions for pulls: on SQLite a deferred-BEGIN engine so pulls never take the write lock."""
    return state.extras.get("read_sessions") or state.sessions


@contextlib.contextmanager
def _read(state: Any) -> Iterator[Session]:
    with _read_sessions(state)() as session:
        yield session
        session.rollback()


def _counter(session: Session) -> SyncCounter | None:
    return session.get(SyncCounter, 1)


def horizons(session: Session) -> dict[str, int]:
    row = _counter(session)
    if row is None:
        return {}
    return dict((row.human_serials or {}).get(HORIZON_KEY) or {})


def _alert(message: str, **data: Any) -> None:
    log.warning("SYNC ALERT: %s %s", message, data)


def _bind_loop(state: Any) -> None:
    broker = events.broker_of(state)
    if broker.loop is None:
        with contextlib.suppress(RuntimeError):
            broker.bind(asyncio.get_running_loop())


# --------------------------------------------------------------------------- push


class _Redo(Exception):
    """A mutation failed on the fast path (no savepoints): redo the batch with a savepoint per mutation."""


class _Stop(Exception):
    def __init__(self, status: int, code: str, message: str, expected: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.expected = status, code, message, expected


@dataclass(eq=False)
class _Batch:
    """One push batch in its transaction: the locked device cursor and what was looked up before any write."""

    session: Session
    who: Principal
    req: PushIn
    cursor: DeviceCursor
    last: int  # the cursor's last_local_seq as the batch goes on (written once, see _save_cursor)
    hashes: list[str]  # the payload hash of each mutation, in batch order
    known: dict[str, ProcessedMutation]  # mutation ids processed before this batch
    recorded: dict[str, dict[str, Any]]  # the fast path: dedup rows this batch wrote behind, by mutation id
    unknown: set[str]  # mutation ids not processed before this batch and not yet recorded by it
    seen: datetime
    savepoints: bool  # a savepoint per mutation (False: the fast path, see process_push)


def _lock_cursor(session: Session, who: Principal, req: PushIn, now: datetime) -> DeviceCursor:
    q = select(DeviceCursor).where(DeviceCursor.device_id == req.device_id,
                                   DeviceCursor.incarnation == req.device_incarnation)
    cursor = session.scalar(q.with_for_update())
    if cursor is None:
        cursor = DeviceCursor(device_id=req.device_id, incarnation=req.device_incarnation,
                              last_local_seq=req.first_local_seq - 1, user_id=who.user_id,
                              device_name=who.device_name, last_seen=now)
        session.add(cursor)
        session.flush()  # a concurrent first push collides here: the caller retries the transaction
    return cursor


def _save_cursor(b: _Batch, last: int) -> None:
    """Set the cursor row's fields (one UPDATE at the next flush, none if nothing changed); on the fast path
    with the transaction's write-behind rows instead (no statement of its own, no unit of work)."""
    wb = changelog.write_behind(b.session)
    if wb is None:
        b.cursor.last_local_seq = last
        b.cursor.last_seen = b.seen
        b.cursor.user_id = b.who.user_id
        return
    wb.cursors[(b.cursor.device_id, b.cursor.incarnation)] = {
        "last_local_seq": last, "last_seen": b.seen, "user_id": b.who.user_id}
    for key, value in (("last_local_seq", last), ("last_seen", b.seen), ("user_id", b.who.user_id)):
        set_committed_value(b.cursor, key, value)  # as written: nothing for the ORM to flush


def _stored(pm: ProcessedMutation, m: MutationIn) -> dict[str, Any]:
    result = dict(pm.result or {})
    result.update(mutation_id=m.mutation_id, local_seq=m.local_seq, duplicate=True)
    result.setdefault("status", pm.status)
    result.setdefault("seq", pm.seq)
    return result


def _record(b: _Batch, m: MutationIn, h: str, result: dict[str, Any]) -> None:
    """The mutation's dedup record: a plain INSERT (no unit of work while the counter lock is held), or on
    the fast path a write-behind row (a collision with a concurrent delivery then fails the commit, and the
    batch is retried: it finds the stored result)."""
    who, req = b.who, b.req
    row = dict(
        mutation_id=m.mutation_id, device_id=req.device_id, device_incarnation=req.device_incarnation,
        local_seq=m.local_seq, user_id=who.user_id, name=m.name, payload_hash=h,
        status=result["status"],
        result={k: result.get(k) for k in ("status", "seq", "explanation", "code", "conflicts", "follow")},
        seq=result.get("seq"), processed_at=b.seen, occurred_at=result.pop("occurred_at", None),
    )
    wb = changelog.write_behind(b.session)
    if wb is not None:
        wb.rows.setdefault(ProcessedMutation.__table__, []).append(row)
        b.recorded[m.mutation_id] = row  # not in the database yet: a repeat in this batch finds it here
    else:
        b.session.execute(ProcessedMutation.__table__.insert(), [row])
    b.unknown.discard(m.mutation_id)


def _processed(b: _Batch, mutation_id: str) -> ProcessedMutation | None:
    if mutation_id in b.unknown:
        return None
    found = b.known.get(mutation_id)
    if found is None and mutation_id in b.recorded:  # built only for a repeat (rare): not per mutation
        found = b.known[mutation_id] = ProcessedMutation(**b.recorded[mutation_id])
    return found if found is not None else b.session.get(ProcessedMutation, mutation_id)


def _apply_and_record(b: _Batch, m: MutationIn, h: str, base: dict[str, int]) -> dict[str, Any]:
    """Apply the mutation through the pipeline (in the caller's savepoint, if any) and add its dedup record."""
    outcome = execute(b.session, actor=b.who.actor, allowed_townships=b.who.townships, name=m.name,
                      entity_id=m.entity_id, args=m.args, base_versions=base, mutation_id=m.mutation_id,
                      savepoint=False, occurred_at=_claimed_moment(m.created_local_ts), clock_skew=m.clock_skew)
    result = {"mutation_id": m.mutation_id, "local_seq": m.local_seq, **outcome.to_result(),
              "occurred_at": outcome.occurred_at}
    _record(b, m, h, result)
    return result


def _claimed_moment(text_value: str | None) -> datetime | None:
    """The desk's ``created_local_ts`` as naive UTC; None when absent or unreadable (then: received)."""
    if not text_value:
        return None
    try:
        value = datetime.fromisoformat(text_value)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _one(b: _Batch, m: MutationIn, h: str) -> dict[str, Any]:
    session, who, req = b.session, b.who, b.req
    pm = _processed(b, m.mutation_id)
    if pm is not None and pm.device_id != req.device_id:
        # the id was used by another workstation: never answer with its result (nor say whose it was)
        _alert("mutation id replayed from another workstation", mutation_id=m.mutation_id, device=req.device_id,
               user=who.username)
        return {"mutation_id": m.mutation_id, "local_seq": m.local_seq, "status": wire.ERROR,
                "code": wire.CODE_PAYLOAD_MISMATCH, "seq": None, "conflicts": 0,
                "explanation": "这条修改的编号已被使用，服务器没有采用它；请重新录入 (mutation id already used)."}
    if pm is not None:
        if pm.payload_hash != h:
            _alert("same mutation id, different payload", mutation_id=m.mutation_id, device=req.device_id,
                   user=who.username)
            return {"mutation_id": m.mutation_id, "local_seq": m.local_seq, "status": wire.ERROR,
                    "code": wire.CODE_PAYLOAD_MISMATCH, "seq": None, "conflicts": 0,
                    "explanation": "这条修改的编号已被另一份不同内容的修改使用，服务器没有采用它；"
                                   "请核对后重新录入 (same mutation id with a different payload)."}
        if m.local_seq == b.last + 1:
            b.last = m.local_seq  # a renumbered re-send in a new incarnation
        return _stored(pm, m)
    last = b.last
    if m.local_seq <= last:
        _alert("local_seq reused by an unknown mutation: workstation database cloned or restored",
               device=req.device_id, incarnation=req.device_incarnation, local_seq=m.local_seq, last=last)
        raise _Stop(409, wire.CODE_NEW_INCARNATION,
                    f"本工作站的数据库像是被复制或从备份恢复过 (local_seq {m.local_seq} ≤ {last} already used "
                    f"by other changes); start a new incarnation and send the pending changes again.")
    if m.local_seq > last + 1:
        raise _Stop(200, wire.CODE_GAP, f"expected local_seq {last + 1} before {m.local_seq}", expected=last + 1)
    base = {k: int(v) for k, v in m.base_versions.items()}
    if not changelog.holds_lock(session):
        # The batch's first write. The cursor moves to this local_seq whatever the outcome, so write it
        # now, before the counter lock that the rest of the transaction holds; then take the lock here,
        # outside the savepoint (a rolled-back savepoint would release a lock taken inside it). (The fast
        # path rolls back as a whole: its cursor is written with the write-behind rows.)
        _save_cursor(b, m.local_seq)
        if b.savepoints:
            session.flush()
        changelog.lock_counter(session)
        targets = session.info.pop(_TARGETS, None)  # the fast path: every target of the transaction at once
        if targets:
            prefetch_targets(session, targets)
    result: dict[str, Any]
    if not b.savepoints:
        try:
            result = _apply_and_record(b, m, h, base)
        except Exception as exc:
            raise _Redo from exc  # rolls the whole transaction back
        b.last = m.local_seq
        return result
    try:
        # one savepoint holds the mutation's effects and its dedup record: both commit or neither does
        with session.begin_nested():
            result = _apply_and_record(b, m, h, base)
    except IntegrityError as exc:
        pm = session.get(ProcessedMutation, m.mutation_id)
        if pm is not None:  # a concurrent delivery of the same mutation committed first
            b.unknown.discard(m.mutation_id)
            return _one(b, m, h)  # answers as for any known id (same device and payload: the stored result)
        log.info("mutation %s broke a constraint: %s", m.mutation_id, exc.orig)
        result = _reject(m, "conflict", "这条修改与服务器上已有的数据冲突 (it conflicts with data already on the "
                                        "server, e.g. the record already exists).")
        _record_safely(b, m, h, result)
    except DomainError as exc:
        result = {"mutation_id": m.mutation_id, "local_seq": m.local_seq, **rejected(exc).to_result()}
        _record_safely(b, m, h, result)
    except DBAPIError:
        raise  # deadlock / connection trouble: retry the whole batch
    except Exception as exc:  # a poison mutation must not jam the device's queue
        log.exception("mutation %s (%s) failed on the server", m.mutation_id, m.name)
        result = _reject(m, "server_error", f"服务器无法处理这条修改，已将其搁置 (the server could not apply it: "
                                            f"{type(exc).__name__}); 请重新录入或联系县级管理员。")
        _record_safely(b, m, h, result)
    b.last = m.local_seq
    return result


def _reject(m: MutationIn, code: str, explanation: str) -> dict[str, Any]:
    return {"mutation_id": m.mutation_id, "local_seq": m.local_seq, "status": wire.REJECTED, "seq": None,
            "explanation": explanation, "code": code, "conflicts": 0}


def _record_safely(b: _Batch, m: MutationIn, h: str, result: dict[str, Any]) -> None:
    with b.session.begin_nested():
        _record(b, m, h, result)


def _open_batch(session: Session, who: Principal, req: PushIn, hashes: list[str], now: datetime, *,
                savepoints: bool) -> _Batch:
    """Lock the batch's device cursor and look up its mutation ids, before any write and the counter lock."""
    cursor = _lock_cursor(session, who, req, now)
    # dedup lookups for the whole batch at once, before any write (same-incarnation deliveries wait on
    # the cursor lock above; another incarnation's concurrent delivery collides on the primary key)
    ids = list({m.mutation_id: None for m in req.mutations})
    known = {pm.mutation_id: pm for pm in session.scalars(
        select(ProcessedMutation).where(ProcessedMutation.mutation_id.in_(ids)))} if ids else {}
    return _Batch(session=session, who=who, req=req, cursor=cursor, last=cursor.last_local_seq, hashes=hashes,
                  known=known, recorded={}, unknown=set(ids) - set(known), seen=now, savepoints=savepoints)


_TARGETS = "sync.push_targets"


def _plan_targets(session: Session, batches: list[_Batch]) -> None:
    """Note the targets of the transaction's new mutations: read together once the counter lock is taken (the
    fast path, which rolls back as a whole on any failure)."""
    session.info[_TARGETS] = [(m.name, m.entity_id) for b in batches for m in b.req.mutations
                              if m.mutation_id in b.unknown]


def _run_batch(b: _Batch) -> tuple[list[dict[str, Any]], _Stop | None]:
    """Each mutation of the batch in order, until the end or a stop; the cursor row set to where it got."""
    results: list[dict[str, Any]] = []
    stop: _Stop | None = None
    for m, h in zip(b.req.mutations, b.hashes, strict=True):
        try:
            result = _one(b, m, h)
            for key, default in (("duplicate", False), ("conflicts", 0), ("explanation", ""), ("code", ""),
                                 ("seq", None)):
                if result.get(key) is None:
                    result[key] = default
            results.append(result)
        except _Stop as s:
            stop = s
            break
    _save_cursor(b, b.last)
    return results, stop


def _finish(state: Any, session: Session) -> tuple[str, int, int | None]:
    """Write the transaction's write-behind rows (and its NOTIFY); the counter's epoch, head and restored head."""
    notify = None
    if not state.is_sqlite and changelog.write_behind(session) is not None:
        payload = events.take_notify_payload(state, session)
        notify = (events.CHANNEL, payload) if payload is not None else None
    changelog.flush_write_behind(session, notify)
    # under the counter lock (a write happened) the locked row is current; otherwise read it
    counter = changelog.held_counter(session) or changelog.counter(session)
    return counter.epoch, counter.head, counter.restored_head


def _answer(counter: tuple[str, int, int | None], results: list[dict[str, Any]],
            stop: _Stop | None) -> tuple[int, dict[str, Any]]:
    epoch, head, restored_head = counter
    body: dict[str, Any] = {"epoch": epoch, "restored_head": restored_head, "head": head, "results": results,
                            "stop": None}
    if stop is not None:
        body["stop"] = {"code": stop.code, "message": stop.message, "expected": stop.expected}
        if stop.status != 200:
            return stop.status, {"detail": {"code": stop.code, "message": stop.message}, **body}
    return 200, body


def _push_tx(state: Any, who: Principal, req: PushIn, hashes: list[str], *,
             savepoints: bool) -> tuple[int, dict[str, Any]]:
    # durable: the desk drops what is acknowledged here from its outbox, so a power cut must not undo it
    with state.transaction(durable=True) as session:
        b = _open_batch(session, who, req, hashes, utcnow(), savepoints=savepoints)
        if not savepoints:
            changelog.start_write_behind(session)  # audit entries, dedup records and the head: one statement
            _plan_targets(session, [b])
        results, stop = _run_batch(b)
        counter = _finish(state, session)
    return _answer(counter, results, stop)


def payload_hashes(req: PushIn) -> list[str]:
    """Each mutation's payload hash (what a re-sent mutation id is checked against), before any lock."""
    return [payload_hash(m.name, m.entity_id, m.args) for m in req.mutations]


def process_push(state: Any, who: Principal, req: PushIn,
                 hashes: list[str] | None = None) -> tuple[int, dict[str, Any]]:
    """Apply one push batch; retries the transaction on a unique-key race or a deadlock.

    The first attempt applies the mutations without savepoints (two statements fewer per mutation
    while the counter lock is held). If any mutation fails, that transaction is rolled back as a
    whole and the batch is done again with a savepoint per mutation, which rolls back only the
    failed mutation and records it as rejected: the answer is the one the savepoints always give.
    """
    if hashes is None:
        hashes = payload_hashes(req)
    savepoints = False
    for attempt in range(8):
        try:
            return _push_tx(state, who, req, hashes, savepoints=savepoints)
        except _Redo as exc:
            log.debug("push from %s: %r on the fast path; again with savepoints", req.device_id, exc.__cause__)
            savepoints = True
        except (IntegrityError, DBAPIError) as exc:
            if attempt == 7 or (isinstance(exc, DBAPIError) and not _retryable(exc)):
                raise
            log.info("push from %s retried after %s", req.device_id, type(exc.orig).__name__)
    raise AssertionError("unreachable")


GROUP_MAX = 16  # pushes in one group transaction


@dataclass(eq=False)
class _Waiting:
    """A push waiting for this process's group writer."""

    who: Principal
    req: PushIn
    hashes: list[str]
    done: threading.Event
    answer: tuple[int, dict[str, Any]] | None = None
    lead: bool = False  # it is this push's turn to write the next group
    alone: bool = False  # its group failed: it is done again on its own


class _Groups:
    """The pushes of one server process waiting to be written (PostgreSQL), and whether one of them is writing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[_Waiting] = []
        self.writing = False
        self.groups = 0  # transactions written, and the pushes in them (how much grouping there is)
        self.pushes = 0


def process_push_grouped(state: Any, who: Principal, req: PushIn) -> tuple[int, dict[str, Any]]:
    """:func:`process_push`, written together with the pushes that arrived meanwhile (PostgreSQL).

    Every server write holds the counter lock from its first write to its commit, and the commit waits
    for the WAL to reach the disk, so writes are serialized and each push pays a lock hold, a commit and
    its statements alone. Pushes that arrive while one is being written wait, and the next of them writes
    them all in one transaction (at most :data:`GROUP_MAX`, one per device): one lock hold, one commit,
    one statement for their bookkeeping rows and one NOTIFY. Each answer is the one the push would get
    alone; if anything fails, the group is rolled back and each push is done again on its own (with the
    retries and savepoints of :func:`process_push`). SQLite writes one push at a time, as before.
    """
    if state.is_sqlite:
        return process_push(state, who, req)
    groups: _Groups = state.extras.get("push_groups") or state.extras.setdefault("push_groups", _Groups())
    me = _Waiting(who, req, payload_hashes(req), threading.Event())  # hashed in its own thread
    with groups.lock:
        groups.waiting.append(me)
        if not groups.writing:
            groups.writing = me.lead = True
    if not me.lead:
        me.done.wait()
    if me.lead:
        _write_groups(state, groups, me)
    if me.alone or me.answer is None:
        return process_push(state, who, req, me.hashes)
    return me.answer


def _write_groups(state: Any, groups: _Groups, me: _Waiting) -> None:
    """Write groups until ``me`` is answered, then hand the writing over to the next waiting push."""
    while me.answer is None and not me.alone:
        with groups.lock:
            group: list[_Waiting] = []
            devices: set[str] = set()
            for w in groups.waiting:
                if len(group) < GROUP_MAX and w.req.device_id not in devices:
                    group.append(w)
                    devices.add(w.req.device_id)
            groups.waiting = [w for w in groups.waiting if w not in group]
            groups.groups += 1
            groups.pushes += len(group)
        _write_group(state, group)
        for w in group:
            if w is not me:
                w.done.set()
    with groups.lock:
        if groups.waiting:
            nxt = groups.waiting[0]
            nxt.lead = True
            nxt.done.set()
        else:
            groups.writing = False


def _write_group(state: Any, group: list[_Waiting]) -> None:
    if len(group) == 1:
        w = group[0]
        try:
            w.answer = process_push(state, w.who, w.req, w.hashes)
        except Exception:  # noqa: BLE001 - its own thread does it again and answers the error itself
            w.alone = True
        return
    try:
        answers = _group_tx(state, group)
    except Exception as exc:  # noqa: BLE001 - any failure: each push again on its own
        log.debug("a group of %d pushes failed (%r); each again on its own", len(group), exc)
        for w in group:
            w.alone = True
        return
    for w, answer in zip(group, answers, strict=True):
        w.answer = answer


def _group_tx(state: Any, group: list[_Waiting]) -> list[tuple[int, dict[str, Any]]]:
    """Several devices' pushes in one transaction, each on the fast path (no savepoints)."""
    with state.transaction(durable=True) as session:
        now = utcnow()
        batches: dict[int, _Batch] = {}
        # every device cursor before the first write and the counter lock, always in the same order: a group
        # never holds the counter lock while it waits for a cursor row
        for i in sorted(range(len(group)), key=lambda i: (group[i].req.device_id, group[i].req.device_incarnation)):
            w = group[i]
            batches[i] = _open_batch(session, w.who, w.req, w.hashes, now, savepoints=False)
        changelog.start_write_behind(session)
        _plan_targets(session, [batches[i] for i in range(len(group))])
        outcomes = []
        for i in range(len(group)):
            outcomes.append(_run_batch(batches[i]))  # a failing mutation (_Redo) fails the group
        counter = _finish(state, session)
    return [_answer(counter, results, stop) for results, stop in outcomes]


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001", "55P03") or "database is locked" in str(exc.orig)


@router.post(
    "/push",
    response_model=PushOut,
    summary="Upload a batch of outbox mutations (exactly-once, in local_seq order)",
    responses={409: {"description": "workstation cloned/restored: start a new incarnation"},
               413: {"description": "batch too large"}, 426: {"description": "client too old or too new"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/PushIn"}}}}},
)
async def push(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Response:
    """The token check, the body's checks and the write in one thread call (:func:`_push_request`): each thread
    call of a busy one-process server is one more wait for the GIL. A body that does not say its length, or says
    more than is allowed, is read only after its token was checked, as before."""
    state = request.app.state.server
    _bind_loop(state)
    who = None
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > wire.MAX_PUSH_BYTES:
        who = await run_in_threadpool(_push_principal, state, request, creds)
    raw = await request.body()
    return await run_in_threadpool(_push_request, state, request, creds, raw, who)


def _push_principal(state: Any, request: Request, creds: HTTPAuthorizationCredentials | None) -> Principal:
    who = state.quick_read(lambda session: authenticate(state, session, creds, request))
    who.require("sync.push")
    return who


def _push_request(state: Any, request: Request, creds: HTTPAuthorizationCredentials | None, raw: bytes,
                  who: Principal | None) -> Response:
    """Everything of a push after its body arrived, in the order a client sees its refusals: the token, the
    body (size, JSON, versions, batch, device, mutation names, order), then the write."""
    if who is None:
        who = _push_principal(state, request, creds)
    if len(raw) > wire.MAX_PUSH_BYTES:
        return _problem(413, "too_large", f"push body is {len(raw)} bytes; at most {wire.MAX_PUSH_BYTES} allowed — "
                                          f"send fewer mutations per batch")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _problem(400, "bad_json", f"the push body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        return _problem(422, "validation_error", "the push body must be a JSON object")
    bad = _check_versions(data.get("protocol_version"), data.get("schema_version"))
    if bad is not None:
        return bad
    muts = data.get("mutations")
    if isinstance(muts, list) and len(muts) > wire.MAX_BATCH:
        return _problem(413, "batch_too_large", f"{len(muts)} mutations in one push; at most {wire.MAX_BATCH} allowed")
    try:
        req = PushIn.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _problem(422, "validation_error", "; ".join(problems), problems=problems)
    if req.device_id != who.device_id:
        return _problem(403, wire.CODE_DEVICE_MISMATCH,
                        f"this sign-in belongs to workstation {who.device_id}, not {req.device_id}; sign in again")
    unknown = [m for m in req.mutations if m.name not in _known_names()]
    if unknown:
        names = ", ".join(sorted({m.name for m in unknown}))
        return _problem(422, "unknown_mutation",
                        f"this server does not know the change type(s) {names}; nothing in this push was applied "
                        f"(is the workstation newer than the server?)",
                        unknown=[m.mutation_id for m in unknown])
    seqs = [m.local_seq for m in req.mutations]
    if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
        return _problem(422, "validation_error", "mutations must be in strictly increasing local_seq order")
    status, body = process_push_grouped(state, who, req)
    return Response(content=orjson.dumps(body), status_code=status, media_type="application/json")


def _known_names() -> set[str]:
    from commandroom.mutations.core import REGISTRY, _load_all

    _load_all()
    return set(REGISTRY)


# --------------------------------------------------------------------------- pull

_PULL_SQL_ONE = (
    "SELECT * FROM (SELECT seq, bucket, entity_type, entity_id, op, row_version, CAST(fields AS TEXT) AS f "
    "FROM srv_change_log WHERE bucket = :b{i} AND seq > :c{i} AND seq <= :h{i} ORDER BY seq LIMIT :n) AS q{i}"
)


def parse_cursors(raw: str, who: Principal) -> dict[str, int]:
    if len(raw) > wire.MAX_CURSORS_TEXT:
        raise HTTPException(400, detail={"code": "bad_cursors", "message": "cursors text is too long"})
    try:
        data = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, detail={"code": "bad_cursors",
                                         "message": f"cursors must be a JSON object {{bucket: seq}}: {exc}"}) from None
    if not isinstance(data, dict):
        raise HTTPException(400, detail={"code": "bad_cursors", "message": "cursors must be a JSON object {bucket: seq}"})
    out: dict[str, int] = {}
    for bucket, seq in data.items():
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise HTTPException(400, detail={"code": "bad_cursors",
                                             "message": f"cursor of {bucket!r} must be a whole number ≥ 0, got {seq!r}"})
        if not who.can_read_bucket(bucket):
            raise HTTPException(403, detail={"code": wire.CODE_BUCKET_FORBIDDEN, "bucket": bucket,
                                             "message": f"you may not read bucket {bucket!r}; your buckets are "
                                                        f"{', '.join(who.buckets)}"})
        out[bucket] = seq
    if not out:
        out = {b: 0 for b in who.buckets}
    return out


@dataclass(eq=False)
class _Page:
    """A pull page's changes as sent, valid while the heads of its buckets stay as they were."""

    heads: tuple[int, ...]  # max(seq) of each bucket with new changes when the page was read (sorted bucket order)
    changes: orjson.Fragment  # the JSON array of the page's changes
    last: int | None  # the page's last seq (None: empty)
    has_more: bool
    size: int


class PageReading:
    """One pull's reading of a page that other pulls wait for: in a thread (:meth:`wait`) or, for the pull
    endpoint, on the event loop (:meth:`wait_async`), where the waiter holds neither a thread, nor a slot of
    the pull limit, nor a database connection while it waits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def set(self) -> None:
        with self._lock:
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future)

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    async def wait_async(self) -> bool:
        """Wait until the reading is done or :attr:`PageCache.WAIT_SECONDS` have passed; True if it is done."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            if self._event.is_set():
                return True
            self._waiters.append((loop, future))
        with anyio.move_on_after(PageCache.WAIT_SECONDS):
            await future
        return self._event.is_set()


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class PageCache:
    """Pages recently answered by this process, keyed by what decides them: the buckets with something new
    and their cursors, the limit, and whether contact details are redacted.

    A page holds the changes of each such bucket after its cursor up to its newest seq as read with the
    counter row (one statement, before the cache is consulted); seq order is commit order (the counter lock),
    so whatever commits later comes after every one of them, and the page stays the page while those newest
    seqs are unchanged. Buckets with nothing new are not part of the question: every desk of a township
    poked by the same push asks the same one (whatever its other cursors, and whoever it is, as long as it
    may read those buckets, which :func:`parse_cursors` checked), and one encoding serves them all. Empty
    pages need no entry: heads at or below the cursors are answered as empty straight away.
    """

    MAX_ENTRIES = 512
    MAX_BYTES = 256 * 1024  # per page: catch-up pages are not asked twice
    WAIT_SECONDS = 2.0  # the longest a pull waits for another's reading of its page before reading it itself

    def __init__(self) -> None:
        self._pages: OrderedDict[tuple, _Page] = OrderedDict()
        self._lock = threading.Lock()
        self._reading: dict[tuple, PageReading] = {}
        self.hits = 0
        self.misses = 0

    def claim(self, key: tuple, heads: tuple[int, ...]) -> tuple[bool, PageReading]:
        """Whether the caller is to read this page (and :meth:`release` it), or another pull is reading it."""
        with self._lock:
            ready = self._reading.get((key, heads))
            if ready is not None:
                return False, ready
            ready = self._reading[(key, heads)] = PageReading()
            return True, ready

    def release(self, key: tuple, heads: tuple[int, ...]) -> None:
        with self._lock:
            ready = self._reading.pop((key, heads), None)
        if ready is not None:
            ready.set()

    def get(self, key: tuple, heads: tuple[int, ...]) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.heads != heads:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: tuple, page: _Page) -> None:
        if page.size > self.MAX_BYTES:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.MAX_ENTRIES:
                self._pages.popitem(last=False)


def page_cache(state: Any) -> PageCache:
    cache = state.extras.get("page_cache")
    if cache is None:
        cache = state.extras.setdefault("page_cache", PageCache())
    return cache


_BUCKET_HEAD_SQL = "(SELECT max(seq) FROM srv_change_log WHERE bucket = :b{i}) AS h{i}"


@dataclass(eq=False)
class _PullPlan:
    """What a pull's first statement decided: its answer's frame, and the page it needs (``page`` when known)."""

    cursors: dict[str, int]
    epoch: str
    restored_head: int | None
    head: int
    who: Principal
    key: tuple
    items: list[tuple[str, int]]
    active: list[int]
    heads: tuple[int, ...]
    active_heads: tuple[int, ...]
    params: dict[str, Any]
    limit: int
    redact: bool
    page: _Page | None


def pull_page(state: Any, who: Principal, cursors: dict[str, int], limit: int,
              session: Session | None = None) -> tuple[int, bytes]:
    """One page of changes after ``cursors`` (status, JSON body); in ``session`` if given, else in a read session."""
    if session is None:
        with _read(state) as own:
            return pull_page(state, who, cursors, limit, own)
    plan = _plan_pull(state, who, cursors, limit, session)
    if not isinstance(plan, _PullPlan):
        return plan
    if plan.page is None:
        cache = page_cache(state)
        reading = _read_or_join(session, cache, plan)
        if reading is not None:
            reading.wait(PageCache.WAIT_SECONDS)
            plan.page = cache.get(plan.key, plan.active_heads)  # None: too large to keep, or its reader failed
        if plan.page is None:
            plan.page = _read_planned(session, cache, plan)
    return _pull_answer(plan)


def _plan_pull(state: Any, who: Principal, cursors: dict[str, int], limit: int,
               session: Session) -> _PullPlan | tuple[int, bytes]:
    """The pull's first statement (the counter row and each requested bucket's newest seq), and the page from
    the cache when it is there or empty; a 410 answer when a cursor is older than its bucket's horizon."""
    items = sorted(cursors.items())
    params = _pull_params(items, limit)
    # one statement: the counter row (epoch, head, horizons) and each requested bucket's newest seq
    found = session.execute(text(
        "SELECT epoch, restored_head, head, CAST(human_serials AS TEXT), "
        + ", ".join(_BUCKET_HEAD_SQL.format(i=i) for i in range(len(items)))
        + " FROM srv_sync_counter WHERE id = 1"), params).first() if items else None
    if found is not None:
        epoch, restored_head, head, serials_text = found[:4]
        heads = tuple(int(h or 0) for h in found[4:])
        serials = orjson.loads(serials_text) if serials_text else None
    else:
        counter = session.execute(select(SyncCounter.epoch, SyncCounter.restored_head, SyncCounter.head,
                                         SyncCounter.human_serials).where(SyncCounter.id == 1)).first()
        epoch, restored_head, head, serials = counter if counter is not None else ("", None, 0, None)
        heads = ()
    return _plan_of(state, who, cursors, limit, items, params, epoch, restored_head, head, serials, heads)


def _pull_params(items: list[tuple[str, int]], limit: int) -> dict[str, Any]:
    """The bound parameters of a pull's statements: each bucket (``b<i>``) and its cursor (``c<i>``), the limit."""
    params: dict[str, Any] = {"n": limit + 1}
    for i, (b, c) in enumerate(items):
        params[f"b{i}"], params[f"c{i}"] = b, c
    return params


def _plan_of(state: Any, who: Principal, cursors: dict[str, int], limit: int, items: list[tuple[str, int]],
             params: dict[str, Any], epoch: str, restored_head: int | None, head: int | None,
             serials: dict[str, Any] | None, heads: tuple[int, ...]) -> _PullPlan | tuple[int, bytes]:
    """The plan from what the first statement read: the counter row and the heads of ``items``' buckets."""
    redact = not who.may("report.contact")
    cache = page_cache(state)
    horizon = (serials or {}).get(HORIZON_KEY) or {}
    stale = sorted(b for b, c in cursors.items() if 0 < c < horizon.get(b, 0))
    if stale:
        body = {"detail": {"code": wire.CODE_RESYNC, "resync": stale, "epoch": epoch,
                           "message": f"these buckets were compacted past your cursor; download them again "
                                      f"(your unsent changes are kept): {', '.join(stale)}"}}
        return 410, orjson.dumps(body)
    # the buckets with changes after their cursors (no statement yet when there are none)
    active = [i for i, (h, (_b, c)) in enumerate(zip(heads, items, strict=True)) if h > c]
    active_heads = tuple(heads[i] for i in active)
    key = (epoch, redact, limit, tuple(items[i] for i in active))
    if items and not active:
        page: _Page | None = _Page(heads, orjson.Fragment(b"[]"), None, False, 0)  # nothing new
    elif items:
        page = cache.get(key, active_heads)
    else:  # not reached: parse_cursors asks for every bucket of the user when none is given
        page = _Page((), orjson.Fragment(b"[]"), None, False, 0)
    return _PullPlan(dict(cursors), epoch, restored_head, int(head or 0), who, key, items, active, heads,
                     active_heads, params, limit, redact, page)


_PULL_START: dict[str, str] = {}


def _pull_start_sql(dialect: Any) -> str:
    """PostgreSQL: a pull's one statement when its cursors name its buckets: the token check's row
    (:func:`commandroom.server.auth.token_statement`) with the counter row and each named bucket's newest
    seq, in the order named. The bucket names are one array parameter, so the text is the same for every
    pull and psycopg prepares it once per connection."""
    found = _PULL_START.get(dialect.name)
    if found is None:
        token = token_statement(dialect)
        found = _PULL_START.setdefault(dialect.name, (
            "SELECT tok.*, c.epoch AS pull_epoch, c.restored_head AS pull_restored_head, c.head AS pull_head, "
            "CAST(c.human_serials AS TEXT) AS pull_serials, "
            "ARRAY(SELECT (SELECT max(l.seq) FROM srv_change_log AS l WHERE l.bucket = b.name) "
            "FROM unnest(CAST(%(pull_buckets)s AS TEXT[])) WITH ORDINALITY AS b(name, i) ORDER BY b.i) "
            f"AS pull_heads FROM ({token.sql}) AS tok CROSS JOIN srv_sync_counter AS c WHERE c.id = 1"))
    return found


def _named_buckets(raw: str) -> list[str] | None:
    """The buckets a pull's cursors name, sorted, when they are a readable non-empty object; None otherwise
    (the pull then takes the two-statement way, which also answers what is wrong with them)."""
    if not raw or len(raw) > wire.MAX_CURSORS_TEXT:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return sorted(data) if isinstance(data, dict) and data else None


def _pull_in_one(state: Any, session: Session, request: Request, creds: HTTPAuthorizationCredentials | None,
                 raw: str, named: list[str], limit: int) -> _PullPlan | tuple[int, bytes]:
    """A pull whose cursors name its buckets, on PostgreSQL: its token check and its first statement as one
    statement, one round trip (then the same checks, in the same order, as the two-statement way)."""
    access_hash = bearer_hash(creds)
    dialect = session.get_bind().dialect
    row = session.connection().exec_driver_sql(_pull_start_sql(dialect), {
        **token_statement(dialect).params, "access_hash": access_hash, "pull_buckets": named}).first()
    who = principal_of_token(state, session, row, request)
    assert row is not None  # an unknown token was refused above
    who.require("sync.pull")
    # the same text as _named_buckets read: its buckets, in the same (sorted) order as the heads
    cursors = parse_cursors(raw, who)
    items = sorted(cursors.items())
    params = _pull_params(items, limit)
    serials = orjson.loads(row.pull_serials) if row.pull_serials else None
    heads = tuple(int(h or 0) for h in row.pull_heads)
    return _plan_of(state, who, cursors, limit, items, params, row.pull_epoch, row.pull_restored_head,
                    row.pull_head, serials, heads)


def _read_or_join(session: Session, cache: PageCache, plan: _PullPlan) -> PageReading | None:
    """Desks poked together ask together: the first reads the page into ``plan`` (None returned), the others
    get the reading to wait for (in a thread or on the loop) before they look in the cache."""
    leader, reading = cache.claim(plan.key, plan.active_heads)
    if not leader:
        return reading
    try:
        plan.page = _read_planned(session, cache, plan)
    finally:
        cache.release(plan.key, plan.active_heads)
    return None


def _read_planned(session: Session, cache: PageCache, plan: _PullPlan) -> _Page:
    return _read_page(session, cache, plan.key, plan.items, plan.active, plan.heads, plan.active_heads,
                      plan.params, plan.limit, plan.redact)


def _pull_answer(plan: _PullPlan) -> tuple[int, bytes]:
    """The 200 answer around the plan's page: its changes, the cursors it moves, the head."""
    page = plan.page
    assert page is not None
    new = dict(plan.cursors)
    head = plan.head
    if page.last is not None:
        last = page.last
        # the changes may come from a later snapshot than the head (PostgreSQL reads each statement
        # afresh): the answer's head is never below a cursor it hands out
        head = max(head, last)
        # every change of every requested bucket with seq ≤ last is in this page (one snapshot, seq order
        # = commit order), so each cursor may move up to ``last``
        for b in new:
            new[b] = max(new[b], last)
    body = {"epoch": plan.epoch, "restored_head": plan.restored_head, "since": plan.cursors,
            "changes": page.changes, "cursors": new, "has_more": page.has_more, "head": head,
            "buckets": list(plan.who.buckets)}
    return 200, orjson.dumps(body)


def _read_page(session: Session, cache: PageCache, key: tuple, items: list[tuple[str, int]], active: list[int],
               heads: tuple[int, ...], active_heads: tuple[int, ...], params: dict[str, Any], limit: int,
               redact: bool) -> _Page:
    """The page's one statement and its encoding, kept in ``cache``."""
    if items:
        for i in active:
            params[f"h{i}"] = heads[i]
        sql = " UNION ALL ".join(_PULL_SQL_ONE.format(i=i) for i in active) + " ORDER BY seq LIMIT :n"
    else:  # not reached: parse_cursors asks for every bucket of the user when none is given
        sql = "SELECT seq FROM srv_change_log WHERE 1 = 0"
    rows = session.execute(text(sql), params).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    changes = orjson.dumps([
        {"seq": r[0], "bucket": r[1], "entity_type": r[2], "entity_id": r[3], "op": r[4], "row_version": r[5],
         "fields": (_without_contact(r[6]) if redact and r[2] == "report" else orjson.Fragment(r[6]))
         if r[6] is not None else None}
        for r in rows
    ])
    page = _Page(active_heads, orjson.Fragment(changes), rows[-1][0] if rows else None, has_more, len(changes))
    if items:
        cache.put(key, page)
    return page


CONTACT_FIELDS = ("reporter_name", "reporter_phone", "reporter_email")


def _without_contact(raw: str) -> Any:
    """A report's fields without the reporter's contact details (roles that do not call reporters back)."""
    fields = orjson.loads(raw)
    if isinstance(fields, dict):
        for key in CONTACT_FIELDS:
            if key in fields:
                fields[key] = ""
    return fields


@router.get("/pull", response_model=PullOut, summary="Download the changes after per-bucket cursors",
            responses={403: {"description": "a bucket outside your scope"},
                       410: {"description": "cursor older than the retention horizon: re-download the buckets"},
                       426: {"description": "client too old or too new"}})
async def pull(
    request: Request,
    cursors: str = Query("{}", description='JSON object {"bucket": seq}; {} = every bucket from 0'),
    limit: int = Query(wire.DEFAULT_PAGE, ge=1, le=wire.MAX_PAGE),
    protocol_version: int | None = Query(None),
    schema_version: int | None = Query(None),
    creds: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Response:
    """The token check and the page in one session and one thread call: on PostgreSQL a poked desk's pull is
    one statement (:func:`_pull_in_one`: token, counter and its buckets' heads) and, when no other pull of
    this process has read its page yet, the page's. At most :data:`PULL_THREADS` pulls
    run at once (:func:`pull_limiter`); the others wait on the event loop, and so does a pull whose page
    another pull of this process is reading (:class:`PageReading`), and one that comes too soon after the
    same device's previous pull (:class:`PullPacer`)."""
    if protocol_version is not None or schema_version is not None:
        bad = _check_versions(protocol_version if protocol_version is not None else wire.PROTOCOL_MAX,
                              schema_version if schema_version is not None else wire.SCHEMA_MAX)
        if bad is not None:
            return bad
    state = request.app.state.server
    pacer = pull_pacer(state)
    device_key = creds.credentials if creds is not None else None
    hold = pacer.hold_for(device_key)
    if hold > 0:
        await asyncio.sleep(hold)
    pacer.started(device_key)
    limiter = pull_limiter(state)
    done = await anyio.to_thread.run_sync(_pull_request, state, request, creds, cursors, limit, limiter=limiter)
    if isinstance(done, _PageAwaited):
        # another pull of this process is reading this very page: wait for it here, on the loop, holding no
        # thread, no slot of the limit and no connection; read it here only if that reading came to nothing
        cache, plan = page_cache(state), done.plan
        await done.reading.wait_async()
        plan.page = cache.get(plan.key, plan.active_heads)
        if plan.page is None:
            plan.page = await anyio.to_thread.run_sync(
                lambda: state.quick_read(lambda s: _read_planned(s, cache, plan), _read_sessions(state)),
                limiter=limiter)
        done = _pull_answer(plan)
    status, body = done
    pacer.answered(device_key, more=status == 200 and _HAS_MORE in body)
    return Response(content=body, status_code=status, media_type="application/json")


@dataclass(eq=False)
class _PageAwaited:
    """A pull that found its page being read by another pull: the plan to answer once that reading is done."""

    plan: _PullPlan
    reading: PageReading


def _pull_request(state: Any, request: Request, creds: HTTPAuthorizationCredentials | None, cursors: str,
                  limit: int) -> tuple[int, bytes] | _PageAwaited:
    """The token check, the pull's first statement and, unless another pull is reading it, its page."""
    named = None if state.is_sqlite else _named_buckets(cursors)

    def work(session: Session) -> tuple[int, bytes] | _PageAwaited:
        if named is not None:
            plan = _pull_in_one(state, session, request, creds, cursors, named, limit)
        else:
            who = authenticate(state, session, creds, request)
            who.require("sync.pull")
            plan = _plan_pull(state, who, parse_cursors(cursors, who), limit, session)
        if not isinstance(plan, _PullPlan):
            return plan
        if plan.page is None:
            reading = _read_or_join(session, page_cache(state), plan)
            if reading is not None:
                return _PageAwaited(plan, reading)
        return _pull_answer(plan)

    return state.quick_read(work, _read_sessions(state))


PULL_THREADS = 4
"""Pulls of one server process running at once. In one process every thread shares the GIL, and the push
that holds the counter lock gets its turn about once per runnable thread: ten desks of a township poked
together and pulling in ten threads slow every push behind that lock. Pulls beyond these wait on the event
loop (``server.extras["pull_threads"]`` overrides it)."""


def pull_limiter(state: Any) -> anyio.CapacityLimiter:
    limiter = state.extras.get("pull_limiter")
    if limiter is None:
        limiter = state.extras["pull_limiter"] = anyio.CapacityLimiter(
            int(state.extras.get("pull_threads", PULL_THREADS)))
    return limiter


PULL_PACE_SECONDS = 0.1
"""One device's pulls start at least this far apart (at most ten a second), unless its last answer said more
was waiting (``has_more``: it is catching up, page after page, and is never held). A desk pulls when poked, at
most about twice a second (:data:`events.POKE_GAP_SECONDS`), and does not notice; a client pulling in a tight
loop would otherwise take the CPU the room's writes need: 8 such clients held a 2-process server to ~110
mutations/s, paced 400-500 (docs/performance.md). The pace is per device and needs no shared state between server
processes (a device's keep-alive connection stays with one). A held pull waits on the event loop, holding no
thread, slot or connection (``server.extras["pull_pace"]`` overrides it; 0 never holds)."""

_HAS_MORE = b'"has_more":true'
"""In a pull's answer, the mark of a page with more after it. orjson writes it without spaces, and inside an
entity's fields (JSON strings) a quote is always escaped, so only the answer's own key can match."""


class PullPacer:
    """When each device's last pull started, and whether its answer had more (:data:`PULL_PACE_SECONDS`).

    Keyed by the request's bearer token, so the hold comes before any database read. Lives on the server's
    event loop (not thread-safe, and needs not be); remembers only the devices that pulled lately.
    """

    def __init__(self, pace: float = PULL_PACE_SECONDS, clock: Any = None) -> None:
        self.pace = pace
        self.clock = clock or time.monotonic
        self.last: dict[str, tuple[float, bool]] = {}  # token → (when its last pull started, answer had more)
        self.held = 0  # pulls held, and for how long in all (the load benchmarks show both)
        self.held_seconds = 0.0
        self._forget_above = 4096  # entries; doubles while that many devices pull at once

    def hold_for(self, key: str | None) -> float:
        """Seconds this pull waits before it starts (0: at once); counted when over 0."""
        if key is None or self.pace <= 0:
            return 0.0
        seen = self.last.get(key)
        if seen is None or seen[1]:
            return 0.0
        hold = seen[0] + self.pace - self.clock()
        if hold <= 0:
            return 0.0
        self.held += 1
        self.held_seconds += hold
        return hold

    def started(self, key: str | None) -> None:
        """The pull of ``key`` starts now (after its hold)."""
        if key is None:
            return
        now = self.clock()
        if len(self.last) > self._forget_above:  # forget the devices that have not pulled for a while
            self.last = {k: v for k, v in self.last.items() if now - v[0] < 4 * self.pace}
            self._forget_above = max(4096, 2 * len(self.last))
        self.last[key] = (now, False)

    def answered(self, key: str | None, more: bool) -> None:
        """The pull of ``key`` was answered; ``more``: the page had more after it."""
        if key is not None and more and key in self.last:
            self.last[key] = (self.last[key][0], True)


def pull_pacer(state: Any) -> PullPacer:
    pacer = state.extras.get("pull_pacer")
    if pacer is None:
        pacer = state.extras["pull_pacer"] = PullPacer(float(state.extras.get("pull_pace", PULL_PACE_SECONDS)))
    return pacer


def pull_pressure(state: Any) -> float:
    """Pulls of this process waiting for a place of the pull limit, per place (0 when every pull runs at once)."""
    stats = pull_limiter(state).statistics()
    return stats.tasks_waiting / max(1, stats.total_tokens)


# --------------------------------------------------------------------------- summary (convergence audit)


def bucket_summaries(session: Session, buckets: list[str]) -> dict[str, dict[str, Any]]:
    """Per bucket: live entities (latest change not a delete/remove), an order-free hash, the newest seq."""
    out: dict[str, dict[str, Any]] = {}
    for b in buckets:
        latest: dict[tuple[str, str], tuple[str, int]] = {}
        top = 0
        rows = session.execute(text(
            "SELECT seq, entity_type, entity_id, op, row_version FROM srv_change_log WHERE bucket = :b ORDER BY seq"
        ), {"b": b})
        for seq, etype, eid, op, rv in rows:
            latest[(etype, eid)] = (op, rv)
            top = seq
        total = 0
        count = 0
        for (etype, eid), (op, rv) in latest.items():
            if op != "upsert":
                continue
            count += 1
            total += wire.entity_digest(etype, eid, 0 if etype in REFERENCE_MODELS else rv)
        out[b] = {"count": count, "hash": wire.combine(total), "seq": top}
    return out


@router.get("/summary", response_model=SummaryOut, summary="Per-bucket count and hash of the live rows")
def summary(request: Request, buckets: str = Query("", description="comma-separated; empty = all of yours"),
            who: Principal = Depends(principal)) -> Response:
    who.require("sync.pull")
    wanted = [b for b in buckets.split(",") if b] or list(who.buckets)
    for b in wanted:
        if not who.can_read_bucket(b):
            raise HTTPException(403, detail={"code": wire.CODE_BUCKET_FORBIDDEN, "bucket": b,
                                             "message": f"you may not read bucket {b!r}"})
    state = request.app.state.server
    with _read(state) as session:
        counter = _counter(session)
        body = {"epoch": counter.epoch if counter else "", "buckets": bucket_summaries(session, wanted)}
    return Response(content=orjson.dumps(body), media_type="application/json")


# --------------------------------------------------------------------------- events (SSE)


def _heads(state: Any, buckets: list[str]) -> tuple[str, dict[str, int]]:
    def work(session: Session) -> tuple[str, dict[str, int]]:
        counter = _counter(session)
        heads = {}
        for b in buckets:
            seq = session.execute(text("SELECT max(seq) FROM srv_change_log WHERE bucket = :b"), {"b": b}).scalar()
            heads[b] = int(seq or 0)
        return (counter.epoch if counter else ""), heads

    return state.quick_read(work, _read_sessions(state))


def _token_ok(state: Any, token_id: str) -> bool:
    """The SSE heartbeat's check (every desk, every heartbeat): one statement, one round trip on PostgreSQL."""
    def work(session: Session) -> bool:
        token = session.get(DeviceToken, token_id)
        return token is not None and not token.revoked and token.access_expires_at >= utcnow()

    return state.quick_read(work, _read_sessions(state))


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.get("/events", summary="Server-sent events: a poke {epoch, heads} after each commit, and heartbeats")
async def sync_events(request: Request, who: Principal = Depends(principal)) -> StreamingResponse:
    who.require("sync.pull")
    state = request.app.state.server
    _bind_loop(state)
    broker = events.broker_of(state)
    heartbeat = float(state.extras.get("sse_heartbeat", wire.SSE_HEARTBEAT_SECONDS))
    poke_gap = float(state.extras.get("poke_gap", events.POKE_GAP_SECONDS))
    poke_gap_max = float(state.extras.get("poke_gap_max", events.POKE_GAP_MAX_SECONDS))
    offset = events.spread_offset(who.token_id, float(state.extras.get("poke_spread", events.POKE_SPREAD_SECONDS)))
    sub = broker.subscribe(who.buckets)

    async def stream():
        loop = asyncio.get_running_loop()
        last_poke = -poke_gap
        try:
            epoch, heads = await run_in_threadpool(_heads, state, list(who.buckets))
            broker.epoch = broker.epoch or epoch
            yield _sse("hello", {"epoch": epoch, "heads": heads, "heartbeat": heartbeat})
            while True:
                try:
                    async with asyncio.timeout(heartbeat):  # no task per wait, as wait_for makes (Python 3.11)
                        await sub.event.wait()
                except TimeoutError:
                    if not await run_in_threadpool(_token_ok, state, who.token_id):
                        yield _sse("signed_out", {"message": "sign-in expired or revoked"})
                        return
                    yield _sse("heartbeat", {})
                    continue
                # coalesce: pokes arriving within the gap after the last one merge into the next, and this
                # desk's place in the spread of the desks poked together (events.py)
                gap = events.poke_gap(poke_gap, pull_pressure(state), poke_gap_max)  # wider while pulls queue
                wait = max(last_poke + gap - loop.time(), offset)
                if wait > 0:
                    await asyncio.sleep(wait)
                heads = sub.take()
                if events.ALL in heads:
                    heads = {b: broker.heads.get(b) for b in who.buckets}
                last_poke = loop.time()
                yield _sse("poke", {"epoch": broker.epoch, "heads": heads})
        finally:
            broker.unsubscribe(sub)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# --------------------------------------------------------------------------- compaction


def compact(session: Session, keep_days: int = 90, *, now: Any = None) -> dict[str, int]:
    """Delete superseded changes and tombstones older than ``keep_days``; record the horizon per bucket.

    A workstation whose cursor is below a bucket's horizon gets 410 and downloads that
    bucket again (keeping its outbox), so a deleted record cannot come back.
    Returns the number of rows deleted per bucket.
    """
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    # take the counter row lock: no writer appends while the horizon is computed
    row = changelog.lock_counter(session)
    doomed = (
        "FROM srv_change_log c WHERE c.server_ts < :cutoff AND (c.op IN ('delete', 'remove') OR EXISTS ("
        "SELECT 1 FROM srv_change_log d WHERE d.bucket = c.bucket AND d.entity_type = c.entity_type "
        "AND d.entity_id = c.entity_id AND d.seq > c.seq))"
    )
    found = session.execute(text(f"SELECT c.bucket, max(c.seq), count(*) {doomed} GROUP BY c.bucket"),
                            {"cutoff": cutoff}).all()
    if not found:
        return {}
    session.execute(text(
        "DELETE FROM srv_change_log WHERE seq IN (SELECT c.seq " + doomed + ")"), {"cutoff": cutoff})
    serials = dict(row.human_serials or {})  # current: read under the lock
    horizon = dict(serials.get(HORIZON_KEY) or {})
    for bucket, top, _n in found:
        horizon[bucket] = max(int(horizon.get(bucket, 0)), int(top))
    serials[HORIZON_KEY] = horizon
    row.human_serials = serials
    session.flush()
    return {bucket: int(n) for bucket, _top, n in found}


# --------------------------------------------------------------------------- wiring


def _openapi_with_push_schema(app: FastAPI):
    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        extra = PushIn.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in extra.pop("$defs", {}).items():
            comps.setdefault(name, sub)
        comps["PushIn"] = extra
        return schema

    return openapi


def install(app: FastAPI, state: Any) -> None:
    """Broker, commit hooks, the restore check and (PostgreSQL) the LISTEN connection."""
    events.install_commit_hooks(state)
    tolerate_numeric_json(state.engine)
    if state.is_sqlite and "read_sessions" not in state.extras:
        reader = make_engine(state.db_url, writer=False)
        tolerate_numeric_json(reader)
        state.extras["read_engine"] = reader
        state.extras["read_sessions"] = session_factory(reader)
    try:
        with state.transaction() as session:
            changelog.counter(session)
    except IntegrityError:  # another server process created it at the same moment
        pass
    app.openapi = _openapi_with_push_schema(app)
    broker = events.broker_of(state)

    async def startup() -> None:
        broker.bind(asyncio.get_running_loop())
        await run_in_threadpool(restore.startup_check, state)
        with state.read() as session:
            broker.epoch = changelog.current_epoch(session)
        if not state.is_sqlite:
            listener = events.PgListener(state)
            state.extras["pg_listener"] = listener
            await listener.start()
        state.extras["marker_task"] = asyncio.create_task(restore.marker_keeper(state), name="restore-marker")

    async def shutdown() -> None:
        task = state.extras.pop("marker_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        listener = state.extras.pop("pg_listener", None)
        if listener is not None:
            await listener.stop()
        with contextlib.suppress(Exception):
            await run_in_threadpool(restore.write_marker, state)
        reader = state.extras.pop("read_engine", None)
        if reader is not None:
            reader.dispose()
            state.extras.pop("read_sessions", None)

    app.state.startup_hooks.append(startup)
    app.state.shutdown_hooks.append(shutdown)
