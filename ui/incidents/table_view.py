"""The incident table widget, and a delegate that lays each cell's text out once.

Qt's default delegate lays every cell's text out again on every repaint (``QTextLayout``,
CJK font fallback, elision) and asks the model for eight roles per cell, each a call into
Python. With a million-row table taking live inserts at the top while a sync runs, that
repaint was the longest burst on the GUI thread (~28 ms for a 1000×900 view,
``tests/perf/bench_ui_stall.py``). :class:`CellDelegate` instead:

* reads the row's cell tuple straight from the model (:meth:`IncidentTableModel.cells_at`:
  text, background, foreground, bold, alignment, built once per row), so a cell costs one
  call into Python instead of ten;
* keeps the elided text of each (text, width, weight, alignment) as a :class:`QStaticText`
  laid out once and then only drawn: the township, state, urgency and department columns
  repeat the same few words on every row, and a row moved down by an insert above it is
  not laid out again;
* leaves the selected, focused and disabled cells to Qt's own painting, so the selection
  looks exactly as the style draws it.

:class:`IncidentTable` is the table as the incidents page shows it (and as the UI-stall
benchmark measures it): rows selected whole, fixed row heights, the delegate installed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QStaticText
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

TEXT_CACHE = 4096  # laid-out texts kept (a screenful is ~400 cells, most of them repeats)
ROW_HEIGHT = 28
REPAINT_BAND_ROWS = 8  # a changed range taller than this is repainted this many rows per turn of the loop

# plain ints: testing Qt's flag enums in Python costs microseconds per cell
_SLOW_STATES = (QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_HasFocus
                | QStyle.StateFlag.State_Editing).value
_ENABLED = QStyle.StateFlag.State_Enabled.value
_RIGHT = Qt.AlignmentFlag.AlignRight.value
_HCENTER = Qt.AlignmentFlag.AlignHCenter.value
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight


class CellDelegate(QStyledItemDelegate):
    """A delegate for :class:`~ui.incidents.table_model.IncidentTableModel` that lays each text out once.

    Args:
        model: the model whose ``cells_at(row)`` gives the cell tuples (display text, background and
            foreground as names of the model's ``brushes``, bold, alignment) of a row, or None outside the table.
        parent: the view; call :meth:`clear` when its font, palette or style changes.
    """

    def __init__(self, model: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._texts: OrderedDict[tuple[Any, ...], tuple[QStaticText, int, int]] = OrderedDict()
        # the view's font, its bold, the text colour, the text margin, the two fonts' metrics
        self._look: tuple[QFont, QFont, QColor, int, QFontMetrics, QFontMetrics] | None = None
        self._pens: dict[str, QColor] = {}  # the model's brush name → its colour
        # while IncidentTable paints: the rows Qt paints itself (selected), as (first, last) ranges, and the
        # cell with the focus frame; None otherwise (each cell's state then says it)
        self.qt_rows: tuple[tuple[int, int], ...] | None = None
        self.qt_cell: tuple[int, int] | None = None

    def clear(self) -> None:
        """Forget the laid-out texts and the look (the view's font, palette or style changed)."""
        self._texts.clear()
        self._look = None
        self._pens.clear()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        row, column = index.row(), index.column()
        qt_rows = self.qt_rows
        if qt_rows is None:
            state = option.state.value
            if state & _SLOW_STATES or not state & _ENABLED:
                super().paint(painter, option, index)
                return
        else:  # (reading option.state makes a Python enum per cell: 15 % of a repaint)
            for first, last in qt_rows:
                if first <= row <= last:
                    super().paint(painter, option, index)
                    return
            if (row, column) == self.qt_cell:
                super().paint(painter, option, index)
                return
        cells = self._model.cells_at(row)
        if cells is None or not 0 <= column < len(cells):
            return
        text, background, foreground, bold, alignment = cells[column]
        x, y, width, height = option.rect.getRect()  # (one call into Qt, not four)
        if background is not None:
            painter.fillRect(x, y, width, height, self._model.brushes[background])
        if not text:
            return
        look = self._look or self._take_look(option)
        key = (text, width, height, bold, alignment)
        entry = self._texts.get(key)
        if entry is None:
            entry = self._texts[key] = self._lay_out(text, width, height, bold, alignment)
            if len(self._texts) > TEXT_CACHE:
                self._texts.popitem(last=False)
        if foreground is None:
            painter.setPen(look[2])
        else:
            pen = self._pens.get(foreground)
            if pen is None:
                pen = self._pens[foreground] = self._model.brushes[foreground].color()
            painter.setPen(pen)
        static, dx, dy = entry
        if bold:
            painter.setFont(look[1])
            painter.drawStaticText(x + dx, y + dy, static)
            painter.setFont(look[0])  # the view's font, as the painter had it: the other cells draw with that
        else:
            painter.drawStaticText(x + dx, y + dy, static)

    def lay_out_ahead(self, rows: list[tuple[tuple[Any, ...], ...]], widths: list[int], height: int) -> None:
        """Lay out the texts of rows about to be shown (cell tuples as ``cells_at`` gives them), so that the
        repaint showing them only draws. Nothing before the first paint (the view's look is not known yet)."""
        if self._look is None:
            return
        texts = self._texts
        for cells in rows:
            for (text, _bg, _fg, bold, alignment), width in zip(cells, widths, strict=False):
                if not text or width <= 0:
                    continue
                key = (text, width, height, bold, alignment)
                if key not in texts:
                    texts[key] = self._lay_out(text, width, height, bold, alignment)
        while len(texts) > TEXT_CACHE:
            texts.popitem(last=False)

    def _take_look(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QColor, int, QFontMetrics, QFontMetrics]:
        font = QFont(option.font)
        bold = QFont(font)
        bold.setBold(True)
        colour = option.palette.color(QPalette.ColorGroup.Normal, QPalette.ColorRole.Text)
        widget = option.widget
        style = widget.style() if widget is not None else None
        # as QCommonStyle draws an item's text: the focus frame's margin plus one, on each side
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1 if style else 3
        self._look = (font, bold, colour, margin, QFontMetrics(font), QFontMetrics(bold))
        return self._look

    def _lay_out(self, text: str, width: int, height: int, bold: bool, alignment: int) -> tuple[QStaticText, int, int]:
        """The elided text of a cell as a prepared QStaticText, and its offset inside the cell."""
        assert self._look is not None
        font, bold_font, _colour, margin, metrics, bold_metrics = self._look
        if bold:
            font, metrics = bold_font, bold_metrics
        room = max(0, width - 2 * margin)
        static = QStaticText(text.replace("\n", " "))
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.prepare(font=font)  # the one layout of this text, unless it has to be elided
        text_width = static.size().width()
        if text_width > room:
            static.setText(metrics.elidedText(static.text(), _ELIDE_RIGHT, room))
            static.prepare(font=font)
            text_width = static.size().width()
        if alignment & _HCENTER:
            dx = margin + int(room - text_width) // 2
        elif alignment & _RIGHT:
            dx = margin + int(room - text_width)
        else:
            dx = margin
        return static, int(dx), (height - metrics.height()) // 2


class IncidentTable(QTableView):
    """The incident list's table: whole rows selected, fixed row heights, cells from :class:`CellDelegate`.

    The delegate is installed by :meth:`setModel` (it reads that model's cell tuples).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cell_delegate: CellDelegate | None = None
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        vheader = self.verticalHeader()
        vheader.hide()
        # fixed row heights: the view never measures a million rows
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(ROW_HEIGHT)
        self.viewport()  # (PySide makes ~70 enum types on the first call: 17 ms, at start-up rather than in a repaint)

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        if hasattr(model, "cells_at"):
            self.cell_delegate = CellDelegate(model, self)
            self.setItemDelegate(self.cell_delegate)
            model.rows_prepared.connect(self._lay_out_ahead)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt's painting, with the delegate told once which rows are selected or current (Qt paints those)."""
        delegate = self.cell_delegate
        if delegate is None or not self.isEnabled():
            super().paintEvent(event)
            return
        delegate.qt_rows = tuple((r.top(), r.bottom()) for r in self.selectionModel().selection())
        current = self.currentIndex()
        if current.isValid() and (self.hasFocus() or self.viewport().hasFocus()):  # (as QTableView: focus frame)
            delegate.qt_cell = (current.row(), current.column())
        try:
            super().paintEvent(event)
        finally:
            delegate.qt_rows = delegate.qt_cell = None

    def dataChanged(self, top_left: QModelIndex | QPersistentModelIndex,
                    bottom_right: QModelIndex | QPersistentModelIndex, roles: Any = ()) -> None:
        """Repaint the changed range's rectangle only.

        QAbstractItemView repaints the whole viewport for any range larger than one cell: the
        countdown column's tick every 30 s, or two changed rows, redrew all ~300 cells on screen
        (8–12 ms at load 9). No editors here (``NoEditTriggers``), so the rectangle is all there is.
        """
        if top_left == bottom_right or not top_left.isValid() or not bottom_right.isValid():
            super().dataChanged(top_left, bottom_right, roles)
            return
        if not self.isVisible():
            return
        viewport = self.viewport().rect()
        rect = self.visualRect(top_left).united(self.visualRect(bottom_right)).intersected(viewport)
        if rect.isEmpty():
            return
        # a tall strip (the countdown column: each new countdown text is laid out as it is painted) in
        # bands of a few rows, one per turn of the event loop, so no single repaint lays out a whole column
        band = REPAINT_BAND_ROWS * self.verticalHeader().defaultSectionSize()
        self.viewport().update(rect.x(), rect.y(), rect.width(), min(band, rect.height()))
        for top in range(rect.y() + band, rect.y() + rect.height(), band):
            bounds = (rect.x(), top, rect.width(), min(band, rect.y() + rect.height() - top))
            QTimer.singleShot(0, self.viewport(), lambda bounds=bounds: self.viewport().update(*bounds))

    def _lay_out_ahead(self, rows: list[tuple[tuple[Any, ...], ...]]) -> None:
        if self.cell_delegate is None or not self.isVisible():
            return
        header = self.horizontalHeader()
        # a cell's rect is its section less the grid line (as QTableView draws it)
        grid = 1 if self.showGrid() else 0
        widths = [header.sectionSize(c) - grid for c in range(header.count())]
        self.cell_delegate.lay_out_ahead(rows, widths, self.verticalHeader().defaultSectionSize() - grid)

    def changeEvent(self, event: QEvent) -> None:
        if self.cell_delegate is not None and event.type() in (
                QEvent.Type.FontChange, QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.cell_delegate.clear()
        super().changeEvent(event)


__all__ = ["CellDelegate", "IncidentTable"]
