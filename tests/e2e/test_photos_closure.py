"""Photos end to end and verified closure (闭环), through the real county server over HTTP, on SQLite and
PostgreSQL: a photo attached at one desk is a thumbnail on another desk after sync and its full image on
open; attached offline it goes up on reconnect exactly once; closing without what the rule asks is refused,
the room's override with a reason is counted; a rejected closure reopens the incident to the team."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from commandroom.domain.errors import ClosureRefused
from commandroom.domain.models import Incident, Notice, NoticeChannel, NoticeRule, Photo, TimelineEntry
from commandroom.mutations.core import Actor
from commandroom.server.pipeline import execute
from commandroom.server.users import user_for_api_key
from commandroom.services.assessment import township_indicators
from commandroom.store.photos import attach_files, desk_photo_dir
from commandroom.timeutil import to_local, utcnow
from tests.e2e.conftest import QC, new_id

pytestmark = pytest.mark.asyncio


def jpeg(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP that counts the photos the server stored from uploads, and can fail the next push once."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.uploads: list[str] = []
        self.fail_next_push = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.fail_next_push and request.method == "POST" and path.endswith("/sync/push"):
            self.fail_next_push = False
            raise httpx.ConnectError("line dropped before the push")
        response = await self.inner.handle_async_request(request)
        if request.method == "PUT" and path.startswith("/api/v1/photos/") and response.status_code == 201:
            self.uploads.append(path.rsplit("/", 1)[1])  # the server stored the bytes
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def accepted_incident(county, desk, service_code: str, description: str) -> str:
    report_id = await county.report(description, service_code=service_code)
    await desk.sync()
    incident_id = new_id()
    desk.perform("report.accept", report_id, {"incident_id": incident_id})
    assert await desk.sync()
    return incident_id


def grid_worker_act(county, name: str, incident_id: str, args: dict) -> str:
    """The grid worker's 核查 as the server applies it (the field app sends it through the same pipeline)."""
    with county.server.state.transaction() as s:
        user = user_for_api_key(s, county.api_key).user
        actor = Actor(user_id=user.id, name=user.display_name, role=user.role, scope_kind=user.scope_kind,
                      scope_code=user.scope_code, township_code=user.township_code, device_id="phone-1",
                      roles=tuple(user.roles or ()))
        out = execute(s, actor=actor, allowed_townships=[QC], name=name, entity_id=incident_id, args=args,
                      mutation_id=new_id())
    return out.status


async def test_photo_from_one_desk_is_a_thumbnail_on_another_and_full_on_open(county, tmp_path):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    incident_id = await accepted_incident(county, a, "urban_parking", "镇区主干道机动车违停")
    original = jpeg(tmp_path / "after.jpg", (20, 160, 40))
    [sha] = attach_files(a.store, [original])
    a.perform("incident.close", incident_id, {"note": "车辆已驶离", "photos_after": [sha]})
    assert await a.sync()
    with county.server.state.read() as s:
        assert s.get(Photo, sha).has_full and s.get(Incident, incident_id).state == "closed"
    assert a.store.pending_count() == 0

    # the other desk pulls the incident and, with it, the photo's thumbnail (no grey tile)
    assert await b.sync()
    assert b.get("incident", incident_id)["photos_after"] == [sha]
    with b.store.read() as s:
        row = s.get(Photo, sha)
        assert row is not None and row.thumbnail and not row.has_full
        assert Image.open(io.BytesIO(row.thumbnail)).size == (320, 240)
    # opened: the full image, byte for byte, kept on the desk
    full = await b.engine.photos.full_image(sha)
    assert full.read_bytes() == original.read_bytes()
    # and still there with the line down
    await county.server.astop()
    assert (await b.engine.photos.full_image(sha)).read_bytes() == original.read_bytes()


async def test_offline_attach_uploads_on_reconnect_exactly_once(county, tmp_path):
    transport = CountingTransport()
    a = await county.workstation("球川-甲", "qc1", transport=transport)
    incident_id = await accepted_incident(county, a, "urban_parking", "菜场门口违停")
    await county.server.astop()
    [sha] = attach_files(a.store, [jpeg(tmp_path / "offline.jpg", (200, 30, 30))])
    a.perform("incident.close", incident_id, {"note": "已劝离", "photos_after": [sha]})
    assert not await a.sync()  # offline: kept on the desk
    assert (desk_photo_dir(a.path) / "outgoing" / sha).exists() and a.store.pending_count() == 1

    await county.server.astart()
    transport.fail_next_push = True  # the photo goes up, then the line drops before the close is pushed
    assert not await a.sync()
    assert transport.uploads == [sha]
    assert await a.sync()
    assert await a.sync()
    assert transport.uploads == [sha], "uploaded once, never again"
    assert a.store.pending_count() == 0 and not (desk_photo_dir(a.path) / "outgoing" / sha).exists()
    with county.server.state.read() as s:
        assert s.get(Incident, incident_id).photos_after == [sha]


async def test_server_refuses_a_mutation_naming_a_photo_it_does_not_hold(county):
    a = await county.workstation("球川-甲", "qc1")
    incident_id = await accepted_incident(county, a, "urban_parking", "违停")
    a.perform("incident.note", incident_id, {"note": "附现场照片", "photos": ["ab" * 32]})
    await a.sync()
    [entry] = [e for e in a.store.outbox() if e.name == "incident.note"]
    assert entry.state == "rejected" and "尚未上传" in str(entry.server_result)
    with county.server.state.read() as s:
        assert not [e for e in s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id))
                    if e.action == "note"]


async def test_close_needs_photos_and_grid_check_unless_the_room_states_why(county, tmp_path):
    a = await county.workstation("球川-甲", "qc1")
    # 渣土扬尘: before and after photos, the reporting grid worker verifies
    incident_id = await accepted_incident(county, a, "muck_dust", "工地渣土车未覆盖，道路扬尘")
    with pytest.raises(ClosureRefused) as refused:
        a.perform("incident.close", incident_id, {"note": "已处理"})
    assert "缺少处置前照片、处置后照片" in refused.value.message and "网格员" in refused.value.message
    assert a.get("incident", incident_id)["state"] != "closed" and a.store.pending_count() == 0

    a.perform("incident.close", incident_id, {"note": "已处理", "override_reason": "网格员病假，现场已由镇干部复核"})
    assert await a.sync()
    with county.server.state.read() as s:
        inc = s.get(Incident, incident_id)
        assert inc.state == "closed" and inc.closure_override == "网格员病假，现场已由镇干部复核"
        close = [e for e in s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id))
                 if e.action == "close"]
        assert close[0].data["override"] == inc.closure_override and "缺少" in close[0].data["missing"]
        month = to_local(utcnow()).strftime("%Y-%m")
        [qc] = [t for t in township_indicators(s, month, township_code=QC)]
        assert (qc.closures, qc.closure_overrides) == (1, 1)


async def test_rejected_closure_reopens_to_the_team_and_both_must_verify(county, tmp_path):
    a = await county.workstation("球川-甲", "qc1")
    # 消防隐患: an after photo; the grid worker and the room both verify
    incident_id = await accepted_incident(county, a, "fire_hazard", "楼道电动车充电，飞线")
    a.perform("incident.dispatch", incident_id, {"target_kind": "team", "target_code": "QC", "dispatch_id": new_id()})
    a.perform("incident.start", incident_id, {})
    [sha] = attach_files(a.store, [jpeg(tmp_path / "fixed.jpg", (90, 90, 200))])
    a.perform("incident.submit", incident_id, {"note": "飞线已拆除", "photos_after": [sha]})
    a.perform("incident.verify", incident_id, {"passed": True, "note": "指挥室看过照片"})
    assert a.get("incident", incident_id)["state"] == "awaiting_verification"  # still waits for the grid worker
    assert await a.sync()
    with county.server.state.transaction() as s:  # the county sends 核查未通过 to a group robot
        channel = NoticeChannel(name="执法队群", kind="robot", config={"url": "http://127.0.0.1:9/robot"})
        s.add(channel)
        s.flush()
        s.add(NoticeRule(event_kind="verification_rejected", channel_id=channel.id))

    assert grid_worker_act(county, "incident.reject_closure", incident_id,
                           {"reason": "楼道里还有一辆在充电", "photos": [sha]}) == "applied"
    assert await a.sync()
    inc = a.get("incident", incident_id)
    assert (inc["state"], inc["assignee_code"], inc["verifications"]) == ("in_progress", "QC", [])
    last = a.timeline(incident_id)
    assert any(e["action"] == "reject_closure" and e["note"] == "楼道里还有一辆在充电" for e in last)
    with county.server.state.read() as s:  # and a notice went out to the team's group
        [notice] = s.scalars(select(Notice).where(Notice.event_kind == "verification_rejected")).all()
        assert notice.subject_id == incident_id and "楼道里还有一辆在充电" in notice.body

    a.perform("incident.submit", incident_id, {"note": "已全部清理"})
    assert await a.sync()
    assert grid_worker_act(county, "incident.verify", incident_id, {"passed": True}) == "applied"
    with county.server.state.read() as s:
        assert s.get(Incident, incident_id).state == "awaiting_verification"  # the room has not checked again
    await a.sync()
    a.perform("incident.verify", incident_id, {"passed": True})
    assert await a.sync()
    with county.server.state.read() as s:
        inc = s.get(Incident, incident_id)
        assert inc.state == "closed" and sorted(inc.verifications) == ["grid_worker", "room"]
        assert s.scalar(select(func.count()).select_from(TimelineEntry).where(
            TimelineEntry.incident_id == incident_id, TimelineEntry.action == "verify_partial")) == 2
