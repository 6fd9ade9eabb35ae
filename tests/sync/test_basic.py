"""The protocol's happy path: sign in, write offline, push, pull on another workstation."""

from __future__ import annotations

import pytest

from tests.sync.helpers import make_client, server_rows

pytestmark = pytest.mark.asyncio


async def test_create_push_pull_between_two_workstations(server, tmp_path):
    a = await make_client(server, tmp_path, "a", "a1")
    b = await make_client(server, tmp_path, "b", "a2")
    cid = a.create_card("路灯不亮")
    assert a.store.pending_count() == 1
    assert await a.engine.sync_once(raise_errors=True)
    assert a.store.pending_count() == 0
    assert await b.engine.sync_once(raise_errors=True)
    assert b.cards()[cid]["title"] == "路灯不亮"
    srv = server_rows(server)["task_card"][cid]
    assert a.cards()[cid] == srv == b.cards()[cid]
    assert a.engine.status.online and a.engine.status.pending == 0
    await a.close()
    await b.close()
