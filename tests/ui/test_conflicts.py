"""The conflicts panel: rejected/merged outbox entries with reason and what the server kept; redo; dismiss."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select


def _reject_last(store, code="illegal_transition", explanation="报告已被其他值班员受理", state="rejected"):
    from commandroom.domain.models import OutboxEntry

    with store.write() as session:
        entry = session.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq.desc())).first()
        entry.state = state
        entry.server_result = {"status": state, "code": code, "explanation": explanation}
        return entry.mutation_id


def _conflicts(store, actor, qtbot):
    from ui.conflicts.view import ConflictsView

    view = ConflictsView(store, actor, [actor.township_code])
    qtbot.addWidget(view)
    view.show()
    view.load()
    return view


def test_models_pass_qtmodeltester(store, actor, qtmodeltester, ui, qtbot):
    rid = ui.make_report(store, actor)
    store.perform(actor, "report.reject", rid, {"reason": "重复"})
    _reject_last(store)
    view = _conflicts(store, actor, qtbot)
    assert view.rejected_model.rowCount() == 1
    qtmodeltester.check(view.rejected_model)
    qtmodeltester.check(view.conflict_model)


def test_lists_reason_and_what_the_server_kept(store, actor, qtbot, ui, zh):
    rid = ui.make_report(store, actor)
    store.perform(actor, "report.reject", rid, {"reason": "信息不全"})
    _reject_last(store)
    view = _conflicts(store, actor, qtbot)
    m = view.rejected_model
    assert m.rowCount() == 1
    assert m.data(m.index(0, 1)) == "不予受理"
    assert m.data(m.index(0, 3)) == "服务器退回"
    assert m.data(m.index(0, 4)) == "报告已被其他值班员受理"
    assert m.data(m.index(0, 5)).startswith("状态：不予受理")
    assert not view.empty_label.isVisible()


@pytest.mark.asyncio
async def test_redo_performs_the_same_mutation_again_and_dismisses(store, actor, qtbot, ui):
    rid = ui.make_report(store, actor)
    store.perform(actor, "report.reject", rid, {"reason": "信息不全"})
    old = _reject_last(store)
    # the server kept the report waiting: put it back as the server would after a rejection
    from commandroom.domain.models import Report

    with store.write() as session:
        session.get(Report, rid).state = "new"
    view = _conflicts(store, actor, qtbot)
    view.rejected_table.selectRow(0)
    view.redo_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="redo dialog")
    dialog = view.open_dialog
    dialog.edits["reason"].setText("信息不全，请补充照片")
    dialog.accept_button = None
    dialog._on_confirm()
    await view.action_task
    await view.wait_idle()
    names = [(n, e, a) for n, e, a in ui.outbox(store)]
    assert names[-1] == ("report.reject", rid, {"reason": "信息不全，请补充照片"})
    assert view.rejected_model.rowCount() == 0
    assert view.empty_label.isVisible()
    from commandroom.domain.models import OutboxEntry

    with store.read() as session:
        assert session.get(OutboxEntry, old).dismissed


@pytest.mark.asyncio
async def test_dismiss_hides_entries_and_conflict_records_are_listed(store, actor, qtbot, ui):
    from commandroom.domain.models import ConflictRecord

    rid = ui.make_report(store, actor)
    store.perform(actor, "report.reject", rid, {"reason": "x"})
    _reject_last(store, state="merged", explanation="报告已于 10:02 已受理，本次操作未重复执行")
    with store.write() as session:
        session.add(ConflictRecord(township_code=actor.township_code, entity_type="incident", entity_id="i-1",
                                   field="urgency", kept_value="L1", lost_value="L3", rule="last_writer_wins",
                                   by_user_name="李值班", explanation="另一工作站稍后修改了紧急程度"))
        session.add(ConflictRecord(township_code="330822001", entity_type="incident", entity_id="i-2",
                                   field="title", kept_value="a", lost_value="b", rule="lww"))
        # a second and a third conflict on the same record: one row for the record, not three
        for field, kept, lost, by in (("title", "新标题", "旧标题", "王值班"), ("urgency", "L2", "L1", "王值班")):
            session.add(ConflictRecord(township_code=actor.township_code, entity_type="incident", entity_id="i-3",
                                       field=field, kept_value=kept, lost_value=lost, rule="last_writer_wins",
                                       by_user_name=by, explanation="另一位值班员稍后修改"))
    view = _conflicts(store, actor, qtbot)
    assert view.conflict_model.rowCount() == 2  # only the user's township, one row per record
    cm = view.conflict_model
    rows = {cm.row_by_id(cm.id_at(r)).entity_id: r for r in range(cm.rowCount())}
    single, grouped = rows["i-1"], rows["i-3"]
    assert cm.data(cm.index(single, 2)) == "Urgency"
    assert cm.data(cm.index(single, 3)) == "Urgent" and cm.data(cm.index(single, 4)) == "Normal"
    assert cm.data(cm.index(single, 5)) == "Later change wins"
    assert "i-1" not in cm.data(cm.index(single, 1))  # a record is named, never shown by its id
    fields, _, count = cm.data(cm.index(grouped, 2)).partition(" (")
    assert set(fields.split("、")) == {"Urgency", "Title"} and count.startswith("2")
    assert cm.data(cm.index(grouped, 6)) == "王值班"
    tip = cm.data(cm.index(grouped, 0), Qt.ItemDataRole.ToolTipRole)
    assert "新标题" in tip and "Urgent" in tip
    view.rejected_table.selectRow(0)
    view.dismiss_button.click()
    await view.action_task
    await view.wait_idle()
    assert view.rejected_model.rowCount() == 0
