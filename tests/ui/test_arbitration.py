"""The county's arbitration queue and the two-way assessment from acts, through the widgets (in Chinese).

A department returns a matter with a counter-proposal, the township contests it; the coordinator sees both
sides, the counter-proposal and the working time left, decides in the dialog with a reason, and the incident
is dispatched as decided. The two-way tab counts the township's proxy 签收 apart from the department's own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = [pytest.mark.working_time]
TUESDAY = "2026-12-08T10:00:00+08:00"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


def _liaison(store):
    from commandroom.mutations.core import Actor

    return Actor(user_id="u-enf", name="执法局联络员", role="department_liaison", scope_kind="county",
                 department_code="enforcement", device_id=store.device_id, device_name="执法局")


def _dispatched(store, ui, officer, text: str) -> str:
    from commandroom.ids import new_id

    report = ui.make_report(store, officer, text=text)
    incident = ui.accept_report(store, officer, report, title=text)
    store.perform(officer, "incident.dispatch", incident, {"target_kind": "department", "target_code": "enforcement",
                                                           "dispatch_id": new_id()})
    return incident


@pytest.mark.asyncio
@pytest.mark.at(TUESDAY)
async def test_the_coordinator_decides_a_dispute_from_the_queue(store, qtbot, ui, zh):
    from PySide6.QtCore import Qt

    from commandroom.domain.models import Incident
    from commandroom.ids import new_id
    from commandroom.timeutil import utcnow
    from ui.arbitration.view import ArbitrationView

    officer = ui.make_actor(store)
    incident = _dispatched(store, ui, officer, "河边堆放生活垃圾")
    store.perform(_liaison(store), "incident.return_by_department", incident,
                  {"reason": "生活垃圾清运属乡镇属地职责", "proposed_department_code": "housing"})
    dispute = new_id()
    store.perform(officer, "dispute.open", dispute, {"incident_id": incident, "reason": "清单规定由综合执法局牵头"})

    now = utcnow()
    coordinator = ui.make_actor(store, scope_kind="county", role="county_coordinator", name="县中心李")
    view = ArbitrationView(store, coordinator, clock=lambda: now)
    qtbot.addWidget(view)
    view.resize(1500, 700)
    view.show()
    view.load()
    await view.wait_idle()
    m = view.model
    assert m.rowCount() == 1 and view.empty_label.isHidden()
    row = [m.data(m.index(0, c)) for c in range(m.columnCount())]
    titles = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    assert titles[4:6] == ["乡镇理由", "部门理由"] and titles[8] == "剩余时间"
    assert row[1:4] == ["球川镇", "县综合行政执法局", "乡镇"]
    assert row[4] == "清单规定由综合执法局牵头" and row[5] == "生活垃圾清运属乡镇属地职责"
    assert "县住房和城乡建设局" in row[6]
    assert row[8] == "剩余 2 个工作日 0 小时" and row[9] == "待裁定"
    assert "生活垃圾清运属乡镇属地职责" in view.detail.text()

    # a duty officer sees the queue but may not decide
    reader = ArbitrationView(store, officer, clock=lambda: now)
    qtbot.addWidget(reader)
    reader.load()
    await reader.wait_idle()
    assert reader.model.rowCount() == 1 and not reader.decide_button.isEnabled()

    assert view.decide_button.isEnabled()
    view.decide_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="decide dialog")
    dialog = view.open_dialog
    assert not dialog.ok_button().isEnabled()  # a decision needs a reason
    assert dialog.department_combo.currentData() == "enforcement"
    dialog.reason_edit.setPlainText("清单事项明确由综合执法局牵头，乡镇配合")
    dialog.ok_button().click()
    await view.wait_idle()
    assert ui.outbox(store)[-1][:2] == ("dispute.decide", dispute)
    with store.read() as s:
        inc = s.get(Incident, incident)
        assert (inc.state, inc.assignee_code) == ("dispatched", "enforcement")
    await ui.wait_until(lambda: view.model.rowCount() == 0, what="decided dispute left the queue")
    assert view.empty_label.isVisible()
    view.decided_check.setChecked(True)
    await view.wait_idle()
    assert view.model.data(view.model.index(0, 9)) == "已裁定"

    # past the limit, an undecided dispute shows how late it is, in working time
    second = _dispatched(store, ui, officer, "路边乱堆建筑垃圾")
    store.perform(_liaison(store), "incident.return_by_department", second,
                  {"reason": "不属本局", "proposed_department_code": "housing"})
    store.perform(officer, "dispute.open", new_id(), {"incident_id": second, "reason": "属本局"})
    late = ArbitrationView(store, coordinator, clock=lambda: now + timedelta(days=2, hours=2))
    qtbot.addWidget(late)
    late.load()
    await late.wait_idle()
    assert late.model.data(late.model.index(0, 8)) == "已超时 2 小时 0 分钟"


@pytest.mark.asyncio
@pytest.mark.at(TUESDAY)
async def test_two_way_tab_counts_proxy_entries_apart(store, qtbot, ui, zh):
    from commandroom.queries.assessment import months
    from commandroom.timeutil import utcnow
    from ui.assessment.two_way import TwoWayView

    officer = ui.make_actor(store)
    phoned = _dispatched(store, ui, officer, "河边堆放生活垃圾")
    own = _dispatched(store, ui, officer, "路边乱堆建筑垃圾")
    store.perform(officer, "incident.proxy_acknowledge", phoned, {"proxy_reason": "执法局电话告知已签收"})
    store.perform(_liaison(store), "incident.acknowledge", own, {})

    view = TwoWayView(store, officer)
    qtbot.addWidget(view)
    view.resize(1500, 700)
    view.show()
    view.month_combo.setCurrentIndex(view.month_combo.findData(months(utcnow())[0]))
    view.load()
    await view.wait_idle()
    dm = view.dept_model
    r = dm.row_of("enforcement")
    assert dm.data(dm.index(r, 0)) == "县综合行政执法局"
    assert dm.data(dm.index(r, 1)) == "50.0%"  # its own on-time 签收 over both; the proxy is not its own
    assert dm.data(dm.index(r, 2)) == "按时 1 · 超时 0 · 代录 1 · 未办 0"
    tm = view.town_model
    assert tm.data(tm.index(tm.row_of("330822111"), 6)) == "1"

    # the township's leadership rates the department for the month
    assert not view.rate_button.isEnabled()
    view.dept_table.selectRow(r)
    assert view.rate_button.isEnabled()
    view.rate_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="rate dialog")
    view.open_dialog.points_spin.setValue(88)
    view.open_dialog.ok_button().click()
    await view.wait_idle()
    assert ui.outbox(store)[-1][0] == "assessment.rate_counterpart"
    await ui.wait_until(lambda: view.dept_model.data(view.dept_model.index(view.dept_model.row_of("enforcement"), 7))
                        == "88", what="rating shown")


@pytest.mark.asyncio
@pytest.mark.at(TUESDAY)
async def test_the_township_records_a_proxy_and_contests_a_return_from_the_incident_panel(store, qtbot, ui, zh):
    from commandroom.domain.models import Dispatch, Dispute
    from ui.incidents import labels
    from ui.incidents.detail import IncidentDetailPanel

    officer = ui.make_actor(store)
    incident = _dispatched(store, ui, officer, "河边堆放生活垃圾")
    panel = IncidentDetailPanel(store, officer)
    qtbot.addWidget(panel)
    panel.resize(800, 900)
    panel.show()
    panel.load(incident)
    await ui.wait_until(lambda: panel.detail is not None, what="detail loaded")
    assert panel.buttons["proxy_acknowledge"].isEnabled() and not panel.buttons["contest"].isEnabled()
    assert panel.buttons["proxy_acknowledge"].text() == "代录签收 (Y)"

    async def click_and_fill(key: str, text: str) -> None:
        panel.buttons[key].click()
        await ui.wait_until(lambda: panel.open_dialog is not None and panel.open_dialog.isVisible(), what=key)
        dialog = panel.open_dialog
        assert not dialog.ok_button().isEnabled()  # the reason is required
        dialog.text_edit.setPlainText(text)
        dialog.ok_button().click()
        await panel.wait_idle()

    await click_and_fill("proxy_acknowledge", "执法局王科长电话告知已签收")
    with store.read() as s:
        d = next(iter(s.query(Dispatch).filter(Dispatch.incident_id == incident)))
        assert (d.state, d.proxy_by, d.proxy_reason) == ("acknowledged", "王值班", "执法局王科长电话告知已签收")
    await ui.wait_until(lambda: any((t.data or {}).get("proxy") for t in panel.detail.timeline), what="reloaded")
    tm = panel.timeline_model
    shown = [tm.data(tm.index(r, 3)) for r in range(tm.rowCount())]
    signed = labels.label(labels.ACTION_LABELS, "acknowledge")
    assert f"{signed} （代录）" in shown  # marked as a proxy entry; the Who column names who typed it
    row = shown.index(f"{signed} （代录）")
    assert tm.data(tm.index(row, 1)) == "王值班"

    # the department returns it; the room contests the return at the county
    store.perform(_liaison(store), "incident.return_by_department", incident,
                  {"reason": "不属本局职责", "proposed_department_code": "housing"})
    panel.load(incident)
    await ui.wait_until(lambda: panel.detail is not None and panel.detail.get("state") == "returned", what="returned")
    assert panel.buttons["contest"].isEnabled()
    await click_and_fill("contest", "清单明确由综合执法局牵头")
    with store.read() as s:
        disputes = list(s.query(Dispute).filter(Dispute.incident_id == incident))
    assert [(x.opened_by_side, x.contest_reason) for x in disputes] == [("township", "清单明确由综合执法局牵头")]
    await ui.wait_until(lambda: not panel.buttons["contest"].isEnabled(), what="contest offered once")
