"""Which townships and zones an actor sees — the one definition the desk's screens and the sync use.

A user's scope is set by the role when the account is made (``commandroom.server.users``):

* ``county`` — the whole county: every township, every zone (``None`` below means "all");
* ``zone`` — the member townships of one enforcement zone (片区), and that zone;
* ``township`` — one township, and the zones it belongs to.

The server hands a workstation only the rows of its scope (:mod:`commandroom.sync.buckets` builds
its buckets from :func:`township_codes`), and every screen narrows its reads to
:func:`townships_of`. Add new kinds of scope (departments, roles) here, not on a screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import ScopeKind
from commandroom.domain.models import Township, Zone
from commandroom.mutations.core import Actor
from commandroom.store.protocol import ReadStore


def is_county(actor: Actor) -> bool:
    """True when ``actor`` sees the whole county."""
    return actor.scope_kind == ScopeKind.COUNTY.value


def home_township(actor: Actor) -> str | None:
    """The township the actor sits in (a zone leader's is the zone's hub); None for a county user without one."""
    return actor.township_code or (actor.scope_code if actor.scope_kind == ScopeKind.TOWNSHIP.value else None)


def township_codes(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every township of a scope, sorted: all of them, the zone's members, or the one township."""
    if scope_kind == ScopeKind.COUNTY:
        return list(session.scalars(select(Township.code).order_by(Township.code)))
    if scope_kind == ScopeKind.ZONE:
        zone = session.get(Zone, scope_code) if scope_code else None
        return sorted({*(zone.member_codes or []), zone.hub_code} - {None, ""}) if zone else []
    return [scope_code] if scope_code else []


def zone_ids(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every zone of a scope: all, the one zone, or the zones the township belongs to."""
    if scope_kind == ScopeKind.COUNTY:
        return list(session.scalars(select(Zone.id).order_by(Zone.id)))
    if scope_kind == ScopeKind.ZONE:
        return [scope_code] if scope_code else []
    return sorted(zid for zid, members in session.execute(select(Zone.id, Zone.member_codes))
                  if scope_code in (members or []))


def townships_of(actor: Actor, session: Session | None) -> tuple[str, ...] | None:
    """The townships ``actor`` sees: None for the whole county, else a tuple (empty: none).

    ``session`` is only read for a zone scope (its member townships).
    """
    if is_county(actor):
        return None
    kind, code = actor.scope_kind, actor.scope_code
    if kind == ScopeKind.ZONE and session is not None:
        members = township_codes(session, kind, code)
        if members:
            return tuple(members)
    own = actor.township_code or code
    return (own,) if own else ()


def scope_of(actor: Actor, store: ReadStore) -> tuple[str, ...] | None:
    """:func:`townships_of`, reading the zone's members from ``store`` when needed."""
    if actor.scope_kind != ScopeKind.ZONE.value:
        return townships_of(actor, None)  # no read needed
    with store.read() as session:
        return townships_of(actor, session)


@dataclass(frozen=True)
class Scope:
    """An actor's townships and zones, resolved once (None: all of them)."""

    townships: tuple[str, ...] | None
    zones: tuple[str, ...] | None

    def sees_township(self, code: str | None) -> bool:
        return self.townships is None or code in self.townships

    def narrow(self, codes: Sequence[str] | None) -> tuple[str, ...] | None:
        """``codes`` (a filter; None: no filter) limited to this scope."""
        if codes is None:
            return self.townships
        return tuple(c for c in codes if self.sees_township(c))


def resolve(actor: Actor, session: Session) -> Scope:
    """The actor's :class:`Scope`."""
    if is_county(actor):
        return Scope(None, None)
    kind, code = actor.scope_kind, actor.scope_code
    towns = townships_of(actor, session)
    if kind == ScopeKind.TOWNSHIP:
        code = code or actor.township_code
    return Scope(towns, tuple(zone_ids(session, kind, code)))


def township_names(store: ReadStore, codes: Sequence[str] | None) -> list[str]:
    """The names of ``codes``, in their order (a code the store does not know stays a code)."""
    if not codes:
        return []
    with store.read() as session:
        names = dict(session.execute(select(Township.code, Township.name).where(Township.code.in_(list(codes)))).all())
    return [names.get(c, c) for c in codes]


def scope_title(store: ReadStore, codes: Sequence[str] | None) -> str:
    """The townships of a scope as a title ("球川镇、新昌乡"); "" for the whole county (None)."""
    return "、".join(township_names(store, codes))
