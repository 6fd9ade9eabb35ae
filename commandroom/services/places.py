"""Township names for titles and status lines: screens name places, never codes.

A workstation signs in before its first sync has brought the township table, so a code can be
unknown for a while; callers then show nothing rather than the code and ask again when the
``township`` rows arrive.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.models import Township


def township_names(session: Session, codes: Iterable[str] | None = None) -> dict[str, str]:
    """code → name of the given townships (all of them when ``codes`` is None); unknown codes are left out."""
    query = select(Township.code, Township.name)
    if codes is not None:
        query = query.where(Township.code.in_(list(codes)))
    return dict(session.execute(query.order_by(Township.code)).all())


def place_of(session: Session, codes: Iterable[str] | None) -> str:
    """The place a screen covers, in words: one township's name, "、"-joined names, or "" while unknown.

    ``codes`` None means every township in the store: named when the store holds exactly one.
    """
    names = township_names(session, codes)
    if codes is None:
        return next(iter(names.values())) if len(names) == 1 else ""
    return "、".join(names[c] for c in codes if c in names)
