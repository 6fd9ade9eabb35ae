"""The 执法片区 page on the seeded demo county: the zone board (live, lending, wall variant), the member
table, the roster editor (copy week, clashes), the team dispatch dialog (certificate and auxiliary rules),
joint visits, dispatch progress and the response-time statistics — through the real widgets."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from commandroom.timeutil import utcnow

QC = "QC"
# who is on duty follows the roster, the week and the hour: every test here runs on a working Tuesday
# morning whatever today is, and `make test` reruns them at fixed moments (tests/conftest.py)
pytestmark = [pytest.mark.working_time, pytest.mark.at("2026-12-08T10:00:00+08:00")]


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    """PySide6 6.12 on CPython 3.11 loses references to None/True (see ui/incidents/refcounts.py)."""
    from ui.incidents import refcounts

    refcounts.install()


_TEMPLATE: dict[str, object] = {}


@pytest.fixture
def demo(tmp_path, tmp_path_factory, qapp):
    """A DeskStore on a copy of the demo county: 2 days of history, rosters, a loan, team dispatches."""
    from commandroom.refdata.seed import seed_database
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    if "path" not in _TEMPLATE:
        path = tmp_path_factory.mktemp("zones-template") / "demo.db"
        seed_database(f"sqlite:///{path}", demo_days=2)
        _TEMPLATE["path"] = path
    dst = tmp_path / "workstation.db"
    shutil.copy(_TEMPLATE["path"], dst)
    store = DeskStore(dst)
    yield store
    forget_store(store)
    store.close()


@pytest.fixture
def officer(demo, ui):
    """球川's duty officer who also leads the 球川 zone team: dispatches, and keeps members, roster and loans."""
    from dataclasses import replace

    return replace(ui.make_actor(demo, ui.QIUCHUAN), roles=("duty_officer", "team_leader"))


def _on_duty(store, zone_id: str, at: datetime | None = None):
    from commandroom.services import teams as svc

    with store.read() as session:
        return svc.on_duty(session, at or utcnow(), zone_id)


def _board_counts(store) -> dict[str, int]:
    from commandroom.services import teams as svc

    with store.read() as session:
        return {z.zone_id: z.on_duty for z in svc.zone_board(session, utcnow())}


def ensure_on_duty(store, actor, member_id: str, *, status: str = "available") -> None:
    """Put the member on duty now (a short custom shift where their roster leaves a gap) and set the status."""
    from commandroom.domain.models import RosterEntry, TeamMember
    from commandroom.services import teams as svc

    now = utcnow()
    with store.read() as session:
        member = session.get(TeamMember, member_id)
        on = any(d.member.id == member_id for d in svc.on_duty(session, now))
        entries = list(session.scalars(select(RosterEntry).where(
            RosterEntry.member_id == member_id, RosterEntry.deleted.is_(False))))
    if not on:
        start = max([now - timedelta(minutes=5), *[e.ends_at for e in entries if e.ends_at <= now]])
        end = min([now + timedelta(hours=4), *[e.starts_at for e in entries if e.starts_at > now]])
        day = svc.shanghai_date(now)
        store.perform(actor, "roster.set", f"roster:test:{member_id}", {
            "zone_id": member.zone_id, "week_start": svc.week_start(day).isoformat(), "base_entry_ids": [],
            "entries": [{"member_id": member_id, "day": day.isoformat(), "shift": "custom",
                         "starts_at": start.isoformat(), "ends_at": end.isoformat()}]})
    store.perform(actor, "member.set_status", member_id, {"status": status})


def _members(store, zone_id: str):
    """The zone's own members, without those who have a loan (running or planned): tests lend and roster them."""
    from commandroom.domain.models import MemberLoan, TeamMember

    with store.read() as session:
        lent = set(session.scalars(select(MemberLoan.member_id)))
        return [m for m in session.scalars(select(TeamMember).where(TeamMember.zone_id == zone_id)
                                           .order_by(TeamMember.name, TeamMember.id)) if m.id not in lent]


# --------------------------------------------------------------------------- models


def test_every_model_passes_qtmodeltester(demo, officer, qtmodeltester, qtbot):
    from commandroom.queries.zones import (
        load_roster_week,
        load_stats,
        member_ids,
        team_dispatch_data,
        zone_dispatch_ids,
        zone_incident_ids,
    )
    from commandroom.services import teams as svc
    from ui.zones.dispatch_dialog import CandidateModel
    from ui.zones.dispatches import ZoneDispatchModel, ZoneIncidentModel
    from ui.zones.members import MemberTableModel
    from ui.zones.roster import RosterWeekModel
    from ui.zones.stats import ResponseStatsModel

    members = MemberTableModel(demo)
    members.set_ids(member_ids(demo, QC))
    assert members.rowCount() == 22
    qtmodeltester.check(members)

    roster = RosterWeekModel()
    qtmodeltester.check(roster)
    roster.set_week(load_roster_week(demo, QC, svc.week_start(svc.shanghai_date(utcnow()))))
    assert roster.rowCount() >= 22 and roster.columnCount() == 7
    qtmodeltester.check(roster)

    incidents = ZoneIncidentModel(demo)
    ids = zone_incident_ids(demo, QC)
    incidents.set_ids(ids)
    assert incidents.rowCount() > 0
    qtmodeltester.check(incidents)
    dispatches = ZoneDispatchModel(demo)
    dispatches.set_ids(zone_dispatch_ids(demo, QC, utcnow()))
    qtmodeltester.check(dispatches)

    candidates = CandidateModel(team_dispatch_data(demo, ids[:1], utcnow()).candidates)
    qtmodeltester.check(candidates)

    stats = load_stats(demo, None, None)
    for with_zone, rows in ((False, stats.zones), (True, stats.members)):
        model = ResponseStatsModel(with_zone=with_zone)
        model.set_rows(rows, stats.member_zone)
        assert model.rowCount() > 0
        qtmodeltester.check(model)


# --------------------------------------------------------------------------- board and members


@pytest.mark.asyncio
async def test_board_shows_the_seven_zones_and_the_qiuchuan_team(demo, officer, qtbot, ui, zh):
    from ui.zones.page import TAB_MEMBERS, ZonesPage

    page = ZonesPage(demo, officer)
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()
    await ui.wait_until(lambda: page.board.data is not None, what="board loaded")
    board = page.board
    assert len(board.cards) == 7
    assert [c.name_label.text() for c in board.cards.values()] == [
        "芳村片区", "辉埠片区", "金川片区", "球川片区", "天马片区", "紫港片区", "招贤片区"]
    qc = board.cards[QC]
    assert "白石" in qc.towns_label.text() and "同弓" in qc.towns_label.text()
    on_duty = _on_duty(demo, QC)
    assert {c.property("member_id") for c in qc.member_chips()} == {d.member.id for d in on_duty}
    assert qc.balance_chip.text() in ("忙", "正常", "闲", "无人在岗")
    # the zone chooser follows the officer's township: 球川 → the 球川 zone
    assert page.zone_id == QC

    page.show_tab(TAB_MEMBERS)
    await ui.wait_until(lambda: page.members.model.rowCount() == 22, what="22 members")
    model = page.members.model
    rows = [model.row_for(i) for i in range(model.rowCount())]
    assert sum(1 for r in rows if r.is_auxiliary) == 5 and sum(1 for r in rows if not r.is_auxiliary) == 17
    origins = {r.origin for r in rows if not r.is_auxiliary}
    assert origins == {"enforcement_bureau", "market_supervision", "township_cadre", "other_department"}
    assert "17" in page.members.count_label.text() and "5" in page.members.count_label.text()
    # phones are masked for a duty officer
    phone_col = 7
    assert all("****" in model.index(i, phone_col).data() for i in range(model.rowCount()))
    # certificate warnings: the seed gives 球川 two certificates expiring within 30 days (amber)
    cert_col = 4
    amber = [i for i in range(model.rowCount()) if model.index(i, cert_col).data(Qt.ItemDataRole.BackgroundRole)]
    assert len(amber) >= 2
    assert all(model.row_for(i).cert_state in ("expiring", "expired") for i in amber)
    # sorting runs in SQL
    page.members.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    await page.members.wait_idle()
    expiries = [model.row_for(i).cert_expiry for i in range(model.rowCount())]
    known = [e for e in expiries if e is not None]
    assert known == sorted(known) and expiries[: expiries.count(None)] == [None] * expiries.count(None)
    page.close()
    await page.board.wait_idle()


@pytest.mark.asyncio
async def test_expired_certificate_is_red_and_status_edits_go_through_the_mutation(demo, officer, qtbot, ui):
    from ui.zones.members import STATUS_COLUMN, MembersView

    member = next(m for m in _members(demo, QC) if not m.is_auxiliary)
    demo.perform(officer, "member.update", member.id, {"cert_expiry": "2020-01-01"})
    view = MembersView(demo, officer)
    qtbot.addWidget(view)
    view.set_zone(QC)
    await ui.wait_until(lambda: view.model.rowCount() == 22)
    row = view.model.row_of(member.id)
    brush = view.model.index(row, 4).data(Qt.ItemDataRole.BackgroundRole)
    assert brush.color().name() == "#f5b7b1"
    assert "(expired)" in view.model.index(row, 4).data()

    before = len(ui.outbox(demo))
    target = "on_scene" if member.status != "on_scene" else "available"
    view.model.setData(view.model.index(row, STATUS_COLUMN), target)
    await view.wait_idle()
    await ui.wait_until(lambda: view.model.row_for(row).status == target, what="status shown")
    assert ui.outbox(demo)[before:] == [("member.set_status", member.id, {"status": target})]

    # status and position through the dialog: a village of the zone
    view.select_member(member.id)
    view.status_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible())
    dialog = view.open_dialog
    dialog.status_combo.setCurrentIndex(dialog.status_combo.findData("en_route"))
    dialog.place_combo.setCurrentIndex(3)
    lat, lon = dialog.place_combo.currentData()
    dialog.ok_button().click()
    await view.wait_idle()
    await ui.wait_until(lambda: view.model.row_for(row).status == "en_route")
    r = view.model.row_for(row)
    assert (r.lat, r.lon) == (lat, lon)


@pytest.mark.asyncio
async def test_lending_records_a_loan_and_moves_the_on_duty_count(demo, officer, qtbot, ui):
    from commandroom.domain.models import MemberLoan
    from ui.zones.board import ZoneBoardWidget

    board = ZoneBoardWidget(demo, officer)
    qtbot.addWidget(board)
    board.resize(1600, 1000)
    board.show()
    await ui.wait_until(lambda: board.data is not None)
    data = board.data
    # a donor with an available member on duty who is not lent, and one of its neighbours
    donor = next(z for z in data.zones if any(m.status == "available" and m.lent_from is None for m in z.members)
                 and z.neighbours)
    member = next(m for m in donor.members if m.status == "available" and m.lent_from is None)
    to_zone = donor.neighbours[0]
    counts = _board_counts(demo)
    refreshes = board.refresh_count

    board.cards[donor.zone_id].other_lend_button.click()
    await ui.wait_until(lambda: board.open_dialog is not None and board.open_dialog.isVisible())
    dialog = board.open_dialog
    assert not dialog.ok_button().isEnabled()  # a reason is required
    dialog.member_combo.setCurrentIndex(dialog.member_combo.findData(member.member_id))
    dialog.zone_combo.setCurrentIndex(dialog.zone_combo.findData(to_zone))
    dialog.reason_edit.setPlainText("白石片区违建集中整治，临时支援")
    dialog.ok_button().click()
    await board.wait_idle()
    await ui.wait_until(lambda: board.refresh_count > refreshes and board.data.zone(to_zone).on_duty
                        == counts[to_zone] + 1, what="board refreshed after the loan")
    assert board.data.zone(donor.zone_id).on_duty == counts[donor.zone_id] - 1
    with demo.read() as session:
        loan = session.scalars(select(MemberLoan).where(MemberLoan.member_id == member.member_id,
                                                        MemberLoan.to_zone_id == to_zone)).one()
    assert loan.reason == "白石片区违建集中整治，临时支援" and loan.ends_at > utcnow()
    assert loan.from_zone_id == donor.zone_id
    # both cards show the loan with its end time, and only the cards that changed were rebuilt
    lines = [w.text() for w in board.cards[to_zone].loans_box.findChildren(type(board.summary_label))
             if w.objectName() == "LoanLine"]
    assert any(member.name in t for t in lines)
    assert set(board.updated_zones) >= {donor.zone_id, to_zone}
    assert ui.outbox(demo)[-1][0] == "member.lend"


def _make_a_zone_busy_next_to_a_willing_neighbour(store, actor) -> None:
    """Whatever the time of day: a zone with open incidents whose whole shift is 休息, and a neighbour
    with two free members on duty (the demo's own roster decides nothing about this test)."""
    from commandroom.services import teams as svc

    with store.read() as session:
        zones = svc.zone_board(session, utcnow())
    busy = next(z for z in zones if z.open_incidents and any(len(_members(store, n)) >= 2 for n in z.neighbours))
    donor = next(n for n in busy.neighbours if len(_members(store, n)) >= 2)
    for m in busy.members:
        store.perform(actor, "member.set_status", m.member_id, {"status": "off_duty"})
    for m in _members(store, donor)[:2]:
        ensure_on_duty(store, actor, m.id)


@pytest.mark.asyncio
async def test_one_click_lend_from_the_suggestion(demo, officer, qtbot, ui):
    from ui.zones.board import ZoneBoardWidget

    _make_a_zone_busy_next_to_a_willing_neighbour(demo, officer)
    board = ZoneBoardWidget(demo, officer)
    qtbot.addWidget(board)
    board.load_now()
    busy = next((z for z in board.data.zones if z.lend_suggestion is not None), None)
    assert busy is not None, "a zone with open work and nobody on duty, next to a zone with free hands"
    sug = busy.lend_suggestion
    card = board.cards[busy.zone_id]
    assert card.lend_box.isVisibleTo(card) and sug.member_name in card.lend_button.text()
    card.lend_button.click()
    await board.wait_idle()
    name, _eid, args = ui.outbox(demo)[-1]
    assert name == "member.lend" and args["member_id"] == sug.member_id and args["to_zone_id"] == busy.zone_id
    assert args["reason"] == sug.reason


@pytest.mark.asyncio
async def test_board_refreshes_only_the_zone_that_changed_and_wall_variant(demo, officer, qtbot, ui):
    from ui.zones.board import ZoneBoardWidget

    board = ZoneBoardWidget(demo, officer)
    qtbot.addWidget(board)
    board.show()
    await ui.wait_until(lambda: board.data is not None)
    donors = {z.lend_suggestion.from_zone_id for z in board.data.zones if z.lend_suggestion}
    zone = next(z for z in board.data.zones if z.zone_id not in donors
                and any(m.status == "available" for m in z.members))
    member = next(m for m in zone.members if m.status == "available")
    refreshes = board.refresh_count
    demo.perform(officer, "member.set_status", member.member_id, {"status": "en_route"})
    await ui.wait_until(lambda: board.refresh_count > refreshes, what="refresh after the change event")
    assert board.updated_zones == [zone.zone_id]
    chip = next(c for c in board.cards[zone.zone_id].member_chips() if c.property("member_id") == member.member_id)
    assert chip.property("status") == "en_route"
    # a change to another table does not refresh the board
    refreshes = board.refresh_count
    demo.set_meta("unrelated", 1)
    await board.wait_idle()

    wall = ZoneBoardWidget(demo, read_only=True, large_fonts=True)
    qtbot.addWidget(wall)
    wall.resize(1920, 1080)
    wall.show()  # the wall only shows it: it fills itself
    await ui.wait_until(lambda: wall.data is not None, what="wall board loaded")
    assert len(wall.cards) == 7 and wall.grid.columns >= 2
    for card in wall.cards.values():
        assert not card.lend_button.isVisibleTo(card) and not card.other_lend_button.isVisibleTo(card)
    assert wall.cards[QC].name_label.font().pointSizeF() > board.cards[QC].name_label.font().pointSizeF()
    assert board.refresh_count == refreshes


# --------------------------------------------------------------------------- roster


@pytest.mark.asyncio
async def test_roster_copy_week_and_a_two_zone_clash(demo, officer, qtbot, ui):
    from commandroom.domain.models import RosterEntry
    from commandroom.services import teams as svc
    from ui.zones.roster import RosterEditor

    editor = RosterEditor(demo, officer)
    qtbot.addWidget(editor)
    editor.resize(1400, 900)
    editor.show()
    editor.set_zone(QC)
    await ui.wait_until(lambda: editor.model.week is not None)
    this_week = editor.model.count_shifts()
    assert this_week > 0 and not editor.model.clashes

    # next week is empty: copy this week into it
    editor.next_button.click()
    await ui.wait_until(lambda: editor.model.week.monday == editor.monday and editor.model.count_shifts() == 0)
    assert editor.copy_button.isEnabled()
    assert await editor.copy_last_week()
    await editor.wait_idle()
    await ui.wait_until(lambda: editor.model.count_shifts() == this_week, what="copied week shown")
    next_monday = editor.monday
    with demo.read() as session:
        assert len(svc.roster_week(session, QC, next_monday)) == this_week
    assert ui.outbox(demo)[-1][0] == "roster.copy_week"

    # a QC member lent to 天马 on a rest day of next week and planned there for the day shift
    cells = editor.model.cells
    free = {m.id for m in _members(demo, QC) if not m.is_auxiliary}
    member, day = next((m.id, next_monday + timedelta(days=i)) for m in editor.model.members
                       for i in range(1, 6) if (m.id, next_monday + timedelta(days=i)) not in cells
                       and m.id in free)
    a, b = svc.shift_bounds(day, "day")
    demo.perform(officer, "member.lend", "loan-test", {
        "member_id": member, "from_zone_id": QC, "to_zone_id": "TM", "starts_at": (a - timedelta(hours=1)).isoformat(),
        "ends_at": (b + timedelta(hours=1)).isoformat(), "reason": "天马片区专项整治"})
    demo.perform(officer, "roster.set", "roster:TM:test", {
        "zone_id": "TM", "week_start": next_monday.isoformat(), "base_entry_ids": [],
        "entries": [{"member_id": member, "day": day.isoformat(), "shift": "day"}]})
    await ui.wait_until(lambda: editor.model._elsewhere(member, day), what="the 天马 shift shown in the cell")

    # clicking the cell puts a day shift at home at the same time: a clash, flagged and blocking the save
    assert editor.click_cell(member, day) == "day"
    assert editor.model.clashes and editor.model.clashes[0].kind == "two_zones"
    row = next(i for i, m in enumerate(editor.model.members) if m.id == member)
    index = editor.model.index(row, (day - next_monday).days)
    assert index.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#f1948a"
    assert editor.clash_label.isVisibleTo(editor) and "天马片区" in editor.clash_label.text()
    assert not editor.save_button.isEnabled()
    assert not await editor.save()
    # a night shift does not overlap the 08–18 day shift in 天马: the clash is gone and the week saves
    assert editor.click_cell(member, day) == "night"
    assert not editor.model.clashes and editor.save_button.isEnabled()
    editor.save_button.click()
    await editor.wait_idle()
    await ui.wait_until(lambda: not editor.model.dirty)
    with demo.read() as session:
        row_ = session.scalars(select(RosterEntry).where(RosterEntry.member_id == member, RosterEntry.day == day,
                                                         RosterEntry.zone_id == QC)).one()
    assert row_.shift == "night"
    assert ui.outbox(demo)[-1][0] == "roster.set"


# --------------------------------------------------------------------------- dispatch


@pytest.mark.asyncio
async def test_team_dispatch_dialog_refuses_a_lead_without_valid_certificate(demo, officer, qtbot, ui):
    from commandroom.domain.models import Dispatch
    from commandroom.queries.zones import zone_incident_ids
    from ui.zones.dispatches import ZoneDispatchView

    team = _members(demo, QC)
    certified = [m for m in team if not m.is_auxiliary]
    expired = certified[0]
    valid = next(m for m in certified[1:] if m.cert_expiry and m.cert_expiry > utcnow().date() + timedelta(days=40))
    aux = next(m for m in team if m.is_auxiliary)
    demo.perform(officer, "member.update", expired.id, {"cert_expiry": "2024-06-30"})
    for m in (expired, valid, aux):
        ensure_on_duty(demo, officer, m.id)

    view = ZoneDispatchView(demo, officer)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.set_zone(QC)
    incident_id = zone_incident_ids(demo, QC)[0]
    await ui.wait_until(lambda: view.incident_model.row_of(incident_id) >= 0)
    view.select_incident(incident_id)
    assert view.dispatch_button.isEnabled()
    view.dispatch_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="dialog")
    dialog = view.open_dialog
    offered = [c.member_id for c in dialog.data.candidates]
    # only members on duty in the zone now
    assert set(offered) <= {d.member.id for d in _on_duty(demo, QC)}
    assert {expired.id, valid.id, aux.id} <= set(offered)
    model = dialog.model
    for m, why in ((expired, "2024-06-30"), (aux, "auxiliar")):
        index = model.index(model.row_of(m.id), 1)
        assert not index.flags() & Qt.ItemFlag.ItemIsEnabled
        assert why in index.data(Qt.ItemDataRole.ToolTipRole)
        assert not dialog.choose_lead(m.id)
        assert model.lead != m.id
    assert "2024-06-30" in dialog.blocked_label.text()
    # reasons are shown, ranked by status, distance and load
    assert all(model.index(i, 7).data() for i in range(model.rowCount()))
    keys = [(["available", "en_route", "on_scene"].index(c.status)) for c in dialog.data.candidates]
    assert keys == sorted(keys)

    assert dialog.choose_lead(valid.id)
    dialog.check_member(expired.id)
    dialog.check_member(aux.id)
    assert dialog.ok_button().isEnabled()
    args = dialog.mutation_args()
    dialog.ok_button().click()
    await view.wait_idle()
    with demo.read() as session:
        d = session.scalars(select(Dispatch).where(Dispatch.incident_id == incident_id)
                            .order_by(Dispatch.assigned_at.desc())).first()
    assert d.lead_member_id == valid.id and d.member_ids[0] == valid.id
    assert {expired.id, aux.id} <= set(d.member_ids) and d.target_code == QC
    assert ui.outbox(demo)[-1][:2] == ("incident.dispatch", incident_id)
    assert args["target_kind"] == "team"

    # the dispatch appears in the zone's list; acknowledge → set out → on site → done, with times
    await ui.wait_until(lambda: view.dispatch_model.row_of(d.id) >= 0, what="dispatch listed")
    view.select_dispatch(d.id)
    for action, state in (("acknowledge", "acknowledged"), ("en_route", "en_route"), ("on_scene", "on_scene"),
                          ("done", "done")):
        await ui.wait_until(lambda a=action: view.action_buttons[a].isEnabled(), what=f"{action} enabled")
        view.action_buttons[action].click()
        await view.wait_idle()
        await ui.wait_until(lambda s=state: view.dispatch_model.state_of(d.id) == s, what=state)
    row = view.dispatch_model.row_for(view.dispatch_model.row_of(d.id))
    assert row.acknowledged_at and row.en_route_at and row.on_scene_at and row.done_at
    assert view.selected_dispatch_id() == d.id  # the row moved below the active ones, the selection followed
    assert not any(b.isEnabled() for b in view.action_buttons.values())


@pytest.mark.asyncio
async def test_joint_visit_batches_ticked_incidents(demo, officer, qtbot, ui):
    from commandroom.domain.models import Dispatch
    from commandroom.queries.zones import joint_visit_groups
    from ui.zones.dispatches import ZoneDispatchView

    zone_id, _group = next(((z, g[0]) for z in ("QC", "TM", "JC", "ZG", "HB", "FC", "ZX")
                           if (g := joint_visit_groups(demo, z))), (None, None))
    assert zone_id is not None, "the demo county has nearby open enforcement incidents"
    lead = next(m for m in _members(demo, zone_id) if not m.is_auxiliary
                and m.cert_expiry and m.cert_expiry > utcnow().date() + timedelta(days=40))
    ensure_on_duty(demo, officer, lead.id)

    view = ZoneDispatchView(demo, officer)
    qtbot.addWidget(view)
    view.set_zone(zone_id)
    await ui.wait_until(lambda: view.groups and view.incident_model.rowCount(), what="incidents and groups")
    assert not view.joint_button.isEnabled()
    ticked = view.tick_next_group()
    assert ticked == view.groups[0] and len(ticked) >= 2 and view.joint_button.isEnabled()
    view.joint_button.click()
    await ui.wait_until(lambda: view.open_dialog is not None and view.open_dialog.isVisible(), what="dialog")
    dialog = view.open_dialog
    assert dialog.joint and len(dialog.data.incidents) == len(ticked)
    assert dialog.choose_lead(lead.id)
    dialog.ok_button().click()
    await view.wait_idle()
    name, visit_id, args = ui.outbox(demo)[-1]
    assert name == "team.joint_visit" and args["incident_ids"] == ticked and args["lead_member_id"] == lead.id
    with demo.read() as session:
        joined = list(session.scalars(select(Dispatch).where(Dispatch.joint_visit_id == visit_id)))
    assert sorted(d.incident_id for d in joined) == sorted(ticked)
    assert all(d.target_code == zone_id and lead.id in d.member_ids for d in joined)
    assert view.incident_model.checked == []


# --------------------------------------------------------------------------- statistics


def _dispatch(store, zone: str, members: list[str], assigned: datetime, ack: float | None, scene: float | None,
              done: float | None, n: int) -> None:
    from commandroom.domain.models import Dispatch

    def plus(m: float | None) -> datetime | None:
        return None if m is None else assigned + timedelta(minutes=m)

    with store.write() as session:
        session.add(Dispatch(id=f"d-{zone}-{n}", township_code="330822111", incident_id=f"i-{n}",
                             target_kind="team", target_code=zone, lead_member_id=members[0], member_ids=members,
                             state="done" if done is not None else "on_scene", assigned_at=assigned,
                             acknowledged_at=plus(ack), on_scene_at=plus(scene), done_at=plus(done),
                             created_at=assigned, updated_at=assigned))


@pytest.mark.asyncio
async def test_response_time_statistics_on_fixed_data(store, qtbot, ui, tmp_path):
    from openpyxl import load_workbook

    from ui.zones.stats import StatsView

    now = utcnow()
    t0 = now - timedelta(days=2)
    # 球川: acknowledged after 10/20/30 min, on scene after 25/45/65, done after 60/120 (one still on scene)
    _dispatch(store, "QC", ["m-a", "m-b"], t0, 10, 25, 60, 1)
    _dispatch(store, "QC", ["m-a"], t0 + timedelta(hours=1), 20, 45, 120, 2)
    _dispatch(store, "QC", ["m-b"], t0 + timedelta(hours=2), 30, 65, None, 3)
    _dispatch(store, "TM", ["m-c"], t0, 5, 15, 200, 4)
    _dispatch(store, "TM", ["m-c"], now - timedelta(days=40), 500, 500, 500, 5)  # outside the last 30 days

    view = StatsView(store)
    qtbot.addWidget(view)
    view.load_now()
    zones = {s.key: s for s in view.zone_model.rows}
    assert set(zones) == {"QC", "TM"}
    qc = zones["QC"]
    assert qc.dispatches == 3
    assert (qc.acknowledged.median_min, qc.acknowledged.p90_min) == (20, 30)
    assert (qc.on_scene.median_min, qc.on_scene.p90_min) == (45, 65)
    assert (qc.done.n, qc.done.median_min, qc.done.p90_min) == (2, 90, 120)
    assert zones["TM"].dispatches == 1  # the 40-day-old one is outside the period
    row = [r.key for r in view.zone_model.rows].index("QC")
    assert view.zone_model.index(row, 2).data() == "20 min"
    assert view.zone_model.index(row, 6).data() == "90 min"
    assert view.zone_model.index(row, 7).data() == "2.0 h"
    members = {s.key: s for s in view.member_model.rows}
    assert members["m-a"].dispatches == 2 and members["m-a"].acknowledged.median_min == 15
    assert members["m-b"].dispatches == 2 and members["m-b"].acknowledged.p90_min == 30

    view.period_combo.setCurrentIndex(view.period_combo.findData(0))  # all time
    await view.wait_idle()
    await ui.wait_until(lambda: {s.key: s for s in view.zone_model.rows}["TM"].dispatches == 2)

    out = await view.export(tmp_path / "times.xlsx")
    wb = load_workbook(out)
    sheet = wb.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Name" and ("球川片区", 3, 20, 30, 45, 65, 90, 120) in rows
    assert len(wb.worksheets) == 2


def test_build_page_plugs_into_the_main_window(demo, officer, qtbot):
    from types import SimpleNamespace

    from ui.zones.page import TAB_BOARD, build_page

    shown: list[str] = []
    map_page = SimpleNamespace(show_zone=shown.append)
    window = SimpleNamespace(store=demo, actor=officer, show_page=lambda key: map_page if key == "map" else None)
    page = build_page(window)
    qtbot.addWidget(page)
    assert page.tabs.count() == 5 and page.tabs.currentIndex() == TAB_BOARD
    page.board.load_now()
    page.board.cards["TM"].show_on_map_requested.emit("TM")
    assert shown == ["TM"]


def test_the_demo_deploys_the_teams(demo):
    """The seed's team demo: rosters for last and this week, a running loan, a lapsed certificate, team work."""
    from sqlalchemy import func

    from commandroom.domain.models import Dispatch, MemberLoan, RosterEntry
    from commandroom.services import teams as svc

    now = utcnow()
    monday = svc.week_start(svc.shanghai_date(now))
    with demo.read() as session:
        days = set(session.scalars(select(RosterEntry.day).distinct()))
        assert {monday - timedelta(days=7), monday, monday + timedelta(days=6)} <= days
        loans = list(session.scalars(select(MemberLoan)))
        assert len(loans) == 1 and loans[0].ends_at > now and loans[0].reason
        board = svc.zone_board(session, now)
        assert all(z.on_duty + len([m for m in z.members if m.status == "off_duty"]) > 0 for z in board)
        assert any(w.state == "expired" for w in svc.cert_warnings(session, svc.shanghai_date(now), "QC"))
        assert session.scalar(select(func.count()).select_from(Dispatch).where(
            Dispatch.target_kind == "team", Dispatch.state.in_(["assigned", "acknowledged", "en_route",
                                                                 "on_scene"]))) > 0
        assert not svc.roster_clashes(session, now - timedelta(days=8), now + timedelta(days=8))


@pytest.mark.asyncio
async def test_a_zone_with_nobody_rostered_is_nobody_on_duty_not_idle(store, actor, qtbot, ui, zh):
    """No roster at all: every card says 无人在岗 in grey, none is offered as idle capacity."""
    from ui.zones.page import ZonesPage

    page = ZonesPage(store, actor)
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()
    await ui.wait_until(lambda: page.board.data is not None, what="board loaded")
    chips = {card.name_label.text(): card.balance_chip.text() for card in page.board.cards.values()}
    assert len(chips) == 7 and set(chips.values()) == {"无人在岗"}, chips
    assert "闲：" not in page.board.summary_label.text() and "无人在岗：" in page.board.summary_label.text()
