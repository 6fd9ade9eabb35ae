"""What a store offers the read side and the desk: the typed seam instead of ``store: Any``.

:class:`commandroom.sync.local.LocalStore` (the workstation's SQLite) is the implementation; the
queries in :mod:`commandroom.queries` only need :class:`ReadStore`, the desk's actions
:class:`Store`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor, Changes


@runtime_checkable
class ReadStore(Protocol):
    """Something the read side can open a read session on."""

    def read(self) -> AbstractContextManager[Session]:
        """A read-only session (objects read in it stay usable afterwards)."""
        ...


@runtime_checkable
class Store(ReadStore, Protocol):
    """A store the desk reads from and acts on: named mutations with their outbox, and change events."""

    def write(self) -> AbstractContextManager[Session]:
        """A write transaction (commits on success, rolls back on error)."""
        ...

    def perform(self, actor: Actor, name: str, entity_id: str, args: dict[str, Any]) -> Changes:
        """Run the named mutation and queue it for sync, in one transaction; emits the changes."""
        ...

    def emit(self, changes: Changes) -> None:
        """Tell the views what changed."""
        ...
