"""A county with a field team and a grid worker, and the desk's acts done on the server directly.

Shared by the field API tests and the browser tests: the 球川 team (zone ``QC``) with a leader and
two members who have accounts of their own, a grid worker of one 球川 grid with a password for the
field app, and a duty officer whose dispatches are applied through the server's pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from commandroom.domain.models import Grid, TeamMember, User
from commandroom.ids import new_id
from commandroom.mutations.core import Actor
from commandroom.server.pipeline import execute
from tests.server.test_auth_support import QC, QC_SEAT

PASSWORD = "e2e-password-1"  # the same as tests/e2e, so a desk there signs in as qc1
SERVICE = "urban_parking"


@dataclass
class FieldWorld:
    state: Any
    grid_id: str
    officer: Actor
    members: dict[str, str]  # username → team-member id

    def act(self, actor: Actor, name: str, entity_id: str, args: dict[str, Any]) -> Any:
        with self.state.transaction() as session:
            out = execute(session, actor=actor, allowed_townships=[QC], name=name, entity_id=entity_id, args=args,
                          mutation_id=new_id())
        assert out.status == "applied", (name, out.explanation)
        return out

    def report(self, description: str = "球川镇镇区主干道机动车违停，堵塞交通", *, grid: bool = False,
               category: str = SERVICE) -> str:
        rid = new_id()
        self.act(self.officer, "report.create", rid, {
            "source": "grid_patrol", "category_code": category, "description": description, "lat": QC_SEAT[0],
            "lon": QC_SEAT[1], "address": "球川镇镇区主干道", "township_code": QC,
            "grid_id": self.grid_id if grid else None})
        return rid

    def dispatched(self, description: str = "球川镇镇区主干道机动车违停，堵塞交通", *, grid: bool = True,
                   category: str = SERVICE, **dispatch: Any) -> tuple[str, str]:
        """A report (of the grid worker's grid) accepted and dispatched to the 球川 team; (incident id, dispatch id)."""
        incident_id, dispatch_id = new_id(), new_id()
        self.act(self.officer, "report.accept", self.report(description, grid=grid, category=category),
                 {"incident_id": incident_id})
        self.act(self.officer, "incident.dispatch", incident_id,
                 {"target_kind": "team", "target_code": "QC", "dispatch_id": dispatch_id, **dispatch})
        return incident_id, dispatch_id

    def awaiting_verification(self, description: str = "球川镇居民楼下饭店油烟扰民", *, grid: bool = True) -> str:
        """An incident (of the grid worker's grid), handled and submitted for 核查; its id.

        Of a category whose closure the reporting grid worker verifies (油烟噪声扰民: no photos asked).
        """
        incident_id, _ = self.dispatched(description, grid=grid, category="fumes_noise")
        self.act(self.officer, "incident.start", incident_id, {})
        self.act(self.officer, "incident.submit", incident_id, {"note": "已清理"})
        return incident_id

    def get(self, model: Any, key: str) -> Any:
        with self.state.read() as session:
            row = session.get(model, key)
            if row is not None:
                session.expunge(row)
            return row

    def rows(self, stmt: Any) -> list[Any]:
        with self.state.read() as session:
            out = list(session.scalars(stmt))
            for row in out:
                session.expunge(row)
            return out


def make_field_world(state: Any) -> FieldWorld:
    """Accounts (duty officer qc1, team leader qc-lead, members qc-m1 and qc-m2, grid worker gw-qc) and team rows."""
    from commandroom.server.users import create_user

    with state.transaction() as s:
        grid_id = s.scalars(select(Grid.id).where(Grid.township_code == QC).order_by(Grid.id)).first()
        officer, _ = create_user(s, username="qc1", display_name="球川值班", role="duty_officer", township_code=QC,
                                 password=PASSWORD)
        create_user(s, username="gw-qc", display_name="王网格", role="grid_worker", township_code=QC,
                    grid_id=grid_id, password=PASSWORD, phone="13800000001")
        members: dict[str, str] = {}
        for username, name, role in (("qc-lead", "赵队长", "team_leader"), ("qc-m1", "张队员", "team_member"),
                                     ("qc-m2", "李队员", "team_member")):
            user, _ = create_user(s, username=username, display_name=name, role=role, scope_code="QC",
                                  password=PASSWORD)
            s.flush()
            member = TeamMember(id=new_id(), township_code=QC, zone_id="QC", name=name, origin="enforcement_bureau",
                                cert_no=f"ZJ-{username}", cert_expiry=date(2030, 12, 31), user_id=user.id)
            s.add(member)
            members[username] = member.id
        s.flush()
        officer_actor = Actor(user_id=officer.id, name="球川值班", role="duty_officer", scope_kind="township",
                              scope_code=QC, township_code=QC, device_id="desk-qc1", device_name="球川值班台")
    return FieldWorld(state=state, grid_id=grid_id, officer=officer_actor, members=members)


def user_id(state: Any, username: str) -> str:
    with state.read() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def joint_visit(w: FieldWorld, descriptions: list[str], *, lead: str,
                crew: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """A joint visit (综合查一次) by the officer over new incidents at one place; (visit id, [(incident, dispatch)])."""
    from commandroom.domain.models import Dispatch

    incidents = []
    for text in descriptions:
        incident_id = new_id()
        w.act(w.officer, "report.accept", w.report(text, grid=True), {"incident_id": incident_id})
        incidents.append(incident_id)
    visit_id = new_id()
    w.act(w.officer, "team.joint_visit", visit_id, {"incident_ids": incidents, "lead_member_id": w.members[lead],
                                                    "member_ids": [w.members[u] for u in crew]})
    by_incident = {d.incident_id: d.id for d in w.rows(select(Dispatch).where(Dispatch.joint_visit_id == visit_id))}
    return visit_id, [(i, by_incident[i]) for i in incidents]
