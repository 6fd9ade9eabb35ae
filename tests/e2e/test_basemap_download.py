"""A desk fetches the county's base map over real HTTP: in Range chunks, paused and resumed without
fetching a byte twice, through a server restart, checked by SHA-256, and switched to a new version
atomically; offline it keeps what it has. The field app's z/x/y tile endpoint."""

from __future__ import annotations

import itertools
import os
import sqlite3
from pathlib import Path

import httpx
import pytest

from commandroom.basemap import library
from commandroom.basemap.local import installed_layers, read_manifest
from commandroom.basemap.package import tile_range
from commandroom.sync.basemap import BaseMapDownloadError, BaseMapSync
from tests.e2e.conftest import QC_POINT
from tests.server.basemap_support import write_package

pytestmark = pytest.mark.asyncio

CHUNK = 16 * 1024
PNG = b"\x89PNG\r\n\x1a\n"


def _import(county, tmp_path: Path, name: str) -> dict:
    """A package of ~150 KB (several chunks) imported on the server; its listing entry."""
    package = write_package(tmp_path / f"{name}.mbtiles", name=name, data=PNG + os.urandom(20_000))
    return library.import_package(county.server.state, package, Path(tmp_path / "basemaps"), layer="streets").basemap


def _downloader(ws, folder: Path) -> tuple[BaseMapSync, list[int]]:
    """A downloader on the desk's own client; the start of every range the server answered."""
    starts: list[int] = []

    async def note(response: httpx.Response) -> None:
        cr = response.headers.get("content-range")
        if cr:
            starts.append(int(cr.split()[1].split("-")[0]))

    ws.engine.client.event_hooks["response"].append(note)
    sync = BaseMapSync(folder, ws.engine.client, ws.engine._auth_headers, refresh=ws.engine._refresh, chunk=CHUNK)
    return sync, starts


def _pause_at(sync: BaseMapSync, fraction: float) -> None:
    def watch(progress) -> None:
        if progress.active and progress.total and progress.done >= progress.total * fraction and not sync.paused:
            sync.pause()

    sync.on_progress(watch)


def _part(folder: Path) -> Path:
    parts = list(folder.glob("*.part"))
    assert len(parts) == 1, parts
    return parts[0]


async def test_paused_download_resumes_where_it_stopped_and_survives_a_server_restart(county, tmp_path):
    item = _import(county, tmp_path, "常山街道图")
    ws = await county.workstation("球川-甲", "qc1")
    folder = tmp_path / "desk-basemaps"
    sync, starts = _downloader(ws, folder)
    _pause_at(sync, 0.3)

    assert await sync.sync_once() == []  # paused: nothing installed yet
    assert sync.progress.paused and not installed_layers(folder)
    have = _part(folder).stat().st_size
    assert 0.3 * item["size"] <= have < item["size"]

    # the link goes down: the desk keeps its partial file and says nothing is installed
    await county.server.astop()
    sync._paused = False
    with pytest.raises(httpx.TransportError):
        await sync.sync_once()
    assert _part(folder).stat().st_size == have and not installed_layers(folder)

    await county.server.astart()
    sync._progress_cbs.clear()
    starts.clear()
    assert await sync.sync_once() == ["streets:1"]
    assert starts[0] == have  # continued from the byte it had, nothing fetched twice
    assert all(b - a == CHUNK for a, b in itertools.pairwise(starts))
    [layer] = installed_layers(folder)
    assert layer["version"] == 1 and layer["name"] == "常山街道图" and layer["crs"] == "wgs84"
    kept = Path(layer["path"])
    assert library.file_sha256(kept) == item["sha256"] and not list(folder.glob("*.part"))
    assert sqlite3.connect(kept).execute("SELECT COUNT(*) FROM tiles").fetchone()[0] == item["tile_count"]


async def test_new_version_replaces_the_old_one_atomically_and_a_bad_copy_is_discarded(county, tmp_path):
    _import(county, tmp_path, "第一版")
    ws = await county.workstation("球川-甲", "qc1")
    folder = tmp_path / "desk-basemaps"
    sync, _starts = _downloader(ws, folder)
    assert await sync.sync_once() == ["streets:1"]
    [v1] = installed_layers(folder)

    v2 = _import(county, tmp_path, "第二版")
    _pause_at(sync, 0.5)
    await sync.sync_once()
    # mid-download the desk still shows version 1, whole and readable
    assert [e["version"] for e in installed_layers(folder)] == [1]
    assert sqlite3.connect(v1["path"]).execute("SELECT COUNT(*) FROM tiles").fetchone()[0] > 0

    # a damaged partial file (a disk error, a bad proxy) is caught by the checksum, never switched in
    part = _part(folder)
    data = bytearray(part.read_bytes())
    data[100] ^= 0xFF
    part.write_bytes(bytes(data))
    sync._progress_cbs.clear()
    sync._paused = False
    with pytest.raises(BaseMapDownloadError, match="checksum"):
        await sync.sync_once()
    assert not list(folder.glob("*.part")) and [e["version"] for e in installed_layers(folder)] == [1]

    assert await sync.sync_once() == ["streets:2"]
    [now] = installed_layers(folder)
    assert now["version"] == 2 and now["sha256"] == v2["sha256"] and now["name"] == "第二版"
    assert not Path(v1["path"]).exists()  # the old version is gone once the new one is in place
    assert sorted(p.name for p in folder.iterdir()) == sorted([now["file"], "basemaps.json"])
    # nothing newer: a check downloads nothing
    assert await sync.sync_once() == []
    assert read_manifest(folder)["layers"]["streets"]["version"] == 2


async def test_background_check_after_sync_and_pause_resume(county, tmp_path):
    _import(county, tmp_path, "常山街道图")
    ws = await county.workstation("球川-甲", "qc1", first_sync=False)
    folder = tmp_path / "desk-basemaps"
    sync = BaseMapSync.for_engine(ws.engine, folder, chunk=CHUNK)
    assert sync._task is None  # nothing before the first sync
    assert await ws.engine.sync_once(raise_errors=True)
    assert sync._task is not None
    await sync._task
    assert [e["version"] for e in installed_layers(folder)] == [1]


async def test_listing_needs_sign_in_and_field_tiles_by_zxy(county, tmp_path):
    item = _import(county, tmp_path, "常山街道图")
    http = county.http
    assert (await http.get("/api/v1/basemaps")).status_code == 401
    ws = await county.workstation("球川-甲", "qc1")
    listing = (await ws.engine.client.get("/api/v1/basemaps", headers=ws.engine._auth_headers())).json()
    assert [b["version"] for b in listing["basemaps"]] == [1] and listing["basemaps"][0]["sha256"] == item["sha256"]

    # the field app: a tile of its zone by z/x/y with the grid worker's api_key (or a bearer token)
    # (the grid worker is 球川's: the tile over 球川's seat, at the package's widest zoom)
    conn = sqlite3.connect(tmp_path / "basemaps" / f"{item['sha256']}.mbtiles")
    z = conn.execute("SELECT min(zoom_level) FROM tiles").fetchone()[0]
    x, y, _x1, _y1 = tile_range(z, QC_POINT[1], QC_POINT[0], QC_POINT[1], QC_POINT[0])
    assert conn.execute("SELECT 1 FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                        (z, x, (1 << z) - 1 - y)).fetchone()
    r = await http.get(f"/api/v1/basemaps/streets/tiles/{z}/{x}/{y}", params={"api_key": county.api_key})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.startswith(PNG)
    r = await ws.engine.client.get(f"/api/v1/basemaps/streets/tiles/{z}/{x}/{y}", headers=ws.engine._auth_headers())
    assert r.status_code == 200
    assert (await http.get(f"/api/v1/basemaps/streets/tiles/{z}/{x}/{y}")).status_code == 401
    r = await http.get(f"/api/v1/basemaps/streets/tiles/{z}/{x + 1}/{y}", headers=ws.engine._auth_headers())
    assert r.status_code == 404  # no tile there
    r = await http.get(f"/api/v1/basemaps/imagery/tiles/{z}/{x}/{y}", params={"api_key": county.api_key})
    assert r.status_code == 404


async def test_field_app_learns_which_tiles_cover_its_zone(county, tmp_path):
    item = _import(county, tmp_path, "常山街道图")
    http = county.http
    r = await http.get("/api/v1/basemaps/streets/zones/QC", params={"api_key": county.api_key})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["zone"]["id"] == "QC" and body["basemap"]["sha256"] == item["sha256"]
    assert [rng["z"] for rng in body["ranges"]] == list(range(item["min_zoom"], item["max_zoom"] + 1))
    w, s, e, n = body["bounds"]
    assert 118.1 < w < e < 118.5 and 28.7 < s < n < 29.0  # 球川 + 白石 + 同弓, the county's west
    # the listed ranges lead to real tiles (the one tile at zoom 9 over the zone exists in this package)
    z9 = body["ranges"][0]
    tile = await http.get(body["tile_url"].format(z=9, x=z9["x0"], y=z9["y0"]), params={"api_key": county.api_key})
    assert tile.status_code == 200
    assert (await http.get("/api/v1/basemaps/streets/zones/QC")).status_code == 401
    assert (await http.get("/api/v1/basemaps/streets/zones/XX", params={"api_key": county.api_key})).status_code == 404


async def test_a_vector_base_map_is_downloaded_too_and_drawn_as_png(county, tmp_path):
    from commandroom.basemap.vector import POLYGON, Feature, Layer, encode_tile
    from ui.map.tiles import open_tiles

    pbf = encode_tile([Layer("water", 4096, [Feature(POLYGON, [[(0, 0), (4096, 0), (4096, 4096), (0, 4096)]])])],
                      compress=True)
    package = write_package(tmp_path / "vector.mbtiles", fmt="pbf", data=pbf, name="矢量街道图")
    library.import_package(county.server.state, package, Path(tmp_path / "basemaps"), layer="streets")
    ws = await county.workstation("球川-甲", "qc1")
    folder = tmp_path / "desk-basemaps"
    sync, _starts = _downloader(ws, folder)
    assert await sync.sync_once() == ["streets:1"]
    entry = installed_layers(folder)[0]
    assert entry["tile_format"] == "pbf" and entry["raster"] is False
    tiles = open_tiles(entry["path"], entry["tile_format"])
    assert tiles is not None and tiles.info.mime == "image/png"
    z = tiles.info.min_zoom
    x, y, _x1, _y1 = tile_range(z, QC_POINT[1], QC_POINT[0], QC_POINT[1], QC_POINT[0])
    assert (tiles.tile(z, x, y) or b"").startswith(PNG)
    tiles.close()
