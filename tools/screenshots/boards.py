"""Screenshots of the boards, linked command, one-thing cases, list management and assessment.

``python -m tools.screenshots.boards --out docs/screenshots`` seeds a demo county
(``seed_database(demo_days=…)``, which includes :mod:`commandroom.demo_history.work`), opens the
pages offscreen at 1600×1000 in Chinese and saves boards.png, boards_conflict.png, boards_lanes.png,
boards_command.png, cases.png, reflist_diff.png, assessment.png and assessment_twoway.png.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

SIZE = (1600, 1000)
QIUCHUAN = "330822111"


def demo_store_path(days: int) -> Path:
    """A freshly seeded demo county (the board's ages and countdowns are relative to the seed time)."""
    from commandroom.refdata.seed import seed_database

    folder = Path(tempfile.mkdtemp(prefix="cr-board-shots-"))
    path = folder / "workstation.db"
    seed_database(f"sqlite:///{path}", demo_days=days)
    return path


async def _settle(*views: Any, pause: float = 0.25) -> None:
    for view in views:
        await view.wait_idle()
    await asyncio.sleep(pause)
    for view in views:
        await view.wait_idle()


async def shoot(out: Path, days: int) -> list[Path]:
    from sqlalchemy import select

    from commandroom.domain.models import OneThingCase, TaskCard
    from commandroom.mutations.core import Actor
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store
    from ui.boards.page import TaskBoardsPage
    from ui.cases.page import OneThingPage

    saved: list[Path] = []
    store = DeskStore(demo_store_path(days))
    lead = Actor(user_id=None, name="袁国平", role="module_lead", scope_kind="township", scope_code=QIUCHUAN,
                 township_code=QIUCHUAN, device_id=store.device_id, device_name="球川指挥室")
    county = Actor(user_id=None, name="刘洋", role="county_coordinator", scope_kind="county",
                   device_id=store.device_id, device_name="县社会治理中心")

    def save(widget: Any, name: str) -> None:
        path = out / name
        widget.grab().save(str(path))
        saved.append(path)

    boards = TaskBoardsPage(store, lead)
    boards.resize(*SIZE)
    boards.show()
    board = boards.board
    with store.read() as session:
        petition = session.scalars(select(TaskCard.id).where(TaskCard.title.like("信访积案化解%"))).first()
    await _settle(board)
    if petition:
        board.select_card(petition)
    await _settle(board)
    save(boards, "boards.png")
    with store.read() as session:
        fishing = session.scalars(select(TaskCard.id).where(TaskCard.title.like("非法捕捞巡查%"))).first()
    if fishing:
        board.select_card(fishing)
        await _settle(board)
        save(boards, "boards_conflict.png")
    board.lane_combo.setCurrentIndex(board.lane_combo.findData("department"))
    await _settle(board)
    board.scroll.verticalScrollBar().setValue(0)
    save(boards, "boards_lanes.png")
    board.lane_combo.setCurrentIndex(0)
    boards.setCurrentWidget(boards.command)
    boards.command.filter_combo.setCurrentIndex(1)
    await _settle(boards.command)
    missed = next((r for r in boards.command.model.rows() if r.outcome == "missed"), None)
    if missed is not None:
        boards.command.select_checkin(missed.id)
    await asyncio.sleep(0.1)
    save(boards, "boards_command.png")

    cases = OneThingPage(store, lead)
    cases.resize(*SIZE)
    cases.show()
    with store.read() as session:
        housing = session.scalars(select(OneThingCase.id).where(OneThingCase.type_code == "farmer_housing")).first()
    await _settle(cases.cases)
    if housing:
        cases.select_case(housing)
    await _settle(cases.cases)
    save(cases, "cases.png")

    admin = OneThingPage(store, county)
    admin.resize(*SIZE)
    admin.show()
    admin.setCurrentWidget(admin.reflist)
    reflist = admin.reflist
    await _settle(reflist)
    await reflist.start_draft()
    model = reflist.edit_model
    if model is not None and model.rowCount() > 4:
        from ui.reflist.models import FIELDS

        col = {name: k for k, (name, _t) in enumerate(FIELDS)}
        names = [r.get("name", "") for r in model.rows]
        parking = next((k for k, n in enumerate(names) if "违停" in n), 1)
        fumes = next((k for k, n in enumerate(names) if "油烟" in n), 2)
        model.setData(model.index(parking, col["lead_department_code"]), "traffic_police", Qt.ItemDataRole.EditRole)
        model.setData(model.index(fumes, col["department_duty"]), "受理投诉后 2 小时内到场检测，依法查处并反馈乡镇",
                      Qt.ItemDataRole.EditRole)
        ads = next((k for k, n in enumerate(names) if "广告" in n), 4)
        model.removeRows(ads, 1)
        reflist.add_matter()
        new = model.rowCount() - 1
        for name, value in (("code", "SG-21"), ("name", "农村饮用水安全隐患处置"), ("field", "公共服务"),
                            ("lead_department_code", "water_supply"), ("category_codes", "public_facility"),
                            ("township_duty", "巡查发现、劝阻、报告，配合应急供水"),
                            ("department_duty", "水质检测、隐患整改、供水保障")):
            model.setData(model.index(new, col[name]), value, Qt.ItemDataRole.EditRole)
        reflist.note_edit.setText("新增农村饮用水事项；违停治理改由交警大队牵头；油烟投诉到场时限")
        reflist.edit_table.scrollToTop()
    await _settle(reflist, pause=0.4)
    save(admin, "reflist_diff.png")

    admin.setCurrentWidget(admin.assessment)
    assessment = admin.assessment
    assessment.township_combo.setCurrentIndex(assessment.township_combo.findData(QIUCHUAN))
    await _settle(assessment)
    save(admin, "assessment.png")
    assessment.tabs.setCurrentIndex(1)
    await asyncio.sleep(0.2)
    save(admin, "assessment_twoway.png")

    for page in (boards, cases, admin):
        page.close()
    await _settle(board, boards.command, cases.cases, reflist, assessment, pause=0.1)
    forget_store(store)
    store.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(shoot, description=__doc__.splitlines()[0], default_days=60, argv=argv)


__all__ = ["main", "shoot"]

if __name__ == "__main__":
    raise SystemExit(main())
