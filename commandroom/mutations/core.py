"""The mutation registry, the apply context and the ``Changes`` value."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from commandroom.domain.errors import NotFound, ValidationError
from commandroom.domain.models import Base
from commandroom.ids import new_id
from commandroom.timeutil import utcnow

_CHILD_NAMESPACE = uuid.UUID("6f1c2d3e-9a4b-5c6d-8e7f-102132435465")

T = TypeVar("T", bound=Base)
_ZONE_TABLES = {"team_member", "roster_entry", "member_loan"}
_BOARD_TABLES = {"module", "task_card"}  # a module lead finds only the boards it leads

OFFLINE_AFTER_SECONDS = 60.0
"""An act uploaded this long after it was made counts as entered offline (离线录入)."""


@dataclass(frozen=True)
class Actor:
    """Who performs a mutation, from which workstation. Travels with every mutation."""

    user_id: str | None
    name: str
    role: str
    scope_kind: str = "township"
    scope_code: str | None = None
    township_code: str | None = None
    device_id: str = ""
    device_name: str = ""
    roles: tuple[str, ...] = ()  # every role held (``role`` is the first); empty: just ``role``
    department_code: str | None = None  # a department liaison's department
    grid_id: str | None = None  # a grid worker's grid (核查 reaches its incidents)

    def __post_init__(self) -> None:
        if not isinstance(self.roles, tuple):  # a list from JSON
            object.__setattr__(self, "roles", tuple(self.roles or ()))

    @classmethod
    def system(cls, name: str = "系统") -> Actor:
        """The server's own work and the seed: not an account, bound by no role rule."""
        return cls(user_id=None, name=name, role="system", scope_kind="county")

    def may(self, name: str) -> bool:
        """May this actor do the named mutation or read at all? (What the desk asks to show an action.)"""
        from commandroom.permissions import may

        return may(self, name)


@dataclass
class Changes:
    """What a write changed: entity type → ids. Empty means nothing changed."""

    rows: dict[str, set[str]] = field(default_factory=dict)

    def note(self, entity_type: str, entity_id: str) -> None:
        self.rows.setdefault(entity_type, set()).add(entity_id)

    def touches(self, *entity_types: str) -> bool:
        return any(t in self.rows for t in entity_types)

    def ids(self, entity_type: str) -> set[str]:
        return self.rows.get(entity_type, set())

    def merge(self, other: Changes) -> Changes:
        for k, v in other.rows.items():
            self.rows.setdefault(k, set()).update(v)
        return self

    def __bool__(self) -> bool:
        return any(self.rows.values())

    def count(self) -> int:
        return sum(len(v) for v in self.rows.values())


# -- touched-row tracking: every flush in a tracked session records the rows it writes


def _primary_key(obj: Base) -> str:
    mapper = obj.__mapper__
    return "|".join(str(getattr(obj, str(c.key))) for c in mapper.primary_key)


def _changed(state: Any) -> list[tuple[str, Any]]:
    """``(attribute, its history)`` of each attribute of a persistent row that holds a change.

    Only attributes with a committed value recorded can have changed (SQLAlchemy keeps the value before
    the first change there), so this looks at those few and not at every column: what
    ``session.is_modified`` and the column histories say, at a fraction of the cost for wide rows.
    """
    out = []
    for key in state.committed_state:
        hist = state.attrs[key].history
        if hist.has_changes():
            out.append((key, hist))
    return out


@event.listens_for(Session, "before_flush")
def _track_touched(session: Session, _ctx, _instances) -> None:
    touched = session.info.get("touched")
    if touched is None:
        return
    old_values = session.info["touched_old"]
    stamp_occurred(session)
    for obj in session.new:
        if isinstance(obj, Base):
            touched[id(obj)] = obj
            old_values.setdefault(id(obj), None)  # None: the row is new
    for obj in session.dirty:
        if not isinstance(obj, Base):
            continue
        state = inspect(obj)
        changed = _changed(state)
        if not changed:
            continue
        touched[id(obj)] = obj
        olds = old_values.setdefault(id(obj), {})
        if olds is None:
            continue
        histories = dict(changed)
        for attr in state.mapper.column_attrs:  # in column order, as the old values always were
            hist = histories.get(attr.key)
            if hist is not None and attr.key not in olds:
                olds[attr.key] = hist.deleted[0] if hist.deleted else None


OCCURRED_AT = "commandroom.occurred_at"


def stamp_occurred(session: Session) -> None:
    """Give every row this flush writes the mutation's ``occurred_at`` (when the server set one).

    Done in the flush itself, so the stamp costs no UPDATE of its own.
    """
    occurred = session.info.get(OCCURRED_AT)
    if occurred is None:
        return
    for obj in session.new:
        if hasattr(obj, "occurred_at") and getattr(obj, "occurred_at", None) != occurred:
            obj.occurred_at = occurred
    for obj in session.dirty:
        if hasattr(obj, "occurred_at") and getattr(obj, "occurred_at", None) != occurred and _changed(inspect(obj)):
            obj.occurred_at = occurred


def start_tracking(session: Session) -> None:
    session.info["touched"] = {}
    session.info["touched_old"] = {}


def old_values(session: Session, obj: Base) -> dict[str, Any] | None:
    """The values ``obj``'s changed columns had before this mutation; None if it is new."""
    return session.info.get("touched_old", {}).get(id(obj))


DEFER_FLUSH = "commandroom.defer_flush"
"""Set by the server pipeline: the rows a mutation writes are flushed once, with their version stamps."""


def touched_rows(session: Session) -> list[Base]:
    """Rows written so far by the tracked mutation: flushed, or (under :data:`DEFER_FLUSH`) still pending.

    Deferred, the pending rows are recorded as the next flush will (old values, ``occurred_at``) without
    writing them, so the pipeline can stamp their versions first and write each row once.
    """
    if session.info.get(DEFER_FLUSH):
        _track_touched(session, None, None)
    else:
        session.flush()
    return list(session.info.get("touched", {}).values())


def stop_tracking(session: Session, *, flush: bool = True) -> list[Base]:
    """Stop recording; returns the touched rows (after a flush unless ``flush=False``)."""
    rows = touched_rows(session) if flush else list(session.info.get("touched", {}).values())
    session.info.pop("touched", None)
    session.info.pop("touched_old", None)
    return rows


class MutationContext:
    """Everything an apply function may use: the session, the actor and the clock.

    ``now`` is the server's clock on the server and the workstation's clock on a
    client (a provisional value the server's result replaces): merge order, row
    stamps and deadline starts use it. ``occurred_at`` is when the person acted —
    on the server the desk's corrected clock, bounded (see
    :func:`commandroom.server.pipeline.bounded_occurred_at`); elsewhere ``now``. The
    stamps of acts (acknowledged, closed, checked in, timeline ``at``) use it, so an
    outage does not move them to the upload time. ``status`` starts
    as ``applied``; an apply that finds its effect already present (two officers
    closing the same incident) calls :meth:`mark_merged` instead of failing.
    """

    def __init__(
        self,
        session: Session,
        actor: Actor,
        *,
        now: datetime | None = None,
        on_server: bool = False,
        mutation_id: str | None = None,
        base_versions: dict[str, Any] | None = None,
        number_allocator: Callable[[Base, str], str | None] | None = None,
        occurred_at: datetime | None = None,
        clock_untrusted: bool = False,
        visible_townships: Collection[str] | None = None,
    ) -> None:
        self.session = session
        # the townships whose rows this actor may see (None: all); a row elsewhere "does not exist"
        self.visible_townships = visible_townships
        self.actor = actor
        self.now = now or utcnow()
        self.occurred_at = occurred_at or self.now
        self.clock_untrusted = clock_untrusted
        self.on_server = on_server
        self.mutation_id = mutation_id
        self.base_versions = base_versions or {}
        self.status = "applied"
        self.explanation = ""
        self.notices: list[dict[str, Any]] = []
        self._number_allocator = number_allocator
        self._child_serial = 0

    @property
    def received_at(self) -> datetime | None:
        """When the server learned of this act (None on a workstation: not uploaded yet)."""
        return self.now if self.on_server else None

    @property
    def entered_offline(self) -> bool:
        """The act reached the server well after it was made (离线录入)."""
        return self.on_server and (self.now - self.occurred_at).total_seconds() >= OFFLINE_AFTER_SECONDS

    def new_id(self) -> str:
        """An id for a row this mutation creates, the same on the workstation and on the server.

        Derived from the mutation id, so the server's copy of a timeline entry or check-in
        replaces the workstation's optimistic copy instead of appearing twice after sync.
        """
        self._child_serial += 1
        if not self.mutation_id:
            return new_id()
        return str(uuid.uuid5(_CHILD_NAMESPACE, f"{self.mutation_id}/{self._child_serial}"))

    def get(self, model: type[T], ident: str) -> T:
        """A live row this actor may see; NotFound otherwise (the same answer for "not yours")."""
        obj = self.find(model, ident)
        if obj is None:
            raise NotFound(model.__tablename__, ident)
        return obj

    def find(self, model: type[T], ident: str | None) -> T | None:
        """A live row this actor may see, or None — a row of another township is not disclosed."""
        obj = self.session.get(model, ident) if ident else None
        if obj is None or getattr(obj, "deleted", False):
            return None
        township = getattr(obj, "township_code", None)
        if (self.visible_townships is not None and township is not None and township not in self.visible_townships
                and obj.__tablename__ not in _ZONE_TABLES):  # a zone's rows follow the zone, not one township
            return None
        if obj.__tablename__ in _BOARD_TABLES and self.actor is not None:
            from commandroom import permissions

            if permissions.boards_limited(permissions.roles_of(self.actor)) \
                    and not permissions.leads_board(self.session, self.actor, obj.__tablename__, obj):
                return None  # a board a module lead does not lead is not on its desk: as if it did not exist
        return obj

    def add(self, obj: T) -> T:
        """Add a new row; one without an id gets :meth:`new_id`."""
        if "id" in obj.__table__.c and getattr(obj, "id", None) is None:
            obj.id = self.new_id()
        self.session.add(obj)
        return obj

    def mark_merged(self, explanation: str) -> None:
        """The intended effect is already there; nothing was lost, nothing is changed twice."""
        self.status = "merged"
        self.explanation = explanation

    def notice(self, rule: str, explanation: str, **data: Any) -> None:
        """A rule intervened (merge rule, override): the server keeps it in the conflict log."""
        self.notices.append({"rule": rule, "explanation": explanation, **data})

    def assign_number(self, obj: Base, kind: str) -> None:
        """Give ``obj`` its human number; only the server does (clients show a provisional one)."""
        if self._number_allocator is not None and getattr(obj, "number", None) is None:
            obj.number = self._number_allocator(obj, kind)


ApplyFn = Callable[[MutationContext, str, dict[str, Any]], None]


@dataclass(frozen=True)
class MutationSpec:
    name: str
    entity_type: str
    fn: ApplyFn
    creates: bool
    doc: str
    hands_over: bool = False  # may move its row to a township outside the actor's scope (from inside it)


REGISTRY: dict[str, MutationSpec] = {}


def mutation(name: str, entity_type: str, *, creates: bool = False,
             hands_over: bool = False) -> Callable[[ApplyFn], ApplyFn]:
    """Register an apply function under a stable name (it travels in the sync protocol)."""

    def deco(fn: ApplyFn) -> ApplyFn:
        if name in REGISTRY:
            raise RuntimeError(f"mutation {name} registered twice")
        REGISTRY[name] = MutationSpec(name, entity_type, fn, creates, (fn.__doc__ or "").strip(), hands_over)
        return fn

    return deco


def get_spec(name: str) -> MutationSpec:
    _load_all()
    spec = REGISTRY.get(name)
    if spec is None:
        raise ValidationError("name", f"unknown mutation '{name}'")
    return spec


def apply_mutation(ctx: MutationContext, name: str, entity_id: str, args: dict[str, Any]) -> Changes:
    """Run one named mutation in ``ctx.session`` and return what it touched.

    The caller owns the transaction: on any exception it rolls back, so a
    failed mutation leaves nothing half-written.
    """
    spec = get_spec(name)
    if not isinstance(args, dict):
        raise ValidationError("args", "must be an object")
    if not entity_id or not isinstance(entity_id, str) or len(entity_id) > 64:
        raise ValidationError("entity_id", "must be a non-empty id of at most 64 characters")
    own_tracking = "touched" not in ctx.session.info
    if own_tracking:
        start_tracking(ctx.session)
    spec.fn(ctx, entity_id, args)
    rows = stop_tracking(ctx.session) if own_tracking else touched_rows(ctx.session)
    changes = Changes()
    for row in rows:
        changes.note(row.__tablename__, _primary_key(row))
    return changes


def primary_key_of(obj: Base) -> str:
    return _primary_key(obj)


_LOADED = False


def _load_all() -> None:
    """Import the modules that register mutations (lazily, to avoid import cycles)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib
    import pkgutil

    import commandroom.mutations as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in ("core", "validate"):
            importlib.import_module(f"commandroom.mutations.{info.name}")
