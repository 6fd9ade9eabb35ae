"""One-thing cases (一件事): the catalogue (17, the six named starred), 乡镇点单 and opening from an
incident, departments checking in, steps completed in order, closing, escalation of an overdue case,
and the 农民建房 reform summary; the models pass qtmodeltester."""

from __future__ import annotations

from datetime import timedelta

import pytest

QC = "330822111"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


@pytest.fixture
def lead_store(seeded_sqlite, qapp):
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    store = DeskStore(seeded_sqlite.split("///", 1)[1])
    yield store
    forget_store(store)
    store.close()


def _case(store, case_id):
    from commandroom.domain.models import OneThingCase

    with store.read() as session:
        return session.get(OneThingCase, case_id)


async def _view(store, actor, qtbot, ui, clock=None):
    from ui.cases.view import CasesView

    view = CasesView(store, actor, [QC], clock)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.reload()
    await view.wait_idle()
    return view


def test_models_pass_qtmodeltester(lead_store, qtmodeltester, ui):
    from commandroom.ids import new_id
    from commandroom.queries.cases import case_detail, case_list, catalogue
    from commandroom.timeutil import utcnow
    from ui.cases.models import CaseCheckinModel, CaseListModel, CatalogueModel

    actor = ui.make_actor(lead_store)
    case = new_id()
    lead_store.perform(actor, "case.open", case, {"type_code": "farmer_housing", "township_code": QC})
    cat = CatalogueModel()
    cat.set_rows(catalogue(lead_store))
    qtmodeltester.check(cat)
    cases = CaseListModel(utcnow)
    cases.set_rows(case_list(lead_store, [QC], utcnow()))
    assert cases.rowCount() == 1
    qtmodeltester.check(cases)
    checkins = CaseCheckinModel(utcnow)
    checkins.set_rows(case_detail(lead_store, case, utcnow()).progress.checkins)
    assert checkins.rowCount() == 6
    qtmodeltester.check(checkins)


@pytest.mark.asyncio
async def test_catalogue_lists_17_with_the_six_named_first(lead_store, qtbot, ui, zh):
    view = await _view(lead_store, ui.make_actor(lead_store), qtbot, ui)
    model = view.catalogue_model
    assert model.rowCount() == 17
    rows = model.rows()
    assert [r.named_in_seed for r in rows] == [True] * 6 + [False] * 11
    assert {r.name for r in rows[:6]} == {"农民建房", "城区机动车违停治理", "城镇燃气管理", "校外周边安全防控", "扬尘处置",
                                         "固体废物处置"}
    assert model.data(model.index(0, 0)).startswith("★ ")
    assert not model.data(model.index(6, 0)).startswith("★")
    assert view.catalogue_title.text() == "一件事目录（17 项）"


@pytest.mark.asyncio
async def test_township_order_check_ins_steps_in_order_and_close(lead_store, qtbot, ui, zh):
    actor = ui.make_actor(lead_store)
    view = await _view(lead_store, actor, qtbot, ui)
    view.catalogue_table.selectRow(next(k for k, r in enumerate(view.catalogue_model.rows())
                                        if r.id == "farmer_housing"))
    view.order_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="order dialog")
    dialog = view.open_dialog
    assert dialog.type_combo.currentData() == "farmer_housing"
    assert "农业农村局" in dialog.info_label.text()
    dialog.title_edit.setText("农民建房：徐某某原址翻建")
    dialog.ok_button().click()
    await view.wait_idle()
    name, case_id, args = ui.outbox(lead_store)[-1]
    assert name == "case.open" and args == {"type_code": "farmer_housing", "title": "农民建房：徐某某原址翻建",
                                            "township_code": QC}
    await ui.wait_until(lambda: view.panel.detail is not None and view.panel.detail.progress.case_id == case_id)
    panel = view.panel
    assert panel.reform_label.text() == "改革前后：7 个步骤 → 3 个步骤；3–6个月 → 15 个工作日"
    assert "7至15天" in panel.reform_note.text()
    assert "农业农村局" in panel.lead_label.text()
    assert panel.checkin_model.rowCount() == 6
    lead_row = next(r for r in panel.checkin_model.rows() if r.role == "lead")
    assert lead_row.target_code == "agri"
    assert next(lb.text() for lb in panel.steps.labels if lb.text() != "→").startswith("▶ 1.")

    # the officer may not check in for a department (依单履责): the button is off
    panel.checkin_table.selectRow(panel.checkin_model.row_of(lead_row.checkin_id))
    assert not panel.checkin_button.isEnabled()
    # the lead department's liaison signs in at this desk and checks in
    from commandroom.mutations.core import Actor

    view.actor = Actor(user_id="u-agri", name="农业农村局联络员", role="department_liaison", scope_kind="county",
                       department_code="agri", device_id=lead_store.device_id)
    panel.checkin_table.clearSelection()
    panel.checkin_table.selectRow(panel.checkin_model.row_of(lead_row.checkin_id))
    assert panel.checkin_button.isEnabled()
    panel.checkin_button.click()
    await view.wait_idle()
    assert ui.outbox(lead_store)[-1] == ("case.checkin", case_id, {"department_code": "agri"})
    await ui.wait_until(lambda: view.panel.detail.progress.checked_in == 1, what="checked in")
    assert _case(lead_store, case_id).state == "checking_in"
    view.actor = actor  # the officer again

    # steps complete in order: the button always names the current step
    assert not panel.complete_button.isEnabled()
    for position in (1, 2):
        assert panel.step_button.text().startswith(f"完成第 {position} 步")
        panel.step_button.click()
        await view.wait_idle()
        assert ui.outbox(lead_store)[-1] == ("case.step_done", case_id, {"position": position})
        await ui.wait_until(lambda p=position: view.panel.detail.progress.steps_done == p, what=f"step {position}")
    assert panel.progress.value() == 2 and "2/3" in panel.progress.format()
    # a step the case does not have is refused and shown; nothing is queued
    n = len(ui.outbox(lead_store))
    assert not await view.perform("case.step_done", case_id, {"position": 5})
    assert view.message_label.isVisible() and len(ui.outbox(lead_store)) == n
    panel.step_button.click()
    await view.wait_idle()
    await ui.wait_until(lambda: view.panel.detail.progress.current_step is None, what="all steps done")
    assert panel.complete_button.isEnabled() and not panel.step_button.isEnabled()
    panel.complete_button.click()
    await view.wait_idle()
    assert ui.outbox(lead_store)[-1][:2] == ("case.complete", case_id)
    assert _case(lead_store, case_id).state == "completed"
    await ui.wait_until(lambda: view.panel.detail.progress.state == "completed", what="completed")
    assert "已于" in panel.clock_label.text() and "按时" in panel.clock_label.text()


@pytest.mark.asyncio
async def test_steps_cannot_complete_out_of_order(lead_store, qtbot, ui, zh):
    from commandroom.ids import new_id

    actor = ui.make_actor(lead_store)
    case = new_id()
    lead_store.perform(actor, "case.open", case, {"type_code": "dust_control", "township_code": QC})
    view = await _view(lead_store, actor, qtbot, ui)
    view.select_case(case)
    await view.wait_idle()
    n = len(ui.outbox(lead_store))
    assert not await view.perform("case.step_done", case, {"position": 2})
    assert len(ui.outbox(lead_store)) == n
    assert "step 2" in view.message_label.text() and "step 1" in view.message_label.text()


@pytest.mark.working_time
@pytest.mark.asyncio
async def test_open_from_an_incident_and_escalate_when_overdue(lead_store, qtbot, ui, zh):
    from commandroom.domain.models import OneThingCase
    from commandroom.timeutil import utcnow

    actor = ui.make_actor(lead_store)
    rid = ui.make_report(lead_store, actor, category="urban_parking", text="主街机动车乱停")
    incident = ui.accept_report(lead_store, actor, rid, title="主街机动车乱停")
    view = await _view(lead_store, actor, qtbot, ui)
    view.from_incident_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="picker")
    picker = view.open_dialog
    await picker.wait_idle()
    assert picker.selected().id == incident
    picker.ok_button().click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog is not picker, what="case dialog")
    dialog = view.open_dialog
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("urban_parking"))
    dialog.ok_button().click()
    await view.wait_idle()
    name, case_id, args = ui.outbox(lead_store)[-1]
    assert name == "case.open" and args["incident_id"] == incident and args["type_code"] == "urban_parking"
    await ui.wait_until(lambda: view.panel.detail is not None and view.panel.detail.progress.case_id == case_id)
    assert view.panel.incident_button.isVisible() and "主街机动车乱停" in view.panel.incident_button.text()
    assert not view.panel.escalate_button.isEnabled()

    # three days later it is overdue: the clock says so and 督办 is possible
    with lead_store.write() as session:
        session.get(OneThingCase, case_id).due_at = utcnow() - timedelta(days=3)
    view.load_detail(case_id)
    await view.wait_idle()
    await ui.wait_until(lambda: view.panel.escalate_button.isEnabled(), what="escalation offered")
    assert "已超期" in view.panel.clock_label.text()
    view.panel.escalate_button.click()
    await view.wait_idle()
    name, entity, args = ui.outbox(lead_store)[-1]
    assert (name, entity) == ("case.escalate", case_id) and args["level"] in ("supervision_order", "leader_notice",
                                                                             "reminder")
    case = _case(lead_store, case_id)
    assert case.state == "escalated" and case.escalation_level == args["level"]
    await ui.wait_until(lambda: view.panel.detail.progress.escalation_level == args["level"], what="shown")
    assert "已督办" in view.panel.clock_label.text() and view.panel.state_label.text() == "已督办"


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T10:00:00+08:00")
@pytest.mark.asyncio
async def test_each_step_shows_its_own_countdown_in_the_panel_and_the_list(lead_store, qtbot, ui, zh):
    from datetime import datetime

    from PySide6.QtCore import Qt

    from commandroom.ids import new_id

    actor = ui.make_actor(lead_store)
    case = new_id()
    lead_store.perform(actor, "case.open", case, {"type_code": "farmer_housing", "township_code": QC,
                                                   "ordered_at": "2026-12-08T02:00:00Z"})
    # step 1 has 2 working days: due Thursday 12-10 10:00 Beijing; the desk looks on Wednesday 10:00
    moment = [datetime(2026, 12, 9, 2, 0)]
    view = await _view(lead_store, actor, qtbot, ui, clock=lambda: moment[0])
    view.select_case(case)
    await ui.wait_until(lambda: view.panel.detail is not None and view.panel.detail.progress.case_id == case)
    steps = [lb for lb in view.panel.steps.labels if lb.text() != "→"]
    assert steps[0].text() == "▶ 1. 需求申报(乡镇受理)\n剩余 1天0小时"
    assert "12-10 10:00" in steps[0].toolTip() and "2 个工作日" in steps[0].toolTip()
    assert steps[1].text() == "2. 联合审批(部门联审联办)\n10 个工作日"  # not started: its limit, no clock yet
    model = view.case_model
    col = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == "当前步骤")
    assert model.data(model.index(0, col)) == "1. 需求申报(乡镇受理) · 剩余 1天0小时"

    # Friday 10:00: the step ran out a day ago (the case itself still has time): red, and the list says so
    moment[0] = datetime(2026, 12, 11, 2, 0)
    view.reload()
    await view.wait_idle()
    await ui.wait_until(lambda: "超时" in next(lb for lb in view.panel.steps.labels if lb.text() != "→").text(),
                        what="the step's clock ran out")
    assert next(lb for lb in view.panel.steps.labels if lb.text() != "→").text().endswith("超时 1天0小时")
    assert model.data(model.index(0, col)) == "1. 需求申报(乡镇受理) · 超时 1天0小时"
    assert model.data(model.index(0, col), Qt.ItemDataRole.ForegroundRole).name() == "#c0392b"
    assert "剩余" in view.panel.clock_label.text()  # the case's own 15-day limit is far off


@pytest.mark.asyncio
async def test_case_attachments_are_listed_opened_and_saved(lead_store, qtbot, ui, zh, tmp_path):
    """材料: documents and a photo attached at the desk are listed by name and kind, go out with case.attach,
    open in their program and save as a copy; a bad file is refused by name with nothing attached."""
    import io
    import zipfile
    from types import SimpleNamespace

    from PIL import Image

    from commandroom.ids import new_id
    from commandroom.sync.photos import PhotoSync
    from ui.common.photo_viewer import set_photo_source

    actor = ui.make_actor(lead_store)
    case = new_id()
    lead_store.perform(actor, "case.open", case, {"type_code": "farmer_housing", "township_code": QC})
    view = await _view(lead_store, actor, qtbot, ui)
    view.select_case(case)
    await view.wait_idle()
    panel = view.panel
    assert panel.attach_button.isEnabled() and not panel.open_attachment_button.isEnabled()
    assert panel.attachment_list.item(0).text() == "暂无附件。"

    report = tmp_path / "联审意见.pdf"
    report.write_bytes(b"%PDF-1.4\n% minutes of the joint review\ntrailer << >>\n%%EOF\n")
    minutes = tmp_path / "会议纪要.docx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    minutes.write_bytes(buf.getvalue())
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (64, 48), (120, 80, 40)).save(photo, format="JPEG")
    outbox_before = len(ui.outbox(lead_store))
    assert await view.attach([report, minutes, photo, report])
    await view.wait_idle()
    lines = [panel.attachment_list.item(i).text() for i in range(panel.attachment_list.count())]
    assert [line.split("  ·  ")[:2] for line in lines] == [["联审意见.pdf", "PDF 1 KB"], ["会议纪要.docx", "Word 1 KB"],
                                                          ["现场.jpg", "照片 1 KB"]]
    assert all(actor.name in line for line in lines)
    [(name, entity, args)] = ui.outbox(lead_store)[outbox_before:]
    assert (name, entity, args["names"]) == ("case.attach", case, ["联审意见.pdf", "会议纪要.docx", "现场.jpg"])

    # a file that is not a document: refused by name, nothing attached
    notes = tmp_path / "notes.txt"
    notes.write_text("随手记")
    assert not await view.attach([notes])
    assert view.message_label.isVisible() and "“notes.txt”" in view.message_label.text()
    assert "不是" in view.message_label.text() and len(ui.outbox(lead_store)) == outbox_before + 1

    # not connected: says so; with this desk's files: opens a copy under its name and saves a copy
    set_photo_source(None)
    panel.attachment_list.setCurrentRow(0)
    chosen = panel.selected_attachment()
    assert panel.open_attachment_button.isEnabled() and panel.save_attachment_button.isEnabled()
    assert await view.open_attachment(chosen) is None and "未连接县服务器" in view.message_label.text()
    set_photo_source(PhotoSync(SimpleNamespace(store=lead_store)))
    try:
        opened = []
        view.open_url = opened.append
        copy = await view.open_attachment(chosen)
        assert copy.name == "联审意见.pdf" and copy.read_bytes() == report.read_bytes()
        assert [u.toLocalFile() for u in opened] == [str(copy)]
        target = tmp_path / "out" / "留存.pdf"
        assert await view.save_attachment_copy(chosen, target)
        assert target.read_bytes() == report.read_bytes() and "已另存" in view.message_label.text()
    finally:
        set_photo_source(None)
