"""MapView: the offline incident map (folium page in a QWebEngineView), fed live from the store.

Life of a view:

1. Construction is cheap: no QtWebEngine or folium import. The page is built the first
   time the view is shown (or :meth:`MapView.start` is called): base layers from the
   store, page written to a temporary folder, loaded by file URL.
2. Meanwhile a reader thread reads the incidents, open reports and team positions.
3. Once the page has loaded *and* the rows are read, they are pushed with one
   ``runJavaScript`` (``cr.setIncidents`` …); when the page says they are drawn,
   :attr:`MapView.ready` is emitted.
4. Store change events touching ``incident``/``report``/``team_member`` are coalesced
   and only the changed rows are sent (``cr.upsertIncidents`` / ``cr.removeIncidents``
   …): markers appear, move and change colour without reloading the page. Changes
   to townships, zones or grids rebuild the base page (a reload, rare).

Signals: ``incident_activated(id)`` when a marker is clicked (the desktop opens the
incident's detail panel), ``selection_made(ids)`` after a rectangle/lasso selection.

Coordinates are stored in WGS84 and the page draws WGS84: nothing is converted here.
Base maps: the layers the desk downloaded from the county server (see
:mod:`commandroom.sync.basemap`, folder ``<database>-basemaps`` or ``basemap_dir=``) are offered in
the layer switch next to "no base map"; the page is rebuilt when a new version is switched in.
Without any, a ``tiles.mbtiles`` next to the workstation database (or ``tiles_path=``) still adds
an "offline tile base map" layer; with neither the map is all vector.

The page speaks the language of the translator installed when it is built (see
:func:`ui.map.page.page_config`); every build writes a fresh page, nothing is cached.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from commandroom.queries.map import (
    INCIDENT,
    KINDS,
    REPORT,
    TEAM_MEMBER,
    read_changed,
    read_snapshot,
    table,
    to_js,
)

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

BASE_KINDS = ("township", "zone", "grid")
SYNC_FLUSH_LIMIT = 2000  # more changed ids than this are read on the reader thread
JS_API = {INCIDENT: "Incidents", REPORT: "Reports", TEAM_MEMBER: "Teams"}
TILES_FILE = "tiles.mbtiles"


class MapView(QWidget):
    """The incident map: clustered incidents, heat, open reports, team members, selection tools."""

    incident_activated = Signal(str)
    selection_made = Signal(list)
    ready = Signal()
    page_loaded = Signal(bool)
    live_update_applied = Signal(object)  # {"incident": {...}, ...}: what the page reported back

    _snapshot_read = Signal(int, object)  # generation, snapshot | exception (from the reader thread)
    _changes_read = Signal(int, object)

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        tiles_path: str | Path | None = None,
        data_dir: str | Path | None = None,
        page_options: Any = None,
        basemap_dir: str | Path | None = None,
        masked: bool = False,
    ) -> None:
        """
        Args:
            store: the workstation's DeskStore (reads and change events).
            parent: the parent widget.
            tiles_path: an MBTiles file for the optional raster layer (default:
                ``tiles.mbtiles`` next to the store's database file).
            data_dir: the reference-data folder (default: the repo's ``data/``).
            page_options: a :class:`ui.map.page.PageOptions`.
            basemap_dir: the desk's downloaded base maps (default: beside the store's database).
        """
        super().__init__(parent)
        self.store = store
        self.tiles_path = Path(tiles_path) if tiles_path else Path(store.path).parent / TILES_FILE
        self.data_dir = data_dir
        self.page_options = page_options
        self.masked = masked  # the wall: every person's name and number masked, popups included
        from commandroom.basemap.local import desk_basemap_dir

        self.basemap_dir = Path(basemap_dir) if basemap_dir else desk_basemap_dir(store.path)
        self.basemap_keys: tuple[str, ...] = ()  # "layer:version" shown by the current page
        self._basemap_watch = None
        self.load_count = 0
        self.is_ready = False
        self.timings: dict[
            str, float
        ] = {}  # seconds since start(): page_built, loaded, rows_read, pushed, ready
        self._started = False
        self._generation = 0
        self._loaded = False
        self._snapshot: dict[str, dict[str, Any]] | None = None
        self._pushed = False
        self._ready_token = 0
        self._pending: dict[str, set[str]] = {kind: set() for kind in KINDS}
        self._flush_scheduled = False
        self._flush_running = False
        self._reload_scheduled = False
        self._page_dir: Path | None = None
        self._web = None
        self._page = None
        self._interceptor = None
        self._bridge = None
        self._channel = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel(self.tr("Loading the map…"), self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self._placeholder)

        from ui.async_runner import store_events

        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._snapshot_read.connect(self._on_snapshot_read)
        self._changes_read.connect(self._on_changes_read)

    # ------------------------------------------------------------------ public API

    def start(self) -> None:
        """Build and load the page now (otherwise it happens on first show)."""
        if self._started:
            return
        self._started = True
        self._t0 = time.perf_counter()
        self._build_page()

    def reload(self) -> None:
        """Rebuild the base page (reference data changed) and push everything again."""
        if not self._started:
            return
        self._build_page()

    def select_incident(self, incident_id: str, callback: Callable[[Any], None] | None = None) -> None:
        """Pan/zoom to the incident, ring it and open its popup (``cr.highlight``)."""
        self.run_js(f"cr.highlight({to_js(incident_id)})", callback)
        self._send_popup_photo(incident_id)

    def _send_popup_photo(self, incident_id: str) -> None:
        """Put the incident's photo in its open popup (not on the wall: photos may show people)."""
        if self.masked or self._page is None:
            return
        import base64

        from commandroom.queries.map import popup_photo

        data = popup_photo(self.store, incident_id)  # one primary-key read and one indexed lookup
        if data:
            url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
            self.run_js(f"cr.setPopupPhoto({to_js(incident_id)}, {to_js(url)})")

    def pan_to(self, incident_id: str, callback: Callable[[Any], None] | None = None) -> None:
        self.run_js(f"cr.panTo({to_js(incident_id)})", callback)

    def set_heat(self, points: list[list[float]] | None) -> None:
        """Explicit heat points ``[[lat, lon, weight], …]``; None: heat of the open incidents."""
        self.run_js(f"cr.setHeat({to_js(points)})")

    def clear_selection(self) -> None:
        self.run_js("cr.clearSelection()")

    def set_scale(self, scale: float) -> None:
        """Labels and markers ``scale`` times their desk size (the wall: its height / 1080 lines); kept for
        a page built later (a new base-map version), applied at once to the page shown."""
        from dataclasses import replace

        from ui.map.page import PageOptions

        scale = max(1.0, float(scale))
        before = (self.page_options or PageOptions()).tile_magnification
        self.page_options = replace(self.page_options or PageOptions(), scale=scale)
        if self._started and self.basemap_keys and self.page_options.tile_magnification != before:
            self.reload()  # the base map's tiles are drawn and laid out for the old size: build the page again
        elif self._page is not None and self._loaded:
            self._page.runJavaScript(f"cr.setScale({scale:g})", 0)

    def run_js(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run ``script`` in the page (main world); ``callback(result)`` gets its raw value.

        PySide6 6.12 hands objects, arrays and null to the callback as ``''``; use
        :meth:`evaluate` for anything but numbers, strings and booleans.
        """
        if self._page is None:
            raise RuntimeError("the map page is not built yet (show the view or call start())")
        if callback is None:
            self._page.runJavaScript(script, 0)
        else:
            self._page.runJavaScript(script, 0, callback)

    def evaluate(self, expression: str, callback: Callable[[Any], None]) -> None:
        """Evaluate a JavaScript *expression*; ``callback`` gets its value decoded from JSON."""
        self.run_js(f"JSON.stringify(({expression}) ?? null)", lambda text: callback(_decode(text)))

    def page(self):  # QWebEnginePage, imported lazily
        return self._page

    def web_view(self):  # QWebEngineView, imported lazily
        return self._web

    @property
    def page_dir(self) -> Path | None:
        return self._page_dir

    @property
    def tiles_served(self) -> int:
        """How many tiles the ``tiles:`` handler answered (0 without an MBTiles file)."""
        handler = None if self._page is None else self._page.tile_handler
        return 0 if handler is None else handler.served

    @property
    def blocked_requests(self) -> list[str]:
        return [] if self._interceptor is None else list(self._interceptor.blocked)

    @property
    def refused_navigations(self) -> list[str]:
        return [] if self._page is None else list(self._page.refused)

    # ------------------------------------------------------------------ Qt events

    def showEvent(self, event) -> None:  # Qt override
        super().showEvent(event)
        if not self._started:
            # Let the window paint first; the page build runs on the next loop turn.
            QTimer.singleShot(0, self.start)

    # ------------------------------------------------------------------ page

    def _build_page(self) -> None:
        # QtWebEngine and folium are imported here, not at module import: cold start matters.
        from PySide6.QtWebChannel import QWebChannel
        from PySide6.QtWebEngineWidgets import QWebEngineView

        from commandroom.queries.map_base import load_base_layers
        from ui.map import web
        from ui.map.bridge import MapBridge
        from ui.map.page import PageOptions, build_map_page
        from ui.map.tiles import MBTiles

        self._generation += 1
        self._loaded = False
        self._pushed = False
        self._snapshot = None
        self.is_ready = False

        old_dir = self._page_dir
        self._page_dir = Path(tempfile.mkdtemp(prefix="commandroom-map-"))
        self.destroyed.connect(_remover(self._page_dir))
        base = load_base_layers(self.store, self.data_dir)
        magnification = (self.page_options or PageOptions()).tile_magnification
        basemaps, sources = _open_basemaps(self.basemap_dir, magnification)
        self.basemap_keys = tuple(f"{b.layer}:{b.version}" for b in basemaps)
        tiles = None if basemaps else MBTiles.open_if_usable(self.tiles_path)
        index = build_map_page(
            self._page_dir, base, tiles=tiles.info if tiles else None, options=self.page_options,
            basemaps=[b.local for b in basemaps],
        )
        self._watch_basemaps()
        home = QUrl.fromLocalFile(str(index))

        if self._web is None:
            self._web = QWebEngineView(self)
            self._web.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
            self.layout().replaceWidget(self._placeholder, self._web)
            self._placeholder.hide()
        old_page = self._page
        page = web.make_page(home, tiles, self._web, sources=sources)
        self._interceptor = web.LocalOnlyInterceptor(self._page_dir, page)
        page.setUrlRequestInterceptor(self._interceptor)
        page.scripts().insert(web.bridge_script())
        self._bridge = MapBridge(page)
        self._bridge.incident_clicked.connect(self.incident_activated)
        self._bridge.incident_clicked.connect(self._send_popup_photo)
        self._bridge.selection_made.connect(self.selection_made)
        self._bridge.render_done.connect(self._on_render_done)
        self._channel = QWebChannel(page)
        self._channel.registerObject("crBridge", self._bridge)
        page.setWebChannel(self._channel, web.BRIDGE_WORLD)
        page.loadFinished.connect(self._on_load_finished)
        self._page = page
        self._web.setPage(page)
        if old_page is not None:
            old_page.deleteLater()
        if old_dir is not None:
            shutil.rmtree(old_dir, ignore_errors=True)
        self._mark("page_built")
        page.load(home)
        # Read the rows while Chromium (another process) loads the page; started after the
        # page build so the two do not fight over the GIL.
        self._request_snapshot()

    def _watch_basemaps(self) -> None:
        """Rebuild the page when the downloader switches a new base-map version in."""
        if self._basemap_watch is not None:
            return
        from PySide6.QtCore import QFileSystemWatcher

        self.basemap_dir.mkdir(parents=True, exist_ok=True)
        self._basemap_watch = QFileSystemWatcher([str(self.basemap_dir)], self)
        self._basemap_watch.directoryChanged.connect(self._on_basemap_dir_changed)

    def _on_basemap_dir_changed(self, _path: str) -> None:
        from commandroom.basemap.local import installed_layers

        keys = tuple(f"{e['layer']}:{e['version']}" for e in installed_layers(self.basemap_dir)
                     if e.get("layer") in ("streets", "imagery", "labels"))
        if keys != self.basemap_keys and not self._reload_scheduled:
            self._reload_scheduled = True
            QTimer.singleShot(0, self._reload_now)

    def _on_load_finished(self, ok: bool) -> None:
        if not ok:
            # A refused navigation also ends in loadFinished(False); the page stays as it was.
            if not self._loaded:
                log.error("the map page failed to load from %s", self._page_dir)
            return
        self.load_count += 1
        self._loaded = True
        self._mark("loaded")
        self.page_loaded.emit(ok)
        self._push_snapshot()

    # ------------------------------------------------------------------ data

    def _request_snapshot(self) -> None:
        from ui.async_runner import READ_EXECUTOR

        generation = self._generation
        store = self.store
        masked = self.masked
        emit = self._snapshot_read.emit  # a bound signal: safe to emit from the reader thread

        def work() -> None:
            try:
                emit(generation, read_snapshot(store, masked))
            except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
                emit(generation, exc)

        READ_EXECUTOR.submit(work)

    def _on_snapshot_read(self, generation: int, snapshot: Any) -> None:
        if generation != self._generation:
            return  # a newer page was built meanwhile
        if isinstance(snapshot, Exception):
            log.error("reading the map's rows failed", exc_info=snapshot)
            snapshot = {kind: table(kind, []) for kind in KINDS}
        self._snapshot = snapshot
        self._mark("rows_read")
        self._push_snapshot()

    def _push_snapshot(self) -> None:
        if not self._loaded or self._snapshot is None or self._pushed or self._page is None:
            return
        self._pushed = True
        self._ready_token += 1
        snap = self._snapshot
        self._snapshot = None  # the page owns the rows now; keep no 50k-row copy around
        script = ";".join(
            [f"cr.set{JS_API[kind]}({to_js(snap[kind])})" for kind in KINDS]
            + [f"cr.afterRender({self._ready_token})"]
        )
        self._page.runJavaScript(script, 0)
        self._mark("pushed")
        if any(self._pending.values()):
            self._schedule_flush()

    def _on_render_done(self, token: int) -> None:
        if token == self._ready_token and not self.is_ready:
            self.is_ready = True
            self._mark("ready")
            self.ready.emit()

    def _reload_now(self) -> None:
        self._reload_scheduled = False
        self.reload()

    def _mark(self, step: str) -> None:
        self.timings[step] = time.perf_counter() - getattr(self, "_t0", time.perf_counter())

    def _on_store_changes(self, changes: Any) -> None:
        if any(changes.touches(k) for k in BASE_KINDS) and not self._reload_scheduled:
            self._reload_scheduled = True  # a pulled page of reference data: one rebuild
            QTimer.singleShot(0, self._reload_now)
        touched = False
        for kind in KINDS:
            ids = changes.ids(kind)
            if ids:
                self._pending[kind].update(ids)
                touched = True
        if touched:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            QTimer.singleShot(0, self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._pushed or self._flush_running or self._page is None:
            return  # the initial push (or a running flush) picks the pending ids up later
        pending = {kind: ids for kind, ids in self._pending.items() if ids}
        if not pending:
            return
        self._pending = {kind: set() for kind in KINDS}
        generation = self._generation
        if sum(len(v) for v in pending.values()) <= SYNC_FLUSH_LIMIT:
            # A handful of rows: a few ms of SQLite on the GUI thread beats a thread hop.
            self._apply_changes(
                generation, {kind: read_changed(self.store, kind, ids, self.masked) for kind, ids in pending.items()}
            )
            return
        from ui.async_runner import READ_EXECUTOR

        self._flush_running = True
        store = self.store
        masked = self.masked
        emit = self._changes_read.emit

        def work() -> None:
            try:
                emit(generation, {kind: read_changed(store, kind, ids, masked) for kind, ids in pending.items()})
            except Exception as exc:  # noqa: BLE001
                emit(generation, exc)

        READ_EXECUTOR.submit(work)

    def _on_changes_read(self, generation: int, result: Any) -> None:
        self._flush_running = False
        if isinstance(result, Exception):
            log.error("reading changed map rows failed", exc_info=result)
        elif generation == self._generation:
            self._apply_changes(generation, result)
        if any(self._pending.values()):
            self._schedule_flush()

    def _apply_changes(
        self, generation: int, changed: dict[str, tuple[list[dict[str, Any]], list[str]]]
    ) -> None:
        if generation != self._generation or self._page is None:
            return
        parts = []
        for kind, (rows, removed) in changed.items():
            api = JS_API[kind]
            parts.append(
                f"{kind}:{{upsert:cr.upsert{api}({to_js(rows)}),remove:cr.remove{api}({to_js(removed)})}}"
            )
        script = "JSON.stringify({" + ",".join(parts) + "})"
        self._page.runJavaScript(script, 0, lambda text: self.live_update_applied.emit(_decode(text)))


class _OpenBaseMap:
    def __init__(self, entry: dict[str, Any], tiles: Any) -> None:
        from ui.map.tiles import LocalBaseMap

        self.layer = entry["layer"]
        self.version = entry.get("version")
        self.tiles = tiles
        self.local = LocalBaseMap(self.layer, entry.get("crs", "wgs84"), tiles.info, Path(entry["path"]))


def _open_basemaps(folder: Path, scale: float = 1.0) -> tuple[list[_OpenBaseMap], dict[str, Any]]:
    """The desk's base maps, opened read-only (an unreadable file is skipped, and logged); vector tiles are
    drawn to PNG on the desk (``scale``: the page's tile magnification, ``256 × scale``-pixel tiles with
    names and roads to match, for the wall)."""
    from commandroom.basemap.local import installed_layers
    from ui.map.tiles import open_tiles

    out = []
    for entry in installed_layers(folder):
        if entry.get("layer") not in ("streets", "imagery", "labels"):
            continue  # an unknown layer is not drawn
        fmt = entry.get("tile_format") or (None if entry.get("raster", True) else "pbf")
        tiles = open_tiles(entry["path"], fmt, scale=scale)
        if tiles is not None:
            out.append(_OpenBaseMap(entry, tiles))
    return out, {b.layer: b.tiles for b in out}


def _decode(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _remover(path: Path) -> Callable[..., None]:
    """A destroyed() handler that holds the path, not the (then dead) view."""

    def remove(*_args: Any) -> None:
        shutil.rmtree(path, ignore_errors=True)

    return remove
