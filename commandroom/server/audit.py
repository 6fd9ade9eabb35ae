"""The hash-chained audit log (留痕): every applied mutation and every account change.

Each :class:`AuditEntry` carries the hash of the entry before it, and its own
hash is SHA-256 over the canonical JSON (sorted keys, orjson) of its id, time,
user, device, mutation, action, entity, before/after values and that previous
hash. Ids are consecutive from 1; the first entry's ``prev_hash`` is 64 zeros.
Changing any stored field of an entry breaks its hash; deleting an entry leaves
a gap in the ids (and breaks the next entry's ``prev_hash``).

Appends are serialized by the ``srv_sync_counter`` row lock (the same lock that
orders the change log; the pipeline already holds it when it appends), so two
server processes on one PostgreSQL database never fork the chain. Under the lock
the chain head is read once per transaction; later appends in the same
transaction continue from the entry it just wrote (kept with the lock in
``session.info``; a rolled-back savepoint forgets it).

What the chain alone cannot show is the loss of the *newest* entries (a
truncated tail is still a valid chain). ``commandroom audit show`` prints the
head id and hash; writing them down elsewhere (a daily report) closes that gap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandroom.domain.models import AuditEntry
from commandroom.server import changelog
from commandroom.timeutil import fmt_local, utcnow

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """JSON-ready copy of ``value`` exactly as the JSON column will give it back."""
    if value is None:
        return None
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))


def _at_text(at: datetime) -> str:
    return at.replace(tzinfo=None).isoformat(timespec="microseconds")


def entry_hash(
    *,
    id: int,
    at: datetime,
    user_id: str | None,
    device_id: str | None,
    mutation_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    blob = orjson.dumps(
        {
            "id": int(id),
            "at": _at_text(at),
            "user_id": user_id,
            "device_id": device_id,
            "mutation_id": mutation_id,
            "action": action,
            "entity_type": entity_type or "",
            "entity_id": entity_id or "",
            "before": before,
            "after": after,
            "prev_hash": prev_hash,
        },
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha256(blob).hexdigest()


def hash_of(row: AuditEntry) -> str:
    return entry_hash(
        id=row.id, at=row.at, user_id=row.user_id, device_id=row.device_id, mutation_id=row.mutation_id,
        action=row.action, entity_type=row.entity_type, entity_id=row.entity_id, before=row.before,
        after=row.after, prev_hash=row.prev_hash,
    )


def append_audit(
    session: Session,
    *,
    user_id: str | None,
    device_id: str | None,
    mutation_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> tuple[int, str]:
    """Append one entry to the chain inside the caller's transaction (takes the counter lock if not held).

    Returns the entry's id and hash (no ORM object: this runs under the counter lock, once per row written).
    """
    changelog.lock_counter(session)  # serializes appenders; created if missing, like the change log does
    last = changelog.chain_head(session)
    if last is None:
        last = session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        ).first()
    new_id, prev = (1, GENESIS) if last is None or not last[0] else (int(last[0]) + 1, last[1])
    at = utcnow()
    before_, after_ = _plain(before), _plain(after)
    device = (device_id or None) and str(device_id)[:64]
    fields = dict(
        id=new_id, at=at, user_id=user_id, device_id=device, mutation_id=mutation_id, action=action[:48],
        entity_type=(entity_type or "")[:32], entity_id=(entity_id or "")[:64], before=before_, after=after_,
        prev_hash=prev,
    )
    digest = entry_hash(**fields)
    wb = changelog.write_behind(session)
    if wb is not None:  # written with the transaction's other bookkeeping rows, in one statement
        wb.rows.setdefault(AuditEntry.__table__, []).append({**fields, "hash": digest})
    else:  # a plain INSERT (no unit of work: this runs while the counter lock is held)
        session.execute(AuditEntry.__table__.insert(), [{**fields, "hash": digest}])
    changelog.remember_chain_head(session, new_id, digest)
    return new_id, digest


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking the chain, as data: a reason code and its parameters, so each reader
    (the CLI in English, the desk in Chinese) words it itself.

    ``code``: ``empty`` / ``intact`` (``count``, ``head_id``, ``head_hash``) when ok; ``missing``
    (``first``, ``last``, ``before``, ``after``: ids jump from ``before`` to ``after``), ``relinked`` or
    ``altered`` (``id``, ``action``, ``entity_type``, ``entity_id``, ``at``) when broken.
    """

    ok: bool
    broken_at: int | None
    code: str
    params: dict[str, Any]

    @property
    def message(self) -> str:
        """The English line of the CLI and the logs."""
        p = self.params
        if self.code == "empty":
            return "the audit log is empty"
        if self.code == "intact":
            return f"{p['count']} entries, chain intact (head #{p['head_id']} {p['head_hash'][:16]}…)"
        if self.code == "missing":
            gap = (f"entry #{p['first']} is missing" if p["first"] == p["last"]
                   else f"entries #{p['first']}–#{p['last']} are missing")
            return f"{gap} (deleted?): the ids jump from #{p['before']} to #{p['after']}"
        what = f"{p['action']} {p['entity_type']} {p['entity_id']}"
        if self.code == "relinked":
            return (f"entry #{p['id']} ({what}) does not point at the hash of entry #{p['id'] - 1}: an entry "
                    "before it was changed or replaced")
        return f"entry #{p['id']} ({what}, {p['at']}) was altered: its content no longer matches its hash"


def check_chain(session: Session, *, batch: int = 2000) -> ChainCheck:
    """Walk the chain from the first entry and say where and why it breaks, if it does."""
    expected_id = 1
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = list(
            session.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch))
        )
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                return ChainCheck(False, expected_id, "missing", {
                    "first": expected_id, "last": row.id - 1, "before": expected_id - 1, "after": row.id})
            entry = {"id": row.id, "action": row.action, "entity_type": row.entity_type,
                     "entity_id": row.entity_id, "at": fmt_local(row.at, "%Y-%m-%d %H:%M:%S")}
            if row.prev_hash != prev:
                return ChainCheck(False, row.id, "relinked", entry)
            if hash_of(row) != row.hash:
                return ChainCheck(False, row.id, "altered", entry)
            prev = row.hash
            expected_id += 1
            count += 1
            last_id = row.id
        session.expunge_all()
    if count == 0:
        return ChainCheck(True, None, "empty", {})
    return ChainCheck(True, None, "intact", {"count": count, "head_id": last_id, "head_hash": prev})


def verify_chain(session: Session, *, batch: int = 2000) -> tuple[bool, int | None, str]:
    """Walk the chain from the first entry: ``(ok, first bad id or None, message in English)``."""
    result = check_chain(session, batch=batch)
    return result.ok, result.broken_at, result.message


def head(session: Session) -> tuple[int, str] | None:
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return None if last is None else (int(last[0]), last[1])


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def recent(session: Session, limit: int = 20) -> list[AuditEntry]:
    rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, limit))))
    return list(reversed(rows))


# --------------------------------------------------------------------------- CLI


def run_audit_command(settings, args) -> int:
    """``commandroom audit verify|show [--limit N]`` against the server database."""
    from commandroom.server.state import open_state

    state = open_state(settings.server_db_url)
    try:
        with state.read() as session:
            if args.action == "verify":
                ok, bad, message = verify_chain(session)
                if ok:
                    print(f"OK: {message}")
                    return 0
                print(f"TAMPERED at entry #{bad}: {message}")
                return 1
            rows = recent(session, getattr(args, "limit", 20) or 20)
            total = count(session)
            if not rows:
                print("the audit log is empty")
                return 0
            for r in rows:
                who = r.user_id or "system"
                dev = f" @{r.device_id}" if r.device_id else ""
                print(f"#{r.id:<7} {fmt_local(r.at, '%Y-%m-%d %H:%M:%S')}  {r.action:<24} "
                      f"{r.entity_type}:{r.entity_id}  by {who}{dev}  {r.hash[:12]}")
            h = head(session)
            assert h is not None
            print(f"{total} entries; head #{h[0]} hash {h[1]}")
            return 0
    finally:
        state.close()
