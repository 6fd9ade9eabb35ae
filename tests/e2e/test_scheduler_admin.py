"""The county administrator sees each scheduler job's last and next run over HTTP; a duty officer may not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commandroom.ids import new_id
from commandroom.server.scheduler import JOBS, Scheduler
from commandroom.timeutil import utcnow
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.asyncio


async def _token(county, username: str) -> str:
    r = await county.http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD,
                                                             "device_id": new_id(), "device_name": "管理台"})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


async def test_the_administrator_sees_last_and_next_runs(county):
    cc = {"Authorization": f"Bearer {await _token(county, 'cc')}"}
    r = await county.http.get("/api/v1/admin/jobs", headers=cc)
    assert r.status_code == 200, r.text
    jobs = {j["job"]: j for j in r.json()["jobs"]}
    assert set(jobs) == {j.name for j in JOBS}
    assert jobs["escalate"]["last_run_at"] is None and "提醒" in jobs["escalate"]["label"]

    Scheduler(county.server.state).tick()  # what the leader process does every half minute
    jobs = {j["job"]: j for j in (await county.http.get("/api/v1/admin/jobs", headers=cc)).json()["jobs"]}
    now = utcnow()
    for job in JOBS:
        seen = jobs[job.name]
        assert seen["last_run_at"] and not seen["last_error"] and seen["running_since"] is None
        assert now < now.fromisoformat(seen["next_run_at"]) <= now + job.every + timedelta(seconds=5)

    officer = {"Authorization": f"Bearer {await _token(county, 'qc1')}"}
    r = await county.http.get("/api/v1/admin/jobs", headers=officer)
    assert r.status_code == 403 and "无权查看定时任务" in r.json()["detail"]["message"]


async def test_the_nightly_compaction_sends_a_desk_behind_the_horizon_to_download_again(county):
    ahead = await county.workstation("球川-甲", "qc1")
    behind = await county.workstation("球川-乙", "qc2")  # signed in, then does not sync for a long time
    report = await county.report("球川镇镇区主干道机动车违停，堵塞交通")
    assert await ahead.sync()
    incident = new_id()
    ahead.perform("report.accept", report, {"incident_id": incident})
    for n in range(3):
        ahead.perform("incident.note", incident, {"note": f"第{n + 1}次进展"})
    ahead.perform("incident.close", incident, {"note": "已办结"})
    assert await ahead.sync()

    # the nightly job (here with no retention, so every superseded change goes at once)
    compaction = tuple(j for j in JOBS if j.name == "compact_changes")
    runs = Scheduler(county.server.state, jobs=compaction, keep_changes_days=0).tick()
    assert len(runs) == 1 and runs[0].acts > 0 and not runs[0].error

    assert await behind.sync()
    assert behind.engine.stats["resyncs"] >= 1  # 410: its cursor was below the horizon, it downloaded again
    assert behind.get("incident", incident)["state"] == "closed"
    assert len(behind.timeline(incident)) == len(ahead.timeline(incident))
