"""Shift handover and daily briefing: the dialog's figures, the two-officer sign-off (a Handover row and
an outbox entry), the PDF and Excel exports, and cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commandroom.timeutil import utcnow


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    """PySide6 6.12 on CPython 3.11 loses references to None/True (see ui/incidents/refcounts.py)."""
    from ui.incidents import refcounts

    refcounts.install()


def _seed(store, actor, ui):
    """Incidents in several states through the real mutations; returns their ids."""
    ids = []
    for i, (category, text) in enumerate([("muck_dust", "工地扬尘"), ("urban_parking", "路口违停"),
                                           ("sanitation", "垃圾堆放"), ("road_occupation", "占道经营")]):
        rid = ui.make_report(store, actor, category=category, text=text, minutes_ago=30 + i)
        ids.append(ui.accept_report(store, actor, rid, title=text))
    store.perform(actor, "incident.dispatch", ids[1],
                  {"target_kind": "department", "target_code": "enforcement", "dispatch_id": "d-h-1"})
    store.perform(actor, "incident.dispatch", ids[2],
                  {"target_kind": "team", "target_code": "QC", "dispatch_id": "d-h-2"})
    store.perform(actor, "incident.start", ids[2], {})
    store.perform(actor, "incident.close", ids[3], {"note": "当场解决"})
    return ids


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T10:00:00+08:00")  # a working Tuesday: ten days on, every open deadline has passed
@pytest.mark.asyncio
async def test_handover_dialog_figures_and_sign_off(store, actor, qtbot, ui, zh):
    from commandroom.domain.models import Handover
    from commandroom.queries.briefing import handover_summary
    from ui.handover.dialog import HandoverDialog

    _seed(store, actor, ui)
    now = utcnow() + timedelta(days=10)  # everything open is overdue by then
    dialog = HandoverDialog(store, actor, (ui.QIUCHUAN,), now=now)
    qtbot.addWidget(dialog)
    dialog.show()
    await ui.wait_until(lambda: dialog.summary is not None, what="summary")
    with store.read() as session:
        expected = handover_summary(session, township_codes=[ui.QIUCHUAN], now=now,
                                    unsynced=store.pending_count())
    s = dialog.summary
    assert s.open_by_state == expected.open_by_state == {"pending_dispatch": 1, "dispatched": 1, "in_progress": 1}
    assert dialog.tile_open.value.text() == "3"
    assert dialog.tile_overdue.value.text() == str(len(expected.overdue)) == "3"
    assert dialog.tile_unsynced.value.text() == str(store.pending_count())
    assert store.pending_count() > 0  # nothing was pushed in this test
    assert dialog.overdue_model.rowCount() == 3 and dialog.imminent_model.rowCount() == 0
    assert "交接班" in dialog.heading.text()

    # both officers must be named (two different people) and both must confirm
    assert not dialog.sign_button.isEnabled()
    dialog.incoming_edit.setText(actor.name)
    dialog.outgoing_check.setChecked(True)
    dialog.incoming_check.setChecked(True)
    assert not dialog.sign_button.isEnabled()
    dialog.incoming_edit.setText("李接班")
    dialog.notes_edit.setPlainText("5 号事件已电话督促，明早复查")
    assert dialog.sign_button.isEnabled()
    outbox_before = len(ui.outbox(store))
    dialog.sign_button.click()
    await dialog.wait_idle()
    assert dialog.handover_id is not None and dialog.result() == dialog.DialogCode.Accepted
    with store.read() as session:
        row = session.get(Handover, dialog.handover_id)
        assert (row.outgoing_name, row.incoming_name) == (actor.name, "李接班")
        assert row.township_code == ui.QIUCHUAN and row.notes == "5 号事件已电话督促，明早复查"
        assert row.summary["open_total"] == 3 and row.summary["overdue_count"] == 3
        assert row.signed_out_at is not None and row.signed_in_at is not None
    entries = ui.outbox(store)[outbox_before:]
    assert [(n, e) for n, e, _a in entries] == [("handover.sign", dialog.handover_id)]
    assert entries[0][2]["incoming_name"] == "李接班"


def test_handover_mutation_rules(store, actor):
    from commandroom.domain.errors import ValidationError
    from commandroom.domain.models import Handover

    with pytest.raises(ValidationError):
        store.perform(actor, "handover.sign", "h-1", {"outgoing_name": "王", "incoming_name": "王", "summary": {}})
    with pytest.raises(ValidationError):
        store.perform(actor, "handover.sign", "h-1", {"outgoing_name": "王", "incoming_name": "李", "summary": []})
    store.perform(actor, "handover.sign", "h-1", {"outgoing_name": "王", "incoming_name": "李", "summary": {"a": 1}})
    store.perform(actor, "handover.sign", "h-1", {"outgoing_name": "王", "incoming_name": "李", "summary": {"a": 1}})
    with store.read() as session:
        assert session.get(Handover, "h-1").incoming_name == "李"


@pytest.mark.working_time
@pytest.mark.asyncio
async def test_briefing_exports_pdf_and_xlsx(store, actor, ui, tmp_path, zh):
    from openpyxl import load_workbook

    from commandroom.queries.briefing import TaskState, daily_briefing, local_today
    from ui.handover.briefing_dialog import export_briefing

    _seed(store, actor, ui)
    now = utcnow()
    day = local_today(now)
    progress = []
    state = TaskState(lambda f, _m: progress.append(f))
    folder = tmp_path / "out"
    folder.mkdir()
    paths = await export_briefing(store, day=day, scope=(ui.QIUCHUAN,), folder=folder, pdf=True, xlsx=True,
                                  state=state, now=now)
    pdf, xlsx = sorted(paths, key=lambda p: p.suffix)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    assert xlsx.stat().st_size > 3000
    assert not list(folder.glob("*.part"))
    assert progress and progress[-1] == 1.0
    with store.read() as session:
        expected = daily_briefing(session, day=day, township_codes=[ui.QIUCHUAN], now=now)
    wb = load_workbook(xlsx)
    summary = wb.worksheets[0]
    assert summary.title == "概况"
    figures = {summary.cell(row=r, column=1).value: summary.cell(row=r, column=2).value
               for r in range(2, summary.max_row + 1)}
    assert figures["新增事件"] == expected.created == 4
    assert figures["办结"] == expected.closed == 1
    assert figures["未办结"] == expected.open_total == 3
    assert wb.worksheets[1].title == "分乡镇统计" and wb.worksheets[1].cell(row=2, column=1).value == "球川"
    # the PDF embeds a CJK font (Chinese is drawn, not boxes)
    assert b"NotoSansCJK" in pdf.read_bytes() or b"Noto Sans CJK" in pdf.read_bytes()


@pytest.mark.asyncio
async def test_briefing_export_cancelled_leaves_nothing(store, actor, ui, tmp_path, qtbot):
    from commandroom.queries.briefing import Cancelled, TaskState
    from ui.handover.briefing_dialog import BriefingDialog, export_briefing

    _seed(store, actor, ui)
    state = TaskState()
    state.cancel()
    folder = tmp_path / "first"
    folder.mkdir()
    with pytest.raises(Cancelled):
        await export_briefing(store, day=utcnow().date(), scope=None, folder=folder, pdf=True, xlsx=True,
                              state=state)
    assert not list(folder.iterdir())

    # the dialog's Cancel button sets the flag; the running step stops at its next check
    dialog = BriefingDialog(store, None)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    dialog.show()
    dialog.start_export()
    assert dialog.cancel_button.isEnabled() and not dialog.export_button.isEnabled()
    dialog.cancel_button.click()
    await dialog.wait_idle()
    assert dialog.written == [] and dialog.export_button.isEnabled()
    assert not any((tmp_path / "out").iterdir())
    # and a second export, not cancelled, writes both files
    dialog.start_export()
    await dialog.wait_idle()
    assert sorted(p.suffix for p in dialog.written) == [".pdf", ".xlsx"]
    assert dialog.progress.value() == 1000


def test_rows_model_passes_qtmodeltester(qtmodeltester):
    from ui.handover.models import RowsTableModel

    model = RowsTableModel(["编号", "事件"])
    model.set_rows([["QC-1", "扬尘"], ["QC-2", "违停"]], ["#9b1c1c", None])
    qtmodeltester.check(model)
    model.set_rows([])
    qtmodeltester.check(model)
