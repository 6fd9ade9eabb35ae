"""Map benchmarks: time to a ready map at 1k / 10k / 50k incidents, and one live update.

Each figure is measured against folium's default approach in the same run: a
``MarkerCluster`` page with every incident baked into the HTML as a ``folium.Marker``
(its Leaflet and markercluster served from the same local files, so it renders offline),
whose only way to show a change is to rebuild and reload the page.

* map ready = from creating the MapView (page build, page load, reading the rows from
  SQLite, pushing them, clustering) until the page reports two animation frames after the
  clustering finished. The baseline = folium render + write + load + the same two frames.
* live update = from the store's change event of one incident (state, urgency and
  position changed) until the page has applied it and drawn the next frame.

Run: ``python -m tests.perf map`` (offscreen). Both sides run after one warm-up page, so
Chromium's process start-up (a one-off per app run, ≈0.5 s here) is in neither figure;
it is reported separately as "first map, cold".
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from tests.perf.measure import Measure, percentile

SIZES = (1_000, 10_000, 50_000)
READY_TARGET_S = {1_000: 1.5, 10_000: 1.5, 50_000: 5.0}  # 10k: the target; 1k/50k: ours
LIVE_TARGET_MS = 50.0
LIVE_REPEATS = 15
BASELINE_MAX = int(os.environ.get("CR_BENCH_MAP_BASELINE_MAX", "50000"))  # folium needs minutes at 50k


class _Loop:
    """Spin a QEventLoop until a condition holds (no processEvents, no nested pytest-qt)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self._QEventLoop = QEventLoop
        self._QTimer = QTimer

    def until(self, condition, timeout_s: float = 120.0) -> None:
        if condition():
            return
        loop = self._QEventLoop()
        timer = self._QTimer()
        timer.setInterval(1)
        timer.timeout.connect(lambda: loop.quit() if condition() else None)
        deadline = self._QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        timer.start()
        deadline.start(int(timeout_s * 1000))
        loop.exec()
        timer.stop()
        if not condition():
            raise TimeoutError("benchmark step timed out")


def _store_with(n: int, root: Path) -> Any:
    from commandroom.store.local import DeskStore
    from tools.screenshots.map import insert_demo_rows

    store = DeskStore(root / f"bench-{n}.db")
    insert_demo_rows(store, incidents=n, reports=30, members=60, seed=n)
    return store


def _open_map(store: Any, loop: _Loop) -> tuple[Any, float]:
    from ui.map.view import MapView

    t0 = time.perf_counter()
    view = MapView(store)
    view.resize(1400, 900)
    view.show()
    view.start()
    loop.until(lambda: view.is_ready)
    return view, time.perf_counter() - t0


def _close(view: Any) -> None:
    view.close()
    view.deleteLater()


def _folium_baseline(store: Any, out: Path, loop: _Loop) -> tuple[float, float, Any]:
    """folium's default MarkerCluster page, every marker baked in; returns (total s, build s, view)."""
    import folium
    from folium.plugins import MarkerCluster
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from commandroom.queries.map import read_all
    from ui.map import page as map_page
    from ui.map import web

    t0 = time.perf_counter()
    rows = read_all(store, "incident")
    # maxZoom: without a tile layer Leaflet has none and markercluster refuses to work
    m = map_page.offline_map(location=[28.99, 118.5], zoom_start=10, tiles=None, maxZoom=18)
    cluster = MarkerCluster()
    cluster.default_js = list(map_page.CLUSTER_JS)
    cluster.default_css = list(map_page.CLUSTER_CSS)
    cluster.add_to(m)
    for r in rows:
        # a tooltip, not a popup: folium's Popup needs the jQuery this offline page cannot load
        folium.Marker([r["lat"], r["lon"]], tooltip=r["title"]).add_to(cluster)
    out.mkdir(parents=True, exist_ok=True)
    map_page.copy_assets(out)
    html = m.get_root().render()
    # the same "drawn" signal as the map page: after the first paint following the load
    html = html.replace(
        "</html>",
        "<script>window.__done = false; requestAnimationFrame(function () "
        "{ setTimeout(function () { window.__done = true; }, 0); });</script></html>",
    )
    path = out / "folium.html"
    path.write_text(html, encoding="utf-8")
    build = time.perf_counter() - t0

    view = QWebEngineView()
    view.resize(1400, 900)
    home = QUrl.fromLocalFile(str(path))
    page_obj = web.make_page(home, None, view)
    page_obj.setUrlRequestInterceptor(web.LocalOnlyInterceptor(out, page_obj))
    view.setPage(page_obj)
    loaded: list[bool] = []
    page_obj.loadFinished.connect(loaded.append)
    view.show()
    page_obj.load(home)
    loop.until(lambda: bool(loaded))
    done: list[Any] = []

    def poll() -> bool:
        if not done or done[-1] is not True:
            page_obj.runJavaScript("window.__done === true", 0, done.append)
        return bool(done) and done[-1] is True

    loop.until(poll)
    return time.perf_counter() - t0, build, view


def _live_update(view: Any, store: Any, loop: _Loop, incident_ids: list[str]) -> list[float]:
    """Seconds from a one-incident change event to the page having drawn it, per repeat."""
    from commandroom.domain.models import Incident
    from commandroom.mutations.core import Changes

    times = []
    states = ["dispatched", "in_progress", "awaiting_verification", "returned"]
    painted: list[int] = []
    view._bridge.render_done.connect(painted.append)
    for k in range(LIVE_REPEATS):
        iid = incident_ids[(k * 7919) % len(incident_ids)]
        with store.write() as session:
            row = session.get(Incident, iid)
            row.state = states[k % len(states)]
            row.urgency = "L1" if k % 2 else "L2"
            row.lat += 0.002
        applied: list[Any] = []
        token = 10_000 + k

        def on_applied(result: Any, token: int = token, applied: list[Any] = applied) -> None:
            applied.append(result)
            view.run_js(f"cr.afterRender({token})")

        view.live_update_applied.connect(on_applied)
        changes = Changes()
        changes.note("incident", iid)
        t0 = time.perf_counter()
        store.emit(changes)
        loop.until(lambda token=token: token in painted, timeout_s=10)
        times.append(time.perf_counter() - t0)
        view.live_update_applied.disconnect(on_applied)
        assert applied and applied[0]["incident"]["upsert"]["updated"] == 1
    return times


def run() -> list[Measure]:
    """The map measures (see the module docstring)."""
    from PySide6.QtWidgets import QApplication

    from ui.map.web import register_schemes

    register_schemes()
    app = QApplication.instance() or QApplication([])  # noqa: F841 - keeps the app alive
    loop = _Loop()
    root = Path(tempfile.mkdtemp(prefix="cr-bench-map-"))
    measures: list[Measure] = []
    try:
        # warm-up: Chromium's zygote/renderer start-up, paid once per application run
        warm = _store_with(100, root)
        view, cold = _open_map(warm, loop)
        _close(view)
        measures.append(
            Measure(
                "map: first map of the run, cold (100 incidents)", cold, "s", None, "", "informational", True
            )
        )

        for n in SIZES:
            store = _store_with(n, root)
            with store.read() as session:
                from sqlalchemy import select

                from commandroom.domain.models import Incident

                ids = list(session.scalars(select(Incident.id)))
            base_total = base_build = None
            base_view = None
            if n <= BASELINE_MAX:
                base_total, base_build, base_view = _folium_baseline(store, root / f"folium-{n}", loop)
                _close(base_view)
            view, ready = _open_map(store, loop)
            target = READY_TARGET_S[n]
            measures.append(
                Measure(
                    f"map ready, {n:,} incidents (build+load+push+cluster+paint)",
                    ready,
                    "s",
                    base_total,
                    f"folium MarkerCluster baked in; of which folium build {base_build:.2f} s"
                    if base_build
                    else "",
                    f"≤ {target} s",
                    ready <= target,
                    key=f"map.ready_{n}",
                )
            )
            if n >= 10_000:
                times = _live_update(view, store, loop, ids)
                med = statistics.median(times) * 1000
                p95 = percentile(times, 95) * 1000
                measures.append(
                    Measure(
                        f"live update at {n:,} incidents, median of {LIVE_REPEATS} (p95 {p95:.1f} ms)",
                        med,
                        "ms",
                        base_total * 1000 if base_total else None,
                        "folium: rebuild and reload the whole page",
                        f"≤ {LIVE_TARGET_MS:.0f} ms",
                        p95 <= LIVE_TARGET_MS,
                        key=f"map.live_update_{n}",
                    )
                )
            _close(view)
            store.close()
    finally:
        from PySide6.QtCore import QCoreApplication, QEvent

        # delete the closed views now, while the application still exists (pages before profiles)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        shutil.rmtree(root, ignore_errors=True)
    return measures


if __name__ == "__main__":
    for m in run():
        print(m.row())
