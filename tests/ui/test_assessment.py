"""Assessment (考核): the four-dimension table equals the service on fixed data, scores are given by who
may give them (岗位赋分 the township's leadership, 模块评分 the module's lead, 反向否决 the township), the two-way and grid
worker tables, and the Excel export; the models pass qtmodeltester."""

from __future__ import annotations

from datetime import timedelta

import pytest

QC = "330822111"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


@pytest.fixture
def work(seeded_sqlite, qapp, ui):
    """A store with a month of fixed work in 球川镇's 平安法治 module (this month, Shanghai calendar)."""
    from sqlalchemy import select

    from commandroom.domain.models import Module
    from commandroom.ids import new_id
    from commandroom.mutations.core import Actor
    from commandroom.queries.assessment import months
    from commandroom.services.assessment import record_id
    from commandroom.store.local import DeskStore
    from commandroom.timeutil import utcnow
    from ui.async_runner import forget_store

    store = DeskStore(seeded_sqlite.split("///", 1)[1])
    month = months(utcnow())[0]
    with store.read() as session:
        mod = session.scalars(select(Module).where(Module.township_code == QC, Module.name == "平安法治")).first()
    members = [m["name"] for m in mod.members]
    dispatched = next(m["name"] for m in mod.members if m.get("dispatched"))
    plain = [m["name"] for m in mod.members if not m.get("dispatched")]
    a, b = plain[0], plain[1]
    officer = Actor(user_id="u-officer", name="值班员", role="duty_officer", scope_kind="township", scope_code=QC,
                    township_code=QC, device_id=store.device_id)  # the township's leadership gives 岗位赋分
    lead = Actor(user_id="u-lead", name=mod.lead_name, role="module_lead", scope_kind="township", scope_code=QC,
                 township_code=QC, device_id=store.device_id)
    store.perform(officer, "module.update", mod.id, {"lead_user_id": "u-lead"})
    store.perform(officer, "assessment.set_post", record_id(QC, month, a, "post"),
                  {"month": month, "subject_code": a, "subject_name": a, "points": 70.0, "township_code": QC})
    for who, pts in ((a, 80.0), (b, 90.0)):
        store.perform(lead, "assessment.rate_module", record_id(QC, month, who, "module", mod.id),
                      {"month": month, "module_id": mod.id, "subject_code": who, "subject_name": who, "points": pts})
    # 组团积分: two cards of a done this month, one on time (no due), one late
    for due in (None, utcnow() - timedelta(hours=2)):
        card = new_id()
        args = {"module_id": mod.id, "title": "任务", "assignee_name": a}
        if due is not None:
            args["due_at"] = due.isoformat()
        store.perform(lead, "card.create", card, args)
        store.perform(lead, "card.move", card, {"column": "done", "expected_epoch": 0, "from_column": "todo"})
    # 专班计分: b completes the first step of a case; its lead department checks in on time
    case = new_id()
    store.perform(officer, "case.open", case, {"type_code": "farmer_housing", "township_code": QC})
    liaison = Actor(user_id="u-agri", name="农业农村局联络员", role="department_liaison", scope_kind="county",
                    department_code="agri", device_id=store.device_id)
    store.perform(liaison, "case.checkin", case, {"department_code": "agri"})
    doer = Actor(user_id=None, name=b, role="system", scope_kind="township", scope_code=QC, township_code=QC,
                 device_id=store.device_id)  # test data: b completes the step (who records it is not the point)
    store.perform(doer, "case.step_done", case, {"position": 1})
    yield type("Work", (), dict(store=store, month=month, module=mod.id, a=a, b=b, dispatched=dispatched,
                                members=members, lead=lead, officer=officer))
    forget_store(store)
    store.close()


async def _view(store, actor, qtbot, ui, month):
    from ui.assessment.view import AssessmentView

    view = AssessmentView(store, actor)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.set_month(month)
    k = view.township_combo.findData(QC)
    view.township_combo.setCurrentIndex(k)
    view.load()
    await view.wait_idle()
    return view


def test_models_pass_qtmodeltester(work, qtmodeltester):
    from commandroom.queries.assessment import load_assessment
    from commandroom.timeutil import utcnow
    from ui.assessment.models import (
        DepartmentIndicatorModel,
        FourDimensionModel,
        GridWorkerModel,
        TownshipIndicatorModel,
    )

    data = load_assessment(work.store, work.month, utcnow(), QC)
    for model, rows in ((FourDimensionModel(), data.cadres), (DepartmentIndicatorModel(), data.departments),
                        (TownshipIndicatorModel(), data.townships), (GridWorkerModel(), data.grid_workers)):
        model.set_rows(rows)
        qtmodeltester.check(model)


@pytest.mark.asyncio
async def test_four_dimensions_match_the_service(work, qtbot, ui, zh):
    from PySide6.QtCore import Qt

    from commandroom.services import assessment as svc
    from commandroom.timeutil import utcnow
    from ui.common.id_model import IdRole

    view = await _view(work.store, work.lead, qtbot, ui, work.month)
    with work.store.read() as session:
        expected = {s.subject_code: s for s in svc.four_dimension(session, work.month, township_code=QC)}
        depts = svc.department_indicators(session, work.month, utcnow(), township_code=QC)
    m = view.four_model
    shown = {}
    for r in range(m.rowCount()):
        shown[m.data(m.index(r, 0), IdRole)] = [m.data(m.index(r, c)) for c in range(m.columnCount())]
    a, b = expected[work.a], expected[work.b]
    assert (a.post, a.module, a.cluster, a.task_force, a.total) == (70.0, 80.0, 3.0, 0.0, 153.0)
    assert (b.post, b.module, b.cluster, b.task_force, b.total) == (0.0, 90.0, 0.0, 2.0, 92.0)
    for code, s in expected.items():
        row = shown[code]
        assert row[2:7] == [f"{s.post:g}", f"{s.module:g}", f"{s.cluster:g}", f"{s.task_force:g}", f"{s.total:g}"]
    # every module member is listed (to be scored), the best total first
    assert set(work.members) <= set(shown)
    assert m.ids[0] == work.a
    assert "153" in m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole)  # the tooltip explains the sum
    # two-way: the agriculture bureau checked in on time
    dm = view.dept_model
    agri = next(d for d in depts if d.code == "agri")
    r = dm.row_of("agri")
    assert dm.data(dm.index(r, 1)) == str(agri.checkins_due) == "1"
    assert dm.data(dm.index(r, 3)) == "100.0%"


@pytest.mark.asyncio
async def test_who_may_score_and_veto(work, qtbot, ui, zh):
    from commandroom.mutations.core import Actor
    from commandroom.services.assessment import record_id

    # the module lead: module score yes, post score no, veto of a dispatched cadre yes (a township officer)
    view = await _view(work.store, work.lead, qtbot, ui, work.month)
    view.four_table.selectRow(view.four_model.row_of(work.b))
    # a module lead is of the township's leadership (岗位赋分 too); b is no dispatched cadre (no veto)
    assert view.module_button.isEnabled() and view.post_button.isEnabled() and not view.veto_button.isEnabled()
    view.module_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="score dialog")
    dialog = view.open_dialog
    assert dialog.module_combo.currentData() == work.module and dialog.points_spin.value() == 90.0
    dialog.points_spin.setValue(95)
    dialog.ok_button().click()
    await view.wait_idle()
    name, entity, args = ui.outbox(work.store)[-1]
    assert (name, entity) == ("assessment.rate_module", record_id(QC, work.month, work.b, "module", work.module))
    assert args["points"] == 95.0
    await ui.wait_until(lambda: view.four_model.row_by_id(work.b).score.module == 95.0, what="rescored")

    view.four_table.selectRow(view.four_model.row_of(work.dispatched))
    assert view.veto_button.isEnabled()
    view.veto_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="veto dialog")
    dialog = view.open_dialog
    assert not dialog.ok_button().isEnabled()
    dialog.reason_edit.setPlainText("两次未按时报到")
    dialog.ok_button().click()
    await view.wait_idle()
    assert ui.outbox(work.store)[-1][:2] == ("assessment.veto", record_id(QC, work.month, work.dispatched, "veto"))
    await ui.wait_until(lambda: view.four_model.row_by_id(work.dispatched).score.vetoed, what="vetoed")
    r = view.four_model.row_of(work.dispatched)
    assert view.four_model.data(view.four_model.index(r, 7)) == "已否决：两次未按时报到"

    # another module's lead may not rate this module's members
    other = Actor(user_id="u-other", name="别的牵头人", role="module_lead", scope_kind="township", scope_code=QC,
                  township_code=QC, device_id=work.store.device_id)
    view2 = await _view(work.store, other, qtbot, ui, work.month)
    view2.four_table.selectRow(view2.four_model.row_of(work.b))
    assert not view2.module_button.isEnabled()

    # the county's administrator may not score; the township's duty officer sets the post score
    admin = Actor(user_id="u-admin", name="管理员", role="admin", scope_kind="county", device_id=work.store.device_id)
    view4 = await _view(work.store, admin, qtbot, ui, work.month)
    view4.four_table.selectRow(view4.four_model.row_of(work.b))
    assert not view4.post_button.isEnabled() and not view4.veto_button.isEnabled()
    # the export is offered to the township's leadership, not to the administrator (export.assessment)
    assert view.export_button.isVisibleTo(view) and not view4.export_button.isVisibleTo(view4)
    view3 = await _view(work.store, work.officer, qtbot, ui, work.month)
    view3.four_table.selectRow(view3.four_model.row_of(work.b))
    assert view3.post_button.isEnabled()
    view3.post_button.click()
    await ui.wait_until(lambda: view3.open_dialog is not None and view3.open_dialog.isVisible(), what="post dialog")
    view3.open_dialog.points_spin.setValue(66)
    view3.open_dialog.ok_button().click()
    await view3.wait_idle()
    assert ui.outbox(work.store)[-1][:2] == ("assessment.set_post", record_id(QC, work.month, work.b, "post"))
    await ui.wait_until(lambda: view3.four_model.row_by_id(work.b).score.post == 66.0, what="post set")


@pytest.mark.asyncio
async def test_excel_export_has_the_tables_and_a_known_figure(work, qtbot, ui, tmp_path):
    from openpyxl import load_workbook

    view = await _view(work.store, work.lead, qtbot, ui, work.month)
    out = await view.export_to(tmp_path / "考核.xlsx")
    assert out is not None and out.stat().st_size > 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["四维考核", "乡镇评部门", "部门评乡镇", "网格员"]
    rows = list(wb["四维考核"].iter_rows(values_only=True))
    assert rows[0][:8] == ("月份", "干部编码", "干部", "岗位赋分", "模块评分", "组团积分", "专班计分", "合计")
    mine = next(r for r in rows[1:] if r[1] == work.a)
    assert mine[0] == work.month and mine[3:8] == (70, 80, 3, 0, 153)
    depts = list(wb["乡镇评部门"].iter_rows(values_only=True))
    agri = next(r for r in depts[1:] if r[1] == "agri")
    assert agri[3] == 1 and agri[7] == 1.0
