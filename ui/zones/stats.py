"""Response-time statistics per zone and per member: median and p90 minutes from assignment to
acknowledgement, to on scene and to done (the core's :func:`commandroom.services.teams.response_times`),
over the last 7 / 30 / 90 days, with an export to Excel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.zones import StatsData, load_stats
from commandroom.services.teams import ResponseStats
from commandroom.timeutil import utcnow
from ui import ui_state
from ui.async_runner import LatestTask, run_read, spawn, store_events
from ui.zones import labels
from ui.zones.export import export_stats_xlsx
from ui.zones.labels import zt

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    QT_TRANSLATE_NOOP("Zones", "Name"),
    QT_TRANSLATE_NOOP("Zones", "Zone"),
    QT_TRANSLATE_NOOP("Zones", "Dispatches"),
    QT_TRANSLATE_NOOP("Zones", "Acknowledge median"),
    QT_TRANSLATE_NOOP("Zones", "Acknowledge p90"),
    QT_TRANSLATE_NOOP("Zones", "On scene median"),
    QT_TRANSLATE_NOOP("Zones", "On scene p90"),
    QT_TRANSLATE_NOOP("Zones", "Done median"),
    QT_TRANSLATE_NOOP("Zones", "Done p90"),
)
PERIODS = (
    (7, QT_TRANSLATE_NOOP("Zones", "Last 7 days")),
    (30, QT_TRANSLATE_NOOP("Zones", "Last 30 days")),
    (90, QT_TRANSLATE_NOOP("Zones", "Last 90 days")),
    (0, QT_TRANSLATE_NOOP("Zones", "All time")),
)


class ResponseStatsModel(QAbstractTableModel):
    """Rows of :class:`ResponseStats`; ``with_zone`` adds the member's zone column."""

    def __init__(self, *, with_zone: bool, parent: Any = None) -> None:
        super().__init__(parent)
        self.with_zone = with_zone
        self.rows: list[ResponseStats] = []
        self.member_zone: dict[str, str] = {}

    def _columns(self) -> list[str]:
        return [c for c in COLUMNS if self.with_zone or c != "Zone"]

    def set_rows(self, rows: list[ResponseStats], member_zone: dict[str, str] | None = None) -> None:
        self.beginResetModel()  # a new period or a recount: the whole table is new
        self.rows = list(rows)
        self.member_zone = dict(member_zone or {})
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns())

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cols = self._columns()
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(cols):
            return zt(cols[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        s = self.rows[index.row()]
        key = self._columns()[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = {
                "Name": s.name, "Zone": self.member_zone.get(s.key, ""), "Dispatches": str(s.dispatches),
                "Acknowledge median": labels.minutes_text(s.acknowledged.median_min),
                "Acknowledge p90": labels.minutes_text(s.acknowledged.p90_min),
                "On scene median": labels.minutes_text(s.on_scene.median_min),
                "On scene p90": labels.minutes_text(s.on_scene.p90_min),
                "Done median": labels.minutes_text(s.done.median_min),
                "Done p90": labels.minutes_text(s.done.p90_min),
            }
            return values[key]
        if role == Qt.ItemDataRole.UserRole:
            return s.key
        if role == Qt.ItemDataRole.TextAlignmentRole and key not in ("Name", "Zone"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class StatsView(QWidget):
    """Two tables (zones, members of the selected zone) and a period chooser (see the module doc)."""

    stats_did_load = Signal(object)

    def __init__(self, store: Store, *, now_fn: Callable[[], datetime] = utcnow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.now_fn = now_fn
        self.zone_name: str | None = None
        self.data: StatsData | None = None
        self.export_task: Any = None
        self._task = LatestTask("zone-stats")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        bar = QHBoxLayout()
        title = QLabel(self.tr("Response times of team dispatches (from assignment)"))
        title.setObjectName("SectionTitle")
        bar.addWidget(title)
        bar.addStretch(1)
        self.period_combo = QComboBox()
        for days, text in PERIODS:
            self.period_combo.addItem(zt(text), days)
        self.period_combo.setCurrentIndex(1)
        bar.addWidget(self.period_combo)
        self.export_button = QPushButton(self.tr("Export to Excel…"))
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        self.zone_model = ResponseStatsModel(with_zone=False, parent=self)
        self.member_model = ResponseStatsModel(with_zone=True, parent=self)
        layout.addWidget(QLabel(self.tr("Per zone")))
        self.zone_table = self._table(self.zone_model)
        self.zone_table.setMaximumHeight(260)
        layout.addWidget(self.zone_table)
        self.members_title = QLabel(self.tr("Per member"))
        layout.addWidget(self.members_title)
        self.member_table = self._table(self.member_model)
        ui_state.remember_table(self.zone_table, "zone-stats-zones")
        ui_state.remember_table(self.member_table, "zone-stats-members")
        layout.addWidget(self.member_table, 1)
        self.export_label = QLabel()
        self.export_label.setObjectName("Muted")
        layout.addWidget(self.export_label)
        self.period_combo.currentIndexChanged.connect(self.reload)
        self.export_button.clicked.connect(self._on_export_clicked)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(1000)
        self._debounce.timeout.connect(self.reload)
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    def _table(self, model: QAbstractTableModel) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table

    def set_zone_name(self, zone_name: str | None) -> None:
        """Limit the member table to the members of the zone called ``zone_name`` (None: all)."""
        self.zone_name = zone_name
        self.members_title.setText(self.tr("Per member: {zone}").format(zone=zone_name) if zone_name
                                   else self.tr("Per member"))
        if self.data is not None:
            self._show(self.data)

    def period(self) -> tuple[datetime | None, datetime | None]:
        days = self.period_combo.currentData() or 0
        now = self.now_fn()
        return (now - timedelta(days=days) if days else None), None

    def reload(self) -> None:
        since, until = self.period()
        self._task.start(run_read(load_stats, self.store, since, until), self._show)

    def load_now(self) -> None:
        since, until = self.period()
        self._show(load_stats(self.store, since, until))

    async def wait_idle(self) -> None:
        await self._task.wait()
        if self.export_task is not None:
            await self.export_task

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches("dispatch"):
            self._debounce.start()

    def _show(self, data: StatsData) -> None:
        self.data = data
        self.zone_model.set_rows(data.zones)
        members = [s for s in data.members
                   if self.zone_name is None or data.member_zone.get(s.key) == self.zone_name]
        self.member_model.set_rows(members, data.member_zone)
        self.stats_did_load.emit(data)

    # -- export

    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export response times"), "response_times.xlsx",
                                              self.tr("Excel workbook (*.xlsx)"))
        if path:
            self.export_task = spawn(self.export(Path(path)))

    def export_headers(self) -> dict[str, str]:
        """The workbook's texts in the interface language."""
        return {
            "zones": self.tr("Zones"),
            "members": self.tr("Members"),
            "name": self.tr("Name"),
            "zone": self.tr("Zone"),
            "dispatches": self.tr("Dispatches"),
            "ack_median": self.tr("Acknowledge median (min)"),
            "ack_p90": self.tr("Acknowledge p90 (min)"),
            "scene_median": self.tr("On scene median (min)"),
            "scene_p90": self.tr("On scene p90 (min)"),
            "done_median": self.tr("Done median (min)"),
            "done_p90": self.tr("Done p90 (min)"),
            "period": self.tr("Period"),
        }

    async def export(self, path: Path) -> Path | None:
        """Write the shown figures to ``path`` (an .xlsx) on a worker thread."""
        if self.data is None:
            return None
        out = await run_read(export_stats_xlsx, path, self.zone_model.rows, self.member_model.rows,
                             self.data.member_zone, self.export_headers(), self.period_combo.currentText())
        self.export_label.setText(self.tr("Saved {path}").format(path=str(out)))
        return out
