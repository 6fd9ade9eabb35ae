"""Screenshots of the wall: ``python -m tools.screenshots.wall --out docs/screenshots``.

Seeds a store with 7 days of demo history (``seed_database(demo_days=7)``, cached under the
temp dir), opens the wall offscreen in Chinese (``--lang en``: English, files named ``en_*.png``) and saves:

* ``wall_overview_1080p.png`` — the overview at 1920×1080;
* ``wall_overview_4k.png`` — the same at 3840×2160 (everything twice as big);
* ``wall_offline_banner.png`` — the overview while the server cannot be reached;
* ``wall_zones.png`` — the 7-zone page;
* ``wall_map_1080p.png`` / ``wall_map_4k.png`` — the map page over the demo base map (installed as the
  workstation's downloaded ``streets`` layer): its tiles drawn two / four times larger, so the names
  read from across the room (issue 19);
* ``wall_urgent_takeover.png`` — an urgent incident taking over the map (the big card alone
  when QtWebEngine is not available).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from tools.screenshots import seeded_store_copy, shot_name

DEMO_DAYS = 7


def demo_store_path() -> Path:
    """A copy of a store seeded with 7 days of demo history (seeded once per machine, then copied)."""
    return seeded_store_copy(f"wall-demo-{DEMO_DAYS}", DEMO_DAYS)


async def _settle(window: Any, seconds: float = 1.5) -> None:
    """Let loads finish and paint (no processEvents: the loop runs)."""
    await asyncio.sleep(seconds)
    for page in window.watched_pages().values():
        for _ in range(100):
            if not page.loading:
                break
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)


def _install_demo_basemap(store_path: Path) -> None:
    """The demo base map as the workstation's downloaded streets layer (what ``make demo`` desks get)."""
    import tempfile

    from commandroom.basemap.local import desk_basemap_dir
    from ui.map.basemap_demo import install_demo_basemap

    install_demo_basemap(desk_basemap_dir(store_path), Path(tempfile.gettempdir()) / "cr-demo-basemap")


async def _map_ready(map_page: Any, timeout_s: float = 60.0) -> None:
    """Wait until the map page has drawn (Chromium, the page, the markers) and its tiles have loaded."""
    for _ in range(round(timeout_s * 10)):
        if getattr(map_page.view, "is_ready", False):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.5)


def _urgent_incident(store: Any) -> str:
    """Write a new urgent (L1) incident at a real grid, as a pulled page would; returns its id."""
    from sqlalchemy import select

    from commandroom.domain.models import Grid, Incident, Township
    from commandroom.ids import new_id
    from commandroom.mutations.core import Changes
    from commandroom.timeutil import utcnow

    now = utcnow()
    iid = new_id()
    with store.write() as session:
        town = session.get(Township, "330822111")
        grid = session.execute(select(Grid.id, Grid.lat, Grid.lon).where(
            Grid.township_code == town.code, Grid.lat.is_not(None)).order_by(Grid.id).limit(1)).one()
        session.add(Incident(
            id=iid, township_code=town.code, zone_id=town.zone_id, number="QC-E-2026-009999",
            title="球川镇东山村后山林地起火，火势向村庄蔓延", category_code="forest_fire", urgency="L1",
            state="pending_dispatch", lat=grid.lat, lon=grid.lon, grid_id=grid.id,
            address="常山县球川镇东山村后山", description="村民来电：后山林地起火，火势较大。联系人：王建国，电话13812345678。",
            created_at=now - timedelta(minutes=2), updated_at=now, ack_due=now + timedelta(minutes=10),
            onsite_due=now + timedelta(minutes=30), close_due=now + timedelta(days=1)))
    changes = Changes()
    changes.note("incident", iid)
    store.emit(changes)
    return iid


async def take(out: Path) -> list[Path]:
    from commandroom.store.local import DeskStore
    from commandroom.sync.status import SyncStatus
    from commandroom.timeutil import utcnow
    from ui.async_runner import forget_store
    from ui.wall.config import WallConfig
    from ui.wall.window import WallWindow

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    path = demo_store_path()
    _install_demo_basemap(path)
    store = DeskStore(path)
    online = SyncStatus(online=True, last_success=utcnow())
    try:
        config = WallConfig(interval_s=3600, pages=("overview", "zones", "map"), sound=False, urgent_s=3600)
        window = WallWindow(store, config)
        window.set_sync_status(online)
        window.resize(1920, 1080)
        window.show()
        await _settle(window, 3.0)
        path = out / shot_name("wall_overview_1080p.png")
        window.grab().save(str(path))
        saved.append(path)

        window.resize(3840, 2160)
        await _settle(window)
        path = out / shot_name("wall_overview_4k.png")
        window.grab().save(str(path))
        saved.append(path)

        window.resize(1920, 1080)
        await _settle(window, 0.5)
        # back from 4K the larger scale's minimum widths (longer in English) may have widened the window while
        # the smaller scale was applied: ask for 1080p again once they have shrunk
        window.resize(1920, 1080)
        now = utcnow()
        window.set_sync_status(SyncStatus(online=False, offline_since=now - timedelta(minutes=7),
                                          last_success=now - timedelta(minutes=8), last_error="ConnectError"))
        await _settle(window, 0.8)
        path = out / shot_name("wall_offline_banner.png")
        window.grab().save(str(path))
        saved.append(path)
        window.set_sync_status(online)

        window._on_page_requested("zones")
        await _settle(window)
        path = out / shot_name("wall_zones.png")
        window.grab().save(str(path))
        saved.append(path)

        map_page = window.pages["map"]
        if map_page.has_map:
            window._on_page_requested("map")
            await _map_ready(map_page)
            path = out / shot_name("wall_map_1080p.png")
            window.grab().save(str(path))
            saved.append(path)
            window.resize(3840, 2160)  # a 4K wall: the base map is drawn again, four times larger
            await asyncio.sleep(0.5)
            await _map_ready(map_page)
            path = out / shot_name("wall_map_4k.png")
            window.grab().save(str(path))
            saved.append(path)
            window.resize(1920, 1080)
            await asyncio.sleep(0.5)
            window.resize(1920, 1080)
            await _map_ready(map_page)
        _urgent_incident(store)
        for _ in range(100):
            if window.in_takeover:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(4.0 if map_page.has_map else 1.0)
        path = out / shot_name("wall_urgent_takeover.png")
        window.grab().save(str(path))
        saved.append(path)
        window.close()
        window.deleteLater()
        await asyncio.sleep(0.3)
    finally:
        forget_store(store)
        store.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--lang", default="zh_CN", help="zh_CN (default) or en; English shots are named en_*.png")
    args = parser.parse_args(argv)
    import tools.screenshots

    tools.screenshots.LANG = args.lang
    tools.screenshots.private_home()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    import qasync
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from ui.i18n import install_translators
    from ui.incidents import refcounts
    from ui.theme import apply_theme

    refcounts.install()
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    install_translators(app, args.lang)
    apply_theme(app, "dark")
    try:
        from ui.map.web import register_schemes

        register_schemes()
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        saved = runner.run(take(Path(args.out)))
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
