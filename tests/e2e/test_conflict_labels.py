"""冲突与退回 names a record the desk no longer holds: the name it had when the conflict or the act was
written travels with the conflict record (server) and the outbox entry (desk)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from commandroom.domain.models import Incident
from tests.e2e.conftest import new_id

pytestmark = pytest.mark.asyncio


@pytest.fixture
def zh(qapp):
    from ui.i18n import install_translators

    install_translators(qapp, "zh_CN")
    yield
    install_translators(qapp, "en")


def _forget(ws, incident_id: str) -> None:
    """The desk stops holding the incident (as when it leaves the desk's townships or is compacted away)."""
    with ws.store.write() as s:
        s.execute(delete(Incident).where(Incident.id == incident_id))
    assert ws.get("incident", incident_id) is None


def _objects(view) -> tuple[list[str], list[str]]:
    rm, cm = view.rejected_model, view.conflict_model
    return ([rm.data(rm.index(r, 2)) for r in range(rm.rowCount())],
            [cm.data(cm.index(r, 1)) for r in range(cm.rowCount())])


async def test_the_conflicts_page_names_records_this_desk_no_longer_holds(county, qtbot, zh):
    from ui.conflicts.view import ConflictsView

    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    report_id = await county.report("球川镇学校门口违停，影响接送")
    await a.sync()
    inc = new_id()
    a.perform("report.accept", report_id, {"incident_id": inc})
    assert await a.sync() and await b.sync()
    number = b.get("incident", inc)["number"]
    assert number

    # offline, both retitle it and both close it: B's title wins (a conflict record), B's close is merged
    await county.server.astop()
    a.perform("incident.update", inc, {"title": "学校门口违停（甲改）"})
    a.perform("incident.close", inc, {"note": "甲：已劝离"})
    b.perform("incident.update", inc, {"title": "学校门口违停（乙改）"})
    b.perform("incident.close", inc, {"note": "乙：已恢复通行"})
    await county.server.astart()
    assert await a.sync() and await b.sync() and await a.sync() and await b.sync()
    label = f"{number}「学校门口违停（乙改）」"
    assert [c["record_label"] for c in b.rows("conflict_record", entity_id=inc)] == [label]

    _forget(b, inc)
    view = ConflictsView(b.store, b.actor, [b.actor.township_code])
    qtbot.addWidget(view)
    view.show()
    view.load()
    rejected, conflicts = _objects(view)
    # the merged close: named as the incident was called when 乙 closed it on this desk
    assert rejected == [f"事件 {number}「学校门口违停（乙改）」"]
    assert conflicts == [f"事件 {label}"]
    assert not any("本机无此记录" in text or inc in text for text in rejected + conflicts)
