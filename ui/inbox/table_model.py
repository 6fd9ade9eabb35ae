"""The report inbox model: report ids from SQL (waiting first, newest first), rows fetched lazily.

Live updates: the model listens to the store's change events. An event that touches
``report`` invalidates the cached rows it names and re-runs the id query (cheap: ids
only) through a latest-wins task; the new id list is applied as row inserts/removes,
never as a global reset.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from commandroom.queries.inbox import InboxFilter, InboxRow, inbox_listing, inbox_rows
from commandroom.timeutil import fmt_local, utcnow
from ui import i18n
from ui.async_runner import LatestTask, run_read, store_events
from ui.common.id_model import IdTableModel

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

StateRole = Qt.ItemDataRole.UserRole + 2
UrgencyRole = Qt.ItemDataRole.UserRole + 3
RowRole = Qt.ItemDataRole.UserRole + 4

COL_STATE, COL_CATEGORY, COL_GRID, COL_REPORTER, COL_TIME, COL_SOURCE, COL_PLACE, COL_PHOTOS, COL_TOWNSHIP = range(9)


def _icon(name: str, color: str | None = None) -> Any:
    """A Font Awesome icon from qtawesome's bundled font (no network; see ui.theme.icon)."""
    from ui.theme import icon

    return icon(name, color)


class InboxTableModel(IdTableModel):
    """Reports of the townships in view, as a lazily filled table (see module docstring).

    Args:
        store: the workstation's DeskStore.
        show_township: add a township column (county scope).
    """

    ids_did_refresh = Signal()

    def __init__(self, store: Store, *, show_township: bool = False, parent: Any = None) -> None:
        super().__init__(lambda ids: inbox_rows(store, ids), parent)
        self.store = store
        self.show_township = show_township
        self._filter = InboxFilter()
        self._refresh_task = LatestTask("inbox-ids")
        self._pending_invalidate: set[str] = set()
        self.waiting_count = 0
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(40)  # coalesce a burst of change events (a pulled page) into one query
        self._debounce.timeout.connect(self._on_debounce_timeout)
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    # -- columns

    def column_titles(self) -> list[str]:
        titles = [
            self.tr("State"), self.tr("Category"), self.tr("Grid"), self.tr("Reporter"), self.tr("Time"),
            self.tr("Source"), self.tr("Location / address"), self.tr("Photos"),
        ]
        if self.show_township:
            titles.append(self.tr("Township"))
        return titles

    def display(self, row: InboxRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_PLACE:
                return self._place(row)
            if column == COL_TIME:
                return fmt_local(row.reported_at)
            return row.description
        if role == Qt.ItemDataRole.DecorationRole:
            if column == COL_PHOTOS and row.photo_count:
                return _icon("fa5s.camera")
            if column == COL_STATE and row.state == "new" and row.urgency_hint == "L1":
                return _icon("fa5s.exclamation-triangle", "#d9534f")
            return None
        if role == Qt.ItemDataRole.FontRole:
            if row.state == "new":
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.state != "new":
                return QBrush(QColor("#8a93a0"))
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.state == "new" and row.urgency_hint == "L1":
                return QBrush(QColor(217, 83, 79, 45))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (COL_PHOTOS, COL_TIME, COL_STATE):
                return int(Qt.AlignmentFlag.AlignCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == StateRole:
            return row.state
        if role == UrgencyRole:
            return row.urgency_hint
        if role == RowRole:
            return row
        return None

    def _text(self, row: InboxRow, column: int) -> str:
        if column == COL_STATE:
            return i18n.label(i18n.REPORT_STATE_LABELS, row.state)
        if column == COL_CATEGORY:
            return row.category_name
        if column == COL_GRID:
            return row.grid_name
        if column == COL_REPORTER:
            return row.reporter_name
        if column == COL_TIME:
            # today's reports show the time only; older ones the date too
            if fmt_local(row.reported_at, "%Y-%m-%d") == fmt_local(utcnow(), "%Y-%m-%d"):
                return fmt_local(row.reported_at, "%H:%M")
            return fmt_local(row.reported_at, "%m-%d %H:%M")
        if column == COL_SOURCE:
            return i18n.label(i18n.SOURCE_LABELS, row.source)
        if column == COL_PLACE:
            return self._place(row)
        if column == COL_PHOTOS:
            return str(row.photo_count) if row.photo_count else ""
        if column == COL_TOWNSHIP:
            return row.township_name
        return ""

    @staticmethod
    def _place(row: InboxRow) -> str:
        if row.address:
            return row.address
        if row.lat is not None and row.lon is not None:
            return f"{row.lat:.5f}, {row.lon:.5f}"
        return QCoreApplication.translate("InboxTableModel", "(no location)")

    # -- filter and refresh

    @property
    def filter(self) -> InboxFilter:
        return self._filter

    def set_filter(self, flt: InboxFilter) -> asyncio.Task:
        """Show what ``flt`` selects; the latest filter wins if several are set in a row."""
        self._filter = flt
        return self.refresh()

    def refresh(self) -> asyncio.Task:
        """Re-run the id query in the background and apply the difference when it arrives."""
        flt = self._filter
        return self._refresh_task.start(run_read(inbox_listing, self.store, flt), self._on_ids_loaded)

    def load_now(self) -> None:
        """Load the id list synchronously (first show, where waiting for the loop buys nothing)."""
        self._refresh_task.cancel()
        self._on_ids_loaded(inbox_listing(self.store, self._filter))

    async def wait_idle(self) -> None:
        """Wait until no refresh is pending or running (tests)."""
        while self._debounce.isActive() or self._refresh_task.running:
            if self._refresh_task.running:
                await self._refresh_task.wait()
            else:
                await asyncio.sleep(0.01)

    def _on_ids_loaded(self, listing: tuple[list[str], int]) -> None:
        ids, self.waiting_count = listing
        stale = self._pending_invalidate
        self._pending_invalidate = set()
        self.set_ids(ids)
        self.invalidate(stale)
        self.ids_did_refresh.emit()

    def _on_store_changes(self, changes: Any) -> None:
        if not changes.touches("report", "event_category", "grid", "township"):
            return
        self._pending_invalidate |= set(changes.ids("report"))
        if changes.touches("event_category", "grid", "township"):
            self.clear_cache()
        self._debounce.start()

    def _on_debounce_timeout(self) -> None:
        # Repaint changed rows at once (cheap), then let the id query fix the order/membership.
        self.invalidate(set(self._pending_invalidate))
        self.refresh()
