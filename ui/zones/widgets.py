"""Small shared widgets of the zone screens: a flow layout for chips, status chips, an error line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLabel, QLayout, QLayoutItem, QSizePolicy, QStyle, QWidget


class FlowLayout(QLayout):
    """Lays its items out left to right, wrapping to the next line (Qt's flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # Qt override
        return self._do_layout(QRect(0, 0, width, 0), test_only=True)

    def setGeometry(self, rect: QRect) -> None:  # Qt override
        super().setGeometry(rect)
        self._do_layout(rect, test_only=False)

    def sizeHint(self) -> QSize:  # Qt override
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # Qt override
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def clear(self) -> None:
        """Remove and delete every widget of the layout."""
        while self._items:
            item = self._items.pop()
            w = item.widget()
            if w is not None:
                w.hide()
                w.deleteLater()

    def _do_layout(self, rect: QRect, *, test_only: bool) -> int:
        m = self.contentsMargins()
        eff = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height = eff.x(), eff.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            space = self._spacing
            next_x = x + hint.width() + space
            if next_x - space > eff.right() + 1 and line_height > 0:
                x = eff.x()
                y = y + line_height + space
                next_x = x + hint.width() + space
                line_height = 0
            if not test_only:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x = next_x
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + m.bottom()


def chip(text: str, background: str, foreground: str = "white", *, point_size: float = 10.0,
         tooltip: str = "", border: str | None = None) -> QLabel:
    """A rounded coloured label (status chips, balance badges)."""
    label = QLabel(text)
    edge = f"border:2px solid {border};" if border else "border:none;"
    label.setStyleSheet(f"QLabel {{ background:{background}; color:{foreground}; border-radius:4px; {edge}"
                        f" padding:1px 6px; font-size:{point_size:.1f}pt; }}")
    label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    if tooltip:
        label.setToolTip(tooltip)
    return label


class ErrorLine(QLabel):
    """A red line that says why the last action was refused (hidden when empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { color:#c0392b; font-weight:bold; padding:2px 0; }")
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")


def standard_icon(widget: QWidget, which: QStyle.StandardPixmap) -> Any:
    return widget.style().standardIcon(which)
