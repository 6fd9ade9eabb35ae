"""Screenshots of the county's arbitration queue and the two-way assessment from acts.

``python -m tools.screenshots.disputes --out docs/screenshots`` seeds a demo county, lets departments
return a few 球川 and 天马 matters with counter-proposals and the townships contest them (real mutations),
records one proxy 签收, then saves arbitration.png (the county coordinator's queue, the first dispute's
detail below) and assessment_twoway_acts.png (the township's two-way tab). Two disputes are staged as opened
earlier (their opening time and limit moved back) so the queue shows different times left.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

SIZE = (1600, 1000)
QIUCHUAN = "330822111"
TIANMA = "330822001"

RETURNS = [  # (township, department, its reason, proposed department, the township's contest)
    (QIUCHUAN, "enforcement", "该处为农户自建房屋院内堆放，属村规民约管理范围，非本局执法事项", "housing",
     "堆放物已占用村道，属清单“乱堆乱放”事项，由综合执法局牵头"),
    (QIUCHUAN, "natres", "现场为林地内违建，应由林业水利局查处", "forest_water",
     "卫片图斑显示占用耕地，属自然资源局清单事项 NR-01"),
    (TIANMA, "market", "无证餐饮油烟扰民，建议由生态环境分局检测", "ecoenv",
     "投诉核心为无证经营，清单明确由市场监管局牵头"),
]


async def _settle(*views: Any, pause: float = 0.25) -> None:
    for view in views:
        await view.wait_idle()
    await asyncio.sleep(pause)
    for view in views:
        await view.wait_idle()


def _stage(store: Any) -> list[str]:
    """Real mutations: dispatch → the department's return → the township's contest (and one proxy 签收)."""
    from sqlalchemy import select

    from commandroom.domain.models import Dispute, Incident
    from commandroom.ids import new_id
    from commandroom.mutations.core import Actor

    opened = []
    for township, dept, reason, proposed, contest in RETURNS:
        officer = Actor(user_id=None, name="值班员" + ("周敏" if township == QIUCHUAN else "徐磊"), role="duty_officer",
                        scope_kind="township", scope_code=township, township_code=township,
                        device_id=store.device_id, device_name="指挥室")
        liaison = Actor(user_id=None, name="联络员", role="department_liaison", scope_kind="county",
                        department_code=dept, device_id=store.device_id, device_name="部门")
        with store.read() as s:
            taken = {d for (d,) in s.execute(select(Dispute.incident_id))}
            incident = next(i for i in s.scalars(select(Incident.id).where(
                Incident.township_code == township, Incident.state == "pending_dispatch",
                Incident.deleted.is_(False))) if i not in taken)
        store.perform(officer, "incident.dispatch", incident, {"target_kind": "department", "target_code": dept,
                                                               "dispatch_id": new_id()})
        store.perform(liaison, "incident.return_by_department", incident,
                      {"reason": reason, "proposed_department_code": proposed})
        dispute = new_id()
        store.perform(officer, "dispute.open", dispute, {"incident_id": incident, "reason": contest})
        opened.append(dispute)
    with store.write() as s:  # staging: the first two were opened earlier, so the times left differ
        for dispute_id, hours in zip(opened, (100, 70), strict=False):
            row = s.get(Dispute, dispute_id)
            from commandroom.domain.clocks import dispute_due

            row.opened_at -= timedelta(hours=hours)
            row.due_at = dispute_due(row.opened_at)
    return opened


def _proxy(store: Any) -> None:
    from sqlalchemy import select

    from commandroom.domain.models import Incident
    from commandroom.ids import new_id
    from commandroom.mutations.core import Actor

    officer = Actor(user_id=None, name="值班员周敏", role="duty_officer", scope_kind="township", scope_code=QIUCHUAN,
                    township_code=QIUCHUAN, device_id=store.device_id, device_name="球川指挥室")
    with store.read() as s:
        incident = s.scalars(select(Incident.id).where(Incident.township_code == QIUCHUAN,
                                                        Incident.state == "pending_dispatch")).first()
    if incident:
        store.perform(officer, "incident.dispatch", incident, {"target_kind": "department", "target_code": "agri",
                                                               "dispatch_id": new_id()})
        store.perform(officer, "incident.proxy_acknowledge", incident, {"proxy_reason": "农业农村局电话告知已签收"})


async def shoot(out: Path, days: int) -> list[Path]:
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from tools.screenshots import seeded_store_copy
    from ui.arbitration.view import ArbitrationView
    from ui.assessment.two_way import TwoWayView
    from ui.async_runner import forget_store

    saved: list[Path] = []
    store = DeskStore(seeded_store_copy("disputes", days))
    _stage(store)
    _proxy(store)

    def save(widget: Any, name: str) -> None:
        path = out / name
        widget.grab().save(str(path))
        saved.append(path)

    county = Actor(user_id=None, name="刘洋", role="county_coordinator", scope_kind="county",
                   device_id=store.device_id, device_name="县社会治理中心")
    view = ArbitrationView(store, county)
    view.resize(*SIZE)
    view.show()
    view.load()
    await _settle(view)
    view.table.selectRow(0)
    await _settle(view)
    save(view, "arbitration.png")

    officer = Actor(user_id=None, name="值班员周敏", role="duty_officer", scope_kind="township", scope_code=QIUCHUAN,
                    township_code=QIUCHUAN, device_id=store.device_id, device_name="球川指挥室")
    two = TwoWayView(store, officer)
    two.resize(*SIZE)
    two.show()
    two.load()
    await _settle(two)
    if two.dept_model.rowCount():
        two.dept_table.selectRow(0)
    await _settle(two)
    save(two, "assessment_twoway_acts.png")

    for w in (view, two):
        w.close()
    await _settle(view, two, pause=0.1)
    forget_store(store)
    store.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(shoot, description=__doc__.splitlines()[0], default_days=14, argv=argv)


__all__ = ["main", "shoot"]

if __name__ == "__main__":
    raise SystemExit(main())
