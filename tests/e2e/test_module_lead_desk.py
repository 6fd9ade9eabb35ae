"""A module lead's desk over real HTTP: it holds the township's work and only the boards it leads.

When the command desk gives it another module, that board arrives with its cards; when a board is taken
away (or one is left over from an older server), the desk forgets it. After each round every column of every board row the desk holds equals the
server's, the township desk still holds every board, and the engine's ``audit()`` finds nothing to repair.
"""

from __future__ import annotations

import pytest

from commandroom.domain.models import Module
from tests.e2e.conftest import PASSWORD, QC, new_id, server_township_rows, township_rows

pytestmark = pytest.mark.asyncio
BOARDS = ("module", "task_card")


def _lead(county) -> str:
    from commandroom.server.users import create_user

    with county.server.state.transaction() as s:
        user, _ = create_user(s, username="qc-lead", display_name="球川平安法治模块 陈伟", role="module_lead",
                              township_code=QC, password=PASSWORD)
        return user.id


def _modules(county) -> dict[str, str]:
    with county.server.state.read() as s:
        return {m.name: m.id for m in s.query(Module).filter(Module.township_code == QC)}


async def _same_as_server(county, ws, module_ids: set[str]) -> None:
    mine = township_rows(ws, tables=BOARDS)
    server = server_township_rows(county.server, tables=BOARDS)
    want = {"module": {k: v for k, v in server["module"].items() if k in module_ids},
            "task_card": {k: v for k, v in server["task_card"].items() if v["module_id"] in module_ids}}
    assert mine == want
    assert await ws.engine.audit(repair=False) == {}


async def test_a_module_leads_desk_holds_only_its_boards_and_follows_its_leadership(county):
    lead_id = _lead(county)
    modules = _modules(county)
    safety, economy = modules["平安法治"], modules["经济生态"]
    town = await county.workstation("球川-甲", "qc1")
    # the command desk names the leads (the seed names none: until then a board is every module lead's):
    # qc-lead for 平安法治, its own officer for the others; and puts a card on each of two boards
    for module_id in modules.values():
        town.perform("module.update", module_id, {"lead_user_id": lead_id if module_id == safety else town.user["id"]})
    cards = {safety: new_id(), economy: new_id()}
    for module_id, card in cards.items():
        town.perform("card.create", card, {"module_id": module_id, "title": "排查出租房安全隐患"})
    assert await town.sync()

    desk = await county.workstation("模块牵头人", "qc-lead")
    buckets = desk.store.meta("buckets")
    assert [b for b in buckets if b.startswith("module:")] == [f"module:{safety}"]
    assert {m["id"] for m in desk.rows("module")} == {safety}
    assert {c["id"] for c in desk.rows("task_card")} == {cards[safety]}
    assert desk.rows("incident") == town.rows("incident")  # the township's work still reaches it
    await _same_as_server(county, desk, {safety})

    # its own card moves; another board's card is not on its desk to touch
    desk.perform("card.move", cards[safety], {"column": "doing", "expected_epoch": 0})
    assert await desk.sync()
    # a board left on the desk from before boards had buckets of their own (a desk of an older server)
    with county.server.state.read() as s:
        stray = s.get(Module, modules["党建统领"])
        s.expunge(stray)
    with desk.store.write() as s:
        s.merge(stray)
    assert desk.get("module", modules["党建统领"]) is not None
    # the command desk hands 经济生态 over as well and takes 平安法治 away
    town.perform("module.update", economy, {"lead_user_id": lead_id})
    town.perform("module.update", safety, {"lead_user_id": town.user["id"]})
    assert await town.sync()
    assert await desk.sync() and await desk.sync()
    assert [b for b in desk.store.meta("buckets") if b.startswith("module:")] == [f"module:{economy}"]
    assert {m["id"] for m in desk.rows("module")} == {economy}
    assert {c["id"] for c in desk.rows("task_card")} == {cards[economy]}
    await _same_as_server(county, desk, {economy})

    # the township desk holds every board, column for column, and its audit is clean too
    assert await town.sync()
    await _same_as_server(county, town, set(modules.values()))
    assert town.get("task_card", cards[safety])["column"] == "doing"
