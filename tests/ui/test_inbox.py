"""The report inbox: model contract, ordering, live arrival, and accept / merge / reject through the real widgets."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from ui.async_runner import DB_EXECUTOR


async def _inbox(store, actor, qtbot, ui):
    from ui.inbox.view import InboxView

    view = InboxView(store, actor)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    view.activateWindow()
    view.load()
    # shortcuts need the window active; offscreen activation arrives through the event loop
    await ui.wait_until(lambda: QApplication.activeWindow() is view, what="window activation")
    return view


def _select(view, ids):
    sm = view.table.selectionModel()
    sm.clearSelection()
    for rid in ids:
        row = view.model.row_of(rid)
        assert row >= 0, rid
        sm.select(view.model.index(row, 0),
                  QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    sm.setCurrentIndex(view.model.index(view.model.row_of(ids[0]), 0), QItemSelectionModel.SelectionFlag.NoUpdate)
    view.table.setFocus()


async def _perform_in_writer(store, actor, fn, *args, **kw):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(DB_EXECUTOR, lambda: fn(store, actor, *args, **kw))


def test_model_passes_qtmodeltester(store, actor, qtmodeltester, ui):
    from commandroom.queries.inbox import InboxFilter
    from ui.inbox.table_model import InboxTableModel

    for i in range(5):
        ui.make_report(store, actor, minutes_ago=i * 5, urgency="L1" if i == 2 else None)
    model = InboxTableModel(store, show_township=True)
    model._filter = InboxFilter(scope="all")
    model.load_now()
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_waiting_first_then_newest_first(store, actor, ui):
    from commandroom.queries.inbox import InboxFilter, inbox_ids

    old = ui.make_report(store, actor, minutes_ago=300)
    handled = ui.make_report(store, actor, minutes_ago=5)
    new = ui.make_report(store, actor, minutes_ago=30)
    ui.accept_report(store, actor, handled)
    other_town = ui.make_report(store, actor, township=ui.TIANMA, minutes_ago=1)
    ids = inbox_ids(store, InboxFilter(township_codes=(ui.QIUCHUAN,), scope="all"))
    assert ids == [new, old, handled]
    assert other_town in inbox_ids(store, InboxFilter(scope="all"))
    assert inbox_ids(store, InboxFilter(township_codes=(ui.QIUCHUAN,), scope="new")) == [new, old]


def test_rows_show_category_grid_reporter_and_photo_count(store, actor, ui, zh):
    from commandroom.queries.inbox import InboxFilter
    from ui.inbox.table_model import (
        COL_CATEGORY,
        COL_GRID,
        COL_PHOTOS,
        COL_REPORTER,
        COL_SOURCE,
        InboxTableModel,
    )

    ui.make_report(store, actor, category="river_waste", address="球川村河埠头")
    model = InboxTableModel(store)
    model._filter = InboxFilter(scope="all")
    model.load_now()
    idx = model.index(0, 0)
    assert model.data(idx) == "待受理"
    assert model.data(model.index(0, COL_CATEGORY))
    assert model.data(model.index(0, COL_GRID))
    assert model.data(model.index(0, COL_REPORTER)) == "李网格"
    assert model.data(model.index(0, COL_SOURCE)) == "网格巡查"
    assert model.data(model.index(0, COL_PHOTOS)) == ""


@pytest.mark.asyncio
async def test_new_report_arrives_live_without_reset(store, actor, qtbot, ui):
    view = await _inbox(store, actor, qtbot, ui)
    first = ui.make_report(store, actor, minutes_ago=60)
    await view.wait_idle()
    await ui.wait_until(lambda: view.model.rowCount() == 1, what="first report")
    resets, inserted = [], []
    view.model.modelReset.connect(lambda: resets.append(1))
    view.model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    newer = await _perform_in_writer(store, actor, ui.make_report, minutes_ago=1, text="新上报：路灯损坏")
    await ui.wait_until(lambda: view.model.rowCount() == 2, what="live arrival")
    await view.wait_idle()
    assert view.model.ids == [newer, first]
    assert inserted == [(0, 0)]
    assert resets == []


@pytest.mark.asyncio
async def test_accept_with_keystroke_a_and_enter(store, actor, qtbot, ui):
    rid = ui.make_report(store, actor, category="illegal_construction", text="村口新建砖房疑似违建")
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [rid])
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    dialog = await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible(),
                                 what="accept dialog")
    dialog = view.open_dialog
    assert "属地" in dialog.routing_label.text() or dialog.routing_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    await view.action_task
    await view.wait_idle()
    state, incident_id = ui.report_state(store, rid)
    assert state == "accepted" and incident_id
    names = [(n, e) for n, e, _a in ui.outbox(store)]
    assert ("report.accept", rid) in names
    args = next(a for n, e, a in ui.outbox(store) if n == "report.accept")
    assert args["incident_id"] == incident_id and args["urgency"] in ("L1", "L2", "L3", "L4") and args["title"]
    assert "override" not in args


@pytest.mark.asyncio
async def test_accept_override_needs_a_reason(store, actor, qtbot, ui):
    rid = ui.make_report(store, actor)
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [rid])
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible())
    dialog = view.open_dialog
    dialog.override_box.setChecked(True)
    dialog.department_combo.setCurrentIndex(1)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    await asyncio.sleep(0.05)
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert ui.report_state(store, rid)[0] == "new"
    dialog.reason_edit.setText("现场核实为燃气管线问题")
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    await view.action_task
    args = next(a for n, e, a in ui.outbox(store) if n == "report.accept")
    assert args["override"]["reason"] == "现场核实为燃气管线问题"
    assert args["override"]["lead_department_code"] == dialog.department_combo.currentData()
    assert ui.report_state(store, rid)[0] == "accepted"


@pytest.mark.asyncio
async def test_reject_with_keystroke_r_requires_reason(store, actor, qtbot, ui):
    rid = ui.make_report(store, actor)
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [rid])
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible())
    dialog = view.open_dialog
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    await asyncio.sleep(0.05)
    assert dialog.isVisible(), "an empty reason must not reject"
    qtbot.keyClick(dialog.reasons_list, Qt.Key.Key_2)  # the second common reason
    assert dialog.reason == "Not in this township's jurisdiction"
    qtbot.keyClick(dialog.reasons_list, Qt.Key.Key_Return)
    await view.action_task
    await view.wait_idle()
    assert ui.report_state(store, rid)[0] == "rejected"
    entry = next(a for n, e, a in ui.outbox(store) if n == "report.reject" and e == rid)
    assert entry["reason"] == "Not in this township's jurisdiction"


@pytest.mark.asyncio
async def test_bulk_merge_with_m_then_undo(store, actor, qtbot, ui):
    first = ui.make_report(store, actor, category="river_waste", text="河道漂浮垃圾", minutes_ago=120)
    incident_id = ui.accept_report(store, actor, first, title="球川溪漂浮垃圾")
    dup1 = ui.make_report(store, actor, category="river_waste", text="河里又有垃圾", minutes_ago=30, offset_m=40)
    dup2 = ui.make_report(store, actor, category="river_waste", text="溪边垃圾未清", minutes_ago=20, offset_m=80)
    view = await _inbox(store, actor, qtbot, ui)
    banners = []
    view.banner_requested.connect(banners.append)
    _select(view, [dup1, dup2])
    assert view.selected_ids() == [dup2, dup1]
    qtbot.keyClick(view.table, Qt.Key.Key_M)
    await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible())
    dialog = view.open_dialog
    targets = dialog.model.targets
    assert targets and targets[0].incident_id == incident_id and targets[0].suggested
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    await view.action_task
    await view.wait_idle()
    assert ui.report_state(store, dup1) == ("merged", incident_id)
    assert ui.report_state(store, dup2) == ("merged", incident_id)
    merges = [e for n, e, a in ui.outbox(store) if n == "report.merge"]
    assert sorted(merges) == sorted([dup1, dup2])
    assert banners and banners[-1].action_text  # the banner offers Undo
    assert view.undo_action.isEnabled()

    await ui.wait_until(lambda: QApplication.activeWindow() is view, what="focus back after the dialog")
    view.table.setFocus()
    merge_task = view.action_task
    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    await ui.wait_until(lambda: view.action_task is not merge_task, what="undo started")
    await view.action_task
    await view.wait_idle()
    assert ui.report_state(store, dup1) == ("new", None)
    assert ui.report_state(store, dup2) == ("new", None)
    unmerges = [e for n, e, a in ui.outbox(store) if n == "report.unmerge"]
    assert sorted(unmerges) == sorted([dup1, dup2])
    assert not view.undo_action.isEnabled()


@pytest.mark.asyncio
async def test_selection_moves_to_next_waiting_report_after_action(store, actor, qtbot, ui):
    a = ui.make_report(store, actor, minutes_ago=1)
    b = ui.make_report(store, actor, minutes_ago=2)
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [a])
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible())
    view.open_dialog.reason_edit.setText("已现场处置")
    qtbot.keyClick(view.open_dialog.reason_edit, Qt.Key.Key_Return)
    await view.action_task
    await view.wait_idle()
    await ui.wait_until(lambda: view.selected_ids() == [b], what="next report selected")
    await view.wait_idle()
    assert view.detail.current_report_id() == b


@pytest.mark.asyncio
async def test_urgent_report_raises_banner_and_tray(store, actor, qtbot, ui, tmp_path):
    from ui.main_window import MainWindow

    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    await window.inbox.wait_idle()
    rid = await _perform_in_writer(store, actor, ui.make_report, urgency="L1", text="山体滑坡堵塞村道")
    await ui.wait_until(lambda: window.banner.banners, what="urgent banner")
    banner = window.banner.banners[0]
    assert banner.notice.level == "urgent" and banner.notice.data["report_id"] == rid
    assert window.notifier.tray_messages
    # a later change to the same report does not alert again
    await _perform_in_writer(store, actor, lambda s, a: s.perform(a, "report.reject", rid, {"reason": "重复"}))
    await asyncio.sleep(0.2)
    assert len(window.notifier.tray_messages) == 1
    banner.action_button.click()
    assert window.current_page_key() == "inbox"
    assert QApplication.instance() is not None


@pytest.mark.asyncio
async def test_hand_over_with_t_sends_the_report_to_the_nearest_township(store, actor, qtbot, ui):
    from commandroom.domain.models import Report, Township

    rid = ui.make_report(store, actor, text="路口积水，疑似邻镇地界")
    keep = ui.make_report(store, actor, text="河边堆放生活垃圾", minutes_ago=30)
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [rid])
    qtbot.keyClick(view.table, Qt.Key.Key_T)
    await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible())
    dialog = view.open_dialog
    with store.read() as session:
        report = session.get(Report, rid)
        seats = {t.code: (t.seat_lat - report.lat) ** 2 + (t.seat_lon - report.lon) ** 2
                 for t in session.query(Township) if t.code != report.township_code}
    offered = [dialog.township_combo.itemData(i) for i in range(dialog.township_combo.count())]
    assert ui.QIUCHUAN not in offered and sorted(offered) == sorted(seats)
    assert offered[0] == min(seats, key=seats.get), "the nearest township comes first"
    dialog.reason_edit.clear()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    await asyncio.sleep(0.05)
    assert dialog.isVisible() and dialog.error_label.text(), "an empty reason must not hand over"
    dialog.reason_edit.setText("位置在贵镇辖区")  # typed through the input method
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    await view.action_task
    await view.wait_idle()
    with store.read() as session:
        moved = session.get(Report, rid)
        assert (moved.township_code, moved.transferred_from, moved.state) == (offered[0], ui.QIUCHUAN, "new")
        assert moved.transfer_reason == "位置在贵镇辖区"
    await ui.wait_until(lambda: view.model.row_of(rid) < 0, what="the handed-over report leaves the inbox")
    assert view.model.row_of(keep) >= 0
    name, _eid, args = [x for x in ui.outbox(store) if x[1] == rid][-1]
    assert name == "report.transfer" and args == {"township_code": offered[0], "reason": "位置在贵镇辖区"}


@pytest.mark.asyncio
async def test_merge_dialog_ranks_by_duplicate_score_and_fills_similarity_and_distance(store, actor, qtbot, ui, zh):
    """For a straw-burning report, an older straw-burning incident 900 m away outranks a newer food-safety one."""
    burning = ui.make_report(store, actor, category="open_burning", text="田里焚烧秸秆", minutes_ago=90, offset_m=900)
    burning_incident = ui.accept_report(store, actor, burning, title="田间焚烧秸秆")
    food = ui.make_report(store, actor, category="food_safety", text="小吃店卫生差", minutes_ago=60, offset_m=2000)
    food_incident = ui.accept_report(store, actor, food, title="小吃店食品安全")
    new = ui.make_report(store, actor, category="open_burning", text="又有人烧秸秆，烟很大", minutes_ago=5)
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [new])
    qtbot.keyClick(view.table, Qt.Key.Key_M)
    await ui.wait_until(lambda: getattr(view, "open_dialog", None) and view.open_dialog.isVisible())
    dialog = view.open_dialog
    model = dialog.model
    ids = [t.incident_id for t in model.targets]
    assert ids.index(burning_incident) < ids.index(food_incident)
    scores = [t.score for t in model.targets]
    assert scores == sorted(scores, reverse=True)
    for row in range(model.rowCount()):
        match, distance, why = (model.index(row, c).data() for c in (0, 5, 7))
        assert match.endswith("%") and distance.endswith("米"), (match, distance)
        assert "位置" in why and "时间" in why and "类别" in why
    first = model.targets[ids.index(burning_incident)]
    assert 850 <= first.distance_m <= 950 and first.parts[2] == 0.2
    assert model.index(ids.index(burning_incident), 0).data(Qt.ItemDataRole.ToolTipRole).startswith("位置")
    dialog.reject()


@pytest.mark.asyncio
async def test_the_detail_never_shows_a_report_the_list_no_longer_has(store, actor, qtbot, ui):
    a = ui.make_report(store, actor, text="河边堆放生活垃圾", minutes_ago=1)
    b = ui.make_report(store, actor, text="村道路面塌陷", minutes_ago=2)
    view = await _inbox(store, actor, qtbot, ui)
    _select(view, [a])
    await view.wait_idle()
    assert view.detail.current_report_id() == a
    # the list empties and refills (a model reset: what the first sync's refreshes do), selection lost silently
    view.search_edit.setText("没有这样的报告")
    await ui.wait_until(lambda: view.model.rowCount() == 0, what="emptied")
    await view.wait_idle()
    assert view.detail.current_report_id() is None  # not a report that is neither selected nor listed
    view.search_edit.setText("塌陷")
    await ui.wait_until(lambda: view.model.rowCount() == 1, what="refilled")
    await view.wait_idle()
    shown = view.detail.current_report_id()
    assert shown is None or view.selected_ids() == [shown] == [b]
