"""A report near a border lands in the wrong township: its room hands it over (转交).

Over the real server: the receiving room's desk gets it still waiting, with the reason; the
other desk of the sending room drops it (a ``remove`` change in the old bucket); a room cannot
take over another township's report; a report already accepted is not handed over.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commandroom.domain.errors import NotFound
from commandroom.domain.models import ChangeLog, Report
from tests.e2e.conftest import QC, TM, new_id, wait_until

pytestmark = pytest.mark.asyncio


async def test_hand_over_reaches_the_other_township_and_leaves_this_one(county):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    t = await county.workstation("天马", "tm1")
    desks = (a, b, t)
    report_id = await county.report("路口积水，位置在两镇交界处")
    for ws in desks:
        await ws.sync()
    assert a.get("report", report_id) and b.get("report", report_id) and t.get("report", report_id) is None

    a.perform("report.transfer", report_id, {"township_code": TM, "reason": "位置属天马街道"})
    for ws in desks:
        await ws.sync()
    await wait_until(lambda: a.store.pending_count() == 0, 5, "hand-over acknowledged")
    got = t.get("report", report_id)
    assert got is not None, "the receiving room does not see the report"
    assert (got["state"], got["township_code"], got["transferred_from"], got["transfer_reason"]) == (
        "new", TM, QC, "位置属天马街道")
    assert b.get("report", report_id) is None, "the sending room's other desk still lists it"
    assert not a.store.rejected()

    with county.server.state.read() as s:
        ops = s.execute(select(ChangeLog.bucket, ChangeLog.op).where(ChangeLog.entity_id == report_id)
                        .order_by(ChangeLog.seq)).all()
        assert [tuple(o) for o in ops][-2:] == [(f"township:{QC}", "remove"), (f"township:{TM}", "upsert")]
        assert s.get(Report, report_id).number.startswith("QC-R-")  # it keeps its number

    # the receiving room accepts it as its own; the sending room no longer holds it to change
    t.perform("report.accept", report_id, {"incident_id": new_id()})
    await t.sync()
    assert t.get("report", report_id)["state"] == "accepted"
    assert a.get("report", report_id) is None
    with pytest.raises(NotFound):
        a.perform("report.transfer", report_id, {"township_code": QC, "reason": "拿回"})
    for ws in desks:
        await ws.close()


async def test_an_accepted_report_is_not_handed_over(county):
    a = await county.workstation("球川-甲", "qc1")
    report_id = await county.report()
    await a.sync()
    a.perform("report.accept", report_id, {"incident_id": new_id()})
    a.perform("report.transfer", report_id, {"township_code": TM, "reason": "误报乡镇"})
    await a.sync()
    report = a.get("report", report_id)
    assert (report["state"], report["township_code"]) == ("accepted", QC)
    [notice] = a.store.rejected()  # the officer is told why nothing happened
    assert notice.state == "merged" and "受理" in notice.server_result["explanation"]
    await a.close()

