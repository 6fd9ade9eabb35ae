"""Every page remembers its splitters and its tables' column widths and order (ui/ui_state.py): an officer who
widened a column or moved a splitter finds it so after the page is built again (the next start)."""

from __future__ import annotations

import asyncio

import pytest

# tables whose columns are not the officer's to size: the roster grid stretches its seven days evenly, the
# list editor's grid is rebuilt for each draft
NOT_REMEMBERED = {("RosterEditor", "table"), ("ReflistView", "edit_table")}


def _owner(widget) -> tuple[str, str]:
    """(class of the widget that keeps the table as an attribute, attribute name)."""
    parent = widget.parent()
    while parent is not None:
        for attr, value in vars(parent).items():
            if value is widget:
                return type(parent).__name__, attr
        parent = parent.parent()
    return "", type(widget).__name__


def _name(widget) -> str:
    return ".".join(_owner(widget))


async def _build(window_cls, store, actor, qtbot, tmp_path, keys):
    from PySide6.QtWidgets import QTabWidget

    window = window_cls(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    pages = {}
    for key in keys:
        page = window.show_page(key)
        for tabs in page.findChildren(QTabWidget):  # every tab shown once, as an officer would
            for i in range(tabs.count()):
                tabs.setCurrentIndex(i)
        await asyncio.sleep(0.4)  # pages load on the reader pool (and fit their columns once)
        pages[key] = page
    return window, pages


def drag_done(header) -> None:
    """What ends an officer's drag on a header (the mouse let go): from then on the widths are theirs."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.mouseRelease(header.viewport(), Qt.MouseButton.LeftButton)


def _remembered(widget) -> bool:
    from ui.ui_state import _Saver

    return bool(widget.findChildren(_Saver))


@pytest.mark.asyncio
async def test_every_page_restores_its_splitters_and_column_widths_after_a_rebuild(store, actor, qtbot, ui,
                                                                                  tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHeaderView, QSplitter, QTableView

    from ui import ui_state
    from ui.main_window import PAGE_MAP, MainWindow

    rid = ui.make_report(store, actor)
    ui.accept_report(store, actor, rid, "河边堆放生活垃圾")
    probe = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(probe)
    keys = [k for k in probe._keys if k != PAGE_MAP]  # the map page is a web view: no splitter, no table
    window, pages = await _build(MainWindow, store, actor, qtbot, tmp_path, keys)

    changed_splitters: dict[tuple[str, int], list[int]] = {}
    changed_columns: dict[tuple[str, int], tuple[int, int]] = {}
    for key, page in pages.items():
        for n, splitter in enumerate(page.findChildren(QSplitter)):
            assert _remembered(splitter), f"{key}: splitter {n} is not remembered"
            sizes = splitter.sizes()
            if len(sizes) >= 2 and min(sizes) > 0:  # both sides shown (an editor hidden to a reader is not)
                total = sum(sizes)
                wanted = [total // 3, total - total // 3]
                splitter.setSizes(wanted + sizes[2:])
                splitter.splitterMoved.emit(wanted[0], 1)  # what a drag sends
                changed_splitters[(key, n)] = wanted
        for n, table in enumerate(page.findChildren(QTableView)):
            header = table.horizontalHeader()
            if _owner(table) in NOT_REMEMBERED:
                continue
            assert _remembered(header), f"{key}: table {_name(table)} does not remember its columns"
            section = next((c for c in range(header.count() - 1)
                            if header.sectionResizeMode(c) == QHeaderView.ResizeMode.Interactive), None)
            if section is not None:
                width = header.sectionSize(section) + 37
                header.resizeSection(section, width)
                drag_done(header)
                changed_columns[(key, n)] = (section, width)
    assert len(changed_splitters) >= 4 and len(changed_columns) >= 8, (changed_splitters, changed_columns)
    window.close()
    ui_state.flush()  # what quitting does for what was not yet saved
    await asyncio.sleep(0.1)

    _again, rebuilt = await _build(MainWindow, store, actor, qtbot, tmp_path, keys)
    for (key, n), wanted in changed_splitters.items():
        splitter = rebuilt[key].findChildren(QSplitter)[n]
        restored = splitter.sizes()[:2]
        # the default gives the first side 2/5 or more; the officer left it a third. The rebuilt window may
        # not be laid out at the same size yet (Qt then scales the saved sizes), so the share must come back,
        # unless the first side's minimum (a list whose rows have loaded) keeps it from going that small.
        first = splitter.widget(0)
        horizontal = splitter.orientation() == Qt.Orientation.Horizontal
        hint = first.minimumSizeHint()
        minimum = max(hint.width() if horizontal else hint.height(),
                      first.minimumWidth() if horizontal else first.minimumHeight())
        share, wanted_share = restored[0] / sum(restored), wanted[0] / sum(wanted)
        assert abs(share - wanted_share) <= 0.02 or restored[0] <= minimum + 3, (key, n, restored, wanted, minimum)
    for (key, n), (section, width) in changed_columns.items():
        table = rebuilt[key].findChildren(QTableView)[n]
        assert table.horizontalHeader().sectionSize(section) == width, f"{key}: table {_name(table)}"


@pytest.mark.asyncio
async def test_a_moved_column_keeps_its_place_and_a_reload_keeps_the_officers_width(store, actor, qtbot, ui,
                                                                                  tmp_path):
    """The conflicts page: a column dragged elsewhere stays there; a reload does not fit widths over the
    officer's."""
    from ui import ui_state
    from ui.conflicts.view import ConflictsView

    view = ConflictsView(store, actor, [actor.township_code])
    qtbot.addWidget(view)
    view.show()
    view.load()
    header = view.conflict_table.horizontalHeader()
    header.moveSection(header.visualIndex(6), 1)  # 处理人 next to 时间
    header.resizeSection(2, 211)
    drag_done(header)
    view.close()
    ui_state.flush()
    again = ConflictsView(store, actor, [actor.township_code])
    qtbot.addWidget(again)
    again.show()
    again.load()
    await asyncio.sleep(0.3)
    header = again.conflict_table.horizontalHeader()
    assert header.logicalIndex(1) == 6 and header.sectionSize(2) == 211


@pytest.mark.asyncio
async def test_the_handover_remembers_its_tables_columns(store, actor, qtbot, ui):
    from ui import ui_state
    from ui.handover.dialog import HandoverDialog

    def opened() -> HandoverDialog:
        dialog = HandoverDialog(store, actor, (ui.QIUCHUAN,))
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    first = opened()
    await ui.wait_until(lambda: first.summary is not None, what="summary")
    first.tables["overdue"].horizontalHeader().resizeSection(1, 377)
    drag_done(first.tables["overdue"].horizontalHeader())
    first.tables["checkins"].horizontalHeader().moveSection(2, 0)
    drag_done(first.tables["checkins"].horizontalHeader())
    first.tables["states"].horizontalHeader().resizeSection(0, 99)  # a width the page set, not the officer
    first.close()
    ui_state.flush()
    second = opened()
    await ui.wait_until(lambda: second.summary is not None, what="summary")
    assert second.tables["overdue"].horizontalHeader().sectionSize(1) == 377
    assert second.tables["checkins"].horizontalHeader().logicalIndex(0) == 2
    assert second.tables["imminent"].horizontalHeader().sectionSize(1) == 300  # untouched: the default
    assert second.tables["states"].horizontalHeader().sectionSize(0) == 160  # not the officer's: not kept
