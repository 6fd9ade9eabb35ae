"""The field app's tile and zone endpoints serve each caller its own area: a zone's team its zone, a township's
desk or grid worker its township, the county everything. Outside it the answer is the same 404 as for a tile or
zone that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from commandroom.basemap import library
from commandroom.basemap.package import tile_range
from tests.e2e.conftest import PASSWORD, QC_POINT, TM_POINT
from tests.server.basemap_support import write_package

pytestmark = pytest.mark.asyncio

FC_POINT = (29.10, 118.60)  # 芳村镇's seat: the county's north-east, far from 球川 and 天马
Z = 12  # tiles of about 9 km: a township's seat tile lies inside it, far from the others


def _xy(point: tuple[float, float]) -> tuple[int, int]:
    lat, lon = point
    x, y, _x1, _y1 = tile_range(Z, lon, lat, lon, lat)
    return x, y


async def _bearer(county, username: str) -> dict[str, str]:
    ws = await county.workstation(f"desk-{username}", username, first_sync=False)
    return ws.engine._auth_headers()


async def test_tiles_and_zones_are_limited_to_the_callers_area(county, tmp_path):
    from commandroom.server.users import create_user

    package = write_package(tmp_path / "z12.mbtiles", min_zoom=Z, max_zoom=Z + 1, name="常山街道图")
    library.import_package(county.server.state, package, Path(tmp_path / "basemaps"), layer="streets")
    with county.server.state.transaction() as s:  # a member of 球川's zone team, for the field app
        create_user(s, username="qc-team", display_name="球川中队队员", role="team_member", scope_code="QC",
                    password=PASSWORD)
    http = county.http
    key = {"api_key": county.api_key}  # the 球川 grid worker
    team = await _bearer(county, "qc-team")
    tianma = await _bearer(county, "tm1")  # 天马's duty officer
    coordinator = await _bearer(county, "cc")

    async def tile(point: tuple[float, float], **kw) -> int:
        x, y = _xy(point)
        return (await http.get(f"/api/v1/basemaps/streets/tiles/{Z}/{x}/{y}", **kw)).status_code

    # tiles: each its own area; the county all of it
    assert await tile(QC_POINT, params=key) == 200
    assert await tile(TM_POINT, params=key) == 404
    assert await tile(FC_POINT, params=key) == 404
    assert await tile(QC_POINT, headers=team) == 200
    assert await tile(FC_POINT, headers=team) == 404
    assert await tile(TM_POINT, headers=tianma) == 200
    assert await tile(QC_POINT, headers=tianma) == 404
    for point in (QC_POINT, TM_POINT, FC_POINT):
        assert await tile(point, headers=coordinator) == 200
    # a tile outside the caller's area looks exactly like one that does not exist
    x, y = _xy(TM_POINT)
    outside = await http.get(f"/api/v1/basemaps/streets/tiles/{Z}/{x}/{y}", params=key)
    missing = await http.get(f"/api/v1/basemaps/streets/tiles/{Z}/{x}/{y - 40}", headers=coordinator)
    assert outside.status_code == missing.status_code == 404 and outside.json() == missing.json()

    async def zone(zone_id: str, **kw) -> tuple[int, dict]:
        r = await http.get(f"/api/v1/basemaps/streets/zones/{zone_id}", **kw)
        return r.status_code, r.json()

    # the zone team fetches its zone (three townships), not another zone
    status, whole = await zone("QC", headers=team)
    assert status == 200 and whole["tiles"] > 0
    assert (await zone("TM", headers=team))[0] == 404
    assert (await zone("FC", headers=team)) == await zone("XX", headers=team)  # not disclosed: as if absent
    # a township's grid worker gets its own township's part of its zone: fewer tiles than the team's whole zone
    status, own = await zone("QC", params=key)
    assert status == 200 and 0 < own["tiles"] < whole["tiles"]
    w, s, e, n = own["bounds"]
    assert w < QC_POINT[1] < e and s < QC_POINT[0] < n
    assert (await zone("TM", params=key))[0] == 404
    # 天马's desk: its zone, not 球川's; the county: every zone
    assert (await zone("TM", headers=tianma))[0] == 200
    assert (await zone("QC", headers=tianma))[0] == 404
    status, county_view = await zone("QC", headers=coordinator)
    assert status == 200 and county_view["tiles"] == whole["tiles"]
    assert (await zone("FC", headers=coordinator))[0] == 200


async def test_the_county_package_goes_only_to_desks_that_show_a_map(county, tmp_path):
    """#14: the package is county-wide by nature (one file, one SHA-256 for every desk); the desks that show a map
    fetch it, the accounts-only administrator and a grid worker's key do not (they get nothing, or tiles of their
    own area)."""
    from commandroom.server.users import create_user

    package = write_package(tmp_path / "z12.mbtiles", min_zoom=Z, max_zoom=Z + 1, name="常山街道图")
    item = library.import_package(county.server.state, package, Path(tmp_path / "basemaps"), layer="streets").basemap
    with county.server.state.transaction() as s:
        create_user(s, username="acct-admin", display_name="系统管理员", role="admin", password=PASSWORD)
    http = county.http
    path = f"/api/v1/basemaps/{item['id']}/package"
    for username in ("tm1", "cc"):  # a township's desk and the county's: the same whole file
        h = await _bearer(county, username)
        assert [b["id"] for b in (await http.get("/api/v1/basemaps", headers=h)).json()["basemaps"]] == [item["id"]]
        r = await http.get(path, headers=h)
        assert r.status_code == 200 and r.headers["x-content-sha256"] == item["sha256"], username
    admin = await _bearer(county, "acct-admin")
    for url in ("/api/v1/basemaps", path):
        r = await http.get(url, headers=admin)
        assert r.status_code == 403 and r.json()["detail"]["rule"] == "basemap.package"
        assert (await http.get(url, params={"api_key": county.api_key})).status_code == 401  # a key: tiles only
