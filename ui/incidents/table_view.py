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
benchmark measures it): rows selected whole, fixed row heights, the delegate installed. It paints
its cells itself, one Python call per row (:meth:`IncidentTable._paint_own`): QTableView's own
painting asks Python four times per cell (``rowCount`` and ``columnCount`` through ``index()``,
``flags()``, the delegate), and that, not the drawing, was most of a repaint after each live insert
(6.5 → 3.7 ms for a 1000×900 view at load 11). Qt still paints the selected rows and the focused
cell; a test checks both paintings give the same pixels.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QEvent, QLineF, QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QRegion,
    QStaticText,
)
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

    def paint_row(self, painter: QPainter, cells: tuple[tuple[Any, ...], ...],
                  columns: list[tuple[int, int, int]], y: int, height: int) -> None:
        """Draw one row's cells (``cells_at``) at ``y``, in ``columns`` as (column, x, width), as :meth:`paint`
        draws each; the painter holds the view's font and the caller has filled the row's own background.

        For :class:`IncidentTable`'s own painting: one call per row, not one per cell from Qt.
        """
        look = self._look
        assert look is not None
        texts = self._texts
        brushes = self._model.brushes
        pens = self._pens
        font, bold_font, colour = look[0], look[1], look[2]
        count = len(cells)
        for column, x, width in columns:
            if column >= count:
                continue
            text, background, foreground, bold, alignment = cells[column]
            if background is not None:
                painter.fillRect(x, y, width, height, brushes[background])
            if not text:
                continue
            key = (text, width, height, bold, alignment)
            entry = texts.get(key)
            if entry is None:
                entry = texts[key] = self._lay_out(text, width, height, bold, alignment)
                if len(texts) > TEXT_CACHE:
                    texts.popitem(last=False)
            if foreground is None:
                painter.setPen(colour)
            else:
                pen = pens.get(foreground)
                if pen is None:
                    pen = pens[foreground] = brushes[foreground].color()
                painter.setPen(pen)
            static, dx, dy = entry
            if bold:
                painter.setFont(bold_font)
                painter.drawStaticText(x + dx, y + dy, static)
                painter.setFont(font)
            else:
                painter.drawStaticText(x + dx, y + dy, static)

    @property
    def model(self) -> Any:
        return self._model

    @property
    def look(self) -> tuple[QFont, QFont, QColor, int, QFontMetrics, QFontMetrics]:
        """The view's font, its bold, the text colour, the text margin and the fonts' metrics (after take_look)."""
        assert self._look is not None
        return self._look

    def take_look(self, option: QStyleOptionViewItem) -> None:
        """Learn the view's font, text colour and margin from ``option`` (the view's item option), once."""
        if self._look is None:
            self._take_look(option)

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

    own_painting = True
    """False: every cell through QTableView's painting and the delegate, as before (tests compare the two)."""

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
        """The table's cells drawn row by row in one pass (:meth:`_paint_own`); Qt paints the selected rows
        and the focused cell, told once which those are."""
        delegate = self.cell_delegate
        if delegate is None or not self.isEnabled():
            super().paintEvent(event)
            return
        qt_rows = tuple((r.top(), r.bottom()) for r in self.selectionModel().selection())
        qt_cell = None
        current = self.currentIndex()
        if current.isValid() and (self.hasFocus() or self.viewport().hasFocus()):  # (as QTableView: focus frame)
            qt_cell = (current.row(), current.column())
        if self.own_painting:
            region = self._paint_own(event.region(), delegate, qt_rows, qt_cell)
            if region is None:  # all painted
                return
            if not region.isEmpty():
                event = QPaintEvent(region)  # Qt paints the rest: the selected rows, the focused cell's row
        delegate.qt_rows, delegate.qt_cell = qt_rows, qt_cell
        try:
            super().paintEvent(event)
        finally:
            delegate.qt_rows = delegate.qt_cell = None

    def _paint_own(self, region: QRegion, delegate: CellDelegate, qt_rows: tuple[tuple[int, int], ...],
                   qt_cell: tuple[int, int] | None) -> QRegion | None:
        """Paint ``region`` as QTableView would (alternate rows, cell backgrounds, texts, grid lines), but with
        one Python call per row instead of four per cell (Qt's ``index``/``flags`` round trips, the delegate).

        Returns None when all is painted, else the part left to Qt's own painting: the rows Qt paints (selected,
        the focused cell's), or all of ``region`` when the view is not a plain grid (rows hidden or moved,
        right to left).
        """
        vheader, hheader = self.verticalHeader(), self.horizontalHeader()
        row_count, column_count = vheader.count(), hheader.count()
        if (not row_count or not column_count or vheader.sectionsHidden() or vheader.sectionsMoved()
                or self.isRightToLeft()):
            return region
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        delegate.take_look(option)
        look = delegate.look
        grid = self.showGrid()
        grid_size = 1 if grid else 0
        last_x = hheader.length() - hheader.offset() - 1
        last_y = vheader.length() - vheader.offset() - 1
        visible: list[tuple[int, int, int]] = []  # (column, x, cell width) in visual order
        for visual in range(column_count):
            column = hheader.logicalIndex(visual)
            if not hheader.isSectionHidden(column):
                visible.append((column, self.columnViewportPosition(column), self.columnWidth(column) - grid_size))
        alternate = self.alternatingRowColors()
        group = QPalette.ColorGroup.Normal if option.state & QStyle.StateFlag.State_Active \
            else QPalette.ColorGroup.Inactive  # (as the style fills an alternate row)
        alternate_brush = option.palette.brush(group, QPalette.ColorRole.AlternateBase)
        grid_pen = None
        if grid:
            hint = self.style().styleHint(QStyle.StyleHint.SH_Table_GridLineColor, option, self)
            grid_pen = QPen(QColor.fromRgba(hint & 0xFFFFFFFF), 1, self.gridStyle())
        # an opaque grid line may cover a whole row's alternate fill; else each cell's rectangle is filled
        strip = grid_pen is None or grid_pen.color().alpha() == 255
        focus_row = qt_cell[0] if qt_cell is not None else -1
        model = delegate.model
        left_to_qt: list[int] = []
        # a cell in two rectangles of the region is painted once (text drawn twice over itself looks bolder)
        drawn: set[tuple[int, int]] | None = set() if region.rectCount() > 1 else None
        painter = QPainter(self.viewport())
        try:
            painter.setFont(look[0])
            for dirty in region:
                left, top = dirty.left(), dirty.top()
                right, bottom = min(dirty.right(), last_x), min(dirty.bottom(), last_y)
                if right < left or bottom < top:
                    continue
                columns = [c for c in visible if c[1] <= right and c[1] + c[2] + grid_size > left]
                first, last = vheader.visualIndexAt(top), vheader.visualIndexAt(bottom)
                if last == -1:
                    last = row_count - 1
                if first == -1 or first > last or not columns:
                    continue
                for row in range(first, last + 1):
                    if row == focus_row or any(a <= row <= b for a, b in qt_rows):
                        left_to_qt.append(row)
                        continue
                    todo = columns
                    if drawn is not None:
                        todo = [c for c in columns if (row, c[0]) not in drawn]
                        drawn.update((row, c[0]) for c in todo)
                        if not todo:
                            continue
                    y = self.rowViewportPosition(row)
                    height = self.rowHeight(row) - grid_size
                    if alternate and row & 1:
                        if strip and todo is columns:
                            x = columns[0][1]
                            painter.fillRect(x, y, columns[-1][1] + columns[-1][2] - x, height, alternate_brush)
                        else:
                            for _column, x, width in todo:
                                painter.fillRect(x, y, width, height, alternate_brush)
                    cells = model.cells_at(row)
                    if cells is not None:
                        delegate.paint_row(painter, cells, todo, y, height)
                if grid_pen is not None:
                    painter.setPen(grid_pen)
                    lines = []
                    for row in range(first, last + 1):
                        y = self.rowViewportPosition(row) + self.rowHeight(row) - 1 + 0.5
                        lines.append(QLineF(left + 0.5, y, right + 0.5, y))
                    for _column, x, width in columns:
                        lines.append(QLineF(x + width + 0.5, top + 0.5, x + width + 0.5, bottom + 0.5))
                    painter.drawLines(lines)
        finally:
            painter.end()
        if not left_to_qt:
            return None
        width = self.viewport().width()
        rest = QRegion()
        for row in set(left_to_qt):
            rest = rest.united(QRect(0, self.rowViewportPosition(row), width, self.rowHeight(row)))
        return rest.intersected(region)

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
