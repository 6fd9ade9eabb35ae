"""What a store offers the read side and the desk: the typed seam instead of ``store: Any``.

:class:`commandroom.store.local.DeskStore` (the workstation's SQLite) is the implementation; the
queries in :mod:`commandroom.queries` only need :class:`ReadStore`, the desk's actions
:class:`Store`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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

    def subscribe(self, listener: Callable[[Changes], None]) -> Callable[[], None]:
        """Call ``listener(changes)`` after every committed write; returns the unsubscribe."""
        ...

    def now(self) -> datetime:
        """Naive UTC now by the server's clock as far as the store knows it."""
        ...

    def meta(self, key: str, default: Any = None) -> Any:
        """A value of the store's own bookkeeping (server URL, last user, …)."""
        ...

    def set_meta(self, key: str, value: Any) -> None: ...

    @property
    def device_id(self) -> str: ...
