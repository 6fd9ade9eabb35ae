"""One device's pulls are paced (at most ten a second) unless it is catching up; other devices never wait.

A client that pulls in a tight loop must not take the CPU the room's writes need (docs/performance.md, the
sustained load with pullers back to back). Unit tests on :class:`PullPacer` with a clock of their own, and
the pull endpoint over HTTP.
"""

from __future__ import annotations

import orjson
import pytest

from commandroom.server.sync_api import PULL_PACE_SECONDS, PullPacer, pull_pacer
from tests.server.test_sync_api import api, body, login, mut  # noqa: F401 - api is the fixture
from tests.sync.helpers import T1, board_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_devices_second_pull_within_the_pace_waits_only_the_rest_of_it():
    clock = Clock()
    pacer = PullPacer(0.1, clock)
    assert pacer.hold_for("desk-a") == 0.0  # a device's first pull never waits
    pacer.started("desk-a")
    pacer.answered("desk-a", more=False)
    clock.now += 0.03
    assert pacer.hold_for("desk-a") == pytest.approx(0.07)
    assert pacer.hold_for("desk-b") == 0.0  # another device is not held by desk-a's pulls
    clock.now += 0.07
    pacer.started("desk-a")
    clock.now += 0.1
    assert pacer.hold_for("desk-a") == 0.0  # a pull a whole pace after the last one starts at once
    assert (pacer.held, pacer.held_seconds) == (1, pytest.approx(0.07))


def test_a_device_catching_up_page_after_page_is_never_held():
    clock = Clock()
    pacer = PullPacer(0.1, clock)
    for _page in range(5):
        assert pacer.hold_for("desk-a") == 0.0
        pacer.started("desk-a")
        clock.now += 0.002
        pacer.answered("desk-a", more=True)
    clock.now += 0.002
    pacer.started("desk-a")  # the last page: nothing more after it
    pacer.answered("desk-a", more=False)
    assert pacer.hold_for("desk-a") == pytest.approx(0.1)
    assert pacer.held == 1


def test_no_pace_and_no_token_never_hold_and_old_devices_are_forgotten():
    clock = Clock()
    off = PullPacer(0.0, clock)
    off.started("desk-a")
    assert off.hold_for("desk-a") == 0.0
    pacer = PullPacer(0.1, clock)
    pacer.started(None)
    assert pacer.hold_for(None) == 0.0 and pacer.last == {}
    for i in range(4096):
        pacer.started(f"desk-{i}")
    clock.now += 1.0
    pacer.started("desk-new")
    pacer.started("desk-newer")  # past 4,096 remembered: those that have not pulled for a second are forgotten
    assert set(pacer.last) == {"desk-new", "desk-newer"}
    for i in range(9000):  # a province's desks pulling at once: all kept (the sifting waits for twice as many)
        pacer.started(f"desk-{i}")
    assert len(pacer.last) == 9002 and pacer.hold_for("desk-0") > 0


@pytest.mark.asyncio
async def test_the_pull_endpoint_holds_a_devices_repeated_pull_but_not_its_catch_up_nor_other_desks(api):  # noqa: F811
    srv, c = api
    h, dev = await login(c)
    h2, _ = await login(c, "a1")
    await c.post("/api/v1/sync/push", json=body(dev, [mut(i) for i in range(1, 8)]), headers=h)
    pacer = pull_pacer(srv.state)
    pacer.pace = 5.0  # long enough that the pulls below all fall within it, whatever the machine's speed
    waits: list[float] = []
    real_hold_for = pacer.hold_for

    def hold_for(key):  # note each hold and start the pull at once: the test needs not sleep
        hold = real_hold_for(key)
        waits.append(hold)
        return 0.0

    pacer.hold_for = hold_for
    cursors = {f"township:{T1}": 0, f"module:{board_of(T1)}": 0}
    pages = 0
    while True:  # the catch-up, three changes a page
        r = await c.get("/api/v1/sync/pull", params={"cursors": orjson.dumps(cursors).decode(), "limit": 3},
                        headers=h)
        assert r.status_code == 200, r.text
        pages += 1
        cursors = r.json()["cursors"]
        if not r.json()["has_more"]:
            break
    assert pages == 3 and waits == [0.0, 0.0, 0.0]
    again = await c.get("/api/v1/sync/pull", params={"cursors": orjson.dumps(cursors).decode()}, headers=h)
    assert again.status_code == 200 and again.json()["changes"] == []  # held, then answered as before
    assert 0 < waits[-1] <= 5.0 and pacer.held == 1
    other = await c.get("/api/v1/sync/pull", params={"cursors": orjson.dumps(cursors).decode()}, headers=h2)
    assert other.status_code == 200 and waits[-1] == 0.0 and pacer.held == 1


def test_the_pace_lets_a_poked_desk_pull_unheld():
    # a desk is poked at most every events.POKE_GAP_SECONDS: its pulls are never within the pace
    from commandroom.server import events

    assert PULL_PACE_SECONDS < events.POKE_GAP_SECONDS
