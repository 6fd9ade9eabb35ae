"""The server's authoritative write path for one named mutation.

Every write that reaches the county server — a pushed mutation from a
workstation, an Open311 report from a grid worker, an admin edit — goes
through :func:`execute`: take the counter lock (once per transaction), authorize
against the *target rows'* scope, apply the mutation in a savepoint (its own, or the
caller's savepoint or transaction), record overwritten concurrent values in the conflict log, stamp field
versions, append to the change log and the audit log. A failure rolls the savepoint
back, so nothing is half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from commandroom import permissions
from commandroom.domain.errors import DomainError, Forbidden, NotFound
from commandroom.domain.models import (
    REFERENCE_MODELS,
    SYNCED_MODELS,
    Base,
    ConflictRecord,
    record_label,
    row_to_dict,
)
from commandroom.mutations.core import (
    DEFER_FLUSH,
    OCCURRED_AT,
    Actor,
    Changes,
    MutationContext,
    apply_mutation,
    get_spec,
    old_values,
    primary_key_of,
    start_tracking,
    stop_tracking,
    touched_rows,
)
from commandroom.notify.outbox import notices_for_mutation
from commandroom.queries.scope import department_of, is_department_work
from commandroom.server import changelog, races
from commandroom.server.audit import append_audit
from commandroom.server.state import ABSENT_TARGET, KNOWN_ABSENT
from commandroom.sync.buckets import BOARD_TABLES
from commandroom.timeutil import utcnow

# Fields whose concurrent overwrite is not a conflict: lifecycle fields follow the state
# machine's merge rule, counters are deltas, the rest is bookkeeping.
NOT_LWW_FIELDS = changelog.SYSTEM_FIELDS | {
    "id", "township_code", "number", "state", "lifecycle_epoch", "report_count", "return_count",
    "escalation_level", "deleted", "column_changed_at", "status_at", "column", "position",
    "attachments",  # only grows: each case.attach adds to what the server holds, nobody's file is lost
}
TEXT_FIELDS = {"description", "body", "notes", "note"}
COORDINATOR_ROLES = {"county_coordinator", permissions.SYSTEM_ROLE}  # may change reference data


@dataclass
class Outcome:
    """What the server did with one mutation."""

    status: str  # applied | merged | rejected
    seq: int | None = None
    explanation: str = ""
    code: str = ""
    changes: Changes = field(default_factory=Changes)
    conflicts: int = 0
    occurred_at: datetime | None = None
    clock_untrusted: bool = False
    follow: dict[str, str] | None = None  # the record that won a race (server/races.py)

    def to_result(self) -> dict[str, Any]:
        result = {"status": self.status, "seq": self.seq, "explanation": self.explanation, "code": self.code,
                  "conflicts": self.conflicts}
        if self.follow:
            result["follow"] = self.follow
        return result


def payload_hash(name: str, entity_id: str, args: dict[str, Any]) -> str:
    """Stable hash of what a mutation asks for (same id + different payload is refused)."""
    blob = orjson.dumps({"name": name, "entity_id": entity_id, "args": args}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


# -- when it happened vs when the server learned of it (docs/sync-protocol.md, "occurred_at")

CLOCK_TOLERANCE = timedelta(seconds=5)
"""A desk's moment may be this far off the bounds (Date has whole seconds) before it counts as untrusted."""

UNTRUSTED_SKEWS = ("warn", "bad")
"""Skew levels (commandroom.sync.clock.skew_level) at which the desk's own clock was off when the act was made."""


def bounded_occurred_at(claimed: datetime | None, received: datetime, floor: datetime | None,
                        clock_skew: str = "") -> tuple[datetime, bool]:
    """The moment to record for an act the desk says happened at ``claimed`` (its corrected clock).

    Never later than ``received`` (the server's clock), never earlier than ``floor`` (the target row's
    previous acknowledged act). Returns ``(occurred_at, untrusted)``: untrusted when the desk said its
    clock was off (``clock_skew`` warn/bad), when the moment lay in the future by more than
    :data:`CLOCK_TOLERANCE`, when it lay that far before the previous act and the desk's clock was not
    measured fine (two desks working offline on one incident may legitimately upload out of order: their
    acts are then put in upload order without blaming a clock that was right), or when a desk that never
    measured its clock this session reports an act made offline.
    """
    if claimed is None:
        return received, False
    occurred = min(claimed, received)
    future = claimed - received > CLOCK_TOLERANCE
    if floor is not None and floor <= received:
        occurred = max(occurred, floor)
    before_previous = floor is not None and floor - claimed > CLOCK_TOLERANCE and clock_skew != ""
    unchecked = clock_skew == "unknown" and received - occurred > timedelta(minutes=10)
    return occurred, future or before_previous or unchecked or clock_skew in UNTRUSTED_SKEWS


def _authorize_target(session: Session, actor: Actor, allowed: Collection[str] | None, name: str,
                      entity_id: str, args: dict[str, Any]) -> datetime | None:
    """The role rule first (nothing read yet), then the existing target row's scope (never the client's claim).

    A row outside the actor's scope gets the answer a missing row gets (NotFound, same words), so a
    refusal says nothing about another township's rows; a row in scope that is not assigned to the
    actor's department or team (when the role reaches only those) is refused saying so. Returns the
    target row's previous acknowledged act (its ``occurred_at``) when the row exists.
    """
    reach = permissions.check(actor, name)  # Forbidden: this role may not do it at all
    spec = get_spec(name)
    model = SYNCED_MODELS.get(spec.entity_type)
    if model is None:
        return None
    row = session.get(model, entity_id)
    if row is None:
        session.info[ABSENT_TARGET] = (model, entity_id)  # the mutation's own look-up need not ask again
        if reach is permissions.Reach.ASSIGNED and not permissions.assigned_args(actor, name, args, session):
            raise Forbidden(permissions.assigned_refusal(name), rule=name)
        return None
    if allowed is not None and row.township_code not in allowed:
        raise NotFound(spec.entity_type, entity_id)
    dept = department_of(actor)
    if dept is not None and not is_department_work(session, dept, spec.entity_type, _values(row)):
        raise NotFound(spec.entity_type, entity_id)  # another department's work: as if it did not exist
    if spec.entity_type in BOARD_TABLES and permissions.boards_limited(permissions.roles_of(actor)) \
            and not permissions.leads_board(session, actor, spec.entity_type, row):
        raise NotFound(spec.entity_type, entity_id)  # a board the module lead's desk never received
    if reach is permissions.Reach.ASSIGNED and not permissions.assigned_to(actor, spec.entity_type, row, session):
        raise Forbidden(permissions.assigned_refusal(name), rule=name)
    return getattr(row, "occurred_at", None)


def _values(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _authorize_rows(session: Session, actor: Actor, allowed: Collection[str] | None, rows: list[Base],
                    name: str) -> None:
    hands_over = get_spec(name).hands_over
    for row in rows:
        table = row.__tablename__
        if table in REFERENCE_MODELS:
            if not COORDINATOR_ROLES.intersection(permissions.roles_of(actor)):
                raise Forbidden(f"only a county coordinator may change {table}")
        elif table in SYNCED_MODELS and allowed is not None and row.township_code not in allowed:
            # a hand-over (转交) may send an existing row of the actor's own township elsewhere
            was = (old_values(session, row) or {}).get("township_code")
            if hands_over and was in allowed:
                continue
            raise Forbidden(f"{table} would be written in township {row.township_code}, outside your scope")


def _conflicts(session: Session, actor: Actor, mutation_id: str | None, base_versions: dict[str, Any],
               rows: list[Base]) -> list[ConflictRecord]:
    """Overwritten concurrent values: fields another person wrote after this client's base version.

    A field last written by the same person is not a conflict: that is their own earlier edit (made on
    this desk offline — a row it created offline is pushed with base version 0 — or on another desk).
    """
    out: list[ConflictRecord] = []
    for row in rows:
        olds = old_values(session, row)
        if not olds or not hasattr(row, "field_versions"):
            continue
        base = base_versions.get(f"{row.__tablename__}:{primary_key_of(row)}")
        if base is None:
            continue
        versions = row.field_versions or {}
        for name, old in olds.items():
            if name in NOT_LWW_FIELDS or name.endswith("_at") or name.endswith("_due"):
                continue
            new = getattr(row, name)
            if old == new or int(versions.get(name, 0)) <= int(base):
                continue
            if actor.user_id and changelog.field_writer(row, name) == actor.user_id:
                continue  # the person's own earlier edit, not someone else's
            text = name in TEXT_FIELDS
            if text and hasattr(row, "needs_review"):
                row.needs_review = True
            out.append(
                ConflictRecord(
                    township_code=row.township_code,
                    entity_type=row.__tablename__,
                    entity_id=primary_key_of(row),
                    field=name,
                    kept_value=_jsonable(new),
                    lost_value=_jsonable(old),
                    rule="both_kept_review" if text else "last_writer_wins",
                    mutation_id=mutation_id,
                    origin_device=actor.device_name or actor.device_id,
                    by_user_name=actor.name,
                    record_label=record_label(session, row.__tablename__, primary_key_of(row)),
                    explanation=(
                        f"{actor.name}修改前，这一项已被别人改过；"  # the officer's words: the desk shows it as is
                        + ("两个版本都保留，已标记待核对" if text else "以后到达服务器的修改为准")
                    ),
                )
            )
    return out


_HOLD = "commandroom.hold_loaded"


@event.listens_for(Base, "load", propagate=True)
def _hold_loaded(target: Base, context: Any) -> None:
    """Keep every row a server write loads alive until its session closes.

    The session's identity map holds unmodified rows weakly: the incident a mutation's checks read was
    dropped between them and read again three times per mutation, and again for every mutation of a
    batch on that incident. Under the counter lock nobody else writes, so the held rows stay current.
    """
    session = getattr(context, "session", None)
    held = session.info.get(_HOLD) if session is not None else None
    if held is not None:
        held.append(target)


def prefetch_targets(session: Session, targets: list[tuple[str, str]]) -> None:
    """Read the target rows of a push's mutations ``(name, entity_id)`` at once, under the counter lock.

    Each mutation's scope check looked its target up by primary key: one statement, and its ORM work, per
    mutation while the counter lock was held (a create's always found nothing). Read here together, the
    rows that exist stay in the session (held like every row a write loads) and the others are known
    absent: under the lock nobody else can create them, and a row this session writes leaves the set
    (:class:`commandroom.server.state.ServerSession`). Call it only while holding the lock.
    """
    ids: dict[type[Base], set[str]] = {}
    for name, entity_id in targets:
        try:
            model = SYNCED_MODELS.get(get_spec(name).entity_type)
        except DomainError:
            continue  # an unknown mutation: refused when its turn comes
        if model is not None and entity_id and len(model.__mapper__.primary_key) == 1:
            ids.setdefault(model, set()).add(entity_id)
    if not ids:
        return
    session.info.setdefault(_HOLD, [])
    known: set[Any] = session.info.setdefault(KNOWN_ABSENT, set())
    with session.no_autoflush:
        for model, wanted in ids.items():
            pk = model.__mapper__.primary_key[0]
            found = {primary_key_of(row) for row in session.scalars(select(model).where(pk.in_(sorted(wanted))))}
            known.update(identity_key(model, i) for i in wanted - found)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _require_stored_photos(session: Session, args: dict[str, Any]) -> None:
    """A mutation may name only photos this server holds in full (the desk uploads them before it pushes)."""
    from commandroom.domain.errors import UnknownPhoto
    from commandroom.domain.models import Photo
    from commandroom.services.photos import photo_hashes

    wanted = photo_hashes(args)
    if not wanted:
        return
    held = set(session.scalars(select(Photo.sha256).where(Photo.sha256.in_(wanted), Photo.has_full.is_(True))))
    missing = [h for h in wanted if h not in held]
    if missing:
        raise UnknownPhoto(f"此操作引用的 {len(missing)} 张照片尚未上传到县服务器（编号 {missing[0][:12]}…），"
                           "未执行；请在联网后重新同步，照片会先上传。", missing=",".join(missing))


def execute(
    session: Session,
    *,
    actor: Actor,
    allowed_townships: Collection[str] | None,
    name: str,
    entity_id: str,
    args: dict[str, Any],
    base_versions: dict[str, Any] | None = None,
    mutation_id: str | None = None,
    savepoint: bool = True,
    now: datetime | None = None,
    occurred_at: datetime | None = None,
    clock_skew: str = "",
) -> Outcome:
    """Apply one mutation authoritatively inside the caller's transaction.

    Args:
        allowed_townships: townships the actor may write; None for the whole county.
        savepoint: apply in a savepoint of its own; False when the caller rolls back its own savepoint or
            its whole transaction on any exception (the sync push does, with the dedup record in it).
        now: the server's clock (the scheduler injects its own); merge order and deadlines use it.
        occurred_at, clock_skew: when the desk says the person acted (its corrected clock) and how far
            off its clock was then; recorded bounded, see :func:`bounded_occurred_at`.
    Raises:
        DomainError: the mutation is rejected; its savepoint is rolled back.
    """
    base_versions = base_versions or {}
    session.info.setdefault(_HOLD, [])
    session.info.pop(ABSENT_TARGET, None)  # only this mutation's own scope check may set it
    # Serialize server writes on the counter row before reading anything: read-modify-write
    # (counters, human serials, state checks) can then never lose a concurrent update when
    # several server processes share one PostgreSQL, and seq order stays commit order.
    # (Taken once per transaction; best taken outside any savepoint, whose rollback would release it.)
    changelog.lock_counter(session)
    # work queued on a record that lost a race (two desks accepted one report) follows the winner or is
    # refused naming it; None for every record that exists
    race = races.decide(session, name, get_spec(name).entity_type, entity_id, args)
    if race is not None and race.reject:
        return Outcome(status="rejected", explanation=race.explanation, code="lost_race", follow=race.follow)
    if race is not None:
        entity_id, args = race.entity_id, race.args
    with session.begin_nested() if savepoint else contextlib.nullcontext():
        floor = _authorize_target(session, actor, allowed_townships, name, entity_id, args)
        _require_stored_photos(session, args)
        closed = races.closed_first(session, name, entity_id) if race is None and actor.device_id else None
        if closed is not None:
            return Outcome(status="rejected", explanation=closed.explanation, code="lost_race", follow=closed.follow)
        received = now or utcnow()
        occurred, untrusted = bounded_occurred_at(occurred_at, received, floor, clock_skew)
        ctx = MutationContext(
            session,
            actor,
            now=received,
            occurred_at=occurred,
            clock_untrusted=untrusted,
            on_server=True,
            mutation_id=mutation_id,
            base_versions=base_versions,
            number_allocator=lambda obj, kind: changelog.allocate_number(session, obj, kind),
            visible_townships=allowed_townships,
        )
        start_tracking(session)
        session.info[OCCURRED_AT] = occurred
        # the rows are written by one flush, in log_rows, with their version stamps (not an INSERT and an UPDATE)
        session.info[DEFER_FLUSH] = True
        try:
            apply_mutation(ctx, name, entity_id, args)  # what it wrote is tracked, pending or flushed
            if name == "report.accept" and ctx.status == "merged":
                races.remember_lost_accept(session, args, entity_id)
            rows = _touched(session)
            _authorize_rows(session, actor, allowed_townships, rows, name)
            conflict_rows = _conflicts(session, actor, mutation_id, base_versions, rows)
            for note in ctx.notices:
                conflict_rows.append(
                    ConflictRecord(
                        township_code=_township_of(rows, actor),
                        entity_type=get_spec(name).entity_type,
                        entity_id=entity_id,
                        field=note.get("field", ""),
                        kept_value=_jsonable(note.get("kept")),
                        lost_value=_jsonable(note.get("lost")),
                        rule=note["rule"],
                        mutation_id=mutation_id,
                        origin_device=actor.device_name or actor.device_id,
                        by_user_name=actor.name,
                        explanation=note["explanation"],
                        record_label=record_label(session, get_spec(name).entity_type, entity_id),
                    )
                )
            for rec in conflict_rows:
                session.add(rec)
            if conflict_rows:
                rows = _touched(session)  # includes the conflict records and any needs_review flag
            olds = {id(r): old_values(session, r) for r in rows}
            befores = {id(r): changelog.snapshot(r, olds[id(r)]) for r in rows}
            changed = {id(r): (None if olds[id(r)] is None else list(olds[id(r)])) for r in rows}
        finally:
            stop_tracking(session, flush=False)
            session.info.pop(ABSENT_TARGET, None)
            session.info.pop(OCCURRED_AT, None)
            session.info.pop(DEFER_FLUSH, None)
        logged: dict[int, dict[str, Any]] = {}
        seqs = changelog.log_rows(session, rows, changed_fields=changed, origin_device=actor.device_id or None,
                                  origin_mutation=mutation_id, origin_user=actor.user_id or None, before=befores,
                                  logged_fields=logged)
        # notices (dispatch, summons, escalation…) are written with the act: rolled back with it if it fails
        notices_for_mutation(session, name=name, args=args, rows=rows, now=ctx.now)
        for row in rows:
            append_audit(
                session,
                user_id=actor.user_id,
                device_id=actor.device_id,
                mutation_id=mutation_id,
                action=name,
                entity_type=row.__tablename__,
                entity_id=primary_key_of(row),
                before=befores[id(row)],
                after=logged.get(id(row)) or row_to_dict(row),  # notices change no logged row
            )
    changes = Changes()
    for row in rows:
        changes.note(row.__tablename__, primary_key_of(row))
    if race is not None:  # followed the winner: applied there, and the desk is told where
        return Outcome(status="merged", seq=max(seqs) if seqs else None, explanation=race.explanation,
                       changes=changes, conflicts=len(conflict_rows), occurred_at=occurred,
                       clock_untrusted=untrusted, follow=race.follow)
    return Outcome(
        status=ctx.status,
        seq=max(seqs) if seqs else None,
        explanation=ctx.explanation,
        changes=changes,
        conflicts=len(conflict_rows),
        occurred_at=occurred,
        clock_untrusted=untrusted,
    )


def _touched(session: Session) -> list[Base]:
    """Replicated rows this mutation wrote, flushed or pending (bookkeeping rows such as the counter are not)."""
    return [
        row for row in touched_rows(session)
        if row.__tablename__ in SYNCED_MODELS or row.__tablename__ in REFERENCE_MODELS
    ]


def _township_of(rows: list[Base], actor: Actor) -> str:
    for row in rows:
        code = getattr(row, "township_code", None)
        if code:
            return code
    return actor.township_code or ""


def rejected(exc: DomainError) -> Outcome:
    explanation = exc.message
    if isinstance(exc, NotFound):  # "incident <uuid> does not exist" says nothing to an officer
        explanation = races.missing_explanation(str(exc.details.get("entity") or ""))
    return Outcome(status="rejected", explanation=explanation, code=exc.code)
