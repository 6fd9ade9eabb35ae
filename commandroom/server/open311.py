"""Open311 GeoReport v2 intake at ``/open311/v2/``: how grid workers' phones and other systems report.

Resources (each as ``.json`` or ``.xml``):

* ``services`` — the event categories (service_code, service_name, group = module, keywords);
* ``services/{code}`` — a service definition (no custom attributes);
* ``requests`` GET — requests in the key holder's scope, with the standard filters
  (``service_request_id``, ``service_code``, ``start_date``, ``end_date``, ``status``;
  default the last 90 days, at most 1000); POST — a new report;
* ``requests/{id}`` — one request by report number or id; ``tokens/{token}`` — the id for a token;
* ``discovery`` and ``jurisdictions`` (extension: the townships with their approximate areas).

Conventions of this server:

* ``jurisdiction_id`` is a township's NBS code (球川镇 = 330822111); the county code 330822 means
  "find the township from the location". Without it the township follows from ``lat``/``long``;
  a point outside Changshan is refused. When both are given, ``jurisdiction_id`` decides the
  township (the township areas are approximate) and the point only has to lie in the county.
* ``lat``/``long`` are WGS84. Phones with Chinese maps send GCJ-02: add ``coord_system=gcj02``
  and the server converts at intake. Everything stored is WGS84.
* ``api_key`` is a grid worker's key (``commandroom user add … --role grid-worker`` prints it);
  a signed-in device's bearer token works as well. Reading returns only the holder's townships.
* The POST accepts ``application/x-www-form-urlencoded`` or ``multipart/form-data`` with a
  ``media`` file (JPEG/PNG, at most 10 MB, stored by content hash). ``media_url`` of a photo on
  this server attaches that photo; other URLs are kept in the text, never fetched.
* ``Idempotency-Key`` header (with the optional ``device_id``): a retried POST returns the first
  answer and creates nothing new.
* Errors use the GeoReport format — JSON ``[{"code": 400, "description": "…"}]`` or XML
  ``<errors><error><code>…</code><description>…</description></error></errors>`` — with the same
  HTTP status: 400 bad input, 401/403 missing, bad or revoked credentials, 404 unknown id or
  service, 409 an Idempotency-Key reused for a different request, 413 too large, 415 wrong
  content type. A refused request writes nothing.

A POST is one named mutation (``report.create``) through the server's write path, in one
transaction with the photo row, so it lands in the change log and reaches the township's duty
officers through sync like any other write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from commandroom import permissions
from commandroom.domain.enums import (
    INCIDENT_STATE_LABELS,
    REPORT_STATE_LABELS,
    IncidentState,
    ReportSource,
    ReportState,
    Role,
)
from commandroom.domain.errors import DomainError, Forbidden, ValidationError
from commandroom.domain.models import (
    Department,
    EventCategory,
    Incident,
    Report,
    TimelineEntry,
    Township,
    User,
)
from commandroom.ids import new_id
from commandroom.mutations.core import Actor
from commandroom.refdata.geo import gcj02_to_wgs84
from commandroom.server import photos as photo_store
from commandroom.sync.buckets import township_codes_in_scope
from commandroom.timeutil import as_utc, fmt_local, to_local, utcnow

log = logging.getLogger(__name__)

router = APIRouter(prefix="/open311/v2", tags=["open311"])

COUNTY_CODE = "330822"
COUNTY_NAME = "常山县"
MAX_DESCRIPTION = 4000
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
FORMATS = ("json", "xml")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
IDEMPOTENCY_NS = uuid.UUID("7d0c3f52-5b8e-4f7e-9a51-3f0f311c0de5")


# --------------------------------------------------------------------------- errors and formats


class Open311Error(Exception):
    """An error answered in the GeoReport format with the same HTTP status."""

    def __init__(self, status: int, description: str, fmt: str = "json", headers: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.fmt = fmt if fmt in FORMATS else "json"
        self.headers = headers or {}


def _clean_xml_text(text: str) -> str:
    return _XML_BAD.sub("\ufffd", text)


def _fill(el: ET.Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, dict):
        for k, v in value.items():
            _fill(ET.SubElement(el, k), v)
    elif isinstance(value, list):
        singular = el.tag[:-1] if el.tag.endswith("s") else "item"
        for v in value:
            _fill(ET.SubElement(el, singular), v)
    elif isinstance(value, float):
        el.text = repr(value)
    else:
        el.text = _clean_xml_text(str(value))


def to_xml(root: str, item: str | None, payload: Any) -> str:
    """``payload`` (a list of dicts under ``<root><item>…``, or one dict under ``<root>``) as XML text."""
    top = ET.Element(root)
    if item is None:
        _fill(top, payload)
    else:
        for row in payload:
            _fill(ET.SubElement(top, item), row)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")


def respond(fmt: str, payload: Any, root: str, item: str | None, status: int = 200,
            headers: dict | None = None) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, payload), status_code=status, media_type="text/xml; charset=utf-8",
                        headers=headers)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json; charset=utf-8", headers=headers)


def error_response(exc: Open311Error) -> Response:
    payload = [{"code": exc.status, "description": exc.description}]
    return respond(exc.fmt, payload, "errors", "error", status=exc.status, headers=exc.headers)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format '.{fmt}': use .json or .xml")
    return fmt


def install(app, state) -> None:
    async def _handler(_request: Request, exc: Open311Error) -> Response:
        return error_response(exc)

    app.add_exception_handler(Open311Error, _handler)
    from commandroom.server.ratelimit import IntakeLimiter

    state.extras.setdefault("open311_limiter", IntakeLimiter(state))


# --------------------------------------------------------------------------- who is asking


@dataclass(frozen=True)
class Holder:
    """The api_key holder (or signed-in device) behind an Open311 call."""

    user_id: str
    username: str
    display_name: str
    role: str
    scope_kind: str
    scope_code: str | None
    township_code: str | None
    grid_id: str | None
    phone: str
    townships: tuple[str, ...]
    device_id: str = ""
    device_name: str = ""
    roles: tuple[str, ...] = ()
    department_code: str | None = None

    def require(self, name: str, fmt: str) -> None:
        """403 in the GeoReport format unless the holder's roles may do ``name``."""
        why = permissions.refusal(self, name)
        if why is not None:
            raise Open311Error(403, why, fmt)

    def actor(self, device_id: str) -> Actor:
        return Actor(user_id=self.user_id, name=self.display_name, role=self.role, scope_kind=self.scope_kind,
                     scope_code=self.scope_code, township_code=self.township_code, roles=self.roles,
                     department_code=self.department_code,
                     device_id=(self.device_id or f"open311:{device_id or '-'}")[:64],
                     device_name=(self.device_name or f"Open311 {device_id}".strip())[:64])

    @property
    def allowed(self) -> Collection[str] | None:
        return None if self.scope_kind == "county" else self.townships


def _holder_from_user(session: Session, user: User, device_id: str = "", device_name: str = "") -> Holder:
    return Holder(
        user_id=user.id, username=user.username, display_name=user.display_name, role=user.role,
        scope_kind=user.scope_kind, scope_code=user.scope_code, township_code=user.township_code,
        grid_id=user.grid_id, phone=user.phone or "",
        townships=tuple(township_codes_in_scope(session, user.scope_kind, user.scope_code)),
        device_id=device_id, device_name=device_name,
        roles=permissions.roles_of(user), department_code=user.department_code,
    )


_KEY_PROBLEMS = {
    "missing": (403, "an api_key is required (ask the county administrator for a grid worker's key)"),
    "unknown": (403, "the api_key is not valid"),
    "revoked": (403, "this api_key was revoked; ask the county administrator for a new one"),
    "disabled": (403, "the account of this api_key is disabled"),
}


def authenticate(request: Request, api_key: str | None, fmt: str) -> Holder:
    """The holder of ``api_key`` or of the bearer token; an Open311 error saying why not."""
    from commandroom.server.users import user_for_api_key

    state = request.app.state.server
    auth = request.headers.get("authorization", "")
    if auth and not api_key:
        from commandroom.server.auth import principal

        scheme, _, token = auth.partition(" ")
        try:
            who = principal(request, HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()))
        except HTTPException as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
            raise Open311Error(401, detail.get("message", "sign in first"), fmt) from None
        with state.read() as session:
            user = session.get(User, who.user_id)
            return _holder_from_user(session, user, who.device_id, who.device_name)
    with state.read() as session:
        check = user_for_api_key(session, api_key)
        if check.problem:
            status, message = _KEY_PROBLEMS[check.problem]
            raise Open311Error(status, message, fmt)
        return _holder_from_user(session, check.user)


# --------------------------------------------------------------------------- rendering


def _dt(value: datetime | None) -> str | None:
    local = to_local(value)
    return local.isoformat(timespec="seconds") if local else None


def service_json(cat: EventCategory) -> dict[str, Any]:
    keywords = ",".join(k for k in (cat.group, cat.platform, cat.module) if k)
    description = cat.name if not cat.group else f"{cat.name}（{cat.module}·{cat.group}）"
    return {
        "service_code": cat.code,
        "service_name": cat.name,
        "description": description,
        "metadata": False,
        "type": "realtime",
        "keywords": keywords,
        "group": cat.module,
    }


@dataclass
class _Context:
    """Lookups shared by the rows of one answer (one query per kind, not per row)."""

    categories: dict[str, EventCategory]
    townships: dict[str, Township]
    departments: dict[str, Department]
    incidents: dict[str, Incident]
    latest: dict[str, TimelineEntry]
    base_url: str


def _load_context(session: Session, reports: list[Report], base_url: str) -> _Context:
    cats = {c.code: c for c in session.scalars(select(EventCategory))}
    towns = {t.code: t for t in session.scalars(select(Township))}
    depts = {d.code: d for d in session.scalars(select(Department))}
    ids = {r.incident_id for r in reports if r.incident_id}
    incidents: dict[str, Incident] = {}
    if ids:
        for inc in session.scalars(select(Incident).where(Incident.id.in_(list(ids)))):
            incidents[inc.id] = inc
        targets = {i.merged_into_id for i in incidents.values() if i.merged_into_id} - set(incidents)
        if targets:
            for inc in session.scalars(select(Incident).where(Incident.id.in_(list(targets)))):
                incidents[inc.id] = inc
    latest: dict[str, TimelineEntry] = {}
    if incidents:
        for entry in session.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id.in_(list(incidents)))
            .order_by(TimelineEntry.at, TimelineEntry.id)
        ):
            latest[entry.incident_id] = entry
    return _Context(cats, towns, depts, incidents, latest, base_url)


def _status(report: Report, ctx: _Context) -> tuple[str, str, Incident | None]:
    """``(open|closed, status_notes, the incident that decides)``."""
    if report.state == ReportState.REJECTED:
        return "closed", f"不予受理：{report.reject_reason}" if report.reject_reason else "不予受理", None
    incident = ctx.incidents.get(report.incident_id) if report.incident_id else None
    if incident is not None and incident.merged_into_id and incident.merged_into_id in ctx.incidents:
        incident = ctx.incidents[incident.merged_into_id]
    if incident is None:
        return "open", REPORT_STATE_LABELS.get(ReportState(report.state), report.state), None
    status = "closed" if incident.state == IncidentState.CLOSED else "open"
    entry = ctx.latest.get(incident.id)
    label = INCIDENT_STATE_LABELS.get(IncidentState(incident.state), incident.state) \
        if incident.state in IncidentState._value2member_map_ else incident.state
    notes = label
    if entry is not None and entry.note:
        notes = f"{label}：{entry.note}"
    return status, notes, incident


def request_json(report: Report, ctx: _Context) -> dict[str, Any]:
    status, notes, incident = _status(report, ctx)
    cat = ctx.categories.get(report.category_code)
    town = ctx.townships.get(report.township_code)
    agency = None
    if incident is not None and incident.lead_department_code:
        dept = ctx.departments.get(incident.lead_department_code)
        agency = dept.name if dept else incident.lead_department_code
    elif town is not None:
        agency = f"{town.name}综合信息指挥室"
    updated = report.updated_at
    if incident is not None and incident.updated_at and (updated is None or incident.updated_at > updated):
        updated = incident.updated_at
    media = f"{ctx.base_url}{photo_store.full_url(report.photos[0])}" if report.photos else None
    return {
        "service_request_id": report.number or report.id,
        "token": report.id,
        "status": status,
        "status_notes": notes,
        "service_name": cat.name if cat else report.category_code,
        "service_code": report.category_code,
        "description": report.description,
        "agency_responsible": agency,
        "service_notice": _notice(report, town),
        "requested_datetime": _dt(report.reported_at),
        "updated_datetime": _dt(updated),
        "expected_datetime": _dt(incident.close_due) if incident is not None else None,
        "address": report.address or None,
        "address_id": None,
        "zipcode": None,
        "jurisdiction_id": report.township_code,
        "lat": report.lat,
        "long": report.lon,
        "media_url": media,
    }


def _notice(report: Report, town: Township | None) -> str:
    where = f"{town.name}综合信息指挥室" if town else "乡镇综合信息指挥室"
    return f"已送达{where}，编号 {report.number or report.id}，{fmt_local(report.reported_at)} 收到"


# --------------------------------------------------------------------------- read endpoints


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    payload = {
        "changeset": "2026-11-26T00:00:00+08:00",
        "contact": "常山县社会治理中心",
        "key_service": "api_key: commandroom user add NAME --role grid-worker --township 镇名",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-26T00:00:00+08:00", "type": "production",
                       "formats": ["application/json", "text/xml"]}],
    }
    return respond(fmt, payload, "discovery", None)


def _check_jurisdiction(session: Session, jurisdiction_id: str | None, fmt: str, status: int = 404) -> str | None:
    if not jurisdiction_id or jurisdiction_id == COUNTY_CODE:
        return None
    if session.get(Township, jurisdiction_id) is None:
        raise Open311Error(status, f"jurisdiction_id '{jurisdiction_id}' is not a township of {COUNTY_NAME} "
                                   f"(use a township's NBS code such as 330822111, or {COUNTY_CODE})", fmt)
    return jurisdiction_id


@router.get("/services.{fmt}")
def services(fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    with request.app.state.server.read() as session:
        _check_jurisdiction(session, request.query_params.get("jurisdiction_id"), fmt)
        rows = [service_json(c) for c in session.scalars(
            select(EventCategory).order_by(EventCategory.module, EventCategory.code))]
    return respond(fmt, rows, "services", "service")


@router.get("/services/{code}.{fmt}")
def service_definition(code: str, fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    with request.app.state.server.read() as session:
        _check_jurisdiction(session, request.query_params.get("jurisdiction_id"), fmt)
        cat = session.get(EventCategory, code)
    if cat is None:
        raise Open311Error(404, f"service_code '{code}' is not a service of this server", fmt)
    return respond(fmt, {"service_code": cat.code, "attributes": []}, "service_definition", None)


@router.get("/jurisdictions.{fmt}")
def jurisdictions(fmt: str, request: Request) -> Response:
    """Extension: the townships (jurisdiction_id, name, seat, approximate area); ``in_scope`` with an api_key."""
    fmt = _fmt(fmt)
    holder = None
    if request.query_params.get("api_key") or request.headers.get("authorization"):
        holder = authenticate(request, request.query_params.get("api_key"), fmt)
    with request.app.state.server.read() as session:
        rows = []
        for t in session.scalars(select(Township).order_by(Township.code)):
            area = t.area_geojson
            rows.append({
                "jurisdiction_id": t.code,
                "name": t.name,
                "short_name": t.short_name,
                "urban": bool(t.urban),
                "seat_lat": t.seat_lat,
                "seat_long": t.seat_lon,
                "area_approximate": bool(t.area_approximate),
                "area": json.dumps(area, ensure_ascii=False) if (fmt == "xml" and area) else area,
                "in_scope": (t.code in holder.townships) if holder is not None else None,
            })
    return respond(fmt, rows, "jurisdictions", "jurisdiction")


def _parse_when(value: str | None, name: str, fmt: str) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} '{value}' is not a W3C date-time (e.g. 2026-11-26T08:00:00+08:00)",
                           fmt) from None
    if dt.tzinfo is None:
        from commandroom.timeutil import local_to_utc

        return local_to_utc(dt)  # no zone given: Beijing time
    return as_utc(dt)


def _csv(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _scope_filter(holder: Holder):
    if holder.scope_kind == "county":
        return None
    where = Report.township_code.in_(list(holder.townships) or ["-"])
    if _grid_only(holder):  # a grid worker reads its grid's requests (and its own wherever they fell)
        mine = Report.reporter_user_id == holder.user_id
        where = and_(where, or_(Report.grid_id == holder.grid_id, mine) if holder.grid_id else mine)
    return where


def _grid_only(holder: Holder) -> bool:
    r = permissions.RULES["open311.read"].reach(holder.roles or (holder.role,))
    return r is permissions.Reach.GRID


def _sees(holder: Holder, report: Report) -> bool:
    """May this key read this request? (Same answer as :func:`_scope_filter`.)"""
    if holder.scope_kind == "county":
        return True
    if report.township_code not in holder.townships:
        return False
    if _grid_only(holder):
        return report.reporter_user_id == holder.user_id or bool(holder.grid_id and report.grid_id == holder.grid_id)
    return True


def _not_found(rid: str, fmt: str) -> Open311Error:
    """The one answer for a request that does not exist and one outside the key's scope."""
    return Open311Error(404, f"no service request '{rid}'", fmt)


@router.get("/requests.{fmt}")
def get_requests(fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    q = request.query_params
    holder = authenticate(request, q.get("api_key"), fmt)
    holder.require("open311.read", fmt)
    base_url = str(request.base_url).rstrip("/")
    with request.app.state.server.read() as session:
        stmt = select(Report).where(Report.deleted.is_(False))
        scope = _scope_filter(holder)
        if scope is not None:
            stmt = stmt.where(scope)
        jurisdiction = _check_jurisdiction(session, q.get("jurisdiction_id"), fmt)
        if jurisdiction is not None:
            if holder.scope_kind != "county" and jurisdiction not in holder.townships:
                raise Open311Error(403, f"jurisdiction {jurisdiction} is outside the scope of this api_key", fmt)
            stmt = stmt.where(Report.township_code == jurisdiction)
        ids = _csv(q.get("service_request_id"))
        page_size = _int_param(q.get("page_size"), "page_size", fmt, 1, MAX_RESULTS, MAX_RESULTS)
        page = _int_param(q.get("page"), "page", fmt, 1, 1_000_000, 1)
        if ids:
            if len(ids) > MAX_RESULTS:
                raise Open311Error(400, f"service_request_id lists {len(ids)} ids; at most {MAX_RESULTS}", fmt)
            stmt = stmt.where(or_(Report.id.in_(ids), Report.number.in_(ids)))
        else:
            codes = _csv(q.get("service_code"))
            if codes:
                stmt = stmt.where(Report.category_code.in_(codes))
            start = _parse_when(q.get("start_date"), "start_date", fmt)
            end = _parse_when(q.get("end_date"), "end_date", fmt)
            if start is None and end is None:
                start = utcnow() - DEFAULT_WINDOW
            elif start is None:
                start = end - DEFAULT_WINDOW
            if end is not None and start is not None and start > end:
                raise Open311Error(400, "start_date is after end_date", fmt)
            stmt = stmt.where(Report.reported_at >= start)
            if end is not None:
                stmt = stmt.where(Report.reported_at <= end)
            statuses = _csv(q.get("status"))
            bad = [s for s in statuses if s not in ("open", "closed")]
            if bad:
                raise Open311Error(400, f"status '{bad[0]}' is not open or closed", fmt)
            if len(set(statuses)) == 1:
                stmt = _status_filter(stmt, statuses[0])
        stmt = stmt.order_by(Report.reported_at.desc(), Report.id).offset((page - 1) * page_size).limit(page_size)
        reports = list(session.scalars(stmt))
        ctx = _load_context(session, reports, base_url)
        rows = [request_json(r, ctx) for r in reports]
    return respond(fmt, rows, "service_requests", "request")


def _status_filter(stmt, status: str):
    inc = aliased(Incident)
    target = aliased(Incident)
    stmt = stmt.outerjoin(inc, inc.id == Report.incident_id).outerjoin(target, target.id == inc.merged_into_id)
    # NULL-free, so that NOT(closed) is exactly "open"
    closed = or_(
        Report.state == ReportState.REJECTED.value,
        func.coalesce(target.state, inc.state, "") == IncidentState.CLOSED.value,
    )
    return stmt.where(closed) if status == "closed" else stmt.where(~closed)


def _int_param(value: str | None, name: str, fmt: str, lo: int, hi: int, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise Open311Error(400, f"{name} '{value}' is not a whole number", fmt) from None
    if not lo <= n <= hi:
        raise Open311Error(400, f"{name} must be between {lo} and {hi}", fmt)
    return n


def _find_report(session: Session, ident: str) -> Report | None:
    row = session.get(Report, ident)
    if row is None:
        row = session.scalars(select(Report).where(Report.number == ident)).first()
    return None if row is None or row.deleted else row


@router.get("/requests/{rid}.{fmt}")
def get_request(rid: str, fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    holder = authenticate(request, request.query_params.get("api_key"), fmt)
    holder.require("open311.read", fmt)
    with request.app.state.server.read() as session:
        report = _find_report(session, rid)
        if report is None or not _sees(holder, report):
            raise _not_found(rid, fmt)
        ctx = _load_context(session, [report], str(request.base_url).rstrip("/"))
        rows = [request_json(report, ctx)]
    return respond(fmt, rows, "service_requests", "request")


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    holder = authenticate(request, request.query_params.get("api_key"), fmt)
    holder.require("open311.read", fmt)
    with request.app.state.server.read() as session:
        report = session.get(Report, token)
        if report is None or report.deleted or not _sees(holder, report):
            raise _not_found(token, fmt)
        rows = [{"service_request_id": report.number or report.id, "token": report.id}]
    return respond(fmt, rows, "service_requests", "request")


# --------------------------------------------------------------------------- POST requests


def _field(form: Any, name: str, fmt: str, max_len: int) -> str | None:
    values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    values = [v for v in values if v is not None]
    if not values:
        return None
    value = values[0]
    if not isinstance(value, str):
        raise Open311Error(400, f"{name} must be a text field, not a file", fmt)
    value = value.strip()
    if len(value) > max_len:
        raise Open311Error(400, f"{name} is {len(value)} characters long; at most {max_len} allowed", fmt)
    if _CONTROL.search(value):
        raise Open311Error(400, f"{name} contains control characters", fmt)
    return value or None


def _coordinate(value: str | None, name: str, fmt: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, f"{name} '{value}' is not a number (decimal degrees, e.g. 28.87)", fmt) from None
    if not math.isfinite(number):
        raise Open311Error(400, f"{name} must be a finite number", fmt)
    return number


@dataclass
class Intake:
    """A checked POST, ready for the write path."""

    holder: Holder
    args: dict[str, Any]
    township_code: str
    device_id: str
    idempotency_key: str | None
    photo: photo_store.Prepared | None
    fmt: str


def _reporter_name(first: str | None, last: str | None) -> str:
    parts = [p for p in (last, first) if p]
    if not parts:
        return ""
    cjk = any("\u4e00" <= ch <= "\u9fff" for p in parts for ch in p)
    return "".join(parts) if cjk else " ".join(p for p in (first, last) if p)


def check_intake(session: Session, holder: Holder, form: Any, media: bytes | None, idem: str | None,
                 fmt: str) -> Intake:
    """Validate every field of a POST (nothing is written here); an Open311 error on the first problem."""
    service_code = _field(form, "service_code", fmt, 32)
    if not service_code:
        raise Open311Error(400, "service_code is required (see services.json for the list)", fmt)
    category = session.get(EventCategory, service_code)
    if category is None:
        raise Open311Error(400, f"service_code '{service_code}' is not a service of this server "
                                "(see services.json)", fmt)
    lat = _coordinate(_field(form, "lat", fmt, 32), "lat", fmt)
    lon = _coordinate(_field(form, "long", fmt, 32), "long", fmt)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "give both lat and long (or neither, with address_string)", fmt)
    coord_system = (_field(form, "coord_system", fmt, 16) or "wgs84").lower().replace("-", "")
    if coord_system not in ("wgs84", "gcj02"):
        raise Open311Error(400, f"coord_system '{coord_system}' is not wgs84 or gcj02", fmt)
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Open311Error(400, f"lat/long ({lat}, {lon}) are not valid degrees", fmt)
        if coord_system == "gcj02":
            lon, lat = gcj02_to_wgs84(lon, lat)
        lat, lon = round(lat, 7), round(lon, 7)
    address = _field(form, "address_string", fmt, 256)
    address_id = _field(form, "address_id", fmt, 64)
    if lat is None and not address and not address_id:
        raise Open311Error(400, "a location is required: lat and long, or address_string", fmt)
    jurisdiction = _check_jurisdiction(session, _field(form, "jurisdiction_id", fmt, 32), fmt, status=400)
    located = None
    if lat is not None and lon is not None:
        from commandroom.services.routing import township_at

        located = township_at(session, lat, lon)
        if located is None:
            raise Open311Error(400, f"the point ({lat:.5f}, {lon:.5f}) lies outside {COUNTY_NAME}"
                                    + (" (after converting from GCJ-02)" if coord_system == "gcj02" else ""), fmt)
    township = jurisdiction or located
    if township is None:
        if holder.scope_kind == "township" and holder.township_code:
            township = holder.township_code
        else:
            raise Open311Error(400, "with only address_string, give jurisdiction_id (the township's code)", fmt)
    if holder.allowed is not None and township not in holder.allowed:
        raise Open311Error(403, f"township {township} is outside the scope of this api_key "
                                f"({', '.join(holder.townships) or 'none'})", fmt)
    description = _field(form, "description", fmt, 100_000)
    if not description:
        raise Open311Error(400, "description is required: say what was seen and where", fmt)
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is {len(description)} characters long; at most {MAX_DESCRIPTION}",
                           fmt)
    first = _field(form, "first_name", fmt, 32)
    last = _field(form, "last_name", fmt, 32)
    phone = _field(form, "phone", fmt, 32)
    email = _field(form, "email", fmt, 128)
    if email and ("@" not in email or " " in email):
        raise Open311Error(400, f"email '{email}' is not an e-mail address", fmt)
    if phone and not re.fullmatch(r"[0-9+\-() ]{3,32}", phone):
        raise Open311Error(400, f"phone '{phone}' is not a telephone number", fmt)
    device_id = _field(form, "device_id", fmt, 64) or ""
    _field(form, "account_id", fmt, 64)
    media_url = _field(form, "media_url", fmt, 1024)
    photos: list[str] = []
    extra_lines: list[str] = []
    if media_url:
        if not re.match(r"^https?://", media_url, re.IGNORECASE):
            raise Open311Error(400, "media_url must be an http(s) URL", fmt)
        own = re.search(r"/api/v1/photos/([0-9a-f]{64})(?:/full|/thumb)?/?$", media_url)
        if own is not None:
            from commandroom.domain.models import Photo

            if session.get(Photo, own.group(1)) is None:
                raise Open311Error(400, f"media_url names photo {own.group(1)[:12]}…, which is not on this server",
                                   fmt)
            photos.append(own.group(1))
        else:
            extra_lines.append(f"图片链接：{media_url}")
    prepared = None
    if media is not None:
        try:
            prepared = photo_store.prepare(media)
        except photo_store.PhotoError as exc:
            raise Open311Error(exc.status, f"media: {exc.message}", fmt) from None
        if prepared.sha256 not in photos:
            photos.insert(0, prepared.sha256)
    source = _field(form, "source", fmt, 32)
    if source is None:
        source = ReportSource.GRID_PATROL.value if holder.role == Role.GRID_WORKER else ReportSource.VILLAGER_APP.value
    elif source not in {s.value for s in ReportSource}:
        raise Open311Error(400, f"source '{source}' is not one of {', '.join(s.value for s in ReportSource)}", fmt)
    urgency = _field(form, "attribute[urgency]", fmt, 4)
    if urgency is not None and urgency not in ("L1", "L2", "L3", "L4"):
        raise Open311Error(400, "attribute[urgency] must be L1, L2, L3 or L4", fmt)
    text = description if not extra_lines else description + "\n" + "\n".join(extra_lines)
    grid_id = holder.grid_id if holder.grid_id and township == holder.township_code else None
    args: dict[str, Any] = {
        "source": source,
        "category_code": service_code,
        "description": text,
        "lat": lat,
        "lon": lon,
        "address": address or (f"地址编号 {address_id}" if address_id else ""),
        "grid_id": grid_id,
        "reporter_name": _reporter_name(first, last) or holder.display_name,
        "reporter_phone": phone or holder.phone,
        "reporter_email": email or "",
        "photos": photos,
        "urgency_hint": urgency,
        "township_code": township,
    }
    if idem is not None:
        if len(idem) > 128 or _CONTROL.search(idem):
            raise Open311Error(400, "Idempotency-Key must be at most 128 printable characters", fmt)
        args["external_ref"] = "o311:" + hashlib.sha256(f"{holder.user_id}|{device_id}|{idem}".encode()).hexdigest()[:40]
    return Intake(holder=holder, args=args, township_code=township, device_id=device_id, idempotency_key=idem,
                  photo=prepared, fmt=fmt)


def _post_answer(report: Report, session: Session) -> dict[str, Any]:
    town = session.get(Township, report.township_code)
    return {"service_request_id": report.number or report.id, "token": report.id,
            "service_notice": _notice(report, town), "account_id": None}


def _same_request(report: Report, intake: Intake) -> bool:
    a = intake.args
    return (report.category_code == a["category_code"] and report.description == a["description"]
            and report.township_code == a["township_code"])


def create_report(state, intake: Intake) -> tuple[dict[str, Any], bool]:
    """Write the report through the pipeline in one transaction; ``(answer, replayed)``."""
    from commandroom.server.pipeline import execute

    fmt = intake.fmt
    if intake.idempotency_key is not None:
        entity_id = str(uuid.uuid5(IDEMPOTENCY_NS, f"{intake.holder.user_id}|{intake.device_id}|"
                                                   f"{intake.idempotency_key}"))
    else:
        entity_id = new_id()
    root = photo_store.photos_dir(state) if intake.photo is not None else None
    made_file = False
    try:
        # durable: the 201 tells the grid worker the report is in, so a power cut must not undo it
        with state.transaction(durable=True) as session:
            existing = session.get(Report, entity_id)
            if existing is not None:
                if not _same_request(existing, intake):
                    raise Open311Error(409, "this Idempotency-Key was already used for a different request", fmt)
                return _post_answer(existing, session), True
            if intake.photo is not None:
                made_file = photo_store.write_file(root, intake.photo)
                photo_store.upsert_row(session, intake.photo)
            outcome = execute(session, actor=intake.holder.actor(intake.device_id),
                              allowed_townships=intake.holder.allowed, name="report.create", entity_id=entity_id,
                              args=intake.args, mutation_id=new_id())
            report = session.get(Report, entity_id)
            if outcome.status == "merged":
                # a concurrent retry with the same key committed while this one waited for the write lock
                if not _same_request(report, intake):
                    raise Open311Error(409, "this Idempotency-Key was already used for a different request", fmt)
                return _post_answer(report, session), True
            answer = _post_answer(report, session)
    except IntegrityError:
        if made_file:
            photo_store.photo_path(root, intake.photo.sha256).unlink(missing_ok=True)
        if intake.idempotency_key is None:
            raise
        # a concurrent retry with the same key committed first: answer with its result
        with state.read() as session:
            existing = session.get(Report, entity_id)
            if existing is None:
                raise
            if not _same_request(existing, intake):
                raise Open311Error(409, "this Idempotency-Key was already used for a different request",
                                   fmt) from None
            return _post_answer(existing, session), True
    except Forbidden as exc:
        _drop(made_file, root, intake)
        raise Open311Error(403, exc.message, fmt) from None
    except ValidationError as exc:
        _drop(made_file, root, intake)
        raise Open311Error(400, exc.message, fmt) from None
    except DomainError as exc:
        _drop(made_file, root, intake)
        raise Open311Error(400, exc.message, fmt) from None
    except BaseException:
        _drop(made_file, root, intake)
        raise
    return answer, False


def _drop(made_file: bool, root, intake: Intake) -> None:
    if made_file and root is not None and intake.photo is not None:
        photo_store.photo_path(root, intake.photo.sha256).unlink(missing_ok=True)


@router.post("/requests.{fmt}")
async def post_request(fmt: str, request: Request) -> Response:
    fmt = _fmt(fmt)
    state = request.app.state.server
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in FORM_TYPES:
        raise Open311Error(415, f"send the request as application/x-www-form-urlencoded or multipart/form-data "
                                f"(got {ctype or 'no content type'})", fmt)
    declared = request.headers.get("content-length")
    limit = photo_store.MAX_BYTES + 256 * 1024
    if declared and declared.isdigit() and int(declared) > limit:
        raise Open311Error(413, f"the request is {int(declared) / 1048576:.1f} MB; media may be at most "
                                f"{photo_store.MAX_BYTES // 1048576} MB", fmt)
    try:
        form = await request.form(max_files=1, max_fields=64, max_part_size=64 * 1024)
    except HTTPException as exc:
        raise Open311Error(400, f"the form cannot be read: {exc.detail}", fmt) from None
    except Exception as exc:  # noqa: BLE001 - malformed bodies
        raise Open311Error(400, f"the form cannot be read: {exc}", fmt) from None
    media: bytes | None = None
    try:
        if not form.multi_items():
            raise Open311Error(400, "the form is empty or cannot be read (no fields found in the body)", fmt)
        upload = form.get("media")
        if upload is not None and not isinstance(upload, str):
            media = await upload.read(photo_store.MAX_BYTES + 1)
            if len(media) > photo_store.MAX_BYTES:
                raise Open311Error(413, f"media is larger than {photo_store.MAX_BYTES // 1048576} MB", fmt)
        for key, value in form.multi_items():
            if key != "media" and not isinstance(value, str):
                raise Open311Error(400, f"unexpected file in field '{key}' (photos go in 'media')", fmt)
        api_key = form.get("api_key") if isinstance(form.get("api_key"), str) else None
        holder = await run_in_threadpool(authenticate, request, api_key or request.query_params.get("api_key"), fmt)
        holder.require("open311.create", fmt)
        limiter = state.extras.get("open311_limiter")
        wait = await run_in_threadpool(limiter.retry_after, holder.user_id) if limiter is not None else None
        if wait is not None:
            raise Open311Error(429, f"too many requests with this api_key (at most {limiter.per_key} within "
                                    f"{int(limiter.window.total_seconds() // 60)} minutes); try again in {wait} "
                                    f"seconds", fmt, headers={"Retry-After": str(wait)})
        idem = request.headers.get("idempotency-key")

        def _check() -> Intake:
            with state.read() as session:
                return check_intake(session, holder, form, media, idem, fmt)

        intake = await run_in_threadpool(_check)
        answer, replayed = await run_in_threadpool(create_report, state, intake)
    finally:
        await form.close()
    # no explicit poke: the change log's commit hook pokes the township's workstations
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return respond(fmt, [answer], "service_requests", "request", status=201, headers=headers)
