"""Seed a county database: schema, reference data, modules, enforcement teams, optional demo history.

``commandroom seed --db URL [--demo-days N]`` calls :func:`run_seed`; tests and the
demo call :func:`seed_database`. Everything is written in one transaction after the
reference files have been validated, so a bad file leaves the database untouched.
Seeding twice is harmless: reference rows are upserted, modules and teams are only
created where missing, and demo history is only generated into a database without
reports.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandroom.domain.enums import MemberOrigin, MemberStatus
from commandroom.domain.models import REFERENCE_MODELS, SYNCED_MODELS, Module, Report, TeamMember, User
from commandroom.refdata.loader import LoadResult, ReferenceData, load_reference, read_reference
from commandroom.refdata.util import NameGen, phone, uuid7_at
from commandroom.store.db import is_sqlite, make_engine, normalise_url, session_factory
from commandroom.store.migrate import upgrade
from commandroom.timeutil import utcnow

# composition of the 球川 team, from the seed article: 17 members + 5 auxiliaries
QC_TEAM = {"enforcement_bureau": 5, "market_supervision": 4, "township_cadre": 4, "other_department": 4}
QC_AUXILIARIES = 5
OTHER_DEPARTMENTS = ("natres", "ecoenv", "agri", "transport", "forest_water", "emergency", "housing")

CAPABILITIES = {
    MemberOrigin.ENFORCEMENT_BUREAU: ["市容执法", "违法建设查处", "环卫执法", "渣土监管"],
    MemberOrigin.MARKET_SUPERVISION: ["食品安全", "无证照查处", "特种设备", "价格监管"],
    MemberOrigin.TOWNSHIP_CADRE: ["属地协调", "矛盾调解", "政策宣传", "违法建设查处"],
    "natres": ["国土执法", "卫片核查"],
    "ecoenv": ["环境执法", "油烟检测"],
    "agri": ["渔政执法", "农资监管"],
    "transport": ["路政执法", "交通执法"],
    "forest_water": ["林业执法", "水政执法"],
    "emergency": ["安全生产执法", "危化品检查"],
    "housing": ["建筑工地检查", "燃气检查"],
}
EXTRA_TAGS = ["驾驶(C1)", "无人机", "执法记录仪", "现场勘验", "法制审核", "普通话/方言沟通", "急救"]


def _other_zone_plan(rng: random.Random) -> tuple[dict[str, int], int]:
    total = rng.randint(8, 14)
    bureau = max(2, round(total * 0.3))
    market = max(2, round(total * 0.22))
    cadre = max(2, round(total * 0.25))
    other = max(0, total - bureau - market - cadre)
    return (
        {"enforcement_bureau": bureau, "market_supervision": market, "township_cadre": cadre,
         "other_department": other},
        rng.randint(1, 3),
    )


def seed_teams(session: Session, ref: ReferenceData, *, seed: int, now: datetime) -> int:
    """Create each zone's enforcement team where the zone has none yet. Returns rows created."""
    have = set(session.scalars(select(TeamMember.zone_id).distinct()))
    towns = {t["code"]: t for t in ref.townships}
    rows: list[dict[str, Any]] = []
    today = now.date()
    for zone in ref.zones:
        if zone["id"] in have:
            continue
        rng = random.Random(f"{seed}:team:{zone['id']}")
        names = NameGen(rng)
        hub = towns[zone["hub_code"]]
        if zone["id"] == "QC":
            plan, n_aux = dict(QC_TEAM), QC_AUXILIARIES
            expiring = 2
        else:
            plan, n_aux = _other_zone_plan(rng)
            expiring = rng.choice((0, 1, 1))
        members: list[tuple[str, str | None, bool]] = []
        for origin, n in plan.items():
            for j in range(n):
                if origin == MemberOrigin.ENFORCEMENT_BUREAU:
                    dept = "enforcement"
                elif origin == MemberOrigin.MARKET_SUPERVISION:
                    dept = "market"
                elif origin == MemberOrigin.OTHER_DEPARTMENT:
                    dept = OTHER_DEPARTMENTS[j % len(OTHER_DEPARTMENTS)]
                else:
                    dept = None
                members.append((origin, dept, False))
        members += [(MemberOrigin.ENFORCEMENT_BUREAU.value, "enforcement", True)] * n_aux
        certified = [k for k, m in enumerate(members) if not m[2]]
        soon = set(rng.sample(certified, expiring))
        serial = 0
        for k, (origin, dept, aux) in enumerate(members):
            at = now - timedelta(days=rng.randint(60, 700), minutes=rng.randint(0, 1440))
            cert_no = cert_expiry = None
            if not aux:
                serial += 1
                cert_no = f"ZJXZ0822{zone['id']}{rng.randint(2019, 2025) % 100:02d}{serial:03d}"
                cert_expiry = (today + timedelta(days=rng.randint(5, 28))) if k in soon else (
                    today + timedelta(days=rng.randint(45, 1300)))
            key = dept if origin == MemberOrigin.OTHER_DEPARTMENT else origin
            tags = list(rng.sample(CAPABILITIES[key], min(2, len(CAPABILITIES[key]))))
            if aux:
                tags = ["辅助执法", *rng.sample(["驾驶(C1)", "执法记录仪", "宣传劝导"], 1)]
            elif rng.random() < 0.5:
                tags.append(rng.choice(EXTRA_TAGS))
            r = rng.random()
            status = (MemberStatus.OFF_DUTY if r < 0.15 else MemberStatus.EN_ROUTE if r < 0.25
                      else MemberStatus.ON_SCENE if r < 0.35 else MemberStatus.AVAILABLE)
            rows.append({
                "id": uuid7_at(at, rng),
                "township_code": hub["code"],
                "row_version": 0,
                "field_versions": {},
                "created_at": at,
                "updated_at": at,
                "deleted": False,
                "zone_id": zone["id"],
                "name": names(),
                "origin": str(origin),
                "origin_department_code": dept,
                "is_auxiliary": aux,
                "cert_no": cert_no,
                "cert_expiry": cert_expiry,
                "capabilities": tags,
                "status": str(status),
                "status_at": now,
                "lat": round(hub["seat_lat"] + rng.gauss(0, 0.01), 6),
                "lon": round(hub["seat_lon"] + rng.gauss(0, 0.011), 6),
                "phone": phone(rng),
                "user_id": None,
            })
    if rows:
        session.execute(TeamMember.__table__.insert(), rows)
    return len(rows)


def lead_title(title: str, kind: str) -> str:
    """A lead's title for this township: "分管副镇(乡)长" reads 分管副镇长 in a 镇, 分管副乡长 in a 乡,
    分管副主任 in a 街道 (the data file's template is never shown as it is)."""
    if "镇(乡)" not in title:
        return title
    if kind == "街道":
        return title.replace("副镇(乡)长", "副主任").replace("镇(乡)", "街道")
    return title.replace("镇(乡)", "乡" if kind == "乡" else "镇")


def seed_modules(session: Session, ref: ReferenceData, *, seed: int, now: datetime) -> int:
    """Create the default modules of every township where missing. Returns rows created."""
    have = set(session.execute(select(Module.township_code, Module.name)).all())
    rows: list[dict[str, Any]] = []
    for t in ref.townships:
        rng = random.Random(f"{seed}:modules:{t['code']}")
        names = NameGen(rng)
        for m in ref.modules:
            if (t["code"], m["name"]) in have:
                continue
            members = [
                {"name": names(), "post": post["post"], "department": post.get("department", ""),
                 "dispatched": bool(post.get("dispatched", False))}
                for post in m["member_posts"]
            ]
            at = now - timedelta(days=90)
            rows.append({
                "id": uuid7_at(at, rng), "township_code": t["code"], "row_version": 0, "field_versions": {},
                "created_at": at, "updated_at": at, "deleted": False,
                "name": m["name"], "lead_user_id": None,
                "lead_name": (f"{names()}({lead_title(m['lead_title'], t.get('kind', '镇'))})" if m["lead_title"]
                              else names()),
                "members": members, "wip_limit": m["wip_limit"], "sort_order": m["sort_order"],
            })
    if rows:
        session.execute(Module.__table__.insert(), rows)
    return len(rows)


def _record_changes(session: Session, loaded: LoadResult) -> int:
    """Log the loaded and seeded rows in the server's change log, so desks pull them."""
    from commandroom.server import changelog  # seeding writes the server's database

    logged = 0
    if loaded.changed_rows:
        rows = [r for r, _ in loaded.changed_rows]
        fields = {id(r): f for r, f in loaded.changed_rows}
        logged += len(changelog.log_rows(session, rows, changed_fields=fields))
    logged += int(changelog.backfill(session) or 0)
    return logged


def table_counts(session: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, model in {**REFERENCE_MODELS, **SYNCED_MODELS, User.__tablename__: User}.items():
        out[name] = int(session.scalar(select(func.count()).select_from(model)) or 0)
    return out


def seed_database(
    url: str,
    *,
    data_dir: str | Path | None = None,
    demo_days: int = 0,
    seed: int = 20261126,
    now: datetime | None = None,
) -> dict:
    """Migrate ``url``, load the reference data, modules, teams and (``demo_days`` > 0) demo history.

    Returns the number of rows per table after seeding. Raises ReferenceDataError
    (nothing written) when a reference file is wrong.
    """
    now = now or utcnow()
    ref = read_reference(data_dir)  # validate everything before touching the database
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_factory(engine)() as session:
            with session.begin():
                loaded = load_reference(session, ref)
                seed_modules(session, ref, seed=seed, now=now)
                seed_teams(session, ref, seed=seed, now=now)
                if demo_days > 0 and not session.scalar(select(func.count()).select_from(Report)):
                    from commandroom.demo_history import generate

                    session.flush()
                    generate(session, days=demo_days, seed=seed, now=now)
                _record_changes(session, loaded)
            counts = table_counts(session)
        if is_sqlite(normalise_url(url)):
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
    finally:
        engine.dispose()
    return counts


def run_seed(settings: Any, demo_days: int, data_dir: str | None, seed: int) -> int:
    """``commandroom seed``: seed ``settings.server_db_url`` and print a short summary."""
    url = settings.server_db_url
    started = time.perf_counter()
    counts = seed_database(url, data_dir=data_dir, demo_days=demo_days or 0, seed=seed)
    elapsed = time.perf_counter() - started
    ref = ["township", "zone", "village", "grid", "department", "event_category", "matter", "one_thing_type"]
    ops = ["module", "team_member", "report", "incident", "dispatch", "timeline_entry"]
    print(f"seeded {url} in {elapsed:.1f} s")
    print("  reference: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ref))
    print("  operational: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ops))
    return 0


__all__ = ["run_seed", "seed_database", "seed_modules", "seed_teams", "table_counts"]
