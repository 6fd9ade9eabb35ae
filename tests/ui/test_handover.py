"""Shift handover and daily briefing: the dialog's figures, the two-officer sign-off (a Handover row and
an outbox entry), the PDF and Excel exports, and cancellation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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
    store.perform(actor, "incident.close", ids[3], {"note": "当场解决", "override_reason": "摊贩当场劝离，无需网格员复核"})
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


@pytest.mark.asyncio
async def test_check_in_tab_names_departments_modules_and_the_summons_card_never_ids(store, actor, qtbot, ui, zh):
    """部门报到: a summons from a board card to a department and a module shows their names and the card's title."""
    import re

    from sqlalchemy import select

    from commandroom.domain.models import Module
    from ui.handover.dialog import HandoverDialog

    store.perform(actor, "module.create", "11111111-2222-4333-8444-555555555555", {"name": "经济生态"})
    with store.read() as session:
        module = session.scalars(select(Module).where(Module.township_code == ui.QIUCHUAN)).one()
    store.perform(actor, "card.create", "card-summon", {"module_id": module.id, "title": "河道整治联合执法"})
    store.perform(actor, "summon", "s-handover", {"card_id": "card-summon", "hours": 2, "targets": [
        {"kind": "department", "code": "natres"}, {"kind": "module", "code": module.id}]})
    dialog = HandoverDialog(store, actor, (ui.QIUCHUAN,), now=utcnow() + timedelta(hours=3))
    qtbot.addWidget(dialog)
    dialog.show()
    await ui.wait_until(lambda: dialog.summary is not None, what="summary")
    model = dialog.checkin_model
    rows = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert len(rows) == 2 and "经济生态模块" in {row[0] for row in rows}
    assert all(row[1] == "河道整治联合执法" for row in rows)
    uuid_like = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}|card-summon|" + re.escape(module.id))
    assert not [cell for row in rows for cell in row if uuid_like.search(str(cell))], rows


@pytest.mark.asyncio
async def test_signing_the_handover_from_the_incident_page_is_confirmed(store, actor, qtbot, ui, zh):
    from ui.incidents.view import IncidentsView

    _seed(store, actor, ui)
    view = IncidentsView(store, actor)
    qtbot.addWidget(view)
    view.show()
    notices = []
    view.banner_requested.connect(notices.append)
    view.handover_action.trigger()
    dialog = view.open_dialog
    await ui.wait_until(lambda: dialog.summary is not None, what="summary")
    dialog.incoming_edit.setText("李接班")
    dialog.outgoing_check.setChecked(True)
    dialog.incoming_check.setChecked(True)
    dialog.sign_button.click()
    await ui.wait_until(lambda: dialog.handover_id is not None, what="signed")
    assert notices and notices[-1].key == "handover-signed"
    assert "交接班已于" in notices[-1].text and "王值班 交班" in notices[-1].text and "李接班 接班" in notices[-1].text
    await view.wait_idle()


@pytest.mark.asyncio
async def test_briefing_folder_starts_in_documents_and_remembers_the_last_one(store, actor, ui, tmp_path, qtbot):
    from ui import ui_state
    from ui.handover.briefing_dialog import BriefingDialog

    _seed(store, actor, ui)
    first = BriefingDialog(store, (ui.QIUCHUAN,))
    qtbot.addWidget(first)
    assert first.folder_edit.text() == str(ui_state.documents_folder())
    assert ui_state.documents_folder().name in ("Documents", "文档") or ui_state.documents_folder() == Path.home()
    chosen = tmp_path / "简报"
    first.folder_edit.setText(str(chosen))
    first.xlsx_check.setChecked(False)
    first.start_export()
    await first.task
    assert first.written and first.written[0].parent == chosen
    again = BriefingDialog(store, (ui.QIUCHUAN,))
    qtbot.addWidget(again)
    assert again.folder_edit.text() == str(chosen)


@pytest.mark.asyncio
async def test_window_geometry_splitters_and_columns_are_remembered(store, actor, qtbot, tmp_path):
    """One mechanism (ui/ui_state.py, a QSettings file in the config folder) for every page's layout."""
    from ui.incidents.view import IncidentsView
    from ui.main_window import MainWindow

    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    screen = window.screen().availableGeometry()
    size = (min(1300, screen.width() - 40), min(850, screen.height() - 40))  # offscreen screens are small
    window.resize(*size)
    size = (window.width(), window.height())  # as the window could take it (its minimum may be wider)
    inbox = window.inbox
    total = sum(inbox.splitter.sizes())
    wanted = [round(total * 0.45), total - round(total * 0.45)]
    inbox.splitter.setSizes(wanted)
    wanted = inbox.splitter.sizes()
    inbox.splitter.splitterMoved.emit(wanted[0], 1)
    inbox.table.setColumnWidth(1, 233)
    window.close()  # saves
    again = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == size
    assert again.inbox.table.columnWidth(1) == 233
    sizes = again.inbox.splitter.sizes()
    assert sizes == wanted, (sizes, wanted)
    assert isinstance(again.page("incidents"), IncidentsView)


def test_briefing_pdf_never_breaks_an_incident_number(qapp):
    """The overdue table's numbers (QC-2026-000123) stay on one line at the A4 width the PDF uses."""
    from datetime import date, datetime

    from PySide6.QtGui import QTextDocument

    from commandroom.queries.briefing import DailyBriefing
    from ui.handover.export import BriefingText, briefing_html

    item = type("Clock", (), dict(number="QC-2026-000123", title="某村道路旁长期占道经营，多次劝导无效" * 2,
                                  township_name="球川", state="dispatched", clock="ack", due=datetime(2026, 12, 1, 2),
                                  assignee="执法中队", assignee_kind="department"))
    values = dict(day=date(2026, 12, 2), as_of=datetime(2026, 12, 2, 8), township_codes=None, created=0, closed=0,
                  closed_on_time=0, open_total=1, overdue_total=1, returned=0, escalated=0, by_category=[],
                  by_township=[], by_state={}, created_by_state={}, overdue=[item])
    briefing = DailyBriefing(**values)
    doc = QTextDocument()
    doc.setHtml(briefing_html(briefing, BriefingText.current()))
    doc.setTextWidth(680)  # A4 less 15 mm margins at 96 dpi
    doc.documentLayout().documentSize()
    block = doc.begin()
    lines = None
    while block.isValid():
        if block.text() == "QC-2026-000123":
            lines = block.layout().lineCount()
        block = block.next()
    assert lines == 1


@pytest.mark.asyncio
async def test_handover_and_briefing_have_print_preview_and_print(store, actor, qtbot, ui, tmp_path, zh):
    from PySide6.QtPrintSupport import QPrinter

    from ui.handover.briefing_dialog import BriefingDialog
    from ui.handover.dialog import HandoverDialog
    from ui.printing import print_html

    _seed(store, actor, ui)
    dialog = HandoverDialog(store, actor, (ui.QIUCHUAN,), now=utcnow() + timedelta(days=10))
    qtbot.addWidget(dialog)
    dialog.show()
    await ui.wait_until(lambda: dialog.summary is not None, what="summary")
    dialog.incoming_edit.setText("李接班")
    dialog.print_button.click()
    preview = dialog.print_preview
    await ui.wait_until(lambda: preview.isVisible(), what="handover print preview")
    sheet = dialog.sheet_html()
    assert "李接班" in sheet and "王值班" in sheet and "超时" in sheet
    preview.reject()

    briefing = BriefingDialog(store, (ui.QIUCHUAN,))
    qtbot.addWidget(briefing)
    briefing.show()
    briefing.print_button.click()
    await briefing.task
    await ui.wait_until(lambda: briefing.print_preview.isVisible(), what="briefing print preview")
    briefing.print_preview.reject()
    # printing goes through the same layout: print it to a PDF printer and look at the result
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    print_html(briefing.print_html, printer)
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 5000


def test_briefing_exports_show_the_photos_of_the_days_closures(qapp, tmp_path, zh):
    """The print preview / PDF draw the closures' thumbnails; the workbook has them in a 现场照片 sheet; a photo
    the desk has not received yet is said to be missing rather than left out."""
    import io
    from datetime import date, datetime

    from openpyxl import load_workbook
    from PIL import Image
    from PySide6.QtGui import QTextDocument, QTextImageFormat

    from commandroom.queries.briefing import ClosurePhotos, DailyBriefing
    from ui.handover.export import BriefingText, briefing_html, write_pdf, write_xlsx

    def jpeg(colour):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), colour).save(out, format="JPEG")
        return out.getvalue()

    before, after, absent = "b" * 64, "a" * 64, "c" * 64
    item = ClosurePhotos("inc-1", "QC-2026-000007", "河边堆放生活垃圾", "球川", datetime(2026, 12, 2, 3, 30),
                         [before], [after, absent], {before: jpeg((140, 90, 40)), after: jpeg((40, 140, 90))})
    briefing = DailyBriefing(day=date(2026, 12, 2), as_of=datetime(2026, 12, 2, 8), township_codes=None, created=1,
                             closed=1, closed_on_time=1, open_total=0, overdue_total=0, returned=0, escalated=0,
                             by_category=[], by_township=[], by_state={}, created_by_state={}, overdue=[],
                             photos=[item])
    text = BriefingText.current()
    html = briefing_html(briefing, text)
    doc = QTextDocument()
    doc.setHtml(html)
    assert "当日结案现场照片（1）" in doc.toPlainText() and "照片尚未下载到本机" in doc.toPlainText()
    images = []
    block = doc.begin()
    while block.isValid():
        for frag in (it.fragment() for it in block):
            fmt = frag.charFormat()
            if fmt.isImageFormat():
                images.append(QTextImageFormat(fmt))
        block = block.next()
    assert [(round(f.width()), round(f.height())) for f in images] == [(110, 82), (110, 82)]
    assert all(not doc.resource(QTextDocument.ResourceType.ImageResource, f.name()).isNull() for f in images)
    pdf = write_pdf(html, tmp_path / "b.pdf")
    assert pdf.read_bytes().count(b"/Subtype /Image") == 2
    wb = load_workbook(write_xlsx(briefing, text, tmp_path / "b.xlsx"))
    ws = wb["当日结案现场照片"]
    assert [c.value for c in ws[2]][:4] == ["QC-2026-000007", "河边堆放生活垃圾", "球川", "2026-12-02 11:30"]
    assert ws["F2"].value == "（照片尚未下载到本机：1）"
    assert len(ws._images) == 2
