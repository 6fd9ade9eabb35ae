"""Teams and members: one zone's enforcement team as a lazy table over member ids.

Columns: name, origin (县综合行政执法局/市场监管/乡镇持证干部/其他部门), auxiliary, certificate
number and expiry (amber within 30 days, red once expired), capability tags, live status,
phone (masked unless the signed-in user is a team leader or an administrator), current
dispatches and a running loan. Sorting runs in SQL (:func:`commandroom.queries.zones.member_ids`).

The status cell is edited in place (a combo box); "Status and position…" also moves the
member's last known position to a township seat or a village. Both perform
``member.set_status`` on the writer thread; the table follows through the store's change
events like every other view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.zones import MEMBER_SORT_KEYS, MemberRow, Place, member_ids, member_rows, zone_places
from commandroom.services import teams as svc
from commandroom.timeutil import utcnow
from ui import ui_state
from ui.async_runner import LatestTask, exec_dialog, run_read, store_events
from ui.common.id_model import IdRole, IdTableModel
from ui.common.operations import ActionHostMixin, Operation
from ui.zones import labels
from ui.zones.labels import zt
from ui.zones.widgets import ErrorLine

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    ("name", QT_TRANSLATE_NOOP("Zones", "Name")),
    ("origin", QT_TRANSLATE_NOOP("Zones", "Origin")),
    ("auxiliary", QT_TRANSLATE_NOOP("Zones", "Auxiliary")),
    ("cert_no", QT_TRANSLATE_NOOP("Zones", "Certificate no.")),
    ("cert_expiry", QT_TRANSLATE_NOOP("Zones", "Certificate expiry")),
    ("capabilities", QT_TRANSLATE_NOOP("Zones", "Capabilities")),
    ("status", QT_TRANSLATE_NOOP("Zones", "Status")),
    ("phone", QT_TRANSLATE_NOOP("Zones", "Phone")),
    ("dispatches", QT_TRANSLATE_NOOP("Zones", "Current dispatches")),
    ("loan", QT_TRANSLATE_NOOP("Zones", "Loan")),
)
COL = {key: i for i, (key, _t) in enumerate(COLUMNS)}
STATUS_COLUMN = COL["status"]
FULL_PHONE_ROLES = ("team_leader", "admin")
StatusRole = Qt.ItemDataRole.UserRole + 2


class MemberTableModel(IdTableModel):
    """A zone's team members (ids from SQL, rows fetched lazily, see the module doc).

    Args:
        store: the DeskStore.
        show_full_phone: whether phone numbers are shown unmasked.
        now_fn: the clock (certificate warnings, running loans).
    """

    status_change_requested = Signal(str, str)  # member id, status

    def __init__(self, store: Store, *, show_full_phone: bool = False, now_fn: Callable[[], datetime] = utcnow,
                 parent: Any = None) -> None:
        self.store = store
        self.now_fn = now_fn
        self.show_full_phone = show_full_phone
        super().__init__(self._fetch, parent)

    def _fetch(self, ids: list[str]) -> dict[str, MemberRow]:
        now = self.now_fn()
        return member_rows(self.store, ids, svc.shanghai_date(now), now)

    def column_titles(self) -> list[str]:
        return [zt(t) for _k, t in COLUMNS]

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == STATUS_COLUMN:
            # the status is a named mutation too: setData only asks the view to perform it
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != STATUS_COLUMN or role != Qt.ItemDataRole.EditRole:
            return False
        member_id = self.id_at(index.row())
        row = self.row_for(index.row())
        if member_id is None or row is None or value not in labels.STATUS_LABELS or value == row.status:
            return False
        self.status_change_requested.emit(member_id, str(value))
        return False  # the cell changes when the store says so

    def display(self, row: MemberRow, column: int, role: int) -> Any:
        key = COLUMNS[column][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, key)
        if role == Qt.ItemDataRole.EditRole:
            return row.status if key == "status" else self._text(row, key)
        if role == StatusRole:
            return row.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key)
        if role == Qt.ItemDataRole.BackgroundRole:
            if key in ("cert_no", "cert_expiry") and not row.is_auxiliary and row.cert_state in labels.CERT_COLOURS:
                return QBrush(QColor(labels.CERT_COLOURS[row.cert_state]))
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "status":
                return QBrush(QColor(labels.STATUS_COLOURS.get(row.status, "#333333")))
            if key in ("cert_no", "cert_expiry") and row.cert_state in labels.CERT_TEXT_COLOURS \
                    and not row.is_auxiliary:
                return QBrush(QColor(labels.CERT_TEXT_COLOURS[row.cert_state]))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("auxiliary", "status"):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _text(self, row: MemberRow, key: str) -> str:
        if key == "name":
            return row.name
        if key == "origin":
            origin = labels.label(labels.ORIGIN_LABELS, row.origin)
            if row.origin == "other_department" and row.origin_department:
                return f"{origin}（{row.origin_department}）"
            return origin
        if key == "auxiliary":
            return "✓" if row.is_auxiliary else ""
        if key == "cert_no":
            return row.cert_no or ("—" if row.is_auxiliary else QCoreApplication.translate("Zones", "none"))
        if key == "cert_expiry":
            if row.cert_expiry is None:
                return "—"
            state = ""
            if row.cert_state == "expired":
                state = " " + QCoreApplication.translate("Zones", "(expired)")
            elif row.cert_state == "expiring":
                days = (row.cert_expiry - svc.shanghai_date(self.now_fn())).days
                state = " " + QCoreApplication.translate("Zones", "({n} days left)").format(n=days)
            return row.cert_expiry.isoformat() + state
        if key == "capabilities":
            return "、".join(row.capabilities)
        if key == "status":
            return labels.label(labels.STATUS_LABELS, row.status)
        if key == "phone":
            return row.phone if self.show_full_phone else labels.mask_phone(row.phone)
        if key == "dispatches":
            if not row.dispatches:
                return ""
            numbers = ", ".join(d.number or d.incident_id[:8] for d in row.dispatches[:3])
            more = "…" if len(row.dispatches) > 3 else ""
            return f"{len(row.dispatches)}：{numbers}{more}"
        if key == "loan":
            if row.loan_to:
                return QCoreApplication.translate("Zones", "lent to {zone} until {until}").format(zone=row.loan_to, until=labels.when(row.loan_ends_at))
            return ""
        return ""

    def _tooltip(self, row: MemberRow, key: str) -> str | None:
        if key in ("cert_no", "cert_expiry") and not row.is_auxiliary:
            return labels.label(labels.CERT_LABELS, row.cert_state)
        if key == "dispatches" and row.dispatches:
            return "\n".join(
                f"{d.number} {d.title} · {labels.label(labels.DISPATCH_STATE_LABELS, d.state)}"
                + (f" · {zt('lead')}" if d.lead else "") for d in row.dispatches)
        if key == "status" and row.status_at is not None:
            return QCoreApplication.translate("Zones", "since {time}").format(time=labels.when(row.status_at))
        if key == "phone" and not self.show_full_phone:
            return QCoreApplication.translate("Zones", "Full numbers are shown to team leaders")
        return None


class StatusDelegate(QStyledItemDelegate):
    """A combo box of the four statuses for the status column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        combo = QComboBox(parent)
        for value in labels.STATUS_ORDER:
            combo.addItem(labels.label(labels.STATUS_LABELS, value), value)
        return combo

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        value = index.data(StatusRole)
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(self, editor: QWidget, model: Any, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class StatusDialog(QDialog):
    """Set a member's status and, optionally, their position (a township seat or a village)."""

    def __init__(self, name: str, status: str, places: list[Place], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Status and position"))
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        head = QLabel(name)
        head.setObjectName("SectionTitle")
        layout.addWidget(head)
        form = QFormLayout()
        self.status_combo = QComboBox()
        for value in labels.STATUS_ORDER:
            self.status_combo.addItem(labels.label(labels.STATUS_LABELS, value), value)
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(status)))
        form.addRow(self.tr("Status"), self.status_combo)
        self.place_combo = QComboBox()
        self.place_combo.addItem(self.tr("(position unchanged)"), None)
        for p in places:
            self.place_combo.addItem(p.label, (p.lat, p.lon))
        form.addRow(self.tr("Position"), self.place_combo)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def mutation_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"status": self.status_combo.currentData()}
        place = self.place_combo.currentData()
        if place:
            args["lat"], args["lon"] = float(place[0]), float(place[1])
        return args


class MembersView(ActionHostMixin, QWidget):
    """One zone's team table with status editing (see the module doc)."""

    action_did_fail = Signal(str)
    action_did_finish = Signal(str, str)  # mutation, member id

    def __init__(self, store: Store, actor: Actor, *, now_fn: Callable[[], datetime] = utcnow,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.zone_id: str | None = None
        self.sort_key = "name"
        self.descending = False
        self.open_dialog: QDialog | None = None
        self.action_task: Any = None
        self._ids_task = LatestTask("zone-members")
        role = actor.role
        self.model = MemberTableModel(store, show_full_phone=role in FULL_PHONE_ROLES, now_fn=now_fn, parent=self)
        self.model.status_change_requested.connect(self._on_status_change_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        bar = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setObjectName("SectionTitle")
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        legend = QLabel(self.tr("Certificates: <span style='background:#fad7a0'>&nbsp;expires within 30 days&nbsp;"
                                "</span> <span style='background:#f5b7b1'>&nbsp;expired&nbsp;</span>"))
        legend.setObjectName("Muted")
        bar.addWidget(legend)
        self.status_button = QPushButton(self.tr("Status and position…"))
        self.status_button.clicked.connect(self._on_status_button_clicked)
        bar.addWidget(self.status_button)
        layout.addLayout(bar)
        self.error_line = ErrorLine()
        layout.addWidget(self.error_line)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(STATUS_COLUMN, StatusDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._on_sort_changed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for key, width in (("name", 80), ("origin", 190), ("auxiliary", 76), ("cert_no", 150),
                           ("cert_expiry", 200), ("capabilities", 250), ("status", 70), ("phone", 120),
                           ("dispatches", 240)):
            self.table.setColumnWidth(COL[key], width)
        ui_state.remember_table(self.table, "zone-members")  # after the defaults: the officer's widths win
        layout.addWidget(self.table, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.reload)
        self._pending_ids: set[str] = set()
        self._pending_all = False
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    # -- loading

    def set_zone(self, zone_id: str) -> None:
        if zone_id != self.zone_id:
            self.zone_id = zone_id
            self.model.set_ids([])
            self.reload()

    def reload(self) -> None:
        if self.zone_id is None:
            return
        self._ids_task.start(run_read(member_ids, self.store, self.zone_id, self.sort_key, self.descending),
                             self._on_ids_loaded)

    def load_now(self) -> None:
        assert self.zone_id is not None
        self._on_ids_loaded(member_ids(self.store, self.zone_id, self.sort_key, self.descending))

    async def wait_idle(self) -> None:
        await self._ids_task.wait()
        if self.action_task is not None:
            await self.action_task

    def _on_ids_loaded(self, ids: list[str]) -> None:
        self.model.set_ids(ids)
        if self._pending_all:
            self.model.clear_cache()
        elif self._pending_ids:
            self.model.invalidate(self._pending_ids)
        self._pending_all = False
        self._pending_ids = set()
        n_aux = sum(1 for i in range(self.model.rowCount()) if (r := self.model.row_for(i)) and r.is_auxiliary)
        self.count_label.setText(self.tr("{n} members ({m} enforcement officers + {a} auxiliaries)").format(
            n=len(ids), m=len(ids) - n_aux, a=n_aux))

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("dispatch", "member_loan", "incident"):
            self._pending_all = True
        if changes.touches("team_member"):
            self._pending_ids |= set(changes.ids("team_member"))
        if changes.touches("team_member", "dispatch", "member_loan", "incident"):
            self._debounce.start()

    def _on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        self.sort_key = MEMBER_SORT_KEYS[column] if 0 <= column < len(MEMBER_SORT_KEYS) else "name"
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # -- status

    def selected_member_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(IdRole) if rows else None

    def select_member(self, member_id: str) -> None:
        row = self.model.row_of(member_id)
        if row >= 0:
            self.table.selectRow(row)

    def _on_status_change_requested(self, member_id: str, status: str) -> None:
        self.start_action(self.set_status(member_id, {"status": status}))

    def _on_status_button_clicked(self) -> None:
        member_id = self.selected_member_id()
        if member_id is None:
            self.error_line.show_message(self.tr("Select a member first."))
            return
        self.start_action(self._status_with_dialog(member_id))

    async def _status_with_dialog(self, member_id: str) -> None:
        row = self.model.row_for(self.model.row_of(member_id))
        places = await run_read(zone_places, self.store, row.zone_id)
        dialog = StatusDialog(row.name, row.status, places, parent=self)
        self.open_dialog = dialog
        try:
            if await exec_dialog(dialog) == QDialog.DialogCode.Accepted:
                await self.set_status(member_id, dialog.mutation_args())
        finally:
            self.open_dialog = None

    async def set_status(self, member_id: str, args: dict[str, Any]) -> bool:
        """Perform ``member.set_status`` on the writer thread."""
        if await Operation(self, self.store, self.actor, "member.set_status", member_id, args).run() is None:
            return False
        self.action_did_finish.emit("member.set_status", member_id)
        return True

    def show_refusal(self, message: str) -> None:
        self.error_line.show_message(message)
        self.action_did_fail.emit(message)

    def clear_refusal(self) -> None:
        self.error_line.clear_message()
