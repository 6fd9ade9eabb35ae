"""Screenshot of the department seat (部门工作台) in Chinese: ``python -m tools.screenshots.department``.

A workstation store with the reference data, and the work a county department really gets from several
townships through the real mutations (dispatches, summonses, a one-thing case), some of it late; then the
desktop's main window signed in as the 市场监管局 liaison.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

LIAISON_NAME = "市场监管局联络员 郑敏"
MATTERS = [  # township, category, title, what the township does (dispatch / summon / late dispatch)
    ("330822111", "food_safety", "集镇超市出售过期食品", "dispatch"),
    ("330822001", "food_safety", "城东菜市场无证熟食摊", "dispatch"),
    ("330822104", "food_safety", "白石中学门口流动摊贩售卖三无食品", "summon"),
    ("330822211", "sanitation", "同弓乡农家乐油烟扰民", "summon"),
    ("330822002", "food_safety", "紫港街道奶茶店原料过期", "late"),
]


def _actor(store: Any, township: str, name: str) -> Any:
    from commandroom.mutations.core import Actor

    return Actor(user_id=f"u-{township}", name=name, role="duty_officer", scope_code=township,
                 township_code=township, device_id=store.device_id, device_name="乡镇指挥室")


def liaison(store: Any) -> Any:
    from commandroom.mutations.core import Actor

    return Actor(user_id="u-market", name=LIAISON_NAME, role="department_liaison", scope_kind="county",
                 device_id=store.device_id, device_name="市监局电脑", department_code="market")


def build_store(folder: Path) -> Any:
    """A workstation store holding the department's work (made with the real mutations)."""
    from sqlalchemy import select

    from commandroom.domain.models import Grid, Incident
    from commandroom.ids import new_id
    from commandroom.refdata.loader import load_reference, read_reference
    from commandroom.store.local import DeskStore
    from commandroom.timeutil import iso, utcnow

    store = DeskStore(folder / "workstation.db")
    with store.write() as session:
        load_reference(session, read_reference())
    now = utcnow()
    for i, (town, category, title, how) in enumerate(MATTERS):
        officer = _actor(store, town, "值班员")
        with store.read() as session:
            grid = session.scalars(select(Grid).where(Grid.township_code == town).order_by(Grid.id)).first()
        rid, iid = new_id(), new_id()
        store.perform(officer, "report.create", rid, {
            "source": "grid_patrol", "category_code": category, "description": title, "township_code": town,
            "grid_id": grid.id if grid else None, "lat": grid.lat if grid else None, "lon": grid.lon if grid else None,
            "reporter_name": "网格员", "reported_at": iso(now - timedelta(hours=3 + i))})
        store.perform(officer, "report.accept", rid, {"incident_id": iid, "title": title, "urgency": "L2"})
        if how in ("dispatch", "late"):
            store.perform(officer, "incident.dispatch", iid, {"target_kind": "department", "target_code": "market",
                                                              "dispatch_id": new_id()})
        else:
            store.perform(officer, "summon", new_id(), {"incident_id": iid, "hours": 2 + 2 * i,
                                                        "targets": [{"kind": "department", "code": "market"}]})
        if how == "late":  # a clock that has run out, as the list shows it
            with store.write() as session:
                inc = session.get(Incident, iid)
                inc.ack_due = now - timedelta(minutes=40)
    officer = _actor(store, "330822111", "值班员")
    store.perform(officer, "case.open", new_id(), {"type_code": "gas_management", "township_code": "330822111",
                                                   "title": "城镇燃气：球川集镇餐饮场所隐患排查"})
    return store


async def shoot(out: Path, _days: int) -> list[Path]:
    from ui.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="cr-dept-shot-"))
    store = build_store(folder)
    window = MainWindow(store, liaison(store), sound=False, sound_dir=folder)
    window.resize(1500, 820)
    window.show()
    page = window.page("department")
    await page.wait_idle()
    await asyncio.sleep(0.3)
    if page.model.rowCount():
        page.table.selectRow(0)
    await asyncio.sleep(0.3)
    path = out / "department_workspace.png"
    window.grab().save(str(path))
    window.close()
    return [path]


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(shoot, description=__doc__ or "", default_days=0, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
