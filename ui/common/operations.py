"""The one way the desk acts: a named mutation on the writer thread, a refusal told one way.

Every button, shortcut and dialog that changes data goes through :class:`Operation` (the idea of
Anki's ``CollectionOp``, written for qasync): it

* runs ``store.perform(actor, name, entity_id, args)`` on the single writer thread
  (:data:`ui.async_runner.DB_EXECUTOR`) — no module of ``ui/`` calls ``store.perform`` itself
  (``tests/ui/test_operations.py`` checks);
* hands the returned :class:`~commandroom.mutations.core.Changes` on: the store has already
  emitted them to every view (the change-event path, :func:`ui.async_runner.store_events`), and
  the success callbacks get them too;
* shows a :class:`~commandroom.domain.errors.DomainError` in the officer's words, the same words
  everywhere (:func:`refusal_message`), on the host view's message line (its ``show_refusal``)
  or, for a view without one, in a warning box;
* is latest-wins safe: the write always completes (a write is never cancelled halfway), but its
  callbacks are dropped when the host view was closed meanwhile or a newer operation of the same
  host started.

:class:`ActionHostMixin` is the one action guard: one action at a time per view, anything
unexpected to the app's error dialog.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from commandroom.domain.errors import DomainError, Forbidden, IllegalTransition, NotFound, ValidationError
from ui import i18n
from ui.async_runner import DB_EXECUTOR, exec_dialog, loop_running
from ui.incidents import labels as incident_labels

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor, Changes
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

CTX = "Operations"

_FIELDS = {
    "reason": QT_TRANSLATE_NOOP("Operations", "Reason"),
    "note": QT_TRANSLATE_NOOP("Operations", "Note"),
    "target_code": QT_TRANSLATE_NOOP("Operations", "Dispatch target"),
    "target_kind": QT_TRANSLATE_NOOP("Operations", "Dispatch to"),
    "member_ids": QT_TRANSLATE_NOOP("Operations", "Members"),
    "lead_member_id": QT_TRANSLATE_NOOP("Operations", "On-site lead"),
    "level": QT_TRANSLATE_NOOP("Operations", "Level"),
    "photos_before": QT_TRANSLATE_NOOP("Operations", "Photos before"),
    "photos_after": QT_TRANSLATE_NOOP("Operations", "Photos after"),
}
_PROBLEMS = {
    "is required": QT_TRANSLATE_NOOP("Operations", "is required"),
    "must not be empty": QT_TRANSLATE_NOOP("Operations", "must not be empty"),
}
# an incident's workflow names two actions for the one 核查 button
_ACTION_ALIASES = {"verify_pass": "verify", "verify_fail": "verify"}


def _tr(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _state_word(entity: str, state: str) -> str:
    if entity == "task_card":
        return i18n.value_label(entity, "column", state)
    return i18n.value_label(entity, "state", state)


def _action_word(entity: str, action: str) -> str:
    if entity == "task_card" and action.startswith("move to "):
        column = action.removeprefix("move to ")
        return QCoreApplication.translate("Operations", "move to \u201c{column}\u201d").format(
            column=i18n.value_label(entity, "column", column))
    action = _ACTION_ALIASES.get(action, action)
    source = incident_labels.BUTTON_LABELS.get(action)
    return incident_labels.tr(source) if source else action


def refusal_reason(exc: DomainError) -> str:
    """Why the core refused, in the interface language (the core's own Chinese where it gives it)."""
    if isinstance(exc, IllegalTransition):
        word = _action_word(exc.entity, exc.action)
        return QCoreApplication.translate("Operations", "Not possible while it is \u201c{state}\u201d: {action}.").format(
            state=_state_word(exc.entity, exc.state), action=word)
    if isinstance(exc, ValidationError):
        if _has_cjk(exc.problem):
            return exc.problem
        if exc.field in _FIELDS or exc.problem in _PROBLEMS:
            field = _tr(_FIELDS[exc.field]) if exc.field in _FIELDS else exc.field
            problem = _tr(_PROBLEMS[exc.problem]) if exc.problem in _PROBLEMS else exc.problem
            return QCoreApplication.translate("Operations", "{field}: {problem}").format(field=field, problem=problem)
        return exc.message
    if isinstance(exc, NotFound):
        return QCoreApplication.translate("Operations", "It is not on this workstation (any more).")
    if isinstance(exc, Forbidden):
        return QCoreApplication.translate("Operations", "Not allowed for your account: {reason}").format(reason=exc.message)
    problem = getattr(exc, "problem", None)
    return problem if isinstance(problem, str) and problem else exc.message


def refusal_message(exc: DomainError) -> str:
    """The one sentence a refused action shows: 未完成：<why>."""
    return QCoreApplication.translate("Operations", "Not done: {reason}").format(reason=refusal_reason(exc))


@runtime_checkable
class RefusalSurface(Protocol):
    """A view with its own message line for refusals (else a warning box shows them)."""

    def show_refusal(self, message: str) -> None: ...

    def clear_refusal(self) -> None: ...


def show_refusal(host: object, message: str) -> None:
    """Show ``message`` where ``host`` shows refusals: its message line, else a warning box over it."""
    if isinstance(host, RefusalSurface):
        host.show_refusal(message)
        return
    parent = host if isinstance(host, QWidget) else None
    box = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("Operations", "The action was not performed"), message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if parent is not None and hasattr(parent, "open_dialog"):
        parent.open_dialog = box  # tests (and the next action) find it there
    box.open()


def _alive(host: object) -> bool:
    if host is None or not isinstance(host, QWidget):
        return True
    try:
        host.objectName()  # raises once the C++ widget is gone (closed with WA_DeleteOnClose)
    except RuntimeError:
        return False
    return True


async def perform(store: Store, actor: Actor, name: str, entity_id: str, args: Mapping[str, Any] | None = None) -> Changes:
    """Run the named mutation on the writer thread; raises its DomainError. The desk's only ``store.perform``."""
    loop = asyncio.get_running_loop()
    call = functools.partial(store.perform, actor, name, entity_id, dict(args or {}))
    return await loop.run_in_executor(DB_EXECUTOR, call)


class Operation:
    """One named mutation as an officer's action, run from ``host`` (the view that started it).

    Example::

        changes = await Operation(self, self.store, self.actor, "report.reject", report_id,
                                  {"reason": reason}).success(self._after_reject).run()

    ``run()`` returns the changes, or None when the core refused: the refusal is shown, and failure
    callbacks get the DomainError too. A refusal matching a ``handled_by`` predicate is left to the
    caller (nothing shown; ``op.refusal`` holds it).
    """

    _generations: ClassVar[dict[int, int]] = {}

    def __init__(self, host: object, store: Store, actor: Actor, name: str, entity_id: str,
                 args: Mapping[str, Any] | None = None) -> None:
        self.host = host
        self.store = store
        self.actor = actor
        self.name = name
        self.entity_id = entity_id
        self.args = dict(args or {})
        self._success: list[Callable[[Changes], object]] = []
        self._failure: list[Callable[[DomainError], object]] = []
        self._handled: list[Callable[[DomainError], bool]] = []
        self.refusal: DomainError | None = None

    def success(self, fn: Callable[[Changes], object]) -> Operation:
        self._success.append(fn)
        return self

    def failure(self, fn: Callable[[DomainError], object]) -> Operation:
        self._failure.append(fn)
        return self

    def handled_by(self, predicate: Callable[[DomainError], bool]) -> Operation:
        self._handled.append(predicate)
        return self

    def _start_generation(self) -> int:
        key = id(self.host)
        generation = Operation._generations.get(key, 0) + 1
        Operation._generations[key] = generation
        return generation

    def _current(self, generation: int) -> bool:
        return Operation._generations.get(id(self.host)) == generation and _alive(self.host)

    async def run(self) -> Changes | None:
        generation = self._start_generation()
        try:
            changes = await perform(self.store, self.actor, self.name, self.entity_id, self.args)
        except DomainError as exc:
            self.refusal = exc
            if not self._current(generation):
                log.info("refusal of %s dropped (its view moved on): %s", self.name, exc.message)
                return None
            if any(predicate(exc) for predicate in self._handled):
                return None
            show_refusal(self.host, refusal_message(exc))
            for fn in self._failure:
                fn(exc)
            return None
        if not self._current(generation):
            return changes  # written and announced to every view; this host no longer listens
        if isinstance(self.host, RefusalSurface):
            self.host.clear_refusal()
        for fn in self._success:
            fn(changes)
        return changes


class ActionHostMixin:
    """For a view whose buttons start async actions: one action at a time, dialogs awaited.

    ``start_action(coro)`` runs the coroutine unless one is already running (a second click is
    ignored). A DomainError that escapes it is shown like any refusal; anything else goes to the
    app's excepthook (log + dialog). ``action_finished()`` runs afterwards either way (a view puts
    the focus back there). ``_dialog`` shows a dialog without a nested event loop and keeps it in
    ``open_dialog`` so tests can fill it in.
    """

    action_task: asyncio.Task | None = None
    open_dialog: Any = None

    def start_action(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task | None:
        if (self.action_task is not None and not self.action_task.done()) or not loop_running():
            coro.close()  # one at a time; and nothing starts while the app shuts down
            return None

        async def guarded() -> None:
            try:
                await coro
            except DomainError as exc:
                show_refusal(self, refusal_message(exc))
            except Exception:  # noqa: BLE001 - to the app's excepthook (log + dialog)
                sys.excepthook(*sys.exc_info())
            finally:
                self.action_finished()

        self.action_task = asyncio.ensure_future(guarded())
        return self.action_task

    def action_finished(self) -> None:
        """Called after every action (done, refused or failed); override to move the focus back."""

    async def _dialog(self, dialog: Any) -> bool:
        self.open_dialog = dialog
        try:
            return await exec_dialog(dialog) == dialog.DialogCode.Accepted
        finally:
            self.open_dialog = None


__all__ = ["ActionHostMixin", "Operation", "RefusalSurface", "perform", "refusal_message", "refusal_reason", "show_refusal"]
