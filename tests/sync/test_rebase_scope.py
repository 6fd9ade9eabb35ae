"""Rebase after a long outage (issue 20): only what a result or a page reaches is re-applied, and a multi-page
catch-up rebases once — while an officer's unsent edits stay on screen the whole time."""

from __future__ import annotations

import pytest

from tests.sync.helpers import T1, client_rows, make_client, server_rows

pytestmark = pytest.mark.asyncio


async def test_unsent_edits_stay_visible_through_every_page_of_a_catch_up(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1", page_size=50, catch_up_page_size=50)
    b = await make_client(server, tmp_path, "b", "a2")
    cid = b.create_card("t", body="b")
    assert await b.engine.sync_once() and await a.engine.sync_once()
    a.perform("test.card.set", cid, {"body": "a 未发送的正文"})
    a.perform("test.card.bump", cid, {"by": 2})
    # b works meanwhile: the card is changed early and late in a download of several pages
    b.perform("test.card.set", cid, {"title": "b 的标题 1"})
    for i in range(120):
        b.create_card(f"卡片 {i}")
    b.perform("test.card.set", cid, {"title": "b 的标题 2"})
    b.perform("test.card.bump", cid, {"by": 5})
    assert await b.engine.sync_once()

    seen: list[dict] = []
    a.engine.on_progress(lambda done, total: seen.append(a.cards()[cid]))
    assert await a.engine.pull_once() > 120  # pull only: a's edits are still pending
    assert len(seen) >= 3  # several pages
    for card in seen:  # after every page the officer still sees the unsent edits
        assert card["body"] == "a 未发送的正文", card
    card = a.cards()[cid]
    assert card["title"] == "b 的标题 2" and card["body"] == "a 未发送的正文" and card["position"] == 7
    assert a.store.pending_count() == 2
    assert await a.engine.sync_once() and await b.engine.sync_once()
    assert client_rows(a) == client_rows(b) == {t: rows for t, rows in server_rows(server, T1).items()
                                                if t in client_rows(a)}
    assert await a.engine.audit(repair=False) == {}
    await a.close()
    await b.close()


async def test_a_rejection_rebases_only_the_rows_it_reaches(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    cards = [a.create_card(f"卡片 {i}") for i in range(3)]
    assert await a.engine.sync_once()
    a.perform("test.card.set", cards[0], {"title": "未发送 0"})
    a.perform("test.card.server_rejects", cards[1], {})  # the server refuses this one
    a.perform("test.card.set", cards[1], {"body": "同一张卡片上的后续修改"})
    a.perform("test.card.set", cards[2], {"title": "未发送 2"})
    a.perform("test.card.note", cards[0], {"text": "备注"})
    redone: list[str] = []
    real = a.store._redo  # which queued mutations the rebase re-applies

    def spy(session, cursors, entries=None):
        redone.extend(e.name for e in entries or ())
        return real(session, cursors, entries)

    a.store._redo = spy
    assert await a.engine.push_once() == 5
    # the refused mutation's card: its later edit is re-applied; the other cards are not touched
    assert redone == ["test.card.set"], redone
    card = a.cards()
    assert card[cards[1]]["lane"] != "poison" and card[cards[1]]["body"] == "同一张卡片上的后续修改"
    assert card[cards[0]]["title"] == "未发送 0" and card[cards[2]]["title"] == "未发送 2"
    assert [e.name for e in a.store.rejected()] == ["test.card.server_rejects"]
    assert await a.engine.sync_once()
    assert {c["id"]: c["title"] for c in a.cards().values() if c["township_code"] == T1} == {
        cards[0]: "未发送 0", cards[1]: "卡片 1", cards[2]: "未发送 2"}
    await a.close()
