"""The department's seat through its widgets: its work from two townships with clocks, 签收, 报到 with who and
when, 退回 with a counter-proposal, each under the liaison's name; a new assignment announced live."""

from __future__ import annotations

import pytest

QC, TM = "330822111", "330822001"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


def _liaison(store, department="market", name="市监局张联络"):
    from commandroom.mutations.core import Actor

    return Actor(user_id="u-liaison-" + department, name=name, role="department_liaison", scope_kind="county",
                 device_id=store.device_id, device_name="市监局电脑", department_code=department)


def _timeline(store, incident_id):
    from sqlalchemy import select

    from commandroom.domain.models import TimelineEntry

    with store.read() as session:
        return [(t.action, t.actor_name, dict(t.data or {})) for t in session.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.at))]


def _work(store, ui):
    """An incident of 球川 dispatched to 市场监管局 and a summons of it by 天马; one for 自然资源局 too."""
    from commandroom.ids import new_id

    qc = ui.make_actor(store, QC)
    tm = ui.make_actor(store, TM, name="天马值班")
    rid = ui.make_report(store, qc, category="food_safety", text="小餐馆后厨卫生差")
    mine = ui.accept_report(store, qc, rid, title="小餐馆后厨卫生差")
    store.perform(qc, "incident.dispatch", mine, {"target_kind": "department", "target_code": "market",
                                                  "dispatch_id": new_id()})
    rid2 = ui.make_report(store, tm, township=TM, text="集贸市场占道经营")
    summoned = ui.accept_report(store, tm, rid2, title="集贸市场占道经营")
    store.perform(tm, "summon", new_id(), {"incident_id": summoned, "targets": [{"kind": "department",
                                                                                "code": "market"}]})
    rid3 = ui.make_report(store, qc, text="山坡违法挖土")
    theirs = ui.accept_report(store, qc, rid3, title="山坡违法挖土")
    store.perform(qc, "incident.dispatch", theirs, {"target_kind": "department", "target_code": "natres",
                                                    "dispatch_id": new_id()})
    return mine, summoned, theirs


@pytest.mark.asyncio
async def test_the_department_seat_lists_its_work_and_acts_under_its_name(store, qtbot, ui, zh):
    from ui.department.view import DepartmentView

    mine, summoned, _theirs = _work(store, ui)
    liaison = _liaison(store)
    view = DepartmentView(store, liaison)
    qtbot.addWidget(view)
    view.show()
    view.reload()
    await view.wait_idle()
    rows = {w.incident_id: w for w in view.model.rows()}
    assert set(rows) == {mine, summoned}  # both townships, not the other department's matter
    assert rows[mine].township_name == "球川镇" and rows[summoned].township_name == "天马街道"
    assert rows[summoned].clock == "checkin" and rows[summoned].due is not None
    assert "县市场监督管理局" in view.title_label.text() and "部门工作台" in view.title_label.text()
    texts = [view.model.index(r, c).data() for r in range(view.model.rowCount())
             for c in range(view.model.columnCount())]
    assert "吹哨报到" in texts and "交办本部门" in texts
    countdown = view.model.index(view.model.ids.index(rows[summoned].id), 8).data()
    assert countdown.startswith(("剩余", "超时")), countdown

    # the township filter narrows to one township
    view.township_combo.setCurrentIndex(view.township_combo.findData(TM))
    await view.wait_idle()
    assert [w.incident_id for w in view.model.rows()] == [summoned]
    view.township_combo.setCurrentIndex(0)
    await view.wait_idle()

    # 签收 the dispatched incident
    assert view.select_item(f"incident:{mine}")
    assert view.sign_button.isEnabled() and not view.checkin_button.isEnabled()
    view.sign_button.click()
    await view.wait_idle()
    assert ui.outbox(store)[-1][0] == "dispatch.acknowledge"
    assert ("dispatch.acknowledge", "市监局张联络") in [(a, n) for a, n, _ in _timeline(store, mine)]

    # 报到 for the summons: who attends and when
    summons_item = next(w for w in view.model.rows() if w.incident_id == summoned)
    assert view.select_item(summons_item.id)
    assert view.checkin_button.isEnabled() and not view.return_button.isEnabled()
    view.checkin_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None, what="check-in dialog")
    dialog = view.open_dialog
    assert not dialog.ok_button().isEnabled()  # who attends is required
    dialog.attendee_edit.setText("张三、李四")
    dialog.attend_at_edit.setText("今天14:30")
    dialog.ok_button().click()
    await view.wait_idle()
    name, _eid, args = ui.outbox(store)[-1]
    assert name == "checkin" and args["attendee"] == "张三、李四"
    entry = [t for t in _timeline(store, summoned) if t[0] == "checkin"][-1]
    assert entry[1] == "市监局张联络" and entry[2]["attendee"] == "张三、李四" and entry[2]["attend_at"] == "今天14:30"
    assert summoned not in {w.incident_id for w in view.model.rows()}  # checked in: off the list

    # 退回 with a reason and a counter-proposal
    assert view.select_item(f"incident:{mine}")
    assert view.return_button.isEnabled()
    view.return_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None, what="return dialog")
    dialog = view.open_dialog
    dialog.reason_edit.setPlainText("后厨卫生属餐饮服务许可事项，但本案为占道经营")
    assert not dialog.ok_button().isEnabled()  # a proposal is required
    dialog.department_combo.setCurrentIndex(dialog.department_combo.findData("enforcement"))
    assert dialog.department_combo.findData("market") == -1  # never back to itself
    dialog.ok_button().click()
    await view.wait_idle()
    name, eid, args = ui.outbox(store)[-1]
    assert (name, eid, args["proposed_department_code"]) == ("incident.return_by_department", mine, "enforcement")
    action, who, data = _timeline(store, mine)[-1]
    assert (action, who) == ("return", "市监局张联络")
    assert data["dispute"]["proposed_department_code"] == "enforcement"
    assert data["dispute"]["by_department_code"] == "market"
    assert "县综合行政执法局" in data["counter_proposal"]


@pytest.mark.asyncio
async def test_another_departments_matter_is_refused_at_the_desk(store, ui):
    from commandroom.domain.errors import Forbidden

    _mine, _summoned, theirs = _work(store, ui)
    before = len(ui.outbox(store))
    with pytest.raises(Forbidden, match="不是派给您的"):
        store.perform(_liaison(store), "incident.return_by_department", theirs,
                      {"reason": "不是我们的", "proposed_department_code": "enforcement"})
    assert len(ui.outbox(store)) == before


@pytest.mark.asyncio
async def test_a_new_assignment_is_announced_live(store, qtbot, ui, zh):
    from commandroom.ids import new_id
    from ui.notifications import BannerArea, DepartmentWorkWatcher, Notifier

    banner = BannerArea()
    qtbot.addWidget(banner)
    notifier = Notifier(banner, sound=False)
    watcher = DepartmentWorkWatcher(store, notifier, "market")
    qc = ui.make_actor(store, QC)
    rid = ui.make_report(store, qc, category="food_safety", text="超市出售过期食品")
    incident = ui.accept_report(store, qc, rid, title="超市出售过期食品")
    store.perform(qc, "incident.dispatch", incident, {"target_kind": "department", "target_code": "natres",
                                                      "dispatch_id": new_id()})
    store.perform(qc, "incident.note", incident, {"note": "与本部门无关的记录"})
    store.perform(qc, "incident.dispatch", incident, {"target_kind": "department", "target_code": "market",
                                                      "dispatch_id": new_id()})
    await ui.wait_until(lambda: watcher.work_did_arrive and banner.banners, what="banner")
    # one banner: the other department's assignment and the note before it said nothing here
    assert len(banner.banners) == 1
    text = banner.banners[0].text_label.text()
    assert "本部门有新交办" in text and "超市出售过期食品" in text


@pytest.mark.asyncio
async def test_a_liaison_signs_in_to_the_same_desktop_and_gets_the_department_seat(store, qtbot, ui, zh, tmp_path):
    from ui.main_window import MainWindow

    _work(store, ui)
    window = MainWindow(store, _liaison(store), sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    assert window.current_page_key() == "department"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == ["部门工作台", "事件", "地图", "冲突与退回"]
    assert window.status_bar.user_label.text() == "市监局张联络 · 部门联络员"
    assert window.status_bar.township_label.text() == "县市场监督管理局"
    page = window.page("department")
    await page.wait_idle()
    assert page.model.rowCount() == 2


@pytest.mark.asyncio
async def test_old_finished_assignments_are_not_announced(store, ui):
    """A desk's first download brings the department's history: only work still waiting for it is news."""
    from sqlalchemy import select

    from commandroom.domain.models import TimelineEntry
    from commandroom.queries.department import department_notices, work_items

    mine, summoned, _theirs = _work(store, ui)
    liaison = _liaison(store)
    with store.read() as session:
        entries = list(session.scalars(select(TimelineEntry.id)))
    assert sorted(n.kind for n in department_notices(store, "market", entries)) == ["dispatch", "summon"]
    dispatch = next(e for e in ui.outbox(store) if e[0] == "incident.dispatch" and e[1] == mine)[2]["dispatch_id"]
    store.perform(liaison, "dispatch.acknowledge", dispatch, {})
    chk = next(w for w in work_items(store, "market", store.now()) if w.incident_id == summoned)
    store.perform(liaison, "checkin", chk.entity_id, {"attendee": "张三"})
    assert department_notices(store, "market", entries) == []


@pytest.mark.asyncio
async def test_a_return_names_who_should_handle_it(store, ui):
    """退回 without a counter-proposal, or proposing the department itself, is refused in the officer's words."""
    from commandroom.domain.errors import ValidationError

    mine, _summoned, _theirs = _work(store, ui)
    liaison = _liaison(store)
    for args in ({"reason": "不是我们的"}, {"reason": "不是我们的", "proposed_department_code": "market"}):
        with pytest.raises(ValidationError) as caught:
            store.perform(liaison, "incident.return_by_department", mine, args)
        assert "建议" in caught.value.problem or "本部门" in caught.value.problem


@pytest.mark.asyncio
async def test_the_department_seat_shows_no_code_or_english(store, qtbot, ui, zh):
    """The workspace and its three dialogs, in Chinese: words, never codes (tests/ui/test_no_codes_on_screen)."""
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location("no_codes", pathlib.Path(__file__).with_name(
        "test_no_codes_on_screen.py"))
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    from commandroom.queries.department import proposal_choices
    from ui.department.view import CheckinDialog, DepartmentView, NoteDialog, ReturnDialog

    _work(store, ui)
    view = DepartmentView(store, _liaison(store))
    qtbot.addWidget(view)
    view.show()
    view.reload()
    await view.wait_idle()
    view.table.selectRow(0)
    matters, depts = proposal_choices(store, "market")
    widgets = [view, CheckinDialog("球川镇 小餐馆", view), NoteDialog("球川镇 小餐馆", view),
               ReturnDialog("球川镇 小餐馆", matters[:5], depts[:5], view)]
    found = {f"{type(w).__name__} {where}": checks.problems_in(text)
             for w in widgets for where, text in checks.visible_texts(w) if checks.problems_in(text)}
    assert not found, found
