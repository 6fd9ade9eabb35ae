"""The overview's charts draw what the figures say and follow every change (they skip a refresh that changes nothing)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from ui.incidents import refcounts
from ui.wall.charts import CategoryChart, HourlyChart, TrendChart, ZoneLoadChart

refcounts.install()  # PySide6 6.12 on CPython 3.11 (ui/incidents/refcounts.py)

DAYS = [date(2026, 11, 20) - timedelta(days=29 - i) for i in range(30)]


class Figures:
    """The pull interface of the charts (commandroom.queries.wall.OverviewFigures), with chosen values."""

    def __init__(self, today: list[int], categories: dict[str, int], zones: dict[str, tuple[int, int]],
                 rates: list[float], hour: int = 14) -> None:
        self.current_hour = hour
        self._today, self._categories, self._zones, self._rates = today, categories, zones, rates

    def hourly_today(self) -> np.ndarray:
        return np.asarray(self._today, dtype=float)

    def hourly_baseline(self) -> np.ndarray:
        return np.full(24, 2.0)

    def categories(self) -> tuple[list[str], np.ndarray]:
        return list(self._categories), np.asarray(list(self._categories.values()), dtype=float)

    def zone_load(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        return (list(self._zones), np.asarray([o for o, _l in self._zones.values()], dtype=float),
                np.asarray([late for _o, late in self._zones.values()], dtype=float))

    def on_time_trend(self) -> tuple[list[date], np.ndarray]:
        return DAYS, np.asarray(self._rates, dtype=float)


def figures(n: int) -> Figures:
    today = [0] * 24
    today[9], today[14] = n, 1
    return Figures(today, {"城区机动车违停": n, "垃圾分类": 2}, {"球川片区": (n, 1), "天马片区": (2, 0)},
                   [float("nan")] * 29 + [50.0 + n])


def charts(qtbot) -> list:
    out = [HourlyChart(), CategoryChart(), ZoneLoadChart(), TrendChart()]
    for chart in out:
        qtbot.addWidget(chart)
        chart.resize(600, 360)
        chart.set_scale(1.0)
        chart.show()
    return out


def texts(chart) -> list[str]:
    return [label.toPlainText() for label in chart._labels if label.isVisible()]


def test_charts_follow_new_figures_and_keep_what_did_not_change(qtbot):
    hourly, category, zones, trend = charts(qtbot)
    first = figures(5)
    for chart in (hourly, category, zones, trend):
        chart.update_from(first)
    assert list(hourly.bars.opts["height"][:15]) == [0] * 9 + [5] + [0] * 5  # the running hour is the light bar
    assert list(hourly.current.opts["height"]) == [1]
    assert texts(category) == ["5", "2"] and texts(zones) == ["5 / 1", "2"]
    assert trend.curve.yData[-1] == 55.0
    y_range = hourly.plot_item.vb.viewRange()[1]

    second = figures(9)
    for chart in (hourly, category, zones, trend):
        chart.update_from(second)
    assert hourly.bars.opts["height"][9] == 9 and hourly.plot_item.vb.viewRange()[1] != y_range
    assert texts(category) == ["9", "2"] and texts(zones) == ["9 / 1", "2"]
    assert category.plot_item.getAxis("left")._tickLevels[0][0] == (0, "城区机动车违停")
    assert trend.curve.yData[-1] == 59.0

    # the same figures again, then the chart made taller: more category rows fit, so it lays them out again
    many = Figures([0] * 24, {f"类别{i}": 40 - i for i in range(30)}, {}, [float("nan")] * 30)
    category.update_from(many)
    category.update_from(many)
    shown = len(texts(category))
    height = category.plot_item.vb.height()
    category.resize(600, 900)
    qtbot.waitUntil(lambda: category.plot_item.vb.height() > height)
    category.update_from(many)
    assert len(texts(category)) > shown
