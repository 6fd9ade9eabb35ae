"""Every screen in Chinese shows words, not codes: walk the widgets and models of each page and fail on an
untranslated code (``card_move_lost``, ``road_occupation``, ``review``) or an English sentence."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from commandroom.ids import new_id
from commandroom.timeutil import utcnow

CODE = re.compile(r"(?<![A-Za-z0-9_./:@-])[a-z]{2,}(?:_[a-z0-9]+)+(?![A-Za-z0-9_])|(?<![A-Za-z0-9_./:@-])[a-z]{4,}(?![A-Za-z0-9_./:@-])")
ENGLISH = re.compile(r"\b[A-Za-z]{3,}\b(?:[ ,;:]+\b[A-Za-z]{2,}\b){2,}")  # three English words in a row
ALLOWED = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+|\b(?:Leaflet|OpenStreetMap|PDF|Excel|WIP)\b")
MAX_ROWS = 60


def problems_in(text: str) -> list[str]:
    from PySide6.QtGui import QTextDocumentFragment

    if text and "<" in text and ">" in text:
        text = QTextDocumentFragment.fromHtml(text).toPlainText()  # what the label shows, not its markup
    text = ALLOWED.sub(" ", text or "")
    return [m.group(0) for m in CODE.finditer(text)] + [m.group(0) for m in ENGLISH.finditer(text)]


def visible_texts(root) -> list[tuple[str, str]]:
    """(where, text) of what the widgets under ``root`` show: labels, buttons, tabs, combos, tables' cells."""
    from PySide6.QtCore import QModelIndex, Qt
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QGroupBox,
        QLabel,
        QLineEdit,
        QTabBar,
        QWidget,
    )

    out: list[tuple[str, str]] = []
    for w in [root, *root.findChildren(QWidget)]:
        name = f"{type(w).__name__}:{w.objectName()}"
        if isinstance(w, QLabel):
            out.append((name, w.text()))
        elif isinstance(w, QAbstractButton):
            out.append((name, w.text()))
            out.append((name + " tooltip", w.toolTip()))
        elif isinstance(w, QGroupBox):
            out.append((name, w.title()))
        elif isinstance(w, QTabBar):
            out += [(name, w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QComboBox):
            out += [(name, w.itemText(i)) for i in range(w.count())]
        elif isinstance(w, QLineEdit):
            out.append((name + " placeholder", w.placeholderText()))
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            try:
                columns, rows = model.columnCount(QModelIndex()), model.rowCount(QModelIndex())
            except TypeError:  # a list model (QStringListModel…): one column
                columns, rows = 1, model.rowCount(QModelIndex())
            for c in range(columns):
                out.append((name + " header", str(model.headerData(c, Qt.Orientation.Horizontal) or "")))
            for r in range(min(rows, MAX_ROWS)):
                for c in range(columns):
                    value = model.index(r, c).data()
                    if isinstance(value, str):
                        out.append((f"{name} cell {r},{c}", value))
        if w.isWindow() and w.windowTitle():
            out.append((name + " title", w.windowTitle()))
    return out


def _seed(store, actor, ui):
    """Reports, incidents in several states, a board card conflict: the codes the issue found on screen."""
    from commandroom.domain.models import ConflictRecord

    ids = []
    for i, (category, text) in enumerate([("road_occupation", "占道经营"), ("urban_parking", "路口违停"),
                                           ("river_waste", "河道漂浮物"), ("muck_dust", "工地扬尘")]):
        rid = ui.make_report(store, actor, category=category, text=text, minutes_ago=30 + i)
        if i < 3:
            ids.append(ui.accept_report(store, actor, rid, title=text))
    # a matter outside the list (乡镇受理、县乡联办): its detail carries the outside-list marker
    outside = ui.make_report(store, actor, category="village_org", text="村务公开栏长期未更新", minutes_ago=20)
    ids.append(ui.accept_report(store, actor, outside, title="村务公开栏未更新"))
    store.perform(actor, "incident.dispatch", ids[1],
                  {"target_kind": "department", "target_code": "enforcement", "dispatch_id": new_id()})
    now = utcnow()
    with store.write() as session:
        for rule, field, kept, lost in (("card_move_lost", "column", "review", "doing"),
                                        ("wip_override", "column", "doing", "todo")):
            session.add(ConflictRecord(township_code=ui.QIUCHUAN, entity_type="task_card", entity_id=new_id(),
                                       field=field, kept_value=kept, lost_value=lost, rule=rule,
                                       origin_device="测试工作站", by_user_name="王值班", explanation="",
                                       created_at=now - timedelta(minutes=5), updated_at=now))


@pytest.mark.asyncio
async def test_no_page_shows_an_untranslated_code_or_english(store, actor, qtbot, ui, zh, tmp_path):
    from PySide6.QtWidgets import QTabWidget

    from ui.main_window import PAGE_MAP, MainWindow

    _seed(store, actor, ui)
    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    found: dict[str, list[str]] = {}
    for key in window._keys:
        if key == PAGE_MAP:
            continue  # a web page: its texts are checked by the map tests (tests/ui/test_map_view.py)
        page = window.show_page(key)
        tabs = [page, *page.findChildren(QTabWidget)] if isinstance(page, QTabWidget) else page.findChildren(QTabWidget)
        for tab_widget in tabs or [None]:
            for index in range(tab_widget.count() if tab_widget is not None else 1):
                if tab_widget is not None:
                    tab_widget.setCurrentIndex(index)
                await asyncio.sleep(0.4)  # pages load on the reader pool
                for where, text in visible_texts(page):
                    bad = problems_in(text)
                    if bad:
                        found.setdefault(f"{key}: {where}", []).extend(bad)
    await asyncio.sleep(0.1)
    assert not found, "\n".join(f"{k}: {v}" for k, v in sorted(found.items()))
