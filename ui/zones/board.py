"""The zone board (执法片区看板): the 7 zones side by side, live, with the lending suggestion.

Each zone is a :class:`ZoneCard` in a grid that reflows with the width: name and hub,
townships served, who is on duty now (status chips 空闲/在途/在现场/休息), open team
dispatches, open enforcement incidents, the workload balance (忙闲不均) and, for a busy
zone, the core's lending suggestion with a one-click "lend" (``member.lend`` until the
member's shift ends, with the reason) plus the loans running or planned.

The board reads through :func:`commandroom.queries.zones.load_board` on the reader pool (latest
request wins) when a store change touches a team table, debounced, and once a minute
(shifts start and end, loans run out by themselves). Only cards whose zone changed are
rebuilt. ``ZoneBoardWidget(store, read_only=True, large_fonts=True)`` is the wall-screen
variant: no buttons, bigger type.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.zones import TEAM_TABLES, BoardData, LoanInfo, load_board
from commandroom.services import teams as svc
from commandroom.timeutil import local_to_utc, to_local, utcnow
from ui.async_runner import LatestTask, loop_running, run_read, store_events
from ui.common.operations import ActionHostMixin, Operation
from ui.zones import labels
from ui.zones.widgets import ErrorLine, FlowLayout, chip

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

MAX_CHIPS = 30
MIN_CARD_WIDTH = 360
MIN_CARD_WIDTH_LARGE = 520


class LendDialog(QDialog):
    """Lend a member to another zone for a limited time (at most 31 days), with a reason.

    Args:
        candidates: ``(member_id, name)`` of the lending zone's members that may go.
        from_zone: ``(id, name)`` of the lending zone.
        to_zones: ``(id, name)`` of the zones it may lend to (usually its neighbours).
        until: the default end (the member's shift end).
        reason: the default reason (the suggestion's).
    """

    def __init__(self, candidates: list[tuple[str, str]], from_zone: tuple[str, str],
                 to_zones: list[tuple[str, str]], *, member_id: str | None = None, to_zone_id: str | None = None,
                 until: datetime | None = None, reason: str = "", now: datetime | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Lend a team member"))
        self.setMinimumWidth(480)
        self.from_zone_id = from_zone[0]
        self.now = now or utcnow()
        layout = QVBoxLayout(self)
        head = QLabel(self.tr("Lend from {zone}").format(zone=from_zone[1]))
        head.setObjectName("SectionTitle")
        layout.addWidget(head)
        form = QFormLayout()
        self.member_combo = QComboBox()
        for mid, name in candidates:
            self.member_combo.addItem(name, mid)
        if member_id:
            self.member_combo.setCurrentIndex(max(0, self.member_combo.findData(member_id)))
        form.addRow(self.tr("Member"), self.member_combo)
        self.zone_combo = QComboBox()
        for zid, name in to_zones:
            self.zone_combo.addItem(name, zid)
        if to_zone_id:
            self.zone_combo.setCurrentIndex(max(0, self.zone_combo.findData(to_zone_id)))
        form.addRow(self.tr("To zone"), self.zone_combo)
        self.until_edit = QDateTimeEdit()
        self.until_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.until_edit.setCalendarPopup(True)
        local_now = to_local(self.now)
        default = to_local(until) if until and until > self.now else local_now + timedelta(hours=8)
        assert default is not None
        self.until_edit.setDateTime(_qdt(default.replace(tzinfo=None)))
        self.until_edit.setMinimumDateTime(_qdt(local_now.replace(tzinfo=None) + timedelta(minutes=5)))
        self.until_edit.setMaximumDateTime(_qdt(local_now.replace(tzinfo=None) + timedelta(days=31)))
        form.addRow(self.tr("Until"), self.until_edit)
        self.reason_edit = QPlainTextEdit(reason)
        self.reason_edit.setPlaceholderText(self.tr("Why the member is lent (required)"))
        self.reason_edit.setFixedHeight(80)
        self.reason_edit.setTabChangesFocus(True)
        form.addRow(self.tr("Reason"), self.reason_edit)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._update_ok)
        self.member_combo.currentIndexChanged.connect(self._update_ok)
        self._update_ok()

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _update_ok(self, *_: Any) -> None:
        self.ok_button().setEnabled(bool(self.reason_edit.toPlainText().strip()) and self.member_combo.count() > 0
                                    and self.zone_combo.count() > 0)

    def mutation_args(self) -> dict[str, Any]:
        until = self.until_edit.dateTime().toPython()
        return {"member_id": self.member_combo.currentData(), "from_zone_id": self.from_zone_id,
                "to_zone_id": self.zone_combo.currentData(), "ends_at": local_to_utc(until).isoformat(),
                "reason": self.reason_edit.toPlainText().strip()}


def _qdt(dt: datetime) -> QDateTime:
    return QDateTime(dt.year, dt.month, dt.day, dt.hour, dt.minute, 0)


class ZoneCard(QFrame):
    """One zone on the board (see the module doc)."""

    lend_requested = Signal(object)  # LendSuggestion: one click, lend with the defaults
    lend_dialog_requested = Signal(str, object)  # zone id, LendSuggestion or None
    end_loan_requested = Signal(str)  # loan id
    show_on_map_requested = Signal(str)

    def __init__(self, zone_id: str, *, read_only: bool, scale: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone_id = zone_id
        self.read_only = read_only
        self.scale = scale
        self.summary: svc.ZoneSummary | None = None
        self.shown_key: Any = None  # what the card shows, to skip unchanged zones on a refresh
        self.setObjectName("ZoneCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        pt = 10.5 * scale
        self.setStyleSheet(
            f"QFrame#ZoneCard {{ background:palette(base); border:1px solid #c8d0dc; border-radius:6px; }}"
            f"QFrame#ZoneCard[balance=\"busy\"] {{ border:2px solid #c0392b; }}"
            f"QFrame#ZoneCard QLabel {{ font-size:{pt:.1f}pt; }}"
            f"QLabel#ZoneName {{ font-size:{pt * 1.45:.1f}pt; font-weight:bold; }}"
            f"QLabel#ZoneHub, QLabel#ZoneTowns {{ color:#5d6d7e; }}"
            f"QLabel#ZoneFigures {{ font-size:{pt * 1.05:.1f}pt; }}"
            f"QFrame#LendBox {{ background:#fef5e7; border:1px solid #f0b27a; border-radius:4px; }}"
            f"QFrame#ZoneCard QPushButton {{ font-size:{pt:.1f}pt; }}"
        )
        outer = QVBoxLayout(self)
        outer.setContentsMargins(int(12 * scale), int(10 * scale), int(12 * scale), int(10 * scale))
        outer.setSpacing(int(6 * scale))
        head = QHBoxLayout()
        self.name_label = QLabel()
        self.name_label.setObjectName("ZoneName")
        head.addWidget(self.name_label)
        self.hub_label = QLabel()
        self.hub_label.setObjectName("ZoneHub")
        head.addWidget(self.hub_label)
        head.addStretch(1)
        self.balance_holder = QHBoxLayout()
        head.addLayout(self.balance_holder)
        outer.addLayout(head)
        self.towns_label = QLabel()
        self.towns_label.setObjectName("ZoneTowns")
        self.towns_label.setWordWrap(True)
        outer.addWidget(self.towns_label)
        self.figures_label = QLabel()
        self.figures_label.setObjectName("ZoneFigures")
        self.figures_label.setWordWrap(True)
        self.figures_label.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.figures_label)
        self.chips_box = QWidget()
        self.chips = FlowLayout(self.chips_box, spacing=int(4 * scale))
        outer.addWidget(self.chips_box)
        self.loans_box = QWidget()
        self.loans_layout = QVBoxLayout(self.loans_box)
        self.loans_layout.setContentsMargins(0, 0, 0, 0)
        self.loans_layout.setSpacing(2)
        outer.addWidget(self.loans_box)
        self.lend_box = QFrame()
        self.lend_box.setObjectName("LendBox")
        lend_layout = QVBoxLayout(self.lend_box)
        lend_layout.setContentsMargins(8, 6, 8, 6)
        self.lend_label = QLabel()
        self.lend_label.setWordWrap(True)
        lend_layout.addWidget(self.lend_label)
        lend_buttons = QHBoxLayout()
        self.lend_button = QPushButton()
        self.lend_button.setObjectName("LendButton")
        self.lend_button.clicked.connect(self._on_lend_clicked)
        self.adjust_button = QPushButton(self.tr("Adjust…"))
        self.adjust_button.clicked.connect(self._on_adjust_clicked)
        lend_buttons.addWidget(self.lend_button)
        lend_buttons.addWidget(self.adjust_button)
        lend_buttons.addStretch(1)
        lend_layout.addLayout(lend_buttons)
        self.lend_button.setVisible(not read_only)
        self.adjust_button.setVisible(not read_only)
        outer.addWidget(self.lend_box)
        foot = QHBoxLayout()
        map_text = self.tr("Show on map")
        self.map_link = QLabel(f"<a href='map'>{map_text}</a>")
        self.map_link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.map_link.linkActivated.connect(lambda _l: self.show_on_map_requested.emit(self.zone_id))
        foot.addWidget(self.map_link)
        foot.addStretch(1)
        self.other_lend_button = QPushButton(self.tr("Lend a member…"))
        self.other_lend_button.setFlat(True)
        self.other_lend_button.clicked.connect(lambda: self.lend_dialog_requested.emit(self.zone_id, None))
        self.other_lend_button.setVisible(not read_only)
        foot.addWidget(self.other_lend_button)
        outer.addLayout(foot)
        self.map_link.setVisible(not read_only)

    # -- content

    def set_data(self, s: svc.ZoneSummary, loans: list[LoanInfo], zone_names: dict[str, str],
                 donor_available: int | None = None) -> None:
        """Show zone ``s`` (rebuilds the chips and loan lines); ``donor_available``: free members of the
        zone its lending suggestion borrows from."""
        self.summary = s
        self.setProperty("balance", s.balance)
        self.style().unpolish(self)
        self.style().polish(self)
        self.name_label.setText(s.name)
        hub = s.township_names[0] if s.township_names else s.hub_code
        self.hub_label.setText(self.tr("hub: {hub}").format(hub=hub))
        self.towns_label.setText(self.tr("Serves: {towns}").format(towns="、".join(s.township_names)))
        while self.balance_holder.count():
            w = self.balance_holder.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        balance = labels.label(labels.BALANCE_LABELS, s.balance)
        if s.understaffed:
            balance = self.tr("Nobody on duty")
        self.balance_chip = chip(balance, labels.BALANCE_COLOURS.get(s.balance, "#5d6d7e"),
                                 point_size=10.5 * self.scale * 1.1,
                                 tooltip=self.tr("Open enforcement incidents per member on duty: {load}").format(
                                     load=f"{s.load:.1f}"))
        self.balance_chip.setObjectName("BalanceChip")
        self.balance_holder.addWidget(self.balance_chip)
        dispatches = len({d for m in s.members for d in m.open_dispatch_ids})
        warn = ""
        if s.cert_warnings:
            warn = " · <span style='color:#b9770e'>{}</span>".format(
                self.tr("{n} certificate warnings").format(n=len(s.cert_warnings)))
        self.figures_label.setText(
            self.tr("On duty <b>{on}</b> (available {free}) · open dispatches <b>{d}</b> · "
                    "open enforcement incidents <b>{i}</b> · per member <b>{load}</b>").format(
                on=s.on_duty, free=s.available, d=dispatches, i=s.open_incidents, load=f"{s.load:.1f}") + warn)
        self.chips.clear()
        if not s.members:
            self.chips.addWidget(chip(self.tr("Nobody rostered now"), "#eaeded", "#5d6d7e",
                                      point_size=10 * self.scale))
        for m in s.members[:MAX_CHIPS]:
            text = f"{m.name}·{labels.label(labels.STATUS_LABELS, m.status)}"
            tips = [labels.label(labels.ORIGIN_LABELS, m.origin)]
            if m.lent_from:
                text = "↘" + text
                tips.append(self.tr("lent in from {zone}").format(zone=zone_names.get(m.lent_from, m.lent_from)))
            if m.is_auxiliary:
                tips.append(self.tr("auxiliary"))
            if m.open_dispatch_ids:
                tips.append(self.tr("{n} open dispatches").format(n=len(m.open_dispatch_ids)))
            tips.append(self.tr("shift ends {time}").format(time=labels.when(m.shift_ends_at)))
            border = "#f5b041" if m.cert_state in ("expiring", "expired") and not m.is_auxiliary else None
            c = chip(text, labels.STATUS_COLOURS.get(m.status, "#7f8c8d"), point_size=10 * self.scale,
                     tooltip="\n".join(tips), border=border)
            c.setObjectName("MemberChip")
            c.setProperty("member_id", m.member_id)
            c.setProperty("status", m.status)
            self.chips.addWidget(c)
        if len(s.members) > MAX_CHIPS:
            self.chips.addWidget(chip(self.tr("+{n} more").format(n=len(s.members) - MAX_CHIPS), "#eaeded",
                                      "#5d6d7e", point_size=10 * self.scale))
        self.chips_box.updateGeometry()
        self._set_loans(loans, zone_names)
        sug = s.lend_suggestion
        self.lend_box.setVisible(sug is not None)
        if sug is not None:
            donor = zone_names.get(sug.from_zone_id, sug.from_zone_id)
            self.lend_label.setText(self.tr(
                "Busy: {load} open incidents per member on duty. {donor} has {free} available members: "
                "lend {name} until {until}?").format(
                load=f"{s.load:.1f}", donor=donor, free=donor_available if donor_available is not None else "?",
                name=sug.member_name, until=labels.when(sug.until)))
            self.lend_button.setText(self.tr("Lend {name}").format(name=sug.member_name))

    def _set_loans(self, loans: list[LoanInfo], zone_names: dict[str, str]) -> None:
        while self.loans_layout.count():
            item = self.loans_layout.takeAt(0)
            w = item.widget() if item else None
            if w is not None:
                w.deleteLater()
            lay = item.layout() if item else None
            if lay is not None:
                while lay.count():
                    sub = lay.takeAt(0).widget()
                    if sub is not None:
                        sub.deleteLater()
        for loan in loans:
            row = QHBoxLayout()
            if loan.to_zone_id == self.zone_id:
                text = self.tr("Lent in: {name} from {zone}, until {until}")
                other = loan.from_zone_id
            else:
                text = self.tr("Lent out: {name} to {zone}, until {until}")
                other = loan.to_zone_id
            line = QLabel("⇄ " + text.format(name=loan.member_name, zone=zone_names.get(other, other),
                                             until=labels.when(loan.ends_at)))
            line.setObjectName("LoanLine")
            line.setToolTip(loan.reason)
            row.addWidget(line, 1)
            if not self.read_only:
                end = QPushButton(self.tr("End"))
                end.setFlat(True)
                end.setToolTip(self.tr("End this loan now"))
                end.clicked.connect(lambda _c=False, lid=loan.id: self.end_loan_requested.emit(lid))
                row.addWidget(end)
            holder = QWidget()
            holder.setLayout(row)
            row.setContentsMargins(0, 0, 0, 0)
            self.loans_layout.addWidget(holder)
        self.loans_box.setVisible(bool(loans))

    def member_chips(self) -> list[QLabel]:
        return [self.chips.itemAt(i).widget() for i in range(self.chips.count())
                if self.chips.itemAt(i).widget().objectName() == "MemberChip"]

    def _on_lend_clicked(self) -> None:
        if self.summary is not None and self.summary.lend_suggestion is not None:
            self.lend_requested.emit(self.summary.lend_suggestion)

    def _on_adjust_clicked(self) -> None:
        if self.summary is not None and self.summary.lend_suggestion is not None:
            self.lend_dialog_requested.emit(self.summary.lend_suggestion.from_zone_id, self.summary.lend_suggestion)


class _CardGrid(QWidget):
    """Cards in a grid whose column count follows the width."""

    def __init__(self, min_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_width = min_width
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(8, 8, 8, 8)
        self.grid.setSpacing(10)
        self.cards: list[QWidget] = []
        self.columns = 0

    def set_cards(self, cards: list[QWidget]) -> None:
        self.cards = cards
        self.columns = 0
        self._reflow()

    def resizeEvent(self, event: QEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self) -> None:
        columns = max(1, (self.width() - 16 + 10) // (self.min_width + 10))
        columns = min(columns, max(1, len(self.cards)))
        if columns == self.columns:
            return
        self.columns = columns
        for card in self.cards:
            self.grid.removeWidget(card)
        for i, card in enumerate(self.cards):
            self.grid.addWidget(card, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        self.grid.setRowStretch(self.grid.rowCount(), 1)


class ZoneBoardWidget(ActionHostMixin, QWidget):
    """The board of the 7 zones (see the module doc).

    Args:
        store: the DeskStore (all reads from it, all writes through ``store.perform``).
        actor: who lends (not needed when ``read_only``).
        read_only: the wall-screen variant (no lend buttons, no map links).
        large_fonts: bigger type and wider cards for a wall screen.
        now_fn: the clock (tests and screenshots freeze it).
    """

    show_on_map_requested = Signal(str)
    board_did_refresh = Signal(object)  # BoardData
    lend_did_finish = Signal(str)  # loan id
    action_did_fail = Signal(str)

    REFRESH_MS = 250
    TICK_MS = 60_000

    def __init__(self, store: Store, actor: Actor | None = None, *, read_only: bool = False, large_fonts: bool = False,
                 now_fn: Callable[[], datetime] = utcnow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.read_only = read_only or actor is None
        self.scale = 1.7 if large_fonts else 1.0
        self.now_fn = now_fn
        self.data: BoardData | None = None
        self.cards: dict[str, ZoneCard] = {}
        self.updated_zones: list[str] = []  # zones whose card the last refresh rebuilt
        self.refresh_count = 0
        self._task = LatestTask("zone-board")
        self.action_task: Any = None
        self.open_dialog: LendDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.setContentsMargins(8, 4, 8, 0)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("BoardSummary")
        self.summary_label.setStyleSheet(f"QLabel {{ font-size:{11 * self.scale:.1f}pt; }}")
        top.addWidget(self.summary_label, 1)
        self.legend_label = QLabel(self.tr("↘ lent in · orange frame: certificate expiring or expired"))
        self.legend_label.setStyleSheet(f"QLabel {{ font-size:{9.5 * self.scale:.1f}pt; color:#7a8594; }}")
        top.addWidget(self.legend_label)
        top.addSpacing(12)
        self.updated_label = QLabel()
        self.updated_label.setObjectName("Muted")
        self.updated_label.setStyleSheet(f"QLabel {{ font-size:{9.5 * self.scale:.1f}pt; color:#7a8594; }}")
        top.addWidget(self.updated_label)
        layout.addLayout(top)
        self.error_line = ErrorLine()
        layout.addWidget(self.error_line)
        self.grid = _CardGrid(MIN_CARD_WIDTH_LARGE if large_fonts else MIN_CARD_WIDTH)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid)
        layout.addWidget(scroll, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.REFRESH_MS)
        self._debounce.timeout.connect(self.load)
        self._tick = QTimer(self)
        self._tick.setInterval(self.TICK_MS)
        self._tick.timeout.connect(self.load)
        self._tick.start()
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    # -- loading

    def load(self) -> None:
        """Re-read the board in the background (the latest request wins)."""
        if not loop_running():  # built outside the app's loop (a script): read in place
            self.load_now()
            return
        adjacency = self.data.adjacency if self.data is not None else None
        self._task.start(run_read(load_board, self.store, self.now_fn(), adjacency), self._on_loaded)

    def showEvent(self, event: QEvent) -> None:  # Qt override
        super().showEvent(event)
        if self.data is None and not self._task.running:
            self.load()  # a host that only shows the widget (the wall screen) gets it filled

    def load_now(self) -> None:
        """Read synchronously (tests, screenshots)."""
        adjacency = self.data.adjacency if self.data is not None else None
        self._on_loaded(load_board(self.store, self.now_fn(), adjacency))

    async def wait_idle(self) -> None:
        await self._task.wait()
        if self.action_task is not None:
            await self.action_task

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches(*TEAM_TABLES):
            self._debounce.start()

    def _on_loaded(self, data: BoardData) -> None:
        old = self.data
        self.data = data
        self.updated_zones = []
        if not self.cards or (old is not None and [z.zone_id for z in old.zones] != [z.zone_id for z in data.zones]):
            self._build_cards(data)
        for s in data.zones:
            loans = data.loans_of(s.zone_id)
            donor = data.zone(s.lend_suggestion.from_zone_id) if s.lend_suggestion else None
            free = donor.available if donor else None
            card = self.cards[s.zone_id]
            key = (s, tuple(loans), free)
            if card.shown_key == key:
                continue  # this zone did not change: its card is left alone
            card.set_data(s, loans, data.zone_names, free)
            card.shown_key = key
            self.updated_zones.append(s.zone_id)
        busy = [z.name for z in data.zones if z.balance == "busy"]
        idle = [z.name for z in data.zones if z.balance == "idle"]
        total = sum(z.on_duty for z in data.zones)
        text = self.tr("{n} zones · {m} members on duty").format(n=len(data.zones), m=total)
        if busy:
            text += " · " + self.tr("busy: {zones}").format(zones="、".join(busy))
        if idle:
            text += " · " + self.tr("idle: {zones}").format(zones="、".join(idle))
        nobody = [z.name for z in data.zones if z.balance == "unstaffed"]
        if nobody:
            text += " · " + self.tr("nobody on duty: {zones}").format(zones="、".join(nobody))
        self.summary_label.setText(text)
        self.updated_label.setText(self.tr("as of {time}").format(time=labels.when(data.now)))
        self.refresh_count += 1
        self.board_did_refresh.emit(data)

    def _build_cards(self, data: BoardData) -> None:
        for card in self.cards.values():
            card.deleteLater()
        self.cards = {}
        for s in data.zones:
            card = ZoneCard(s.zone_id, read_only=self.read_only, scale=self.scale)
            card.lend_requested.connect(self._on_lend_requested)
            card.lend_dialog_requested.connect(self._on_lend_dialog_requested)
            card.end_loan_requested.connect(self._on_end_loan_requested)
            card.show_on_map_requested.connect(self.show_on_map_requested)
            self.cards[s.zone_id] = card
        self.grid.set_cards(list(self.cards.values()))

    # -- lending

    def _on_lend_requested(self, suggestion: svc.LendSuggestion) -> None:
        until = suggestion.until
        now = self.now_fn()
        if until <= now + timedelta(minutes=5):
            until = now + timedelta(hours=4)
        args = {"member_id": suggestion.member_id, "from_zone_id": suggestion.from_zone_id,
                "to_zone_id": suggestion.to_zone_id, "ends_at": until.isoformat(), "reason": suggestion.reason}
        self.start_action(self.lend(args))

    def _on_lend_dialog_requested(self, from_zone_id: str, suggestion: svc.LendSuggestion | None) -> None:
        self.start_action(self._lend_with_dialog(from_zone_id, suggestion))

    def _on_end_loan_requested(self, loan_id: str) -> None:
        self.start_action(self._perform("member.end_loan", loan_id, {}))

    def lend_dialog(self, from_zone_id: str, suggestion: svc.LendSuggestion | None = None) -> LendDialog:
        """The lend dialog for ``from_zone_id``, prefilled from ``suggestion`` (if any)."""
        assert self.data is not None
        donor = self.data.zone(from_zone_id)
        assert donor is not None
        candidates = [(m.member_id, f"{m.name}（{labels.label(labels.STATUS_LABELS, m.status)}）")
                      for m in donor.members if m.lent_from is None and m.status != "off_duty"]
        targets = [(z, self.data.zone_names.get(z, z)) for z in donor.neighbours]
        targets += [(z.zone_id, z.name) for z in self.data.zones
                    if z.zone_id != from_zone_id and z.zone_id not in donor.neighbours]
        return LendDialog(candidates, (from_zone_id, donor.name), targets,
                          member_id=suggestion.member_id if suggestion else None,
                          to_zone_id=suggestion.to_zone_id if suggestion else None,
                          until=suggestion.until if suggestion else None,
                          reason=suggestion.reason if suggestion else "", now=self.now_fn(), parent=self)

    async def _lend_with_dialog(self, from_zone_id: str, suggestion: svc.LendSuggestion | None) -> None:
        from ui.async_runner import exec_dialog

        dialog = self.lend_dialog(from_zone_id, suggestion)
        self.open_dialog = dialog
        try:
            if await exec_dialog(dialog) == QDialog.DialogCode.Accepted:
                await self.lend(dialog.mutation_args())
        finally:
            self.open_dialog = None

    async def lend(self, args: dict[str, Any]) -> str | None:
        """Perform ``member.lend`` on the writer thread; returns the loan id (None when refused)."""
        loan_id = new_id()
        if await self._perform("member.lend", loan_id, args):
            self.lend_did_finish.emit(loan_id)
            return loan_id
        return None

    async def _perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        return await Operation(self, self.store, self.actor, name, entity_id, args).run() is not None

    def show_refusal(self, message: str) -> None:
        self.error_line.show_message(message)
        self.action_did_fail.emit(message)

    def clear_refusal(self) -> None:
        self.error_line.clear_message()
