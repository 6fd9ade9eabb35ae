"""The wall's pages: overview, map, 7-zone board, one-thing cases, boards summary, urgent card.

Every page is a :class:`WallPage`. Its figures come from a pure function of
:mod:`commandroom.queries.wall`, run on the reader pool (:func:`ui.async_runner.run_read`) through a
:class:`~ui.async_runner.LatestTask`:

* on change events that touch the page's tables, coalesced for ``debounce_s`` (and at least
  every ``max_wait_s`` under a steady stream of changes);
* on a timer every ``refresh_s``;
* never twice at once: a change during a load marks the page dirty, and it loads again
  when the running load has been applied (so a stream of changes cannot starve it);
* a hidden page keeps loading (its heartbeat stays fresh) but draws only the newest figures,
  when it is shown — the GUI thread does not redraw charts nobody sees. The overview is the
  exception: its charts take new figures while hidden (Qt draws nothing hidden), so that showing
  it is one repaint, not one per chart (ui/wall/charts.py).

``last_update`` (monotonic seconds) is the page's heartbeat: the watchdog rebuilds a page
whose heartbeat is older than ``config.page_stale_s``. Widgets are created once and updated
in place; nothing is created per refresh, which keeps the memory flat over weeks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries import wall as fg
from commandroom.timeutil import to_local
from ui import i18n
from ui.async_runner import LatestTask, run_read, store_events
from ui.wall.config import PAGE_BOARDS, PAGE_CASES, PAGE_MAP, PAGE_OVERVIEW, PAGE_ZONES, WallConfig

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_NOTHING = object()

CASE_STATE_LABELS = {
    "ordered": QT_TRANSLATE_NOOP("WallLabels", "Ordered"),
    "checking_in": QT_TRANSLATE_NOOP("WallLabels", "Checking in"),
    "in_progress": QT_TRANSLATE_NOOP("WallLabels", "In progress"),
    "completed": QT_TRANSLATE_NOOP("WallLabels", "Completed"),
    "escalated": QT_TRANSLATE_NOOP("WallLabels", "Supervised"),
}
CARD_COLUMN_LABELS = {
    "todo": QT_TRANSLATE_NOOP("WallLabels", "To do"),
    "doing": QT_TRANSLATE_NOOP("WallLabels", "Doing"),
    "review": QT_TRANSLATE_NOOP("WallLabels", "To check"),
    "done": QT_TRANSLATE_NOOP("WallLabels", "Done"),
}
BALANCE_LABELS = {
    "busy": QT_TRANSLATE_NOOP("WallLabels", "Busy"),
    "normal": QT_TRANSLATE_NOOP("WallLabels", "Normal"),
    "idle": QT_TRANSLATE_NOOP("WallLabels", "Idle"),
    "unstaffed": QT_TRANSLATE_NOOP("WallLabels", "Nobody on duty"),
}
PAGE_TITLES = {
    PAGE_OVERVIEW: QT_TRANSLATE_NOOP("WallLabels", "Situation overview"),
    PAGE_MAP: QT_TRANSLATE_NOOP("WallLabels", "Incident map"),
    PAGE_ZONES: QT_TRANSLATE_NOOP("WallLabels", "Enforcement teams in the 7 zones"),
    PAGE_CASES: QT_TRANSLATE_NOOP("WallLabels", "One-thing cases"),
    PAGE_BOARDS: QT_TRANSLATE_NOOP("WallLabels", "Task boards"),
    "urgent": QT_TRANSLATE_NOOP("WallLabels", "Urgent incident"),
}


def wall_label(table: dict[str, str], value: str) -> str:
    source = table.get(value)
    return QCoreApplication.translate("WallLabels", source) if source else value


def page_title(key: str) -> str:
    return wall_label(PAGE_TITLES, key)


def _read(store: Store, fn: Callable[..., Any], now: datetime, kwargs: dict[str, Any]) -> Any:
    """Run a figures function in a read session (on the reader pool)."""
    with store.read() as session:
        return fn(session, now, **kwargs)


def _local_hm(at: datetime | None) -> str:
    loc = to_local(at)
    return loc.strftime("%H:%M") if loc else ""


def _local_mdhm(at: datetime | None) -> str:
    loc = to_local(at)
    return loc.strftime("%m-%d %H:%M") if loc else ""


def _set_prop(widget: QWidget, name: str, value: Any) -> None:
    """Set a dynamic property used by the style sheet and re-polish only when it changed."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


# ----------------------------------------------------------------------------- building blocks


class WallKpiTile(QFrame):
    """A big number with its title and a one-line note."""

    def __init__(self, title: str, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("KpiTile")
        self.setProperty("compact", compact)
        layout = QVBoxLayout(self)
        self.title = QLabel(title)
        self.title.setObjectName("KpiTitle")
        self.value = QLabel("—")
        self.value.setObjectName("KpiValue")
        self.note = QLabel("")
        self.note.setObjectName("KpiNote")
        for w in (self.title, self.value, self.note):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(w)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_value(self, value: str, note: str = "", tone: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)
        _set_prop(self.value, "tone", tone)

    def set_scale(self, scale: float) -> None:
        m = round(10 * scale)
        self.layout().setContentsMargins(m, m, m, m)
        self.layout().setSpacing(round(2 * scale))


class WallPanel(QFrame):
    """A titled frame around a chart or a list."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WallPanel")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel(title)
        self.title.setObjectName("PanelTitle")
        self.legend = QLabel("")
        self.legend.setObjectName("PanelLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.legend)
        layout.addLayout(head)
        layout.addWidget(body, 1)
        self.body = body

    def set_scale(self, scale: float) -> None:
        m = round(12 * scale)
        self.layout().setContentsMargins(m, round(8 * scale), m, m)
        self.layout().setSpacing(round(6 * scale))


class WallRowsTable(QFrame):
    """A fixed grid of labels (created once): a header row and up to ``rows`` data rows."""

    def __init__(self, headers: list[str], rows: int, stretch: list[int] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RowsTable")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.headers = []
        for c, text in enumerate(headers):
            label = QLabel(text)
            label.setObjectName("TableHeader")
            self.grid.addWidget(label, 0, c)
            self.headers.append(label)
            self.grid.setColumnStretch(c, (stretch or [1] * len(headers))[c])
        self.cells: list[list[QLabel]] = []
        for r in range(rows):
            row = []
            for c in range(len(headers)):
                label = QLabel("")
                label.setObjectName("TableCell")
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.hide()
                self.grid.addWidget(label, r + 1, c)
                row.append(label)
            self.cells.append(row)
        self.empty = QLabel("")
        self.empty.setObjectName("EmptyNote")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid.addWidget(self.empty, rows + 1, 0, 1, len(headers))
        self.grid.setRowStretch(rows + 2, 1)

    def set_rows(self, rows: list[list[str]], tones: list[str] | None = None, empty_text: str = "") -> None:
        for r, cells in enumerate(self.cells):
            values = rows[r] if r < len(rows) else None
            tone = (tones[r] if tones and r < len(tones) else "") if values else ""
            for c, label in enumerate(cells):
                label.setText(values[c] if values else "")
                label.setVisible(values is not None)
                _set_prop(label, "tone", tone)
        self.empty.setText(empty_text if not rows else "")
        self.empty.setVisible(not rows and bool(empty_text))

    def set_scale(self, scale: float) -> None:
        self.grid.setHorizontalSpacing(round(16 * scale))
        self.grid.setVerticalSpacing(round(6 * scale))


# ----------------------------------------------------------------------------- the page base


class WallPage(QWidget):
    """A page of the wall; subclasses set :attr:`key`, :attr:`TABLES` and implement ``loader``/``apply``.

    Args:
        store: the DeskStore (reads and change events).
        config: the wall config (refresh and debounce times, township scope).
        clock: returns "now" as naive UTC (a fake clock in the soak test).
    """

    did_update = Signal(object)

    key = ""
    TABLES: tuple[str, ...] = ()
    APPLY_WHEN_HIDDEN = False

    def __init__(self, store: Store, config: WallConfig, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._unshown: Any = _NOTHING
        self.store = store
        self.config = config
        self.clock = clock
        self.scale = 1.0
        self.last_update = time.monotonic()  # a new page counts as fresh
        self.update_count = 0
        self.error_count = 0
        self.last_value: Any = None
        self._closed = False
        self._loading = False
        self._dirty = False
        self._first_pending: float | None = None
        self._task = LatestTask(f"wall-{self.key}")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(max(1, round(config.debounce_s * 1000)))
        self._debounce.timeout.connect(self.refresh)
        self._periodic = QTimer(self)
        self._periodic.setInterval(max(1, round(config.refresh_s * 1000)))
        self._periodic.timeout.connect(self.refresh)
        self._events = store_events(store) if self.TABLES else None
        if self._events is not None:
            self._events.changes_did_happen.connect(self._on_store_changes)

    # -- life

    def start(self) -> None:
        """Load now and keep loading on the timer."""
        self._periodic.start()
        self.refresh()

    def close_page(self) -> None:
        """Stop timers and loads and leave the store's events (before the page is deleted)."""
        self._closed = True
        self._periodic.stop()
        self._debounce.stop()
        self._task.cancel()
        self._leave_events()

    def _leave_events(self) -> None:
        if self._events is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._events.changes_did_happen.disconnect(self._on_store_changes)
            self._events = None

    @property
    def loading(self) -> bool:
        return self._loading

    def age(self, now: float | None = None) -> float:
        """Seconds since the page last applied fresh figures."""
        return (now if now is not None else time.monotonic()) - self.last_update

    # -- loading

    def loader(self) -> Callable[..., Any] | None:
        """The figures function ``fn(session, now, **kwargs)`` (None: nothing to load)."""
        return None

    def loader_kwargs(self) -> dict[str, Any]:
        return {"townships": self.config.townships}

    def apply(self, value: Any) -> None:
        """Show freshly loaded figures (GUI thread)."""

    def refresh(self) -> None:
        """Load the figures now (or as soon as the running load is applied)."""
        if self._closed:
            return
        self._debounce.stop()
        self._first_pending = None
        fn = self.loader()
        if fn is None:
            self.mark_updated(None)
            return
        if self._loading:
            self._dirty = True
            return
        self._loading = True
        self._dirty = False
        self._task.start(run_read(_read, self.store, fn, self.clock(), self.loader_kwargs()), self._on_loaded,
                         self._on_load_failed)
        if not self._task.running:  # no running loop (shutting down)
            self._loading = False

    def mark_updated(self, value: Any) -> None:
        self.last_value = value
        self.last_update = time.monotonic()
        self.update_count += 1
        self.did_update.emit(value)

    def _on_loaded(self, value: Any) -> None:
        self._loading = False
        if self._closed:
            return
        if self.APPLY_WHEN_HIDDEN or self.isVisible():
            if not self._apply_safely(value):
                return
        else:
            self._unshown = value  # a hidden page draws its newest figures when it is shown
        self.mark_updated(value)
        if self._dirty:
            self._dirty = False
            self._debounce.start()

    def _apply_safely(self, value: Any) -> bool:
        try:
            self.apply(value)
        except Exception:  # a broken refresh is logged; the watchdog sees the stale page
            self.error_count += 1
            log.exception("wall page %s could not show its figures", self.key)
            return False
        return True

    def showEvent(self, event: Any) -> None:  # Qt override
        super().showEvent(event)
        value, self._unshown = self._unshown, _NOTHING
        if value is not _NOTHING and not self._closed:
            self._apply_safely(value)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.error_count += 1
        log.error("wall page %s could not load its figures: %s", self.key, exc, exc_info=exc)

    def _on_store_changes(self, changes: Any) -> None:
        if self._closed or not changes.touches(*self.TABLES):
            return
        now = time.monotonic()
        if self._first_pending is None:
            self._first_pending = now
        if now - self._first_pending >= self.config.max_wait_s:
            self.refresh()
        else:
            self._debounce.start()

    # -- sizing

    def set_scale(self, scale: float) -> None:
        self.scale = scale


# ----------------------------------------------------------------------------- overview


class WallOverviewPage(WallPage):
    """Big numbers and four charts (the ticker under every page is :class:`WallTickerFeed`'s)."""

    key = PAGE_OVERVIEW
    TABLES = ("report", "incident", "team_member", "roster_entry", "member_loan")
    # Applied on show, the four charts' changes were four window repaints in a row when the page
    # came up (ui/wall/charts.py); hidden, they repaint nothing, and showing the page is one paint.
    APPLY_WHEN_HIDDEN = True

    def __init__(self, store: Store, config: WallConfig, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(store, config, clock, parent)
        from ui.wall.charts import CategoryChart, HourlyChart, TrendChart, ZoneLoadChart

        layout = QVBoxLayout(self)
        self.kpi_row = QHBoxLayout()
        self.kpi_reports = WallKpiTile(self.tr("Reports today"))
        self.kpi_open = WallKpiTile(self.tr("Open incidents"))
        self.kpi_overdue = WallKpiTile(self.tr("Overdue"))
        self.kpi_rate = WallKpiTile(self.tr("On-time closure this month"))
        self.kpi_duty = WallKpiTile(self.tr("Team members on duty"))
        self.kpis = [self.kpi_reports, self.kpi_open, self.kpi_overdue, self.kpi_rate, self.kpi_duty]
        self._trend_note = ""
        for tile in self.kpis:
            self.kpi_row.addWidget(tile)
        layout.addLayout(self.kpi_row)
        self.hourly = HourlyChart()
        self.category = CategoryChart()
        self.zones = ZoneLoadChart()
        self.trend = TrendChart()
        self.charts = [self.hourly, self.category, self.zones, self.trend]
        self.panel_hourly = WallPanel(self.tr("Reports per hour today"), self.hourly)
        self.panel_category = WallPanel(self.tr("Top categories, last 24 hours"), self.category)
        self.panel_zones = WallPanel(self.tr("Open incidents per zone"), self.zones)
        self.panel_trend = WallPanel(self.tr("On-time closure rate, last 30 days"), self.trend)
        self.panels = [self.panel_hourly, self.panel_category, self.panel_zones, self.panel_trend]
        grid = QGridLayout()
        grid.addWidget(self.panel_hourly, 0, 0)
        grid.addWidget(self.panel_category, 0, 1)
        grid.addWidget(self.panel_zones, 1, 0)
        grid.addWidget(self.panel_trend, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        self.grid = grid
        layout.addLayout(grid, 1)
        self._figures: Any = None
        self._charts_due: list[Any] = []
        # On screen, each chart that changes is a repaint of the window right away (ui/wall/charts.py):
        # one chart per pass of the event loop, so that the four are four short pauses, not one long one.
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.setInterval(0)
        self._chart_timer.timeout.connect(self._update_next_chart)
        self.set_scale(1.0)

    def loader(self) -> Callable[..., Any]:
        return fg.overview_figures

    def apply(self, fig: fg.OverviewFigures) -> None:
        k = fig.kpis
        loc = to_local(fig.now)
        fraction = (loc.minute / 60.0) if loc else 1.0
        base = fig.hourly_baseline()
        hour = fig.current_hour
        usual = float(base[:hour].sum() + base[hour] * fraction) if len(base) else 0.0
        self.kpi_reports.set_value(f"{k.reports_today:,}", self.tr("Usual by now: {n}").format(n=f"{usual:.0f}"))
        self.kpi_open.set_value(f"{k.open_incidents:,}")
        share = (k.overdue / k.open_incidents) if k.open_incidents else 0.0
        self.kpi_overdue.set_value(f"{k.overdue:,}", self.tr("{p} of open").format(p=fg.fmt_rate(share))
                                   if k.open_incidents else "", "bad" if k.overdue else "good")
        rate = k.on_time_rate_month
        tone = "" if rate is None else ("good" if rate >= 0.9 else "warn" if rate >= 0.75 else "bad")
        self.kpi_rate.set_value(fg.fmt_rate(rate), self.tr("{n} closed this month").format(n=f"{k.closed_month:,}"),
                                tone)
        note = {"roster": self.tr("by the duty roster"), "status": self.tr("by member status (no roster)"),
                "none": self.tr("no team data")}.get(k.on_duty_source, "")
        self.kpi_duty.set_value(f"{k.on_duty:,}", note)
        self._figures, self._charts_due = fig, list(self.charts)
        self._update_next_chart()  # on screen one now, the others in the next passes; hidden all now
        closed, on_time = sum(fig.trend_closed), sum(fig.trend_on_time)
        _days, daily = fig.on_time_trend()
        finite = [v for v in daily if v == v]
        parts = []
        if finite:
            parts.append(self.tr("latest day {p}").format(p=f"{finite[-1]:.1f}%"))
        if closed:
            parts.append(self.tr("30 days {p}").format(p=fg.fmt_rate(on_time / closed)))
        self._trend_note = " · ".join(parts)
        self._show_trend_note()

    def _update_next_chart(self) -> None:
        """Show the newest figures in the next chart that has not had them (the others in later passes)."""
        if not self._charts_due or self._closed:
            return
        chart = self._charts_due.pop(0)
        chart.update_from(self._figures)
        chart.settle()
        if self._charts_due:
            if self.isVisible():
                self._chart_timer.start()
            else:
                self._update_next_chart()

    def _show_trend_note(self) -> None:
        from ui.wall.charts import GOOD

        self.panel_trend.legend.setText(
            f'<span style="color:{GOOD}; font-size:{round(22 * self.scale)}px"><b>{self._trend_note}</b></span>')

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        m = round(4 * scale)
        self.layout().setContentsMargins(m, m, m, m)
        self.layout().setSpacing(round(14 * scale))
        self.kpi_row.setSpacing(round(14 * scale))
        self.grid.setSpacing(round(14 * scale))
        for tile in self.kpis:
            tile.set_scale(scale)
        for panel in self.panels:
            panel.set_scale(scale)
        for chart in self.charts:
            chart.set_scale(scale)
        from ui.wall.charts import BASELINE, CURRENT, LATE, OPEN, TODAY, legend_html

        self._show_trend_note()
        px = round(20 * scale)
        self.panel_hourly.legend.setText(legend_html(
            [(TODAY, self.tr("Today")), (CURRENT, self.tr("This hour")), (BASELINE, self.tr("7-day average"))], px))
        self.panel_zones.legend.setText(legend_html([(OPEN, self.tr("Open")), (LATE, self.tr("Overdue"))], px))


# ----------------------------------------------------------------------------- map


class WallPulseRing(QWidget):
    """Rings pulsing around the centre of its parent: where the urgent incident is on the map."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground, True)
        self._phase = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._on_tick)
        self.scale = 1.0

    def start(self) -> None:
        self._timer.start()
        self.show()
        self.raise_()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    def _on_tick(self) -> None:
        self._phase = (self._phase + 0.04) % 1.0
        self.update()

    def paintEvent(self, event: Any) -> None:  # Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre = QPointF(self.width() / 2, self.height() / 2)
        base = 18 * self.scale
        for k in range(3):
            phase = (self._phase + k / 3) % 1.0
            color = QColor("#ef4444")
            color.setAlphaF(max(0.0, 1.0 - phase))
            painter.setPen(QPen(color, max(2.0, 4 * self.scale)))
            r = base + phase * 70 * self.scale
            painter.drawEllipse(centre, r, r)
        painter.setPen(QPen(QColor("#ffffff"), max(2.0, 3 * self.scale)))
        painter.setBrush(QColor("#dc2626"))
        painter.drawEllipse(centre, 9 * self.scale, 9 * self.scale)
        painter.end()


WALL_MAP_SCALE = 1.5
"""Labels and markers on the wall's map against a desk's, on a 1080-line screen (read from 5 m); a 4K wall
(scale 2) draws them three times a desk's size."""


class WallMapPage(WallPage):
    """The offline incident map (``ui.map.view.MapView``), or a placeholder when it is not installed.

    Its heartbeat is a JavaScript round trip to the page every ``refresh_s``: a renderer that
    stopped answering leaves the page stale and the watchdog rebuilds it.
    """

    key = PAGE_MAP

    def __init__(self, store: Store, config: WallConfig, clock: Clock, parent: QWidget | None = None, *,
                 map_factory: Callable[[Any], QWidget] | None = None) -> None:
        super().__init__(store, config, clock, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view: Any = None
        try:
            if map_factory is not None:
                self.view = map_factory(store)
            else:
                from ui.map.view import MapView

                self.view = MapView(store, masked=True)  # visitors see the wall: no names or numbers
        except Exception as exc:  # noqa: BLE001 - ImportError, or QtWebEngine unusable here
            log.warning("the wall shows no map: %s", exc)
            self.view = None
        if self.view is None:
            self.placeholder = QLabel(self.tr("The map is not available on this workstation."))
            self.placeholder.setObjectName("EmptyNote")
            self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(self.placeholder)
        else:
            layout.addWidget(self.view)
            loaded = getattr(self.view, "page_loaded", None)
            if loaded is not None:
                loaded.connect(self._on_map_loaded)
            ready = getattr(self.view, "ready", None)
            if ready is not None:
                ready.connect(self._on_map_ready)
        self.ring = WallPulseRing(self)
        self.ring.hide()
        self.card = WallUrgentCard(self)
        self.card.hide()
        self._urgent: fg.UrgentItem | None = None
        self.ring_centre = QPoint()
        self._pending_ping = False

    @property
    def has_map(self) -> bool:
        return self.view is not None

    def start(self) -> None:
        super().start()
        if self.view is not None and hasattr(self.view, "start"):
            QTimer.singleShot(500, self._start_view)

    def _start_view(self) -> None:
        if not self._closed and self.view is not None:
            self.view.start()

    def refresh(self) -> None:
        if self._closed:
            return
        view = self.view
        if view is None or getattr(view, "page", lambda: None)() is None:
            self.mark_updated(None)
            return
        if self._pending_ping:
            return  # the last ping has not come back: the heartbeat stays old
        self._pending_ping = True
        try:
            view.run_js("1", self._on_pong)
        except RuntimeError:
            self._pending_ping = False

    def _on_pong(self, _value: Any) -> None:
        self._pending_ping = False
        if not self._closed:
            self.mark_updated(None)

    def _on_map_loaded(self, ok: bool = True) -> None:
        if ok:
            self._style_map()

    def _style_map(self) -> None:
        """The map's look on the wall: no desktop controls, bigger labels and legend (read from 5 m)."""
        if self.view is None:
            return
        k = self.scale
        set_scale = getattr(self.view, "set_scale", None)
        if set_scale is not None:
            # labels, incident markers and the base map's tiles grow with the wall's screen (one factor, in the
            # page); given before the page is built, so its tiles are drawn for the wall the first time
            set_scale(WALL_MAP_SCALE * k)
        if getattr(self.view, "page", lambda: None)() is None:
            return
        css = (".leaflet-control-zoom,.leaflet-control-layers,.cr-toolbar{display:none!important}"
               f".cr-legend{{zoom:{WALL_MAP_SCALE * k:.2f}}}"
               f".leaflet-control-scale{{zoom:{WALL_MAP_SCALE * k:.2f}}}")
        script = ("(function(){var s=document.getElementById('cr-wall-style');"
                  "if(!s){s=document.createElement('style');s.id='cr-wall-style';document.head.appendChild(s);}"
                  f"s.textContent={json.dumps(css)};}})()")
        with contextlib.suppress(RuntimeError):
            self.view.run_js(script)

    # -- urgent takeover on the map

    URGENT_ZOOM = 14  # a few streets around the spot

    def show_urgent(self, item: fg.UrgentItem, more: int) -> None:
        """Zoom the map to the urgent item, ring it where it is and show its card beside it (never over it)."""
        self._urgent = item
        self.card.show_item(item, more)
        self._place_overlays()
        self.card.show()
        self.card.raise_()
        self._focus_urgent()

    def _focus_urgent(self) -> None:
        """Ask the map to centre the item in the room right of the card; the ring goes where the map says it is."""
        item = getattr(self, "_urgent", None)
        if item is None or item.lat is None or item.lon is None or self.view is None:
            self.ring.stop()
            return
        self._place_ring(self._free_centre())  # until the map answers: the middle of the free room
        self.ring.start()
        if not getattr(self.view, "is_ready", True) or getattr(self.view, "page", lambda: None)() is None:
            return  # _on_map_ready focuses once the page has drawn
        pad = self.card.geometry().right() if self.card.isVisible() else 0
        evaluate = getattr(self.view, "evaluate", None)
        if evaluate is None:
            return
        try:
            evaluate(f"cr.focusPoint({item.lat}, {item.lon}, {self.URGENT_ZOOM}, {pad})", self._on_focused)
        except RuntimeError:
            log.info("map page not built yet: the urgent card shows without a map position")

    def _on_focused(self, point: Any) -> None:
        if self._closed or getattr(self, "_urgent", None) is None or not isinstance(point, list) or len(point) != 2:
            return
        origin = self.view.mapTo(self, QPoint(0, 0)) if isinstance(self.view, QWidget) else QPoint(0, 0)
        self._place_ring(QPoint(origin.x() + round(point[0]), origin.y() + round(point[1])))

    def _on_map_ready(self) -> None:
        if getattr(self, "_urgent", None) is not None and self.card.isVisible():
            self._focus_urgent()

    def _free_centre(self) -> QPoint:
        left = self.card.geometry().right() if self.card.isVisible() else 0
        return QPoint((left + self.width()) // 2, self.height() // 2)

    def _place_ring(self, centre: QPoint) -> None:
        side = round(240 * self.scale)
        self.ring.scale = self.scale
        self.ring.setGeometry(centre.x() - side // 2, centre.y() - side // 2, side, side)
        self.ring_centre = centre

    def clear_urgent(self) -> None:
        self._urgent = None
        self.card.hide()
        self.ring.stop()

    def _place_overlays(self) -> None:
        w, h = self.width(), self.height()
        cw = round(w * 0.36)
        margin = round(20 * self.scale)
        self.card.setFixedWidth(cw)
        layout = self.card.layout()
        height = layout.totalHeightForWidth(cw) if layout.hasHeightForWidth() else self.card.sizeHint().height()
        height = min(h - 2 * margin, max(height, self.card.minimumSizeHint().height()))
        self.card.setFixedHeight(height)
        self.card.move(margin, max(margin, h - height - margin))

    def resizeEvent(self, event: Any) -> None:  # Qt override
        super().resizeEvent(event)
        if self.card.isVisible():
            self._place_overlays()
            self._focus_urgent()

    def showEvent(self, event: Any) -> None:  # Qt override
        super().showEvent(event)
        if self._urgent is not None:  # the takeover came while another page was up: the map has its size now
            self._place_overlays()
            QTimer.singleShot(0, self._focus_urgent)

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.card.set_scale(scale)
        self._style_map()

    def close_page(self) -> None:
        super().close_page()
        self.ring.stop()


# ----------------------------------------------------------------------------- zones


class WallZoneTile(QFrame):
    """One zone: its townships, members on duty, open enforcement work, overdue, workload."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ZoneTile")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.name = QLabel("")
        self.name.setObjectName("ZoneName")
        self.badge = QLabel("")
        self.badge.setObjectName("ZoneBadge")
        head.addWidget(self.name)
        head.addStretch(1)
        head.addWidget(self.badge)
        layout.addLayout(head)
        self.towns = QLabel("")
        self.towns.setObjectName("ZoneTowns")
        layout.addWidget(self.towns)
        numbers = QGridLayout()
        self.values: list[QLabel] = []
        self.captions: list[QLabel] = []
        for i in range(4):
            value = QLabel("—")
            value.setObjectName("ZoneValue")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel("")
            caption.setObjectName("ZoneCaption")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            numbers.addWidget(value, 0, i)
            numbers.addWidget(caption, 1, i)
            self.values.append(value)
            self.captions.append(caption)
        layout.addLayout(numbers)
        layout.addStretch(1)
        self.load_caption = QLabel("")
        self.load_caption.setObjectName("ZoneCaption")
        layout.addWidget(self.load_caption)
        self.load_bar = WallLoadBar()
        layout.addWidget(self.load_bar)

    def set_scale(self, scale: float) -> None:
        m = round(14 * scale)
        self.layout().setContentsMargins(m, m, m, m)
        self.layout().setSpacing(round(6 * scale))
        self.load_bar.setFixedHeight(round(16 * scale))


class WallLoadBar(QWidget):
    """A horizontal bar: this zone's workload against the busiest zone's."""

    COLOURS: ClassVar[dict[str, str]] = {"busy": "#f87171", "idle": "#34d399"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fraction = 0.0
        self.balance = ""

    def set_value(self, fraction: float, balance: str) -> None:
        self.fraction = max(0.0, min(1.0, fraction))
        self.balance = balance
        self.update()

    def paintEvent(self, event: Any) -> None:  # Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.height() / 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#1c2a44"))
        painter.drawRoundedRect(self.rect(), r, r)
        if self.fraction > 0:
            painter.setBrush(QColor(self.COLOURS.get(self.balance, "#60a5fa")))
            width = max(self.height(), round(self.width() * self.fraction))
            painter.drawRoundedRect(0, 0, width, self.height(), r, r)
        painter.end()


class WallZonesPage(WallPage):
    """The 7-zone board: compact tiles with counts only (the desktop's board shows members by name)."""

    key = PAGE_ZONES
    TABLES = ("incident", "team_member", "roster_entry", "member_loan", "dispatch")

    def __init__(self, store: Store, config: WallConfig, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(store, config, clock, parent)
        layout = QVBoxLayout(self)
        self.tiles: list[WallZoneTile] = []
        self.note = QLabel(self.tr("Workload = open enforcement incidents per member on duty"))
        self.note.setObjectName("PageNote")
        layout.addWidget(self.note)
        self.grid = QGridLayout()
        for i in range(8):
            tile = WallZoneTile()
            self.grid.addWidget(tile, i // 4, i % 4)
            tile.hide()
            self.tiles.append(tile)
        layout.addLayout(self.grid, 1)
        self.empty = QLabel(self.tr("No zones in this workstation's data."))
        self.empty.setObjectName("EmptyNote")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout.addWidget(self.empty)
        self.set_scale(1.0)

    def loader(self) -> Callable[..., Any] | None:
        return fg.zone_figures

    def apply(self, zones: list[fg.ZoneFigure]) -> None:
        captions = [self.tr("On duty"), self.tr("Available"), self.tr("Open"), self.tr("Overdue")]
        top = max((z.load for z in zones), default=0.0) or 1.0
        for i, tile in enumerate(self.tiles):
            if i >= len(zones):
                tile.hide()
                continue
            z = zones[i]
            tile.name.setText(z.name)
            tile.towns.setText("、".join(z.townships))
            tile.badge.setText(wall_label(BALANCE_LABELS, z.balance) if z.balance else "")
            _set_prop(tile, "balance", z.balance)
            for value, caption, number, text in zip(tile.values, tile.captions,
                                                     (z.on_duty, z.available, z.open_incidents, z.overdue), captions,
                                                     strict=True):
                value.setText(str(number))
                caption.setText(text)
            _set_prop(tile.values[3], "tone", "bad" if z.overdue else "")
            tile.load_caption.setText(self.tr("Workload {load} per member").format(load=f"{z.load:.1f}"))
            tile.load_bar.set_value(z.load / top, z.balance)
            tile.show()
        self.empty.setVisible(not zones)

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.layout().setSpacing(round(12 * scale))
        if self.tiles:
            self.grid.setSpacing(round(16 * scale))
            for tile in self.tiles:
                tile.set_scale(scale)


# ----------------------------------------------------------------------------- one-thing cases


class WallCasesPage(WallPage):
    """One-thing cases: open, overdue, done on time; the open cases by deadline; departments not checked in."""

    key = PAGE_CASES
    TABLES = ("one_thing_case", "case_checkin", "case_step")
    ROWS = 8

    def __init__(self, store: Store, config: WallConfig, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(store, config, clock, parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.kpi_open = WallKpiTile(self.tr("Open cases"), compact=True)
        self.kpi_overdue = WallKpiTile(self.tr("Overdue cases"), compact=True)
        self.kpi_done = WallKpiTile(self.tr("Completed in 30 days"), compact=True)
        self.kpi_waiting = WallKpiTile(self.tr("Departments not checked in"), compact=True)
        self.kpis = [self.kpi_open, self.kpi_overdue, self.kpi_done, self.kpi_waiting]
        for tile in self.kpis:
            row.addWidget(tile)
        self.kpi_row = row
        layout.addLayout(row)
        body = QHBoxLayout()
        self.cases = WallRowsTable([self.tr("Case"), self.tr("Type"), self.tr("Lead"), self.tr("State"),
                                self.tr("Deadline")], self.ROWS, [5, 3, 2, 2, 2])
        self.checkins = WallRowsTable([self.tr("Department"), self.tr("Case"), self.tr("Due")], self.ROWS, [2, 4, 2])
        self.panel_cases = WallPanel(self.tr("Open cases, most urgent first"), self.cases)
        self.panel_checkins = WallPanel(self.tr("Waiting for check-in"), self.checkins)
        body.addWidget(self.panel_cases, 3)
        body.addWidget(self.panel_checkins, 2)
        self.body = body
        layout.addLayout(body, 1)
        self.set_scale(1.0)

    def loader(self) -> Callable[..., Any]:
        return fg.case_figures

    def loader_kwargs(self) -> dict[str, Any]:
        return {"townships": self.config.townships, "limit": self.ROWS}

    def apply(self, fig: fg.CaseFigures) -> None:
        self.kpi_open.set_value(str(fig.open_total))
        self.kpi_overdue.set_value(str(fig.overdue_total), "", "bad" if fig.overdue_total else "good")
        rate = (fig.completed_on_time_30d / fig.completed_30d) if fig.completed_30d else None
        self.kpi_done.set_value(str(fig.completed_30d), self.tr("on time {p}").format(p=fg.fmt_rate(rate))
                                if rate is not None else "")
        late = fig.waiting_late
        self.kpi_waiting.set_value(str(fig.waiting_total), self.tr("{n} late").format(n=late) if late else "",
                                   "bad" if late else "")
        rows, tones = [], []
        for c in fig.cases:
            if c.overdue_hours > 0:
                deadline = self.tr("{h} h late").format(h=f"{c.overdue_hours:.0f}")
            else:
                deadline = _local_mdhm(c.due_at)
            rows.append([c.title, c.type_name, c.lead, wall_label(CASE_STATE_LABELS, c.state), deadline])
            tones.append("bad" if c.overdue_hours > 0 else "")
        self.cases.set_rows(rows, tones, self.tr("No open one-thing cases."))
        self.checkins.set_rows([[c.target, c.subject, _local_mdhm(c.due_at)] for c in fig.checkins],
                               ["bad" if c.overdue else "" for c in fig.checkins],
                               self.tr("Every department has checked in."))

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.layout().setSpacing(round(14 * scale))
        self.kpi_row.setSpacing(round(14 * scale))
        self.body.setSpacing(round(14 * scale))
        for w in (*self.kpis, self.panel_cases, self.panel_checkins, self.cases, self.checkins):
            w.set_scale(scale)


# ----------------------------------------------------------------------------- boards


class WallBoardsPage(WallPage):
    """The task boards in one view: cards per column over all modules, the modules that need attention."""

    key = PAGE_BOARDS
    TABLES = ("task_card", "module")
    ROWS = 8

    def __init__(self, store: Store, config: WallConfig, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(store, config, clock, parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.column_tiles = {c: WallKpiTile(wall_label(CARD_COLUMN_LABELS, c), compact=True) for c in CARD_COLUMN_LABELS}
        self.kpi_overdue = WallKpiTile(self.tr("Overdue cards"), compact=True)
        self.kpi_wip = WallKpiTile(self.tr("Modules over their WIP limit"), compact=True)
        self.kpis = [*self.column_tiles.values(), self.kpi_overdue, self.kpi_wip]
        for tile in self.kpis:
            row.addWidget(tile)
        self.kpi_row = row
        layout.addLayout(row)
        self.table = WallRowsTable([self.tr("Module"), self.tr("Lead"),
                                *[wall_label(CARD_COLUMN_LABELS, c) for c in ("todo", "doing", "review")],
                                self.tr("Overdue")], self.ROWS, [4, 3, 1, 1, 1, 1])
        self.panel = WallPanel(self.tr("Modules that need attention"), self.table)
        layout.addWidget(self.panel, 1)
        self.set_scale(1.0)

    def loader(self) -> Callable[..., Any]:
        return fg.board_figures

    def loader_kwargs(self) -> dict[str, Any]:
        return {"townships": self.config.townships, "limit": self.ROWS}

    def apply(self, fig: fg.BoardFigures) -> None:
        for column, tile in self.column_tiles.items():
            tile.set_value(str(fig.totals.get(column, 0)))
        self.kpi_overdue.set_value(str(fig.overdue_total), "", "bad" if fig.overdue_total else "good")
        self.kpi_wip.set_value(str(fig.modules_over_wip), "", "warn" if fig.modules_over_wip else "good")
        rows, tones = [], []
        for r in fig.rows:
            doing = str(r.counts.get("doing", 0)) + (f" / {r.wip_limit}" if r.wip_limit else "")
            rows.append([r.name, r.lead, str(r.counts.get("todo", 0)), doing, str(r.counts.get("review", 0)),
                         str(r.overdue)])
            tones.append("bad" if r.overdue else "warn" if r.over_wip else "")
        self.table.set_rows(rows, tones, self.tr("No cards on the task boards."))

    def set_scale(self, scale: float) -> None:
        super().set_scale(scale)
        self.layout().setSpacing(round(14 * scale))
        self.kpi_row.setSpacing(round(14 * scale))
        for w in (*self.kpis, self.panel, self.table):
            w.set_scale(scale)


# ----------------------------------------------------------------------------- urgent card


class WallUrgentCard(QFrame):
    """The big card of an urgent incident or report (masked text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UrgentCard")
        layout = QVBoxLayout(self)
        self.header = QLabel(self.tr("URGENT"))
        self.header.setObjectName("UrgentHeader")
        self.title = QLabel("")
        self.title.setObjectName("UrgentTitle")
        self.title.setWordWrap(True)
        self.place = QLabel("")
        self.place.setObjectName("UrgentPlace")
        self.place.setWordWrap(True)
        self.text = QLabel("")
        self.text.setObjectName("UrgentText")
        self.text.setWordWrap(True)
        self.meta = QLabel("")
        self.meta.setObjectName("UrgentMeta")
        self.meta.setWordWrap(True)
        self.more = QLabel("")
        self.more.setObjectName("UrgentMore")
        for w in (self.header, self.title, self.place, self.text, self.meta, self.more):
            w.setTextFormat(Qt.TextFormat.PlainText)
            layout.addWidget(w)
        self.item: fg.UrgentItem | None = None

    def show_item(self, item: fg.UrgentItem, more: int = 0) -> None:
        self.item = item
        kind = self.tr("Urgent incident") if item.kind == "incident" else self.tr("Urgent report")
        self.header.setText("⚠ " + kind)
        self.title.setText(item.title or item.category)
        self.place.setText(" · ".join(p for p in (item.township, item.place) if p))
        self.text.setText(item.text)
        self.text.setVisible(bool(item.text) and item.text != item.title)
        parts = [item.category, self.tr("reported {time}").format(time=_local_hm(item.at))]
        if item.state:
            parts.append(i18n.label(i18n.INCIDENT_STATE_LABELS, item.state))
        if item.number:
            parts.append(item.number)
        self.meta.setText(" · ".join(parts))
        self.more.setText(self.tr("{n} more urgent waiting").format(n=more) if more else "")
        self.more.setVisible(bool(more))

    def set_scale(self, scale: float) -> None:
        m = round(24 * scale)
        self.layout().setContentsMargins(m, m, m, m)
        self.layout().setSpacing(round(10 * scale))


class WallUrgentPage(QWidget):
    """The takeover without a map: the card, big, in the middle of the screen."""

    key = "urgent"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card = WallUrgentCard()
        row.addWidget(self.card, 6)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def show_item(self, item: fg.UrgentItem, more: int) -> None:
        self.card.show_item(item, more)

    def set_scale(self, scale: float) -> None:
        self.card.set_scale(scale)


class WallTickerFeed(WallPage):
    """Loads the newest reports for the window's ticker (a page that is never shown itself)."""

    key = "ticker"
    TABLES = ("report",)
    APPLY_WHEN_HIDDEN = True  # never shown itself: its figures go to the ticker through did_update

    def loader(self) -> Callable[..., Any]:
        return fg.ticker_items

    def loader_kwargs(self) -> dict[str, Any]:
        return {"townships": self.config.townships, "size": self.config.ticker_size}


PAGE_CLASSES: dict[str, type[WallPage]] = {
    PAGE_OVERVIEW: WallOverviewPage,
    PAGE_MAP: WallMapPage,
    PAGE_ZONES: WallZonesPage,
    PAGE_CASES: WallCasesPage,
    PAGE_BOARDS: WallBoardsPage,
}


def build_page(key: str, store: Store, config: WallConfig, clock: Clock, **kwargs: Any) -> WallPage:
    """A new page ``key`` (the window builds each page once, and again when the watchdog rebuilds it)."""
    return PAGE_CLASSES[key](store, config, clock, **kwargs)

