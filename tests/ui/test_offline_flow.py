"""A duty officer's session through the real widgets while the county server goes away and comes back.

The county app runs under uvicorn on loopback (``tests.e2e.conftest.LiveServer``); the desk signs in
through the app's own sign-in code, its sync engine feeds the status bar, and the officer works with
the keyboard and the panel buttons. Offline, every action shows at once from the local store and
the status bar counts what is waiting; when the server is back the engine catches up by itself and
the server holds each action exactly once.
"""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import datetime, timedelta
from email.utils import formatdate

import httpx
import orjson
import pytest
import pytest_asyncio
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from commandroom.domain.models import (
    SYNCED_MODELS,
    Dispatch,
    Incident,
    ProcessedMutation,
    Report,
    TimelineEntry,
    row_to_dict,
)
from commandroom.sync.clock import server_epoch
from commandroom.timeutil import to_local, utcnow
from tests.e2e.conftest import PASSWORD, QC, County, LiveServer, make_accounts
from tests.server.test_auth_support import seeded
from tests.sync.helpers import copy_template

COMPARED = ("incident", "report", "timeline_entry", "dispatch")


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    """PySide6 on CPython 3.11 loses references to None/True (see ui/incidents/refcounts.py)."""
    from ui.incidents import refcounts

    refcounts.install()


@pytest_asyncio.fixture
async def county(db_url, tmp_path):
    """The county server on loopback with the 球川 grid worker and duty officers."""
    server = LiveServer(seeded(db_url, tmp_path), tmp_path)
    await server.astart()
    c = County(server, tmp_path, make_accounts(server.state))
    try:
        yield c
    finally:
        await c.close()
        if server.running:
            await server.astop()


@pytest_asyncio.fixture
async def open_desk(county, tmp_path, monkeypatch, qtbot, zh):
    """Sign in as qc1 through the app's sign-in code and open the main window with its sync engine.

    A coroutine function the test awaits: the engine's tasks must start on the loop that runs the
    test (a fixture's loop run has ended before the test starts, which would leave them no loop).
    """
    from commandroom.config import load_settings
    from commandroom.store.local import DeskStore
    from commandroom.sync.engine import SyncEngine
    from ui import app
    from ui.async_runner import forget_store
    from ui.main_window import MainWindow

    def quick_engine(store, settings, req):  # the app's engine, with test-sized waits
        return SyncEngine(store, req.server_url, device_name=req.workstation_name, backoff_start=0.2,
                          backoff_cap=1.0, heartbeat_timeout=3.0, request_timeout=10.0)

    monkeypatch.setattr(app, "_make_engine", quick_engine)
    path = tmp_path / "desk.db"
    copy_template("client", path)
    store = DeskStore(path)
    opened: list = []

    async def open_() -> MainWindow:
        settings = load_settings({"server_url": county.server.url, "workstation_name": "球川镇指挥室1号"})
        holder: dict = {}
        actor = await app.sign_in(store, settings, holder, login=("qc1", PASSWORD))
        assert actor is not None and holder.get("engine") is not None
        engine = holder["engine"]
        window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
        qtbot.addWidget(window)
        opened.append((window, engine))
        window.attach_engine(engine)  # as ui.app._main does
        engine.start()
        window.show()
        window.activateWindow()
        return window

    try:
        yield open_
    finally:
        for window, engine in opened:
            await _close_desk(store, engine, window, forget=False)
        forget_store(store)
        store.close()


def _rows(read, township: str = QC) -> dict:
    out: dict = {}
    with read() as s:
        for table in COMPARED:
            model = SYNCED_MODELS[table]
            out[table] = {r.id: row_to_dict(r) for r in s.scalars(select(model).where(model.township_code == township))}
    return out


@pytest.mark.asyncio
async def test_offline_session_through_the_widgets_converges_when_the_server_returns(county, open_desk, ui):
    window = await open_desk()
    bar = window.status_bar
    server = county.server
    engine = window.engine

    # ---- online: the grid workers' reports arrive in the inbox by themselves
    reports = [await county.report(f"球川镇第{i}处违停，车辆堵塞路口") for i in range(1, 4)]
    inbox = window.inbox
    await ui.wait_until(lambda: all(inbox.model.row_of(r) >= 0 for r in reports), 20, "reports in the inbox")
    await ui.wait_until(lambda: bar.online_label.text() == "● 在线", 10, "online")
    assert bar.pending_label.text() == "待同步 0"

    # ---- the server goes away mid-session
    await server.astop()
    await ui.wait_until(lambda: bar.online_label.text().startswith("○ 离线"), 15, "status bar says offline")
    assert re.fullmatch(r"○ 离线 自 \d\d:\d\d", bar.online_label.text()), bar.online_label.text()
    assert bar.online_label.toolTip()  # why: the connection error

    # accept the first report with A + Enter
    await ui.wait_until(lambda: QApplication.activeWindow() is window, 5, "window active")
    await inbox.wait_idle()
    assert inbox.select_report(reports[0])
    QTest.keyClick(inbox.table, Qt.Key.Key_A)
    await ui.wait_until(lambda: inbox.open_dialog is not None and inbox.open_dialog.isVisible(), 5, "accept dialog")
    QTest.keyClick(inbox.open_dialog, Qt.Key.Key_Return)
    await inbox.action_task
    await inbox.wait_idle()
    state, incident_id = ui.report_state(window.store, reports[0])
    assert state == "accepted" and incident_id
    await ui.wait_until(lambda: inbox.model.data(inbox.model.index(inbox.model.row_of(reports[0]), 0)) == "已受理",
                        5, "the inbox row shows accepted")
    await ui.wait_until(lambda: bar.pending_label.text() == "待同步 1", 5, "pending 1")

    # reject the second with R, the second common reason, Enter
    await ui.wait_until(lambda: QApplication.activeWindow() is window, 5, "focus back after the dialog")
    assert inbox.select_report(reports[1])
    QTest.keyClick(inbox.table, Qt.Key.Key_R)
    await ui.wait_until(lambda: inbox.open_dialog is not None and inbox.open_dialog.isVisible(), 5, "reject dialog")
    dialog = inbox.open_dialog
    QTest.keyClick(dialog.reasons_list, Qt.Key.Key_2)
    reason = dialog.reason
    QTest.keyClick(dialog.reasons_list, Qt.Key.Key_Return)
    await inbox.action_task
    await inbox.wait_idle()
    assert ui.report_state(window.store, reports[1])[0] == "rejected"
    await ui.wait_until(lambda: inbox.model.data(inbox.model.index(inbox.model.row_of(reports[1]), 0)) == "不予受理",
                        5, "the inbox row shows rejected")
    await ui.wait_until(lambda: bar.pending_label.text() == "待同步 2", 5, "pending 2")

    # the new incident: dispatch it to the zone team (D), then a progress note (N)
    window.nav.setCurrentRow(1)
    incidents = window.pages["incidents"]
    await ui.wait_until(lambda: incidents.model.row_of_id(incident_id) >= 0, 10, "the offline incident is listed")
    assert incidents.select_incident(incident_id)
    await ui.wait_until(lambda: incidents.detail.detail is not None and incidents.detail.detail.id == incident_id,
                        5, "incident detail")
    QTest.keyClick(incidents.table, Qt.Key.Key_D)
    await ui.wait_until(lambda: incidents.detail.open_dialog is not None, 5, "dispatch dialog from D")
    dialog = incidents.detail.open_dialog
    dialog.team_radio.setChecked(True)
    dialog.note_edit.setPlainText("请片区队员现场劝离")
    dialog.ok_button().click()
    await incidents.wait_idle()
    await ui.wait_until(lambda: incidents.detail.detail.get("state") == "dispatched", 5, "detail shows dispatched")
    await ui.wait_until(lambda: bar.pending_label.text() == "待同步 3", 5, "pending 3")

    await ui.wait_until(lambda: QApplication.activeWindow() is window and incidents.table.hasFocus(), 5, "focus back")
    QTest.keyClick(incidents.table, Qt.Key.Key_N)
    await ui.wait_until(lambda: incidents.detail.open_dialog is not None, 5, "note dialog from N")
    dialog = incidents.detail.open_dialog
    dialog.text_edit.setPlainText("已电话联系车主")
    dialog.ok_button().click()
    await incidents.wait_idle()
    timeline = incidents.detail.timeline_model
    await ui.wait_until(lambda: any("已电话联系车主" in str(timeline.data(timeline.index(r, c)))
                                    for r in range(timeline.rowCount()) for c in range(timeline.columnCount())),
                        5, "the note on the timeline")
    await ui.wait_until(lambda: bar.pending_label.text() == "待同步 4", 5, "pending 4")
    assert bar.pending_label.property("alert") is True
    assert bar.online_label.text().startswith("○ 离线")  # still offline: nothing was sent
    assert window.store.pending_count() == 4

    # ---- the server comes back on the same database and port; nobody touches the desk
    await server.astart()
    await ui.wait_until(lambda: bar.pending_label.text() == "待同步 0", 30, "the engine drained the outbox by itself")
    await ui.wait_until(lambda: bar.online_label.text() == "● 在线", 10, "online again")
    assert bar.pending_label.property("alert") is False
    # the incident got its county number from the server
    await ui.wait_until(lambda: (incidents.detail.detail.get("number") or "").startswith("QC-"), 10,
                        "the server's number shown")

    # exactly what the officer did, once each, on the server
    with server.state.read() as s:
        srv_reports = {r.id: r for r in s.scalars(select(Report).where(Report.id.in_(reports)))}
        assert len(srv_reports) == 3
        assert srv_reports[reports[0]].state == "accepted" and srv_reports[reports[0]].incident_id == incident_id
        assert srv_reports[reports[1]].state == "rejected" and srv_reports[reports[1]].reject_reason == reason
        assert srv_reports[reports[2]].state == "new"
        incident_rows = list(s.scalars(select(Incident).where(Incident.township_code == QC)))
        assert [i.id for i in incident_rows] == [incident_id]
        assert incident_rows[0].state == "dispatched" and incident_rows[0].assignee_kind == "team"
        assert len(list(s.scalars(select(Dispatch).where(Dispatch.incident_id == incident_id)))) == 1
        actions = sorted(t.action for t in s.scalars(select(TimelineEntry)
                                                      .where(TimelineEntry.incident_id == incident_id)))
        assert actions == sorted(["create", "dispatch", "note"])
        processed = s.scalar(select(func.count()).select_from(ProcessedMutation)
                             .where(ProcessedMutation.device_id == window.store.device_id))
        assert processed == 4
    # and the desk shows the server's rows, field for field
    await ui.wait_until(lambda: _rows(window.store.read) == _rows(server.state.read), 20, "desk equals server")
    assert engine.stats["recoveries"] == 0


# --------------------------------------------------------------------------- a long download, cancelled


class SlowLink(httpx.AsyncBaseTransport):
    """Real HTTP to the county server; pulls take ``pull_delay`` more seconds, answers can carry a server
    clock ``skew`` seconds off this machine's (the ``Date`` header), and every pull's cursors are noted."""

    def __init__(self, pull_delay: float = 0.0, skew: float = 0.0) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.pull_delay = pull_delay
        self.skew = skew
        self.pulls: list[dict[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sync/pull"):
            self.pulls.append(orjson.loads(request.url.params["cursors"]))
            await asyncio.sleep(self.pull_delay)
        response = await self.inner.handle_async_request(request)
        stamp = server_epoch(response.headers)
        if self.skew and stamp is not None:
            response.headers["date"] = formatdate(stamp + self.skew, usegmt=True)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _desk_with_engine(county, tmp_path, qtbot, link: SlowLink, **engine_kw):
    """A fresh desk signed in as qc1 (the engine's own sign-in), its main window open and syncing."""
    from commandroom.store.local import DeskStore
    from commandroom.sync.engine import SyncEngine
    from ui.app import actor_from_user
    from ui.main_window import MainWindow

    path = tmp_path / "desk.db"
    copy_template("client", path)
    store = DeskStore(path)
    kw = {"backoff_start": 0.2, "backoff_cap": 1.0, "heartbeat_timeout": 3.0, "request_timeout": 10.0}
    kw.update(engine_kw)
    engine = SyncEngine(store, county.server.url, transport=link, device_name="球川镇指挥室1号", **kw)
    user = await engine.login("qc1", PASSWORD)
    window = MainWindow(store, actor_from_user(user, store, "球川镇指挥室1号"), sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    return store, engine, window


async def _close_desk(store, engine, window, *, forget: bool = True) -> None:
    """Close the window, stop the engine and let every read and write in flight end, then close the store."""
    from ui.async_runner import forget_store, run_db, run_read

    if shiboken6.isValid(window):  # pytest-qt may have closed and deleted it already
        window.close()
        for page in window.pages.values():
            wait_idle = getattr(page, "wait_idle", None)
            if wait_idle is not None and shiboken6.isValid(page):
                await wait_idle()
    await engine.aclose()
    # both readers (together, at a barrier) and the writer take one more job: what was queued before has ended
    barrier = threading.Barrier(2, timeout=20)
    await asyncio.gather(run_read(barrier.wait), run_read(barrier.wait), run_db(lambda: None))
    if forget:
        forget_store(store)
        store.close()


def _server_heads(server) -> dict[str, int]:
    from commandroom.domain.models import ChangeLog

    with server.state.read() as s:
        return dict(s.execute(select(ChangeLog.bucket, func.max(ChangeLog.seq)).group_by(ChangeLog.bucket)).all())


@pytest.mark.asyncio
async def test_cancel_a_long_download_from_the_status_bar_and_resume_where_it_stopped(county, tmp_path, qtbot, zh,
                                                                                       ui):
    link = SlowLink(pull_delay=0.05)
    store, engine, window = await _desk_with_engine(county, tmp_path, qtbot, link, page_size=50,
                                                    catch_up_page_size=50)
    bar = window.status_bar
    bar.PROGRESS_MIN_CHANGES = 200  # the test county's first download is ~1,100 changes (22 pages of 50)
    try:
        window.attach_engine(engine)
        engine.start()
        window.show()
        await ui.wait_until(lambda: bar.sync_progress.isVisible() and bar.cancel_download_button.isVisible(), 20,
                            "the download's progress with its cancel button")
        assert bar.cancel_download_button.text() == "取消"
        assert re.fullmatch(r"下载数据 \d+%", bar.sync_progress.text()), bar.sync_progress.text()
        qtbot.mouseClick(bar.cancel_download_button, Qt.MouseButton.LeftButton)

        await ui.wait_until(lambda: bar.download_note.isVisible(), 5, "the cancelled note")
        assert not bar.sync_progress.isVisible() and not bar.cancel_download_button.isVisible()
        assert re.fullmatch(r"下载已取消 · \d\d:\d\d 下次同步时继续", bar.download_note.text()), bar.download_note.text()
        assert bar.resume_download_button.isVisible() and bar.resume_download_button.text() == "立即继续"
        await ui.wait_until(lambda: not engine.status.syncing, 5, "the round ended")
        assert bar.online_label.text() == "● 在线"
        stopped_at = store.cursors()
        heads = {b: h for b, h in _server_heads(county.server).items() if b in store.meta("buckets")}
        assert stopped_at and any(stopped_at.get(b, 0) < h for b, h in heads.items()), (stopped_at, heads)
        assert ui.outbox(store) == [] and bar.pending_label.text() == "待同步 0"  # the outbox is untouched
        pulls = len(link.pulls)
        await asyncio.sleep(0.5)
        assert len(link.pulls) == pulls and store.cursors() == stopped_at  # it really stopped

        # 立即继续: the download goes on from the cursors, to the end
        qtbot.mouseClick(bar.resume_download_button, Qt.MouseButton.LeftButton)
        assert not bar.download_note.isVisible() and not bar.resume_download_button.isVisible()
        await ui.wait_until(lambda: len(link.pulls) > pulls, 5, "a pull after resuming")
        first = link.pulls[pulls]
        assert all(first.get(b, 0) == c for b, c in stopped_at.items()), (first, stopped_at)
        await ui.wait_until(lambda: all(store.cursors().get(b, 0) >= h for b, h in heads.items()), 30,
                            "the whole download")
        await ui.wait_until(lambda: not engine.status.syncing, 10, "the round ended")
        assert not bar.sync_progress.isVisible() and not bar.download_note.isVisible()
        assert bar.online_label.text() == "● 在线"
    finally:
        await _close_desk(store, engine, window)
        await link.aclose()


# --------------------------------------------------------------------------- this machine's clock is off


def _status_clock(bar) -> datetime:
    return datetime.strptime(bar.clock_label.text(), "%Y-%m-%d %H:%M:%S")


def _beijing(now: datetime) -> datetime:
    return to_local(now).replace(tzinfo=None)


@pytest.mark.working_time
@pytest.mark.at("2026-12-08T10:00:00+08:00")  # a working Tuesday morning: the countdown moves with the clock
@pytest.mark.asyncio
async def test_clock_skew_warns_in_the_status_bar_and_countdowns_follow_the_server(county, tmp_path, qtbot, zh,
                                                                                   ui):
    from ui.incidents import labels
    from ui.incidents.table_model import COL_CLOCK, RowRole

    link = SlowLink(skew=90)  # the server's clock is 90 s ahead: this machine's is behind
    store, engine, window = await _desk_with_engine(county, tmp_path, qtbot, link)
    bar = window.status_bar
    try:
        window.attach_engine(engine)
        engine.start()
        window.show()
        await ui.wait_until(lambda: bar.clock_skew_label.isVisible(), 20, "the clock warning")
        assert re.fullmatch(r"本机时钟与服务器相差 (89|90|91) 秒", bar.clock_skew_label.text()), \
            bar.clock_skew_label.text()
        assert bar.clock_skew_label.property("level") == "warn"
        tip = bar.clock_skew_label.toolTip()
        assert "本机时钟比县服务器慢" in tip and "倒计时" in tip
        # the status-bar clock shows the server's time
        assert abs((_status_clock(bar) - _beijing(utcnow())).total_seconds() - 90) <= 3
        assert bar.clock_label.toolTip().startswith("服务器时间")

        # five minutes or more: red
        link.skew = 420
        engine.wake()
        await ui.wait_until(lambda: bar.clock_skew_label.text() == "本机时钟与服务器相差 7 分钟", 10, "7 minutes")
        assert bar.clock_skew_label.property("level") == "bad"
        assert "校准" in bar.clock_skew_label.toolTip()
        assert abs((_status_clock(bar) - _beijing(utcnow())).total_seconds() - 420) <= 3

        # an incident accepted now: its countdown runs on the server's clock, as its deadline does
        report = await county.report("球川镇违停，时钟测试")
        await ui.wait_until(lambda: window.inbox.model.row_of(report) >= 0, 15, "the report")
        incident_id = ui.accept_report(store, window.actor, report)
        await ui.wait_until(lambda: store.pending_count() == 0, 15, "accepted on the server")
        window.nav.setCurrentRow(1)
        incidents = window.pages["incidents"]
        await ui.wait_until(lambda: incidents.model.row_of_id(incident_id) >= 0, 10, "the incident listed")
        model = incidents.model
        index = model.index(model.row_of_id(incident_id), COL_CLOCK)
        kind, due, done_at, _started = model.data(index, RowRole).active_clock()
        assert due is not None and done_at is None

        def texts(now: datetime) -> set[str]:
            return {labels.countdown_text(kind, due, None, now + timedelta(seconds=d)) for d in (-60, 0, 60)}

        corrected = utcnow() + timedelta(seconds=420)
        assert model.data(index) in texts(corrected)
        assert model.data(index) not in texts(utcnow())  # what this machine's own clock would have shown

        # the clock was set right: no warning, the machine's clock again
        link.skew = 0
        engine.wake()
        await ui.wait_until(lambda: not bar.clock_skew_label.isVisible(), 10, "the warning goes away")
        assert abs((_status_clock(bar) - _beijing(utcnow())).total_seconds()) <= 3
        assert store.clock_offset == 0.0
    finally:
        await _close_desk(store, engine, window)
        await link.aclose()


# --------------------------------------------------------------------------- the status bar's new states


def test_status_bar_download_cancel_and_clock_states(qtbot, zh):
    from commandroom.sync.status import SyncStatus
    from ui.status_bar import StatusBarWidget

    bar = StatusBarWidget()
    qtbot.addWidget(bar)
    bar.show()
    clicks: list[str] = []
    bar.cancel_download_clicked.connect(lambda: clicks.append("cancel"))
    bar.resume_download_clicked.connect(lambda: clicks.append("resume"))
    bar.set_sync_status(SyncStatus(online=True, syncing=True))
    bar.set_sync_progress(3000, 10_000)
    assert bar.sync_progress.isVisible() and bar.cancel_download_button.isVisible()
    qtbot.mouseClick(bar.cancel_download_button, Qt.MouseButton.LeftButton)
    assert clicks == ["cancel"]
    bar.set_sync_status(SyncStatus(online=True, syncing=True, download_paused_until=datetime(2026, 11, 26, 1, 42)))
    assert not bar.sync_progress.isVisible() and not bar.cancel_download_button.isVisible()
    assert bar.download_note.text() == "下载已取消 · 09:42 下次同步时继续"
    bar.set_sync_progress(3500, 10_000)  # the page that was being written when the officer cancelled
    assert not bar.sync_progress.isVisible()
    qtbot.mouseClick(bar.resume_download_button, Qt.MouseButton.LeftButton)
    assert clicks == ["cancel", "resume"]
    bar.set_sync_status(SyncStatus(online=True, syncing=True))
    bar.set_sync_progress(4000, 10_000)
    assert bar.sync_progress.isVisible() and not bar.download_note.isVisible()
    bar.set_sync_status(SyncStatus(online=False, offline_since=datetime(2026, 11, 26, 1, 50)))  # the link went
    assert not bar.sync_progress.isVisible() and not bar.cancel_download_button.isVisible()

    # the clock: nothing below a minute, amber from 60 s, red from 5 minutes; the times shown follow the server
    bar.set_sync_status(SyncStatus(online=True, clock_offset=45, last_success=datetime(2026, 11, 26, 2, 0, 0)))
    assert not bar.clock_skew_label.isVisible() and bar.last_sync_label.text() == "上次同步 10:00:00"
    bar.set_sync_status(SyncStatus(online=True, clock_offset=-90, last_success=datetime(2026, 11, 26, 2, 0, 0)))
    assert bar.clock_skew_label.isVisible() and bar.clock_skew_label.text() == "本机时钟与服务器相差 90 秒"
    assert bar.clock_skew_label.property("level") == "warn"
    assert bar.clock_skew_label.toolTip().startswith("本机时钟比县服务器快 90 秒。")
    assert bar.last_sync_label.text() == "上次同步 09:58:30"  # stamped by this machine's fast clock
    bar.set_sync_status(SyncStatus(online=False, offline_since=datetime(2026, 11, 26, 2, 0), clock_offset=3 * 3600))
    assert bar.clock_skew_label.text() == "本机时钟与服务器相差 3 小时"
    assert bar.clock_skew_label.property("level") == "bad" and "慢" in bar.clock_skew_label.toolTip()
    assert bar.online_label.text() == "○ 离线 自 13:00"
    bar.set_sync_status(SyncStatus(online=True, clock_offset=None))
    assert not bar.clock_skew_label.isVisible() and bar.clock_label.toolTip() == ""
