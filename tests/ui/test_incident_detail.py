"""The incident detail panel: dispatch / return / close / reopen through the real buttons and dialogs,
refused actions shown in Chinese with nothing written, keyboard shortcuts, and the panel's list models."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    """PySide6 6.12 on CPython 3.11 loses references to None/True (see ui/incidents/refcounts.py)."""
    from ui.incidents import refcounts

    refcounts.install()


def _state(store, incident_id):
    from commandroom.domain.models import Incident

    with store.read() as session:
        inc = session.get(Incident, incident_id)
        session.expunge(inc)
        return inc


def _timeline(store, incident_id):
    from sqlalchemy import select

    from commandroom.domain.models import TimelineEntry

    with store.read() as session:
        return [(e.action, e.from_state, e.to_state, e.actor_name, e.device_name, e.note, dict(e.data or {}))
                for e in session.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                                         .order_by(TimelineEntry.at, TimelineEntry.id))]


async def _panel(store, actor, qtbot, ui, incident_id):
    from ui.incidents.detail import IncidentDetailPanel

    panel = IncidentDetailPanel(store, actor)
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    panel.show()
    panel.load(incident_id)
    await ui.wait_until(lambda: panel.detail is not None, what="detail loaded")
    return panel


async def _click_and_fill(panel, ui, key, fill):
    """Click the action's button, fill the dialog it opens (``fill(dialog)``) and press OK."""
    panel.buttons[key].click()
    if fill is None:
        await panel.wait_idle()
        return
    await ui.wait_until(lambda: panel.open_dialog is not None and panel.open_dialog.isVisible(),
                        what=f"{key} dialog")
    dialog = panel.open_dialog
    fill(dialog)
    assert dialog.ok_button().isEnabled()
    dialog.ok_button().click()
    await panel.wait_idle()


@pytest.mark.asyncio
async def test_dispatch_return_close_reopen_through_the_panel(store, actor, qtbot, ui, tmp_path, zh):
    rid = ui.make_report(store, actor, category="muck_dust", text="工地裸土未覆盖，扬尘严重")
    incident_id = ui.accept_report(store, actor, rid, title="工地扬尘")
    panel = await _panel(store, actor, qtbot, ui, incident_id)
    outbox_before = len(ui.outbox(store))
    assert panel.buttons["dispatch"].isEnabled() and not panel.buttons["acknowledge"].isEnabled()
    assert not panel.buttons["reopen"].isEnabled()

    # 1. dispatch to a department
    def to_department(d):
        d.department_radio.setChecked(True)
        d.department_combo.setCurrentIndex(d.department_combo.findData("enforcement"))
        d.note_edit.setPlainText("请尽快核查")

    await _click_and_fill(panel, ui, "dispatch", to_department)
    inc = _state(store, incident_id)
    assert (inc.state, inc.assignee_kind, inc.assignee_code) == ("dispatched", "department", "enforcement")
    await ui.wait_until(lambda: panel.detail.get("state") == "dispatched", what="panel reloaded")
    # a return is the assignee's (依单履责): not offered to the officer
    assert panel.buttons["acknowledge"].isEnabled() and not panel.buttons["return"].isEnabled()
    assert panel.dispatch_model.rowCount() == 1

    # 2. the enforcement bureau's liaison signs in at this desk: acknowledges, then returns with a reason
    # and a counter-proposal
    from commandroom.mutations.core import Actor

    officer = panel.actor
    panel.actor = Actor(user_id="u-enf", name="执法局联络员", role="department_liaison", scope_kind="county",
                        department_code="enforcement", device_id=store.device_id, device_name="测试工作站")
    panel.show_detail(panel.detail)
    assert panel.buttons["acknowledge"].isEnabled() and panel.buttons["return"].isEnabled()
    assert not panel.buttons["dispatch"].isEnabled() and not panel.buttons["close"].isEnabled()
    await _click_and_fill(panel, ui, "acknowledge", None)
    assert _state(store, incident_id).state == "acknowledged"

    def give_back(d):
        assert not d.ok_button().isEnabled()  # a return needs a reason
        d.reason_edit.setPlainText("属生态环境部门职责")
        d.proposal_combo.setCurrentIndex(d.proposal_combo.findData("生态环境分局"))
        d.proposal_edit.setPlainText("清单第 8 项")

    await _click_and_fill(panel, ui, "return", give_back)
    inc = _state(store, incident_id)
    assert inc.state == "returned" and inc.return_reason == "属生态环境部门职责"
    assert inc.counter_proposal == "生态环境分局：清单第 8 项"

    # 3. a refused action: shown in Chinese, nothing written
    await ui.wait_until(lambda: panel.detail.get("state") == "returned", what="panel reloaded")
    panel.actor = officer  # the officer again
    panel.show_detail(panel.detail)
    assert not panel.buttons["acknowledge"].isEnabled()
    outbox_mid = len(ui.outbox(store))
    ok = await panel.perform("acknowledge", {})
    assert not ok and panel.error_label.isVisible()
    assert "已退回" in panel.error_label.text() and "签收" in panel.error_label.text()
    assert _state(store, incident_id).state == "returned" and len(ui.outbox(store)) == outbox_mid

    # 4. dispatch again, to the zone team; then close with before/after photos
    await _click_and_fill(panel, ui, "dispatch", lambda d: d.team_radio.setChecked(True))
    assert not panel.error_label.isVisible()
    inc = _state(store, incident_id)
    assert (inc.state, inc.assignee_kind) == ("dispatched", "team")
    before, after = tmp_path / "before.png", tmp_path / "after.png"
    for path, colour in ((before, "#8b5a2b"), (after, "#2e8b57")):
        img = QImage(64, 48, QImage.Format.Format_RGB32)
        img.fill(QColor(colour))
        assert img.save(str(path))

    def close_with_photos(d):
        # 渣土扬尘 closes with before and after photos and the grid worker's check: the dialog says so
        assert d.rule_label.text() == "需处置前、处置后照片，上报网格员核查"
        assert d.missing_label.text() == "处置前照片、处置后照片、网格员核查"
        assert not d.ok_button().isEnabled()
        d.note_edit.setPlainText("已覆盖防尘网，洒水降尘")
        d.before.add_file(before)
        d.after.add_file(after)
        # the photos are there; the grid worker has not checked: only a stated reason closes it now
        assert d.missing_label.text() == "网格员核查" and d.override_edit.isVisible()
        assert not d.ok_button().isEnabled()
        d.override_edit.setPlainText("网格员外出培训，镇干部已现场复核")

    await _click_and_fill(panel, ui, "close", close_with_photos)
    inc = _state(store, incident_id)
    assert inc.state == "closed" and inc.closed_at is not None
    assert len(inc.photos_before) == 1 and len(inc.photos_after) == 1
    await ui.wait_until(lambda: panel.detail.get("state") == "closed", what="panel reloaded")
    assert panel.photo_model.rowCount() == 2
    assert panel.buttons["reopen"].isEnabled() and not panel.buttons["close"].isEnabled()

    # 5. reopen with a reason: back to pending dispatch, a new lifecycle epoch
    epoch = inc.lifecycle_epoch
    await _click_and_fill(panel, ui, "reopen", lambda d: d.text_edit.setPlainText("群众反映仍有扬尘"))
    inc = _state(store, incident_id)
    assert inc.state == "pending_dispatch" and inc.lifecycle_epoch == epoch + 1

    # the timeline says who did what, when, from which workstation
    tl = _timeline(store, incident_id)
    assert [a for a, *_ in tl] == ["create", "dispatch", "acknowledge", "return", "dispatch", "close", "reopen"]
    assert [who for _a, _f, _t, who, *_ in tl[1:]] == [actor.name, "执法局联络员", "执法局联络员", actor.name,
                                                        actor.name, actor.name]
    assert all(device == "测试工作站" for _a, _f, _t, _who, device, _n, _d in tl[1:])
    assert tl[3][6]["counter_proposal"] == "生态环境分局：清单第 8 项"
    assert tl[5][6]["photos_before"] == inc.photos_before
    assert tl[5][6]["override"] == "网格员外出培训，镇干部已现场复核" and "网格员" in tl[5][6]["missing"]
    await ui.wait_until(lambda: panel.timeline_model.rowCount() == len(tl), what="timeline shown")
    # and every action is queued for the server, in order, with its arguments
    names = [(n, a) for n, _e, a in ui.outbox(store)[outbox_before:]]
    assert [n for n, _a in names] == ["incident.dispatch", "incident.acknowledge", "incident.return",
                                      "incident.dispatch", "incident.close", "incident.reopen"]
    assert names[0][1]["target_code"] == "enforcement" and names[3][1]["target_kind"] == "team"
    assert names[4][1]["photos_before"] == inc.photos_before and names[5][1]["reason"] == "群众反映仍有扬尘"
    assert all("expected_epoch" in a for _n, a in names)
    # the photos' thumbnails are in the local cache
    from commandroom.domain.models import Photo

    with store.read() as session:
        assert session.get(Photo, inc.photos_after[0]).thumbnail


@pytest.mark.asyncio
async def test_validation_error_shown_in_chinese(store, actor, qtbot, ui, zh):
    rid = ui.make_report(store, actor)
    incident_id = ui.accept_report(store, actor, rid)
    store.perform(actor, "incident.dispatch", incident_id,
                  {"target_kind": "department", "target_code": "enforcement", "dispatch_id": "d-val-1"})
    from commandroom.mutations.core import Actor

    liaison = Actor(user_id="u-enf", name="执法局联络员", role="department_liaison", scope_kind="county",
                    department_code="enforcement", device_id=store.device_id)
    panel = await _panel(store, liaison, qtbot, ui, incident_id)
    before = len(ui.outbox(store))
    assert not await panel.perform("return", {"reason": "   "})
    assert panel.error_label.isVisible() and "理由" in panel.error_label.text()
    assert _state(store, incident_id).state == "dispatched" and len(ui.outbox(store)) == before
    # a successful action clears the message
    assert await panel.perform("acknowledge", {})
    assert not panel.error_label.isVisible()


@pytest.mark.asyncio
async def test_keyboard_shortcut_opens_dispatch_from_the_table(store, actor, qtbot, ui):
    from ui.incidents.view import IncidentsView

    rid = ui.make_report(store, actor)
    incident_id = ui.accept_report(store, actor, rid)
    view = IncidentsView(store, actor)
    qtbot.addWidget(view)
    view.resize(1600, 900)
    view.show()
    view.activateWindow()
    await ui.wait_until(lambda: QApplication.activeWindow() is view, what="window activation")
    await ui.wait_until(lambda: view.detail.detail is not None and view.detail.detail.id == incident_id,
                        what="first row selected and shown")
    view.table.setFocus()
    QTest.keyClick(view.table, Qt.Key.Key_D)
    await ui.wait_until(lambda: view.detail.open_dialog is not None, what="dispatch dialog from the D key")
    view.detail.open_dialog.reject()
    await view.wait_idle()
    assert _state(store, incident_id).state == "pending_dispatch"
    # focus is back on the table: N opens the progress note
    await ui.wait_until(lambda: QApplication.activeWindow() is view and view.table.hasFocus(), what="focus back")
    QTest.keyClick(view.table, Qt.Key.Key_N)
    await ui.wait_until(lambda: view.detail.open_dialog is not None, what="note dialog from the N key")
    dialog = view.detail.open_dialog
    dialog.text_edit.setPlainText("已电话联系网格员")
    dialog.ok_button().click()
    await view.wait_idle()
    assert [a for a, *_ in _timeline(store, incident_id)][-1] == "note"
    await asyncio.sleep(0)


def test_detail_models_pass_qtmodeltester(store, actor, qtmodeltester, ui):
    from commandroom.queries.incidents import incident_detail
    from ui.incidents.detail_models import DispatchModel, PhotoModel, TimelineModel

    rid = ui.make_report(store, actor)
    incident_id = ui.accept_report(store, actor, rid)
    store.perform(actor, "incident.dispatch", incident_id,
                  {"target_kind": "team", "target_code": "QC", "dispatch_id": "d-mt-1"})
    store.perform(actor, "incident.note", incident_id, {"note": "进展"})
    store.perform(actor, "incident.close", incident_id, {"note": "办结", "photos_after": ["a" * 64]})
    detail = incident_detail(store, incident_id)
    for model, items in ((TimelineModel(), detail.timeline), (DispatchModel(), detail.dispatches),
                         (PhotoModel(), detail.photos)):
        model.set_items(items, detail.id)
        assert model.rowCount() == len(items) > 0
        qtmodeltester.check(model)
    # an appended timeline entry is an insert, not a reset
    model = TimelineModel()
    model.set_items(detail.timeline[:-1], detail.id)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_items(detail.timeline, detail.id)
    assert model.rowCount() == len(detail.timeline) and not resets


def test_allowed_actions_follow_the_workflow():
    from ui.incidents.detail import allowed_actions

    assert allowed_actions("pending_dispatch") >= {"dispatch", "close", "escalate", "note", "remind"}
    assert "acknowledge" not in allowed_actions("pending_dispatch")
    assert allowed_actions("awaiting_verification") >= {"verify", "close"}
    assert allowed_actions("closed") == {"note", "reopen"}
    assert allowed_actions("in_progress", deleted=True) == set()


@pytest.mark.asyncio
async def test_dispatch_dialog_says_a_members_certificate_expired_and_does_not_offer_them_as_lead(
        store, actor, qtbot, ui, zh):
    """An expired 执法证 is shown next to the name (not a plain 空闲), and that member is listed but greyed as lead."""
    import dataclasses
    from datetime import date

    from commandroom.queries.incidents import dispatch_choices
    from ui.incidents.dialogs import DispatchDialog

    # the zone's team leader keeps the roster of members (a duty officer may not add them)
    leader = dataclasses.replace(actor, role="team_leader", roles=("team_leader",), scope_kind="zone",
                                 scope_code="QC", name="球川队长")
    store.perform(leader, "member.create", "m-expired", {"zone_id": "QC", "name": "何德", "origin": "enforcement_bureau",
                                                         "is_auxiliary": False, "cert_no": "ZJ-1",
                                                         "cert_expiry": "2026-03-01"})
    store.perform(leader, "member.create", "m-valid", {"zone_id": "QC", "name": "李正", "origin": "enforcement_bureau",
                                                       "is_auxiliary": False, "cert_no": "ZJ-2",
                                                       "cert_expiry": "2030-01-01"})
    dialog = DispatchDialog(dispatch_choices(store), lead_department=None, zone_id="QC", prefer_team=True,
                            today=date(2026, 12, 8))
    qtbot.addWidget(dialog)
    dialog.show()
    texts = {dialog.member_list.item(i).data(Qt.ItemDataRole.UserRole): dialog.member_list.item(i).text()
             for i in range(dialog.member_list.count())}
    assert texts["m-expired"] == "何德（空闲，执法证已于 2026-03-01 过期）"
    assert texts["m-valid"] == "李正（空闲）"
    dialog.check_member("m-expired")
    dialog.check_member("m-valid")
    combo = dialog.lead_combo
    expired_row = combo.findData("m-expired")
    assert combo.itemText(expired_row) == "何德（执法证已于 2026-03-01 过期）"
    assert not combo.model().item(expired_row).isEnabled()
    assert combo.currentData() == "m-valid"
    assert dialog.selected_members() == [("m-expired", "何德"), ("m-valid", "李正")]
    # the combo is wide enough for its longest entry: nothing is cut to "何德" or "(无"
    await ui.wait_until(lambda: combo.width() >= combo.fontMetrics().horizontalAdvance(combo.itemText(expired_row)),
                        what="lead combo laid out")
    assert combo.width() >= combo.fontMetrics().horizontalAdvance(combo.itemText(expired_row))


@pytest.mark.asyncio
async def test_outside_the_list_marker_is_chinese(store, actor, qtbot, ui, zh):
    rid = ui.make_report(store, actor, category="village_org", text="村务公开栏长期未更新")
    incident_id = ui.accept_report(store, actor, rid, title="村务公开栏未更新")
    assert _state(store, incident_id).outside_list
    panel = await _panel(store, actor, qtbot, ui, incident_id)
    text = panel.routing_label.text()
    assert "清单外事项" in text and "Outside the list" not in text


@pytest.mark.asyncio
async def test_verify_dialog_takes_the_checkers_photo(store, actor, qtbot, ui, tmp_path, zh):
    """核查 at the desk with a photo: the picked photo is kept for upload and named on the timeline entry."""
    rid = ui.make_report(store, actor, category="urban_parking", text="占道停车")
    incident_id = ui.accept_report(store, actor, rid, title="占道停车")
    store.perform(actor, "incident.dispatch", incident_id, {"target_kind": "department", "target_code": "enforcement", "dispatch_id": "d-ver-1"})
    store.perform(actor, "incident.acknowledge", incident_id, {})
    store.perform(actor, "incident.submit", incident_id, {"note": "已劝离"})
    assert _state(store, incident_id).state == "awaiting_verification"
    panel = await _panel(store, actor, qtbot, ui, incident_id)
    photo = tmp_path / "checked.png"
    img = QImage(80, 60, QImage.Format.Format_RGB32)
    img.fill(QColor("#4477aa"))
    assert img.save(str(photo))
    outbox_before = len(ui.outbox(store))

    def verify_with_photo(d):
        assert d.photos.isVisible() and d.photos.add_button.text() == "添加…"
        d.photos.add_file(photo)
        d.note_edit.setPlainText("现场已无车辆")

    await _click_and_fill(panel, ui, "verify", verify_with_photo)
    inc = _state(store, incident_id)
    assert inc.state == "closed"
    entry = _timeline(store, incident_id)[-1]
    assert entry[0] == "verify_pass" and len(entry[6]["photos"]) == 1
    [(name, _e, args)] = ui.outbox(store)[outbox_before:]
    assert name == "incident.verify" and args["photos"] == entry[6]["photos"]
    from commandroom.domain.models import Photo
    from commandroom.store.photos import desk_photo_dir

    with store.read() as session:
        assert session.get(Photo, args["photos"][0]).thumbnail  # shown at once, before any upload
    assert (desk_photo_dir(store.path) / "outgoing" / args["photos"][0]).exists()  # waits for the next sync
