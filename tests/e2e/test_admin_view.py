"""The county administrator's screens through the widgets, against the real server over HTTP."""

from __future__ import annotations

import pytest
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
    view.verify_button.click()
    await view.wait_idle()
    assert view.verify_label.text().startswith("审计链完整")
    first = view.audit_model.rows[0]["id"]
    with county.server.state.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == first).values(action="user.enable"))
    view.verify_button.click()
    await view.wait_idle()
    assert f"#{first}" in view.verify_label.text() and "审计链在" in view.verify_label.text()


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
