"""A row that leaves a bucket: the desks that read only the old bucket drop it (a ``remove`` change).

A team member moved from one enforcement zone to another must vanish from the old zone
leader's roll, appear in the new zone's, and stay (once) on a county desk that reads both.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commandroom.domain.models import ChangeLog, TeamMember, Township, User, Zone, row_to_dict
from commandroom.ids import new_id
from commandroom.server import changelog
from commandroom.server.auth import hash_password
from tests.sync.helpers import PASSWORD, ZONE, make_client, server_rows

pytestmark = pytest.mark.asyncio

ZONE2, T3 = "ZT2", "330822102"


def _add_zone_leaders(server) -> None:
    pw = hash_password(PASSWORD)
    with server.state.transaction() as s:
        s.add(Zone(id=ZONE2, name="第二片区", hub_code=T3, member_codes=[T3]))
        s.flush()
        s.add(Township(code=T3, name="丙镇", short_name="丙镇", kind="镇", seat_lat=28.9, seat_lon=118.5,
                       number_prefix="BZ", zone_id=ZONE2))
        for uname, zone in (("z1", ZONE), ("z2", ZONE2)):
            u = User(username=uname, display_name=f"队长{uname}", role="team_leader", scope_kind="zone",
                     scope_code=zone, township_code=None, password_hash=pw)
            s.add(u)
            s.flush()
            server.users[uname] = u
    with server.state.transaction() as s:
        changelog.backfill(s)  # the new zone reaches the desks like any reference row


def _members(client) -> dict[str, dict]:
    with client.store.read() as s:
        return {m.id: row_to_dict(m) for m in s.scalars(select(TeamMember))}


async def test_member_moved_to_another_zone_leaves_the_old_zone_desks(server, tmp_path):
    _add_zone_leaders(server)
    county = await make_client(server, tmp_path, "county", "c1")
    old_zone = await make_client(server, tmp_path, "zone1", "z1")
    new_zone = await make_client(server, tmp_path, "zone2", "z2")
    clients = (county, old_zone, new_zone)
    for c in clients:
        assert await c.engine.sync_once(raise_errors=True)

    mid = new_id()
    county.perform("member.create", mid, {"zone_id": ZONE, "name": "王队员", "origin": "township_cadre"})
    for c in clients:
        assert await c.engine.sync_once(raise_errors=True)
    assert mid in _members(old_zone) and mid not in _members(new_zone)

    county.perform("member.update", mid, {"zone_id": ZONE2})
    for c in clients:
        assert await c.engine.sync_once(raise_errors=True)

    assert mid not in _members(old_zone), "the old zone's desk still lists a member who moved away"
    assert _members(new_zone)[mid]["zone_id"] == ZONE2
    assert _members(county)[mid]["zone_id"] == ZONE2  # reads both buckets: the upsert comes after the remove
    srv = server_rows(server)["team_member"][mid]
    assert srv["zone_id"] == ZONE2 and srv["township_code"] == T3
    assert _members(new_zone)[mid] == _members(county)[mid] == srv

    with server.state.read() as s:
        ops = s.execute(select(ChangeLog.bucket, ChangeLog.op).where(ChangeLog.entity_id == mid)
                        .order_by(ChangeLog.seq)).all()
    assert [tuple(o) for o in ops] == [(f"zone:{ZONE}", "upsert"), (f"zone:{ZONE}", "remove"),
                                       (f"zone:{ZONE2}", "upsert")]
    for c in clients:
        await c.close()


async def test_a_zone_leader_cannot_move_a_member_out_of_reach(server, tmp_path):
    _add_zone_leaders(server)
    leader = await make_client(server, tmp_path, "zone1", "z1")
    assert await leader.engine.sync_once(raise_errors=True)
    mid = new_id()
    leader.perform("member.create", mid, {"zone_id": ZONE, "name": "李队员", "origin": "township_cadre"})
    assert await leader.engine.sync_once(raise_errors=True)
    leader.perform("member.update", mid, {"zone_id": ZONE2})
    assert await leader.engine.sync_once(raise_errors=True)
    [rej] = leader.store.rejected()
    assert rej.state == "rejected" and "outside your scope" in rej.server_result["explanation"]
    assert _members(leader)[mid]["zone_id"] == ZONE  # the refused move is undone on the desk
    assert server_rows(server)["team_member"][mid]["zone_id"] == ZONE
    await leader.close()
