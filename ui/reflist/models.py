"""Models of responsibility-list management: versions, matters, the draft editor, the diff.

The draft editor (:class:`MatterEditModel`) is the one editable model of these screens: it
holds the *draft* of a new version (plain dicts copied from the version in force, not DB
rows), so editing a cell changes nothing in the store until the draft is published as a
whole with ``reflist.publish_version``. Cells that differ from the version in force are
tinted, new rows are green.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from commandroom.queries.reflist import AmendmentRow, DiffRow, MatterRow, VersionRow
from ui.common.row_model import Column, RowTableModel

DISPLAY = Qt.ItemDataRole.DisplayRole
CTX = "Reflist"

# (field, English header); list fields are edited as text separated by commas
FIELDS: tuple[tuple[str, str], ...] = (
    ("code", QT_TRANSLATE_NOOP("Reflist", "Code")),
    ("name", QT_TRANSLATE_NOOP("Reflist", "Matter")),
    ("field", QT_TRANSLATE_NOOP("Reflist", "Field")),
    ("lead_department_code", QT_TRANSLATE_NOOP("Reflist", "Lead department")),
    ("category_codes", QT_TRANSLATE_NOOP("Reflist", "Event categories")),
    ("default_for", QT_TRANSLATE_NOOP("Reflist", "Default route for")),
    ("township_duty", QT_TRANSLATE_NOOP("Reflist", "Township's duty")),
    ("department_duty", QT_TRANSLATE_NOOP("Reflist", "Department's duty")),
    ("is_enforcement", QT_TRANSLATE_NOOP("Reflist", "Enforcement")),
    ("one_thing_code", QT_TRANSLATE_NOOP("Reflist", "One thing")),
)
LIST_FIELDS = {"category_codes", "default_for"}
FIELD_NAMES = dict(FIELDS) | {"limits": QT_TRANSLATE_NOOP("Reflist", "Time limits")}

STATUS_LABELS = {
    "in_force": QT_TRANSLATE_NOOP("Reflist", "In force"),
    "scheduled": QT_TRANSLATE_NOOP("Reflist", "Takes effect later"),
    "past": QT_TRANSLATE_NOOP("Reflist", "Superseded"),
}
KIND_LABELS = {
    "added": QT_TRANSLATE_NOOP("Reflist", "Added"),
    "removed": QT_TRANSLATE_NOOP("Reflist", "Removed"),
    "changed": QT_TRANSLATE_NOOP("Reflist", "Changed"),
}
KIND_COLOURS = {"added": "#e3f3e6", "removed": "#f9d3cf", "changed": "#fff1c2"}
CHANGED_TINT = "#fff1c2"
NEW_TINT = "#e3f3e6"


def tr(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


def field_label(name: str) -> str:
    source = FIELD_NAMES.get(name)
    return tr(source) if source else name


def show_value(value: Any, names: dict[str, str] | None = None) -> str:
    """A matter field's value as text: codes by their names when ``names`` knows them (never a bare code
    where a name exists: categories, one-thing types, departments)."""
    if isinstance(value, bool):
        return QCoreApplication.translate("Reflist", "yes") if value else QCoreApplication.translate("Reflist", "no")
    if isinstance(value, list):
        return "、".join((names or {}).get(str(v), str(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if value is None:
        return ""
    if names and value in names:
        return names[value]
    return str(value)


def field_names(departments: list[tuple[str, str]] | dict[str, str], categories: Any = (),
                one_things: Any = ()) -> dict[str, dict[str, str]]:
    """field → (code → name) for the matter fields that hold codes (``Choices`` of the reflist queries)."""
    cats = dict(categories)
    return {"lead_department_code": dict(departments), "category_codes": cats, "default_for": cats,
            "one_thing_code": dict(one_things)}


class VersionModel(RowTableModel):
    """The list versions: number, date, title, matters, status."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("Version"), self._version),
            (self.tr("Effective from"), lambda r, role: r.effective_from.isoformat() if role == DISPLAY else None),
            (self.tr("Title"), lambda r, role: r.title if role == DISPLAY else None),
            (self.tr("Matters"), lambda r, role: str(r.matters) if role == DISPLAY else None),
            (self.tr("Status"), self._status),
        ]

    def _version(self, r: VersionRow, role: int) -> Any:
        if role == DISPLAY:
            return self.tr("v{n}").format(n=r.version)
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [r.note] if r.note else []
            if r.illustrative:
                parts.append(self.tr("Illustrative data (not an official list)"))
            return "\n".join(parts) or None
        return None

    def _status(self, r: VersionRow, role: int) -> Any:
        if role == DISPLAY:
            return tr(STATUS_LABELS[r.status])
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor({"in_force": "#1e7b34", "scheduled": "#2d6cc0"}.get(r.status, "#7a8594"))
        if role == Qt.ItemDataRole.FontRole and r.status == "in_force":
            font = QFont()
            font.setBold(True)
            return font
        return None


AMENDMENT_STATES = {
    "draft": QT_TRANSLATE_NOOP("Reflist", "Draft, not published"),
    "published": QT_TRANSLATE_NOOP("Reflist", "Published"),
}


class AmendmentModel(RowTableModel):
    """Proposed amendments (清单调整建议) from repeated disputes: what, when, how many disputes, state."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("Proposed amendment"), lambda r, role: r.title if role == DISPLAY else
             (r.reason if role == Qt.ItemDataRole.ToolTipRole else None)),
            (self.tr("Quarter"), lambda r, role: self.tr("{year} Q{q}").format(year=r.quarter[:4], q=r.quarter[5:])
             if role == DISPLAY else None),
            (self.tr("Disputes"), lambda r, role: str(r.disputes) if role == DISPLAY else None),
            (self.tr("Status"), self._state),
        ]

    def _state(self, r: AmendmentRow, role: int) -> Any:
        if role == DISPLAY:
            label = tr(AMENDMENT_STATES.get(r.state, r.state))
            if r.state == "published" and r.published_version:
                label = self.tr("{label} as v{n}").format(label=label, n=r.published_version)
            return label
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#b8640a" if r.state == "draft" else "#7a8594")
        return None


class MatterModel(RowTableModel):
    """The matters of one version (read-only)."""

    def __init__(self, names: dict[str, dict[str, str]] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.names = names or {}  # field → code → name (field_names)

    def columns(self) -> list[Column]:
        def cell(name: str) -> Any:
            def fn(r: MatterRow, role: int) -> Any:
                if role == DISPLAY:
                    return show_value(r.data.get(name), self.names.get(name))
                if role == Qt.ItemDataRole.ToolTipRole and name in ("township_duty", "department_duty", "name"):
                    return str(r.data.get(name) or "") or None
                return None
            return fn
        return [(tr(title), cell(name)) for name, title in FIELDS]


class MatterEditModel(QAbstractTableModel):
    """The draft of a new version: one row per matter, every field editable; edits stay in the draft."""

    def __init__(self, base: list[dict[str, Any]], names: dict[str, dict[str, str]] | None = None,
                 parent: Any = None, start: list[dict[str, Any]] | None = None) -> None:
        super().__init__(parent)
        self.base = {m["code"]: m for m in base}
        # the editor starts from ``start`` (a proposed amendment) or else from the base itself
        self.rows: list[dict[str, Any]] = [copy.deepcopy(m) for m in (base if start is None else start)]
        self.names = names or {}  # field → code → name (field_names)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(FIELDS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(FIELDS):
            return tr(FIELDS[section][1])
        if orientation == Qt.Orientation.Vertical and role == DISPLAY:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if FIELDS[index.column()][0] == "is_enforcement":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def _changed(self, row: dict[str, Any], name: str) -> bool:
        old = self.base.get(row.get("code", ""))
        if old is None:
            return False
        a, b = old.get(name), row.get(name)
        if name in LIST_FIELDS:
            return sorted(a or []) != sorted(b or [])
        return a != b

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        name = FIELDS[index.column()][0]
        value = row.get(name)
        if name == "is_enforcement":
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
            if role == DISPLAY:
                return None
        if role == DISPLAY:
            return show_value(value, self.names.get(name))
        if role == Qt.ItemDataRole.EditRole:
            if name in LIST_FIELDS or name == "one_thing_code":
                return show_value(value, self.names.get(name))  # edited by name; setData maps names back
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.get("code") not in self.base:
                return QColor(NEW_TINT)
            if self._changed(row, name):
                return QColor(CHANGED_TINT)
        if role == Qt.ItemDataRole.ToolTipRole and name in ("township_duty", "department_duty", "name"):
            return str(value or "") or None
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
                ) -> bool:
        if not index.isValid():
            return False
        row = self.rows[index.row()]
        name = FIELDS[index.column()][0]
        if name == "is_enforcement":
            if role != Qt.ItemDataRole.CheckStateRole:
                return False
            new: Any = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        elif role != Qt.ItemDataRole.EditRole:
            return False
        elif name in LIST_FIELDS:
            parts = [p.strip() for p in str(value or "").replace("，", ",").replace("、", ",").split(",") if p.strip()]
            new = [self._code_of(name, p) for p in parts]
        elif name == "one_thing_code":
            new = self._code_of(name, str(value or "").strip()) or None
        else:
            new = str(value or "").strip()
        if row.get(name) == new:
            return False
        row[name] = new
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(FIELDS) - 1))
        return True

    def _code_of(self, field: str, text: str) -> str:
        """The code a user typed by its name (or the code itself)."""
        by_name = {name: code for code, name in self.names.get(field, {}).items()}
        return by_name.get(text, text)

    def insertRows(self, row: int, count: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid() or count < 1 or not 0 <= row <= len(self.rows):
            return False
        self.beginInsertRows(QModelIndex(), row, row + count - 1)
        for k in range(count):
            self.rows.insert(row + k, {"code": self._new_code(), "name": "", "field": "", "category_codes": [],
                                       "default_for": [], "lead_department_code": "", "township_duty": "",
                                       "department_duty": "", "limits": {}, "is_enforcement": False,
                                       "one_thing_code": None})
        self.endInsertRows()
        return True

    def removeRows(self, row: int, count: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid() or count < 1 or row < 0 or row + count > len(self.rows):
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        del self.rows[row:row + count]
        self.endRemoveRows()
        return True

    def _new_code(self) -> str:
        used = {r.get("code") for r in self.rows}
        n = len(self.rows) + 1
        while f"M-NEW-{n:03d}" in used:
            n += 1
        return f"M-NEW-{n:03d}"

    def draft(self) -> list[dict[str, Any]]:
        """The draft as ``reflist.publish_version`` takes it (the full list)."""
        return [copy.deepcopy(r) for r in self.rows]


class DiffModel(RowTableModel):
    """The diff against the version in force: added / removed matters, and each changed field."""

    def __init__(self, names: dict[str, dict[str, str]] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.names = names or {}  # field → code → name (field_names)

    def columns(self) -> list[Column]:
        return [
            (self.tr("Change"), self._kind),
            (self.tr("Code"), lambda r, role: r.code if role == DISPLAY else None),
            (self.tr("Matter"), lambda r, role: r.name if role == DISPLAY else None),
            (self.tr("Changed field"), self._field),
            (self.tr("In force now"), lambda r, role: self._value(r, r.old, role)),
            (self.tr("New version"), lambda r, role: self._value(r, r.new, role, new=True)),
        ]

    def _kind(self, r: DiffRow, role: int) -> Any:
        if role == DISPLAY:
            return tr(KIND_LABELS[r.kind])
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(KIND_COLOURS[r.kind])
        return None

    def _field(self, r: DiffRow, role: int) -> Any:
        if role == DISPLAY:
            return field_label(r.field) if r.field else ""
        if role == Qt.ItemDataRole.BackgroundRole and r.field:
            return QColor(CHANGED_TINT)
        if role == Qt.ItemDataRole.FontRole and r.field:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _value(self, r: DiffRow, value: Any, role: int, new: bool = False) -> Any:
        if role == DISPLAY:
            return show_value(value, self.names.get(r.field))
        if role == Qt.ItemDataRole.ToolTipRole:
            return show_value(value) or None
        if role == Qt.ItemDataRole.BackgroundRole and new and r.kind == "changed":
            return QColor(CHANGED_TINT)
        return None
