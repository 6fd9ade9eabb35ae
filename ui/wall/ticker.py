"""A smoothly scrolling ticker of the newest reports (masked) at the bottom of the wall.

The position follows elapsed time (``QElapsedTimer``), not the number of timer ticks, so a
late tick makes a bigger step instead of slowing the text down; a ~40 fps ``QTimer`` asks
for a repaint of this widget only. No ``processEvents``. New items are taken at the next
wrap-around, so the text never jumps under the reader's eyes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QElapsedTimer, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QStaticText
from PySide6.QtWidgets import QSizePolicy, QWidget

SPEED_PX_S = 90.0  # at 1080 lines; scaled with the screen
FRAME_MS = 25
GAP = "　　◆　　"


class TickerWidget(QWidget):
    """One line of text segments scrolling right to left, looping.

    Args:
        parent: the parent widget.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WallTicker")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._segments: list[tuple[QStaticText, float, QColor]] = []
        self._items: list[tuple[str, bool]] = []
        self._pending: list[tuple[str, bool]] | None = None
        self._offset = 0.0
        self._cycle = 0.0
        self._scale = 1.0
        self._font = QFont("Noto Sans CJK SC")
        self._bg = QColor("#0a1322")
        self._fg = QColor("#e8eef8")
        self._urgent = QColor("#fca5a5")
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_frame)
        self.frames = 0
        self.wraps = 0
        self.set_scale(1.0)

    # -- inputs

    def set_items(self, items: Sequence[tuple[str, bool]]) -> None:
        """The texts to run, each with an "urgent" flag (drawn in red); applied at the next wrap."""
        items = [(text, bool(urgent)) for text, urgent in items if text]
        if not self._segments:
            self._apply(items)
        else:
            self._pending = items

    def set_scale(self, scale: float) -> None:
        self._scale = scale
        self._font.setPixelSize(max(10, round(30 * scale)))
        self.setFixedHeight(round(56 * scale))
        self._apply(self._pending if self._pending is not None else self._items)
        self._pending = None

    @property
    def offset(self) -> float:
        return self._offset

    @property
    def texts(self) -> list[str]:
        """The texts running now (without the separators)."""
        return [text for text, _urgent in self._items]

    # -- animation

    def showEvent(self, event: Any) -> None:  # Qt override
        super().showEvent(event)
        self._clock.start()
        self._timer.start()

    def hideEvent(self, event: Any) -> None:  # Qt override
        self._timer.stop()
        super().hideEvent(event)

    def stop(self) -> None:
        self._timer.stop()

    def _on_frame(self) -> None:
        elapsed_ms = self._clock.restart()
        self.frames += 1
        if not self._segments or self._cycle <= 0:
            return
        # a stall (or a sleeping machine) must not make the text race: cap the step
        step = SPEED_PX_S * self._scale * min(elapsed_ms, 250) / 1000.0
        self._offset += step
        if self._offset >= self._cycle:
            self._offset -= self._cycle
            self.wraps += 1
            if self._pending is not None:
                pending, self._pending = self._pending, None
                self._apply(pending)
                self._offset = 0.0
        self.update()

    def _apply(self, items: Sequence[tuple[str, bool]]) -> None:
        from PySide6.QtGui import QFontMetricsF

        metrics = QFontMetricsF(self._font)
        self._items = list(items)
        segments = []
        for text, urgent in items:
            static = QStaticText(text + GAP)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(font=self._font)
            segments.append((static, metrics.horizontalAdvance(text + GAP), self._urgent if urgent else self._fg))
        self._segments = segments
        self._cycle = sum(w for _s, w, _c in segments)
        if self._cycle:
            self._offset %= self._cycle
        self.update()

    def paintEvent(self, event: Any) -> None:  # Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), self._bg)
        if not self._segments or self._cycle <= 0:
            painter.end()
            return
        painter.setFont(self._font)
        height = self.height()
        line_h = painter.fontMetrics().height()
        y = (height - line_h) / 2
        x = -self._offset
        width = self.width()
        # draw the loop as often as needed to fill the width
        while x < width:
            for static, w, color in self._segments:
                if x + w > 0 and x < width:
                    painter.setPen(color)
                    painter.drawStaticText(QPointF(x, y), static)
                x += w
                if x >= width:
                    break
        painter.end()
