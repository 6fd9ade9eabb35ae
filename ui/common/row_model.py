"""A table model over rows a core query loads whole (a board column, a dozen check-ins, a list tab).

:class:`RowTableModel` is an :class:`~ui.common.id_model.IdTableModel`: the ids come from the query
in view order, :meth:`RowTableModel.set_rows` turns a new load into minimal insert/remove calls and
repaints only rows whose content changed. The boards, one-thing cases, list management, holidays and
assessment screens use it; :func:`fit_columns` sizes a table after a load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from ui.common.id_model import IdTableModel

RowRole = Qt.ItemDataRole.UserRole + 2
"""``data(index, RowRole)`` is the row object itself."""

Column = tuple[str, Callable[[Any, int], Any]]


class RowTableModel(IdTableModel):
    """A table over rows loaded whole; subclasses give the columns as (title, cell function).

    ``cell(row, role)`` returns the value of a column for a role (None for roles it does not
    handle). ``key(row)`` is the row's id.
    """

    def __init__(self, parent: Any = None) -> None:
        self._by_id: dict[str, Any] = {}
        super().__init__(lambda ids: {i: self._by_id[i] for i in ids if i in self._by_id}, parent)

    def columns(self) -> list[Column]:  # pragma: no cover - abstract
        raise NotImplementedError

    def key(self, row: Any) -> str:
        return row.id

    def column_titles(self) -> list[str]:
        return [title for title, _fn in self.columns()]

    def display(self, row: Any, column: int, role: int) -> Any:
        cols = self.columns()
        if role == RowRole:
            return row
        if not 0 <= column < len(cols):
            return None
        return cols[column][1](row, role)

    def set_rows(self, rows: list[Any]) -> None:
        """Show ``rows`` (in this order): minimal structural change, changed rows repainted."""
        old = self._by_id
        self._by_id = {self.key(r): r for r in rows}
        self.set_ids([self.key(r) for r in rows])
        self.invalidate([k for k, r in self._by_id.items() if k in old and old[k] != r])

    def row_by_id(self, row_id: str) -> Any:
        return self._by_id.get(row_id)

    def rows(self) -> list[Any]:
        return [self._by_id[i] for i in self.ids]

    def repaint_all(self) -> None:
        """Repaint every row (countdowns move with the clock; nothing is reloaded)."""
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))


def fit_columns(table: Any, *, skip: tuple[int, ...] = ()) -> None:
    """Size a table's columns to their contents after a load (a stretched column keeps stretching).

    ``ResizeToContents`` sections are sized from the rows present when the view first laid them out;
    a later load with wider texts would be cut off without this.
    """
    from PySide6.QtWidgets import QHeaderView

    from ui import ui_state

    if ui_state.keeps_widths(table):  # the officer's widths (remembered or dragged) win
        return
    header = table.horizontalHeader()
    last = table.model().columnCount() - 1
    for c in range(last + 1):
        if c in skip or header.sectionResizeMode(c) == QHeaderView.ResizeMode.Stretch:
            continue
        if c == last and header.stretchLastSection():
            continue
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
        table.resizeColumnToContents(c)
