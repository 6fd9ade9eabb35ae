"""Believable demo history: N days of reports, triage, incidents, dispatches and timelines.

About 300 reports a day county-wide, with a daily rhythm (quiet nights, peaks mid-morning
and mid-afternoon), fewer on weekends and holidays, categories that fit each township
(街道: parking, vending, fumes and noise; 镇/乡: construction, open burning, river
waste, farmland), locations inside the township's approximate area near its villages,
and the mix of sources a command room sees. Triage accepts most reports, merges some
into open incidents and rejects a few; every incident follows the incident workflow
(``commandroom.workflows``) with routing frozen from the responsibility list, clocks
from the urgency levels, dispatches to departments or the zone team, returns,
escalations, reminders for overdue clocks, and a timeline entry per step.

Deterministic for a given ``seed`` and ``now``; written with bulk inserts.
Uses :mod:`commandroom.services.routing`, :mod:`~commandroom.services.deadlines`
and :mod:`~commandroom.services.search` when they are installed, and simple
built-in equivalents otherwise.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.demo_history import text as txt
from commandroom.domain.models import (
    Department,
    Dispatch,
    EventCategory,
    Grid,
    Incident,
    Matter,
    MatterListVersion,
    Report,
    SyncCounter,
    TeamMember,
    TimelineEntry,
    Township,
    UrgencyLevel,
    Village,
    Zone,
)
from commandroom.ids import human_number, new_id
from commandroom.refdata.util import NameGen, phone, uuid7_at
from commandroom.services import deadlines as deadlines_svc
from commandroom.services import routing as routing_svc
from commandroom.services.deadlines import in_order
from commandroom.services.search import search_tokens
from commandroom.workflows import INCIDENT

DAILY_REPORTS = 300
HOUR_WEIGHTS = (0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.0, 1.8, 2.6, 2.8, 2.2,
                1.2, 1.3, 2.3, 2.6, 2.4, 1.6, 1.0, 0.8, 0.7, 0.5, 0.35, 0.2)
WEEKDAY_FACTOR = 1.12
WEEKEND_FACTOR = 0.70
SOURCES = {"grid_patrol": 0.56, "hotline_12345": 0.14, "villager_app": 0.10, "department_push": 0.06,
           "sensor_alert": 0.06, "assigned_from_above": 0.04, "inspection": 0.04}
SENSOR_CATEGORIES = {"urban_parking": 3.0, "forest_fire": 2.0, "open_burning": 2.0, "river_waste": 2.0,
                     "muck_dust": 2.0, "road_occupation": 2.0, "traffic_hazard": 1.0, "flood": 1.0,
                     "eco_pollution": 1.0, "fire_hazard": 1.0}
URGENCY_DEFAULT = {"L1": 0.01, "L2": 0.12, "L3": 0.77, "L4": 0.10}
URGENCY_BY_CATEGORY = {
    "forest_fire": {"L1": 0.35, "L2": 0.45, "L3": 0.2},
    "gas_hazard": {"L1": 0.25, "L2": 0.45, "L3": 0.3},
    "geo_hazard": {"L1": 0.2, "L2": 0.45, "L3": 0.3, "L4": 0.05},
    "flood": {"L1": 0.2, "L2": 0.5, "L3": 0.3},
    "fire_hazard": {"L1": 0.1, "L2": 0.35, "L3": 0.55},
    "petition_risk": {"L1": 0.15, "L2": 0.45, "L3": 0.3, "L4": 0.1},
    "special_groups": {"L1": 0.1, "L2": 0.3, "L3": 0.6},
    "special_equipment": {"L1": 0.15, "L2": 0.35, "L3": 0.5},
    "traffic_hazard": {"L1": 0.08, "L2": 0.3, "L3": 0.62},
    "illegal_construction": {"L2": 0.15, "L3": 0.55, "L4": 0.3},
    "farmland_occupation": {"L2": 0.1, "L3": 0.55, "L4": 0.35},
    "illegal_burial": {"L3": 0.7, "L4": 0.3},
    "dispute": {"L2": 0.2, "L3": 0.6, "L4": 0.2},
    "eco_pollution": {"L2": 0.25, "L3": 0.55, "L4": 0.2},
    "open_burning": {"L1": 0.05, "L2": 0.55, "L3": 0.4},
}
DIRECT_CLOSE_P = {"urban_parking": 0.3, "sanitation": 0.12, "road_occupation": 0.12, "public_facility": 0.08}
OUTSIDE_FALLBACK = {"平安法治": "politics_law", "公共服务": "civil_affairs", "党建统领": "social_governance",
                    "经济生态": "development"}
STUCK_P = 0.035
STUCK_STATES = {"pending_dispatch": 0.15, "dispatched": 0.2, "acknowledged": 0.15, "in_progress": 0.3,
                "awaiting_verification": 0.1, "returned": 0.1}
MERGE_P = 0.12
REJECT_P = 0.07
RETURN_P = 0.08
VERIFY_FAIL_P = 0.04
OVERRIDE_P = 0.10
_SHANGHAI = timedelta(hours=8)


# --------------------------------------------------------------------------- working time


class _Clock:
    """Working-time arithmetic of :mod:`commandroom.services.deadlines`, memoised per day.

    The rules (working periods, workday length, calendar, level/limit merging) are the
    service's; only the lookups are cached: the demo evaluates ~100k clocks and an uncached
    calendar lookup dominates.
    """

    def __init__(self) -> None:
        self.periods = tuple(deadlines_svc.WORK_PERIODS)
        self.workday_minutes = deadlines_svc.WORKDAY_MINUTES
        self._workday: dict[date, bool] = {}
        self._day_periods: dict[date, list[tuple[datetime, datetime]]] = {}

    def is_workday(self, d: date) -> bool:
        hit = self._workday.get(d)
        if hit is None:
            hit = self._workday[d] = bool(deadlines_svc.is_workday(d))
        return hit

    def _periods_of(self, d: date) -> list[tuple[datetime, datetime]]:
        hit = self._day_periods.get(d)
        if hit is None:
            hit = [(datetime.combine(d, a), datetime.combine(d, b)) for a, b in self.periods] if self.is_workday(d) else []
            self._day_periods[d] = hit
        return hit

    def add_working(self, start: datetime, minutes: float) -> datetime:
        """``minutes`` of working time after ``start`` (naive UTC in and out)."""
        if minutes <= 0:
            return start
        cursor = start + _SHANGHAI
        remaining = timedelta(minutes=minutes)
        day = cursor.date()
        for _ in range(3660):
            for a, b in self._periods_of(day):
                if cursor >= b:
                    continue
                begin = max(cursor, a)
                available = b - begin
                if remaining <= available:
                    return begin + remaining - _SHANGHAI
                remaining -= available
                cursor = b
            day += timedelta(days=1)
            cursor = max(cursor, datetime.combine(day, time(0)))
        raise ValueError("working-time clock ran past the scan horizon")

    def deadlines(self, start: datetime, urgency: str, limits: dict, levels: dict) -> Any:
        """Acknowledge / on-site / close deadlines, as ``compute_deadlines`` gives them."""
        c = deadlines_svc.effective_clocks(urgency, limits, levels)
        ack, onsite, close_days, wt = c.ack_minutes, c.onsite_minutes, c.close_workdays, bool(c.working_time)

        def due(m: float | None) -> datetime | None:
            if m is None or m <= 0:
                return None
            return self.add_working(start, m) if wt else start + timedelta(minutes=m)

        close = close_days * (self.workday_minutes if wt else 1440) if close_days else None
        ack_due, onsite_due = in_order(due(ack), due(onsite), due(close))
        return SimpleNamespace(ack_due=ack_due, onsite_due=onsite_due, close_due=due(close))


# --------------------------------------------------------------------------- world


@dataclass
class _Town:
    row: Township
    area: Any
    weight: float
    villages: list[Village]
    village_cum: list[float]
    cat_codes: list[str]
    cat_cum: list[float]
    sensor_codes: list[str]
    sensor_cum: list[float]
    officers: list[str]
    grids: dict[str, list[Grid]] = field(default_factory=dict)


def _cum(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, items: list[Any], cum: list[float]) -> Any:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    keys = list(table)
    return _pick(rng, keys, _cum([table[k] for k in keys]))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class _World:
    def __init__(self, session: Session, seed: int, now: datetime) -> None:
        self.session = session
        self.now = now
        self.rng = random.Random(f"{seed}:demo")
        self.clock = _Clock()

        self.categories = {c.code: c for c in session.scalars(select(EventCategory).order_by(EventCategory.code))}
        self.departments = {d.code: d for d in session.scalars(select(Department).order_by(Department.code))}
        self.levels = {u.code: u for u in session.scalars(select(UrgencyLevel).order_by(UrgencyLevel.code))}
        self.zones = {z.id: z for z in session.scalars(select(Zone).order_by(Zone.id))}
        self.versions = list(session.scalars(select(MatterListVersion).order_by(MatterListVersion.effective_from)))
        self.matters: dict[str, list[Matter]] = defaultdict(list)
        for m in session.scalars(select(Matter).order_by(Matter.code)):
            self.matters[m.version_id].append(m)
        self.members: dict[str, list[TeamMember]] = defaultdict(list)
        for tm in session.scalars(select(TeamMember).where(TeamMember.deleted.is_(False)).order_by(TeamMember.id)):
            self.members[tm.zone_id].append(tm)
        names = NameGen(random.Random(f"{seed}:people"))
        self.names = names
        self.dept_staff = {code: [names() for _ in range(4)] for code in self.departments}
        self.zone_leader = {zid: next((m for m in ms if not m.is_auxiliary), ms[0]) for zid, ms in self.members.items()}
        self.county_staff = [names() for _ in range(3)]
        self.grid_worker: dict[str, str] = {}

        villages: dict[str, list[Village]] = defaultdict(list)
        for v in session.scalars(select(Village).order_by(Village.id)):
            villages[v.township_code].append(v)
        grids: dict[str, list[Grid]] = defaultdict(list)
        for g in session.scalars(select(Grid).order_by(Grid.id)):
            grids[g.village_id].append(g)
            self.grid_worker[g.id] = names()
        self.towns: list[_Town] = []
        for t in session.scalars(select(Township).order_by(Township.code)):
            if not t.area_geojson or not villages.get(t.code):
                continue
            area = shape(t.area_geojson)
            shapely.prepare(area)
            base = t.population or (25000 if t.urban else 9000)
            weight = base * (1.6 if t.urban else 1.0)
            vs = villages[t.code]
            cats = list(self.categories.values())
            cw = [(c.urban_weight if t.urban else c.rural_weight) for c in cats]
            sensor = [c for c in cats if c.code in SENSOR_CATEGORIES]
            sw = [SENSOR_CATEGORIES[c.code] * (c.urban_weight if t.urban else c.rural_weight) + 0.01 for c in sensor]
            self.towns.append(_Town(
                row=t, area=area, weight=weight, villages=vs,
                village_cum=_cum([2.5 if v.kind == "社区" else 1.0 for v in vs]),
                cat_codes=[c.code for c in cats], cat_cum=_cum(cw),
                sensor_codes=[c.code for c in sensor] or [c.code for c in cats],
                sensor_cum=_cum(sw) if sensor else _cum(cw),
                officers=[names() for _ in range(4)],
                grids={v.id: grids.get(v.id, []) for v in vs},
            ))
        self.town_cum = _cum([t.weight for t in self.towns])
        self._route_cache: dict[tuple[str, str, str | None], dict[str, Any]] = {}

    # ----------------------------------------------------------------- people and devices

    def officer(self, town: _Town, at: datetime) -> tuple[str, str]:
        local = at + _SHANGHAI
        idx = local.date().toordinal() % 2
        day = 8 <= local.hour < 20
        name = town.officers[idx if day else 2 + idx]
        return name, f"{town.row.short_name}指挥室-值班席{1 + idx}"

    def dept_actor(self, code: str, rng: random.Random) -> tuple[str, str]:
        dept = self.departments.get(code)
        short = dept.short_name if dept else code
        return f"{short}·{rng.choice(self.dept_staff.get(code) or ['值班人员'])}", "部门协同端"

    def county_actor(self, rng: random.Random) -> tuple[str, str]:
        return f"县社会治理中心·{rng.choice(self.county_staff)}", "县社会治理中心"

    # ----------------------------------------------------------------- routing

    def version_at(self, at: datetime) -> MatterListVersion | None:
        day = (at + _SHANGHAI).date()
        current = None
        for v in self.versions:
            if v.effective_from <= day:
                current = v
        return current

    def default_matter(self, version: MatterListVersion | None, category: str) -> Matter | None:
        if version is None:
            return None
        covering = [m for m in self.matters[version.id] if category in (m.category_codes or [])]
        for m in covering:
            if category in (m.default_for or []):
                return m
        return covering[0] if covering else None

    def covering(self, version: MatterListVersion | None, category: str) -> list[Matter]:
        if version is None:
            return []
        return [m for m in self.matters[version.id] if category in (m.category_codes or [])]

    def _from_matter(self, matter: Matter | None, version: MatterListVersion | None, town: _Town) -> dict:
        r = routing_svc.routing_from_matter(matter, version, township_code=town.row.code, zone_id=town.row.zone_id)
        return {k: getattr(r, k) for k in ("matter_code", "matter_name", "matter_version", "outside_list",
                                           "lead_department_code", "township_duty", "department_duty",
                                           "is_enforcement", "zone_id", "limits")}

    def route(self, town: _Town, category: str, at: datetime) -> dict[str, Any]:
        version = self.version_at(at)
        key = (category, town.row.code, version.id if version else None)
        cached = self._route_cache.get(key)
        if cached is not None:
            return cached
        # the list routes by category; only the township and its zone differ between townships
        other = self._route_cache.get((category, None, version.id if version else None))
        if other is not None:
            out = {**other, "zone_id": town.row.zone_id}
            self._route_cache[key] = out
            return out
        default = self.default_matter(version, category)
        r = routing_svc.route(self.session, category_code=category, at=at, township_code=town.row.code)
        out = {k: getattr(r, k) for k in ("matter_code", "matter_name", "matter_version", "outside_list",
                                          "lead_department_code", "township_duty", "department_duty",
                                          "is_enforcement", "zone_id", "limits")}
        # the list marks one default matter per category (Matter.default_for); honour it
        if default is not None and out["matter_code"] != default.code:
            out = self._from_matter(default, version, town)
        out["_version"] = version
        self._route_cache[key] = out
        self._route_cache[(category, None, version.id if version else None)] = out
        return out


# --------------------------------------------------------------------------- plans


@dataclass
class _Event:
    at: datetime
    action: str
    actor: tuple[str, str]
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    target: str | None = None  # explicit target state (reopen-like actions); None → the machine's
    op: dict[str, Any] = field(default_factory=dict)  # side effects on dispatches
    seq: int = 0


@dataclass
class _Inc:
    id: str
    town: _Town
    report: dict[str, Any]
    created: datetime
    urgency: str
    routing: dict[str, Any]
    override_reason: str
    deadlines: Any
    events: list[_Event] = field(default_factory=list)
    closed_plan: datetime | None = None
    merged_reports: list[dict[str, Any]] = field(default_factory=list)


_STATE_OF = {
    "create": "pending_dispatch", "dispatch": "dispatched", "acknowledge": "acknowledged", "start": "in_progress",
    "submit": "awaiting_verification", "verify_pass": "closed", "verify_fail": "in_progress", "close": "closed",
    "return": "returned", "escalate": "escalated",
}


class _Generator:
    def __init__(self, world: _World, days: int) -> None:
        self.w = world
        self.rng = world.rng
        self.days = days
        self.now = world.now
        self.start = self.now - timedelta(days=days)
        self.reports: list[dict[str, Any]] = []
        self.incidents: list[_Inc] = []
        self.recent: dict[str, list[_Inc]] = defaultdict(list)
        self.serials: dict[str, int] = {}
        self.hotline_serial = 0

    # ----------------------------------------------------------------- time

    def after(self, t: datetime, minutes: float, working: bool) -> datetime:
        if working:
            return self.w.clock.add_working(t, max(minutes, 1))
        return t + timedelta(minutes=max(minutes, 1))

    def report_times(self) -> list[datetime]:
        rng = self.rng
        total_w = sum(HOUR_WEIGHTS)
        noise: dict[date, float] = {}
        out: list[datetime] = []
        t = self.start.replace(minute=0, second=0, microsecond=0)
        while t < self.now:
            lo, hi = max(t, self.start), min(t + timedelta(hours=1), self.now)
            frac = (hi - lo).total_seconds() / 3600.0
            local = t + _SHANGHAI
            d = local.date()
            if d not in noise:
                noise[d] = max(0.75, rng.gauss(1.0, 0.06))
            factor = WEEKDAY_FACTOR if self.w.clock.is_workday(d) else WEEKEND_FACTOR
            lam = DAILY_REPORTS * factor * noise[d] * HOUR_WEIGHTS[local.hour] / total_w * frac
            span = (hi - lo).total_seconds()
            for _ in range(_poisson(rng, lam)):
                out.append(lo + timedelta(seconds=rng.random() * span))
            t += timedelta(hours=1)
        out.sort()
        return out

    # ----------------------------------------------------------------- numbering

    def next_number(self, prefix: str, at: datetime) -> str:
        key = f"{prefix}:{at.year}"
        self.serials[key] = self.serials.get(key, 0) + 1
        return human_number(prefix, at.year, self.serials[key])

    # ----------------------------------------------------------------- reports

    def place(self, town: _Town, village: Village, category: str) -> tuple[str, str]:
        rng = self.rng
        cat = self.w.categories[category]
        urbanish = town.row.urban and (village.kind == "社区" or cat.urban_weight > cat.rural_weight)
        if urbanish:
            road = rng.choice(txt.URBAN_ROADS)
            spot = rng.choice(txt.URBAN_SPOTS)
            return f"{road}{spot}", f"常山县{town.row.name}{village.name}{road}{rng.randint(1, 388)}号"
        spot = rng.choice(txt.RURAL_SPOTS)
        return f"{village.name}{spot}", f"常山县{town.row.name}{village.name}{spot}"

    def locate(self, town: _Town, lon: float, lat: float, sigma: float, fallback: tuple[float, float]) -> tuple[
            float, float]:
        rng = self.rng
        k = math.cos(math.radians(lat))
        for _ in range(40):
            x = round(lon + rng.gauss(0, sigma) / k, 6)
            y = round(lat + rng.gauss(0, sigma), 6)
            if shapely.contains_xy(town.area, x, y):
                return x, y
        for x, y in (fallback, (town.row.seat_lon, town.row.seat_lat)):
            if x is not None and shapely.contains_xy(town.area, x, y):
                return x, y
        return town.row.seat_lon, town.row.seat_lat

    def reporter(self, source: str, town: _Town, grid: Grid | None, category: str, routing_lead: str | None) -> tuple[
            str, str, str | None]:
        rng = self.rng
        if source == "grid_patrol" and grid is not None:
            return self.w.grid_worker[grid.id], phone(rng), None
        if source == "hotline_12345":
            self.hotline_serial += 1
            caller = rng.choice("王李张刘陈杨黄吴周徐汪毛郑姜叶") + rng.choice(("先生", "女士"))
            return f"12345热线({caller})", phone(rng, masked=True), f"12345-{self.hotline_serial:07d}"
        if source == "villager_app":
            return f"村情通·{self.w.names()}", phone(rng, masked=True), None
        if source == "department_push":
            dept = self.w.departments.get(routing_lead or "") or self.w.departments.get("social_governance")
            return f"{dept.short_name if dept else '县级部门'}推送", "", None
        if source == "sensor_alert":
            kind = {"forest_fire": "森林防火监测", "river_waste": "河道视频监控", "flood": "水位监测站",
                    "eco_pollution": "环境监测点"}.get(category, "雪亮工程视频")
            return f"{kind} {town.row.number_prefix}-{rng.randint(1, 240):03d}", "", None
        if source == "assigned_from_above":
            return rng.choice(("县社会治理中心", "县长热线", "市级交办")), "", None
        if source == "inspection":
            return f"县督查组·{rng.choice(self.w.county_staff)}", "", None
        return self.w.grid_worker[grid.id] if grid else "网格员", phone(rng), None

    def urgency(self, category: str) -> str:
        return _weighted(self.rng, URGENCY_BY_CATEGORY.get(category, URGENCY_DEFAULT))

    def merge_candidate(self, town: _Town, at: datetime) -> _Inc | None:
        recent = self.recent[town.row.code]
        cands = []
        for inc in reversed(recent[-60:]):
            if inc.created < at - timedelta(hours=48):
                break
            if inc.created > at - timedelta(minutes=10):
                continue
            if inc.closed_plan is not None and inc.closed_plan <= at:
                continue
            cands.append(inc)
        return self.rng.choice(cands) if cands else None

    def make_report(self, at: datetime) -> None:
        rng, w = self.rng, self.w
        town = _pick(rng, w.towns, w.town_cum)
        local_h = (at + _SHANGHAI).hour
        src_w = dict(SOURCES)
        if local_h >= 22 or local_h < 6:
            src_w["grid_patrol"] *= 0.2
            src_w["hotline_12345"] *= 1.5
            src_w["sensor_alert"] *= 2.0
        source = _weighted(rng, src_w)
        day_time = 8 <= local_h < 21
        triaged = at + timedelta(minutes=1 + rng.expovariate(1 / (12 if day_time else 45)))
        if triaged > self.now:
            triaged = None
        target: _Inc | None = None
        if triaged is not None and rng.random() < MERGE_P:
            target = self.merge_candidate(town, triaged)
        if target is not None:
            category = target.report["category_code"]
            related = list(w.categories[category].related or [])
            if related and rng.random() < 0.25:
                category = rng.choice(related)
            grid_id = target.report["grid_id"]
            grid = next((g for gs in town.grids.values() for g in gs if g.id == grid_id), None)
            village = next((v for v in town.villages if grid is not None and v.id == grid.village_id),
                           town.villages[0])
            lon, lat = self.locate(town, target.report["lon"], target.report["lat"], 0.0007,
                                   (target.report["lon"], target.report["lat"]))
            address = target.report["address"]
            place = address.removeprefix(f"常山县{town.row.name}") or village.name
            if source == "grid_patrol":
                source = "villager_app"
        else:
            village = _pick(rng, town.villages, town.village_cum)
            grids = town.grids.get(village.id) or []
            grid = rng.choice(grids) if grids else None
            if source == "sensor_alert":
                category = _pick(rng, town.sensor_codes, town.sensor_cum)
            else:
                category = _pick(rng, town.cat_codes, town.cat_cum)
            gx = grid.lon if grid and grid.lon is not None else village.lon
            gy = grid.lat if grid and grid.lat is not None else village.lat
            if gx is None or gy is None:
                gx, gy = town.row.seat_lon, town.row.seat_lat
            lon, lat = self.locate(town, gx, gy, 0.0035, (gx, gy))
            place, address = self.place(town, village, category)
        routing = w.route(town, category, at)
        name, tel, external = self.reporter(source, town, grid, category, routing["lead_department_code"])
        hint = self.urgency(category)
        report = {
            "id": uuid7_at(at, rng), "township_code": town.row.code, "row_version": 0, "field_versions": {},
            "created_at": at, "updated_at": triaged or at, "deleted": False,
            "number": self.next_number(f"{town.row.number_prefix}-R", at),
            "source": source, "category_code": category, "description": txt.describe(rng, category, place),
            "lat": lat, "lon": lon, "address": address, "grid_id": grid.id if grid else None,
            "reporter_user_id": None, "reporter_name": name, "reporter_phone": tel, "reported_at": at,
            "photos": [], "urgency_hint": hint, "state": "new", "incident_id": None, "reject_reason": "",
            "triaged_by": None, "triaged_at": triaged, "external_ref": external,
        }
        self.reports.append(report)
        if triaged is None:
            return
        if target is not None:
            report["state"] = "merged"
            report["incident_id"] = target.id
            target.merged_reports.append(report)
            target.events.append(_Event(triaged, "merge_report", w.officer(town, triaged),
                                        note=f"合并报告 {report['number']}",
                                        data={"report_id": report["id"], "delta": 1}))
            return
        if rng.random() < REJECT_P:
            report["state"] = "rejected"
            report["reject_reason"] = rng.choice(txt.REJECT_REASONS)
            return
        report["state"] = "accepted"
        self.accept(report, town, routing, triaged)

    # ----------------------------------------------------------------- incidents

    def accept(self, report: dict[str, Any], town: _Town, routing: dict[str, Any], at: datetime) -> None:
        rng, w = self.rng, self.w
        urgency = report["urgency_hint"]
        if rng.random() < 0.08:
            urgency = {"L1": "L2", "L2": "L3", "L3": rng.choice(("L2", "L4")), "L4": "L3"}[urgency]
        override = ""
        routing = dict(routing)
        if not routing["outside_list"] and rng.random() < OVERRIDE_P:
            others = [m for m in w.covering(routing["_version"], report["category_code"])
                      if m.code != routing["matter_code"]]
            if others:
                m = rng.choice(others)
                original = routing
                routing = w._from_matter(m, routing["_version"], town)
                routing["_version"] = original["_version"]
                routing["_routed"] = (original["matter_code"], original["lead_department_code"])
                override = f"经现场核实，按「{m.name}」事项办理更准确"
        inc_id = uuid7_at(at, rng)
        report["incident_id"] = inc_id
        deadlines = w.clock.deadlines(at, urgency, routing["limits"], w.levels)
        inc = _Inc(id=inc_id, town=town, report=report, created=at, urgency=urgency, routing=routing,
                   override_reason=override, deadlines=deadlines)
        self.plan(inc)
        self.incidents.append(inc)
        self.recent[town.row.code].append(inc)

    def plan(self, inc: _Inc) -> None:  # one readable story per incident
        rng, w = self.rng, self.w
        town, r = inc.town, inc.routing
        ev = inc.events
        level = w.levels.get(inc.urgency)
        working = bool(level.working_time) if level is not None else True
        limits = (r["limits"] or {}).get(inc.urgency, {})
        ack_min = limits.get("ack_minutes", level.ack_minutes if level else 420)
        onsite_min = limits.get("onsite_minutes", level.onsite_minutes if level else 840)
        stuck = _weighted(rng, STUCK_STATES) if rng.random() < STUCK_P else None

        def pause(state: str, t: datetime) -> datetime:
            if stuck == state:
                return t + timedelta(minutes=rng.expovariate(1 / (4 * 1440)) + 240)
            return t

        t = inc.created
        ev.append(_Event(t, "create", w.officer(town, t), note=f"由报告 {inc.report['number']} 受理",
                         data={"report_id": inc.report["id"], "matter_code": r["matter_code"],
                               "matter_version": r["matter_version"], "outside_list": r["outside_list"],
                               "urgency": inc.urgency}))
        if inc.override_reason:
            routed = r.get("_routed", (None, None))
            ev.append(_Event(t, "override", w.officer(town, t), note=inc.override_reason,
                             data={"routed_matter_code": routed[0], "routed_lead_department_code": routed[1],
                                   "matter_code": r["matter_code"], "lead_department_code": r["lead_department_code"]}))
        cat = w.categories[inc.report["category_code"]]
        # 当场解决当日销号 / 清单外乡镇自办
        if r["outside_list"] and rng.random() < 0.4:
            t = pause("pending_dispatch", self.after(t, rng.uniform(120, 1500), True))
            ev.append(_Event(t, "close", w.officer(town, t), note=txt.OUTSIDE_SELF))
            inc.closed_plan = t
            return
        if (not r["outside_list"] and inc.urgency in ("L2", "L3")
                and rng.random() < DIRECT_CLOSE_P.get(cat.code, 0.05)):
            t = t + timedelta(minutes=rng.uniform(10, 150))
            ev.append(_Event(t, "close", w.officer(town, t), note=rng.choice(txt.DIRECT_CLOSE)))
            inc.closed_plan = t
            return
        lead = r["lead_department_code"]
        escalate_first = r["outside_list"] or (stuck is None and rng.random() < 0.01)
        if escalate_first:
            t = t + timedelta(minutes=rng.uniform(5, 60))
            ev.append(_Event(t, "escalate", w.officer(town, t),
                             note=txt.ESCALATE_OUTSIDE if r["outside_list"] else txt.ESCALATE_STUCK))
            t = t + timedelta(minutes=rng.uniform(240, 72 * 60))
            lead = lead or OUTSIDE_FALLBACK.get(cat.module, "social_governance")
            if lead not in w.departments:
                lead = "social_governance"
            dispatcher = w.county_actor(rng)
        else:
            delay = rng.uniform(2, 8) if inc.urgency == "L1" else rng.lognormvariate(math.log(20), 0.7)
            t = pause("pending_dispatch", self.after(t, delay, working))
            dispatcher = w.officer(town, t)
        zone = r.get("zone_id") or town.row.zone_id
        team = r["is_enforcement"] and zone in w.members and w.members[zone]
        if lead is not None and lead not in w.departments:
            lead = "social_governance" if "social_governance" in w.departments else next(iter(w.departments))
        if not team and lead and rng.random() < RETURN_P:
            d_id = self._dispatch(ev, t, dispatcher, "department", lead, None)
            t = pause("dispatched", self.after(t, rng.uniform(30, 400), working))
            reasons = [rc for rc in txt.RETURN_REASONS if not (lead == "enforcement" and "综合行政执法" in rc[1])]
            reason, counter = rng.choice(reasons)
            ev.append(_Event(t, "return", w.dept_actor(lead, rng), note=reason,
                             data={"counter_proposal": counter, "cancelled_dispatches": [d_id]},
                             op={"cancel_all": True, "counter": counter}))
            t = pause("returned", self.after(t, rng.uniform(30, 480), True))
            dispatcher = w.county_actor(rng) if "县社会治理中心" in counter else w.officer(town, t)
            if "综合行政执法" in counter and zone in w.members:
                team = w.members[zone]
        if team:
            members = [m for m in team if not m.is_auxiliary]
            leader = rng.choice(members[:4] or team)
            crew = [leader.id] + [m.id for m in rng.sample([m for m in team if m.id != leader.id],
                                                          k=min(len(team) - 1, rng.randint(1, 2)))]
            self._dispatch(ev, t, dispatcher, "team", zone, crew, lead_member=leader.id)
            assignee = (leader.name, f"{w.zones[zone].name}执法终端")
        else:
            target = lead or "social_governance"
            self._dispatch(ev, t, dispatcher, "department", target, None)
            assignee = w.dept_actor(target, rng)
        t_disp = t
        # acknowledge
        f = rng.uniform(0.05, 0.7) if rng.random() < 0.9 else rng.uniform(1.1, 2.5)
        t = pause("dispatched", self.after(t, f * ack_min, working))
        ev.append(_Event(t, "acknowledge", assignee, op={"dispatch": "acknowledged"}))
        # on site
        t_move = t + timedelta(minutes=rng.uniform(2, 20))
        if team:
            ev.append(_Event(t_move, "_en_route", assignee, op={"dispatch": "en_route"}))
        g = rng.uniform(0.04, 0.45) if rng.random() < 0.93 else rng.uniform(1.1, 1.8)
        t = pause("acknowledged", max(t_move + timedelta(minutes=rng.uniform(3, 20)),
                                      self.after(t_disp, g * onsite_min, working)))
        ev.append(_Event(t, "arrive", assignee, note="已到达现场", op={"dispatch": "on_scene"}))
        t = t + timedelta(minutes=rng.uniform(3, 25))
        ev.append(_Event(t, "start", assignee, note="开始处置"))
        # handling
        handle = {"L1": (45, 480), "L2": (60, 600), "L3": (90, 1100), "L4": (300, 2200)}.get(inc.urgency, (90, 1100))
        minutes = rng.uniform(*handle)
        if rng.random() < 0.05:
            minutes *= rng.uniform(1.8, 3.5)
        t = pause("in_progress", self.after(t, minutes, inc.urgency != "L1"))
        note = txt.feedback(rng, cat.code)
        ev.append(_Event(t, "submit", assignee, note=note))
        t = pause("awaiting_verification", self.after(t, rng.uniform(20, 240), True))
        if rng.random() < VERIFY_FAIL_P:
            ev.append(_Event(t, "verify_fail", w.officer(town, t), note=rng.choice(txt.VERIFY_FAIL),
                             data={"verified_by": w.officer(town, t)[0], "passed": False}))
            t = self.after(t, rng.uniform(60, 600), True)
            ev.append(_Event(t, "submit", assignee, note="已按核查意见重新整改到位"))
            t = self.after(t, rng.uniform(20, 240), True)
        grid_id = inc.report["grid_id"]
        if grid_id and rng.random() < 0.6:
            verifier = (w.grid_worker[grid_id], "网格通APP")
        else:
            verifier = w.officer(town, t)
        ev.append(_Event(t, "verify_pass", verifier, note="现场核查，整改到位",
                         data={"verified_by": verifier[0], "passed": True}, op={"verified_by": verifier[0]}))
        inc.closed_plan = t

    def _dispatch(self, ev: list[_Event], t: datetime, actor: tuple[str, str], kind: str, code: str,
                  members: list[str] | None, lead_member: str | None = None) -> str:
        d_id = uuid7_at(t, self.rng)
        ev.append(_Event(t, "dispatch", actor,
                         data={"dispatch_id": d_id, "target_kind": kind, "target_code": code,
                               "member_ids": members or [], "lead_member_id": lead_member, "additional": False},
                         op={"new_dispatch": d_id}))
        return d_id

    def reminders(self, inc: _Inc) -> None:
        due = inc.deadlines.close_due
        if due is None:
            return
        end = inc.closed_plan or datetime.max
        ladder = [(due + timedelta(minutes=5), "reminder"),
                  (self.w.clock.add_working(due, self.w.clock.workday_minutes + 1), "supervision_order"),
                  (self.w.clock.add_working(due, 3 * self.w.clock.workday_minutes + 1), "leader_notice")]
        previous = "none"
        for at, level in ladder:
            if at >= end:
                break
            label = {"reminder": "办结超时，系统自动提醒", "supervision_order": "超期一个工作日以上，发出督办单",
                     "leader_notice": "超期三个工作日以上，领导通报"}[level]
            inc.events.append(_Event(at, "remind", ("系统", "县级服务器"), note=label,
                                     data={"level": level, "previous": previous}))
            previous = level


# --------------------------------------------------------------------------- derivation → rows


def _base(row_id: str, township: str, at: datetime, updated: datetime | None = None) -> dict[str, Any]:
    return {"id": row_id, "township_code": township, "row_version": 0, "field_versions": {},
            "created_at": at, "updated_at": updated or at, "deleted": False}


def _derive(gen: _Generator, inc: _Inc) -> tuple[dict, list[dict], list[dict]]:
    w, now = gen.w, gen.now
    town = inc.town
    r = inc.routing
    rep = inc.report
    cat = w.categories[rep["category_code"]]
    row = {
        **_base(inc.id, town.row.code, inc.created),
        "number": None, "title": f"{cat.name}·{rep['address']}"[:128], "description": rep["description"],
        "category_code": rep["category_code"], "zone_id": r.get("zone_id") or town.row.zone_id,
        "grid_id": rep["grid_id"], "source": rep["source"], "urgency": inc.urgency, "state": "pending_dispatch",
        "lifecycle_epoch": 0, "lat": rep["lat"], "lon": rep["lon"], "address": rep["address"],
        "matter_code": r["matter_code"], "matter_name": r["matter_name"], "matter_version": r["matter_version"],
        "outside_list": bool(r["outside_list"]), "lead_department_code": r["lead_department_code"],
        "township_duty": r["township_duty"], "department_duty": r["department_duty"],
        "is_enforcement": bool(r["is_enforcement"]), "routing_override_reason": inc.override_reason,
        "assignee_kind": None, "assignee_code": None,
        "ack_due": inc.deadlines.ack_due, "onsite_due": inc.deadlines.onsite_due, "close_due": inc.deadlines.close_due,
        "dispatched_at": None, "acknowledged_at": None, "onsite_at": None, "closed_at": None,
        "escalation_level": "none", "return_reason": "", "counter_proposal": "", "return_count": 0,
        "report_count": 1, "photos_before": [], "photos_after": [], "verified_by": "", "needs_review": False,
        "merged_into_id": None, "search_text": "",
    }
    dispatches: dict[str, dict[str, Any]] = {}
    active: list[str] = []
    timeline: list[dict[str, Any]] = []
    events = sorted(enumerate(inc.events), key=lambda p: (p[1].at, p[0]))
    last = inc.created
    trng = random.Random(inc.id)
    prev_id = 0
    for _, e in events:
        if e.at > now:
            break
        last = max(last, e.at)
        state = row["state"]
        if e.action == "_en_route":
            for d_id in active:
                d = dispatches[d_id]
                if d["state"] in ("assigned", "acknowledged"):
                    d["state"], d["en_route_at"], d["updated_at"] = "en_route", e.at, e.at
            continue
        to_state = None
        from_state = None
        if e.action in _STATE_OF or e.action == "arrive":
            from_state = state
            if e.action != "create":
                step = INCIDENT.fire(state, e.action, e.target)
                to_state = step.to_state
                if step.bumps_epoch:
                    row["lifecycle_epoch"] += 1
            else:
                to_state = _STATE_OF[e.action]
            if e.action == "create":
                from_state = None
            row["state"] = to_state
        a = e.action
        if a == "dispatch":
            d_id = e.op["new_dispatch"]
            first = state in ("pending_dispatch", "returned", "escalated")
            dispatches[d_id] = {
                **_base(d_id, town.row.code, e.at), "incident_id": inc.id,
                "target_kind": e.data["target_kind"], "target_code": e.data["target_code"],
                "lead_member_id": e.data["lead_member_id"], "member_ids": e.data["member_ids"],
                "joint_visit_id": None, "state": "assigned", "lifecycle_epoch": row["lifecycle_epoch"],
                "note": e.note, "assigned_at": e.at, "acknowledged_at": None, "en_route_at": None,
                "on_scene_at": None, "done_at": None,
            }
            active.append(d_id)
            row["assignee_kind"], row["assignee_code"] = e.data["target_kind"], e.data["target_code"]
            if first:
                row["dispatched_at"], row["acknowledged_at"], row["onsite_at"] = e.at, None, None
                resp = w.clock.deadlines(e.at, inc.urgency, r["limits"], w.levels)
                # as the dispatch mutation: 签收 ≤ 到场 ≤ 办结 (services.deadlines.in_order)
                row["ack_due"], row["onsite_due"] = in_order(resp.ack_due, resp.onsite_due, row.get("close_due"))
        elif a == "acknowledge":
            row["acknowledged_at"] = e.at
            for d_id in active:
                d = dispatches[d_id]
                if d["state"] == "assigned":
                    d["state"], d["acknowledged_at"], d["updated_at"] = "acknowledged", e.at, e.at
        elif a == "arrive":
            row["onsite_at"] = e.at
            if row["acknowledged_at"] is None:
                row["acknowledged_at"] = e.at
            for d_id in active:
                d = dispatches[d_id]
                if d["state"] in ("assigned", "acknowledged", "en_route"):
                    d["state"], d["on_scene_at"], d["updated_at"] = "on_scene", e.at, e.at
        elif a == "return":
            row["return_reason"] = e.note
            row["counter_proposal"] = e.op.get("counter", "")
            row["return_count"] += 1
            for d_id in active:
                dispatches[d_id]["state"], dispatches[d_id]["updated_at"] = "cancelled", e.at
            active = []
        elif a in ("verify_pass", "close"):
            row["closed_at"] = e.at
            if a == "verify_pass":
                row["verified_by"] = e.data.get("verified_by", "")
            ended = []
            for d_id in active:
                d = dispatches[d_id]
                if d["state"] == "assigned":
                    d["state"] = "cancelled"
                else:
                    d["state"], d["done_at"] = "done", e.at
                d["updated_at"] = e.at
                ended.append(d_id)
            active = []
            if a == "close":
                e.data = {"photos_before": [], "photos_after": [], "ended_dispatches": ended}
            else:
                e.data = {**e.data, "ended_dispatches": ended}
        elif a == "verify_fail":
            row["verified_by"] = e.data.get("verified_by", "")
        elif a == "remind":
            row["escalation_level"] = e.data["level"]
        elif a == "merge_report":
            row["report_count"] += 1
        # ids sort like the events even within one millisecond (create + override)
        entry_id = int(uuid.UUID(uuid7_at(e.at, trng)))
        if entry_id >> 80 == prev_id >> 80 and entry_id <= prev_id:
            entry_id = prev_id + 1
        prev_id = entry_id
        timeline.append({
            **_base(str(uuid.UUID(int=entry_id)), town.row.code, e.at), "incident_id": inc.id, "at": e.at,
            "actor_user_id": None, "actor_name": e.actor[0], "device_name": e.actor[1], "action": a,
            "from_state": from_state, "to_state": to_state, "note": e.note, "data": dict(e.data),
        })
    row["updated_at"] = last
    return row, list(dispatches.values()), timeline


# --------------------------------------------------------------------------- entry point


def generate_history(session: Session, *, days: int, seed: int, now: datetime) -> dict:
    """Generate ``days`` of history ending at ``now`` (naive UTC) into ``session`` (no commit).

    Returns counts: reports, incidents, dispatches, timeline_entries, merged, rejected,
    untriaged, overdue and incidents per state.
    """
    if now.tzinfo is not None:
        raise ValueError("now must be naive UTC")
    world = _World(session, seed, now)
    if not world.towns:
        raise ValueError("no townships with areas and villages: load the reference data first")
    gen = _Generator(world, days)
    counter = session.get(SyncCounter, 1)
    if counter is not None:
        gen.serials = {k: int(v) for k, v in (counter.human_serials or {}).items()}
    for at in gen.report_times():
        gen.make_report(at)
    for inc in gen.incidents:
        gen.reminders(inc)

    incidents, dispatches, timeline = [], [], []
    for inc in sorted(gen.incidents, key=lambda i: (i.created, i.id)):
        row, ds, tl = _derive(gen, inc)
        row["number"] = gen.next_number(inc.town.row.number_prefix, inc.created)
        texts = [row["number"], row["title"], row["description"], row["address"], row["matter_name"],
                 world.categories[row["category_code"]].name]
        for rep in [inc.report, *inc.merged_reports]:
            if rep["triaged_at"] is not None and rep["triaged_at"] <= now:
                texts += [rep["number"], rep["description"]]
        row["search_text"] = search_tokens(*texts)
        incidents.append(row)
        dispatches += ds
        timeline += tl

    if counter is None:
        counter = SyncCounter(id=1, head=0, epoch=new_id(), human_serials={})
        session.add(counter)
    counter.human_serials = {**(counter.human_serials or {}), **gen.serials}
    session.flush()
    batch = 5000
    for model, rows in ((Report, gen.reports), (Incident, incidents), (Dispatch, dispatches),
                        (TimelineEntry, timeline)):
        for i in range(0, len(rows), batch):
            session.execute(model.__table__.insert(), rows[i:i + batch])

    states: dict[str, int] = defaultdict(int)
    for row in incidents:
        states[row["state"]] += 1
    overdue = sum(1 for row in incidents
                  if row["state"] != "closed" and row["close_due"] is not None and row["close_due"] < now)
    return {
        "reports": len(gen.reports),
        "incidents": len(incidents),
        "dispatches": len(dispatches),
        "timeline_entries": len(timeline),
        "merged": sum(1 for r in gen.reports if r["state"] == "merged"),
        "rejected": sum(1 for r in gen.reports if r["state"] == "rejected"),
        "untriaged": sum(1 for r in gen.reports if r["state"] == "new"),
        "overdue": overdue,
        "states": dict(sorted(states.items())),
    }
