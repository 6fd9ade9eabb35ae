"""Holiday schedules (节假日安排): what the deadlines know of this year and next, and publishing a year.

Deadlines count working days. The ``chinese_calendar`` package knows the years up to its release;
for a later year the clocks fall back to Monday–Friday, so over 元旦 and 春节 they run a week
early until the county publishes that year (``calendar.publish_year``). Everyone sees, for this
year and next, where the holidays come from (the package, the county's schedule, or nobody —
in red), and the published years with their days month by month. The county governance centre
types the State Council's notice into the editor; the typed dates are read in the core
(:mod:`commandroom.services.holidays`), previewed with the breaks named, and every item that
cannot be read is listed before publishing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.reflist import can_edit
from commandroom.services import holidays as core
from commandroom.services.holidays import (
    DayInput,
    InputProblem,
    Overview,
    ScheduleProblem,
    YearRow,
    YearStatus,
)
from commandroom.services.teams import shanghai_date
from commandroom.timeutil import fmt_local, utcnow
from ui import ui_state
from ui.async_runner import LatestTask, run_read, store_events
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import Column, RowTableModel
from ui.reflist.view import list_table

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

DISPLAY = Qt.ItemDataRole.DisplayRole
CTX = "Holidays"
RED = "#c0392b"
GREEN = "#1e7b34"

FESTIVAL_LABELS = {
    "new_year": QT_TRANSLATE_NOOP("Holidays", "New Year's Day"),
    "spring_festival": QT_TRANSLATE_NOOP("Holidays", "Spring Festival"),
    "qingming": QT_TRANSLATE_NOOP("Holidays", "Qingming"),
    "labour_day": QT_TRANSLATE_NOOP("Holidays", "Labour Day"),
    "dragon_boat": QT_TRANSLATE_NOOP("Holidays", "Dragon Boat Festival"),
    "mid_autumn": QT_TRANSLATE_NOOP("Holidays", "Mid-Autumn Festival"),
    "national_day": QT_TRANSLATE_NOOP("Holidays", "National Day"),
    "national_day_mid_autumn": QT_TRANSLATE_NOOP("Holidays", "National Day and Mid-Autumn"),
}
WEEKDAYS = (
    QT_TRANSLATE_NOOP("Holidays", "Mon"), QT_TRANSLATE_NOOP("Holidays", "Tue"),
    QT_TRANSLATE_NOOP("Holidays", "Wed"), QT_TRANSLATE_NOOP("Holidays", "Thu"),
    QT_TRANSLATE_NOOP("Holidays", "Fri"), QT_TRANSLATE_NOOP("Holidays", "Sat"),
    QT_TRANSLATE_NOOP("Holidays", "Sun"),
)


def tr(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


# ----------------------------------------------------------------------------- dates in words (2月6日–13日)


def day_text(d: date, weekday: bool = False) -> str:
    text = QCoreApplication.translate("Holidays", "{month}/{day}").format(month=d.month, day=d.day)
    if weekday:
        text = QCoreApplication.translate("Holidays", "{date} ({weekday})").format(
            date=text, weekday=tr(WEEKDAYS[d.weekday()]))
    return text


def run_text(first: date, last: date) -> str:
    if first == last:
        return day_text(first)
    if first.month == last.month:
        return QCoreApplication.translate("Holidays", "{month}/{first}–{last}").format(
            month=first.month, first=first.day, last=last.day)
    return QCoreApplication.translate("Holidays", "{date1}–{date2}").format(date1=day_text(first),
                                                                             date2=day_text(last))


def join(parts: list[str]) -> str:
    return QCoreApplication.translate("Holidays", ", ").join(parts)


def breaks_text(holidays: tuple[date, ...] | list[date]) -> str:
    """The breaks of a schedule, each named by its festival where the dates tell it: 元旦 1月1日–3日 · 春节 …"""
    parts = []
    for first, last in core.runs(holidays):
        when = run_text(first, last)
        n = (last - first).days + 1
        if n > 1:
            when = QCoreApplication.translate("Holidays", "{dates} ({n} days)").format(dates=when, n=n)
        key = core.festival_of(first, last)
        parts.append(f"{tr(FESTIVAL_LABELS[key])} {when}" if key else when)
    return " · ".join(parts)


# ----------------------------------------------------------------------------- models


@dataclass(frozen=True)
class MonthRow:
    """The days of one month of a published year (``id`` is ``YYYY-MM``)."""

    id: str
    year: int
    month: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]


def month_rows(row: YearRow | None) -> list[MonthRow]:
    if row is None:
        return []
    months = sorted({d.month for d in row.holidays + row.workdays})
    return [MonthRow(f"{row.year}-{m:02d}", row.year, m, tuple(d for d in row.holidays if d.month == m),
                     tuple(d for d in row.workdays if d.month == m)) for m in months]


class YearModel(RowTableModel):
    """The published years and the years the calendar package knows, newest first."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("Year"), lambda r, role: str(r.year) if role == DISPLAY else None),
            (self.tr("Holiday days"), lambda r, role: str(len(r.holidays)) if role == DISPLAY else None),
            (self.tr("Make-up working days"), lambda r, role: str(len(r.workdays)) if role == DISPLAY else None),
            (self.tr("Source"), self._source),
            (self.tr("Published at"), self._published),
        ]

    @staticmethod
    def _source(r: YearRow, role: int) -> Any:
        if role in (DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return r.source
        return None

    def _published(self, r: YearRow, role: int) -> Any:
        if role == DISPLAY:
            return fmt_local(r.published_at) if r.published_at else self.tr("not published (package)")
        if role == Qt.ItemDataRole.ToolTipRole and r.published_by:
            return self.tr("Published by {name}").format(name=r.published_by)
        return None


class MonthModel(RowTableModel):
    """The selected year's days, month by month, in the Chinese date format (2月6日–13日)."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("Month"), self._month),
            (self.tr("Holidays"), self._holidays),
            (self.tr("Make-up working days"), self._workdays),
        ]

    def _month(self, r: MonthRow, role: int) -> Any:
        if role == DISPLAY:
            return self.tr("{year}/{month}").format(year=r.year, month=r.month)
        return None

    @staticmethod
    def _holidays(r: MonthRow, role: int) -> Any:
        if role in (DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return join([run_text(a, b) for a, b in core.runs(r.holidays)])
        return None

    @staticmethod
    def _workdays(r: MonthRow, role: int) -> Any:
        if role in (DISPLAY, Qt.ItemDataRole.ToolTipRole):
            return join([day_text(d, weekday=True) for d in r.workdays])
        if role == Qt.ItemDataRole.ForegroundRole and r.workdays:
            return QColor("#2d6cc0")
        return None


# ----------------------------------------------------------------------------- the view


class HolidayScheduleView(ActionHostMixin, QWidget):
    """This year's and next year's calendar status and the published years for everyone; the
    editor that publishes a year for the county governance centre.

    Args:
        store: the workstation's DeskStore.
        actor: who acts (``county_coordinator`` or ``admin`` may publish).
        clock: the current time (naive UTC); "this year" is its Shanghai year.
    """

    def __init__(self, store: Store, actor: Actor, clock: Callable[[], datetime] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.clock = clock or utcnow
        self.editable = can_edit(actor)
        self.action_task: asyncio.Task | None = None
        self.overview: Overview | None = None
        self.holiday_input = DayInput((), (), 0)
        self.workday_input = DayInput((), (), 0)
        self.problems: list[str] = []
        self._select_year: int | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        title = QLabel(self.tr("Holiday schedules"))
        title.setObjectName("SectionTitle")
        self.readonly_label = QLabel(self.tr("Read-only: only the county governance centre publishes a year."))
        self.readonly_label.setObjectName("Muted")
        self.readonly_label.setVisible(not self.editable)
        bar.addWidget(title)
        bar.addWidget(self.readonly_label, 1)
        outer.addLayout(bar)
        why = QLabel(self.tr("Deadlines count working days: the statutory holidays do not count, the make-up "
                             "working days (调休上班) do. The county publishes each year once the State Council's "
                             "notice is out; every desk receives it with the reference data."))
        why.setObjectName("Muted")
        why.setWordWrap(True)
        outer.addWidget(why)

        status_box = QFrame()
        status_box.setFrameShape(QFrame.Shape.StyledPanel)
        sl = QVBoxLayout(status_box)
        sl.setContentsMargins(10, 6, 10, 6)
        self.status_labels: list[QLabel] = []
        for _ in range(2):  # this year, next year
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            sl.addWidget(label)
            self.status_labels.append(label)
        outer.addWidget(status_box)

        split = QSplitter(Qt.Orientation.Horizontal)
        browse = QWidget()
        bl = QVBoxLayout(browse)
        bl.setContentsMargins(0, 0, 0, 0)
        years_title = QLabel(self.tr("Published years"))
        years_title.setObjectName("SectionTitle")
        self.year_model = YearModel(self)
        self.year_table = list_table(self.year_model, column_width=110)
        header = self.year_table.horizontalHeader()
        header.setStretchLastSection(False)
        for section in range(self.year_model.columnCount()):
            header.setSectionResizeMode(section, QHeaderView.ResizeMode.Stretch if section == 3
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.empty_label = QLabel(self.tr("No year published on this desk yet."))
        self.empty_label.setObjectName("Muted")
        self.days_title = QLabel()
        self.days_title.setObjectName("SectionTitle")
        self.month_model = MonthModel(self)
        self.month_table = list_table(self.month_model, column_width=110)
        self.month_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.month_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.month_table.horizontalHeader().setStretchLastSection(False)
        self.month_table.horizontalHeader().resizeSection(2, 270)
        bl.addWidget(years_title)
        bl.addWidget(self.empty_label)
        bl.addWidget(self.year_table, 2)
        bl.addWidget(self.days_title)
        bl.addWidget(self.month_table, 3)
        split.addWidget(browse)

        self.editor_box = QGroupBox(self.tr("Publish a year's schedule"))
        el = QVBoxLayout(self.editor_box)
        form = QFormLayout()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(self.today().year + 1)
        self.source_edit = QLineEdit()
        self.source_edit.setMaxLength(256)
        self.source_edit.setPlaceholderText(self.tr("e.g. 国务院办公厅关于2027年部分节假日安排的通知"))
        self.holidays_edit = QPlainTextEdit()
        self.holidays_edit.setPlaceholderText("2027-01-01\n2027-02-06~2027-02-13\n4月5日\n5月1日至5日")
        self.holidays_edit.setTabChangesFocus(True)
        self.workdays_edit = QPlainTextEdit()
        self.workdays_edit.setPlaceholderText("2027-02-14\n2027/5/8")
        self.workdays_edit.setTabChangesFocus(True)
        self.workdays_edit.setMaximumHeight(90)
        form.addRow(self.tr("Year"), self.year_spin)
        form.addRow(self.tr("Source"), self.source_edit)
        form.addRow(self.tr("Holidays (放假)"), self.holidays_edit)
        form.addRow(self.tr("Make-up working days (调休上班)"), self.workdays_edit)
        el.addLayout(form)
        hint = QLabel(self.tr("One item per line, or separated by commas, spaces or 、. An item is a date "
                              "(2027-02-06, 2027/2/6, 2月6日 — without a year it is in the year above) or a range "
                              "(2027-02-06~2027-02-13, 2027-02-06-2027-02-13, 2月6日至13日)."))
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        el.addWidget(hint)
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"QLabel {{ color:{RED}; font-weight:bold; }}")
        self.problem_label.hide()
        el.addWidget(self.preview_label)
        el.addWidget(self.problem_label)
        el.addStretch(1)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        el.addWidget(self.message_label)
        actions = QHBoxLayout()
        self.correct_button = QPushButton(self.tr("Copy the selected year into the editor"))
        self.correct_button.setToolTip(self.tr("To correct a published year: publishing it again replaces it."))
        self.correct_button.setEnabled(False)
        self.publish_button = QPushButton(self.tr("Publish"))
        self.publish_button.setDefault(True)
        self.publish_button.setEnabled(False)
        actions.addWidget(self.correct_button)
        actions.addStretch(1)
        actions.addWidget(self.publish_button)
        el.addLayout(actions)
        split.addWidget(self.editor_box)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        split.setSizes([700, 560])
        ui_state.remember_splitter(split, "holidays")
        ui_state.remember_table(self.year_table, "holidays-years")
        ui_state.remember_table(self.month_table, "holidays-month")
        self.editor_box.setVisible(self.editable)
        outer.addWidget(split, 1)

        self.year_table.selectionModel().currentRowChanged.connect(self._on_year_row)
        self.year_spin.valueChanged.connect(lambda _v: self.refresh_preview())
        self.holidays_edit.textChanged.connect(self.refresh_preview)
        self.workdays_edit.textChanged.connect(self.refresh_preview)
        self.source_edit.textChanged.connect(lambda _t: self.refresh_preview())
        self.correct_button.clicked.connect(self.copy_selected_year)
        self.publish_button.clicked.connect(lambda: self.start_action(self.publish()))
        self._overview_task = LatestTask("holiday-overview")
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._show_statuses()
        self.refresh_preview()

    def today(self) -> date:
        return shanghai_date(self.clock())

    # -- what the deadlines know

    def load(self) -> None:
        self._overview_task.start(run_read(core.overview, self.store, self.today()), self._on_overview)

    def _on_overview(self, overview: Overview) -> None:
        self.overview = overview
        self.year_model.set_rows(list(overview.rows))
        self.empty_label.setVisible(not overview.rows)
        self._show_statuses()
        wanted = self._select_year
        self._select_year = None
        selection = self.year_table.selectionModel()
        if wanted is not None and self.year_model.row_of(str(wanted)) is not None:
            self.year_table.selectRow(self.year_model.row_of(str(wanted)))
        elif overview.rows and not selection.hasSelection():
            self.year_table.selectRow(0)
        self._show_days()
        self.refresh_preview()

    def _show_statuses(self) -> None:
        statuses = self.overview.statuses if self.overview is not None else ()
        for label, status in zip(self.status_labels, statuses, strict=False):
            text, colour, bold = self.status_text(status)
            label.setText(text)
            label.setStyleSheet(f"QLabel {{ color:{colour}; font-weight:{'bold' if bold else 'normal'}; }}")
        if not statuses:
            for label in self.status_labels:
                label.setText(self.tr("Reading the published years…"))

    def status_text(self, status: YearStatus) -> tuple[str, str, bool]:
        """The status line of a year: its text, colour and whether it is bold."""
        if status.kind == "published" and status.row is not None:
            published = fmt_local(status.row.published_at, "%Y-%m-%d")
            return (self.tr("{year}: published by the county on {date} ({source})").format(
                year=status.year, date=published, source=status.row.source), GREEN, False)
        if status.kind == "package":
            return self.tr("{year}: known from the calendar package").format(year=status.year), GREEN, False
        return (self.tr("{year}: not published — working days are counted Monday–Friday; deadlines over the "
                        "holidays will be wrong").format(year=status.year), RED, True)

    def selected_year(self) -> YearRow | None:
        index = self.year_table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        return self.year_model.row_by_id(self.year_model.data(index, IdRole))

    def _on_year_row(self, _current: Any, _previous: Any) -> None:
        self._show_days()

    def _show_days(self) -> None:
        row = self.selected_year()
        self.month_model.set_rows(month_rows(row))
        self.month_table.resizeRowsToContents()
        self.days_title.setText(self.tr("Days of {year}").format(year=row.year) if row else self.tr("Days"))
        self.correct_button.setEnabled(self.editable and row is not None)

    def _on_store_changes(self, changes: Any) -> None:
        # published years are reference rows: they arrive with a pulled page or a local publish
        if changes.touches("calendar_year"):
            self.load()

    async def wait_idle(self) -> None:
        if self.action_task is not None and not self.action_task.done():
            await self.action_task
        await self._overview_task.wait()

    # -- the editor

    def copy_selected_year(self) -> None:
        """Put the selected published year into the editor, to correct it."""
        row = self.selected_year()
        if row is None or not self.editable:
            return
        self.year_spin.setValue(row.year)
        self.source_edit.setText(row.source)
        self.holidays_edit.setPlainText(core.format_days(row.holidays))
        self.workdays_edit.setPlainText(core.format_days(row.workdays))
        self.message_label.clear()

    def _typed(self) -> bool:
        return any(w.toPlainText().strip() for w in (self.holidays_edit, self.workdays_edit))

    def refresh_preview(self) -> None:
        """Read what is typed, preview it and list every problem (publishing waits until there is none)."""
        year = int(self.year_spin.value())
        self.holiday_input = core.read_days(self.holidays_edit.toPlainText(), year)
        self.workday_input = core.read_days(self.workdays_edit.toPlainText(), year)
        h, w = self.holiday_input.days, self.workday_input.days
        problems = [self.input_problem_text(self.tr("Holidays"), p, year) for p in self.holiday_input.problems]
        problems += [self.input_problem_text(self.tr("Make-up working days"), p, year)
                     for p in self.workday_input.problems]
        if self._typed():
            problems += [self.schedule_problem_text(p) for p in core.schedule_problems(h, w, self.source_edit.text())]
        self.problems = problems
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))
        if not self._typed():
            self.preview_label.setText(self.tr("Type the holidays and the make-up working days of {year} as the "
                                               "notice lists them.").format(year=year))
        else:
            lines = [self.tr("{year}: {holidays} holiday days, {workdays} make-up working days").format(
                year=year, holidays=len(h), workdays=len(w))]
            if h:
                lines.append(breaks_text(h))
            if w:
                lines.append(self.tr("Working on: {days}").format(days=join([day_text(d, weekday=True) for d in w])))
            published = self._published(year)
            if published is not None:
                lines.append(self.tr("{year} was published on {date}; publishing replaces it.").format(
                    year=year, date=fmt_local(published.published_at, "%Y-%m-%d")))
            self.preview_label.setText("\n".join(lines))
        self._update_publish()

    def _published(self, year: int) -> YearRow | None:
        return self.year_model.row_by_id(str(year))

    def input_problem_text(self, field: str, p: InputProblem, year: int) -> str:
        texts = {
            "unreadable": self.tr("{field}: cannot read “{item}” — write a date (2027-02-06, 2/6, 2月6日) or a "
                                  "range (2027-02-06~2027-02-13, 2月6日至13日)"),
            "not_a_date": self.tr("{field}: “{item}” is not a date of the calendar"),
            "other_year": self.tr("{field}: “{item}” is not in {year}"),
            "reversed": self.tr("{field}: “{item}” ends before it starts"),
            "too_long": self.tr("{field}: “{item}” is longer than a month"),
        }
        return texts.get(p.reason, texts["unreadable"]).format(field=field, item=p.item, year=year)

    def schedule_problem_text(self, p: ScheduleProblem) -> str:
        day = day_text(p.day, weekday=True) if p.day else ""
        texts = {
            "no_holidays": self.tr("List at least one holiday."),
            "no_source": self.tr("Name the source: the notice the schedule comes from."),
            "both": self.tr("{day} is listed both as a holiday and as a make-up working day."),
            "weekday_workday": self.tr("{day} is a weekday: a make-up working day is a Saturday or Sunday."),
            "too_many": self.tr("At most {n} days per list.").format(n=core.MAX_DAYS),
        }
        return texts.get(p.kind, p.kind).format(day=day)

    def _update_publish(self) -> None:
        self.publish_button.setEnabled(self.editable and bool(self.holiday_input.days) and not self.problems)

    def mutation_args(self) -> dict[str, Any]:
        return core.publish_args(self.holiday_input.days, self.workday_input.days, self.source_edit.text())

    def show_refusal(self, message: str) -> None:
        self.message_label.setStyleSheet(f"QLabel {{ color:{RED}; font-weight:bold; }}")
        self.message_label.setText(message)

    def clear_refusal(self) -> None:
        self.message_label.clear()

    async def publish(self) -> bool:
        """Publish the typed schedule (``calendar.publish_year``); the deadlines of every desk follow it."""
        self.refresh_preview()
        if not self.editable or self.problems or not self.holiday_input.days:
            return False
        year = int(self.year_spin.value())
        args = self.mutation_args()
        self.publish_button.setEnabled(False)
        if await Operation(self, self.store, self.actor, "calendar.publish_year", str(year), args).run() is None:
            self._update_publish()
            return False
        self._select_year = year
        self.load()
        for edit in (self.holidays_edit, self.workdays_edit, self.source_edit):
            edit.clear()
        self.message_label.setStyleSheet(f"QLabel {{ color:{GREEN}; }}")
        self.message_label.setText(self.tr("Published {year}: {holidays} holiday days, {workdays} make-up working "
                                           "days. Every desk receives it with the next sync.").format(
            year=year, holidays=len(args["holidays"]), workdays=len(args["workdays"])))
        return True
