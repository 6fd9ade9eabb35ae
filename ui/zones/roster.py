"""The duty roster (排班) editor of one zone: a week as a days × members grid.

A click on a cell cycles it: none → day shift (白班 08–18) → night shift (夜班 18–08) →
full day (全天 08–08) → none. The grid also shows, in each cell, the member's shifts in
other zones (a member lent out, or rostered twice by two offline edits), and flags every
clash the core's :func:`commandroom.services.teams.find_clashes` finds in the edited week —
the same member twice at the same time, or in two zones at once — in red with the reason.
Members lent into the zone get a row too; the days outside their loan are greyed out.

"Save" performs ``roster.set`` with the cells and the entry ids the editor loaded
(``base_entry_ids``: an entry someone else added meanwhile is kept, not dropped); it
stays disabled while the week has clashes. "Copy last week" performs
``roster.copy_week``. Both run on the writer thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.zones import RosterCell, RosterMember, RosterWeek, load_roster_week
from commandroom.services import teams as svc
from commandroom.timeutil import utcnow
from ui.async_runner import LatestTask, exec_dialog, run_read, store_events
from ui.common.operations import ActionHostMixin, Operation
from ui.zones import labels
from ui.zones.labels import zt
from ui.zones.widgets import ErrorLine

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

_Index = QModelIndex | QPersistentModelIndex
WEEKDAYS = (
    QT_TRANSLATE_NOOP("Zones", "Mon"),
    QT_TRANSLATE_NOOP("Zones", "Tue"),
    QT_TRANSLATE_NOOP("Zones", "Wed"),
    QT_TRANSLATE_NOOP("Zones", "Thu"),
    QT_TRANSLATE_NOOP("Zones", "Fri"),
    QT_TRANSLATE_NOOP("Zones", "Sat"),
    QT_TRANSLATE_NOOP("Zones", "Sun"),
)
CLASH_COLOUR = "#f1948a"
BLOCKED_COLOUR = "#eceff1"
CellRole = Qt.ItemDataRole.UserRole + 3  # (member id, day)
ClashRole = Qt.ItemDataRole.UserRole + 4  # True when the cell is part of a clash


@dataclass(frozen=True)
class Shift:
    """One shift in a cell: stored (``entry_id``) or edited (None)."""

    shift: str
    starts_at: datetime
    ends_at: datetime
    entry_id: str | None = None


class _Probe:
    """What :func:`svc.find_clashes` needs of an entry."""

    def __init__(self, id_: str, member_id: str, zone_id: str, a: datetime, b: datetime) -> None:
        self.id, self.member_id, self.zone_id, self.starts_at, self.ends_at = id_, member_id, zone_id, a, b


class RosterWeekModel(QAbstractTableModel):
    """Rows: the zone's members (and those lent in); columns: Monday…Sunday; cells: shifts (editable)."""

    edits_did_change = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.week: RosterWeek | None = None
        self.members: list[RosterMember] = []
        self.cells: dict[tuple[str, date], list[Shift]] = {}
        self.base_ids: list[str] = []
        self.dirty = False
        self.today: date | None = None  # the column header says "today"
        self.clashes: list[svc.Clash] = []
        self.clash_cells: dict[tuple[str, date], list[str]] = {}
        self._probe_cell: dict[str, tuple[str, date]] = {}

    # -- loading

    def set_week(self, week: RosterWeek, *, keep_edits: bool = False) -> None:
        """Show ``week``; with ``keep_edits`` (a refresh under unsaved edits) keep the edited cells."""
        same_rows = self.week is not None and [m.id for m in self.members] == [m.id for m in week.members]
        if not keep_edits:
            self.dirty = False
        if not same_rows:
            self.beginResetModel()
        old_cells = self.cells
        self.week = week
        self.members = list(week.members)
        if keep_edits and self.dirty:
            self.cells = old_cells
        else:
            self.cells = {}
            for e in week.entries:
                self.cells.setdefault((e.member_id, e.day), []).append(Shift(e.shift, e.starts_at, e.ends_at, e.id))
            self.base_ids = [e.id for e in week.entries]
        self._find_clashes()
        if not same_rows:
            self.endResetModel()
        elif self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 6))
        self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(0, self.rowCount() - 1))

    def days(self) -> list[date]:
        if self.week is None:
            return []
        return [self.week.monday + timedelta(days=i) for i in range(7)]

    # -- Qt interface

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.members)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.week is None else 7

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            days = self.days()
            if not 0 <= section < len(days):
                return None
            d = days[section]
            if role == Qt.ItemDataRole.DisplayRole:
                today = QCoreApplication.translate("Zones", "today") if d == self.today else d.strftime("%m-%d")
                return f"{zt(WEEKDAYS[d.weekday()])}\n{today}"
            if role == Qt.ItemDataRole.ForegroundRole and d == self.today:
                return QBrush(QColor("#1f5fa8"))
            return None
        if not 0 <= section < len(self.members):
            return None
        m = self.members[section]
        if role == Qt.ItemDataRole.DisplayRole:
            text = m.name
            if m.is_auxiliary:
                text += QCoreApplication.translate("Zones", " (aux.)")
            if self.week is not None and m.home_zone_id != self.week.zone_id:
                text = "↘ " + text
            return text
        if role == Qt.ItemDataRole.ToolTipRole and self.week is not None and m.home_zone_id != self.week.zone_id:
            home = self.week.zone_names.get(m.home_zone_id, m.home_zone_id)
            return QCoreApplication.translate("Zones", "Lent in from {zone}").format(zone=home)
        if role == Qt.ItemDataRole.ForegroundRole and any(key[0] == m.id for key in self.clash_cells):
            return QBrush(QColor("#c0392b"))
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        m = self.members[index.row()]
        day = self.days()[index.column()]
        return base | Qt.ItemFlag.ItemIsEnabled if self.editable(m, day) else base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.members)) or not 0 <= index.column() < 7:
            return None
        m = self.members[index.row()]
        day = self.days()[index.column()]
        key = (m.id, day)
        shifts = self.cells.get(key, [])
        if role == Qt.ItemDataRole.DisplayRole:
            parts = [labels.label(labels.SHIFT_LABELS, s.shift) for s in shifts]
            text = "+".join(parts)
            away = self._elsewhere(m.id, day)
            if away:
                text += ("\n" if text else "") + "；".join(away)
            elif not text and not self.editable(m, day):
                text = QCoreApplication.translate("Zones", "not lent")
            return text
        if role == Qt.ItemDataRole.BackgroundRole:
            if key in self.clash_cells:
                return QBrush(QColor(CLASH_COLOUR))
            if not self.editable(m, day):
                return QBrush(QColor(BLOCKED_COLOUR))
            if shifts:
                return QBrush(QColor(labels.SHIFT_COLOURS.get(shifts[0].shift, "#ffffff")))
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{labels.label(labels.SHIFT_LABELS, s.shift)} {labels.when(s.starts_at)}–{labels.when(s.ends_at)}"
                     for s in shifts]
            lines += self.clash_cells.get(key, [])
            return "\n".join(lines) or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.FontRole and key in self.clash_cells:
            font = QFont()
            font.setBold(True)
            return font
        if role == CellRole:
            return key
        if role == ClashRole:
            return key in self.clash_cells
        return None

    # -- editing

    def editable(self, m: RosterMember, day: date) -> bool:
        if self.week is None:
            return False
        if m.home_zone_id == self.week.zone_id:
            return True
        a, b = svc.shift_bounds(day, "full")
        return any(s < b and e > a for s, e in m.lent_in)

    def toggle(self, row: int, column: int) -> str | None:
        """Cycle the cell: none → day → night → full → none; returns the new shift (None: empty)."""
        m = self.members[row]
        day = self.days()[column]
        if not self.editable(m, day):
            return None
        key = (m.id, day)
        current = self.cells.get(key, [])
        now_shift = current[0].shift if current else None
        cycle = list(labels.SHIFT_CYCLE)
        nxt = cycle[(cycle.index(now_shift) + 1) % len(cycle)] if now_shift in cycle else None
        self.set_cell(m.id, day, nxt)
        return nxt

    def set_cell(self, member_id: str, day: date, shift: str | None) -> None:
        key = (member_id, day)
        if shift is None:
            self.cells.pop(key, None)
        else:
            a, b = svc.shift_bounds(day, shift)
            self.cells[key] = [Shift(shift, a, b)]
        self.dirty = True
        self._find_clashes()
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 6))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, self.rowCount() - 1)
        self.edits_did_change.emit()

    def entries_args(self) -> list[dict[str, Any]]:
        """The cells as ``roster.set`` entries."""
        out = []
        for (mid, day), shifts in sorted(self.cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            for s in shifts:
                item: dict[str, Any] = {"member_id": mid, "day": day.isoformat(), "shift": s.shift}
                if s.shift not in svc.SHIFTS:
                    item["starts_at"], item["ends_at"] = s.starts_at.isoformat(), s.ends_at.isoformat()
                out.append(item)
        return out

    def count_shifts(self) -> int:
        return sum(len(v) for v in self.cells.values())

    # -- clashes

    def _elsewhere(self, member_id: str, day: date) -> list[str]:
        if self.week is None:
            return []
        out = []
        for e in self.week.elsewhere:
            if e.member_id == member_id and e.day == day:
                zone = self.week.zone_names.get(e.zone_id, e.zone_id)
                out.append(f"{zone}{labels.label(labels.SHIFT_LABELS, e.shift)}")
        return out

    def _find_clashes(self) -> None:
        self._probe_cell = {}
        probes: list[_Probe] = []
        zone_id = self.week.zone_id if self.week else ""
        for (mid, day), shifts in self.cells.items():
            for i, s in enumerate(shifts):
                pid = s.entry_id or f"edit|{mid}|{day.isoformat()}|{i}"
                probes.append(_Probe(pid, mid, zone_id, s.starts_at, s.ends_at))
                self._probe_cell[pid] = (mid, day)
        elsewhere: dict[str, RosterCell] = {}
        if self.week is not None:
            for e in self.week.elsewhere:
                probes.append(_Probe(e.id, e.member_id, e.zone_id, e.starts_at, e.ends_at))
                elsewhere[e.id] = e
        names = {m.id: m.name for m in self.members}
        self.clashes = svc.find_clashes(probes, names)
        self.clash_cells = {}
        for c in self.clashes:
            message = clash_text(c, self.week.zone_names if self.week else {})
            for pid in (c.first_id, c.second_id):
                key = self._probe_cell.get(pid)
                if key is None and pid in elsewhere:
                    key = (elsewhere[pid].member_id, elsewhere[pid].day)
                if key is not None and self.week is not None and 0 <= (key[1] - self.week.monday).days < 7:
                    self.clash_cells.setdefault(key, []).append(message)


def clash_text(c: svc.Clash, zone_names: dict[str, str]) -> str:
    """A clash as a sentence in the interface language."""
    a = f"{labels.when(c.first[0])}–{labels.when(c.first[1])}"
    b = f"{labels.when(c.second[0])}–{labels.when(c.second[1])}"
    if c.kind == "two_zones":
        return QCoreApplication.translate("Zones", "{name}: in {zone_a} and {zone_b} at the same time ({a} and {b})").format(
            name=c.member_name, zone_a=zone_names.get(c.first_zone, c.first_zone),
            zone_b=zone_names.get(c.second_zone, c.second_zone), a=a, b=b)
    return QCoreApplication.translate("Zones", "{name}: overlapping shifts ({a} and {b})").format(name=c.member_name, a=a, b=b)


class RosterEditor(ActionHostMixin, QWidget):
    """The weekly roster editor of one zone (see the module doc)."""

    roster_did_save = Signal(str)  # mutation name
    action_did_fail = Signal(str)

    def __init__(self, store: Store, actor: Actor, *, now_fn: Callable[[], datetime] = utcnow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.now_fn = now_fn
        self.zone_id: str | None = None
        self.monday = svc.week_start(svc.shanghai_date(now_fn()))
        self.open_dialog: Any = None
        self.action_task: Any = None
        self._task = LatestTask("zone-roster")
        self.model = RosterWeekModel(self)
        self.model.today = svc.shanghai_date(now_fn())
        self.model.edits_did_change.connect(self._update_controls)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        bar = QHBoxLayout()
        self.prev_button = QPushButton(self.tr("◀ Previous week"))
        self.this_button = QPushButton(self.tr("This week"))
        self.next_button = QPushButton(self.tr("Next week ▶"))
        self.week_label = QLabel()
        self.week_label.setObjectName("SectionTitle")
        for w in (self.prev_button, self.this_button, self.next_button):
            bar.addWidget(w)
        bar.addWidget(self.week_label)
        bar.addStretch(1)
        self.copy_button = QPushButton(self.tr("Copy last week"))
        self.discard_button = QPushButton(self.tr("Discard edits"))
        self.save_button = QPushButton(self.tr("Save roster"))
        self.save_button.setDefault(True)
        for w in (self.copy_button, self.discard_button, self.save_button):
            bar.addWidget(w)
        layout.addLayout(bar)
        hint = QLabel(self.tr("Click a cell to cycle: day shift 08–18 → night shift 18–08 → full day 08–08 → off. "
                              "Shifts in other zones are shown under the cell; clashes are red."))
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.error_line = ErrorLine()
        layout.addWidget(self.error_line)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(48)
        self.table.setWordWrap(True)
        self.table.clicked.connect(self._on_cell_clicked)
        layout.addWidget(self.table, 1)
        self.status_label = QLabel()
        layout.addWidget(self.status_label)
        self.clash_label = QLabel()
        self.clash_label.setWordWrap(True)
        self.clash_label.setStyleSheet("QLabel { color:#922b21; background:#fdedec; border:1px solid #f1948a; "
                                       "border-radius:4px; padding:6px; }")
        self.clash_label.hide()
        layout.addWidget(self.clash_label)

        self.prev_button.clicked.connect(lambda: self.set_week(self.monday - timedelta(days=7)))
        self.next_button.clicked.connect(lambda: self.set_week(self.monday + timedelta(days=7)))
        self.this_button.clicked.connect(lambda: self.set_week(svc.week_start(svc.shanghai_date(self.now_fn()))))
        self.save_button.clicked.connect(lambda: self.start_action(self.save()))
        self.discard_button.clicked.connect(self.reload)
        self.copy_button.clicked.connect(lambda: self.start_action(self._copy_with_confirmation()))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(lambda: self.reload(keep_edits=True))
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_controls()

    # -- loading

    def set_zone(self, zone_id: str) -> None:
        if zone_id != self.zone_id:
            self.zone_id = zone_id
            self.reload()

    def set_week(self, monday: date) -> None:
        self.monday = svc.week_start(monday)
        self.reload()

    def reload(self, *, keep_edits: bool = False) -> None:
        if self.zone_id is None:
            return
        zone_id, monday = self.zone_id, self.monday
        self._task.start(run_read(load_roster_week, self.store, zone_id, monday),
                         lambda week: self._on_loaded(week, keep_edits))

    def load_now(self) -> None:
        assert self.zone_id is not None
        self._on_loaded(load_roster_week(self.store, self.zone_id, self.monday), False)

    async def wait_idle(self) -> None:
        await self._task.wait()
        if self.action_task is not None:
            await self.action_task
        await self._task.wait()

    def _on_loaded(self, week: RosterWeek, keep_edits: bool) -> None:
        same = (self.model.week is not None and self.model.week.zone_id == week.zone_id
                and self.model.week.monday == week.monday)
        self.model.set_week(week, keep_edits=keep_edits and same)
        sunday = week.monday + timedelta(days=6)
        self.week_label.setText(self.tr("{a} to {b}").format(a=week.monday.isoformat(), b=sunday.strftime("%m-%d")))
        if not (keep_edits and same):
            self.error_line.clear_message()
        self._update_controls()

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("roster_entry", "member_loan", "team_member"):
            self._debounce.start()

    # -- controls

    def _update_controls(self) -> None:
        m = self.model
        clashes = bool(m.clashes)
        self.save_button.setEnabled(m.dirty and not clashes)
        self.save_button.setToolTip(self.tr("Resolve the clashes first") if clashes else "")
        self.discard_button.setEnabled(m.dirty)
        week = m.week
        self.copy_button.setEnabled(week is not None and week.previous_week_entries > 0)
        if week is not None:
            on = self.tr("{n} shifts").format(n=m.count_shifts())
            state = self.tr("unsaved changes") if m.dirty else self.tr("saved")
            self.status_label.setText(f"{on} · {state}")
        texts = list(dict.fromkeys(clash_text(c, week.zone_names if week else {}) for c in m.clashes))
        if texts:
            self.clash_label.setText(self.tr("Clashes ({n}):").format(n=len(texts)) + "\n" + "\n".join(
                "• " + t for t in texts[:8]) + ("\n…" if len(texts) > 8 else ""))
        self.clash_label.setVisible(bool(texts))

    def _on_cell_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.model.toggle(index.row(), index.column())

    def click_cell(self, member_id: str, day: date) -> str | None:
        """Toggle the cell of ``member_id`` on ``day`` (as a click does); returns the new shift."""
        row = next(i for i, m in enumerate(self.model.members) if m.id == member_id)
        return self.model.toggle(row, (day - self.monday).days)

    # -- writes

    async def save(self) -> bool:
        """Perform ``roster.set`` for the week (refused by the editor while there are clashes)."""
        m = self.model
        if m.week is None or not m.dirty:
            return False
        if m.clashes:
            self.error_line.show_message(self.tr("The week has clashes: resolve them before saving."))
            return False
        args = {"zone_id": m.week.zone_id, "week_start": m.week.monday.isoformat(), "entries": m.entries_args(),
                "base_entry_ids": list(m.base_ids)}
        ok = await self._perform("roster.set", f"roster:{m.week.zone_id}:{m.week.monday.isoformat()}", args)
        if ok:
            m.dirty = False
            self.reload()
        return ok

    async def _copy_with_confirmation(self) -> None:
        m = self.model
        if m.week is None:
            return
        if m.week.entries or m.dirty:
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("Copy last week"),
                              self.tr("Replace this week's roster with last week's?"),
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            self.open_dialog = box
            try:
                if await exec_dialog(box) != QMessageBox.StandardButton.Yes.value:
                    return
            finally:
                self.open_dialog = None
        await self.copy_last_week()

    async def copy_last_week(self) -> bool:
        """Perform ``roster.copy_week`` from the previous week into this one."""
        m = self.model
        if m.week is None:
            return False
        args = {"zone_id": m.week.zone_id, "from_week": (m.week.monday - timedelta(days=7)).isoformat(),
                "to_week": m.week.monday.isoformat()}
        ok = await self._perform("roster.copy_week", new_id(), args)
        if ok:
            m.dirty = False
            self.reload()
        return ok

    async def _perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        if await Operation(self, self.store, self.actor, name, entity_id, args).run() is None:
            return False
        self.roster_did_save.emit(name)
        return True

    def show_refusal(self, message: str) -> None:
        self.error_line.show_message(message)
        self.action_did_fail.emit(message)

    def clear_refusal(self) -> None:
        self.error_line.clear_message()
