"""pyqtgraph charts of the wall's overview page.

Each chart is a view component in the style of Orange's ``OWScatterPlotBase``: it knows
nothing about the database and *pulls* its series from a provider through a small,
documented interface of methods returning numpy arrays (implemented by
:class:`commandroom.queries.wall.OverviewFigures`):

=====================  ===========================================================
chart                  provider methods it calls in :meth:`update_from`
=====================  ===========================================================
:class:`HourlyChart`   ``hourly_today() -> (24,)``, ``hourly_baseline() -> (24,)``,
                       attribute ``current_hour``
:class:`CategoryChart` ``categories() -> (names, counts)``
:class:`ZoneLoadChart` ``zone_load() -> (names, open, overdue)``
:class:`TrendChart`    ``on_time_trend() -> (days, percent with NaN gaps)``
=====================  ===========================================================

Items are created once and updated in place (``setOpts`` / ``setData``), so a wall that
refreshes every minute for weeks does not accumulate graphics items. Charts take no mouse
input and have no context menu. :meth:`WallChart.set_scale` sizes fonts and axes for the
screen (1.0 at 1080 lines).

Each chart is a ``QGraphicsScene`` of its own, and a scene with changed items makes Qt repaint
the whole window at once (``QGraphicsScenePrivate::_q_processDirtyItems`` dispatches the
window's pending update request), before the event loop gets back to its timers. Four charts
that change together were four window repaints in a row (40–85 ms of the GUI thread when the
overview was shown, the wall soak's longest stalls, docs/performance.md, session 8). So a chart
changes nothing when it is merely shown (:meth:`WallChart.eventFilter`) or painted
(:meth:`WallChart.settle`); the overview applies its figures while it is hidden, and on screen
updates one chart per pass of the event loop (``ui/wall/pages.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics

BACKGROUND = "#0f1a2c"
AXIS = "#3a4d6b"
TEXT = "#c8d6ea"
MUTED = "#8ea2c0"
TODAY = "#38bdf8"
CURRENT = "#7dd3fc"
BASELINE = "#fbbf24"
OPEN = "#60a5fa"
LATE = "#f87171"
GOOD = "#34d399"
FONT_FAMILY = "Noto Sans CJK SC"


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPixelSize(max(6, px))
    font.setBold(bold)
    return font


class OverviewProvider(Protocol):
    """What the overview charts pull (see the module docstring)."""

    current_hour: int

    def hourly_today(self) -> np.ndarray: ...
    def hourly_baseline(self) -> np.ndarray: ...
    def categories(self) -> tuple[list[str], np.ndarray]: ...
    def zone_load(self) -> tuple[list[str], np.ndarray, np.ndarray]: ...
    def on_time_trend(self) -> tuple[list[Any], np.ndarray]: ...


class WallChart(pg.PlotWidget):
    """A read-only, dark pyqtgraph plot with text sized for the wall."""

    TICK_PX = 20
    LABEL_PX = 22

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent, background=BACKGROUND)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.plot_item = self.getPlotItem()
        self.plot_item.setDefaultPadding(0.02)
        self.plot_item.vb.setMouseEnabled(x=False, y=False)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pg.mkPen(AXIS))
            axis.setTextPen(pg.mkPen(TEXT))
        self.scale = 1.0
        self._labels: list[pg.TextItem] = []
        self._empty = pg.TextItem(QCoreApplication.translate("WallCharts", "No data yet"), color=MUTED, anchor=(0.5, 0.5))
        self._empty.setZValue(10)
        self.plot_item.addItem(self._empty, ignoreBounds=True)
        self._empty.hide()
        self.updates = 0
        self._provider: OverviewProvider | None = None
        self.scene().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        """Keep window (de)activation from the scene: a chart looks the same either way.

        QGraphicsView sends its scene WindowActivate when it is shown and WindowDeactivate when
        hidden; the scene passes them to the plot (a QGraphicsWidget), which then asks for a
        repaint: a page switch to the overview repainted the window once per chart.
        """
        if watched is self.scene() and event.type() in (QEvent.Type.WindowActivate, QEvent.Type.WindowDeactivate):
            return True
        return super().eventFilter(watched, event)

    def settle(self) -> None:
        """Do now what pyqtgraph would do at the next paint: the view's new range, the labels' transforms.

        Done in the paint, these change the scene again, and the chart is repainted right after
        (one more window repaint in the same pass of the event loop).
        """
        scene = self.scene()
        if scene is not None:
            scene.prepareForPaint()

    # -- sizing

    def set_scale(self, scale: float) -> None:
        """Fonts, tick lengths and axis sizes for a window ``scale`` × 1080 lines high."""
        self.scale = scale
        tick = _font(round(self.TICK_PX * scale))
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setStyle(tickFont=tick, tickTextOffset=round(8 * scale), tickLength=round(-6 * scale))
        metrics = QFontMetrics(tick)
        self.plot_item.getAxis("bottom").setHeight(metrics.height() + round(14 * scale))
        self.plot_item.getAxis("left").setWidth(self._left_axis_width(metrics))
        label_font = _font(round(self.LABEL_PX * scale), bold=True)
        for label in self._labels:
            label.setFont(label_font)
        self._empty.setFont(_font(round(26 * scale)))
        half = metrics.height() // 2 + round(2 * scale)  # room for the top tick label
        self.plot_item.setContentsMargins(0, half, round(10 * scale), 0)

    def _left_axis_width(self, metrics: QFontMetrics) -> int:
        return metrics.horizontalAdvance("1000") + round(18 * self.scale)

    # -- helpers

    def _label_pool(self, n: int, color: str = TEXT, anchor: tuple[float, float] = (0.5, 1.0)) -> list[pg.TextItem]:
        """At least ``n`` value labels (created once, reused); surplus ones are hidden."""
        while len(self._labels) < n:
            label = pg.TextItem("", color=color, anchor=anchor)
            label.setFont(_font(round(self.LABEL_PX * self.scale), bold=True))
            self.plot_item.addItem(label, ignoreBounds=True)
            self._labels.append(label)
        for extra in self._labels[n:]:
            extra.hide()
        return self._labels[:n]

    def _show_empty(self, empty: bool, x: float = 0.5, y: float = 0.5) -> None:
        self._empty.setVisible(empty)
        if empty:
            self._empty.setPos(x, y)

    def _plot_px(self) -> float:
        """The height of the plotting area in pixels (an estimate before the first layout)."""
        h = float(self.plot_item.vb.height())
        return h if h > 10 else max(10.0, self.height() * 0.75)

    def _headroom(self, top: float) -> float:
        """The y range's upper end that leaves room for a value label above a bar ``top`` high."""
        label_px = QFontMetrics(_font(round(self.LABEL_PX * self.scale), bold=True)).height() * 1.3
        share = min(0.6, label_px / self._plot_px())
        return top / (1.0 - share)

    def resizeEvent(self, event: Any) -> None:  # Qt override
        super().resizeEvent(event)
        if getattr(self, "_provider", None) is not None:  # pyqtgraph resizes during its own __init__
            # label room and how many rows fit depend on the pixel height: lay the data out again
            QTimer.singleShot(0, self._relayout)

    def _relayout(self) -> None:
        if self._provider is not None:
            self.update_from(self._provider)
            self.settle()

    def update_from(self, provider: OverviewProvider) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class HourlyChart(WallChart):
    """Reports per hour today (bars; the running hour lighter) against the 7-day average at that hour (line)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.bars = pg.BarGraphItem(x=np.arange(24), height=np.zeros(24), width=0.72,
                                    brush=pg.mkBrush(TODAY), pen=pg.mkPen(None))
        self.current = pg.BarGraphItem(x=[0], height=[0], width=0.72, brush=pg.mkBrush(CURRENT), pen=pg.mkPen(None))
        self.line = pg.PlotDataItem(np.arange(24), np.zeros(24), pen=pg.mkPen(BASELINE, width=3),
                                    symbol="o", symbolSize=7, symbolBrush=BASELINE, symbolPen=None)
        for item in (self.bars, self.current, self.line):
            self.plot_item.addItem(item)
        self.plot_item.setXRange(-0.6, 23.6, padding=0)
        bottom = self.plot_item.getAxis("bottom")
        bottom.setTicks([[(h, QCoreApplication.translate("WallCharts", "{h}h").format(h=h)) for h in range(0, 24, 3)], []])

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.line.setPen(pg.mkPen(BASELINE, width=max(2, round(3 * scale))))
        self.line.setSymbolSize(max(4, round(8 * scale)))

    def update_from(self, provider: OverviewProvider) -> None:
        self._provider = provider
        today = np.nan_to_num(provider.hourly_today())
        base = np.nan_to_num(provider.hourly_baseline())
        hour = int(provider.current_hour)
        shown = today.copy()
        shown[hour + 1:] = 0
        done = shown.copy()
        done[hour] = 0
        self.bars.setOpts(height=done)
        self.current.setOpts(x=[hour], height=[shown[hour]])
        self.line.setData(np.arange(24), base)
        top = max(1.0, float(shown.max(initial=0)), float(base.max(initial=0)))
        self.plot_item.setYRange(0, top * 1.15, padding=0)
        self._show_empty(False)
        self.updates += 1


class CategoryChart(WallChart):
    """The top categories of the last 24 hours as horizontal bars, largest on top, with their counts."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.bars = pg.BarGraphItem(x0=[0], y=[0], height=0.66, width=[0], brush=pg.mkBrush(TODAY),
                                    pen=pg.mkPen(None))
        self.plot_item.addItem(self.bars)
        self.plot_item.getAxis("bottom").hide()
        self.plot_item.invertY(True)
        self._names: list[str] = []

    def _left_axis_width(self, metrics: QFontMetrics) -> int:
        widest = max((metrics.horizontalAdvance(n) for n in self._names), default=metrics.horizontalAdvance("一" * 6))
        return widest + round(22 * self.scale)

    def rows_that_fit(self) -> int:
        """How many category rows fit the plot's height at the tick font (at least 3)."""
        line = round(self.TICK_PX * self.scale) * 1.15  # CJK glyphs fill their pixel size; a little air
        return max(3, int(self._plot_px() // max(1.0, line)))

    def update_from(self, provider: OverviewProvider) -> None:
        self._provider = provider
        names, counts = provider.categories()
        keep = self.rows_that_fit()
        names = list(names)[:keep]
        counts = np.nan_to_num(np.asarray(counts, dtype=float))[:keep]
        self._names = list(names)
        n = len(names)
        left = self.plot_item.getAxis("left")
        left.setTicks([[(i, name) for i, name in enumerate(names)], []])
        left.setWidth(self._left_axis_width(QFontMetrics(_font(round(self.TICK_PX * self.scale)))))
        if n == 0:
            self.bars.setOpts(x0=[0], y=[0], width=[0])
            self._label_pool(0)
            self.plot_item.setYRange(-0.5, 0.5, padding=0)
            self.plot_item.setXRange(0, 1, padding=0)
            self._show_empty(True, 0.5, 0.0)
            self.updates += 1
            return
        self._show_empty(False)
        y = np.arange(n, dtype=float)
        self.bars.setOpts(x0=np.zeros(n), y=y, width=counts, height=0.66)
        top = max(1.0, float(counts.max()))
        self.plot_item.setXRange(0, top * 1.16, padding=0)
        self.plot_item.setYRange(-0.6, max(n, 5) - 0.4, padding=0)
        for label, value, yi in zip(self._label_pool(n, anchor=(0.0, 0.5)), counts, y, strict=True):
            label.setText(f"{int(value)}")
            label.setPos(float(value) + top * 0.015, float(yi))
            label.show()
        self.updates += 1


class ZoneLoadChart(WallChart):
    """Open incidents per zone (bars) with the overdue part in red, and the numbers above."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.open_bars = pg.BarGraphItem(x=[0], height=[0], width=0.62, brush=pg.mkBrush(OPEN), pen=pg.mkPen(None))
        self.late_bars = pg.BarGraphItem(x=[0], height=[0], width=0.62, brush=pg.mkBrush(LATE), pen=pg.mkPen(None))
        self.plot_item.addItem(self.open_bars)
        self.plot_item.addItem(self.late_bars)

    def update_from(self, provider: OverviewProvider) -> None:
        self._provider = provider
        names, open_, late = provider.zone_load()
        open_ = np.nan_to_num(np.asarray(open_, dtype=float))
        late = np.nan_to_num(np.asarray(late, dtype=float))
        n = len(names)
        short = [name.removesuffix("片区") for name in names]
        self.plot_item.getAxis("bottom").setTicks([[(i, s) for i, s in enumerate(short)], []])
        if n == 0:
            self.open_bars.setOpts(x=[0], height=[0])
            self.late_bars.setOpts(x=[0], height=[0])
            self._label_pool(0)
            self._show_empty(True, 0.0, 0.5)
            self.plot_item.setXRange(-0.5, 0.5, padding=0)
            self.plot_item.setYRange(0, 1, padding=0)
            self.updates += 1
            return
        self._show_empty(False)
        x = np.arange(n, dtype=float)
        self.open_bars.setOpts(x=x, height=open_)
        self.late_bars.setOpts(x=x, height=np.minimum(late, open_))
        top = max(1.0, float(open_.max()))
        self.plot_item.setXRange(-0.6, n - 0.4, padding=0)
        self.plot_item.setYRange(0, self._headroom(top), padding=0)
        for label, value, xi, lv in zip(self._label_pool(n), open_, x, late, strict=True):
            label.setText(f"{int(value)}" + (f" / {int(lv)}" if lv else ""))
            label.setPos(float(xi), float(value) + top * 0.02)
            label.show()
        self.updates += 1


class TrendChart(WallChart):
    """On-time closure rate per day over 30 days (percent; days without closures are gaps).

    The latest value and the 30-day rate are written in the panel's title row by the page.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.curve = pg.PlotDataItem([0], [0], pen=pg.mkPen(GOOD, width=3), connect="finite",
                                     symbol="o", symbolSize=8, symbolBrush=GOOD, symbolPen=None)
        self.plot_item.addItem(self.curve)

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.curve.setPen(pg.mkPen(GOOD, width=max(2, round(3 * scale))))
        self.curve.setSymbolSize(max(4, round(9 * scale)))

    def _left_axis_width(self, metrics: QFontMetrics) -> int:
        return metrics.horizontalAdvance("100%") + round(18 * self.scale)

    def update_from(self, provider: OverviewProvider) -> None:
        self._provider = provider
        days, rate = provider.on_time_trend()
        rate = np.asarray(rate, dtype=float)
        n = len(days)
        x = np.arange(n, dtype=float)
        ticks = [(i, f"{d.month}-{d.day:02d}") for i, d in enumerate(days) if (n - 1 - i) % 7 == 0]
        self.plot_item.getAxis("bottom").setTicks([ticks, []])
        finite = rate[np.isfinite(rate)] if n else rate
        self.plot_item.setXRange(-0.8, max(n, 1) - 0.2, padding=0)
        if finite.size == 0:
            self.curve.setData([], [])
            self._show_empty(True, (n - 1) / 2 if n else 0.0, 50.0)
            self.plot_item.setYRange(0, 100, padding=0)
            self.updates += 1
            return
        self._show_empty(False)
        self.curve.setData(x, rate, connect="finite")
        low = max(0.0, np.floor((float(finite.min()) - 5) / 10) * 10)
        self.plot_item.setYRange(low, 104, padding=0)
        left = self.plot_item.getAxis("left")
        step = 10 if 100 - low <= 50 else 20
        left.setTicks([[(v, f"{int(v)}%") for v in np.arange(low, 100.1, step)], []])
        self.updates += 1


def legend_html(entries: Sequence[tuple[str, str]], px: int) -> str:
    """A one-line legend for a chart title: coloured squares and labels."""
    parts = [f'<span style="color:{color}">■</span>&nbsp;{text}' for color, text in entries]
    return f'<span style="font-size:{px}px">' + "&nbsp;&nbsp;&nbsp;".join(parts) + "</span>"
