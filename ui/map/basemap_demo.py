"""Screenshots of the map over the demo base map: ``python -m ui.map.basemap_demo [--out docs/screenshots]``.

Writes ``map_basemap.png`` (whole county) and ``map_basemap_street.png`` (天马街道 at zoom 14) from a
throw-away demo store, with the demo base map (:mod:`commandroom.basemap.demo`, cached in the temp
folder) installed as the desk's downloaded ``streets`` layer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any


def install_demo_basemap(folder: Path, cache: Path) -> None:
    """Put the demo base map where a desk keeps its downloaded base maps (as version 1 of ``streets``)."""
    from commandroom.basemap.demo import MAX_ZOOM, MIN_ZOOM, ensure_demo_basemap
    from commandroom.basemap.local import write_manifest

    package = ensure_demo_basemap(cache)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(package, folder / "streets-v1.mbtiles")
    write_manifest(folder, {"layers": {"streets": {
        "id": "demo", "layer": "streets", "version": 1, "name": "常山县演示底图", "tile_format": "png",
        "raster": True, "crs": "wgs84", "min_zoom": MIN_ZOOM, "max_zoom": MAX_ZOOM, "file": "streets-v1.mbtiles"}}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--size", default="1600x1000")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from commandroom.refdata.seed import seed_database
    from commandroom.store.local import DeskStore
    from ui.i18n import install_translators
    from ui.map.view import MapView
    from ui.map.web import register_schemes

    register_schemes()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_translators(app, "zh_CN")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="cr-basemap-shots-"))
    seed_database(f"sqlite:///{tmp / 'demo.db'}", demo_days=args.days)
    store = DeskStore(tmp / "demo.db")
    install_demo_basemap(tmp / "desk-basemaps", Path(tempfile.gettempdir()) / "cr-demo-basemap")
    w, h = (int(v) for v in args.size.split("x"))
    view = MapView(store, basemap_dir=tmp / "desk-basemaps")
    view.resize(w, h)
    view.show()

    def settle(ms: int, condition: Any = None) -> None:
        loop = QEventLoop()
        timer = QTimer()
        if condition is not None:
            timer.timeout.connect(lambda: loop.quit() if condition() else None)
            timer.start(50)
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        timer.stop()

    settle(30_000, lambda: view.is_ready)
    settle(1500)
    view.grab().save(str(out / "map_basemap.png"))
    view.run_js("Object.values(window).find(function (v) { return v instanceof L.Map; })"
                ".setView([28.904, 118.512], 14, {animate: false})")
    settle(2000)
    view.grab().save(str(out / "map_basemap_street.png"))
    print(f"wrote map_basemap.png and map_basemap_street.png to {out} ({view.tiles_served} tiles served)")
    view.close()
    view.deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
