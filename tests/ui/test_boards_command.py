"""Linked command (乡镇吹哨、部门报到): summon from a card and from an incident, check in, a missed
check-in shown and escalated, the lead's and the county's lists."""

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


def _actor(store, *, county=False):
    from commandroom.mutations.core import Actor

    if county:
        return Actor(user_id="u-county", name="刘洋", role="county_coordinator", scope_kind="county",
                     device_id=store.device_id)
    return Actor(user_id="u-lead", name="袁国平", role="module_lead", scope_kind="township", scope_code=QC,
                 township_code=QC, device_id=store.device_id)


def _module(store, name="平安法治"):
    from sqlalchemy import select

    from commandroom.domain.models import Module

    with store.read() as session:
        return session.scalars(select(Module.id).where(Module.township_code == QC, Module.name == name)).first()


def _checkins(store):
    from sqlalchemy import select

    from commandroom.domain.models import CaseCheckin

    with store.read() as session:
        return {(c.target_kind, c.target_code): c for c in session.scalars(select(CaseCheckin))}


@pytest.mark.asyncio
async def test_summon_check_in_and_escalate_a_missed_check_in(lead_store, qtbot, ui, zh):
    from commandroom.domain.models import CaseCheckin
    from commandroom.ids import new_id
    from commandroom.timeutil import utcnow
    from ui.boards.board_view import BoardView
    from ui.boards.command_view import CommandView

    actor = _actor(lead_store)
    mod, economy = _module(lead_store), _module(lead_store, "经济生态")
    card = new_id()
    lead_store.perform(actor, "card.create", card, {"module_id": mod, "title": "违法建设查处", "column": "doing"})
    board = BoardView(lead_store, actor, [QC])
    qtbot.addWidget(board)
    board.resize(1400, 900)
    board.show()
    board.set_module(mod)
    await ui.wait_until(lambda: board.board is not None and card in board.board.cards, what="board")
    assert board.select_card(card)

    # 吹哨: two county departments and a module, 24 hours
    board.panel.summon_button.click()
    await ui.wait_until(lambda: board.open_dialog is not None and board.open_dialog.isVisible(), what="summon dialog")
    dialog = board.open_dialog
    assert not dialog.ok_button().isEnabled()
    for key in (("department", "enforcement"), ("department", "housing"), ("module", economy)):
        dialog.target_model.set_checked(key)
    assert ("module", mod) not in dialog.target_model.checked_keys()
    dialog.note_edit.setPlainText("联合拆违，请到场")
    dialog.ok_button().click()
    await board.wait_idle()
    name, _entity, args = ui.outbox(lead_store)[-1]
    assert name == "summon" and args["card_id"] == card and args["hours"] == 24.0
    assert {(t["kind"], t["code"]) for t in args["targets"]} == {("department", "enforcement"),
                                                                 ("department", "housing"), ("module", economy)}
    await ui.wait_until(lambda: board.panel.checkin_model.rowCount() == 3, what="three check-ins")
    panel = board.panel
    model = panel.checkin_model
    assert all(r.outcome == "waiting" for r in model.rows())
    countdown = model.data(model.index(0, 1))
    assert "剩余" in countdown

    # 报到: the module lead may not check in for a department (依单履责); the enforcement bureau's
    # liaison, signed in at this desk, does
    chk = _checkins(lead_store)
    row = model.row_of(chk[("department", "enforcement")].id)
    panel.checkin_table.selectRow(row)
    assert not panel.checkin_button.isEnabled() and not panel.escalate_button.isEnabled()
    from commandroom.mutations.core import Actor

    board.actor = Actor(user_id="u-enf", name="执法局联络员", role="department_liaison", scope_kind="county",
                        department_code="enforcement", device_id=lead_store.device_id)
    panel.checkin_table.clearSelection()
    panel.checkin_table.selectRow(row)
    assert panel.checkin_button.isEnabled()
    panel.checkin_button.click()
    await board.wait_idle()
    assert ui.outbox(lead_store)[-1][:2] == ("checkin", chk[("department", "enforcement")].id)
    assert _checkins(lead_store)[("department", "enforcement")].checked_in_at is not None
    board.actor = actor  # the module lead again

    # a day and a half later the housing bureau has still not checked in
    housing = chk[("department", "housing")].id
    with lead_store.write() as session:
        session.get(CaseCheckin, housing).due_at = utcnow() - timedelta(hours=30)
    board.load()
    await board.wait_idle()
    await ui.wait_until(lambda: panel.checkin_model.row_by_id(housing) is not None
                        and panel.checkin_model.row_by_id(housing).outcome == "missed", what="missed")
    await ui.wait_until(lambda: board.board.cards[card].summons_missed == 1, what="card badge")
    from ui.boards.delegate import badges

    assert any("未报到" in text for text, _c in badges(board.board.cards[card]))
    panel.checkin_table.selectRow(panel.checkin_model.row_of(housing))
    assert panel.escalate_button.isEnabled()
    missed = panel.checkin_model.row_by_id(housing)
    assert "超时" in panel.checkin_model.data(panel.checkin_model.index(panel.checkin_model.row_of(housing), 1))
    panel.escalate_button.click()
    await board.wait_idle()
    name, entity, args = ui.outbox(lead_store)[-1]
    assert (name, entity) == ("checkin.escalate", housing)
    assert args["level"] in ("reminder", "supervision_order") and args["level"] == (
        missed.suggested_level if missed.suggested_level != "none" else "reminder")
    level = _checkins(lead_store)[("department", "housing")].escalation_level
    assert level == args["level"]

    # the lead's list and the county's list both show it, with the escalation badge
    for who, scope in ((actor, [QC]), (_actor(lead_store, county=True), None)):
        view = CommandView(lead_store, who, scope)
        qtbot.addWidget(view)
        view.load()
        await view.wait_idle()
        r = view.model.row_of(housing)
        assert r == 0  # missed first
        assert view.model.data(view.model.index(r, 5)) in ("提醒", "督办单")
        assert "超时未报到 1" in view.summary_label.text()


@pytest.mark.asyncio
async def test_summon_for_an_incident_from_the_command_view(lead_store, qtbot, ui, zh):
    from ui.boards.command_view import CommandView

    officer = ui.make_actor(lead_store)
    rid = ui.make_report(lead_store, officer, category="eco_pollution", text="河道排污")
    incident = ui.accept_report(lead_store, officer, rid, title="河道排污")
    actor = _actor(lead_store)
    view = CommandView(lead_store, actor, [QC])
    qtbot.addWidget(view)
    view.show()
    view.load()
    await view.wait_idle()
    view.summon_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="picker")
    picker = view.open_dialog
    await picker.wait_idle()
    picker.search_edit.setText("河道")
    picker.search()
    await picker.wait_idle()
    assert picker.selected() is not None and picker.selected().id == incident
    picker.ok_button().click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog is not picker, what="summon dialog")
    dialog = view.open_dialog
    dialog.target_model.set_checked(("department", "ecoenv"))
    dialog.hours_spin.setValue(8)
    dialog.ok_button().click()
    await view.wait_idle()
    name, _entity, args = ui.outbox(lead_store)[-1]
    assert name == "summon" and args["incident_id"] == incident and args["hours"] == 8.0
    await ui.wait_until(lambda: view.model.rowCount() == 1, what="listed")
    row = view.model.rows()[0]
    assert row.source == "incident" and "河道排污" in row.source_label and row.target_code == "ecoenv"
    view.table.selectRow(0)
    n = len(ui.outbox(lead_store))
    view.checkin_button.click()  # the module lead may not check in for the department: refused, nothing queued
    await view.wait_idle()
    assert len(ui.outbox(lead_store)) == n
    from commandroom.mutations.core import Actor

    view.actor = Actor(user_id="u-eco", name="生态环境分局联络员", role="department_liaison", scope_kind="county",
                       department_code="ecoenv", device_id=lead_store.device_id)
    view.checkin_button.click()
    await view.wait_idle()
    assert ui.outbox(lead_store)[-1][:2] == ("checkin", row.id)
