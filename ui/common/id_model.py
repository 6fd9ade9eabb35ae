"""A table model over a list of row ids with a lazily filled row cache (Anki's ``DataModel`` idea).

Subclasses say which columns exist and how a cached row is displayed; the SQL that finds
the ids (sorted and filtered) and the SQL that loads rows live in core query functions.
Structural changes go through :meth:`IdTableModel.set_ids`, which turns the difference
between the old and the new id list into ``beginRemoveRows``/``beginInsertRows`` calls, so
selections and scroll positions survive a live update and views never see a global reset
for an ordinary change event.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

IdRole = Qt.ItemDataRole.UserRole + 1
"""``data(index, IdRole)`` returns the row's id."""

PAGE = 200


class IdTableModel(QAbstractTableModel):
    """Base class: ids in view order, rows fetched in pages of :data:`PAGE` when first shown.

    Args:
        fetch_rows: core function ``ids -> {id: row}`` (called on the GUI thread for one
            page at a time; it must be a fast indexed read).
    """

    def __init__(self, fetch_rows: Callable[[list[str]], dict[str, Any]], parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch_rows = fetch_rows
        self._ids: list[str] = []
        self._rows: dict[str, Any] = {}
        self._missing: set[str] = set()

    # -- subclass hooks

    def column_titles(self) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def display(self, row: Any, column: int, role: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- Qt interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.column_titles())

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            titles = self.column_titles()
            if 0 <= section < len(titles):
                return titles[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # Rows are selectable but never editable in place: every change is a named mutation.
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._ids)):
            return None
        row_id = self._ids[index.row()]
        if role == IdRole:
            return row_id
        row = self.row_for(index.row())
        if row is None:
            return None
        return self.display(row, index.column(), role)

    # -- ids and rows

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, row_id: str) -> int:
        try:
            return self._ids.index(row_id)
        except ValueError:
            return -1

    def row_for(self, row: int) -> Any:
        """The cached row at ``row``, fetching its page on a miss."""
        row_id = self._ids[row]
        cached = self._rows.get(row_id)
        if cached is not None or row_id in self._missing:
            return cached
        page = [i for i in self._ids[row: row + PAGE] if i not in self._rows and i not in self._missing]
        fetched = self._fetch_rows(page)
        self._rows.update(fetched)
        self._missing.update(i for i in page if i not in fetched)
        return self._rows.get(row_id)

    def set_ids(self, new_ids: list[str]) -> None:
        """Move the model to ``new_ids`` with the smallest structural change (no global reset)."""
        old = self._ids
        if old == new_ids:
            return
        if not old or not new_ids:
            self.beginResetModel()  # empty → full or full → empty: a reset is the minimal change here
            self._ids = list(new_ids)
            self._drop_cache_except(set(new_ids))
            self.endResetModel()
            return
        matcher = difflib.SequenceMatcher(a=old, b=new_ids, autojunk=False)
        working = list(old)
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            if tag in ("delete", "replace"):
                self.beginRemoveRows(QModelIndex(), i1, i2 - 1)
                del working[i1:i2]
                self._ids = working
                self.endRemoveRows()
            if tag in ("insert", "replace"):
                self.beginInsertRows(QModelIndex(), i1, i1 + (j2 - j1) - 1)
                working[i1:i1] = new_ids[j1:j2]
                self._ids = working
                self.endInsertRows()
        self._ids = list(new_ids)
        self._drop_cache_except(set(new_ids))

    def _drop_cache_except(self, keep: set[str]) -> None:
        self._rows = {k: v for k, v in self._rows.items() if k in keep}
        self._missing &= keep

    def invalidate(self, ids: Iterable[str]) -> None:
        """Forget cached rows of ``ids`` and tell views to repaint them (rows reload lazily)."""
        rows = []
        for row_id in ids:
            self._rows.pop(row_id, None)
            self._missing.discard(row_id)
            r = self.row_of(row_id)
            if r >= 0:
                rows.append(r)
        if not rows or self.columnCount() == 0:
            return
        last_col = self.columnCount() - 1
        # one dataChanged per contiguous run keeps repaints cheap
        rows.sort()
        start = prev = rows[0]
        for r in [*rows[1:], None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last_col))
            if r is not None:
                start = prev = r

    def clear_cache(self) -> None:
        """Forget every cached row (after a language change, for example) and repaint."""
        self._rows.clear()
        self._missing.clear()
        if self._ids and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, self.columnCount() - 1))
