"""Read functions behind the report inbox. Pure core code: no Qt, safe on any executor thread.

Each function opens its own read session on the store's reader engine. Sorting and
filtering happen in SQL; the table model holds only ids and fetches rows in pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from commandroom.domain.models import (
    Department,
    EventCategory,
    Grid,
    Incident,
    Matter,
    Photo,
    Report,
    Township,
    Village,
)
from commandroom.services import deadlines as deadlines_service
from commandroom.services.duplicates import duplicate_candidates, related_categories, similarity
from commandroom.services.routing import route, version_in_force
from commandroom.store.protocol import ReadStore
from commandroom.timeutil import utcnow

RECENT_DAYS = 7
MAX_IDS = 20_000


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows.

    Args:
        township_codes: townships in view (None: every township the store holds).
        scope: ``new`` (waiting reports only), ``recent`` (waiting reports, then those
            triaged in the last 7 days) or ``all``.
        search: text matched against description, address and reporter name.
    """

    township_codes: tuple[str, ...] | None = None
    scope: str = "recent"
    search: str = ""


@dataclass(frozen=True)
class InboxRow:
    """One inbox row, display-ready (data() only reads these attributes)."""

    id: str
    state: str
    category_code: str
    category_name: str
    grid_name: str
    township_name: str
    reporter_name: str
    reported_at: datetime
    source: str
    address: str
    lat: float | None
    lon: float | None
    photo_count: int
    urgency_hint: str | None
    description: str
    township_code: str
    incident_id: str | None


def inbox_ids(store: ReadStore, flt: InboxFilter, now: datetime | None = None) -> list[str]:
    """Report ids for ``flt``: waiting (``new``) reports first, then newest first."""
    q = select(Report.id).where(Report.deleted.is_(False))
    if flt.township_codes is not None:
        q = q.where(Report.township_code.in_(flt.township_codes))
    if flt.scope == "new":
        q = q.where(Report.state == "new")
    elif flt.scope == "recent":
        since = (now or utcnow()) - timedelta(days=RECENT_DAYS)
        q = q.where((Report.state == "new") | (Report.reported_at >= since))
    text = flt.search.strip()
    if text:
        like = f"%{text}%"
        q = q.where(
            Report.description.like(like) | Report.address.like(like) | Report.reporter_name.like(like)
            | (Report.number == text)
        )
    q = q.order_by(case((Report.state == "new", 0), else_=1), Report.reported_at.desc(), Report.id.desc())
    q = q.limit(MAX_IDS)
    with store.read() as session:
        return list(session.scalars(q))


def inbox_listing(store: ReadStore, flt: InboxFilter, now: datetime | None = None) -> tuple[list[str], int]:
    """The ids of :func:`inbox_ids` and how many of them are waiting (one read session each)."""
    ids = inbox_ids(store, flt, now)
    q = select(func.count()).select_from(Report).where(Report.deleted.is_(False), Report.state == "new")
    if flt.township_codes is not None:
        q = q.where(Report.township_code.in_(flt.township_codes))
    with store.read() as session:
        waiting = int(session.scalar(q) or 0)
    return ids, waiting


def _names(session: Any, model: Any, key: Any, value: Any, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    return dict(session.execute(select(key, value).where(key.in_(sorted(keys)))).all())


def inbox_rows(store: ReadStore, ids: list[str]) -> dict[str, InboxRow]:
    """Display rows for ``ids`` (missing or deleted ids are absent from the result)."""
    if not ids:
        return {}
    with store.read() as session:
        reports = list(session.scalars(select(Report).where(Report.id.in_(ids))))
        cats = _names(session, EventCategory, EventCategory.code, EventCategory.name,
                      {r.category_code for r in reports})
        grids = _names(session, Grid, Grid.id, Grid.name, {r.grid_id for r in reports if r.grid_id})
        towns = _names(session, Township, Township.code, Township.short_name, {r.township_code for r in reports})
        out: dict[str, InboxRow] = {}
        for r in reports:
            out[r.id] = InboxRow(
                id=r.id,
                state=r.state,
                category_code=r.category_code,
                category_name=cats.get(r.category_code, r.category_code),
                grid_name=grids.get(r.grid_id or "", r.grid_id or ""),
                township_name=towns.get(r.township_code, r.township_code),
                reporter_name=r.reporter_name,
                reported_at=r.reported_at,
                source=r.source,
                address=r.address,
                lat=r.lat,
                lon=r.lon,
                photo_count=len(r.photos or []),
                urgency_hint=r.urgency_hint,
                description=r.description,
                township_code=r.township_code,
                incident_id=r.incident_id,
            )
    return out


# ----------------------------------------------------------------------------- detail and routing


@dataclass(frozen=True)
class RoutingPreview:
    """What the responsibility list says for a report (``available`` False when it cannot tell)."""

    available: bool
    matter_code: str | None = None
    matter_name: str = ""
    matter_version: int | None = None
    lead_department_code: str | None = None
    lead_department_name: str = ""
    township_duty: str = ""
    department_duty: str = ""
    is_enforcement: bool = False
    outside_list: bool = False
    zone_id: str | None = None
    # urgency code → (ack_due, onsite_due, close_due), naive UTC, counted from now
    deadlines: dict[str, tuple[datetime | None, datetime | None, datetime | None]] = field(default_factory=dict)
    problem: str = ""


@dataclass(frozen=True)
class ReportDetail:
    """Everything the detail pane shows for one report."""

    row: InboxRow
    number: str | None
    reporter_phone: str
    village_name: str
    thumbnails: list[bytes]
    missing_photos: int
    reject_reason: str
    incident_number: str | None
    incident_title: str
    routing: RoutingPreview
    transferred_from_name: str = ""
    transfer_reason: str = ""
    thumbnail_hashes: list[str] = field(default_factory=list)  # the photo of each thumbnail, in order


def routing_preview(session: Any, report: Report, *, at: datetime | None = None) -> RoutingPreview:
    """The routing and the deadlines of every urgency level, as accepting now would set them."""
    at = at or utcnow()
    r = route(session, category_code=report.category_code, lat=report.lat, lon=report.lon,
              at=report.reported_at or at, township_code=report.township_code)
    dept_name = ""
    if r.lead_department_code:
        dept = session.get(Department, r.lead_department_code)
        dept_name = dept.name if dept is not None else r.lead_department_code
    levels = deadlines_service.load_levels(session)
    dues: dict[str, tuple[datetime | None, datetime | None, datetime | None]] = {}
    for code in ("L1", "L2", "L3", "L4"):
        try:
            d = deadlines_service.compute_deadlines(at, code, r.limits, levels)
        except (ValueError, KeyError):
            continue
        dues[code] = (d.ack_due, d.onsite_due, d.close_due)
    return RoutingPreview(
        available=True,
        matter_code=r.matter_code,
        matter_name=r.matter_name,
        matter_version=r.matter_version,
        lead_department_code=r.lead_department_code,
        lead_department_name=dept_name,
        township_duty=r.township_duty,
        department_duty=r.department_duty,
        is_enforcement=r.is_enforcement,
        outside_list=r.outside_list,
        zone_id=r.zone_id,
        deadlines=dues,
    )


def report_detail(store: ReadStore, report_id: str) -> ReportDetail | None:
    """The detail of one report, with photo thumbnails and the routing preview."""
    rows = inbox_rows(store, [report_id])
    row = rows.get(report_id)
    if row is None:
        return None
    with store.read() as session:
        report = session.get(Report, report_id)
        if report is None:  # gone between the two reads (a pulled deletion)
            return None
        village_name = ""
        if report.grid_id:
            grid = session.get(Grid, report.grid_id)
            if grid is not None:
                village = session.get(Village, grid.village_id)
                village_name = village.name if village is not None else ""
        hashes = list(report.photos or [])
        thumbs: list[bytes] = []
        thumb_hashes: list[str] = []
        if hashes:
            held = {p.sha256: p for p in session.scalars(select(Photo).where(Photo.sha256.in_(hashes)))}
            for h in hashes:
                photo = held.get(h)
                if photo is not None and photo.thumbnail:
                    thumbs.append(bytes(photo.thumbnail))
                    thumb_hashes.append(h)
        incident_number, incident_title = None, ""
        if report.incident_id:
            inc = session.get(Incident, report.incident_id)
            if inc is not None:
                incident_number, incident_title = inc.number, inc.title
        from_name = ""
        if report.transferred_from:
            origin = session.get(Township, report.transferred_from)
            from_name = origin.name if origin is not None else report.transferred_from
        try:
            routing = routing_preview(session, report)
        except Exception as exc:  # noqa: BLE001 - a broken list must not hide the report
            routing = RoutingPreview(available=False, problem=str(exc))
        return ReportDetail(
            row=row,
            number=report.number,
            reporter_phone=report.reporter_phone,
            village_name=village_name,
            thumbnails=thumbs,
            missing_photos=len(hashes) - len(thumbs),
            reject_reason=report.reject_reason,
            incident_number=incident_number,
            incident_title=incident_title,
            routing=routing,
            transferred_from_name=from_name,
            transfer_reason=report.transfer_reason or "",
            thumbnail_hashes=thumb_hashes,
        )


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


def routing_choices(store: ReadStore, at: datetime | None = None) -> tuple[list[Choice], list[Choice]]:
    """Matters of the list version in force, and all departments, for the override fields."""
    with store.read() as session:
        matters: list[Choice] = []
        version = version_in_force(session, at or utcnow())
        if version is not None:
            matters = [Choice(m.code, m.name) for m in session.scalars(
                select(Matter).where(Matter.version_id == version.id).order_by(Matter.code))]
        departments = [Choice(d.code, d.name) for d in session.scalars(select(Department).order_by(Department.code))]
    return matters, departments


# ----------------------------------------------------------------------------- merge targets


@dataclass(frozen=True)
class MergeTarget:
    """An incident a report could be merged into, with why it was suggested."""

    incident_id: str
    number: str | None
    title: str
    state: str
    category_name: str
    created_at: datetime
    distance_m: float | None
    hours_apart: float | None
    same_category: bool
    score: float
    suggested: bool
    parts: tuple[float, float, float] = (0.0, 0.0, 0.0)  # place, time, category shares of the score


def merge_targets(store: ReadStore, report_ids: list[str], *, recent_limit: int = 50) -> list[MergeTarget]:
    """Duplicate candidates of the first report (near in space, time, category) first, then recent open incidents.

    Incidents of the reports' townships only; closed and merged-away incidents are never offered.
    """
    with store.read() as session:
        reports = [r for r in session.scalars(select(Report).where(Report.id.in_(report_ids)))]
        if not reports:
            return []
        first = min(reports, key=lambda r: report_ids.index(r.id))
        townships = sorted({r.township_code for r in reports})
        cats = dict(session.execute(select(EventCategory.code, EventCategory.name)).all())
        out: list[MergeTarget] = []
        seen: set[str] = set()
        candidates = duplicate_candidates(session, township_code=first.township_code,
                                          category_code=first.category_code, lat=first.lat, lon=first.lon,
                                          at=first.reported_at)
        for c in candidates:
            seen.add(c.incident_id)
            out.append(MergeTarget(c.incident_id, c.number, c.title, c.state, cats.get(c.category_code, c.category_code),
                                   c.created_at, c.distance_m, c.hours_apart, c.same_category, c.score, True, c.parts))
        related = related_categories(session, first.category_code)
        q = (select(Incident).where(Incident.deleted.is_(False), Incident.township_code.in_(townships),
                                    Incident.state != "closed", Incident.merged_into_id.is_(None))
             .order_by(Incident.created_at.desc()).limit(recent_limit))
        for inc in session.scalars(q):
            if inc.id in seen:
                continue
            # the same score as a suggestion (place, time, category), so the list is ranked by one rule
            sim = similarity(lat=first.lat, lon=first.lon, at=first.reported_at, category_code=first.category_code,
                             related=related, inc_lat=inc.lat, inc_lon=inc.lon, inc_at=inc.created_at,
                             inc_category=inc.category_code)
            out.append(MergeTarget(inc.id, inc.number, inc.title, inc.state, cats.get(inc.category_code, inc.category_code),
                                   inc.created_at, sim.distance_m, round(sim.hours_apart, 1), sim.same_category,
                                   sim.score, False, (sim.place, sim.time, sim.category)))
    out.sort(key=lambda t: (-t.score, not t.suggested, t.distance_m if t.distance_m is not None else 1e12,
                            t.hours_apart or 0.0))
    return out


def scope_townships(store: ReadStore, township_codes: list[str] | None = None) -> list[Choice]:
    """Townships for the county coordinator's filter (all townships in the store, by code)."""
    with store.read() as session:
        q = select(Township.code, Township.name).order_by(Township.code)
        if township_codes is not None:
            q = q.where(Township.code.in_(township_codes))
        return [Choice(code, name) for code, name in session.execute(q)]


def transfer_targets(store: ReadStore, report_id: str) -> list[Choice]:
    """The townships a report can be handed to, the nearest seats to its location first.

    A report lands in the wrong inbox near a border (the township areas are approximate),
    so the right one is almost always among the first two or three.
    """
    with store.read() as session:
        report = session.get(Report, report_id)
        if report is None:
            return []
        towns = [t for t in session.scalars(select(Township).order_by(Township.code))
                 if t.code != report.township_code]
        if report.lat is not None and report.lon is not None:
            towns.sort(key=lambda t: (t.seat_lat - report.lat) ** 2
                       + ((t.seat_lon - report.lon) * math.cos(math.radians(report.lat))) ** 2)
        return [Choice(t.code, t.name) for t in towns]


def urgent_new_reports(store: ReadStore, ids: set[str]) -> list[InboxRow]:
    """Those of ``ids`` that are waiting and marked urgent (L1) by the reporter."""
    if not ids:
        return []
    with store.read() as session:
        urgent = list(session.scalars(select(Report.id).where(
            Report.id.in_(sorted(ids)), Report.state == "new", Report.urgency_hint == "L1",
            Report.deleted.is_(False))))
    rows = inbox_rows(store, urgent)
    return [rows[i] for i in urgent if i in rows]


def sample_places(store: ReadStore, grids: int = 4) -> tuple[str | None, list[tuple[str, float | None, float | None]], set[str]]:
    """The first township, a few of its grids (id, lat, lon) and every category code (the desk's self-test)."""
    with store.read() as session:
        town = session.scalar(select(Township.code).order_by(Township.code).limit(1))
        places = [tuple(g) for g in session.execute(
            select(Grid.id, Grid.lat, Grid.lon).where(Grid.township_code == town).limit(grids))] if town else []
        cats = set(session.scalars(select(EventCategory.code)))
    return town, places, cats
