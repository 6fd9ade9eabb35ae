"""Reference data: the files in data/, their validation, the generated areas, and loading into both engines."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select

from commandroom.domain.errors import ReferenceDataError
from commandroom.domain.models import (
    ChangeLog,
    Department,
    Matter,
    Module,
    TeamMember,
    Township,
    Zone,
)
from commandroom.refdata import geo
from commandroom.refdata.loader import load_reference, read_reference
from commandroom.refdata.seed import seed_database
from commandroom.store.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 11, 26, 2, 30)
QC, BS, TG = "330822111", "330822104", "330822211"
OUTSIDE = {"anti_cult", "agency_service", "village_org", "party_visit", "public_opinion"}


@pytest.fixture(scope="module")
def ref():
    return read_reference(DATA)


# --------------------------------------------------------------------------- the files


def test_reference_files_are_complete(ref):
    assert len(ref.townships) == 14
    assert sorted(t["kind"] for t in ref.townships).count("街道") == 3
    assert {t["code"] for t in ref.townships if t["urban"]} == {"330822001", "330822002", "330822003"}
    assert len({t["number_prefix"] for t in ref.townships}) == 14
    assert next(t for t in ref.townships if t["code"] == QC)["number_prefix"] == "QC"
    assert next(t for t in ref.townships if t["code"] == "330822001")["number_prefix"] == "TM"
    assert len(ref.zones) == 7
    assert 20 <= len(ref.departments) <= 30
    assert len(ref.matters) == 70 and all(m["illustrative"] for m in ref.matters)
    assert {m["field"] for m in ref.matters} >= {"自然资源", "市场监管", "生态环境", "应急管理", "城乡建设", "综合执法"}
    assert [u["code"] for u in ref.urgency_levels] == ["L1", "L2", "L3", "L4"]
    l1 = ref.urgency_levels[0]
    assert (l1["ack_minutes"], l1["onsite_minutes"], l1["close_workdays"], l1["working_time"]) == (30, 60, 1, False)
    assert [m["name"] for m in sorted(ref.modules, key=lambda m: m["sort_order"])] == [
        "党建统领", "经济生态", "平安法治", "公共服务"]
    assert any(c["code"] == "urban_parking" and c["name"] == "城区机动车违停" for c in ref.categories)
    assert ref.versions[0]["effective_from"] == date(2024, 1, 1) and ref.versions[0]["version"] == 1
    assert 150 <= len(ref.villages) <= 260 and len(ref.grids) >= 2 * len(ref.villages)
    tm = [v for v in ref.villages if v["township_code"] == "330822001"]
    assert sum(v["kind"] == "社区" for v in tm) == 6 and sum(v["kind"] == "行政村" for v in tm) == 17


def test_zones_are_townships_and_qiuchuan_covers_baishi_and_tonggong(ref):
    codes = {t["code"] for t in ref.townships}
    seen: list[str] = []
    for z in ref.zones:
        assert set(z["member_codes"]) <= codes and z["hub_code"] in z["member_codes"]
        seen += z["member_codes"]
    assert sorted(seen) == sorted(codes)  # every township in exactly one zone
    qc = next(z for z in ref.zones if z["id"] == "QC")
    assert set(qc["member_codes"]) == {QC, BS, TG} and qc["hub_code"] == QC
    assert {t["code"]: t["zone_id"] for t in ref.townships}[TG] == "QC"


def test_every_category_is_routed_except_the_deliberate_gaps(ref):
    covered = {c for m in ref.matters for c in m["category_codes"]}
    cats = {c["code"] for c in ref.categories}
    assert cats - covered == OUTSIDE
    defaults: dict[str, list[str]] = {}
    for m in ref.matters:
        for c in m["default_for"]:
            defaults.setdefault(c, []).append(m["code"])
    assert set(defaults) == covered and all(len(v) == 1 for v in defaults.values())
    by_code = {m["code"]: m for m in ref.matters}
    assert by_code[defaults["urban_parking"][0]]["is_enforcement"]
    assert by_code[defaults["illegal_construction"][0]]["lead_department_code"] == "enforcement"
    muck = next(c for c in ref.categories if c["code"] == "muck_dust")
    assert "illegal_construction" in muck["related"]
    assert any(m["limits"] for m in ref.matters)


def test_one_thing_catalogue(ref):
    assert len(ref.one_things) == 17
    named = {o["name"] for o in ref.one_things if o["named_in_seed"]}
    assert named == {"农民建房", "城区机动车违停治理", "城镇燃气管理", "校外周边安全防控", "扬尘处置", "固体废物处置"}
    house = next(o for o in ref.one_things if o["name"] == "农民建房")
    assert len(house["steps"]) == 3 and house["previous_steps"] == 7
    assert house["lead_department_code"] == "agri" and house["time_limit_days"] == 15
    assert all(o["collaborating_department_codes"] and o["checkin_hours"] > 0 for o in ref.one_things)


# --------------------------------------------------------------------------- geography


def test_township_areas_cover_the_county_and_hold_their_seats(ref):
    outline = ref.outline
    union = shapely.union_all(list(ref.areas.values()))
    assert outline.symmetric_difference(union).area < 1e-6 * outline.area
    for t in ref.townships:
        area = ref.areas[t["code"]]
        assert shapely.contains_xy(area, t["seat_lon"], t["seat_lat"]), t["name"]
        for other, geom in ref.areas.items():
            if other != t["code"]:
                assert area.intersection(geom).area < 1e-7, (t["code"], other)
    total_km2 = sum(a.area for a in ref.areas.values()) * 111.32 ** 2 * 0.8755
    assert 1000 < total_km2 < 1200


def test_area_generator_is_reproducible(tmp_path):
    for name in ("townships.csv", geo.OUTLINE_FILE):
        shutil.copy(DATA / name, tmp_path / name)
    assert geo.main([str(tmp_path)]) == 0
    assert (tmp_path / geo.AREAS_FILE).read_bytes() == (DATA / geo.AREAS_FILE).read_bytes()
    doc = json.loads((DATA / geo.AREAS_FILE).read_text(encoding="utf-8"))
    props = doc["features"][0]["properties"]
    assert props["approximate"] is True and "Voronoi" in props["method"] and props["code"] and props["name"]


def test_villages_and_grids_lie_in_their_township_area(ref):
    for v in ref.villages:
        assert shapely.contains_xy(ref.areas[v["township_code"]], v["lon"], v["lat"]), v["id"]
    for g in ref.grids:
        assert shapely.contains_xy(ref.areas[g["township_code"]], g["lon"], g["lat"]), g["id"]


def test_gcj02_conversion_round_trips():
    lon, lat = 118.50549, 28.90403
    glon, glat = geo.wgs84_to_gcj02(lon, lat)
    # the offset in Changshan is about 480 m east and 330 m south
    assert 0.004 < glon - lon < 0.006 and -0.004 < glat - lat < -0.002
    back = geo.gcj02_to_wgs84(glon, glat)
    assert abs(back[0] - lon) < 1e-8 and abs(back[1] - lat) < 1e-8
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # outside China: unchanged


# --------------------------------------------------------------------------- validation errors


def _copy_data(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(DATA, dst)
    return dst


def _edit_csv(path: Path, fn) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0].keys())
    header, rows = fn(header, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _edit_json(path: Path, fn) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    fn(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _set(row: int, field: str, value: str):
    def fn(header, rows):
        rows[row - 1][field] = value
        return header, rows
    return fn


def _drop_column(col: str):
    def fn(header, rows):
        return [h for h in header if h != col], [{k: v for k, v in r.items() if k != col} for r in rows]
    return fn


def _dup_row(row: int):
    def fn(header, rows):
        return header, [*rows, dict(rows[row - 1])]
    return fn


CASES = {
    "missing column": (
        lambda d: _edit_csv(d / "responsibility_list.csv", _drop_column("lead_department")),
        ("responsibility_list.csv", None, "lead_department", "missing column")),
    "unknown department": (
        lambda d: _edit_csv(d / "responsibility_list.csv", _set(3, "lead_department", "no_such_bureau")),
        ("responsibility_list.csv", 3, "lead_department", "unknown department code 'no_such_bureau'")),
    "unknown category": (
        lambda d: _edit_csv(d / "responsibility_list.csv", _set(5, "category_codes", "geo_hazard;ufo_sighting")),
        ("responsibility_list.csv", 5, "category_codes", "unknown category code 'ufo_sighting'")),
    "bad limits": (
        lambda d: _edit_csv(d / "responsibility_list.csv", _set(2, "limits", "L3.close_days=3")),
        ("responsibility_list.csv", 2, "limits", "'close_days' is not one of")),
    "duplicate department code": (
        lambda d: _edit_csv(d / "departments.csv", _dup_row(4)),
        ("departments.csv", 28, "code", "duplicate 'housing' (first in row 4)")),
    "coordinate outside the county": (
        lambda d: _edit_csv(d / "villages.csv", _set(5, "lat", "30.25")),
        ("villages.csv", 5, "lat/lon", "lies outside the county outline")),
    "seat swapped lat/lon": (
        lambda d: _edit_csv(d / "townships.csv", _set(2, "seat_lat", "118.53")),
        ("townships.csv", 2, "seat_lat", "is not a latitude/longitude")),
    "bad number in a csv": (
        lambda d: _edit_csv(d / "townships.csv", _set(4, "population", "很多")),
        ("townships.csv", 4, "population", "'很多' is not a number")),
    "zone member not a township": (
        lambda d: _edit_json(d / "zones.json", lambda doc: doc["zones"][1]["members"].append("330822999")),
        ("zones.json", 2, "members", "'330822999' is not a township code")),
    "bad number in json": (
        lambda d: _edit_json(d / "urgency_levels.json", lambda doc: doc["levels"][1].update(ack_minutes="2h")),
        ("urgency_levels.json", 2, "ack_minutes", "'2h' is not a number")),
    "unknown collaborating department": (
        lambda d: _edit_json(d / "one_thing_catalogue.json",
                             lambda doc: doc["cases"][0]["collaborating_departments"].append("xyz")),
        ("one_thing_catalogue.json", 1, "collaborating_departments", "unknown department code 'xyz'")),
    "typo in a json field": (
        lambda d: _edit_json(d / "event_categories.json",
                             lambda doc: doc["categories"][2].update(rural_wieght=1.0)),
        ("event_categories.json", 3, "rural_wieght", "unknown field")),
    "grid of an unknown village": (
        lambda d: _edit_csv(d / "grids.csv", _set(7, "village_id", "330822001-999")),
        ("grids.csv", 7, "village_id", "'330822001-999' is not a village id")),
    "two default matters": (
        lambda d: _edit_csv(d / "responsibility_list.csv", _set(2, "default_for", "illegal_construction")),
        ("responsibility_list.csv", None, "default_for", "category 'illegal_construction' already has default")),
    "invalid json": (
        lambda d: (d / "modules.json").write_text('{"modules": [', encoding="utf-8"),
        ("modules.json", None, None, "is not valid JSON")),
    "missing file": (
        lambda d: (d / "departments.csv").unlink(),
        ("departments.csv", None, None, "file not found")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validation_errors_name_file_row_and_field(tmp_path, case):
    breaker, (file, row, field, text) = CASES[case]
    data = _copy_data(tmp_path)
    breaker(data)
    with pytest.raises(ReferenceDataError) as info:
        read_reference(data)
    err = info.value
    assert err.file == file
    if row is not None:
        assert err.row == row
    if field is not None:
        assert err.field == field
    assert text in err.message
    assert err.message.startswith(file)


def test_several_problems_are_reported_together(tmp_path):
    data = _copy_data(tmp_path)
    _edit_csv(data / "responsibility_list.csv", _set(3, "lead_department", "nope"))
    _edit_csv(data / "villages.csv", _set(2, "lon", "abc"))
    with pytest.raises(ReferenceDataError) as info:
        read_reference(data)
    assert info.value.file == "villages.csv" and info.value.row == 2  # files are checked in dependency order
    assert "1 more problem(s)" in info.value.message and "responsibility_list.csv, row 3" in info.value.message


# --------------------------------------------------------------------------- loading


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


def test_seed_loads_everything_and_reloading_changes_nothing(db_url):
    counts = seed_database(db_url, now=NOW)
    assert counts["township"] == 14 and counts["zone"] == 7 and counts["matter"] == 70
    assert counts["one_thing_type"] == 17 and counts["module"] == 14 * 4
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            log_before = _count(s, ChangeLog)
            qc = s.get(Township, QC)
            assert qc.zone_id == "QC" and qc.number_prefix == "QC" and qc.area_geojson["type"] == "MultiPolygon"
            assert s.get(Zone, "QC").member_codes == [QC, BS, TG]
            m = s.scalars(select(Matter).where(Matter.code == "CE-02")).one()
            assert m.default_for == ["urban_parking"] and m.limits == {"L3": {"close_workdays": 1.0}}
            # teams: the 球川 zone as in the seed article, the others 8–14 members
            members = list(s.scalars(select(TeamMember)))
            qc_team = [t for t in members if t.zone_id == "QC"]
            regular = [t for t in qc_team if not t.is_auxiliary]
            assert len(regular) == 17 and len(qc_team) - len(regular) == 5
            origins = [t.origin for t in regular]
            assert (origins.count("enforcement_bureau"), origins.count("market_supervision"),
                    origins.count("township_cadre"), origins.count("other_department")) == (5, 4, 4, 4)
            assert all(t.cert_no and t.cert_expiry for t in regular) and all(t.capabilities for t in members)
            assert all(t.township_code == QC for t in qc_team)
            soon = [t for t in members if t.cert_expiry and t.cert_expiry <= NOW.date() + timedelta(days=30)]
            assert 2 <= len(soon) <= 10
            for zid in ("TM", "ZG", "JC", "HB", "FC", "ZX"):
                n = sum(1 for t in members if t.zone_id == zid and not t.is_auxiliary)
                assert 8 <= n <= 14, zid
            modules = list(s.scalars(select(Module).where(Module.township_code == QC).order_by(Module.sort_order)))
            assert [m.name for m in modules] == ["党建统领", "经济生态", "平安法治", "公共服务"]
            assert all(m.lead_name and m.members for m in modules)
        # a second load finds nothing to change …
        with session_factory(engine)() as s, s.begin():
            again = load_reference(s, read_reference(DATA))
            assert again.changes == 0 and sum(again.unchanged.values()) > 900
        # … and a second seed adds no rows and no change-log entries
        assert seed_database(db_url, now=NOW) == counts
        with session_factory(engine)() as s:
            assert _count(s, ChangeLog) == log_before
    finally:
        engine.dispose()


def test_an_edited_file_updates_only_what_changed(tmp_path, sqlite_url):
    seed_database(sqlite_url, now=NOW)
    data = _copy_data(tmp_path)
    _edit_csv(data / "departments.csv", _set(1, "short_name", "执法局"))
    engine = make_engine(sqlite_url)
    try:
        with session_factory(engine)() as s, s.begin():
            res = load_reference(s, read_reference(data))
            assert res.changes == 1 and res.updated["department"] == 1
            assert [f for _, f in res.changed_rows] == [["short_name"]]
        with session_factory(engine)() as s:
            assert s.get(Department, "enforcement").short_name == "执法局"
    finally:
        engine.dispose()


def test_a_bad_file_leaves_the_database_untouched(tmp_path, sqlite_url, monkeypatch):
    seed_database(sqlite_url, now=NOW)
    engine = make_engine(sqlite_url)

    def snapshot() -> dict:
        with session_factory(engine)() as s:
            return {"dept": s.get(Department, "enforcement").short_name, "townships": _count(s, Township),
                    "members": _count(s, TeamMember), "log": _count(s, ChangeLog)}

    try:
        before = snapshot()
        # a validation error: nothing is written at all
        data = _copy_data(tmp_path)
        _edit_csv(data / "departments.csv", _set(1, "short_name", "改名"))
        _edit_csv(data / "responsibility_list.csv", _set(9, "lead_department", "ghost"))
        with pytest.raises(ReferenceDataError):
            seed_database(sqlite_url, data_dir=data, now=NOW)
        assert snapshot() == before
        # a failure half-way through the load: the one transaction rolls back
        _edit_csv(data / "responsibility_list.csv", _set(9, "lead_department", "natres"))
        import commandroom.refdata.seed as seed_mod

        def boom(*_a, **_k):
            raise RuntimeError("disk full")

        monkeypatch.setattr(seed_mod, "seed_teams", boom)
        with pytest.raises(RuntimeError):
            seed_database(sqlite_url, data_dir=data, now=NOW)
        assert snapshot() == before
    finally:
        engine.dispose()


def test_a_fresh_database_gets_nothing_from_a_bad_data_dir(tmp_path):
    data = _copy_data(tmp_path)
    _edit_json(data / "zones.json", lambda doc: doc["zones"][0].update(hub="330822001"))
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with pytest.raises(ReferenceDataError) as info:
        seed_database(url, data_dir=data)
    assert info.value.file == "zones.json" and info.value.row == 1 and info.value.field == "hub"
    assert not (tmp_path / "fresh.db").exists()


def test_cli_seed_prints_a_summary_and_reports_bad_data(tmp_path, capsys):
    from commandroom.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["seed", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "township 14" in out and "team_member" in out and " s" in out
    data = _copy_data(tmp_path)
    _edit_csv(data / "townships.csv", _set(1, "number_prefix", "qc1"))
    assert main(["seed", "--db", url, "--data", str(data)]) == 2
    assert "townships.csv, row 1, field 'number_prefix'" in capsys.readouterr().err


def test_village_generator_is_reproducible(tmp_path):
    from commandroom.refdata import villages

    for name in ("townships.csv", geo.AREAS_FILE):
        shutil.copy(DATA / name, tmp_path / name)
    assert villages.main([str(tmp_path)]) == 0
    for name in ("villages.csv", "grids.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_zone_neighbours_are_mutual_and_checked(ref, tmp_path):
    from commandroom.refdata.loader import HAS_ZONE_NEIGHBOURS

    if not HAS_ZONE_NEIGHBOURS:
        pytest.skip("the Zone model has no neighbour_ids column")
    nb = {z["id"]: set(z["neighbour_ids"]) for z in ref.zones}
    assert nb["QC"] == {"TM", "JC"}
    assert all(z in nb[n] for z, ns in nb.items() for n in ns)
    data = _copy_data(tmp_path)
    _edit_json(data / "zones.json", lambda doc: doc["zones"][4]["neighbours"].append("QC"))
    with pytest.raises(ReferenceDataError) as info:
        read_reference(data)
    assert (info.value.file, info.value.row, info.value.field) == ("zones.json", 5, "neighbours")
    assert "does not list HB back" in info.value.message
