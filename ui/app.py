"""Desktop entry point: ``commandroom desktop`` calls :func:`run_desktop`.

Start-up order: QApplication → translations → theme → one qasync loop → the sign-in dialog,
prefilled from the store's meta read with ``sqlite3`` alone (:func:`commandroom.store.peek.peek_meta`)
→ once it is shown, the core is imported and the local store opened on the writer thread while
the user types (:class:`StoreOpener`; "Sign in" waits for it) → sign in (online, or offline
against the stored verifier) → main window → sync engine.

So the first window a user can type into costs Qt alone: SQLAlchemy and the models, most of a
cold start, load behind it (issue #4, ``tests/perf/bench_desktop_start.py``). Other heavy
modules (the inbox, qtawesome, the sync engine; never QtWebEngine) load only when the screen
that needs them is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)

_T0 = time.perf_counter()
PROBE_ENV = "COMMANDROOM_STARTUP_PROBE"  # benchmark hook: INTERACTIVE at the idle sign-in dialog, sign in
# as a probe user at once, READY at the idle main window, quit
TRACE_ENV = "COMMANDROOM_STARTUP_TRACE"  # print a start-up timeline to stderr


def _mark(what: str) -> None:
    if os.environ.get(TRACE_ENV):
        import threading

        print(f"{time.perf_counter() - _T0:7.3f} [{threading.current_thread().name}] {what}", file=sys.stderr,
              flush=True)


# ----------------------------------------------------------------------------- errors


def install_excepthook(log_path: Path | None = None, show_dialog: Any = None) -> None:
    """Log every uncaught exception (async slots included), write a crash report and show it in a dialog; keep running.

    ``show_dialog(exc_info, report_path, log_path, parent)`` replaces ``ui.crash.show_crash_dialog`` (tests);
    it returns the dialog (or None).
    """
    showing: dict[str, Any] = {"busy": False, "box": None}

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        from ui import crash

        report = None
        try:
            report = crash.write_crash_report((exc_type, exc, tb), log_path)
            log.error("crash report written to %s", report)
        except Exception:  # the report is a courtesy; the log has the traceback
            log.exception("the crash report could not be written")
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is None or showing["busy"]:
            return
        showing["busy"] = True
        box = (show_dialog or crash.show_crash_dialog)((exc_type, exc, tb), report, log_path,
                                                       QApplication.activeWindow())
        if box is None:
            showing["busy"] = False
            return
        box.finished.connect(lambda _r: showing.update(busy=False, box=None))
        showing["box"] = box  # a parentless dialog lives only as long as a Python reference to it

    sys.excepthook = hook


# ----------------------------------------------------------------------------- actor and sign-in


def actor_from_user(user: dict[str, Any], store: Store, workstation_name: str) -> Actor:
    """The mutation Actor of a signed-in user dict (``/auth/login``'s ``user``)."""
    from commandroom.mutations.core import Actor

    return Actor(
        user_id=user.get("id"),
        name=user.get("display_name") or user.get("username") or "",
        role=user.get("role") or "duty_officer",
        scope_kind=user.get("scope_kind") or "township",
        scope_code=user.get("scope_code"),
        township_code=user.get("township_code") or (
            user.get("scope_code") if (user.get("scope_kind") or "township") == "township" else None),
        device_id=store.device_id,
        device_name=workstation_name,
        roles=tuple(user.get("roles") or ()),
        department_code=user.get("department_code"),
    )


def make_authenticator(store: DeskStore, settings: Any, engine_holder: dict[str, Any]) -> Any:
    """The ``authenticate`` coroutine function of the login dialog.

    Tries the server through the sync engine (``commandroom.sync.engine.SyncEngine.login``);
    when the server cannot be reached, checks the password against the offline verifier
    (``DeskStore.verify_offline``). Wrong passwords are never retried offline.
    """
    from PySide6.QtCore import QCoreApplication

    from commandroom.domain.errors import DomainError
    from ui.async_runner import run_db, run_read
    from ui.login_dialog import LoginError, LoginResult

    async def authenticate(req: Any) -> Any:
        await run_db(store.set_meta, "server_url", req.server_url)
        await run_db(store.set_meta, "workstation_name", req.workstation_name)
        online_problem = ""
        try:
            engine = _make_engine(store, settings, req)
        except DomainError as exc:  # e.g. plain http to a remote server without allow_insecure_http
            raise LoginError(exc.message) from None
        old_engine = engine_holder.pop("engine", None)
        if old_engine is not None:  # a previous attempt in this dialog
            await old_engine.aclose()
        if engine is not None:
            engine_holder["engine"] = engine  # kept after an offline sign-in: it retries in the background
            try:
                result = await engine.login(req.username, req.password)
            except Exception as exc:  # noqa: BLE001 - classify below
                if _is_bad_credentials(exc):
                    raise LoginError(QCoreApplication.translate("Login", "Wrong user name or password.")) from None
                if _is_upgrade(exc):
                    raise LoginError(QCoreApplication.translate("Login", "This workstation's software is too old for the server. "
                                        "Install the new version; unsynced work is kept.")) from None
                online_problem = getattr(exc, "message", "") or str(exc) or exc.__class__.__name__
                log.info("online sign-in failed, trying offline: %s", online_problem)
            else:
                user = _user_of(result) or {"username": req.username}
                await run_db(store.set_meta, "last_username", req.username)
                return LoginResult(user=user, online=True)
        verify = getattr(store, "verify_offline", None)
        if verify is None:
            raise LoginError(QCoreApplication.translate("Login", "The server cannot be reached and this workstation cannot check passwords "
                                "offline yet.") + (f"\n{online_problem}" if online_problem else ""))
        user = await run_read(verify, req.username, req.password)
        if not user:
            if online_problem:
                raise LoginError(QCoreApplication.translate("Login", "The server cannot be reached, and the offline check failed: wrong password, "
                                    "or this account never signed in on this workstation.") + f"\n{online_problem}")
            raise LoginError(QCoreApplication.translate("Login", "Wrong user name or password."))
        if not isinstance(user, dict):
            user = await run_read(store.meta, "user") or {"username": req.username}
        await run_db(store.set_meta, "last_username", req.username)
        return LoginResult(user=user, online=False,
                           message=QCoreApplication.translate("Login", "Signed in offline. Changes are kept here and sync when the server is back."))

    return authenticate


def _make_engine(store: DeskStore, settings: Any, req: Any) -> Any:
    """A SyncEngine for the server the user entered."""
    from commandroom.sync.engine import SyncEngine

    return SyncEngine(store, req.server_url, device_name=req.workstation_name, ca_file=settings.ca_file or None,
                      allow_insecure_http=settings.allow_insecure_http)


def _start_basemaps(engine: Any, store: DeskStore, window: Any, actor: Actor | None = None) -> Any:
    """The background base-map download: it checks after each successful sync round (None without sync, and
    for an account without a map: the administrator's desk does not fetch the county's package)."""
    if not hasattr(engine, "client") or not hasattr(engine, "on_status"):
        return None
    from commandroom import permissions

    if actor is not None and not permissions.may(actor, "basemap.package"):
        return None
    from commandroom.basemap.local import desk_basemap_dir
    from commandroom.sync.basemap import BaseMapSync

    downloader = BaseMapSync.for_engine(engine, desk_basemap_dir(store.path))
    window.attach_basemaps(downloader)
    return downloader


def _user_of(result: Any) -> dict[str, Any] | None:
    if isinstance(result, dict):
        inner = result.get("user")
        return inner if isinstance(inner, dict) else (result or None)
    return None


def _status_of(exc: Exception) -> int | None:
    return getattr(exc, "status", None) or getattr(getattr(exc, "response", None), "status_code", None)


def _is_bad_credentials(exc: Exception) -> bool:
    return _status_of(exc) == 401 or getattr(exc, "code", "") == "bad_credentials"


def _is_upgrade(exc: Exception) -> bool:
    return _status_of(exc) == 426 or getattr(exc, "code", "") == "upgrade_required"


class StoreOpener:
    """The local store, opened on the writer thread in the background once :meth:`start` is called.

    The sign-in dialog is up before the core is imported; the store opens while the user types,
    and "Sign in" awaits :attr:`ready` (a future of the running loop).
    """

    def __init__(self, path: Path, job: Any = None) -> None:
        self.path = Path(path)
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self._job: Any = None
        if job is not None:  # already submitted (the demo opens it while Qt starts)
            self._watch(job)

    @classmethod
    def opened(cls, store: DeskStore) -> StoreOpener:
        """An opener whose store is already open (the wall, tests)."""
        opener = cls(store.path)
        opener._job = True
        opener.ready.set_result(store)
        return opener

    @property
    def started(self) -> bool:
        return self._job is not None

    def start(self) -> None:
        """Submit the open to the writer thread (once)."""
        if self._job is None:
            from ui.async_runner import DB_EXECUTOR

            self._watch(DB_EXECUTOR.submit(_open_store, self.path))

    def _watch(self, job: Any) -> None:
        self._job = job
        loop = self.ready.get_loop()

        def settle(done: Any) -> None:  # on the loop's thread
            if self.ready.done():
                return
            if done.cancelled():
                self.ready.cancel()
            elif done.exception() is not None:
                log.error("the local store %s could not be opened", self.path, exc_info=done.exception())
                self.ready.set_exception(done.exception())
            else:
                self.ready.set_result(done.result())

        def on_done(done: Any) -> None:  # on the writer thread
            with contextlib.suppress(RuntimeError):  # the loop has closed (the app is exiting)
                loop.call_soon_threadsafe(settle, done)

        job.add_done_callback(on_done)

    async def store(self) -> Any:
        """The open store (starts the open if nothing did yet)."""
        self.start()
        return await asyncio.shield(self.ready)

    async def close(self) -> bool:
        """Close the store once its open has finished (a migration is never cut short); False if it failed."""
        if self._job is None:
            return True
        try:
            store = await asyncio.shield(self.ready)
        except Exception:  # noqa: BLE001 - logged when it happened
            return False
        from ui.async_runner import DB_EXECUTOR, forget_store

        forget_store(store)
        await asyncio.get_running_loop().run_in_executor(DB_EXECUTOR, store.close)
        return True


PREFILL_KEYS = ("server_url", "workstation_name", "last_username")


async def sign_in(store: DeskStore | StoreOpener, settings: Any, engine_holder: dict[str, Any],
                  login: tuple[str, str] | None = None) -> Any:
    """Show the login dialog; returns the Actor, or None when the user quits.

    ``store`` is an open DeskStore or a :class:`StoreOpener`. With an opener the dialog is shown
    first, prefilled from the database file with ``sqlite3`` alone, and the open starts once the
    dialog is up (so it does not slow the dialog's first paint).
    ``login`` (user name, password) signs in without the dialog (``commandroom demo``);
    if that fails, the dialog opens as usual.
    """
    from PySide6.QtCore import QTimer

    from commandroom.store.peek import peek_meta
    from ui.async_runner import exec_dialog
    from ui.login_dialog import LoginDialog, LoginError, LoginRequest

    opener = store if isinstance(store, StoreOpener) else StoreOpener.opened(store)
    if login is not None:
        workstation_name = settings.workstation_name or _default_workstation_name()
        request = LoginRequest(server_url=settings.server_url, workstation_name=workstation_name,
                               username=login[0], password=login[1])
        opened = await opener.store()
        try:
            result = await make_authenticator(opened, settings, engine_holder)(request)
        except LoginError as exc:
            log.warning("automatic sign-in as %s failed: %s", login[0], exc)
        else:
            return actor_from_user(result.user, opened, workstation_name)

    _mark("sign-in: reading the last user name")
    meta = {key: value for key, value in peek_meta(opener.path, PREFILL_KEYS).items() if isinstance(value, str)}
    last_user = meta.get("last_username", "")
    probe = bool(os.environ.get(PROBE_ENV))

    async def authenticate(req: Any) -> Any:
        opened = await opener.store()
        if probe:
            from ui.login_dialog import LoginResult

            return LoginResult(user=_probe_user(), online=False)
        return await make_authenticator(opened, settings, engine_holder)(req)

    dialog = LoginDialog(authenticate, server_url=meta.get("server_url") or settings.server_url,
                         workstation_name=(meta.get("workstation_name") or settings.workstation_name
                                           or _default_workstation_name()),
                         username=last_user, first_run=not last_user, ready=opener.ready)
    if probe:  # first: it reports the dialog idle before the core starts loading
        QTimer.singleShot(0, lambda: _probe_sign_in(dialog))
    if not opener.started:
        QTimer.singleShot(0, opener.start)  # a zero timer fires once the shown dialog is idle
    _mark("sign-in: showing the dialog")
    if await exec_dialog(dialog) != LoginDialog.DialogCode.Accepted or dialog.result_value is None:
        return None
    return actor_from_user(dialog.result_value.user, await opener.store(), dialog.request().workstation_name)


def _probe_user() -> dict[str, Any]:
    return {"id": None, "display_name": "probe", "role": "duty_officer", "scope_kind": "township",
            "scope_code": os.environ.get(PROBE_ENV + "_TOWNSHIP")}


def _probe_sign_in(dialog: Any) -> None:
    """Benchmark hook: report the idle sign-in dialog (INTERACTIVE), then sign in at once, as a hurried user."""
    print(f"INTERACTIVE {time.perf_counter() - _T0:.4f}", flush=True)
    _mark("sign-in: dialog idle, probe signs in")
    dialog.username_edit.setText(dialog.username_edit.text() or "probe")
    dialog.password_edit.setText("probe")
    dialog.login_button.click()


def _default_workstation_name() -> str:
    import socket

    return socket.gethostname()[:64]


async def run_self_test(app: Any, settings: Any) -> int:
    """Open every screen once (offscreen) and close it again; 0 when all of them opened."""
    import tempfile

    from PySide6.QtWidgets import QDialog

    from commandroom.queries.inbox import merge_targets, report_detail, routing_choices
    from ui.async_runner import run_read
    from ui.inbox.dialogs import AcceptDialog, MergeDialog, RejectDialog
    from ui.login_dialog import LoginDialog
    from ui.main_window import MainWindow

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="commandroom-selftest-") as tmp:
        from commandroom.self_test import self_test_store

        store, actor = self_test_store(Path(tmp))
        try:
            window = MainWindow(store, actor, sound=False, sound_dir=Path(tmp))
            window.show()
            pages = window.open_all_pages()
            inbox = window.inbox
            await inbox.wait_idle()
            ids = inbox.model.ids
            dialogs: list[QDialog] = [LoginDialog(_never_authenticate, server_url=settings.server_url,
                                                  workstation_name="self-test", first_run=True)]
            if ids:
                detail = await run_read(report_detail, store, ids[0])
                matters, departments = await run_read(routing_choices, store)
                dialogs.append(AcceptDialog(detail, matters, departments, window))
                dialogs.append(MergeDialog(await run_read(merge_targets, store, ids[:2]), 2, window))
                dialogs.append(RejectDialog(1, window))
            else:
                problems.append("no reports in the self-test inbox")
            for dialog in dialogs:
                dialog.show()
                await asyncio.sleep(0)
                if not dialog.isVisible():
                    problems.append(f"{type(dialog).__name__} did not open")
                dialog.reject()
            print(f"self-test: opened {len(pages)} pages ({', '.join(pages)}) and {len(dialogs)} dialogs; "
                  f"{len(ids)} reports in the inbox", flush=True)
            await _self_test_pages_and_map(window, problems)
            window.close()
        finally:
            from ui.async_runner import forget_store

            forget_store(store)
            store.close()
    for problem in problems:
        print(f"self-test: {problem}", file=sys.stderr, flush=True)
    return 1 if problems else 0


async def _self_test_pages_and_map(window: Any, problems: list[str], timeout: float = 90.0) -> None:  # noqa: ASYNC109 - a deadline reported as a problem, not raised
    """The map must draw from its local files (a page whose module is missing from a build fails on opening)."""
    from ui.main_window import PAGE_MAP

    view = window.pages.get(PAGE_MAP)
    if view is None or not hasattr(view, "is_ready"):
        return
    window.show_page(PAGE_MAP)  # a hidden page gets no animation frames: it would never say it has drawn
    started = time.perf_counter()
    while not view.is_ready and time.perf_counter() - started < timeout:  # noqa: ASYNC110 - a flag the page's script sets; no event to await
        await asyncio.sleep(0.05)
    if not view.is_ready:
        problems.append(f"the map did not draw within {timeout:.0f} s (page folder {view.page_dir})")
        return
    answer = asyncio.get_running_loop().create_future()
    view.evaluate("[typeof L === 'object' ? L.version : null, document.querySelectorAll('path').length]",
                  lambda value: answer.done() or answer.set_result(value))
    leaflet, shapes = await asyncio.wait_for(answer, 15)
    if not leaflet or not shapes:
        problems.append(f"the map page has no Leaflet ({leaflet}) or drew nothing ({shapes} shapes)")
    print(f"self-test: map drawn in {time.perf_counter() - started:.1f} s with the local Leaflet {leaflet} "
          f"({shapes} shapes, {len(view.blocked_requests)} network requests blocked)", flush=True)


async def _never_authenticate(req: Any) -> Any:
    from ui.login_dialog import LoginError

    raise LoginError("self-test")


# ----------------------------------------------------------------------------- run


def _open_store(path: Path) -> Any:
    """Import the core and open (and migrate) the local store: runs on the writer thread."""
    _mark("store: importing the core")
    from commandroom.store.local import DeskStore

    _mark("store: opening")
    store = DeskStore(path)
    _mark("store: open")
    return store


async def _main(app: Any, settings: Any, profile: str, log_path: Path | None, store_job: Any = None,
                login: tuple[str, str] | None = None) -> int:
    from PySide6.QtCore import QTimer

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    _mark("loop running")
    opener = StoreOpener(settings.client_db_path(profile), store_job)
    engine_holder: dict[str, Any] = {}
    try:
        actor = await sign_in(opener, settings, engine_holder, login)
    except BaseException:
        await opener.close()
        raise
    if actor is None:
        engine = engine_holder.pop("engine", None)
        if engine is not None:
            await engine.aclose()
        return 0 if await opener.close() else 1
    store = await opener.store()

    from ui.main_window import MainWindow

    _mark("main window: building")
    window = MainWindow(store, actor, sound=settings.sound, sound_dir=settings.data_dir)
    _mark("main window: built")
    window.destroyed.connect(closed.set)
    app.lastWindowClosed.connect(closed.set)
    engine = engine_holder.get("engine")
    basemaps = None
    if engine is not None:
        window.attach_engine(engine)
        basemaps = _start_basemaps(engine, store, window, actor)
        start = getattr(engine, "start", None)
        if callable(start):
            result = start()
            if asyncio.iscoroutine(result):
                window.engine_start_task = asyncio.ensure_future(result)  # kept: a task nobody holds may vanish
    window.show()
    from ui import gc_policy

    QTimer.singleShot(0, lambda: setattr(window, "gc_collector", gc_policy.install(window)))
    if os.environ.get(PROBE_ENV):
        def ready() -> None:
            print(f"READY {time.perf_counter() - _T0:.4f}", flush=True)
            window.close()
            closed.set()

        QTimer.singleShot(0, ready)  # a zero timer fires once the loop has handled what is pending
    await closed.wait()
    if basemaps is not None:
        await basemaps.aclose()
    if engine is not None:
        stop = getattr(engine, "aclose", None) or getattr(engine, "stop", None)
        if callable(stop):
            result = stop()
            if asyncio.iscoroutine(result):
                await result
    await opener.close()
    return 0


def run_desktop(settings: Any, profile: str = "default", self_test: bool = False,
                login: tuple[str, str] | None = None) -> int:
    """Run the command room desktop until its window closes; returns the exit code.

    Args:
        settings: ``commandroom.config.Settings`` (language, theme, server URL…).
        profile: local profile name; each has its own database file.
        self_test: open every screen offscreen once and exit (0: all opened).
        login: (user name, password) to sign in without the dialog (the demo).
    """
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from commandroom.config import setup_logging

    log_path = None
    try:
        log_path = setup_logging(settings, "desktop")
    except OSError:
        logging.basicConfig(level=logging.INFO)
    store_job = None
    if login is not None and not self_test:
        # No dialog comes first (the demo signs in by itself): the core's imports and the store
        # open overlap Qt's start on the writer thread. Otherwise the dialog comes first (sign_in).
        from ui.async_runner import DB_EXECUTOR

        store_job = DB_EXECUTOR.submit(_open_store, settings.client_db_path(profile))
    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.i18n import install_translators
    from ui.qt_process import install_fault_logging, prepare_process
    from ui.theme import apply_theme

    prepare_process(settings)  # root: --no-sandbox for the map's web engine; Qt caches under COMMANDROOM_HOME
    _mark("qt: creating the application")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_fault_logging(log_path.parent if log_path else None, "desktop")
    app.setApplicationName("CommandRoom")
    app.setOrganizationName("Changshan")
    app.setDesktopFileName("commandroom")  # Linux: the taskbar finds packaging/commandroom.desktop's icon
    from ui.theme import app_icon

    app.setWindowIcon(app_icon())  # window, tray and taskbar
    app.setQuitOnLastWindowClosed(False)  # the main coroutine decides when to leave (after closing the store)
    install_translators(app, settings.language)
    apply_theme(app, settings.theme)
    install_excepthook(log_path)
    _mark("qt: application ready")

    if self_test:
        coro = run_self_test(app, settings)
    else:
        coro = _main(app, settings, profile, log_path, store_job, login)
    # One qasync loop for the whole run. Not asyncio.Runner: its shutdown pass re-enters the Qt
    # loop and calls QApplication.exit() while QtWebEngine tears down, which crashes on exit.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(coro) or 0)
    finally:
        sys.excepthook = sys.__excepthook__
