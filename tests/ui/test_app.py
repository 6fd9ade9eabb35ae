"""The main window, the status bar, the theme and language, and the --self-test entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_status_bar_online_offline_pending_rejected(qtbot, zh):
    from commandroom.sync.status import SyncStatus
    from ui.status_bar import StatusBarWidget

    bar = StatusBarWidget()
    qtbot.addWidget(bar)
    bar.set_sync_status(SyncStatus(online=True, pending=0, rejected=0, last_success=datetime(2026, 11, 26, 2, 3, 4)))
    assert bar.online_label.text() == "● 在线"
    assert bar.pending_label.text() == "待同步 0"
    assert bar.rejected_label.text() == "被拒 0"
    assert bar.last_sync_label.text() == "上次同步 10:03:04"  # Beijing time
    bar.set_sync_status(SyncStatus(online=False, offline_since=datetime(2026, 11, 26, 1, 5), pending=7, rejected=2,
                                   last_success=datetime(2026, 11, 26, 1, 4, 59), last_error="connect timeout"))
    assert bar.online_label.text() == "○ 离线 自 09:05"
    assert bar.online_label.toolTip() == "connect timeout"
    assert bar.pending_label.text() == "待同步 7" and bar.pending_label.property("alert") is True
    assert bar.rejected_label.text() == "被拒 2" and bar.rejected_label.property("alert") is True
    bar.set_sync_status(SyncStatus(online=True, syncing=True, pending=3))
    assert bar.online_label.text() == "● 同步中…"
    bar.set_sync_status(SyncStatus(upgrade_required="请升级"))
    assert bar.online_label.text() == "○ 需要升级"
    assert bar.clock_label.text()[:2] == "20"


def test_status_bar_in_english(qtbot):
    from commandroom.sync.status import SyncStatus
    from ui.status_bar import StatusBarWidget

    bar = StatusBarWidget()
    qtbot.addWidget(bar)
    bar.set_sync_status(SyncStatus(online=False, offline_since=None, pending=1))
    assert bar.online_label.text() == "○ Offline" and bar.pending_label.text() == "Unsynced 1"


@pytest.mark.asyncio
async def test_main_window_pages_user_and_counts(store, actor, qtbot, ui, zh, tmp_path):
    from ui.main_window import MainWindow

    ui.make_report(store, actor)
    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    assert window.current_page_key() == "inbox"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "收件箱", "事件", "冲突与退回", "地图", "执法片区", "任务看板", "一件事", "通知记录"]
    assert window.status_bar.user_label.text() == "王值班 · 值班员"
    assert window.status_bar.township_label.text() == "球川镇"
    assert window.status_bar.pending_label.text() == "待同步 1"
    window.nav.setCurrentRow(2)
    assert window.current_page_key() == "conflicts"
    window.nav.setCurrentRow(1)
    assert window.current_page_key() == "incidents"
    # the pending count follows new local writes
    ui.make_report(store, actor)
    await ui.wait_until(lambda: window.status_bar.pending_label.text() == "待同步 2", what="pending count")
    window.status_bar.rejected_clicked.emit()
    assert window.current_page_key() == "conflicts"


@pytest.mark.asyncio
async def test_county_coordinator_gets_a_township_filter(store, qtbot, ui, tmp_path):
    from ui.main_window import MainWindow

    officer = ui.make_actor(store)
    ui.make_report(store, officer)
    ui.make_report(store, ui.make_actor(store, ui.TIANMA), township=ui.TIANMA)
    county = ui.make_actor(store, scope_kind="county", role="county_coordinator", name="县中心")
    window = MainWindow(store, county, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    inbox = window.inbox
    await inbox.wait_idle()
    assert inbox.township_combo.isVisibleTo(window)
    assert inbox.model.rowCount() == 2
    inbox.township_combo.setCurrentIndex(inbox.township_combo.findData(ui.TIANMA))
    await inbox.wait_idle()
    assert inbox.model.rowCount() == 1
    assert window.status_bar.township_label.text() == "Whole county"


def test_theme_dark_and_light(qapp):
    from PySide6.QtGui import QPalette

    from ui.theme import apply_theme

    try:
        assert apply_theme(qapp, "dark") == "dark"
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert "#14202e" in qapp.styleSheet()
    finally:
        apply_theme(qapp, "light")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200


def test_self_test_opens_every_screen_and_exits_zero(tmp_path):
    # no --no-sandbox from outside: run as root (as here), the desktop must add it itself or the map kills it
    env = {key: value for key, value in os.environ.items()
           if key not in ("QTWEBENGINE_CHROMIUM_FLAGS", "QTWEBENGINE_DISABLE_SANDBOX")}
    env.update(QT_QPA_PLATFORM="offscreen", COMMANDROOM_HOME=str(tmp_path), HOME=str(tmp_path / "user-home"))
    proc = subprocess.run([sys.executable, "-m", "commandroom", "desktop", "--self-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "self-test: opened 8 pages" in proc.stdout
    assert "map drawn" in proc.stdout
    if os.geteuid() == 0:
        assert proc.stderr.count("running as root: the map's web engine runs without its sandbox") == 1
    assert not (tmp_path / "user-home").exists(), "nothing may be written outside COMMANDROOM_HOME"


def test_start_up_does_not_import_qtwebengine(tmp_path):
    code = ("import sys, ui.app, ui.main_window, ui.inbox.view, ui.conflicts.view; "
            "print(any(m.startswith('PySide6.QtWebEngine') for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.stdout.strip() == "False", proc.stderr


FIRST_WINDOW_CHILD = """
import sys
import ui.app as app
from commandroom.config import load_settings

def look(dialog):  # in place of the benchmark's probe: report what the user sees, then Quit
    core = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')
                  or m.startswith('commandroom.domain.models') or m.startswith('commandroom.sync'))
    print('CORE', core, flush=True)
    print('DIALOG', dialog.isVisible(), dialog.connection_box.isVisible(), dialog.server_edit.text(),
          dialog.username_edit.text() or '-', flush=True)
    dialog.reject()

app._probe_sign_in = look
raise SystemExit(app.run_desktop(load_settings(), profile='first'))
"""


def test_first_window_is_the_sign_in_dialog_before_the_core_loads(tmp_path):
    """A first start (no store yet): the dialog asks for the connection; SQLAlchemy has not been imported."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COMMANDROOM_HOME": str(tmp_path),
           "COMMANDROOM_STARTUP_PROBE": "1", "COMMANDROOM_SERVER_URL": "https://cs-zhzx.example.gov.cn"}
    proc = subprocess.run([sys.executable, "-c", FIRST_WINDOW_CHILD], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "CORE []" in proc.stdout, proc.stdout
    assert "DIALOG True True https://cs-zhzx.example.gov.cn -" in proc.stdout, proc.stdout
    # quitting waited for the background open to finish: the store exists and was closed cleanly
    assert (tmp_path / "data" / "workstation-first.db").is_file()
    assert not (tmp_path / "data" / "workstation-first.db-wal").exists()


def test_excepthook_logs_and_shows_a_dialog(qapp, caplog, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from ui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook(tmp_path / "desktop.log")  # this test's own (not a /tmp file every run shares)
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    boxes = [w for w in qapp.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and "boom" in boxes[0].detailedText()
    assert any("uncaught exception" in r.message for r in caplog.records)
    for box in boxes:
        box.close()


def test_status_bar_shows_a_long_download_and_hides_it_when_done(qtbot, zh):
    from ui.status_bar import StatusBarWidget

    bar = StatusBarWidget()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_sync_progress(10, 50)  # a small pull: no bar
    assert not bar.sync_progress.isVisible()
    bar.set_sync_progress(25_000, 100_000)  # the first sync of a township
    assert bar.sync_progress.isVisible()
    assert bar.sync_progress.text() == "下载数据 25%"
    bar.set_sync_progress(100_000, 100_000)
    assert not bar.sync_progress.isVisible()


@pytest.mark.asyncio
async def test_first_sign_in_names_the_township_once_its_row_arrives_never_its_code(tmp_path, qtbot, ui, zh):
    """On a fresh workstation the township table comes with the first sync: until then no code is shown."""
    from commandroom.domain.models import Township
    from commandroom.mutations.core import Changes
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store
    from ui.main_window import MainWindow

    fresh = DeskStore(tmp_path / "fresh.db")
    try:
        officer = ui.make_actor(fresh)
        window = MainWindow(fresh, officer, sound=False, sound_dir=tmp_path)
        qtbot.addWidget(window)
        window.show()
        assert ui.QIUCHUAN not in window.windowTitle()
        assert ui.QIUCHUAN not in window.status_bar.township_label.text()
        with fresh.write() as session:
            session.add(Township(code=ui.QIUCHUAN, name="球川镇", short_name="球川", kind="镇", seat_lat=28.89,
                                 seat_lon=118.35, number_prefix="QC"))
        fresh.emit(Changes({"township": {ui.QIUCHUAN}}))  # what a pulled page announces
        await ui.wait_until(lambda: window.status_bar.township_label.text() == "球川镇", what="township name")
        assert window.windowTitle() == "综合信息指挥室 · 球川镇"
        window.close()
    finally:
        forget_store(fresh)
        fresh.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_sidebar_and_incident_headers_are_not_clipped(store, actor, qtbot, ui, tmp_path, qapp, language):
    from PySide6.QtCore import Qt

    from ui.i18n import install_translators
    from ui.main_window import MainWindow

    install_translators(qapp, language)
    try:
        window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
        qtbot.addWidget(window)
        window.show()
        fm = window.nav.fontMetrics()
        room = window.nav.width() - window.nav.iconSize().width() - 24
        assert all(fm.horizontalAdvance(window.nav.item(i).text()) <= room for i in range(window.nav.count()))
        view = window.show_page("incidents")
        await view.wait_idle()
        header = view.table.horizontalHeader()
        from ui.incidents.view import COL_TITLE

        for col in range(view.model.columnCount()):
            if col == COL_TITLE:
                continue
            title = view.model.headerData(col, Qt.Orientation.Horizontal)
            assert view.table.columnWidth(col) >= header.fontMetrics().horizontalAdvance(title) + 20, title
        assert "ms" not in view.count_label.text() and "毫秒" not in view.count_label.text()
        urgency = view.filter_bar.urgency_combo
        assert urgency.width() >= urgency.fontMetrics().horizontalAdvance(urgency.itemText(0)) + 20
        window.close()
    finally:
        install_translators(qapp, "en")


@pytest.mark.asyncio
async def test_ctrl_f_focuses_the_search_box_and_the_undo_merge_banner_ends_with_the_next_step(
        store, actor, qtbot, ui, tmp_path, zh):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from ui.main_window import PAGE_INBOX, PAGE_INCIDENTS, UNDO_MERGE_KEY, MainWindow
    from ui.notifications import Notice

    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    await ui.wait_until(lambda: QApplication.activeWindow() is window, what="window active")
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.inbox.search_edit.hasFocus()
    incidents = window.show_page(PAGE_INCIDENTS)
    incidents.table.setFocus()
    qtbot.keyClick(incidents.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert incidents.filter_bar.search_edit.hasFocus()

    def undo_banners() -> int:
        return sum(1 for b in window.banner.banners if b.notice.key == UNDO_MERGE_KEY)

    inbox = window.show_page(PAGE_INBOX)
    inbox.banner_requested.emit(Notice("已将 1 条报告合并", key=UNDO_MERGE_KEY, action_text="撤销", action=lambda: None))
    assert undo_banners() == 1
    inbox.action_did_finish.emit("report.reject", ["r-1"])  # a later action
    assert undo_banners() == 0
    inbox.banner_requested.emit(Notice("已将 1 条报告合并", key=UNDO_MERGE_KEY, action_text="撤销", action=lambda: None))
    window.show_page(PAGE_INCIDENTS)  # another page
    assert undo_banners() == 0


@pytest.mark.asyncio
async def test_an_offline_restart_shows_the_last_sync_not_never_synced(store, actor, qtbot, ui, tmp_path, zh):
    """The desk synced, then restarts without the server: the status bar still says when it last synced."""
    from datetime import datetime

    from commandroom.sync.engine import SyncEngine
    from commandroom.timeutil import fmt_local
    from ui.main_window import MainWindow

    synced = datetime(2026, 12, 6, 1, 30)
    before = SyncEngine(store, "http://127.0.0.1:9", device_name="测试工作站")
    before._set_status(online=True, offline_since=None, last_success=synced)  # what a successful round does
    await before.aclose()

    after = SyncEngine(store, "http://127.0.0.1:9", device_name="测试工作站")  # the restart, server away
    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.attach_engine(after)
    window.show()
    text = window.status_bar.last_sync_label.text()
    assert text != "尚未同步" and fmt_local(synced, "%H:%M") in text, text
    await after.aclose()


def test_the_window_and_the_application_have_the_app_icon(store, actor, qtbot, tmp_path):
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    assert not window.windowIcon().isNull() and window.windowIcon().availableSizes()
    assert not QApplication.instance().windowIcon().isNull()  # what the tray icon and the taskbar show


@pytest.mark.asyncio
async def test_settings_page_saves_to_the_toml_and_applies_theme_and_sound(store, actor, qtbot, ui, tmp_path, zh,
                                                                             qapp):
    from PySide6.QtGui import QPalette

    from commandroom.config import load_settings
    from ui.main_window import MainWindow
    from ui.theme import apply_theme

    window = MainWindow(store, actor, sound=True, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.show()
    assert window.settings_button.text() == "设置"
    window.settings_button.click()
    dialog = window.settings_dialog
    await ui.wait_until(lambda: dialog.isVisible(), what="settings dialog")
    try:
        dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
        dialog.sound_check.setChecked(False)
        dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
        dialog.server_edit.setText("ftp://wrong")
        dialog.save_button.click()
        assert dialog.isVisible() and "http://" in dialog.error_label.text()  # nothing half-written
        assert not load_settings().config_file.exists()
        dialog.server_edit.setText("https://county.example.gov.cn")
        dialog.workstation_edit.setText("球川指挥室 1 号席")
        dialog.save_button.click()
        await ui.wait_until(lambda: not dialog.isVisible(), what="saved")
        saved = load_settings()
        assert (saved.theme, saved.sound, saved.language) == ("dark", False, "en")
        assert (saved.server_url, saved.workstation_name) == ("https://county.example.gov.cn", "球川指挥室 1 号席")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80  # dark at once
        assert window.notifier.sound_enabled is False
        await ui.wait_until(lambda: store.meta("server_url") == "https://county.example.gov.cn",
                            what="the sign-in dialog's prefill")
    finally:
        apply_theme(qapp, "light")
