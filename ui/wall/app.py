"""``commandroom wall [--screen N] [--profile NAME]``: the wall screen as its own process.

Start-up reuses the desktop's pieces (:mod:`ui.app`): the store is opened on the writer
thread while Qt starts, translations and the dark theme are installed, one qasync loop
runs everything. Differences from the desktop, because nobody sits at a wall:

* no error dialogs: uncaught exceptions are logged (``logs/wall-<profile>.log``) and the
  wall keeps running;
* sign-in: a profile that has signed in before (``DeskStore.auth()`` holds a refresh
  token) starts its sync engine without any dialog, also while the server is down; only
  the very first start of a profile shows the desktop's login dialog;
* the window opens full screen and chrome-less on screen ``N``;
* :func:`ui.incidents.refcounts.install` keeps ``None``/``True``/``False`` alive under the
  PySide6 6.12 reference leak (a busy wall loses 300–700 references to ``None`` a second).

SIGTERM/SIGINT close the wall cleanly (the store is closed on the writer thread).
``COMMANDROOM_WALL_WINDOWED=1`` opens it in a normal window instead (setting a wall up).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commandroom.store.protocol import Store


log = logging.getLogger(__name__)


def open_store(path: Path) -> Any:
    """Open (and migrate) the profile's DeskStore, with the wall's small page cache; runs on the writer thread."""
    from commandroom.store.local import DeskStore
    from commandroom.store.page_cache import bound_page_cache

    store = DeskStore(path)
    bound_page_cache(store)
    return store


def make_engine_for(store: Store, settings: Any, server_url: str, workstation_name: str) -> Any:
    """A SyncEngine for ``server_url`` (None when the sync package is not installed).

    A public wrapper of :func:`ui.app._make_engine` (the desktop's own factory), so the wall
    builds its engine exactly as the desktop does.
    """
    from ui.app import _make_engine

    return _make_engine(store, settings, SimpleNamespace(server_url=server_url, workstation_name=workstation_name))


def install_wall_excepthook() -> None:
    """Log uncaught exceptions (async slots included) and keep running: a wall shows no dialogs."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("uncaught exception on the wall", exc_info=(exc_type, exc, tb))

    sys.excepthook = hook


async def start_engine(store: Store, settings: Any, profile: str) -> Any:
    """The profile's sync engine, signed in from the stored tokens; the login dialog only on a first start.

    Returns None when the wall runs without a server (the user closed the first login, or no
    sync package); raises nothing the wall cannot live with.
    """
    from ui.async_runner import run_read

    auth = await run_read(store.auth)
    if auth.get("refresh_token"):
        server_url = auth.get("server_url") or await run_read(store.meta, "server_url") or settings.server_url
        workstation = (await run_read(store.meta, "workstation_name") or settings.workstation_name
                       or f"wall-{profile}")
        try:
            return make_engine_for(store, settings, server_url, workstation)
        except Exception:  # e.g. plain http refused: the wall shows local data and says so
            log.exception("wall: cannot build the sync engine for %s", server_url)
            return None
    from ui.app import sign_in

    holder: dict[str, Any] = {}
    actor = await sign_in(store, settings, holder)
    if actor is None:
        return None
    return holder.get("engine")


def _start_basemaps(engine: Any, store: Store) -> Any:
    """The wall downloads the base map like a desk (no status bar: it simply appears on the map)."""
    if not hasattr(engine, "client") or not hasattr(engine, "on_status"):
        return None
    from commandroom.basemap.local import desk_basemap_dir
    from commandroom.sync.basemap import BaseMapSync

    return BaseMapSync.for_engine(engine, desk_basemap_dir(store.path))


async def wall_main(app: Any, settings: Any, profile: str, screen: int, store_future: Any) -> int:
    from ui.async_runner import DB_EXECUTOR, forget_store
    from ui.wall.banner import NO_ENGINE
    from ui.wall.config import load_wall_config
    from ui.wall.window import WallWindow

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread (tests)
            signal.signal(sig, lambda *_a: loop.call_soon_threadsafe(closed.set))

    store = await asyncio.wrap_future(store_future)
    config = load_wall_config(settings.config_dir, profile, sound=settings.sound)
    engine = await start_engine(store, settings, profile)
    window = WallWindow(store, config, sound_dir=settings.data_dir)
    window.closed.connect(closed.set)
    basemaps = None
    if engine is not None:
        window.attach_engine(engine)
        basemaps = _start_basemaps(engine, store)  # the wall's map shows the county's base map too
        start = getattr(engine, "start", None)
        if callable(start):
            result = start()
            if asyncio.iscoroutine(result):
                window.engine_start_task = asyncio.ensure_future(result)  # kept: a task nobody holds may vanish
    else:
        window.set_sync_status(NO_ENGINE)
    window.show_on_screen(screen, full_screen=os.environ.get("COMMANDROOM_WALL_WINDOWED") is None)
    from ui import gc_policy

    window.gc_collector = gc_policy.install(window)  # collect on this thread only (see ui/gc_policy.py)
    log.info("wall %s on screen %d: pages %s, interval %.0f s%s", profile, screen, ", ".join(config.pages),
             config.interval_s, f", fixed page {config.fixed_page}" if config.fixed_page else "")
    await closed.wait()
    window.shutdown()
    window.deleteLater()
    if basemaps is not None:
        await basemaps.aclose()
    if engine is not None:
        stop = getattr(engine, "aclose", None) or getattr(engine, "stop", None)
        if callable(stop):
            result = stop()
            if asyncio.iscoroutine(result):
                await result
    forget_store(store)
    await loop.run_in_executor(DB_EXECUTOR, store.close)
    return 0


def run_wall(settings: Any, screen: int = 0, profile: str = "wall") -> int:
    """Run the wall screen until it is closed (or SIGTERM); returns the exit code.

    Args:
        settings: ``commandroom.config.Settings``.
        screen: index of the screen to fill (0: the first).
        profile: local profile (its own database ``workstation-<profile>.db`` and
            ``wall-<profile>.json`` settings).
    """
    from ui.wall.heap import use_one_heap

    use_one_heap()  # before any other thread allocates: the readers share the main heap (ui/wall/heap.py)
    from commandroom.config import setup_logging
    from ui.incidents import refcounts

    refcounts.install()  # PySide6 6.12 on CPython 3.11 leaks references to None/True: see ui/incidents/refcounts.py
    log_path = None
    try:
        log_path = setup_logging(settings, f"wall-{profile}")
    except OSError:
        logging.basicConfig(level=logging.INFO)
    from ui.async_runner import DB_EXECUTOR

    store_future = DB_EXECUTOR.submit(open_store, settings.client_db_path(profile))
    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.i18n import install_translators
    from ui.qt_process import install_fault_logging, prepare_process
    from ui.theme import apply_theme

    prepare_process(settings)  # root: --no-sandbox for the map's web engine; shared GL contexts; Qt caches
    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_fault_logging(log_path.parent if log_path else None, f"wall-{profile}")
    app.setApplicationName("CommandRoom wall")
    from ui.theme import app_icon

    app.setWindowIcon(app_icon())
    app.setOrganizationName("Changshan")
    app.setQuitOnLastWindowClosed(False)
    install_translators(app, settings.language)
    apply_theme(app, "dark")
    install_wall_excepthook()
    try:
        from ui.map.web import register_schemes

        register_schemes()  # before the first QtWebEngine object
    except ImportError:
        log.info("QtWebEngine not available: the wall shows no map")
    # One QApplication.exec() for the whole run, as in ui/app.py: asyncio.Runner's shutdown pass would
    # exec() again after QtWebEngine's teardown on aboutToQuit, which crashes on exit.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(wall_main(app, settings, profile, screen, store_future)) or 0)
    finally:
        sys.excepthook = sys.__excepthook__
