"""Small list models of the detail panel: timeline, dispatches, photos.

Each is a plain ``QAbstractTableModel``/``QAbstractListModel`` over a list from
:func:`commandroom.queries.incidents.incident_detail` (no item widgets over database data).
``set_items`` swaps the list: a different incident is a reset; the same incident
growing (a new timeline entry) is an append.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPixmap

from commandroom.queries.incidents import DispatchItem, PhotoItem, TimelineItem
from commandroom.timeutil import fmt_local
from ui.incidents import labels

_Index = QModelIndex | QPersistentModelIndex


class _ListTableModel(QAbstractTableModel):
    """A table over a Python list; subclasses give the headers and the cell text."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Any] = []
        self._owner: str | None = None

    def set_items(self, items: list[Any], owner: str | None = None) -> None:
        """Show ``items`` (of incident ``owner``): an append when the old list is a prefix of the new."""
        old = self._items
        if owner == self._owner and len(items) >= len(old) and items[: len(old)] == old:
            if len(items) > len(old):
                self.beginInsertRows(QModelIndex(), len(old), len(items) - 1)
                self._items = list(items)
                self.endInsertRows()
            return
        self.beginResetModel()
        self._items = list(items)
        self._owner = owner
        self.endResetModel()

    def item(self, row: int) -> Any:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.HEADERS):
            return labels.tr(self.HEADERS[section])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(item, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(item, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(item, index.column())
        return None

    def cell(self, item: Any, column: int) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def tooltip(self, item: Any, column: int) -> str | None:
        text = self.cell(item, column)
        return text if len(text) > 20 else None

    def foreground(self, item: Any, column: int) -> Any:
        return None


class TimelineModel(_ListTableModel):
    """Who did what, when, from which workstation (TimelineEntry rows, oldest first)."""

    HEADERS = (QT_TRANSLATE_NOOP("Incidents", "Time"), QT_TRANSLATE_NOOP("Incidents", "Who"),
               QT_TRANSLATE_NOOP("Incidents", "Workstation"), QT_TRANSLATE_NOOP("Incidents", "Action"),
               QT_TRANSLATE_NOOP("Incidents", "State"), QT_TRANSLATE_NOOP("Incidents", "Note"))

    def cell(self, item: TimelineItem, column: int) -> str:
        if column == 0:
            text = fmt_local(item.at, "%m-%d %H:%M")
            if item.entered_offline:
                text += " " + self.tr("(offline entry)")
            if item.clock_untrusted:
                text += " ⚠"
            return text
        if column == 1:
            return item.actor_name or self.tr("System")
        if column == 2:
            return item.device_name
        if column == 3:
            text = labels.label(labels.ACTION_LABELS, item.action)
            if item.action == "remind" and item.data.get("level"):
                text += f"（{labels.label(labels.ESCALATION_LABELS, item.data['level'])}）"
            if item.data.get("proxy"):
                # 代录: typed in by the township for the department (who typed it is in the Who column)
                text += " " + self.tr("(proxy entry)")
            return text
        if column == 4:
            if item.from_state and item.to_state and item.from_state != item.to_state:
                return f"{labels.state_label(item.from_state)} → {labels.state_label(item.to_state)}"
            return labels.state_label(item.to_state) if item.to_state else ""
        if column == 5:
            return self._note(item)
        return ""

    def _note(self, item: TimelineItem) -> str:
        parts = [item.note] if item.note else []
        counter = item.data.get("counter_proposal")
        if counter:
            parts.append(self.tr("Counter-proposal: {text}").format(text=counter))
        photos = len(item.data.get("photos_before") or []) + len(item.data.get("photos_after") or []) + len(
            item.data.get("photos") or [])
        if photos:
            parts.append(self.tr("{n} photo(s)").format(n=photos))
        override = item.data.get("override")
        if override:
            parts.append(self.tr("Closed without what the rule asks: {reason}").format(reason=override))
        waiting = item.data.get("waiting")
        if waiting:
            parts.append(self.tr("Still to check: {who}").format(who="、".join(waiting)))
        return "；".join(parts)

    def tooltip(self, item: TimelineItem, column: int) -> str | None:
        if column != 0 or not (item.entered_offline or item.clock_untrusted):
            return super().tooltip(item, column)
        lines = []
        if item.entered_offline:
            lines.append(self.tr("Entered offline at {at}; uploaded to the county server at {received}.").format(
                at=fmt_local(item.at, "%m-%d %H:%M:%S"), received=fmt_local(item.received_at, "%m-%d %H:%M:%S")))
        if item.clock_untrusted:
            lines.append(self.tr("The workstation's clock was off when this was entered; the time shown is the "
                                 "server's best estimate."))
        return "\n".join(lines)

    def foreground(self, item: TimelineItem, column: int) -> Any:
        if column == 0 and (item.entered_offline or item.clock_untrusted):
            return QBrush(QColor("#8a6d1d"))
        if (column == 3 and item.action in ("return", "escalate", "verify_fail", "reopen", "reject_closure",
                                           "dispute_open", "dispute_escalate")) or (
                column == 5 and item.data.get("override")):
            return QBrush(QColor("#b03a2e"))
        return None


class DispatchModel(_ListTableModel):
    """The incident's dispatches: to whom, which members, state and times."""

    HEADERS = (QT_TRANSLATE_NOOP("Incidents", "Assigned at"), QT_TRANSLATE_NOOP("Incidents", "To"),
               QT_TRANSLATE_NOOP("Incidents", "Members"), QT_TRANSLATE_NOOP("Incidents", "State"),
               QT_TRANSLATE_NOOP("Incidents", "Acknowledged at"), QT_TRANSLATE_NOOP("Incidents", "On scene at"),
               QT_TRANSLATE_NOOP("Incidents", "Note"))

    def cell(self, item: DispatchItem, column: int) -> str:
        if column == 0:
            return fmt_local(item.assigned_at, "%m-%d %H:%M")
        if column == 1:
            if item.target_kind == "team":
                return self.tr("{zone} team").format(zone=item.target_name)
            return item.target_name
        if column == 2:
            names = list(item.member_names)
            if item.lead_member_name and item.lead_member_name in names:
                names.remove(item.lead_member_name)
                names.insert(0, self.tr("{name} (lead)").format(name=item.lead_member_name))
            return "、".join(names)
        if column == 3:
            return labels.label(labels.DISPATCH_STATE_LABELS, item.state)
        if column == 4:
            return fmt_local(item.acknowledged_at, "%m-%d %H:%M")
        if column == 5:
            return fmt_local(item.on_scene_at, "%m-%d %H:%M")
        if column == 6:
            return item.note
        return ""

    def foreground(self, item: DispatchItem, column: int) -> Any:
        if item.state in ("cancelled", "done"):
            return QBrush(QColor("#7a8594"))
        return None


PhotoHashRole = Qt.ItemDataRole.UserRole + 1
THUMB = QSize(96, 72)


class PhotoModel(QAbstractListModel):
    """Photo thumbnails (report, before, after); a grey "downloading" tile until the thumbnail arrives
    (it comes with the next sync)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[PhotoItem] = []
        self._icons: dict[str, QIcon] = {}

    def set_items(self, items: list[PhotoItem], owner: str | None = None) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._icons.clear()
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            kind = {"before": self.tr("Before"), "after": self.tr("After"), "report": self.tr("Report")}
            return kind.get(item.kind, item.kind)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Double-click to see the full image") if item.thumbnail else self.tr(
                "Not downloaded yet: it arrives with the next sync")
        if role == PhotoHashRole:
            return item.sha256
        return None

    def _icon(self, item: PhotoItem) -> QIcon:
        icon = self._icons.get(item.sha256)
        if icon is None:
            image = QImage.fromData(item.thumbnail) if item.thumbnail else QImage()
            if image.isNull():
                pixmap = QPixmap(THUMB)
                pixmap.fill(QColor("#d0d7e2"))
                painter = QPainter(pixmap)
                painter.setPen(QColor("#5a6472"))
                painter.drawText(pixmap.rect(), int(Qt.AlignmentFlag.AlignCenter), self.tr("Downloading…"))
                painter.end()
            else:
                pixmap = QPixmap.fromImage(image.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                        Qt.TransformationMode.SmoothTransformation))
            icon = QIcon(pixmap)
            self._icons[item.sha256] = icon
        return icon
