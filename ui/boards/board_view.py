"""A module's kanban board (牵头人负责制): four columns, optional swimlanes, the card pane.

Columns 待办 / 进行中 / 待验收 / 已办结; the header of 进行中 shows ``n/limit`` and turns red
over the module's WIP limit. Swimlanes group cards by department or by area (the village
of the linked incident). Each cell is a :class:`CardListView` over a
:class:`~ui.boards.models.CardColumnModel`; cards move by drag and drop, or with
Ctrl+←/→ (one column) and Ctrl+↑/↓ (one place), always through ``card.move`` performed
on the single writer. A move into a full 进行中 asks for a reason and is sent with
``force``. The board reloads from the store's change events (the latest load wins).

The pane on the right shows the selected card: its links (click to open the incident or
the case), what happened to it (conflict notices: a move that lost to someone else's, a
WIP override, a refusal), and its linked command (乡镇吹哨、部门报到): summon, check in,
escalate a missed check-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom import permissions
from commandroom.domain.errors import DomainError, ValidationError
from commandroom.ids import new_id
from commandroom.queries.boards import (
    COLUMNS,
    DONE_DAYS,
    WIP_COLUMN,
    BoardData,
    CardRow,
    CheckinRow,
    ModuleInfo,
    auto_card_plans,
    checkin_rows,
    list_modules,
    load_board,
    next_escalation,
    plan_key_move,
    plan_move,
    summon_targets,
)
from commandroom.timeutil import fmt_local, utcnow
from ui import ui_state
from ui.async_runner import LatestTask, run_read, store_events
from ui.boards import labels
from ui.boards.delegate import CardDelegate, age_colour
from ui.boards.dialogs import CardDialog, ReasonDialog, SummonDialog
from ui.boards.models import CardColumnModel, CheckinModel
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import fit_columns

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

WATCHED = ("task_card", "case_checkin", "conflict_record", "module", "local_outbox", "one_thing_case")


class CardListView(QListView):
    """One board cell: cards top to bottom, drag and drop, Ctrl+arrows move the current card."""

    key_move_requested = Signal(str, int, int)  # card id, dx (columns), dy (places)
    card_selected = Signal(str)

    def __init__(self, model: CardColumnModel, delegate: CardDelegate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BoardCell")
        self.setModel(model)
        self.setItemDelegate(delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(170)
        self.selectionModel().currentChanged.connect(self._on_current_changed)

    def column_model(self) -> CardColumnModel:
        return self.model()  # type: ignore[return-value]

    def current_card(self) -> str | None:
        index = self.currentIndex()
        return self.model().data(index, IdRole) if index.isValid() else None

    def select_card(self, card_id: str) -> bool:
        row = self.column_model().row_of(card_id)
        if row < 0:
            return False
        index = self.model().index(row, 0)
        self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.scrollTo(index)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() in moves:
            card_id = self.current_card()
            if card_id:
                self.key_move_requested.emit(card_id, *moves[Qt.Key(event.key())])
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_current_changed(self, current: Any, _previous: Any) -> None:
        if current.isValid():
            self.card_selected.emit(self.model().data(current, IdRole))

    def content_height(self) -> int:
        """The height that shows every card (swimlane mode: the board scrolls, not the cell)."""
        total = sum(self.sizeHintForRow(r) for r in range(self.model().rowCount())) + 2 * self.frameWidth() + 8
        return max(72, total)


class ColumnHeader(QLabel):
    """"待办 4" / "进行中 6/5" (red over the WIP limit)."""

    def __init__(self, column: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setObjectName("BoardColumnHeader")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.over = False

    def set_count(self, n: int, limit: int | None) -> None:
        name = labels.column_label(self.column)
        if limit:
            self.setText(f"{name}  {n}/{limit}")
            self.over = n > limit
            self.setToolTip(QCoreApplication.translate("Boards", "Work-in-progress limit of the module: {limit}").format(limit=limit))
        else:
            self.setText(f"{name}  {n}")
            self.over = False
        self.setProperty("over", self.over)
        colour = "#c0392b" if self.over else "#2d4f7c"
        self.setStyleSheet(f"QLabel {{ background:{colour}; color:white; font-weight:bold; padding:6px;"
                           f" border-radius:4px; }}")


class CardPanel(QWidget):
    """The selected card: details, links, notices, moves and its linked command."""

    def __init__(self, board: BoardView) -> None:
        super().__init__(board)
        self.board = board
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.title_label = QLabel()
        self.title_label.setObjectName("DetailTitle")
        self.title_label.setWordWrap(True)
        self.meta_label = QLabel()
        self.meta_label.setWordWrap(True)
        self.meta_label.setTextFormat(Qt.TextFormat.RichText)
        self.body_label = QLabel()
        self.body_label.setWordWrap(True)
        self.incident_button = QPushButton()
        self.case_button = QPushButton()
        for b in (self.incident_button, self.case_button):
            b.setFlat(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.setStyleSheet("QPushButton { color:#2d6cc0; text-align:left; text-decoration:underline; }")
        self.incident_button.clicked.connect(self._on_incident_clicked)
        self.case_button.clicked.connect(self._on_case_clicked)
        self.notice_label = QLabel()
        self.notice_label.setObjectName("CardNotice")
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("QLabel { background:#fff4e5; border:1px solid #e8912d; border-radius:4px;"
                                        " padding:6px; color:#7a3e00; }")
        moves = QHBoxLayout()
        self.left_button = QPushButton(self.tr("← Previous column"))
        self.right_button = QPushButton(self.tr("Next column →"))
        self.left_button.setToolTip("Ctrl+←")
        self.right_button.setToolTip("Ctrl+→")
        self.left_button.clicked.connect(lambda: self._move(-1))
        self.right_button.clicked.connect(lambda: self._move(1))
        moves.addWidget(self.left_button)
        moves.addWidget(self.right_button)
        self.command_title = QLabel(self.tr("Linked command (township whistles, departments report)"))
        self.command_title.setObjectName("SectionTitle")
        self.checkin_model = CheckinModel(board.clock, show_source=False, parent=self)
        self.checkin_table = QTableView()
        self.checkin_table.setModel(self.checkin_model)
        self.checkin_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.checkin_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.checkin_table.verticalHeader().hide()
        self.checkin_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.checkin_table.horizontalHeader().setStretchLastSection(True)
        ui_state.remember_table(self.checkin_table, "board-checkins")
        buttons = QHBoxLayout()
        self.summon_button = QPushButton(self.tr("Summon…"))
        self.checkin_button = QPushButton(self.tr("Check in"))
        self.escalate_button = QPushButton(self.tr("Escalate"))
        self.summon_button.clicked.connect(lambda: board.start_action(board.summon_for_card()))
        self.checkin_button.clicked.connect(lambda: board.start_action(board.checkin_selected()))
        self.escalate_button.clicked.connect(lambda: board.start_action(board.escalate_selected()))
        for b in (self.summon_button, self.checkin_button, self.escalate_button):
            buttons.addWidget(b)
        self.empty_label = QLabel(self.tr("Select a card to see its details."))
        self.empty_label.setObjectName("Muted")
        for w in (self.empty_label, self.title_label, self.meta_label, self.body_label, self.incident_button,
                  self.case_button, self.notice_label):
            layout.addWidget(w)
        layout.addLayout(moves)
        layout.addWidget(self.command_title)
        layout.addWidget(self.checkin_table, 1)
        layout.addLayout(buttons)
        self.filler = QWidget()
        layout.addWidget(self.filler, 1)
        self.checkin_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.card: CardRow | None = None
        self.show_card(None)

    def show_card(self, card: CardRow | None) -> None:
        self.card = card
        has = card is not None
        self.empty_label.setVisible(not has)
        self.filler.setVisible(not has)
        for w in (self.title_label, self.meta_label, self.left_button, self.right_button, self.summon_button,
                  self.checkin_table, self.command_title):
            w.setVisible(has)
        if card is None:
            for w in (self.body_label, self.incident_button, self.case_button, self.notice_label):
                w.hide()
            self.checkin_model.set_rows([])
            self._update_buttons()
            return
        self.title_label.setText(card.title)
        meta = [
            QCoreApplication.translate("Boards", "Module: {name}").format(name=card.module_name),
            QCoreApplication.translate("Boards", "Column: {column}").format(column=labels.column_label(card.column)),
        ]
        if card.assignee:
            meta.append(QCoreApplication.translate("Boards", "Assignee: {name}").format(name=card.assignee))
        if card.due_at is not None:
            due = fmt_local(card.due_at)
            text = QCoreApplication.translate("Boards", "Due {when}").format(when=due)
            late = QCoreApplication.translate("Boards", "overdue")
            meta.append(f"<b style='color:#c0392b'>{text}（{late}）</b>" if card.overdue else text)
        age = QCoreApplication.translate("Boards", "{days} days in this column").format(days=f"{card.age_days:.1f}")
        meta.append(f"<span style='color:{age_colour(card.age_days)}'>■</span> {age}")
        if card.auto_source:
            meta.append(QCoreApplication.translate("Boards", "Automatic supervision card: {why}").format(why=labels.auto_label(card.auto_source)))
        if card.dept_lane_label:
            meta.append(QCoreApplication.translate("Boards", "Department: {name}").format(name=card.dept_lane_label))
        self.meta_label.setText("<br>".join(meta))
        self.body_label.setText(card.body)
        self.body_label.setVisible(bool(card.body))
        self.incident_button.setText(QCoreApplication.translate("Boards", "Incident {label}").format(label=card.incident_label))
        self.incident_button.setVisible(bool(card.incident_id))
        self.case_button.setText(QCoreApplication.translate("Boards", "One-thing case {label}").format(label=card.case_label))
        self.case_button.setVisible(bool(card.case_id))
        if card.notices:
            lines = []
            for n in card.notices:
                who = f"{n.by} · " if n.by else ""
                when = fmt_local(n.at, "%m-%d %H:%M") if n.at else ""
                lines.append(f"<b>{labels.rule_label(n.rule)}</b>（{who}{when}）<br>{n.explanation}")
            self.notice_label.setText("<br><br>".join(lines))
            self.notice_label.show()
        else:
            self.notice_label.hide()
        k = COLUMNS.index(card.column) if card.column in COLUMNS else 0
        self.left_button.setEnabled(k > 0)
        self.right_button.setEnabled(k < len(COLUMNS) - 1)
        self._update_buttons()

    def set_checkins(self, rows: list[CheckinRow]) -> None:
        self.checkin_model.set_rows(rows)
        fit_columns(self.checkin_table)
        self._update_buttons()

    def selected_checkin(self) -> CheckinRow | None:
        sel = self.checkin_table.selectionModel().selectedRows()
        if not sel:
            return None
        return self.checkin_model.row_by_id(self.checkin_model.data(sel[0], IdRole))

    def _update_buttons(self, *_: Any) -> None:
        row = self.selected_checkin()
        self.checkin_button.setVisible(self.card is not None)
        self.escalate_button.setVisible(self.card is not None)
        self.checkin_button.setEnabled(row is not None and row.checked_in_at is None
                                       and permissions.may_on(self.board.actor, "checkin", "case_checkin", row))
        self.escalate_button.setEnabled(row is not None and row.outcome == "missed"
                                        and next_escalation(row) is not None)

    def _move(self, dx: int) -> None:
        if self.card is not None:
            self.board.request_key_move(self.card.id, dx, 0)

    def _on_incident_clicked(self) -> None:
        if self.card is not None and self.card.incident_id:
            self.board.incident_requested.emit(self.card.incident_id, self.card.incident_label)

    def _on_case_clicked(self) -> None:
        if self.card is not None and self.card.case_id:
            self.board.case_requested.emit(self.card.case_id)


class BoardView(ActionHostMixin, QWidget):
    """The board of one module (chosen in the combo), with swimlanes and the card pane.

    Args:
        store: the workstation's DeskStore.
        actor: who acts.
        township_codes: the townships in scope (None: the whole county).
        clock: the current time (naive UTC); tests and screenshots freeze it.
    """

    incident_requested = Signal(str, str)  # incident id, "number title"
    case_requested = Signal(str)
    board_did_load = Signal()
    action_did_finish = Signal(str, str)  # mutation name, entity id

    def __init__(self, store: Store, actor: Actor, township_codes: list[str] | None,
                 clock: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.township_codes = township_codes
        self.clock = clock or utcnow
        self.modules: list[ModuleInfo] = []
        self.board: BoardData | None = None
        self.lane_mode = ""
        self.selected_card: str | None = None
        self._pending_select: str | None = None
        self.cells: dict[tuple[str, str], CardListView] = {}
        self.headers: dict[str, ColumnHeader] = {}
        self._lanes: list[tuple[str, str]] = []
        self.action_task: asyncio.Task | None = None
        self.open_dialog: Any = None
        self.delegate = CardDelegate(self)
        self._load_task = LatestTask("board")
        self._checkin_task = LatestTask("card-checkins")

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        self.module_combo = QComboBox()
        self.module_combo.setMinimumWidth(220)
        self.lane_combo = QComboBox()
        for mode in ("", "department", "zone"):
            self.lane_combo.addItem(labels.lane_mode_label(mode), mode)
        self.new_button = QPushButton(self.tr("New card…"))
        self.auto_button = QPushButton(self.tr("Generate supervision cards"))
        self.auto_button.setToolTip(self.tr("A card for every overdue incident and every missed check-in that has "
                                            "none yet (running it twice creates nothing new)"))
        self.lead_label = QLabel()
        self.lead_label.setObjectName("Muted")
        bar.addWidget(QLabel(self.tr("Module")))
        bar.addWidget(self.module_combo)
        bar.addWidget(self.lane_combo)
        bar.addWidget(self.lead_label, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.auto_button)
        outer.addLayout(bar)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        outer.addWidget(self.message_label)
        self.hint_label = QLabel(self.tr("Drag cards between columns, or select one and press Ctrl+←/→ to move it "
                                         "a column, Ctrl+↑/↓ to reorder. The strip on the left of a card darkens "
                                         "as it ages in its column."))
        self.hint_label.setObjectName("Muted")
        self.hint_label.setWordWrap(True)
        outer.addWidget(self.hint_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(6)
        self.scroll.setWidget(self.grid_host)
        splitter.addWidget(self.scroll)
        self.panel = CardPanel(self)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1040, 370])
        ui_state.remember_splitter(splitter, "board")
        outer.addWidget(splitter, 1)

        self.module_combo.currentIndexChanged.connect(self._on_module_changed)
        self.lane_combo.currentIndexChanged.connect(self._on_lane_mode_changed)
        self.new_button.clicked.connect(lambda: self.start_action(self.new_card()))
        self.auto_button.clicked.connect(lambda: self.start_action(self.generate_auto_cards()))
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(120)
        self._reload_timer.timeout.connect(self.load)
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)
        self._tick.timeout.connect(self.panel.checkin_model.repaint_all)
        self._tick.start()
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self.reload_modules()

    # -- modules and loading

    def reload_modules(self) -> None:
        self.modules = list_modules(self.store, self.township_codes)
        current = self.module_combo.currentData()
        self.module_combo.blockSignals(True)
        self.module_combo.clear()
        for m in self.modules:
            name = m.name if self.township_codes is not None and len(self.township_codes) == 1 else \
                f"{m.township_name} · {m.name}"
            self.module_combo.addItem(name, m.id)
        self.module_combo.blockSignals(False)
        index = self.module_combo.findData(current) if current else -1
        if index < 0:
            index = self._default_module_index()
        if index >= 0:
            self.module_combo.setCurrentIndex(index)
            self._on_module_changed(index)

    def _default_module_index(self) -> int:
        """The module the signed-in lead leads, else the first."""
        uid = self.actor.user_id
        name = self.actor.name or ""
        for k, m in enumerate(self.modules):
            lead = m.lead_name.split("(")[0].strip()
            if (uid and m.lead_user_id == uid) or (lead and lead in name):
                return k
        for k, m in enumerate(self.modules):  # "球川平安法治模块 陈伟": the module named in the account
            if m.name and m.name in name:
                return k
        return 0 if self.modules else -1

    @property
    def module_id(self) -> str | None:
        return self.module_combo.currentData()

    def set_module(self, module_id: str) -> bool:
        index = self.module_combo.findData(module_id)
        if index < 0:
            return False
        self.module_combo.setCurrentIndex(index)
        return True

    def _on_module_changed(self, _index: int) -> None:
        self.selected_card = None
        self.board = None
        self.load()

    def _on_lane_mode_changed(self, _index: int) -> None:
        self.lane_mode = self.lane_combo.currentData() or ""
        if self.board is not None:
            self._apply(self.board)

    def load(self) -> None:
        module_id = self.module_id
        if not module_id:
            return
        self._load_task.start(run_read(load_board, self.store, module_id, self.clock()), self._apply)

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("module") and not self.modules:
            self.reload_modules()
        if changes.touches(*WATCHED):
            self._reload_timer.start()

    async def wait_idle(self) -> None:
        """Wait for the running load, action and check-in reads (tests)."""
        for _ in range(3):
            if self.action_task is not None and not self.action_task.done():
                await self.action_task
            await self._load_task.wait()
            await self._checkin_task.wait()
            if self._reload_timer.isActive():
                self._reload_timer.stop()
                self.load()
                await self._load_task.wait()

    # -- the grid

    def _apply(self, board: BoardData | None) -> None:
        if board is None or board.module.id != self.module_id:
            return
        self.board = board
        module = board.module
        lead = QCoreApplication.translate("Boards", "Lead: {name}").format(name=module.lead_name) if module.lead_name else ""
        self.lead_label.setText(f"{module.township_name} · {lead}")
        lanes = board.lanes(self.lane_mode)
        if lanes != self._lanes or not self.cells:
            self._build_grid(lanes)
        for (lane, column), view in self.cells.items():
            view.column_model().set_rows([board.cards[i] for i in board.column_ids(column, self.lane_mode, lane)])
        if self.lane_mode:
            for lane, _label in self._lanes:
                height = max(self.cells[(lane, c)].content_height() for c in COLUMNS)
                for c in COLUMNS:
                    self.cells[(lane, c)].setFixedHeight(height)
        for column, header in self.headers.items():
            header.set_count(board.count(column), module.wip_limit if column == WIP_COLUMN else None)
        if board.hidden_done:
            self.headers["done"].setToolTip(QCoreApplication.translate("Boards", "Cards done more than {days} days ago are not shown ({n})")
                                            .format(days=DONE_DAYS, n=board.hidden_done))
        if self._pending_select in board.cards:
            self.selected_card, self._pending_select = self._pending_select, None
        card = board.cards.get(self.selected_card or "")
        if card is None:
            self.selected_card = None
        self.panel.show_card(card)
        if card is not None:
            self._reselect(card.id)
            self._load_checkins(card.id)
        self.board_did_load.emit()

    def show_card(self, module_id: str, card_id: str) -> None:
        """Show ``card_id`` on the board of ``module_id`` (from "my tasks" or linked command)."""
        if self.module_id == module_id and self.board is not None and card_id in self.board.cards:
            self.select_card(card_id)
            return
        self._pending_select = card_id
        if self.module_id == module_id:
            self.load()
        else:
            self.set_module(module_id)

    def _build_grid(self, lanes: list[tuple[str, str]]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        self.cells.clear()
        self.headers.clear()
        self._lanes = lanes
        for c, column in enumerate(COLUMNS):
            header = ColumnHeader(column)
            self.headers[column] = header
            self.grid.addWidget(header, 0, c)
            self.grid.setColumnStretch(c, 1)
        row = 1
        for lane, label in lanes:
            if self.lane_mode:
                lane_label = QLabel(label or QCoreApplication.translate("Boards", "(none)"))
                lane_label.setObjectName("SectionTitle")
                lane_label.setStyleSheet("QLabel { border-bottom:1px solid #c9d3df; padding-top:6px; }")
                self.grid.addWidget(lane_label, row, 0, 1, len(COLUMNS))
                row += 1
            for c, column in enumerate(COLUMNS):
                model = CardColumnModel(column, lane, self)
                model.move_requested.connect(self._on_move_requested)
                view = CardListView(model, self.delegate)
                view.key_move_requested.connect(self.request_key_move)
                view.card_selected.connect(self._on_card_selected)
                if not self.lane_mode:
                    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
                self.cells[(lane, column)] = view
                self.grid.addWidget(view, row, c)
            if not self.lane_mode:
                self.grid.setRowStretch(row, 1)
            row += 1
        if self.lane_mode:
            spacer = QFrame()
            self.grid.addWidget(spacer, row, 0)
            self.grid.setRowStretch(row, 1)

    def cell(self, column: str, lane: str = "") -> CardListView:
        return self.cells[(lane, column)]

    def view_of_card(self, card_id: str) -> CardListView | None:
        for view in self.cells.values():
            if view.column_model().row_of(card_id) >= 0:
                return view
        return None

    def _reselect(self, card_id: str) -> None:
        view = self.view_of_card(card_id)
        if view is None:
            return
        for other in self.cells.values():
            if other is not view:
                other.selectionModel().blockSignals(True)
                other.clearSelection()
                other.selectionModel().clearCurrentIndex()
                other.selectionModel().blockSignals(False)
        view.selectionModel().blockSignals(True)
        view.select_card(card_id)
        view.selectionModel().blockSignals(False)

    def select_card(self, card_id: str) -> bool:
        """Select ``card_id`` on the board (after a load) and give its cell the focus."""
        view = self.view_of_card(card_id)
        if view is None:
            return False
        view.select_card(card_id)
        view.setFocus()
        self._on_card_selected(card_id)
        return True

    def _on_card_selected(self, card_id: str) -> None:
        self.selected_card = card_id
        sender = self.view_of_card(card_id)
        for view in self.cells.values():
            if view is not sender and view.selectionModel().hasSelection():
                view.selectionModel().blockSignals(True)
                view.clearSelection()
                view.selectionModel().blockSignals(False)
        card = self.board.cards.get(card_id) if self.board else None
        self.panel.show_card(card)
        if card is not None:
            self._load_checkins(card_id)

    def _load_checkins(self, card_id: str) -> None:
        self._checkin_task.start(run_read(checkin_rows, self.store, self.clock(), card_id=card_id),
                                 self.panel.set_checkins)

    # -- actions

    async def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        """Perform a mutation on the writer thread; show a refusal above the board."""
        if await Operation(self, self.store, self.actor, name, entity_id, args).run() is None:
            return False
        self.action_did_finish.emit(name, entity_id)
        return True

    def show_refusal(self, message: str) -> None:
        self.show_message(message, error=True)

    def clear_refusal(self) -> None:
        self.clear_message()

    def show_message(self, text: str, *, error: bool = False) -> None:
        colour = "#c0392b" if error else "#1e7b34"
        self.message_label.setStyleSheet(f"QLabel {{ color:{colour}; font-weight:bold; }}")
        self.message_label.setText(text)
        self.message_label.show()

    def clear_message(self) -> None:
        self.message_label.clear()
        self.message_label.hide()

    def _on_move_requested(self, card_id: str, column: str, lane: str, row: int) -> None:
        if self.board is None or card_id not in self.board.cards:
            return
        neighbours = self.board.column_ids(column, self.lane_mode, lane)
        self.start_action(self.move(plan_move(self.board, card_id, column, neighbours, row)))

    def request_key_move(self, card_id: str, dx: int, dy: int) -> None:
        if self.board is None:
            return
        plan = plan_key_move(self.board, card_id, self.lane_mode, dx, dy)
        if plan is not None:
            self.selected_card = card_id
            self.start_action(self.move(plan))

    async def move(self, plan: Any) -> bool:
        """Perform the planned ``card.move``; ask for a reason first when 进行中 is full."""
        if plan.noop or self.board is None:
            return False
        args = dict(plan.args)
        card = self.board.cards[plan.card_id]
        if plan.needs_reason:
            reason = await self.ask_wip_reason(card, plan.wip_count, plan.wip_limit)
            if reason is None:
                return False
            args.update(force=True, reason=reason)
        self.selected_card = plan.card_id
        def wip_full(exc: DomainError) -> bool:
            # the limit was reached meanwhile (another card moved in): asked below, not shown
            return isinstance(exc, ValidationError) and exc.field == "column" and not args.get("force")

        move = Operation(self, self.store, self.actor, "card.move", plan.card_id, args).handled_by(wip_full)
        if await move.run() is None:
            if move.refusal is None or not wip_full(move.refusal):
                return False
            reason = await self.ask_wip_reason(card, plan.wip_limit, plan.wip_limit)
            if reason is None:
                return False
            return await self.perform("card.move", plan.card_id, {**args, "force": True, "reason": reason})
        self.action_did_finish.emit("card.move", plan.card_id)
        return True

    async def ask_wip_reason(self, card: CardRow, n: int, limit: int) -> str | None:
        dialog = ReasonDialog(
            self.tr("Over the work-in-progress limit"),
            self.tr("“In progress” already holds {n} cards; the module's limit is {limit}. Finish or move one "
                    "out first, or give the reason for going over the limit (it is recorded).").format(
                n=n, limit=limit),
            self, card.title)
        if not await self._dialog(dialog):
            return None
        return dialog.reason()

    async def new_card(self) -> bool:
        if self.board is None:
            return False
        targets = await run_read(summon_targets, self.store, self.board.module.township_code)
        departments = [(t.code, t.label) for t in targets if t.kind == "department"]
        dialog = CardDialog(self.board.module.name, list(self.board.module.members), departments, self)
        if not await self._dialog(dialog):
            return False
        card_id = new_id()
        self.selected_card = card_id
        return await self.perform("card.create", card_id, dialog.mutation_args(self.board.module.id))

    async def generate_auto_cards(self) -> int:
        township = self.board.module.township_code if self.board else None
        made = 0
        for plan in await run_read(auto_card_plans, self.store, self.clock(), township):
            if await Operation(self, self.store, self.actor, plan.name, plan.entity_id, plan.args).run() is None:
                return 0
            made += 1
        if made:
            self.show_message(QCoreApplication.translate("Boards", "{n} supervision cards created.").format(n=made))
        else:
            self.show_message(QCoreApplication.translate("Boards", "Every overdue incident and missed check-in already has its card."))
        return made

    async def summon_for_card(self) -> bool:
        card = self.panel.card
        if card is None or self.board is None:
            return False
        targets = await run_read(summon_targets, self.store, card.township_code, exclude_module=card.module_id)
        dialog = SummonDialog(targets, self, card.title)
        if not await self._dialog(dialog):
            return False
        ok = await self.perform("summon", new_id(), {"card_id": card.id, **dialog.mutation_args()})
        if ok:
            self._load_checkins(card.id)
        return ok

    async def checkin_selected(self) -> bool:
        row = self.panel.selected_checkin()
        if row is None:
            return False
        ok = await self.perform("checkin", row.id, {})
        if ok and self.panel.card is not None:
            self._load_checkins(self.panel.card.id)
        return ok

    async def escalate_selected(self) -> bool:
        row = self.panel.selected_checkin()
        level = next_escalation(row) if row is not None else None
        if row is None or level is None:
            return False
        ok = await self.perform("checkin.escalate", row.id, {"level": level})
        if ok and self.panel.card is not None:
            self._load_checkins(self.panel.card.id)
        return ok
