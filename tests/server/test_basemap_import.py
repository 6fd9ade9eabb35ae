"""``commandroom basemap import``: a good package becomes the next version; every bad one is refused by name
and the layer's previous version stays in use, with no file left behind."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest

from commandroom.basemap import library
from commandroom.basemap.package import BaseMapError
from commandroom.cli import main as cli_main
from commandroom.server.state import open_state
from tests.server.basemap_support import png_tile, write_package, write_pmtiles


@pytest.fixture
def state(db_url):
    st = open_state(db_url)
    yield st
    st.close()


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "basemaps"


def _current(state) -> dict[str, int]:
    with state.read() as s:
        return {r.layer: r.version for r in library.current(s)}


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_good_package_becomes_version_1_then_2(state, folder, tmp_path):
    first = library.import_package(state, write_package(tmp_path / "a.mbtiles"), folder)
    assert first.basemap["version"] == 1 and first.basemap["crs"] == "wgs84" and first.basemap["tile_format"] == "png"
    assert (first.basemap["min_zoom"], first.basemap["max_zoom"]) == (9, 13)
    kept = folder / f"{first.basemap['sha256']}.mbtiles"
    meta = dict(sqlite3.connect(kept).execute("SELECT name, value FROM metadata"))
    assert meta["crs"] == "wgs84" and meta["commandroom_layer"] == "streets" and meta["commandroom_version"] == "1"
    second = library.import_package(state, write_package(tmp_path / "b.mbtiles", name="新版"), folder)
    assert second.basemap["version"] == 2 and _current(state) == {"streets": 2}
    # another layer is independent
    library.import_package(state, write_package(tmp_path / "c.mbtiles"), folder, layer="imagery")
    assert _current(state) == {"streets": 2, "imagery": 1}


def _bad(tmp_path: Path, kind: str) -> tuple[Path, dict, str]:
    """A bad package, the import arguments and a word the error must contain."""
    if kind == "truncated":
        good = write_package(tmp_path / "full.mbtiles")
        data = good.read_bytes()
        path = tmp_path / "truncated.mbtiles"
        path.write_bytes(data[: len(data) // 2])
        return path, {}, "damaged"
    if kind == "not_a_package":
        path = tmp_path / "photo.mbtiles"
        path.write_bytes(png_tile())
        return path, {}, "neither an MBTiles"
    if kind == "corrupt_pages":
        good = write_package(tmp_path / "full.mbtiles")
        data = bytearray(good.read_bytes())
        data[4096:8192] = b"\xa5" * 4096  # a page of the tiles table overwritten
        path = tmp_path / "corrupt.mbtiles"
        path.write_bytes(bytes(data))
        return path, {}, "damaged"
    if kind == "outside":
        return write_package(tmp_path / "far.mbtiles", shift=3.0), {}, "outside the county"
    if kind == "encoding":
        return write_package(tmp_path / "enc.mbtiles", data=b"\x00\x01 not an image"), {}, "unknown encoding"
    if kind == "format_mismatch":
        return write_package(tmp_path / "mis.mbtiles", fmt="jpg"), {}, "says its tiles are jpg"
    if kind == "no_crs":
        return write_package(tmp_path / "nocrs.mbtiles", crs=None), {}, "--crs"
    if kind == "crs_conflict":
        return write_package(tmp_path / "conf.mbtiles", crs="gcj02"), {"crs": "wgs84"}, "check which one"
    if kind == "geographic":
        path = write_package(tmp_path / "geo.mbtiles", crs=None)
        return path, {"crs": "EPSG:4326"}, "geographic"
    if kind == "shallow":
        return write_package(tmp_path / "shallow.mbtiles", max_zoom=11), {}, "zoom 13"
    if kind == "missing_tiles":
        path = write_package(tmp_path / "holes.mbtiles")
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("DELETE FROM tiles WHERE rowid = (SELECT MIN(rowid) FROM tiles WHERE zoom_level = 9)")
        conn.close()
        return path, {}, "missing"
    raise AssertionError(kind)


BAD = ["truncated", "not_a_package", "corrupt_pages", "outside", "encoding", "format_mismatch", "no_crs",
       "crs_conflict", "geographic", "shallow", "missing_tiles"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_package_is_refused_and_previous_version_stays(state, folder, tmp_path, kind):
    library.import_package(state, write_package(tmp_path / "good.mbtiles"), folder)
    before = _files(folder)
    path, kwargs, word = _bad(tmp_path, kind)
    with pytest.raises(BaseMapError) as err:
        library.import_package(state, path, folder, **kwargs)
    assert word in err.value.message, err.value.message
    assert _current(state) == {"streets": 1}
    assert _files(folder) == before  # nothing half-written


def test_gcj02_package_is_checked_in_its_own_coordinates(state, folder, tmp_path):
    result = library.import_package(state, write_package(tmp_path / "amap.mbtiles", crs=None), folder, crs="gcj02")
    assert result.basemap["crs"] == "gcj02"


@pytest.mark.skipif(importlib.util.find_spec("pmtiles") is None, reason="the pmtiles package is not installed")
def test_pmtiles_is_imported_as_mbtiles_and_a_truncated_one_refused(state, folder, tmp_path):
    result = library.import_package(state, write_pmtiles(tmp_path / "a.pmtiles"), folder)
    kept = folder / f"{result.basemap['sha256']}.mbtiles"
    conn = sqlite3.connect(kept)
    assert conn.execute("SELECT COUNT(*) FROM tiles").fetchone()[0] == result.basemap["tile_count"] > 0
    assert result.info.container == "pmtiles"
    data = (tmp_path / "a.pmtiles").read_bytes()
    (tmp_path / "cut.pmtiles").write_bytes(data[: len(data) - 200])
    with pytest.raises(BaseMapError, match=r"truncated|not a readable"):
        library.import_package(state, tmp_path / "cut.pmtiles", folder)
    assert _current(state) == {"streets": 1}


def test_cli_import_and_list(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli_main(["basemap", "import", str(write_package(tmp_path / "a.mbtiles")), "--db", url]) == 0
    assert "streets version 1" in capsys.readouterr().out
    far = write_package(tmp_path / "far.mbtiles", shift=3.0)
    assert cli_main(["basemap", "import", str(far), "--db", url]) == 2
    assert "outside the county" in capsys.readouterr().err
    assert cli_main(["basemap", "list", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "streets" in out and "v1" in out and "v2" not in out


def test_vector_tiles_are_accepted_for_the_field_app(state, folder, tmp_path):
    import gzip

    pbf = gzip.compress(b"\x1a\x0c\x0a\x05roads\x28\x80\x20")  # one (empty) layer "roads", gzipped as usual
    result = library.import_package(state, write_package(tmp_path / "v.mbtiles", fmt="pbf", data=pbf), folder,
                                    layer="labels")
    assert result.basemap["tile_format"] == "pbf" and result.basemap["raster"] is False
