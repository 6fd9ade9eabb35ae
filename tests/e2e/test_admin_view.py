"""The county administrator's screens through the widgets, against the real server over HTTP."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import update

from commandroom.domain.models import AuditEntry
from tests.e2e.conftest import PASSWORD


@pytest.fixture
def zh(qapp):
    """The screens in Chinese, as the county administrator sees them."""
    from ui.i18n import install_translators

    install_translators(qapp, "zh_CN")
    yield
    install_translators(qapp, "en")


@pytest.mark.asyncio
async def test_admin_screens_add_disable_keys_devices_and_audit(county, qtbot, zh):
    from commandroom.server.users import create_user
    from ui.admin.view import AdminView

    with county.server.state.transaction() as s:
        create_user(s, username="root", display_name="县管理员", role="admin", password=PASSWORD)
    ws = await county.workstation("county-admin", "root")
    assert ws.user["roles"] == ["admin"]
    view = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(view)
    view.show()
    await view.load()
    assert {"qc1", "root"} <= {u["username"] for u in view.users_model.rows}

    # a grid worker: the Open311 key is shown once, and no password
    view.username_edit.setText("gw-new")
    view.name_edit.setText("新网格员")
    view.role_edit.setText("grid-worker")
    view.place_edit.setText("球川")
    view.add_button.click()
    await view.wait_idle()
    assert "Open311" in view.notice.text() and "cr311_" in view.notice.text() and "密码" not in view.notice.text()
    new = next(u for u in view.users_model.rows if u["username"] == "gw-new")
    assert new["roles"] == ["grid_worker"] and not new["has_password"]

    # disable an officer: the table says so at once
    view.users_table.selectRow(next(i for i, u in enumerate(view.users_model.rows) if u["username"] == "qc2"))
    view.disable_button.click()
    await view.wait_idle()
    row = next(i for i, u in enumerate(view.users_model.rows) if u["username"] == "qc2")
    assert view.users_model.data(view.users_model.index(row, 4)) == "已停用"

    # workstations: this one is listed with a valid sign-in
    names = [view.devices_model.data(view.devices_model.index(i, 0)) for i in range(view.devices_model.rowCount())]
    assert "county-admin" in names

    # the audit log: the new account's whole history, the chain verified, then a break found
    view.row_edit.setText(new["id"])
    view.search_button.click()
    await view.wait_idle()
    assert [e["action"] for e in view.audit_model.rows] == ["user.create"]
    assert view.audit_model.data(view.audit_model.index(0, 2)) == "新增账号"
    assert view.audit_model.data(view.audit_model.index(0, 3)) == "账号 新网格员"
    view.verify_button.click()
    await view.wait_idle()
    assert view.verify_label.text().startswith("审计链完整")
    first = view.audit_model.rows[0]["id"]
    with county.server.state.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == first).values(action="user.enable"))
    view.verify_button.click()
    await view.wait_idle()
    said = view.verify_label.text()
    # where and why, in the officer's words (the server sent a code and its parameters, not English)
    assert f"审计链在第 #{first} 条处断开" in said and "启用账号" in said and "新网格员" in said
    assert "写入后内容被改动过" in said and "请勿再改动数据库" in said
    assert not any(word in said for word in ("entry", "altered", "user.", "chain"))


@pytest.mark.asyncio
async def test_a_deleted_audit_entry_is_named_in_chinese(county, qtbot, zh):
    from sqlalchemy import delete

    from commandroom.server.users import create_user
    from ui.admin.view import AdminView

    with county.server.state.transaction() as s:
        create_user(s, username="root", display_name="县管理员", role="admin", password=PASSWORD)
        create_user(s, username="gw-a", display_name="甲", role="grid-worker", township_code="球川")
        create_user(s, username="gw-b", display_name="乙", role="grid-worker", township_code="球川")
    ws = await county.workstation("county-admin", "root")
    view = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(view)
    await view.load()
    second = sorted(e["id"] for e in view.audit_model.rows)[1]
    with county.server.state.transaction() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == second))
    view.verify_button.click()
    await view.wait_idle()
    said = view.verify_label.text()
    assert f"审计链在第 #{second} 条处断开" in said and f"编号从 #{second - 1} 直接跳到 #{second + 1}" in said


@pytest.mark.asyncio
async def test_the_administrator_sees_the_scheduler_jobs_in_chinese(county, qtbot, zh):
    from commandroom.server.scheduler import JOBS, Scheduler
    from commandroom.server.users import create_user
    from ui.admin.view import AdminView

    with county.server.state.transaction() as s:
        create_user(s, username="root", display_name="县管理员", role="admin", password=PASSWORD)
    ws = await county.workstation("county-admin", "root")
    view = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(view)
    view.show()
    await view.load()
    view.tabs.setCurrentIndex(view.tabs.indexOf(view.jobs_table.parentWidget()))
    model = view.jobs_model

    def column(n: int) -> list[str]:
        return [model.data(model.index(r, n)) for r in range(model.rowCount())]

    assert model.rowCount() == len(JOBS)
    assert "超时催办与督办（提醒 → 督办单 → 领导通报）" in column(0) and "同步变更日志压缩" in column(0)
    assert set(column(3)) == {"尚未运行"} and "还没有任务运行过" in view.jobs_label.text()
    assert "每 5 分钟" in column(1) and "每天" in column(1)

    # one failing job: the room reads which, why and when it runs again
    def broken(run) -> None:
        raise RuntimeError("数据库连接中断")

    jobs = tuple(replace(j, fn=broken) if j.name == "auto_cards" else j for j in JOBS)
    Scheduler(county.server.state, jobs=jobs).tick()
    view.jobs_button.click()
    await view.wait_idle()
    results = dict(zip(column(0), column(3), strict=True))
    assert results["同步变更日志压缩"].startswith("完成")
    assert results["超期事件与未报到的督办卡片"].startswith("失败：") and "数据库连接中断" in results["超期事件与未报到的督办卡片"]
    row = column(0).index("超期事件与未报到的督办卡片")
    assert model.data(model.index(row, 3), Qt.ItemDataRole.ForegroundRole) is not None
    assert all(column(2)) and all(column(4))  # last and next run shown for every job
    assert "1 项任务上次运行失败" in view.jobs_label.text()


@pytest.mark.asyncio
async def test_admin_column_widths_are_remembered(county, qtbot, zh):
    from commandroom.server.users import create_user
    from ui import ui_state
    from ui.admin.view import AdminView

    with county.server.state.transaction() as s:
        create_user(s, username="root", display_name="县管理员", role="admin", password=PASSWORD)
    ws = await county.workstation("county-admin", "root")
    view = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(view)
    view.show()
    await view.load()
    from tests.ui.test_remembered_layout import drag_done

    view.users_table.horizontalHeader().resizeSection(1, 333)
    drag_done(view.users_table.horizontalHeader())
    view.jobs_table.horizontalHeader().resizeSection(0, 222)
    drag_done(view.jobs_table.horizontalHeader())
    view.close()  # hiding saves what is shown at once; the rest is saved on quitting:
    ui_state.flush()
    again = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(again)
    again.show()
    await again.load()
    assert again.users_table.horizontalHeader().sectionSize(1) == 333
    assert again.jobs_table.horizontalHeader().sectionSize(0) == 222


@pytest.mark.asyncio
async def test_admin_screens_are_closed_to_other_roles(county, qtbot, zh):
    from ui.admin.view import AdminView

    ws = await county.workstation("qc-desk", "qc1")
    view = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(view)
    assert not view.isEnabled() and "系统管理员" in view.notice.text()


@pytest.mark.asyncio
async def test_the_main_window_offers_administration_to_the_administrator_only(county, qtbot, zh, tmp_path):
    from commandroom.server.users import create_user
    from ui.admin.view import AdminView
    from ui.main_window import PAGE_ADMIN, MainWindow

    with county.server.state.transaction() as s:
        create_user(s, username="root", display_name="县管理员", role="admin", password=PASSWORD)
    admin = await county.workstation("county-admin", "root")
    officer = await county.workstation("qc-desk", "qc1")
    window = MainWindow(admin.store, admin.actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.attach_engine(admin.engine)
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert "系统管理" in titles
    page = window.show_page(PAGE_ADMIN)
    assert isinstance(page, AdminView)
    await page.wait_idle()
    assert "qc1" in {u["username"] for u in page.users_model.rows}
    other = MainWindow(officer.store, officer.actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(other)
    assert "系统管理" not in [other.nav.item(i).text() for i in range(other.nav.count())]
