"""Screenshots of the screens that talk to the county server (系统管理, 通知记录, 冲突与退回 naming a record this
desk no longer holds), against the real server, in Chinese at 1600×1000.

Runs only when asked: ``COMMANDROOM_SCREENSHOTS=1 pytest tests/e2e/test_screens_screenshots.py -k sqlite``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from commandroom.domain.models import AuditEntry, Incident
from tests.e2e.conftest import PASSWORD, new_id, wait_until

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
SIZE = (1600, 1000)

pytestmark = [pytest.mark.asyncio,
              pytest.mark.skipif(not os.environ.get("COMMANDROOM_SCREENSHOTS"),
                                 reason="set COMMANDROOM_SCREENSHOTS=1 to regenerate docs/screenshots")]


@pytest.fixture
def zh(qapp):
    from ui.i18n import install_translators
    from ui.theme import apply_theme

    install_translators(qapp, "zh_CN")
    apply_theme(qapp, "light")
    yield
    install_translators(qapp, "en")


async def _save(widget, name: str) -> None:
    await asyncio.sleep(0.3)
    OUT.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(OUT / name))


async def test_admin_screenshots(county, qtbot, zh):
    from commandroom.server.scheduler import JOBS, Scheduler
    from commandroom.server.users import create_user
    from ui.admin.view import AdminView

    with county.server.state.transaction() as s:
        create_user(s, username="root", display_name="县管理员", role="admin", password=PASSWORD)
        create_user(s, username="gw-qc-07", display_name="徐建华", role="grid-worker", township_code="球川")
    ws = await county.workstation("县信息中心-管理台", "root")

    def broken(run) -> None:
        raise RuntimeError("数据库连接中断（服务器重启中）")

    Scheduler(county.server.state, jobs=tuple(replace(j, fn=broken) if j.name == "auto_cards" else j
                                              for j in JOBS)).tick()
    view = AdminView(ws.engine._request, ws.actor)
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    await view.load()
    view.tabs.setCurrentIndex(view.tabs.indexOf(view.jobs_table.parentWidget()))
    await _save(view, "admin_jobs.png")

    target = min(e["id"] for e in view.audit_model.rows if e["action"] == "user.create")
    with county.server.state.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == target).values(action="user.enable"))
    view.tabs.setCurrentIndex(view.tabs.indexOf(view.audit_table.parentWidget()))
    view.verify_button.click()
    await view.wait_idle()
    await _save(view, "admin_audit_verify.png")


async def test_notices_screenshot(county, qtbot, zh):
    from tests.e2e.test_notices import Receivers, _configure, _dispatch_from_the_desk
    from ui.notices.view import NoticesView

    with Receivers(sms_failures=100) as receivers:
        await _configure(county, receivers, robot_secret="SECwrong-secret")
        county.server.state.extras["notice_retry_pauses"] = (600, 600)
        await _dispatch_from_the_desk(county)
        await wait_until(lambda: len(receivers.mail) == 1, 15, "the e-mail")
        desk = await county.workstation("球川镇指挥室-01", "qc1")
        view = NoticesView(desk.engine._request, desk.actor)
        qtbot.addWidget(view)
        view.resize(*SIZE)
        view.show()
        for _ in range(100):
            await view.wait_idle()
            if view.model.rowCount() == 3 and all(r.get("attempts") for r in view.all_rows):
                break
            view.refresh_button.click()
            await asyncio.sleep(0.1)
        await _save(view, "notices_log.png")


async def test_conflicts_screenshot(county, qtbot, zh):
    from ui.conflicts.view import ConflictsView

    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    report_id = await county.report("球川镇学校门口违停，影响接送")
    await a.sync()
    inc = new_id()
    a.perform("report.accept", report_id, {"incident_id": inc})
    assert await a.sync() and await b.sync()
    await county.server.astop()
    a.perform("incident.update", inc, {"title": "学校门口违停（甲改）"})
    a.perform("incident.close", inc, {"note": "甲：已劝离"})
    b.perform("incident.update", inc, {"title": "学校门口违停（乙改）"})
    b.perform("incident.close", inc, {"note": "乙：已恢复通行"})
    await county.server.astart()
    assert await a.sync() and await b.sync() and await a.sync() and await b.sync()
    with b.store.write() as s:
        s.execute(delete(Incident).where(Incident.id == inc))
    view = ConflictsView(b.store, b.actor, [b.actor.township_code])
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    view.load()
    await asyncio.sleep(0.5)
    await _save(view, "conflicts_record_gone.png")
