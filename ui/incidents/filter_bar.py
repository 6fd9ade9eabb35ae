"""The incident list's filter bar: state, township, zone, matter, lead department, urgency,
overdue only, creation date range and a search box.

It only builds an :class:`~commandroom.queries.incidents.IncidentQuery`; the model runs it. Combo
boxes and check boxes apply at once; typing in the search box applies after a short pause
(debounced), and because the model's re-query is latest-wins, a fast typist never sees the
results of an older prefix arrive after a newer one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from commandroom.domain.enums import IncidentState, Urgency
from commandroom.queries.incidents import OPEN_STATES, FilterChoices, IncidentQuery
from commandroom.timeutil import local_to_utc, to_local, utcnow
from ui.incidents import labels

SEARCH_DEBOUNCE_MS = 250
OPEN = "__open__"


class IncidentFilterBar(QWidget):
    """Filter widgets in one row; emits :attr:`query_changed` with the new query.

    Args:
        choices: townships (already limited to the viewer's scope), zones, matters, departments.
        scope: the viewer's townships (None: the whole county); fixed, never widened by the bar.
    """

    query_changed = Signal(object)  # IncidentQuery

    def __init__(self, choices: FilterChoices, scope: tuple[str, ...] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scope = scope
        self._sort = ("created", True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(6)

        self.state_combo = QComboBox()
        self.state_combo.addItem(self.tr("All states"), None)
        self.state_combo.addItem(self.tr("Open (not closed)"), OPEN)
        for state in IncidentState:
            self.state_combo.addItem(labels.state_label(state.value), state.value)
        self.state_combo.setToolTip(self.tr("State"))

        self.township_combo = QComboBox()
        self.township_combo.addItem(self.tr("All townships") if scope is None or len(scope) > 1
                                    else self.tr("My township"), None)
        for c in choices.townships:
            self.township_combo.addItem(c.name, c.code)
        # a township officer sees only their own township: nothing to choose
        self.township_combo.setEnabled(scope is None or len(scope) > 1)
        self.township_combo.setToolTip(self.tr("Township"))

        self.zone_combo = QComboBox()
        self.zone_combo.addItem(self.tr("All zones"), None)
        for c in choices.zones:
            self.zone_combo.addItem(c.name, c.code)
        self.zone_combo.setVisible(scope is None)
        self.zone_combo.setToolTip(self.tr("Enforcement zone"))

        self.matter_combo = QComboBox()
        self.matter_combo.addItem(self.tr("All matters"), None)
        for c in choices.matters:
            self.matter_combo.addItem(c.name, c.code)
        self.matter_combo.setToolTip(self.tr("Matter of the responsibility list"))

        self.lead_combo = QComboBox()
        self.lead_combo.addItem(self.tr("All lead departments"), None)
        for c in choices.departments:
            self.lead_combo.addItem(c.name, c.code)
        self.lead_combo.setToolTip(self.tr("Lead department"))

        self.urgency_combo = QComboBox()
        self.urgency_combo.addItem(self.tr("All urgencies"), None)
        for u in Urgency:
            self.urgency_combo.addItem(labels.urgency_label(u.value), u.value)
        self.urgency_combo.setToolTip(self.tr("Urgency"))

        self.overdue_check = QCheckBox(self.tr("Overdue only"))

        self.date_check = QCheckBox(self.tr("Created"))
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.date_check.toggled.connect(self.date_from.setEnabled)
        self.date_check.toggled.connect(self.date_to.setEnabled)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search number, title, address (e.g. 违停, 扬尘)"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(200)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._emit)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_edit.returnPressed.connect(self._emit_now)

        for w, chars in ((self.state_combo, 5), (self.township_combo, 5), (self.zone_combo, 5),
                         (self.matter_combo, 9), (self.lead_combo, 7), (self.urgency_combo, 5)):
            # as wide as a few characters, not as the longest item (matter names are long)
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(chars)
            # …but never narrower than its "All …" entry, what it shows most of the time (CJK is wide)
            w.setMinimumWidth(w.fontMetrics().horizontalAdvance(w.itemText(0)) + 36)
            w.view().setMinimumWidth(w.view().sizeHintForColumn(0) + 24)
            w.currentIndexChanged.connect(self._emit)
            layout.addWidget(w)
        self.overdue_check.toggled.connect(self._emit)
        layout.addWidget(self.overdue_check)
        self.date_check.toggled.connect(self._emit)
        self.date_from.dateChanged.connect(self._emit)
        self.date_to.dateChanged.connect(self._emit)
        layout.addWidget(self.date_check)
        layout.addWidget(self.date_from)
        layout.addWidget(QLabel("–"))
        layout.addWidget(self.date_to)
        layout.addWidget(self.search_edit, 1)

    # -- the query

    def set_sort(self, key: str, descending: bool) -> None:
        """Remember the table's sort so the next query keeps it."""
        self._sort = (key, descending)

    def query(self) -> IncidentQuery:
        """The query the widgets describe now."""
        state = self.state_combo.currentData()
        states: tuple[str, ...] = ()
        if state == OPEN:
            states = OPEN_STATES
        elif state:
            states = (state,)
        township = self.township_combo.currentData()
        urgency = self.urgency_combo.currentData()
        created_from = created_to = None
        if self.date_check.isChecked():
            created_from = _utc_midnight(self.date_from.date())
            created_to = _utc_midnight(self.date_to.date().addDays(1))
        return IncidentQuery(
            scope_townships=self.scope,
            townships=(township,) if township else (),
            states=states,
            zone_id=self.zone_combo.currentData() if self.zone_combo.isVisible() or self.scope is None else None,
            matter_code=self.matter_combo.currentData(),
            lead_department_code=self.lead_combo.currentData(),
            urgencies=(urgency,) if urgency else (),
            overdue_only=self.overdue_check.isChecked(),
            created_from=created_from,
            created_to=created_to,
            search=self.search_edit.text().strip(),
            sort_key=self._sort[0],
            descending=self._sort[1],
        )

    def clear_filters(self) -> bool:
        """Every filter back to "all" and the search emptied, one query emitted; False if nothing was set."""
        widgets = (self.state_combo, self.township_combo, self.zone_combo, self.matter_combo, self.lead_combo,
                   self.urgency_combo, self.overdue_check, self.date_check, self.search_edit)
        changed = False
        for w in widgets:
            w.blockSignals(True)
        try:
            for combo in (self.state_combo, self.township_combo, self.zone_combo, self.matter_combo,
                          self.lead_combo, self.urgency_combo):
                if combo.isEnabled() and combo.currentIndex() != 0:
                    combo.setCurrentIndex(0)
                    changed = True
            for check in (self.overdue_check, self.date_check):
                if check.isChecked():
                    check.setChecked(False)
                    changed = True
            if self.search_edit.text():
                self.search_edit.clear()
                changed = True
        finally:
            for w in widgets:
                w.blockSignals(False)
        if changed:
            self._emit()
        return changed

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def show_overdue(self) -> None:
        """Preset for the "overdue" shortcut: open incidents with a clock past due."""
        self.overdue_check.setChecked(True)

    def _emit(self, *_: Any) -> None:
        self._search_timer.stop()
        self.query_changed.emit(self.query())

    def _emit_now(self) -> None:
        self._emit()


def _utc_midnight(day: QDate) -> datetime:
    """Local (Asia/Shanghai) midnight of ``day`` as naive UTC."""
    return local_to_utc(datetime.combine(day.toPython(), time(0)))


def local_today_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Today's local day as a naive-UTC half-open range."""
    loc = to_local(now or utcnow())
    start = local_to_utc(datetime.combine(loc.date(), time(0)))
    return start, start + timedelta(days=1)


__all__ = ["IncidentFilterBar", "local_today_bounds"]
