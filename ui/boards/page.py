"""The 任务看板 page (``build_page(window)``): module boards, "my tasks" and linked command.

Three tabs over the same store: the board of one module (:class:`~ui.boards.board_view.BoardView`),
the cards of one person across the boards (:class:`~ui.boards.command_view.MyTasksView`), and every
summons check-in in scope (:class:`~ui.boards.command_view.CommandView`). A link on a card opens
the incident on the incident page, or the case on the 一件事 page, when the main window has them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QTabWidget, QWidget

from commandroom.queries.scope import scope_of
from ui.boards.board_view import BoardView
from ui.boards.command_view import CommandView, MyTasksView

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store


class TaskBoardsPage(QTabWidget):
    """Module boards · my tasks · linked command.

    Args:
        store: the workstation's DeskStore.
        actor: the signed-in user.
        window: the main window (to open incidents and cases), or None.
        clock: the current time (naive UTC); tests and screenshots freeze it.
    """

    def __init__(self, store: Store, actor: Actor, window: Any = None,
                 clock: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TaskBoardsPage")
        self.window_ = window
        scope = scope_of(actor, store)
        self.board = BoardView(store, actor, scope, clock)
        self.my_tasks = MyTasksView(store, actor, scope, clock)
        self.command = CommandView(store, actor, scope, clock)
        self.addTab(self.board, self.tr("Module boards"))
        self.addTab(self.my_tasks, self.tr("My tasks"))
        self.addTab(self.command, self.tr("Linked command"))
        self.board.incident_requested.connect(self.open_incident)
        self.board.case_requested.connect(self.open_case)
        self.my_tasks.card_requested.connect(self.show_card)
        self.command.card_requested.connect(self._on_command_card)
        self.currentChanged.connect(self._on_tab_changed)
        self.board.load()
        self.my_tasks.load()
        self.command.load()

    def _on_tab_changed(self, index: int) -> None:
        widget = self.widget(index)
        if widget is self.my_tasks:
            self.my_tasks.load()
        elif widget is self.command:
            self.command.load()

    def show_card(self, module_id: str, card_id: str) -> None:
        """Show the board of ``module_id`` with ``card_id`` selected."""
        self.setCurrentWidget(self.board)
        self.board.show_card(module_id, card_id)

    def _on_command_card(self, card_id: str) -> None:
        from commandroom.queries.boards import card_rows

        rows = card_rows(self.board.store, [card_id], self.board.clock())
        if card_id in rows:
            self.show_card(rows[card_id].module_id, card_id)

    def open_incident(self, incident_id: str, label: str) -> None:
        """Open the incident on the incident page; say which one it is when that page cannot show it."""
        window = self.window_
        shown = False
        if window is not None and hasattr(window, "show_page"):
            try:
                page = window.show_page("incidents")
                select = getattr(page, "select_incident", None)
                shown = bool(select(incident_id)) if callable(select) else False
            except (KeyError, ValueError):
                shown = False
        if not shown:
            if window is not None and hasattr(window, "show_page"):
                window.show_page("board")
            self.board.show_message(QCoreApplication.translate("Boards", "Incident {label} is not in the incident list's current view; "
                                              "search for it there by its number.").format(label=label))

    def open_case(self, case_id: str) -> None:
        window = self.window_
        if window is not None and hasattr(window, "show_page"):
            page = window.show_page("one_thing")
            select = getattr(page, "select_case", None)
            if callable(select):
                select(case_id)


def build_page(window: Any) -> QWidget:
    """The 任务看板 page of the main window."""
    return TaskBoardsPage(window.store, window.actor, window)
