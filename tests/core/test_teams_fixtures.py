"""Shared helpers for the teams / boards / cases / reflist / assessment tests.

They run on the seeded SQLite database (``seeded_sqlite``: the real reference data —
zones with township areas, departments, categories, the one-thing catalogue,
modules) and add their own fixed operational rows through the mutations, at a
fixed clock. Import with ``from tests.core.test_teams_fixtures import …``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.models import Incident, Module, TeamMember
from commandroom.mutations.core import Actor, MutationContext, apply_mutation
from commandroom.store.db import make_engine, session_factory

QC = "330822111"  # 球川镇, hub of zone QC (also serves 白石 330822104, 同弓 330822211)
BS = "330822104"
TG = "330822211"
TM = "330822001"  # 天马街道, zone TM (neighbour of QC)
JC = "330822003"  # 金川街道, zone JC (neighbour of QC)
HJ = "330822200"  # 何家乡, zone JC
FC = "330822116"  # 芳村镇, zone FC (not a neighbour of QC)

# Wednesday 2026-11-04 10:00 in Shanghai
NOW = datetime(2026, 11, 4, 2, 0)
MONDAY = "2026-11-02"

OFFICER = Actor(user_id="u-officer", name="值班员甲", role="duty_officer", scope_kind="township",
                scope_code=QC, township_code=QC, device_id="dev-a", device_name="球川指挥室")
ADMIN = Actor(user_id="u-admin", name="管理员", role="admin", scope_kind="county")
COORDINATOR = Actor(user_id="u-coord", name="县协调员", role="county_coordinator", scope_kind="county")


def open_session(url: str) -> Session:
    return session_factory(make_engine(url))()


def seeded_session(url: str) -> Iterator[Session]:
    """Body of each test module's ``db`` fixture: a session on the seeded database, rolled back after."""
    session = open_session(url)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)


def run(session: Session, name: str, entity_id: str, args: dict[str, Any], *, now: datetime = NOW,
        actor: Actor = OFFICER) -> MutationContext:
    """Apply one mutation locally (as a workstation does) and flush; returns the context."""
    ctx = MutationContext(session, actor, now=now)
    apply_mutation(ctx, name, entity_id, args)
    session.flush()
    return ctx


def add_member(session: Session, member_id: str, zone: str, name: str, *, lat: float | None = None,
               lon: float | None = None, auxiliary: bool = False, cert_expiry: str | None = "2030-01-01",
               origin: str = "enforcement_bureau", status: str | None = None) -> TeamMember:
    args: dict[str, Any] = {"zone_id": zone, "name": name, "origin": origin, "is_auxiliary": auxiliary}
    if cert_expiry:
        args["cert_no"] = f"ZJ-{member_id}"
        args["cert_expiry"] = cert_expiry
    run(session, "member.create", member_id, args)
    if lat is not None or status is not None:
        st: dict[str, Any] = {"status": status or "available"}
        if lat is not None:
            st.update(lat=lat, lon=lon)
        run(session, "member.set_status", member_id, st)
    return session.get(TeamMember, member_id)


def roster_today(session: Session, zone: str, member_ids: list[str], shift: str = "day",
                 day: str = "2026-11-04") -> None:
    """Put members on ``shift`` of ``day`` in ``zone`` (replacing the zone's week)."""
    run(session, "roster.set", f"roster:{zone}:{MONDAY}", {
        "zone_id": zone, "week_start": MONDAY,
        "entries": [{"member_id": m, "day": day, "shift": shift} for m in member_ids],
    })


def add_incident(session: Session, incident_id: str, township: str, *, lat: float | None = None,
                 lon: float | None = None, enforcement: bool = True, state: str = "pending_dispatch",
                 created_at: datetime = NOW - timedelta(hours=2), close_due: datetime | None = None,
                 category: str = "illegal_construction", lead: str | None = "natres", title: str = "",
                 zone_id: str | None = None, closed_at: datetime | None = None) -> Incident:
    inc = Incident(
        id=incident_id, township_code=township, number=f"T-{incident_id}", title=title or f"事件{incident_id}",
        category_code=category, zone_id=zone_id, state=state, lat=lat, lon=lon, is_enforcement=enforcement,
        lead_department_code=lead, close_due=close_due, created_at=created_at, updated_at=created_at,
        closed_at=closed_at,
    )
    session.add(inc)
    session.flush()
    return inc


def module_named(session: Session, township: str, name: str) -> Module:
    return session.scalars(select(Module).where(Module.township_code == township, Module.name == name)).one()


def test_seeded_reference_data_is_what_these_tests_assume(db):
    from commandroom.domain.models import OneThingType, Zone
    from commandroom.services.teams import zone_neighbours

    assert db.get(Zone, "QC").member_codes == [QC, BS, TG]
    neighbours = zone_neighbours(db)
    assert set(neighbours["QC"]) == {"JC", "TM"}
    assert "FC" not in neighbours["QC"]
    farmer = db.get(OneThingType, "farmer_housing")
    assert len(farmer.steps) == 3 and farmer.previous_steps == 7 and farmer.time_limit_days == 15
    assert module_named(db, QC, "平安法治").wip_limit >= 1
