"""Pokes after commits: an in-process asyncio broker, fed across processes by PostgreSQL LISTEN/NOTIFY.

A poke carries no data (``{"epoch": …, "heads": {bucket: seq}}``); a workstation
answers it with a normal cursor pull, so a lost poke delays data but never loses
it (the workstation also pulls every 60 s and reconnects after missed heartbeats).

* SQLite (one server process): every commit that wrote change-log rows publishes
  to the broker of this process.
* PostgreSQL (several processes on one database): the commit's transaction issues
  ``pg_notify`` (delivered by PostgreSQL at commit, never for a rolled-back
  transaction); each process LISTENs on a psycopg 3 async connection and publishes
  what it hears to its own broker.

:func:`notify_committed` is the public call for writers that commit outside the
hooked sessions; it may be called from any thread (sync handlers run in a threadpool).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "commandroom_sync"
NOTIFY_MAX_BYTES = 7000  # PostgreSQL's payload limit is 8000 bytes
ALL = "*"  # a poke for every bucket (payload too large, or the buckets are unknown)
POKE_GAP_SECONDS = 0.5
"""Least time between two pokes on one SSE connection: the first poke after a quiet spell goes out at
once, later ones within the gap merge into one (newest head per bucket). Every poke makes a desk
pull, so at 50 pushes/s over 14 townships a desk would pull ~3.6 times a second, 500 pulls/s for
140 desks; with the gap a desk pulls at most twice a second and each pull brings what the merged
pokes announced (``server.extras["poke_gap"]`` overrides it)."""
POKE_SPREAD_SECONDS = 0.25
"""The desks one commit pokes hear of it spread over this long, each SSE connection at its own fixed place
in the spread (:func:`spread_offset`). A push pokes every desk of its township at the same moment, and
each answers with a pull: ten pulls arriving in the same millisecond queue behind each other and behind
the pushes of that moment. Spread out, the first desk's pull reads the page and the others find it in the
page cache, one after another. The cost is at most this much more time before a desk hears of a change
(``server.extras["poke_spread"]`` overrides it; 0 pokes everyone at once)."""


POKE_GAP_MAX_SECONDS = 2.0
"""The widest the gap grows while this process's pulls queue (:func:`poke_gap`)."""


def poke_gap(base: float, pressure: float, most: float = POKE_GAP_MAX_SECONDS) -> float:
    """The gap before a desk's next poke: ``base`` while pulls are answered at once, wider while they queue.

    ``pressure`` is the pulls waiting for a place per place of the pull limit. A poke a desk hears while its
    pull would only wait in that queue brings it nothing sooner and adds one more pull to the queue; held a
    little longer, the pokes merge and the desk's one pull brings all of them. The gap grows with the queue,
    up to ``most`` (never below ``base``), and is ``base`` again as soon as the queue is empty.
    """
    return min(max(base, most), base * (1.0 + max(0.0, pressure)))


def spread_offset(token_id: str, spread: float) -> float:
    """This connection's delay within the spread, the same for every poke (from its token's id)."""
    if spread <= 0:
        return 0.0
    return (zlib.crc32(token_id.encode()) % 1000) / 1000 * spread


@dataclass(eq=False)
class Subscriber:
    """One SSE connection: the buckets it reads and the heads not yet sent to it."""

    buckets: frozenset[str]
    event: asyncio.Event = field(default_factory=asyncio.Event)
    pending: dict[str, int | None] = field(default_factory=dict)

    def take(self) -> dict[str, int | None]:
        heads, self.pending = self.pending, {}
        self.event.clear()
        return heads


class Broker:
    """Fan-out of pokes to the SSE connections of this process (lives on the server's event loop)."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.epoch: str | None = None
        self.heads: dict[str, int] = {}
        self.published = 0
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, buckets: Iterable[str]) -> Subscriber:
        sub = Subscriber(frozenset(buckets))
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, heads: dict[str, int | None], epoch: str | None = None) -> None:
        """Deliver a poke to every subscriber reading one of ``heads``' buckets (call on the loop)."""
        self.published += 1
        if epoch:
            self.epoch = epoch
        with self._lock:
            for bucket, seq in heads.items():
                if seq is not None and bucket != ALL:
                    self.heads[bucket] = max(self.heads.get(bucket, 0), seq)
        everyone = ALL in heads
        for sub in list(self.subscribers):
            hit = sub.buckets if everyone else sub.buckets.intersection(heads)
            if not hit:
                continue
            for bucket in hit:
                seq = heads.get(bucket, self.heads.get(bucket))
                old = sub.pending.get(bucket)
                sub.pending[bucket] = seq if old is None or (seq is not None and seq > old) else old
            sub.event.set()

    def publish_threadsafe(self, heads: dict[str, int | None], epoch: str | None = None) -> None:
        """Publish from any thread: hands the poke to the broker's loop."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.publish(heads, epoch)
        else:
            with contextlib.suppress(RuntimeError):  # loop shutting down
                loop.call_soon_threadsafe(self.publish, heads, epoch)


def broker_of(state: Any) -> Broker:
    broker = state.extras.get("broker")
    if broker is None:
        broker = state.extras["broker"] = Broker()
    return broker


def _is_postgres(state: Any) -> bool:
    return not state.is_sqlite


def _payload(heads: dict[str, int | None], epoch: str | None) -> str:
    data = orjson.dumps({"epoch": epoch, "heads": heads}).decode()
    if len(data.encode()) > NOTIFY_MAX_BYTES:
        data = orjson.dumps({"epoch": epoch, "heads": {ALL: None}}).decode()
    return data


def notify_committed(state: Any, buckets: set[str] | dict[str, int | None]) -> None:
    """Poke the workstations reading ``buckets`` after a commit (any thread, any process).

    Args:
        buckets: bucket names, or bucket → newest seq written.
    """
    heads = dict(buckets) if isinstance(buckets, dict) else {b: None for b in buckets}
    if not heads:
        return
    broker = broker_of(state)
    if _is_postgres(state):
        try:
            with state.engine.connect() as conn:
                conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": _payload(heads, broker.epoch)})
                conn.commit()
            return
        except Exception:  # a lost poke delays data, never loses it
            log.exception("pg_notify failed; poking this process only")
    broker.publish_threadsafe(heads, None)


# -- automatic pokes for every commit through the server's sessions


def _logged(session: Session) -> dict[str, int]:
    return session.info.get("logged_heads") or {}


def take_notify_payload(state: Any, session: Session) -> str | None:
    """The ``pg_notify`` payload for the buckets this transaction logged and has not notified yet.

    For a writer that puts the NOTIFY in a statement of its own (the push's write-behind); the
    commit hook then sends nothing more unless more rows are logged.
    """
    heads = _logged(session)
    if not heads or session.info.get("notified_heads") == heads:
        return None
    session.info["notified_heads"] = dict(heads)
    return _payload(dict(heads), broker_of(state).epoch)


def install_commit_hooks(state: Any) -> None:
    """Poke after every commit of ``state.sessions`` that appended to the change log."""
    if state.extras.get("commit_hooks_installed"):
        return
    state.extras["commit_hooks_installed"] = True
    broker = broker_of(state)
    factory = state.sessions
    postgres = _is_postgres(state)

    if postgres:

        @event.listens_for(factory, "before_commit")
        def _notify_in_transaction(session: Session) -> None:
            if session.get_nested_transaction() is not None:
                return  # a savepoint being released: notify once, at the real commit
            session.flush()
            payload = take_notify_payload(state, session)
            if payload is not None:
                # NOTIFY inside the transaction: PostgreSQL delivers it at commit, never on rollback.
                session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        nested = session.get_nested_transaction()
        if nested is not None:  # a released savepoint is not a commit: nobody may see its rows yet
            session.info.get("logged_marks", {}).pop(nested, None)
            return
        session.info.pop("logged_marks", None)
        session.info.pop("notified_heads", None)
        heads = session.info.pop("logged_heads", None)
        if heads and not postgres:
            broker.publish_threadsafe(dict(heads), None)

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        if not session.in_transaction():
            session.info.pop("logged_heads", None)
            session.info.pop("logged_marks", None)
            session.info.pop("notified_heads", None)

    # a savepoint that rolls back takes its change-log rows with it: forget their buckets too
    @event.listens_for(factory, "after_transaction_create")
    def _savepoint_begins(session: Session, transaction: Any) -> None:
        if transaction.nested:
            session.info.setdefault("logged_marks", {})[transaction] = dict(_logged(session))

    @event.listens_for(factory, "after_soft_rollback")
    def _savepoint_rolled_back(session: Session, previous: Any) -> None:
        mark = session.info.get("logged_marks", {}).pop(previous, None) if previous.nested else None
        if mark is not None:
            session.info["logged_heads"] = mark


# -- PostgreSQL LISTEN


def libpq_url(db_url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(db_url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


class PgListener:
    """LISTENs on :data:`CHANNEL` with a psycopg 3 async connection and feeds the broker; reconnects."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.broker = broker_of(state)
        self.task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="pg-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), 10)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def _run(self) -> None:
        import psycopg

        delay = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(libpq_url(self.state.db_url), autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    delay = 0.5
                    # everyone pulls once after a (re)connect: pokes may have been missed meanwhile
                    self.broker.publish({ALL: None})
                    async for note in conn.notifies():
                        try:
                            data = orjson.loads(note.payload)
                        except orjson.JSONDecodeError:
                            continue
                        self.broker.publish(data.get("heads") or {ALL: None}, data.get("epoch"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
