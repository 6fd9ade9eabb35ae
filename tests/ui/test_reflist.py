"""Responsibility-list management: versions for everyone (read-only), the county centre's draft of a new
version (a copy of the one in force), the live diff (added / removed / changed fields highlighted),
publishing through ``reflist.publish_version``; the models pass qtmodeltester."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

QC = "330822111"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


@pytest.fixture
def county_store(seeded_sqlite, qapp):
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    store = DeskStore(seeded_sqlite.split("///", 1)[1])
    yield store
    forget_store(store)
    store.close()


def _coordinator(store):
    from commandroom.mutations.core import Actor

    return Actor(user_id="u-county", name="刘洋", role="county_coordinator", scope_kind="county",
                 device_id=store.device_id, device_name="县社会治理中心")


async def _view(store, actor, qtbot, ui):
    from ui.reflist.view import ReflistView

    view = ReflistView(store, actor)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.load()
    await view.wait_idle()
    await ui.wait_until(lambda: view.matter_model.rowCount() > 0, what="matters of the version in force")
    return view


def _col(name):
    from ui.reflist.models import FIELDS

    return [f for f, _t in FIELDS].index(name)


def test_models_pass_qtmodeltester(county_store, qtmodeltester):
    from commandroom.queries.reflist import diff_rows, matters, new_draft, versions
    from commandroom.services.teams import shanghai_date
    from commandroom.timeutil import utcnow
    from ui.reflist.models import DiffModel, MatterEditModel, MatterModel, VersionModel

    today = shanghai_date(utcnow())
    vm = VersionModel()
    vm.set_rows(versions(county_store, today))
    qtmodeltester.check(vm)
    mm = MatterModel()
    mm.set_rows(matters(county_store, 1))
    qtmodeltester.check(mm)
    draft = new_draft(county_store, today)
    em = MatterEditModel(draft.base_matters)
    qtmodeltester.check(em)
    em.setData(em.index(0, _col("name")), "改过的名称", Qt.ItemDataRole.EditRole)
    em.insertRows(em.rowCount(), 1)
    qtmodeltester.check(em)
    dm = DiffModel()
    dm.set_rows(diff_rows(draft.base_matters, em.draft())[0])
    assert dm.rowCount() == 2
    qtmodeltester.check(dm)


@pytest.mark.asyncio
async def test_read_only_for_everyone_but_the_county_centre(county_store, qtbot, ui, zh):
    view = await _view(county_store, ui.make_actor(county_store), qtbot, ui)
    assert not view.new_button.isEnabled() and view.readonly_label.isVisible()
    assert view.version_model.rowCount() == 1
    assert view.version_model.data(view.version_model.index(0, 4)) == "现行"
    await view.start_draft()
    assert view.stack.currentIndex() == 0 and view.edit_model is None


@pytest.mark.asyncio
async def test_new_version_diff_then_publish(county_store, qtbot, ui, zh):
    from sqlalchemy import select

    from commandroom.domain.models import Matter, MatterListVersion

    view = await _view(county_store, _coordinator(county_store), qtbot, ui)
    assert view.new_button.isEnabled() and not view.readonly_label.isVisible()
    view.new_button.click()
    await ui.wait_until(lambda: view.stack.currentIndex() == 1, what="editor")
    await view.wait_idle()
    model = view.edit_model
    base = {m["code"]: m for m in view.draft.base_matters}
    assert model.rowCount() == len(base) and view.number_spin.value() == 2
    assert not view.publish_button.isEnabled()  # nothing changed yet
    assert "新增 0 · 删除 0 · 修改 0" in view.diff_title.text()

    # edit two fields of the first matter, remove the second, add a new one
    first, second = model.rows[0]["code"], model.rows[1]["code"]
    model.setData(model.index(0, _col("department_duty")), "审批、监管、查处，并在 2 小时内到场", Qt.ItemDataRole.EditRole)
    model.setData(model.index(0, _col("is_enforcement")), Qt.CheckState.Unchecked if base[first]["is_enforcement"]
                  else Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert model.data(model.index(0, _col("department_duty")), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(0, _col("code")), Qt.ItemDataRole.BackgroundRole) is None
    model.removeRows(1, 1)
    view.add_matter()
    new = model.rowCount() - 1
    for name, value in (("code", "SG-99"), ("name", "农村饮用水安全隐患处置"), ("field", "公共服务"),
                        ("lead_department_code", "water_supply"), ("category_codes", "public_facility"),
                        ("township_duty", "巡查发现、劝阻、报告"), ("department_duty", "检测、整改、监管")):
        model.setData(model.index(new, _col(name)), value, Qt.ItemDataRole.EditRole)
    await view.wait_idle()
    await ui.wait_until(lambda: view.diff_counts.get("added") == 1, what="diff")
    assert view.diff_counts == {"added": 1, "removed": 1, "changed": 1, "unchanged": len(base) - 2}
    rows = view.diff_model.rows()
    assert [(r.kind, r.code) for r in rows if r.kind != "changed"] == [("added", "SG-99"), ("removed", second)]
    changed = [r for r in rows if r.kind == "changed"]
    assert {r.field for r in changed} == {"department_duty", "is_enforcement"} and {r.code for r in changed} == {first}
    k = view.diff_model.row_of(changed[0].id)
    assert view.diff_model.data(view.diff_model.index(k, 3), Qt.ItemDataRole.BackgroundRole) is not None
    assert view.diff_model.data(view.diff_model.index(k, 0)) == "修改"
    duty = next(r for r in changed if r.field == "department_duty")
    assert duty.new == "审批、监管、查处，并在 2 小时内到场" and duty.old == base[first]["department_duty"]
    assert not view.problem_label.isVisible()
    assert view.publish_button.isEnabled()

    # a problem in the draft blocks publishing and says where
    model.setData(model.index(new, _col("lead_department_code")), "", Qt.ItemDataRole.EditRole)
    await view.wait_idle()
    await ui.wait_until(lambda: view.problem_label.isVisible(), what="problem shown")
    assert "SG-99" in view.problem_label.text() and not view.publish_button.isEnabled()
    model.setData(model.index(new, _col("lead_department_code")), "water_supply", Qt.ItemDataRole.EditRole)
    await view.wait_idle()
    await ui.wait_until(lambda: view.publish_button.isEnabled(), what="publishable again")

    date = view.date_edit.date()
    effective = f"{date.year():04d}-{date.month():02d}-{date.day():02d}"
    view.note_edit.setText("新增饮用水事项，调整执法属性")
    view.publish_button.click()
    await view.wait_idle()
    name, entity, args = ui.outbox(county_store)[-1]
    assert name == "reflist.publish_version"
    assert args["version"] == 2 and args["effective_from"] == effective and len(args["matters"]) == len(base)
    with county_store.read() as session:
        v = session.scalars(select(MatterListVersion).where(MatterListVersion.version == 2)).one()
        assert v.id == entity and v.effective_from.isoformat() == effective
        codes = set(session.scalars(select(Matter.code).where(Matter.version_id == v.id)))
    assert "SG-99" in codes and second not in codes
    assert view.stack.currentIndex() == 0
    await view.wait_idle()
    await ui.wait_until(lambda: view.version_model.rowCount() == 2, what="new version listed")
    top = view.version_model.rows()[0]
    assert top.version == 2 and top.status in ("in_force", "scheduled")
