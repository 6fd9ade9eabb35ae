"""Fixtures for desktop tests: a qasync loop for async tests, a local store with the county's reference data.

Async UI tests run under pytest-asyncio on a qasync ``QEventLoop`` (``pytest_asyncio_loop_factories``
below), and await signals/conditions through asyncio (``wait_until``) rather than ``qtbot.waitSignal``,
whose nested Qt loop leaves asyncio without a running loop (docs: PLATFORM-NOTES.md).
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication


class LocalLoopApplication:
    """The QApplication as qasync sees it in tests: ``exec()`` runs a local QEventLoop.

    Each async test runs its own qasync loop, and pytest-asyncio's runner spins it several
    times. When ``QApplication.exec()`` returns it emits ``aboutToQuit``, on which QtWebEngine
    shuts itself down; the next ``exec()`` in the same process then crashes (seen here as a
    segfault in ``app.exit()`` once any test had created a web view). A local event loop
    never ends the application, so the whole session shares one live QtWebEngine. The
    desktop itself runs a single ``exec()`` for its whole life (ui/app.py).
    """

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._loops: list[QEventLoop] = []

    def exec(self) -> int:
        loop = QEventLoop()
        self._loops.append(loop)
        try:
            return loop.exec()
        finally:
            self._loops.pop()

    def exit(self, code: int = 0) -> None:
        if self._loops:
            self._loops[-1].exit(code)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread():
    """As in the app (ui/gc_policy.py): no automatic collection while a test runs, one on this thread after.

    Automatic collection runs on whichever thread allocates; in these tests that is often an
    in-process server's or a store's worker thread, and Qt objects in cycles (qasync's socket
    notifiers, a store's event bridge) destroyed there crash the process a test later.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()  # the imported modules: later collections need not walk them
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


def pytest_asyncio_loop_factories(config, item):  # pytest-asyncio hook
    """Async tests in tests/ui run on the qasync loop, the same loop the app runs on."""
    import qasync

    def factory() -> Any:
        app = QApplication.instance() or QApplication([])
        # as in run_desktop: closing the last dialog must not quit the loop under the test
        app.setQuitOnLastWindowClosed(False)
        return qasync.QEventLoop(LocalLoopApplication(app))

    return {"qasync": factory}


WAIT_AT_LEAST = 20.0


async def wait_until(predicate: Callable[[], Any], timeout: float = WAIT_AT_LEAST, what: str = "") -> Any:
    """Let the loop run until ``predicate()`` is truthy; fail after ``timeout`` seconds (``WAIT_AT_LEAST`` or more).

    A deadline only ends a wait that is failing anyway, so none is shorter than 20 s: `make test` shares two
    cores with the moment runs (often with more), where a page loading on the reader pool can take seconds.
    """
    loop = asyncio.get_running_loop()
    timeout = max(timeout, WAIT_AT_LEAST)
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


_TEMPLATE: dict[str, Path] = {}
QIUCHUAN = "330822111"
TIANMA = "330822001"


def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated workstation DB with all reference data, built once per session."""
    if "ref" not in _TEMPLATE:
        from commandroom.refdata.loader import load_reference, read_reference
        from commandroom.store.local import DeskStore

        path = tmp_path_factory.mktemp("ui-template") / "workstation.db"
        store = DeskStore(path)
        with store.write() as session:
            load_reference(session, read_reference())
        store.close()
        _TEMPLATE["ref"] = path
    return _TEMPLATE["ref"]


@pytest.fixture
def store(tmp_path, tmp_path_factory, qapp):
    """A DeskStore (reference data loaded, no reports) on a fresh copy of the template."""
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    dst = tmp_path / "workstation.db"
    shutil.copy(_template(tmp_path_factory), dst)
    s = DeskStore(dst)
    yield s
    forget_store(s)
    s.close()


def make_actor(store: Any, township: str = QIUCHUAN, *, scope_kind: str = "township", role: str = "duty_officer",
               name: str = "王值班") -> Any:
    from commandroom.mutations.core import Actor

    return Actor(user_id="u-" + township + role, name=name, role=role, scope_kind=scope_kind,
                 scope_code=None if scope_kind == "county" else township,
                 township_code=None if scope_kind == "county" else township,
                 device_id=store.device_id, device_name="测试工作站")


@pytest.fixture
def actor(store):
    return make_actor(store)


def grid_of(store: Any, township: str = QIUCHUAN, index: int = 0) -> tuple[str, float | None, float | None]:
    from sqlalchemy import select

    from commandroom.domain.models import Grid

    with store.read() as session:
        rows = list(session.execute(select(Grid.id, Grid.lat, Grid.lon).where(Grid.township_code == township)
                                    .order_by(Grid.id)))
    return tuple(rows[index % len(rows)])


def make_report(store: Any, actor: Any, *, category: str = "sanitation", text: str = "河边堆放生活垃圾",
                township: str = QIUCHUAN, grid: int = 0, urgency: str | None = None, minutes_ago: float = 10,
                address: str = "", offset_m: float = 0.0, photos: list[str] | None = None) -> str:
    """Create a report through the real ``report.create`` mutation; returns its id."""
    from commandroom.ids import new_id
    from commandroom.timeutil import iso, utcnow

    grid_id, lat, lon = grid_of(store, township, grid)
    rid = new_id()
    args: dict[str, Any] = {"source": "grid_patrol", "category_code": category, "description": text,
                            "township_code": township, "grid_id": grid_id, "reporter_name": "李网格",
                            "reported_at": iso(utcnow() - timedelta(minutes=minutes_ago)), "address": address}
    if lat is not None:
        args.update(lat=lat + offset_m / 111_000, lon=lon)
    if urgency:
        args["urgency_hint"] = urgency
    if photos:
        args["photos"] = photos
    store.perform(actor, "report.create", rid, args)
    return rid


def accept_report(store: Any, actor: Any, report_id: str, title: str = "") -> str:
    from commandroom.ids import new_id

    incident_id = new_id()
    args: dict[str, Any] = {"incident_id": incident_id, "urgency": "L3"}
    if title:
        args["title"] = title
    store.perform(actor, "report.accept", report_id, args)
    return incident_id


def report_state(store: Any, report_id: str) -> tuple[str, str | None]:
    from commandroom.domain.models import Report

    with store.read() as session:
        r = session.get(Report, report_id)
        return r.state, r.incident_id


def outbox(store: Any) -> list[tuple[str, str, dict]]:
    """(name, entity_id, args) of every outbox entry, in order."""
    from sqlalchemy import select

    from commandroom.domain.models import OutboxEntry

    with store.read() as session:
        return [(e.name, e.entity_id, dict(e.args or {}))
                for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.local_seq))]


@pytest.fixture
def zh(qapp):
    """Chinese translations installed for the test (the app's default language)."""
    from ui.i18n import install_translators

    install_translators(qapp, "zh_CN")
    yield
    install_translators(qapp, "en")


@pytest.fixture
def ui():
    """The helpers above, for test modules (tests/ui is not a package, so they cannot import this file)."""
    from types import SimpleNamespace

    return SimpleNamespace(wait_until=wait_until, make_actor=make_actor, make_report=make_report,
                           accept_report=accept_report, report_state=report_state, outbox=outbox,
                           grid_of=grid_of, QIUCHUAN=QIUCHUAN, TIANMA=TIANMA)
