"""Module boards: the models (qtmodeltester), the board's columns / WIP header / ageing / overdue,
drag and drop and keyboard moves (each a ``card.move`` in the outbox), the WIP reason dialog,
automatic 督办 cards (idempotent), "my tasks", and the links to incidents and cases.

Every test runs on a seeded workstation store (the county's reference data and modules) and
writes through the real mutations."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest

QC = "330822111"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    """PySide6 6.12 on CPython 3.11 loses references to None/True (see ui/incidents/refcounts.py)."""
    from ui.incidents import refcounts

    refcounts.install()


@pytest.fixture
def lead_store(seeded_sqlite, qapp):
    """A workstation store on a copy of the seeded county database (modules included)."""
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    store = DeskStore(seeded_sqlite.split("///", 1)[1])
    yield store
    forget_store(store)
    store.close()


def lead_actor(store, name="袁国平", user_id="u-lead-qc", role="module_lead"):
    from commandroom.mutations.core import Actor

    return Actor(user_id=user_id, name=name, role=role, scope_kind="township", scope_code=QC, township_code=QC,
                 device_id=store.device_id, device_name="球川指挥室")


def module_id(store, name="平安法治"):
    from sqlalchemy import select

    from commandroom.domain.models import Module

    with store.read() as session:
        return session.scalars(select(Module.id).where(Module.township_code == QC, Module.name == name)).first()


def make_card(store, actor, module, title, column="todo", **extra):
    from commandroom.ids import new_id

    card_id = new_id()
    store.perform(actor, "card.create", card_id, {"module_id": module, "title": title, "column": column, **extra})
    return card_id


def card_place(store, card_id):
    from commandroom.domain.models import TaskCard

    with store.read() as session:
        c = session.get(TaskCard, card_id)
        return c.column, float(c.position), int(c.lifecycle_epoch)


async def open_board(store, actor, qtbot, ui, module, clock=None):
    from ui.boards.board_view import BoardView

    board = BoardView(store, actor, [QC], clock)
    qtbot.addWidget(board)
    board.resize(1400, 900)
    board.show()
    board.set_module(module)
    await ui.wait_until(lambda: board.board is not None and board.board.module.id == module, what="board loaded")
    return board


async def settle(board, ui, predicate, what):
    """Wait for the board to reload after a write (the change event arrives queued from the writer)."""
    await board.wait_idle()
    await ui.wait_until(predicate, what=what)
    await board.wait_idle()


def cell_ids(board, column, lane=""):
    return board.cell(column, lane).column_model().ids


# --------------------------------------------------------------------------- models


def test_models_pass_qtmodeltester(lead_store, qtmodeltester):
    from commandroom.queries.boards import IncidentChoice, load_board
    from commandroom.timeutil import utcnow
    from ui.boards.dialogs import CheckListModel, IncidentChoiceModel
    from ui.boards.models import CardColumnModel, CheckinModel, MyTasksModel

    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    for k in range(3):
        make_card(lead_store, actor, mod, f"卡片{k}", due_at=(utcnow() - timedelta(days=1)).isoformat())
    board = load_board(lead_store, mod, utcnow())
    model = CardColumnModel("todo")
    model.set_rows([board.cards[i] for i in board.order["todo"]])
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    tasks = MyTasksModel(utcnow)
    tasks.set_rows(list(board.cards.values()))
    qtmodeltester.check(tasks)
    qtmodeltester.check(CheckinModel(utcnow))
    qtmodeltester.check(CheckListModel([("a", "甲"), ("b", "乙")]))
    choices = IncidentChoiceModel()
    choices.set_rows([IncidentChoice("i1", "QC-1", "工地扬尘", "dispatched", QC, utcnow())])
    qtmodeltester.check(choices)


# --------------------------------------------------------------------------- the board


@pytest.mark.working_time
@pytest.mark.asyncio
async def test_board_columns_wip_header_ageing_and_overdue(lead_store, qtbot, ui, zh):
    from commandroom.timeutil import utcnow
    from ui.boards.delegate import age_colour, badges

    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    lead_store.perform(actor, "module.update", mod, {"wip_limit": 2})
    late = make_card(lead_store, actor, mod, "出租房消防隐患复查", due_at=(utcnow() - timedelta(days=1)).isoformat())
    make_card(lead_store, actor, mod, "信访积案化解", column="doing")
    make_card(lead_store, actor, mod, "违法建设查处", column="doing")
    make_card(lead_store, actor, mod, "安全生产大检查", column="doing", force=True, reason="两项同时到期")
    make_card(lead_store, actor, mod, "重点人员稳控", column="review")
    make_card(lead_store, actor, mod, "群租房整改销号", column="done")

    # eight days later: every card has aged eight days in its column
    board = await open_board(lead_store, actor, qtbot, ui, mod, clock=lambda: utcnow() + timedelta(days=8))
    assert [len(cell_ids(board, c)) for c in ("todo", "doing", "review", "done")] == [1, 3, 1, 1]
    doing = board.headers["doing"]
    assert doing.text() == "进行中  3/2" and doing.over
    assert board.headers["todo"].text() == "待办  1" and not board.headers["todo"].over
    row = board.board.cards[late]
    assert row.overdue and row.age_days >= 7.9
    assert age_colour(row.age_days) == "#e8912d"
    # the WIP override is on record as a notice of the forced card's mutation (server side); locally the
    # card simply sits in 进行中
    done_row = next(r for r in board.board.cards.values() if r.column == "done")
    assert not done_row.overdue
    assert badges(row) == []


@pytest.mark.asyncio
async def test_drop_between_columns_performs_card_move(lead_store, qtbot, ui):
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    a = make_card(lead_store, actor, mod, "甲")
    b = make_card(lead_store, actor, mod, "乙", column="doing")
    board = await open_board(lead_store, actor, qtbot, ui, mod)
    source = board.cell("todo").column_model()
    target = board.cell("doing").column_model()
    mime = source.mimeData([source.index(0, 0)])
    assert target.canDropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    before = len(ui.outbox(lead_store))
    # dropped above 乙: the top of 进行中
    assert target.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    await settle(board, ui, lambda: cell_ids(board, "doing") == [a, b], "card moved on the board")
    name, entity, args = ui.outbox(lead_store)[-1]
    assert len(ui.outbox(lead_store)) == before + 1
    assert (name, entity) == ("card.move", a)
    assert args["column"] == "doing" and args["from_column"] == "todo" and args["expected_epoch"] == 0
    assert args["position"] < card_place(lead_store, b)[1]
    assert card_place(lead_store, a)[0] == "doing"
    assert cell_ids(board, "todo") == []


@pytest.mark.asyncio
async def test_drop_within_a_column_reorders(lead_store, qtbot, ui):
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    ids = [make_card(lead_store, actor, mod, t) for t in ("一", "二", "三")]
    board = await open_board(lead_store, actor, qtbot, ui, mod)
    model = board.cell("todo").column_model()
    mime = model.mimeData([model.index(2, 0)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())  # 三 to the top
    await settle(board, ui, lambda: cell_ids(board, "todo") == [ids[2], ids[0], ids[1]], "reordered")
    name, entity, args = ui.outbox(lead_store)[-1]
    assert (name, entity, args["column"]) == ("card.move", ids[2], "todo")
    # dropping a card where it already is asks for nothing
    n = len(ui.outbox(lead_store))
    mime = model.mimeData([model.index(0, 0)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
    await board.wait_idle()
    assert len(ui.outbox(lead_store)) == n


@pytest.mark.asyncio
async def test_keyboard_moves_a_card_between_columns_and_within_a_column(lead_store, qtbot, ui):
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    first = make_card(lead_store, actor, mod, "先")
    other = make_card(lead_store, actor, mod, "后", column="doing")
    board = await open_board(lead_store, actor, qtbot, ui, mod)
    view = board.cell("todo")
    assert board.select_card(first)
    QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    await settle(board, ui, lambda: cell_ids(board, "doing") == [other, first], "Ctrl+→")
    assert ui.outbox(lead_store)[-1][:2] == ("card.move", first)
    assert ui.outbox(lead_store)[-1][2]["column"] == "doing"

    doing = board.cell("doing")
    assert board.select_card(first)
    QTest.keyClick(doing, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    await settle(board, ui, lambda: cell_ids(board, "doing") == [first, other], "Ctrl+↑")
    assert board.select_card(first)
    QTest.keyClick(doing, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    await settle(board, ui, lambda: cell_ids(board, "doing") == [other, first], "Ctrl+↓")

    # back to 待办 is a send-back: a new lifecycle round
    assert board.select_card(first)
    QTest.keyClick(doing, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    await settle(board, ui, lambda: cell_ids(board, "todo") == [first], "Ctrl+←")
    assert card_place(lead_store, first)[0::2] == ("todo", 1)
    moves = [e for e in ui.outbox(lead_store) if e[0] == "card.move"]
    assert len(moves) == 4
    # Ctrl+← in the first column does nothing
    assert board.select_card(first)
    QTest.keyClick(board.cell("todo"), Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    await board.wait_idle()
    assert len([e for e in ui.outbox(lead_store) if e[0] == "card.move"]) == 4


@pytest.mark.asyncio
async def test_wip_overflow_asks_for_a_reason(lead_store, qtbot, ui, zh):
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    lead_store.perform(actor, "module.update", mod, {"wip_limit": 1})
    make_card(lead_store, actor, mod, "在办", column="doing")
    card = make_card(lead_store, actor, mod, "新任务")
    board = await open_board(lead_store, actor, qtbot, ui, mod)
    n = len(ui.outbox(lead_store))

    # cancelled: nothing is sent
    board.request_key_move(card, 1, 0)
    await ui.wait_until(lambda: board.open_dialog is not None and board.open_dialog.isVisible(), what="reason dialog")
    dialog = board.open_dialog
    assert "1" in dialog.prompt_label.text() and "上限" in dialog.prompt_label.text()
    assert not dialog.ok_button().isEnabled()
    dialog.reject()
    await board.wait_idle()
    assert len(ui.outbox(lead_store)) == n and card_place(lead_store, card)[0] == "todo"

    # with a reason: sent with force
    board.request_key_move(card, 1, 0)
    await ui.wait_until(lambda: board.open_dialog is not None and board.open_dialog.isVisible(), what="reason dialog")
    dialog = board.open_dialog
    dialog.reason_edit.setPlainText("县里督办，今天必须开工")
    assert dialog.ok_button().isEnabled()
    dialog.ok_button().click()
    await settle(board, ui, lambda: card in cell_ids(board, "doing"), "forced into 进行中")
    name, entity, args = ui.outbox(lead_store)[-1]
    assert (name, entity, args["force"], args["reason"]) == ("card.move", card, True, "县里督办，今天必须开工")
    assert board.headers["doing"].over


@pytest.mark.asyncio
async def test_generate_supervision_cards_is_idempotent(lead_store, qtbot, ui, zh):
    from commandroom.domain.models import Incident, TaskCard
    from commandroom.timeutil import utcnow

    officer = ui.make_actor(lead_store)
    rid = ui.make_report(lead_store, officer, text="村民未批先建")
    incident = ui.accept_report(lead_store, officer, rid, title="未批先建")
    with lead_store.write() as session:  # the close clock ran out two days ago
        session.get(Incident, incident).close_due = utcnow() - timedelta(days=2)
    actor = lead_actor(lead_store)
    board = await open_board(lead_store, actor, qtbot, ui, module_id(lead_store))
    board.auto_button.click()
    await board.wait_idle()
    from sqlalchemy import select

    with lead_store.read() as session:
        autos = list(session.scalars(select(TaskCard).where(TaskCard.auto_source == "overdue_incident")))
    assert [c.incident_id for c in autos] == [incident]
    assert "已生成 1 张督办卡" in board.message_label.text()
    n = len(ui.outbox(lead_store))
    board.auto_button.click()
    await board.wait_idle()
    assert len(ui.outbox(lead_store)) == n
    assert "无需重复" in board.message_label.text()


@pytest.mark.asyncio
async def test_new_card_dialog_creates_a_card(lead_store, qtbot, ui):
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    board = await open_board(lead_store, actor, qtbot, ui, mod)
    board.new_button.click()
    await ui.wait_until(lambda: board.open_dialog is not None and board.open_dialog.isVisible(), what="card dialog")
    dialog = board.open_dialog
    assert not dialog.ok_button().isEnabled()
    dialog.title_edit.setText("防溺水巡查")
    dialog.assignee_combo.setCurrentText("王芳")
    dialog.lane_combo.setCurrentIndex(dialog.lane_combo.findData("police"))
    dialog.due_check.setChecked(True)
    dialog.ok_button().click()
    await settle(board, ui, lambda: len(cell_ids(board, "todo")) == 1, "new card shown")
    name, _entity, args = ui.outbox(lead_store)[-1]
    assert name == "card.create" and args["title"] == "防溺水巡查" and args["assignee_name"] == "王芳"
    assert args["lane"] == "police" and args["due_at"]


@pytest.mark.asyncio
async def test_swimlanes_by_department(lead_store, qtbot, ui):
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    a = make_card(lead_store, actor, mod, "公安的", lane="police")
    b = make_card(lead_store, actor, mod, "执法的", lane="enforcement", column="doing")
    c = make_card(lead_store, actor, mod, "没有部门的")
    board = await open_board(lead_store, actor, qtbot, ui, mod)
    board.lane_combo.setCurrentIndex(board.lane_combo.findData("department"))
    lanes = [k for k, _label in board._lanes]
    assert lanes[-1] == "" and set(lanes) == {"police", "enforcement", ""}
    assert cell_ids(board, "todo", "police") == [a]
    assert cell_ids(board, "doing", "enforcement") == [b]
    assert cell_ids(board, "todo", "") == [c]
    # a drop into a lane's cell moves the card's column (the lane follows the card's department)
    model = board.cell("todo", "police").column_model()
    board.cell("review", "police").column_model().dropMimeData(
        model.mimeData([model.index(0, 0)]), Qt.DropAction.MoveAction, -1, 0, QModelIndex())
    await settle(board, ui, lambda: cell_ids(board, "review", "police") == [a], "moved within the lane")


@pytest.mark.asyncio
async def test_my_tasks_and_links(lead_store, qtbot, ui, zh):
    from commandroom.ids import new_id
    from commandroom.timeutil import utcnow
    from ui.boards.page import TaskBoardsPage

    officer = ui.make_actor(lead_store)
    rid = ui.make_report(lead_store, officer, text="路灯不亮")
    incident = ui.accept_report(lead_store, officer, rid, title="路灯不亮")
    case = new_id()
    lead_store.perform(officer, "case.open", case, {"type_code": "farmer_housing", "township_code": QC})
    actor = lead_actor(lead_store)
    safety, economy = module_id(lead_store), module_id(lead_store, "经济生态")
    late = make_card(lead_store, actor, safety, "超期的", assignee_name="王芳",
                     due_at=(utcnow() - timedelta(hours=3)).isoformat(), incident_id=incident)
    other = make_card(lead_store, actor, economy, "另一个模块的", assignee_name="王芳", case_id=case)
    make_card(lead_store, actor, safety, "别人的", assignee_name="李四")

    calls = []
    incidents_page = SimpleNamespace(select_incident=lambda i: calls.append(("incident", i)) or True)
    cases_page = SimpleNamespace(select_case=lambda c: calls.append(("case", c)))
    window = SimpleNamespace(show_page=lambda key: {"incidents": incidents_page, "one_thing": cases_page}.get(key))
    page = TaskBoardsPage(lead_store, actor, window)
    qtbot.addWidget(page)
    page.show()
    page.my_tasks.set_person("王芳")
    await page.my_tasks.wait_idle()
    assert page.my_tasks.model.ids == [late, other]  # overdue first, across both boards
    assert "超期" in page.my_tasks.model.data(page.my_tasks.model.index(0, 3))
    page.show_card(economy, other)
    await ui.wait_until(lambda: page.board.board is not None and page.board.board.module.id == economy)
    await ui.wait_until(lambda: page.board.panel.card is not None and page.board.panel.card.id == other)
    assert page.board.panel.case_button.isVisible()
    page.board.panel.case_button.click()
    page.board.set_module(safety)
    await ui.wait_until(lambda: page.board.board is not None and page.board.board.module.id == safety)
    assert page.board.select_card(late)
    assert page.board.panel.incident_button.isVisible()
    page.board.panel.incident_button.click()
    assert calls == [("case", case), ("incident", incident)]


@pytest.mark.asyncio
async def test_main_window_pages_and_links_between_them(lead_store, qtbot, ui, tmp_path, zh):
    """The main window builds 任务看板 and 一件事 from build_page; a card's case link opens the case."""
    from commandroom.ids import new_id
    from ui.boards.page import TaskBoardsPage
    from ui.cases.page import OneThingPage
    from ui.main_window import PAGE_BOARD, PAGE_ONE_THING, MainWindow

    officer = ui.make_actor(lead_store)
    case = new_id()
    lead_store.perform(officer, "case.open", case, {"type_code": "farmer_housing", "township_code": QC})
    actor = lead_actor(lead_store)
    mod = module_id(lead_store)
    card = make_card(lead_store, actor, mod, "农民建房督办", case_id=case)
    window = MainWindow(lead_store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    boards = window.show_page(PAGE_BOARD)
    assert isinstance(boards, TaskBoardsPage)
    board = boards.board
    board.set_module(mod)
    await ui.wait_until(lambda: board.board is not None and card in board.board.cards, what="board in the window")
    assert board.select_card(card)
    board.panel.case_button.click()
    assert window.current_page_key() == PAGE_ONE_THING
    cases = window.page(PAGE_ONE_THING)
    assert isinstance(cases, OneThingPage)
    await ui.wait_until(lambda: cases.cases.panel.detail is not None
                        and cases.cases.panel.detail.progress.case_id == case, what="case shown")
    await cases.cases.wait_idle()
    await board.wait_idle()
