"""The desktop self-test's throw-away store: the county's reference data, a few reports, a duty officer.

Qt-free (``commandroom --self-test`` builds it before any window opens); the reports are performed
directly on the store, as a seed, not as an officer's action from a screen.
"""

from __future__ import annotations

import logging
from pathlib import Path

from commandroom.ids import new_id
from commandroom.mutations.core import Actor
from commandroom.queries.inbox import sample_places
from commandroom.refdata.loader import load_reference, read_reference
from commandroom.store.local import DeskStore

log = logging.getLogger(__name__)

SELF_TEST_REPORTS = [
    ("illegal_construction", "村口新建砖房未见审批公示，疑似违法建设", "L2"),
    ("public_facility", "村道路面塌陷约两米，过往车辆需绕行", "L1"),
    ("river_waste", "河边堆放生活垃圾，气味较大", None),
    ("muck_dust", "工地围挡缺失，扬尘明显", None),
]


def self_test_store(folder: Path) -> tuple[DeskStore, Actor]:
    """A throw-away store with the county's reference data and a few reports, and a duty officer."""
    store = DeskStore(folder / "self-test.db")
    ref = read_reference()
    with store.write() as session:
        load_reference(session, ref)
    town, grids, cats = sample_places(store)
    actor = Actor(user_id=new_id(), name="自检", role="duty_officer", scope_kind="township",
                  scope_code=town, township_code=town, device_id=store.device_id, device_name="self-test")
    if town is not None and cats:
        fallback = sorted(cats)
        for i, (cat, text, urgency) in enumerate(SELF_TEST_REPORTS):
            grid = grids[i % len(grids)] if grids else None
            args = {"source": "grid_patrol", "category_code": cat if cat in cats else fallback[i % len(fallback)],
                    "description": text, "township_code": town, "reporter_name": "网格员"}
            if grid is not None:
                args["grid_id"] = grid[0]
                if grid[1] is not None:
                    args.update(lat=grid[1], lon=grid[2])
            if urgency:
                args["urgency_hint"] = urgency
            try:
                store.perform(actor, "report.create", new_id(), args)
            except Exception:  # the self-test reports what it could not do
                log.exception("self-test report could not be created")
    return store, actor
