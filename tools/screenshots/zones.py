"""Screenshots of the enforcement-zone page: ``python -m tools.screenshots.zones --out DIR``.

Seeds a store with the demo county (``seed_database(demo_days=…)``: history, rosters, a
loan, team dispatches; cached under the temp dir), opens the page offscreen at 1600×1000
in Chinese and saves zones_board.png, zones_members.png, zones_roster_clash.png (a shift
that collides with the member's shift in the zone they are lent to) and
zones_dispatch_dialog.png (the dialog over the page).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tools.screenshots import seeded_store_copy

SIZE = (1600, 1000)
DEMO_VERSION = 2


def demo_store_path(days: int = 14) -> Path:
    """A seeded store with ``days`` of demo history and the team demo (built once an hour, then copied)."""
    from commandroom.timeutil import utcnow

    stamp = utcnow().strftime("%Y%m%d%H")
    return seeded_store_copy(f"zones-v{DEMO_VERSION}-{days}-{stamp}", days)


def compose_over(page: Any, dialog: Any) -> Any:
    """The page dimmed, with ``dialog`` centred on it (what the officer sees)."""
    from PySide6.QtGui import QColor, QPainter

    shot = page.grab()
    front = dialog.grab()
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 90))
    x = (shot.width() - front.width()) // 2
    y = (shot.height() - front.height()) // 2
    painter.drawPixmap(x, y, front)
    painter.end()
    return shot


async def _settle(*views: Any, seconds: float = 0.3) -> None:
    for v in views:
        await v.wait_idle()
    await asyncio.sleep(seconds)


async def _shoot(out: Path, days: int) -> list[Path]:
    from sqlalchemy import select

    from commandroom.domain.models import MemberLoan
    from commandroom.mutations.core import Actor
    from commandroom.queries.zones import incident_rows, team_dispatch_data, zone_incident_ids
    from commandroom.store.local import DeskStore
    from commandroom.timeutil import utcnow
    from ui.async_runner import forget_store
    from ui.zones.dispatch_dialog import TeamDispatchDialog
    from ui.zones.page import TAB_BOARD, TAB_DISPATCHES, TAB_MEMBERS, TAB_ROSTER, ZonesPage

    saved: list[Path] = []
    store = DeskStore(demo_store_path(days))
    actor = Actor(user_id=None, name="王值班", role="duty_officer", scope_kind="township", scope_code="330822111",
                  township_code="330822111", device_id=store.device_id, device_name="球川指挥室-01")
    page = ZonesPage(store, actor)
    page.resize(*SIZE)
    page.show()
    await asyncio.sleep(0.2)

    def save(pixmap_or_widget: Any, name: str) -> None:
        path = out / name
        pix = pixmap_or_widget.grab() if hasattr(pixmap_or_widget, "grab") else pixmap_or_widget
        pix.save(str(path))
        saved.append(path)

    page.show_tab(TAB_BOARD)
    for _ in range(100):
        await asyncio.sleep(0.05)
        if page.board.data is not None:
            break
    await _settle(page.board)
    # the lending suggestion is the board's point: if no zone is busy at this hour, the busiest zone's
    # members report off (休息) one by one, as happens when two go home sick, until one is
    for _ in range(4):
        data = page.board.data
        if any(z.lend_suggestion for z in data.zones):
            break
        busiest = max(data.zones, key=lambda z: z.load)
        member = next((m for m in busiest.members if m.status != "off_duty" and m.lent_from is None), None)
        if member is None:
            break
        store.perform(actor, "member.set_status", member.member_id, {"status": "off_duty"})
        page.board.load()
        await _settle(page.board)
    save(page, "zones_board.png")

    page.set_zone("QC")
    page.show_tab(TAB_MEMBERS)
    await _settle(page.members)
    save(page, "zones_members.png")

    # the roster: the member lent out is planned in the borrowing zone; a full day at home collides
    with store.read() as session:
        loan = session.scalars(select(MemberLoan).order_by(MemberLoan.starts_at.desc())).first()
    if loan is not None:
        page.set_zone(loan.from_zone_id)
    page.show_tab(TAB_ROSTER)
    await _settle(page.roster)
    if loan is not None:
        away = [e for e in page.roster.model.week.elsewhere if e.member_id == loan.member_id
                and 0 <= (e.day - page.roster.monday).days < 7]
        if away:
            day = away[0].day
            for _ in range(4):
                shift = page.roster.click_cell(loan.member_id, day)
                if page.roster.model.clashes:
                    break
                if shift is None and _ > 0:
                    break
            page.roster._update_controls()
    await asyncio.sleep(0.2)
    save(page, "zones_roster_clash.png")
    page.roster.reload()
    await _settle(page.roster)

    # the team dispatch dialog over the dispatch tab, for an incident whose zone has an auxiliary or an
    # expired certificate on duty (so the disabled lead is visible)
    page.set_zone("QC")
    page.show_tab(TAB_DISPATCHES)
    await _settle(page.dispatches)
    now = utcnow()
    best = None
    for zone_id in ("QC", "TM", "JC", "ZG", "HB", "FC", "ZX"):
        ids = zone_incident_ids(store, zone_id)
        if not ids:
            continue
        rows = incident_rows(store, ids[:40])
        # an incident in the hub township: the members are near, the distances read well
        ids = sorted(ids[:40], key=lambda i: not rows[i].number.startswith(zone_id + "-"))
        data = team_dispatch_data(store, ids[:1], now)
        score = (sum(1 for c in data.candidates if c.lead_blocker), len(data.candidates))
        if best is None or score > best[0]:
            best = (score, zone_id, ids[0], data)
        if score[0] >= 1 and len(data.candidates) >= 4:
            break
    if best is not None:
        _score, zone_id, incident_id, data = best
        page.set_zone(zone_id)
        await _settle(page.dispatches)
        page.dispatches.select_incident(incident_id)
        dialog = TeamDispatchDialog(data, parent=page)
        dialog.note_edit.setPlainText("请携带执法记录仪，到场后先固定证据，再依法处置。")
        dialog.resize(1200, 780)
        dialog.show()
        await asyncio.sleep(0.3)
        save(compose_over(page, dialog), "zones_dispatch_dialog.png")
        dialog.close()
    page.close()
    for v in (page.board, page.members, page.roster, page.dispatches, page.stats):
        await v.wait_idle()
    forget_store(store)
    store.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(_shoot, description=__doc__, default_days=14, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
