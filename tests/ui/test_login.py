"""Sign-in: first run asks for the connection; online through the real server; offline against the verifier;
at a cold start the dialog comes before the local store has opened."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt


def _settings(tmp_path):
    from commandroom.config import load_settings

    return load_settings({"server_url": "http://127.0.0.1:8350", "workstation_name": "球川镇指挥室1号"})


def _server(tmp_path):
    from commandroom.domain.models import Township, User
    from commandroom.server.app import create_app
    from commandroom.server.auth import hash_password
    from commandroom.server.state import open_state

    state = open_state(f"sqlite:///{tmp_path / 'server.db'}")
    state.extras["marker_dir"] = str(tmp_path / "server-data")
    with state.transaction() as s:
        s.add(Township(code="330822111", name="球川镇", short_name="球川", kind="镇", seat_lat=28.87, seat_lon=118.33,
                       number_prefix="QC"))
        s.flush()
        s.add(User(username="wangzb", display_name="王值班", role="duty_officer", scope_kind="township",
                   scope_code="330822111", township_code="330822111", password_hash=hash_password("correct-horse")))
    return create_app(state=state)


class DownTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request):
        raise httpx.ConnectError("network is down", request=request)


def _dialog(store, settings, holder, qtbot, first_run=True, username=""):
    from ui.app import make_authenticator
    from ui.login_dialog import LoginDialog

    dialog = LoginDialog(make_authenticator(store, settings, holder), server_url=settings.server_url,
                         workstation_name=settings.workstation_name, username=username, first_run=first_run)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_first_run_shows_connection_fields_later_runs_hide_them(store, qtbot, tmp_path, zh):
    from ui.login_dialog import LoginDialog

    async def never(req):
        raise AssertionError("not called")

    first = LoginDialog(never, server_url="", workstation_name="", first_run=True)
    qtbot.addWidget(first)
    first.show()
    assert first.connection_box.isVisible()
    assert first.windowTitle() == "指挥室 · 登录"
    first.username_edit.setText("a")
    first.password_edit.setText("b")
    first.login_button.click()
    assert "县级服务器" in first.message_label.text()
    later = LoginDialog(never, server_url="http://x", workstation_name="w", username="wangzb")
    qtbot.addWidget(later)
    later.show()
    assert not later.connection_box.isVisible()
    assert later.password_edit.hasFocus() or later.focusWidget() is later.password_edit


@pytest.mark.asyncio
async def test_online_sign_in_then_offline_sign_in_with_the_verifier(store, qtbot, tmp_path, monkeypatch, ui):
    import ui.app as app_module
    from commandroom.sync.engine import SyncEngine

    app = _server(tmp_path)
    transport: list[httpx.AsyncBaseTransport] = [httpx.ASGITransport(app=app)]
    monkeypatch.setattr(app_module, "_make_engine", lambda st, settings, req: SyncEngine(
        st, req.server_url, transport=transport[0], device_name=req.workstation_name))
    settings = _settings(tmp_path)
    holder: dict = {}
    dialog = _dialog(store, settings, holder, qtbot)
    dialog.username_edit.setText("wangzb")
    dialog.password_edit.setText("correct-horse")
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    await ui.wait_until(lambda: dialog.task is not None)
    await dialog.task
    assert dialog.result_value is not None and dialog.result_value.online
    assert dialog.result_value.user["display_name"] == "王值班"
    actor = app_module.actor_from_user(dialog.result_value.user, store, "球川镇指挥室1号")
    assert actor.township_code == "330822111" and actor.device_id == store.device_id
    assert store.meta("last_username") == "wangzb"
    await holder["engine"].aclose()

    # the network goes down: the same password still signs in, offline
    transport[0] = DownTransport()
    holder2: dict = {}
    dialog2 = _dialog(store, settings, holder2, qtbot, first_run=False, username="wangzb")
    dialog2.password_edit.setText("wrong-password")
    dialog2.login_button.click()
    await dialog2.task
    assert dialog2.result_value is None and dialog2.message_label.isVisible()
    dialog2.password_edit.setText("correct-horse")
    dialog2.login_button.click()
    await dialog2.task
    assert dialog2.result_value is not None and not dialog2.result_value.online
    assert dialog2.result_value.user["username"] == "wangzb"
    await holder2["engine"].aclose()


@pytest.mark.asyncio
async def test_wrong_password_online_is_not_retried_offline(store, qtbot, tmp_path, monkeypatch, ui, zh):
    import ui.app as app_module
    from commandroom.sync.engine import SyncEngine

    app = _server(tmp_path)
    monkeypatch.setattr(app_module, "_make_engine", lambda st, settings, req: SyncEngine(
        st, req.server_url, transport=httpx.ASGITransport(app=app)))
    holder: dict = {}
    dialog = _dialog(store, _settings(tmp_path), holder, qtbot)
    dialog.username_edit.setText("wangzb")
    dialog.password_edit.setText("nope-nope")
    dialog.login_button.click()
    await dialog.task
    assert dialog.result_value is None
    assert dialog.message_label.text() == "用户名或密码错误。"
    # the message takes room of its own: the fields keep their height, the dialog grows
    await ui.wait_until(lambda: dialog.message_label.isVisible(), what="message shown")
    for edit in (dialog.username_edit, dialog.password_edit):
        assert edit.height() >= edit.sizeHint().height(), (edit.height(), edit.sizeHint().height())
    assert dialog.height() >= dialog.sizeHint().height()
    await holder["engine"].aclose()


def _visible_login_dialog():
    from PySide6.QtWidgets import QApplication

    from ui.login_dialog import LoginDialog

    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()), None)


def test_the_dialog_is_prefilled_from_the_store_file_without_opening_the_store(tmp_path):
    from commandroom.domain.models import LocalMeta
    from commandroom.store import peek
    from commandroom.store.local import DeskStore

    path = tmp_path / "workstation.db"
    assert peek.peek_meta(path, ["last_username"]) == {}  # first run: no file yet
    assert not path.exists()  # and looking did not create one
    store = DeskStore(path)
    store.set_meta("last_username", "wangzb")
    store.set_meta("server_url", "https://cs-zhzx.example.gov.cn")
    store.set_meta("workstation_name", "2")  # a name that looks like a number stays a name
    store.close()
    assert LocalMeta.__tablename__ == peek.TABLE
    assert peek.peek_meta(path, ["last_username", "server_url", "workstation_name", "first_local_seq", "never_set"]) == {
        "last_username": "wangzb", "server_url": "https://cs-zhzx.example.gov.cn", "workstation_name": "2",
        "first_local_seq": 1}


@pytest.mark.asyncio
async def test_sign_in_waits_for_the_store_still_opening_and_says_so(tmp_path, qtbot, monkeypatch, ui, zh):
    import asyncio
    import threading

    import ui.app as app_module
    from commandroom.store.local import DeskStore
    from commandroom.sync.engine import SyncEngine

    path = tmp_path / "workstation.db"
    earlier = DeskStore(path)  # yesterday's sign-in
    earlier.set_meta("server_url", "http://127.0.0.1:8350")
    earlier.set_meta("workstation_name", "球川镇指挥室1号")
    earlier.set_meta("last_username", "wangzb")
    earlier.close()
    server = _server(tmp_path)
    monkeypatch.setattr(app_module, "_make_engine", lambda st, settings, req: SyncEngine(
        st, req.server_url, transport=httpx.ASGITransport(app=server), device_name=req.workstation_name))
    gate = threading.Event()  # holds the background open until the test lets it go
    real_open = app_module._open_store
    monkeypatch.setattr(app_module, "_open_store", lambda p: gate.wait(30) and real_open(p))

    opener = app_module.StoreOpener(path)
    holder: dict = {}
    signing_in = asyncio.ensure_future(app_module.sign_in(opener, _settings(tmp_path), holder))
    try:
        dialog = await ui.wait_until(_visible_login_dialog, what="the sign-in dialog")
        qtbot.addWidget(dialog)
        # up and prefilled from the file while the store is not open yet
        assert not opener.ready.done()
        assert dialog.username_edit.text() == "wangzb"
        assert not dialog.connection_box.isVisible()
        dialog.connection_button.click()
        assert dialog.server_edit.text() == "http://127.0.0.1:8350"
        assert dialog.workstation_edit.text() == "球川镇指挥室1号"

        qtbot.keyClicks(dialog.password_edit, "correct-horse")
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        await ui.wait_until(lambda: dialog.message_label.text() == "正在打开本机数据…", what="the wait message")
        assert not dialog.login_button.isEnabled() and dialog.isVisible()
        await asyncio.sleep(0.1)  # the loop keeps running; the sign-in stays parked
        assert dialog.result_value is None and "engine" not in holder

        gate.set()
        actor = await asyncio.wait_for(signing_in, 30)
        store = await opener.store()
        assert actor.name == "王值班" and actor.township_code == "330822111"
        assert actor.device_id == store.device_id
        assert store.meta("last_username") == "wangzb"
    finally:
        gate.set()
        if not signing_in.done():
            signing_in.cancel()
        if "engine" in holder:
            await holder["engine"].aclose()
        await opener.close()


@pytest.mark.asyncio
async def test_quitting_while_the_store_opens_abandons_the_sign_in(qtbot, ui, zh):
    import asyncio

    from ui.login_dialog import LoginDialog

    calls: list = []

    async def authenticate(req):
        calls.append(req)
        raise AssertionError("signed in after Quit")

    ready = asyncio.get_running_loop().create_future()
    dialog = LoginDialog(authenticate, server_url="http://x", workstation_name="w", username="wangzb", ready=ready)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password_edit.setText("correct-horse")
    dialog.login_button.click()
    await ui.wait_until(lambda: dialog.message_label.text() == "正在打开本机数据…")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    ready.set_result(object())
    await asyncio.sleep(0.05)
    assert calls == [] and dialog.result_value is None and not ready.cancelled()


@pytest.mark.asyncio
async def test_a_store_that_cannot_open_is_shown_in_the_dialog(qtbot, ui, zh):
    import asyncio

    from ui.login_dialog import LoginDialog

    async def authenticate(req):
        raise AssertionError("not reached")

    ready = asyncio.get_running_loop().create_future()
    dialog = LoginDialog(authenticate, server_url="http://x", workstation_name="w", username="wangzb", ready=ready)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password_edit.setText("correct-horse")
    dialog.login_button.click()
    ready.set_exception(OSError("disk I/O error"))
    await dialog.task
    assert dialog.message_label.text() == "无法打开本机数据：disk I/O error"
    assert dialog.isVisible() and dialog.login_button.isEnabled()
