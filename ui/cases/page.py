"""The 一件事 page (``build_page(window)``): one-thing cases, responsibility-list management, holiday
schedules, assessment.

Four tabs: :class:`~ui.cases.view.CasesView` (the catalogue, 乡镇点单, the case pane),
:class:`~ui.reflist.view.ReflistView` (list versions; the county centre edits and publishes a new
one), :class:`~ui.reflist.holidays.HolidayScheduleView` (节假日安排: whether the deadlines know this
year's and next year's holidays; the county centre publishes a year) and
:class:`~ui.assessment.view.AssessmentView` (依单考核: four dimensions, two-way, grid workers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QTabWidget, QWidget

from commandroom.queries.scope import scope_of
from ui.assessment.view import AssessmentView
from ui.cases.view import CasesView
from ui.reflist.holidays import HolidayScheduleView
from ui.reflist.view import ReflistView

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store


class OneThingPage(QTabWidget):
    """One-thing cases · list management · holiday schedules · assessment.

    Args:
        store: the workstation's DeskStore.
        actor: the signed-in user.
        window: the main window (to open incidents), or None.
        clock: the current time (naive UTC); tests and screenshots freeze it.
    """

    def __init__(self, store: Store, actor: Actor, window: Any = None,
                 clock: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OneThingPage")
        self.window_ = window
        self.cases = CasesView(store, actor, scope_of(actor, store), clock)
        self.reflist = ReflistView(store, actor, clock)
        self.holidays = HolidayScheduleView(store, actor, clock)
        self.assessment = AssessmentView(store, actor, clock)
        self.addTab(self.cases, self.tr("One-thing cases"))
        self.addTab(self.reflist, self.tr("Responsibility list"))
        self.addTab(self.holidays, self.tr("Holiday schedule"))
        self.addTab(self.assessment, self.tr("Assessment"))
        self.cases.incident_requested.connect(self.open_incident)
        self._loaded: set[int] = set()
        self.currentChanged.connect(self._on_tab_changed)
        self._on_tab_changed(0)

    def _on_tab_changed(self, index: int) -> None:
        if index in self._loaded:
            return
        self._loaded.add(index)
        widget = self.widget(index)
        if widget is self.cases:
            self.cases.reload()
        elif widget is self.reflist:
            self.reflist.load()
        elif widget is self.holidays:
            self.holidays.load()
        elif widget is self.assessment:
            self.assessment.load()

    def select_case(self, case_id: str) -> None:
        """Show the case ``case_id`` (a card's link)."""
        self.setCurrentWidget(self.cases)
        self.cases.select_case(case_id)

    def open_incident(self, incident_id: str, label: str) -> None:
        window = self.window_
        if window is not None and hasattr(window, "show_page"):
            page = window.show_page("incidents")
            select = getattr(page, "select_incident", None)
            if callable(select) and select(incident_id):
                return
            window.show_page("one_thing")
        self.cases.message_label.setText(self.tr("Incident {label} is not in the incident list's current view; "
                                                 "search for it there by its number.").format(label=label))
        self.cases.message_label.show()


def build_page(window: Any) -> QWidget:
    """The 一件事 page of the main window."""
    return OneThingPage(window.store, window.actor, window)
