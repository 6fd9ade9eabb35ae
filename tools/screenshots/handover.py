"""Screenshots of the handover dialog and the first page of the briefing PDF (used by
``python -m tools.screenshots.incidents``); alone, ``python -m tools.screenshots.handover [--lang en]``
shoots the dialog only (``handover_dialog.png`` / ``en_handover_dialog.png``) on 7 days of demo history."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from commandroom.queries.briefing import TaskState, local_today
from commandroom.timeutil import utcnow
from tools.screenshots import seeded_store_copy, shot_name


def _busiest_township(store: Any) -> str:
    with store.read() as session:
        conn = session.connection().connection.driver_connection
        row = conn.execute("SELECT township_code, count(*) AS n FROM incident WHERE state != 'closed' "
                           "GROUP BY township_code ORDER BY n DESC LIMIT 1").fetchone()
    return row[0]


async def shoot_handover(store: Any, actor: Any, parent: Any, out: Path, *, briefing: bool = True) -> list[Path]:
    from datetime import timedelta

    from tools.screenshots.incidents import pdf_first_page
    from ui.handover.briefing_dialog import export_briefing
    from ui.handover.dialog import HandoverDialog

    saved: list[Path] = []
    township = _busiest_township(store)
    dialog = HandoverDialog(store, actor, (township,), parent)
    dialog.resize(1400, 900)
    dialog.show()
    for _ in range(100):
        await asyncio.sleep(0.05)
        if dialog.summary is not None:
            break
    dialog.tabs.setCurrentIndex(1 if dialog.summary and dialog.summary.overdue else 0)
    dialog.notes_edit.setPlainText("大桥头村扬尘点已电话督促施工方，明早 9 点复查；12345 回访 2 件待回电。")
    dialog.incoming_edit.setText("陈接班")
    dialog.outgoing_check.setChecked(True)
    dialog.incoming_check.setChecked(True)
    await asyncio.sleep(0.2)
    path = out / shot_name("handover_dialog.png")
    dialog.grab().save(str(path))
    saved.append(path)
    dialog.close()
    if not briefing:
        return saved

    folder = Path(tempfile.mkdtemp(prefix="cr-briefing-"))
    day = local_today(utcnow()) - timedelta(days=1)
    files = await export_briefing(store, day=day, scope=None, folder=folder, pdf=True, xlsx=True, state=TaskState())
    pdf = next(p for p in files if p.suffix == ".pdf")
    png = out / "handover_briefing_page1.png"
    if pdf_first_page(pdf, png):
        saved.append(png)
    return saved


async def _shoot_alone(out: Path, days: int) -> list[Path]:
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    store = DeskStore(seeded_store_copy(f"wall-demo-{days}", days))
    actor = Actor(user_id=None, name="周值班", role="county_coordinator", scope_kind="county",
                  device_id=store.device_id, device_name="县指挥中心-01")
    try:
        return await shoot_handover(store, actor, None, out, briefing=False)
    finally:
        forget_store(store)
        store.close()


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(_shoot_alone, description=__doc__, default_days=7, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
