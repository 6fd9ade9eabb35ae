"""Demo-like map data and screenshots: ``python -m tools.screenshots.map --out docs/screenshots [--lang en]``.

:func:`insert_demo_rows` writes incidents, open reports and team members with plausible
positions (bunched around the township seats, inside the county) straight into a store;
the screenshots, the map tests and ``tests/perf/bench_map.py`` use it until the
project's demo generator fills a store for them.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import insert, select

from commandroom.domain.models import EventCategory, Incident, Report, TeamMember
from commandroom.ids import new_id
from commandroom.queries.map_base import load_base_layers
from commandroom.timeutil import utcnow

CATEGORIES = [
    ("DEMO01", "占道经营"),
    ("DEMO02", "违章搭建"),
    ("DEMO03", "垃圾乱堆乱放"),
    ("DEMO04", "机动车违停"),
    ("DEMO05", "工地扬尘"),
    ("DEMO06", "河道漂浮物"),
    ("DEMO07", "消防通道堵塞"),
    ("DEMO08", "井盖缺失破损"),
    ("DEMO09", "农房建设巡查"),
    ("DEMO10", "噪声扰民"),
]
STATES = [
    ("pending_dispatch", 14),
    ("dispatched", 14),
    ("acknowledged", 9),
    ("in_progress", 24),
    ("awaiting_verification", 9),
    ("returned", 3),
    ("escalated", 2),
    ("closed", 25),
]
URGENCIES = [("L1", 8), ("L2", 22), ("L3", 60), ("L4", 10)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林郑汪"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂"
MEMBER_STATUSES = ["available", "en_route", "on_scene", "off_duty"]
SOURCES = ["grid_patrol", "villager_app", "hotline_12345", "sensor_alert"]


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def demo_points(n: int, seed: int = 7, data_dir: str | Path | None = None) -> list[tuple[float, float, str]]:
    """``n`` ``(lat, lon, township code)`` inside the county, bunched around the seats."""
    base = load_base_layers(None, data_dir)
    towns = base.townships["features"]
    rs = np.random.default_rng(seed)
    shapes = [shapely.geometry.shape(f["geometry"]) for f in towns]
    # Urban subdistricts (the county seat) get more incidents than the hill townships.
    weights = np.array([3.0 if f["properties"]["code"][-3:-2] == "0" else 1.0 for f in towns])
    weights /= weights.sum()
    out: list[tuple[float, float, str]] = []
    while len(out) < n:
        k = max(64, (n - len(out)) * 2)
        which = rs.choice(len(towns), size=k, p=weights)
        lat0 = np.array([towns[i]["properties"]["label"][0] for i in which])
        lon0 = np.array([towns[i]["properties"]["label"][1] for i in which])
        spread = np.where(rs.random(k) < 0.6, 0.012, 0.04)
        lat = lat0 + rs.normal(0, 1, k) * spread
        lon = lon0 + rs.normal(0, 1, k) * spread * 1.15
        for i, la, lo in zip(which, lat, lon, strict=True):
            if shapely.contains_xy(shapes[i], lo, la):
                out.append((float(la), float(lo), towns[i]["properties"]["code"]))
                if len(out) == n:
                    break
    return out


def incident_rows(
    n: int, seed: int = 7, now: Any = None, data_dir: str | Path | None = None
) -> list[dict[str, Any]]:
    """``n`` Incident column dicts (not inserted)."""
    rng = random.Random(seed)
    now = now or utcnow()
    rows = []
    for i, (lat, lon, town) in enumerate(demo_points(n, seed, data_dir)):
        code, cat = rng.choice(CATEGORIES)
        state = _weighted(rng, STATES)
        # about one open incident in eight is past its close deadline
        due = now + timedelta(hours=rng.uniform(-72, 24) if rng.random() < 0.12 else rng.uniform(2, 240))
        rows.append(
            {
                "id": new_id(),
                "township_code": town,
                "number": f"SJ{now:%Y%m%d}{i:06d}",
                "title": f"{cat}",
                "description": f"网格员巡查发现{cat}，请尽快处置。现场位于第{rng.randint(1, 30)}网格。",
                "category_code": code,
                "urgency": _weighted(rng, URGENCIES),
                "state": state,
                "lat": lat,
                "lon": lon,
                "address": f"{town[-3:]}号村道{rng.randint(1, 200)}号附近",
                "close_due": due,
                "closed_at": now if state == "closed" else None,
                "field_versions": {},
                "created_at": now - timedelta(hours=rng.uniform(1, 400)),
                "updated_at": now,
            }
        )
    return rows


def insert_demo_rows(
    store: Any,
    incidents: int = 400,
    reports: int = 25,
    members: int = 21,
    seed: int = 7,
    data_dir: str | Path | None = None,
) -> dict[str, list[str]]:
    """Insert demo incidents, open reports and team members; returns their ids by kind.

    Writes go straight to the store (no mutations, no outbox): this is fixture data.
    """
    rng = random.Random(seed + 1)
    now = utcnow()
    inc = incident_rows(incidents, seed, now, data_dir)
    rep_pts = demo_points(reports, seed + 2, data_dir)
    mem_pts = demo_points(members, seed + 3, data_dir)
    zones = {
        f["properties"]["id"]: f["properties"]["members"]
        for f in load_base_layers(None, data_dir).zones["features"]
    }
    zone_of = {t: z for z, ts in zones.items() for t in ts}
    rep = []
    for i, (lat, lon, town) in enumerate(rep_pts):
        code, cat = rng.choice(CATEGORIES)
        rep.append(
            {
                "id": new_id(),
                "township_code": town,
                "number": f"SB{now:%Y%m%d}{i:05d}",
                "source": rng.choice(SOURCES),
                "category_code": code,
                "description": f"{cat}：群众反映，待核实。",
                "lat": lat,
                "lon": lon,
                "address": f"{town[-3:]}号村道{rng.randint(1, 200)}号",
                "reporter_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "reported_at": now - timedelta(minutes=rng.uniform(1, 300)),
                "state": "new",
                "photos": [],
                "field_versions": {},
            }
        )
    mem = []
    for lat, lon, town in mem_pts:
        mem.append(
            {
                "id": new_id(),
                "township_code": town,
                "zone_id": zone_of.get(town, "TM"),
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "origin": "enforcement_bureau",
                "status": rng.choice(MEMBER_STATUSES),
                "status_at": now - timedelta(minutes=rng.uniform(1, 120)),
                "lat": lat,
                "lon": lon,
                "capabilities": [],
                "field_versions": {},
            }
        )
    with store.write() as session:
        have = set(session.scalars(select(EventCategory.code)))
        cats = [{"code": c, "name": n, "module": "平安法治"} for c, n in CATEGORIES if c not in have]
        if cats:
            session.execute(insert(EventCategory), cats)
        for model, rows in ((Incident, inc), (Report, rep), (TeamMember, mem)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(model), rows[start : start + 5000])
    return {
        "incident": [r["id"] for r in inc],
        "report": [r["id"] for r in rep],
        "team_member": [r["id"] for r in mem],
    }


def main(argv: list[str] | None = None) -> int:
    """Render map.png, map_selection.png and map_heat.png (in ``--out``) from a throw-away demo store."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument(
        "--days", type=int, default=5, help="days of history from the project's demo generator"
    )
    parser.add_argument(
        "--incidents", type=int, default=600, help="synthetic incidents if the generator fails"
    )
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--lang", default="zh_CN", choices=["zh_CN", "en"], help="language of the page")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from commandroom.queries.map import to_js
    from commandroom.store.local import DeskStore
    from ui.i18n import install_translators
    from ui.map.page import page_texts
    from ui.map.view import MapView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translators(app, args.lang)
    texts = page_texts()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="cr-map-demo-"))
    try:  # the project's demo generator: reference data, teams and N days of believable history
        from commandroom.refdata.seed import seed_database

        seed_database(f"sqlite:///{tmp / 'demo.db'}", demo_days=args.days)
        store = DeskStore(tmp / "demo.db")
    except Exception as exc:  # noqa: BLE001 - fall back to this module's synthetic rows
        print(f"demo generator unavailable ({exc}); using synthetic rows")
        store = DeskStore(tmp / "demo-synthetic.db")
        insert_demo_rows(store, incidents=args.incidents)
    w, h = (int(v) for v in args.size.split("x"))
    view = MapView(store)
    view.resize(w, h)
    view.show()

    def wait(condition, timeout_ms: int = 20000) -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if condition() else None)
        timer.start(50)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        timer.stop()

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    wait(lambda: view.is_ready)
    settle(1200)
    view.grab().save(str(out / "map.png"))

    done: list[Any] = []
    view.selection_made.connect(lambda ids: done.append(ids))
    # zoom to the county seat, then a rectangle over part of it, as a shift+drag would draw it
    view.run_js("cr.fitBounds(28.86, 118.44, 28.97, 118.58)")
    settle(1500)
    view.run_js("cr.selectBounds(28.895, 118.475, 28.935, 118.53)")
    wait(lambda: bool(done))
    settle(800)
    view.grab().save(str(out / "map_selection.png"))
    # heat of the open incidents, with the clusters switched off, at county scale; the layer
    # and button names are the page's own words, in the language it was built in
    heat = to_js(texts["heatLayer"])
    hidden = to_js([texts[k] for k in ("openIncidentsLayer", "reportsLayer", "teamsLayer")])
    county = to_js(texts["wholeCounty"])
    view.run_js(
        "cr.clearSelection(); cr.clearHighlight();"
        "document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function (l) {"
        "  var t = l.textContent.trim(); var box = l.querySelector('input');"
        f"  var on = t === {heat}, off = {hidden}.indexOf(t) >= 0;"
        "  if ((on && !box.checked) || (off && box.checked)) { box.click(); }"
        "});"
        "Array.from(document.querySelectorAll('.cr-tool'))"
        f".find(function (e) {{ return e.textContent === {county}; }}).click();"
    )
    settle(1500)
    view.grab().save(str(out / "map_heat.png"))
    print(
        f"wrote map.png, map_selection.png, map_heat.png to {out}; selection: {len(done[0]) if done else 0} incidents"
    )
    view.close()
    view.deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    store.close()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
