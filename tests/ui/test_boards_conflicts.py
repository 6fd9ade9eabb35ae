"""Two module leads move the same card while offline: both workstations converge on the same place
(the core's merge rule, through the real push/pull of the county server), and the one whose move
lost sees what happened on the card and in the conflicts page."""

from __future__ import annotations

import orjson
import pytest

QC = "330822111"


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


class County:
    """The county server's push/pull, called in-process (no HTTP), for two workstations."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import select

        from commandroom.domain.models import Module
        from commandroom.server.state import open_state
        from commandroom.sync.buckets import buckets_for_scope

        self.state = open_state(url)
        with self.state.sessions() as s:
            self.buckets = tuple(buckets_for_scope(s, "township", QC))
            self.module = s.scalars(select(Module.id).where(Module.township_code == QC,
                                                            Module.name == "平安法治")).first()

    def principal(self, name: str, store):
        from commandroom.server.auth import Principal

        return Principal(user_id=f"u-{name}", username=name, display_name=name, role="module_lead",
                         scope_kind="township", scope_code=QC, township_code=QC, device_id=store.device_id,
                         device_name=f"{name}的工作站", token_id=f"t-{name}", buckets=self.buckets, townships=(QC,))

    def sync(self, store, who) -> None:
        """Push the outbox, then pull every page (as the sync engine does), then emit the change."""
        from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
        from commandroom.mutations.core import Changes
        from commandroom.server.sync_api import PushIn, process_push, pull_page

        changes = Changes()
        batch = store.pending_batch()
        if batch:
            status, body = process_push(self.state, who, PushIn(**batch, protocol_version=PROTOCOL_VERSION,
                                                                  schema_version=SCHEMA_VERSION))
            assert status == 200, body
            changes.merge(store.record_results(body["results"], body.get("epoch")))
        while True:
            cursors = {b: 0 for b in who.buckets} | store.cursors()
            status, raw = pull_page(self.state, who, cursors, 5000)
            assert status == 200
            page = orjson.loads(raw)
            changes.merge(store.apply_page(page) or Changes())
            if not page.get("has_more"):
                break
        changes.note("local_outbox", "sync")
        store.emit(changes)

    def close(self) -> None:
        self.state.engine.dispose()


@pytest.mark.asyncio
async def test_offline_moves_converge_and_the_loser_sees_the_notice(seeded_sqlite, tmp_path, qtbot, ui, zh):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from commandroom.domain.models import TaskCard
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store
    from ui.boards.board_view import BoardView
    from ui.boards.delegate import badges
    from ui.conflicts.view import ConflictsView

    county = County(seeded_sqlite)
    alice_store, bob_store = DeskStore(tmp_path / "alice.db"), DeskStore(tmp_path / "bob.db")
    try:
        alice, bob = county.principal("甲", alice_store), county.principal("乙", bob_store)
        alice_actor = Actor(user_id=alice.user_id, name="甲", role="module_lead", scope_code=QC, township_code=QC,
                            device_id=alice_store.device_id, device_name="甲的工作站")
        bob_actor = Actor(user_id=bob.user_id, name="乙", role="module_lead", scope_code=QC, township_code=QC,
                          device_id=bob_store.device_id, device_name="乙的工作站")
        county.sync(alice_store, alice)
        county.sync(bob_store, bob)
        alice_store.perform(alice_actor, "card.create", "card-x", {"module_id": county.module,
                                                                   "title": "G320 沿线违法建设查处"})
        county.sync(alice_store, alice)
        county.sync(bob_store, bob)

        board = BoardView(alice_store, alice_actor, [QC])
        qtbot.addWidget(board)
        board.resize(1400, 900)
        board.show()
        board.set_module(county.module)
        await ui.wait_until(lambda: board.board is not None and "card-x" in board.board.cards, what="board")

        # offline: 甲 moves the card to 进行中 with the keyboard, 乙 moves it to 待验收
        assert board.select_card("card-x")
        QTest.keyClick(board.cell("todo"), Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
        await board.wait_idle()
        await ui.wait_until(lambda: "card-x" in board.cell("doing").column_model().ids, what="optimistic move")
        bob_store.perform(bob_actor, "card.move", "card-x", {"column": "review", "expected_epoch": 0,
                                                             "from_column": "todo", "from_position": 1.0})

        # back online: 乙 syncs first, then 甲, then 乙 again
        county.sync(bob_store, bob)
        county.sync(alice_store, alice)
        county.sync(bob_store, bob)

        places = []
        for store in (alice_store, bob_store):
            with store.read() as session:
                c = session.get(TaskCard, "card-x")
                places.append((c.column, c.position, c.lifecycle_epoch))
        assert places[0] == places[1] and places[0][0] == "review"

        # 甲's board: the card moved to 待验收, with the notice of what happened
        await board.wait_idle()
        await ui.wait_until(lambda: "card-x" in board.cell("review").column_model().ids, what="converged on board")
        await ui.wait_until(lambda: board.board.cards["card-x"].has_conflict, what="conflict on the card")
        row = board.board.cards["card-x"]
        rules = {n.rule for n in row.notices}
        assert "card_move_lost" in rules and "merged" in rules
        assert any("冲突" in text for text, _c in badges(row))
        assert board.select_card("card-x")
        assert board.panel.notice_label.isVisible()
        assert "同时发生的移动未生效" in board.panel.notice_label.text()
        assert "待验收" in board.panel.notice_label.text()

        # ... and in the conflicts page
        view = ConflictsView(alice_store, alice_actor, [QC])
        qtbot.addWidget(view)
        view.load()
        await ui.wait_until(lambda: view.conflict_model.rowCount() >= 1, what="conflict listed")
        groups = [view.conflict_model.row_by_id(i) for i in view.conflict_model.ids]
        assert any(g.entity_id == "card-x" and any(c.rule == "card_move_lost" for c in g.conflicts) for g in groups)
        await ui.wait_until(lambda: view.rejected_model.rowCount() >= 1, what="merged move listed")
    finally:
        for store in (alice_store, bob_store):
            forget_store(store)
            store.close()
        county.close()
