"""Screenshots of the incident screens and the handover: ``python -m tools.screenshots.incidents --out DIR``.

Seeds a store with the project's demo history (``seed_database(demo_days=…)``, cached
under the temp dir), opens the screens offscreen at 1600×1000 in Chinese and saves:
incidents_table.png, incidents_detail.png, incidents_dispatch_dialog.png,
incidents_return_dialog.png, handover_dialog.png, handover_briefing_page1.png (the PDF's
first page, through ``pdftoppm`` when it is installed).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tools.screenshots import seeded_store_copy

SIZE = (1600, 1000)
DEMO_VERSION = 1


def demo_store_path(days: int = 45) -> Path:
    """A seeded store with ``days`` of demo history (built once, then copied)."""
    return seeded_store_copy(f"demo-v{DEMO_VERSION}-{days}", days)


def _pick_clock_incident(store: Any, now: datetime) -> tuple[str, datetime]:
    """An open incident and the first moment from ``now`` on (within 3 h) at which one of its running
    clocks is overdue and another is due soon; the clocks are frozen there for the screenshot."""
    from sqlalchemy import select

    from commandroom.domain.clocks import running_clocks
    from commandroom.domain.models import Incident
    from commandroom.services.deadlines import clock_state

    with store.read() as session:
        rows = list(session.scalars(select(Incident).where(
            Incident.state.in_(["pending_dispatch", "dispatched", "acknowledged"]), Incident.deleted.is_(False))
            .order_by(Incident.created_at.desc()).limit(1000)))
        session.expunge_all()
    for step in range(0, 19):
        moment = now + timedelta(minutes=10 * step)
        for inc in rows:
            clocks = running_clocks(inc.state, inc.acknowledged_at, inc.onsite_at, inc.ack_due, inc.onsite_due,
                                    inc.close_due)
            started = {"ack": inc.dispatched_at or inc.created_at,
                       "onsite": inc.acknowledged_at or inc.dispatched_at or inc.created_at}
            states = {clock_state(due, None, moment, started.get(kind, inc.created_at)) for kind, due in clocks}
            if {"warning", "overdue"} <= states:
                return inc.id, moment
    return rows[0].id, now


def _first_incident(store: Any, category: str, state: str) -> str | None:
    with store.read() as session:
        conn = session.connection().connection.driver_connection
        row = conn.execute("SELECT id FROM incident WHERE category_code = ? AND deleted = 0 "
                           "ORDER BY state = ? DESC, state != 'closed' DESC, created_at DESC LIMIT 1",
                           (category, state)).fetchone()
    return row[0] if row else None


async def _shoot(out: Path, days: int) -> list[Path]:

    from commandroom.mutations.core import Actor
    from commandroom.queries.incidents import dispatch_choices
    from commandroom.store.local import DeskStore
    from commandroom.timeutil import utcnow
    from ui.async_runner import forget_store
    from ui.incidents.dialogs import DispatchDialog, ReturnDialog
    from ui.incidents.view import IncidentsView

    saved: list[Path] = []
    store = DeskStore(demo_store_path(days))
    actor = Actor(user_id=None, name="周值班", role="county_coordinator", scope_kind="county",
                  device_id=store.device_id, device_name="县指挥中心-01")
    view = IncidentsView(store, actor)
    view.resize(*SIZE)
    view.show()
    for _ in range(200):
        await asyncio.sleep(0.05)
        if view.model.rowCount() and not view.model.loading:
            break
    await view.wait_idle()
    await asyncio.sleep(0.3)

    def save(widget: Any, name: str) -> None:
        path = out / name
        widget.grab().save(str(path))
        saved.append(path)

    # the table: open incidents first, so the countdown column has something to show
    view.filter_bar.state_combo.setCurrentIndex(view.filter_bar.state_combo.findData("__open__"))
    await asyncio.sleep(0.1)
    await view.wait_idle()
    await asyncio.sleep(0.3)
    save(view, "incidents_table.png")

    # the detail panel: one clock overdue, one due soon
    incident_id, moment = _pick_clock_incident(store, utcnow())
    view.set_now(moment)
    view.filter_bar.state_combo.setCurrentIndex(0)
    await asyncio.sleep(0.1)
    await view.wait_idle()
    view.select_incident(incident_id)
    await asyncio.sleep(0.2)
    await view.wait_idle()
    view.detail.set_now(moment)
    await asyncio.sleep(0.2)
    save(view, "incidents_detail.png")

    # the dialogs act on a 城区机动车违停 incident still waiting for dispatch
    parking = _first_incident(store, "urban_parking", "pending_dispatch")
    if parking:
        view.set_now(None)
        view.detail.load_now(parking)
    choices = dispatch_choices(store)
    f = view.detail.detail.fields
    dialog = DispatchDialog(choices, lead_department=f.get("lead_department_code"), zone_id=f.get("zone_id"),
                            prefer_team=True, subject=view.detail.subject(), parent=view)
    members = choices.members.get(f.get("zone_id") or "", [])
    for m in [m for m in members if m.status != "off_duty"][:3] or members[:2]:
        dialog.check_member(m.id)
    dialog.note_edit.setPlainText("请于30分钟内到场处置，注意留存前后对比照片。")
    dialog.show()
    await asyncio.sleep(0.2)
    save(dialog, "incidents_dispatch_dialog.png")
    dialog.close()

    ret = ReturnDialog(choices, subject=view.detail.subject(), parent=view)
    ret.reason_edit.setPlainText("该点位属城区主干道，机动车违停查处由交警大队负责，不属本部门职责。")
    i = ret.proposal_combo.findText("交警大队")
    ret.proposal_combo.setCurrentIndex(max(i, 1))
    ret.proposal_edit.setPlainText("依据属地管理事项清单第12项“城区机动车违停治理”，由交警大队牵头。")
    ret.show()
    await asyncio.sleep(0.2)
    save(ret, "incidents_return_dialog.png")
    ret.close()

    from tools.screenshots.handover import shoot_handover

    saved.extend(await shoot_handover(store, actor, view, out))

    view.close()
    await view.wait_idle()
    forget_store(store)
    store.close()
    return saved


def pdf_first_page(pdf: Path, png: Path) -> bool:
    """Render page 1 of ``pdf`` to ``png`` with pdftoppm (poppler-utils); False when it is missing."""
    exe = shutil.which("pdftoppm")
    if not exe:
        return False
    stem = png.with_suffix("")
    subprocess.run([exe, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)], check=True)
    return png.exists()


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(_shoot, description=__doc__, default_days=45, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
