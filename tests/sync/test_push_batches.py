"""A long queue goes up in several batches; the next batch leaves while the previous answer is still being
written on the desk (issue 20). Whatever happens to that writing, nothing is lost or applied twice, and the
desk does not start a new incarnation for it. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commandroom.domain.models import ProcessedMutation, TaskCard
from commandroom.ids import new_id
from tests.sync.helpers import T1, client_rows, make_client, quiesce, server_rows

pytestmark = pytest.mark.asyncio


def _converged(server, *clients) -> None:
    srv = server_rows(server, T1)
    for c in clients:
        assert client_rows(c) == srv, c.name


async def test_a_push_answer_lost_on_the_desk_is_answered_again_and_nothing_doubles(server, tmp_path):
    """The desk fails to write the first push answer (a full disk, the process killed) while the next batch
    is already on its way: the next round sends both batches again and the server answers them from what it
    recorded: every bump counted once, the same incarnation, desk and server equal."""
    a = await make_client(server, tmp_path, "a", "a1", batch_size=3)
    card = a.create_card("计数卡")
    assert await a.engine.sync_once()
    incarnation = a.store.device_incarnation
    for _ in range(9):
        a.perform("test.card.bump", card, {"by": 1})

    real = a.store.record_results
    calls = []

    def first_write_fails(results, epoch):
        calls.append(len(results))
        if len(calls) == 1:
            raise OSError("disk full")
        return real(results, epoch)

    a.store.record_results = first_write_fails
    assert not await a.engine.sync_once()  # the round fails and says so
    assert a.store.pending_count() > 0
    assert await a.engine.sync_once()

    assert a.store.pending_count() == 0
    assert a.store.device_incarnation == incarnation
    assert a.engine.stats["new_incarnations"] == 0
    with server.state.read() as s:
        assert s.get(TaskCard, card).position == 9
        assert s.scalar(select(func.count()).select_from(ProcessedMutation)) == 10
    _converged(server, a)
    await a.close()


async def test_a_rejection_in_an_early_batch_is_undone_on_the_desk_while_later_batches_go_up(server, tmp_path):
    """A poison edit in the first batch, later edits of the same card in the batches after it: the desk ends
    with the server's card (the poison undone, every later edit kept) and the rejection listed once."""
    a = await make_client(server, tmp_path, "a", "a1", batch_size=2)
    b = await make_client(server, tmp_path, "b", "a2")
    card = a.create_card("卡片")
    assert await a.engine.sync_once()
    a.perform("test.card.server_rejects", card, {})
    a.perform("test.card.set", card, {"title": "第一版"})
    for i in range(5):
        a.perform("test.card.set", card, {"body": f"正文第{i}版"})
    others = [new_id() for _ in range(3)]
    for i, cid in enumerate(others):
        a.perform("test.card.create", cid, {"township_code": T1, "title": f"新卡{i}"})

    assert await a.engine.sync_once()
    await quiesce(server, [a, b])

    assert [e.name for e in a.store.rejected()] == ["test.card.server_rejects"]
    with server.state.read() as s:
        row = s.get(TaskCard, card)
        assert (row.title, row.body, row.lane) == ("第一版", "正文第4版", a.cards()[card]["lane"])
        assert row.lane != "poison"
    _converged(server, a, b)
    await a.close()
    await b.close()
