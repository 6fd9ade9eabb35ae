"""Screenshot of a proposed list amendment (清单调整建议) from repeated disputes on one matter.

``python -m tools.screenshots.amendments --out docs/screenshots`` seeds a demo county, lets a department
return three 球川 matters of the same list matter, the township contest each and the county decide them
(real mutations), lets 系统 propose the amendment, and saves reflist_amendment.png (the list screen with the
proposal and its reason) and reflist_amendment_edit.png (the editor opened on it, the diff below).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

SIZE = (1600, 1000)
QIUCHUAN = "330822111"


async def _settle(*views: Any, pause: float = 0.25) -> None:
    for view in views:
        await view.wait_idle()
    await asyncio.sleep(pause)
    for view in views:
        await view.wait_idle()


def _stage(store: Any) -> None:
    """Three disputes on one matter, decided by the county; then 系统's proposal."""
    from sqlalchemy import select

    from commandroom.domain.models import Incident
    from commandroom.ids import new_id
    from commandroom.mutations.amendments import amendment_id, quarter_of
    from commandroom.mutations.core import Actor
    from commandroom.services.teams import shanghai_date
    from commandroom.timeutil import utcnow

    officer = Actor(user_id=None, name="值班员周敏", role="duty_officer", scope_kind="township", scope_code=QIUCHUAN,
                    township_code=QIUCHUAN, device_id=store.device_id, device_name="球川指挥室")
    county = Actor(user_id=None, name="刘洋", role="county_coordinator", scope_kind="county",
                   device_id=store.device_id, device_name="县社会治理中心")
    with store.read() as s:
        pending = list(s.execute(select(Incident.id, Incident.matter_code, Incident.lead_department_code).where(
            Incident.township_code == QIUCHUAN, Incident.state == "pending_dispatch", Incident.deleted.is_(False),
            Incident.matter_code.is_not(None), Incident.lead_department_code.is_not(None))))
    matter = Counter(m for _i, m, _d in pending).most_common(1)[0][0]
    chosen = [(i, d) for i, m, d in pending if m == matter][:3]
    reasons = ["现场为居民院内，非本局执法范围", "属物业管理小区内部事务，建议由住建局督促物业处理",
               "该事项涉及多部门，本局仅负责配合"]
    decisions = ["清单写明由乡镇属地先行劝导，部门配合", "属物业管理范围，由住建局牵头", "由住建局牵头，执法局配合"]
    for (incident, dept), reason, decision in zip(chosen, reasons, decisions, strict=False):
        liaison = Actor(user_id=None, name="联络员", role="department_liaison", scope_kind="county",
                        department_code=dept, device_id=store.device_id, device_name="部门")
        store.perform(officer, "incident.dispatch", incident, {"target_kind": "department", "target_code": dept,
                                                               "dispatch_id": new_id()})
        store.perform(liaison, "incident.return_by_department", incident,
                      {"reason": reason, "proposed_department_code": "housing"})
        dispute = new_id()
        store.perform(officer, "dispute.open", dispute, {"incident_id": incident, "reason": "清单明确由该部门牵头"})
        handler = {"handler": "township"} if decision.startswith("清单") else \
            {"handler": "department", "department_code": "housing"}
        store.perform(county, "dispute.decide", dispute, {**handler, "reason": decision})
    quarter = quarter_of(shanghai_date(utcnow()))
    store.perform(Actor.system(), "reflist.propose_amendment", amendment_id(matter, quarter),
                  {"matter_code": matter, "quarter": quarter})


async def shoot(out: Path, days: int) -> list[Path]:
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from tools.screenshots import seeded_store_copy
    from ui.async_runner import forget_store
    from ui.reflist.view import ReflistView

    saved: list[Path] = []
    store = DeskStore(seeded_store_copy("amendments", days))
    _stage(store)

    def save(widget: Any, name: str) -> None:
        path = out / name
        widget.grab().save(str(path))
        saved.append(path)

    county = Actor(user_id=None, name="刘洋", role="county_coordinator", scope_kind="county",
                   device_id=store.device_id, device_name="县社会治理中心")
    view = ReflistView(store, county)
    view.resize(*SIZE)
    view.show()
    view.load()
    await _settle(view)
    save(view, "reflist_amendment.png")
    await view.start_draft(view.selected_amendment_id())
    await _settle(view, pause=0.4)
    save(view, "reflist_amendment_edit.png")

    view.close()
    await _settle(view, pause=0.1)
    forget_store(store)
    store.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(shoot, description=__doc__.splitlines()[0], default_days=14, argv=argv)


__all__ = ["main", "shoot"]

if __name__ == "__main__":
    raise SystemExit(main())
