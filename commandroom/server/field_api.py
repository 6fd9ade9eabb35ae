"""The field app (外勤手机应用): its pages at ``/field/`` and its API at ``/api/v1/field``.

Team members, team leaders and grid workers sign in on their phones with their own
accounts. A field sign-in yields a token whose device id starts with
:data:`~commandroom.server.auth.FIELD_DEVICE_PREFIX`: the server accepts it only on the
field API, the photo API and the Open311 intake (``auth.principal``), never for a
desk's sync or administration.

The phone queues its acts while the signal is gone and sends them later, each under the
mutation id it was given when the person acted. ``POST /push`` runs them through the
same exactly-once push the desks use (:func:`commandroom.server.sync_api.process_push`):
permissions, the audit log, ``occurred_at`` (the phone's moment, bounded) and change
events all apply, and a re-sent act is answered with its stored result. A grid worker's
report goes through the Open311 intake itself (``POST /open311/v2/requests.json`` with
the field token and an ``Idempotency-Key``).
"""

from __future__ import annotations

import dataclasses
import mimetypes
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import or_, select

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION, permissions
from commandroom.domain.enums import (
    DISPATCH_STATE_LABELS,
    INCIDENT_STATE_LABELS,
    REPORT_STATE_LABELS,
    DispatchState,
    IncidentState,
    ReportState,
    Role,
)
from commandroom.domain.models import (
    DeviceToken,
    Dispatch,
    EventCategory,
    Grid,
    Incident,
    Report,
    TeamMember,
    Township,
    UrgencyLevel,
    User,
    Zone,
)
from commandroom.server.auth import (
    FIELD_DEVICE_PREFIX,
    Principal,
    bearer,
    issue_tokens,
    principal,
    principal_for,
    verify_password,
)
from commandroom.sync.buckets import township_codes_in_scope
from commandroom.timeutil import utcnow

STATIC_DIR = Path(__file__).resolve().parent / "field_static"
FIELD_ROLES = frozenset({Role.TEAM_LEADER, Role.TEAM_MEMBER, Role.GRID_WORKER})
# the acts a phone may send; each is still checked by its own rule in the pipeline
FIELD_MUTATIONS = frozenset({
    "dispatch.acknowledge", "dispatch.en_route", "dispatch.on_scene", "dispatch.done", "dispatch.reassign",
    "incident.start", "incident.submit", "incident.note", "incident.verify", "incident.reject_closure",
})
ACTIVE_DAYS = 3  # a finished dispatch stays on the phone's list this long

router = APIRouter(tags=["field"])
api = "/api/v1/field"


def _iso(value: datetime | None) -> str | None:
    """Naive UTC → ISO with ``Z`` (the phone's Date parses it as UTC)."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": {"code": code, "message": message}})


def field_principal(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The phone signed in to the field app; a grid worker's principal gets its township to write in.

    (A grid worker reads no desk buckets, so :func:`~commandroom.server.auth.principal` gives it no
    townships; its field acts — 核查 in its grid — are written in its own township.)
    """
    who = principal(request, creds)
    if not who.field_only:
        raise HTTPException(403, detail={"code": "not_field", "message": "请先在外勤应用中登录（本登录属于指挥室工作站）。"})
    if Role.GRID_WORKER in who.roles and not who.townships:
        with request.app.state.server.read() as session:
            towns = township_codes_in_scope(session, who.scope_kind, who.scope_code)
        who = dataclasses.replace(who, townships=tuple(towns))
    return who


# --------------------------------------------------------------------------- pages


@router.get("/field", include_in_schema=False)
def field_root() -> RedirectResponse:
    return RedirectResponse("/field/", status_code=308)


@router.get("/field/", include_in_schema=False)
def field_index() -> Response:
    return _asset("index.html")


@router.get("/field/{asset}", include_in_schema=False)
def field_asset(asset: str) -> Response:
    return _asset(asset)


def _asset(name: str) -> Response:
    """One file of the app shell, by name only (no paths): every asset is shipped in the package."""
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        return _problem(404, "not_found", "外勤应用没有这个文件")
    media = {"manifest.json": "application/manifest+json", "sw.js": "text/javascript"}.get(name) \
        or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media.startswith("text/") or media.endswith("javascript"):
        media += "; charset=utf-8"
    # the service worker checks for a new version on every start; the shell is cached by it, not by HTTP
    headers = {"Cache-Control": "no-cache"}
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/field/"
    return FileResponse(path, media_type=media, headers=headers)


# --------------------------------------------------------------------------- sign-in


class FieldLoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=8, max_length=64)


def _field_acts() -> list[str]:
    from commandroom.mutations.core import REGISTRY, _load_all

    _load_all()
    return sorted(FIELD_MUTATIONS & set(REGISTRY))


def _profile(session: Any, user: User, who: Principal | None = None) -> dict[str, Any]:
    roles = permissions.roles_of(user)
    team = bool({Role.TEAM_LEADER.value, Role.TEAM_MEMBER.value} & set(roles))
    out: dict[str, Any] = {
        "user_id": user.id, "username": user.username, "display_name": user.display_name,
        "roles": list(roles), "role_words": permissions.role_words(roles),
        "team": team, "leader": Role.TEAM_LEADER.value in roles, "grid_worker": Role.GRID_WORKER.value in roles,
        "server_now": _iso(utcnow()),
        "acts": _field_acts(),  # what this server takes from a phone (a newer app asks before it sends)
    }
    if team and user.scope_kind == "zone" and user.scope_code:
        zone = session.get(Zone, user.scope_code)
        out["zone_id"] = user.scope_code
        out["zone_name"] = zone.name if zone is not None else user.scope_code
        member = session.scalars(select(TeamMember).where(TeamMember.user_id == user.id,
                                                          TeamMember.deleted.is_(False))).first()
        out["member_id"] = member.id if member is not None else None
    if user.grid_id:
        grid = session.get(Grid, user.grid_id)
        out["grid_name"] = grid.name if grid is not None else user.grid_id
    town = session.get(Township, user.township_code) if user.township_code else None
    out["township_name"] = town.name if town is not None else ""
    return out


@router.post(f"{api}/login")
def field_login(body: FieldLoginIn, request: Request) -> dict:
    """Sign in on a phone: a field-only token for team members, team leaders and grid workers."""
    state = request.app.state.server
    limiter = state.extras.get("login_limiter")
    address = request.client.host if request.client else "?"
    if limiter is not None:
        limiter.check(body.username, address)
    with state.transaction() as session:
        user = session.scalar(select(User).where(User.username == body.username))
        ok = user is not None and not user.disabled and verify_password(user.password_hash, body.password)
        if limiter is not None:
            limiter.record(session, body.username, address, ok)
        if ok and user is not None:
            roles = permissions.roles_of(user)
            if not any(r in FIELD_ROLES for r in roles):
                raise HTTPException(403, detail={
                    "code": "no_field_role",
                    "message": f"此账号（{permissions.role_words(roles)}）不使用外勤应用；请在指挥室工作站登录。"})
            device = FIELD_DEVICE_PREFIX + "".join(c for c in body.device_id if c.isalnum() or c == "-")[:30]
            tokens = issue_tokens(session, user, device, "外勤手机")
            token = session.get(DeviceToken, tokens["token_id"])
            principal_for(session, user, token)
            return {**tokens, "device_id": device, "user": _profile(session, user)}
    # after the transaction commits, so the failed attempt stays recorded for the rate limit
    raise HTTPException(401, detail={"code": "bad_credentials", "message": "用户名或密码不对，请重新输入。"})


@router.post(f"{api}/logout")
def field_logout(request: Request, who: Principal = Depends(field_principal)) -> dict:
    """Sign this phone out: its field token stops working at once."""
    with request.app.state.server.transaction() as session:
        token = session.get(DeviceToken, who.token_id)
        if token is not None:
            token.revoked = True
    return {"ok": True}


@router.get(f"{api}/me")
def field_me(request: Request, who: Principal = Depends(field_principal)) -> dict:
    who.require("field.read")
    with request.app.state.server.read() as session:
        user = session.get(User, who.user_id)
        return _profile(session, user, who)


# --------------------------------------------------------------------------- what the phone shows


def _incident_json(inc: Incident, categories: dict[str, str], levels: dict[str, str]) -> dict[str, Any]:
    return {
        "id": inc.id, "number": inc.number or "", "title": inc.title, "description": inc.description,
        "address": inc.address, "lat": inc.lat, "lon": inc.lon, "urgency": inc.urgency,
        "at_gcj02": _point_in("gcj02", inc.lat, inc.lon),  # where a GCJ-02 base map draws the place
        "urgency_name": levels.get(inc.urgency, ""),  # what the phone shows (一般, 紧急…), never the code
        "category": categories.get(inc.category_code, ""),
        "state": inc.state, "state_words": INCIDENT_STATE_LABELS.get(IncidentState(inc.state), inc.state),
        "ack_due": _iso(inc.ack_due), "onsite_due": _iso(inc.onsite_due), "close_due": _iso(inc.close_due),
        "photos_before": list(inc.photos_before or []), "photos_after": list(inc.photos_after or []),
        "verified_by": inc.verified_by,
    }


def _categories(session: Any) -> dict[str, str]:
    return {c.code: c.name for c in session.scalars(select(EventCategory))}


def _levels(session: Any) -> dict[str, str]:
    return {u.code: u.name for u in session.scalars(select(UrgencyLevel))}


@router.get(f"{api}/dispatches")
def field_dispatches(request: Request, who: Principal = Depends(field_principal)) -> dict:
    """My team's dispatches (a member: those given to the whole team or naming it; a leader: all)."""
    who.require("field.read")
    if who.scope_kind != "zone" or not who.scope_code:
        return {"server_now": _iso(utcnow()), "dispatches": [], "members": []}
    zone = who.scope_code
    since = utcnow() - timedelta(days=ACTIVE_DAYS)
    with request.app.state.server.read() as session:
        members = list(session.scalars(select(TeamMember).where(TeamMember.zone_id == zone,
                                                                TeamMember.deleted.is_(False))
                                       .order_by(TeamMember.name)))
        names = {m.id: m.name for m in members}
        me = next((m.id for m in members if m.user_id == who.user_id), None)
        rows = list(session.scalars(
            select(Dispatch).where(Dispatch.target_kind == "team", Dispatch.target_code == zone,
                                   Dispatch.deleted.is_(False),
                                   or_(Dispatch.state.not_in([DispatchState.DONE, DispatchState.CANCELLED]),
                                       Dispatch.updated_at >= since))
            .order_by(Dispatch.assigned_at.desc()).limit(200)))
        leader = Role.TEAM_LEADER.value in who.roles
        if not leader and me is not None:
            rows = [d for d in rows if not d.member_ids or me in (d.member_ids or []) or d.lead_member_id == me]
        incidents = {i.id: i for i in session.scalars(select(Incident).where(
            Incident.id.in_({d.incident_id for d in rows})))} if rows else {}
        categories = _categories(session)
        levels = _levels(session)
        out = []
        for d in rows:
            inc = incidents.get(d.incident_id)
            if inc is None or inc.deleted:
                continue
            out.append({
                "id": d.id, "state": d.state,
                "state_words": DISPATCH_STATE_LABELS.get(DispatchState(d.state), d.state),
                "assigned_at": _iso(d.assigned_at), "acknowledged_at": _iso(d.acknowledged_at),
                "en_route_at": _iso(d.en_route_at), "on_scene_at": _iso(d.on_scene_at), "done_at": _iso(d.done_at),
                "note": d.note, "lead_member_id": d.lead_member_id, "lead_member": names.get(d.lead_member_id or "", ""),
                "member_ids": list(d.member_ids or []),
                "members": [names.get(m, "") for m in (d.member_ids or [])],
                "joint_visit_id": d.joint_visit_id,  # 联合出勤（综合查一次）: the phone shows its stops as one trip
                "incident": _incident_json(inc, categories, levels),
            })
        return {"server_now": _iso(utcnow()), "dispatches": out, "me": me,
                "members": [{"id": m.id, "name": m.name, "status": m.status} for m in members]}


@router.get(f"{api}/reports")
def field_reports(request: Request, who: Principal = Depends(field_principal)) -> dict:
    """What became of my reports (上报): accepted, merged, rejected, and the incident's state."""
    who.require("field.read")
    with request.app.state.server.read() as session:
        rows = list(session.scalars(select(Report).where(Report.reporter_user_id == who.user_id,
                                                         Report.deleted.is_(False))
                                    .order_by(Report.reported_at.desc()).limit(100)))
        incidents = {i.id: i for i in session.scalars(select(Incident).where(
            Incident.id.in_({r.incident_id for r in rows if r.incident_id})))}
        categories = _categories(session)
        levels = _levels(session)
        out = []
        for r in rows:
            inc = incidents.get(r.incident_id or "")
            out.append({
                "id": r.id, "number": r.number or "", "description": r.description, "address": r.address,
                "category": categories.get(r.category_code, ""), "reported_at": _iso(r.reported_at),
                "state": r.state, "state_words": REPORT_STATE_LABELS.get(ReportState(r.state), r.state),
                "reject_reason": r.reject_reason, "photos": list(r.photos or []),
                "incident": _incident_json(inc, categories, levels) if inc is not None else None,
            })
        return {"server_now": _iso(utcnow()), "reports": out}


@router.get(f"{api}/verifications")
def field_verifications(request: Request, who: Principal = Depends(field_principal)) -> dict:
    """Incidents of my grid waiting for my check (待核查)."""
    who.require("field.read")
    if Role.GRID_WORKER.value not in who.roles:
        return {"server_now": _iso(utcnow()), "incidents": []}
    with request.app.state.server.read() as session:
        q = select(Incident).where(Incident.state == IncidentState.AWAITING_VERIFICATION,
                                   Incident.deleted.is_(False), Incident.township_code.in_(who.townships))
        rows = [i for i in session.scalars(q.order_by(Incident.updated_at.desc()).limit(200))
                if permissions.may_on(who.actor, "incident.verify", "incident", i, session)]
        categories = _categories(session)
        levels = _levels(session)
        return {"server_now": _iso(utcnow()), "incidents": [_incident_json(i, categories, levels) for i in rows]}


# --------------------------------------------------------------------------- the phone's queued acts


class FieldPushIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    device_incarnation: str = Field(min_length=8, max_length=36)
    first_local_seq: int = Field(default=1, ge=1)
    mutations: list[dict[str, Any]] = Field(max_length=50)


@router.post(f"{api}/push")
async def field_push(request: Request, who: Principal = Depends(field_principal)) -> Response:
    """The phone's queued acts, through the desks' exactly-once push (same pipeline, same dedup)."""
    from commandroom.server.sync_api import PushIn, process_push

    who.require("field.push")
    try:
        body = FieldPushIn.model_validate(await request.json())
        req = PushIn.model_validate({
            "device_id": who.device_id, "device_incarnation": body.device_incarnation,
            "first_local_seq": body.first_local_seq, "protocol_version": PROTOCOL_VERSION,
            "schema_version": SCHEMA_VERSION, "mutations": body.mutations})
    except (ValidationError, ValueError) as exc:
        return _problem(422, "validation_error", f"外勤应用发来的内容不完整，请更新应用后重试（{exc}）")
    wrong = sorted({m.name for m in req.mutations if m.name not in _field_acts()})
    if wrong:
        return _problem(422, "not_a_field_act", f"外勤应用不能发送这些操作：{'、'.join(wrong)}")
    seqs = [m.local_seq for m in req.mutations]
    if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
        return _problem(422, "validation_error", "操作的顺序号必须递增")
    status, out = await run_in_threadpool(process_push, request.app.state.server, who, req)
    return Response(content=orjson.dumps(out), status_code=status, media_type="application/json")


# --------------------------------------------------------------------------- the base map of my area

LAYER_WORDS = {"streets": "街道图", "imagery": "影像图", "labels": "注记"}


def _point_in(crs: str, lat: float | None, lon: float | None) -> list[float] | None:
    """A WGS84 point in a layer's coordinates (GCJ-02 tiles: converted by the one conversion, refdata.geo)."""
    from commandroom.refdata import geo

    if lat is None or lon is None:
        return None
    if crs == "gcj02":
        lon, lat = geo.wgs84_to_gcj02(lon, lat)
    return [round(lat, 7), round(lon, 7)]


@router.get(f"{api}/basemap")
def field_basemap(request: Request, who: Principal = Depends(field_principal)) -> dict:
    """The base maps the phone may show and the bounds of its area (a team: its zone; a grid worker: its township).

    Tiles come from :func:`field_tile` (the county server's own, limited to that area); the phone's service
    worker keeps each tile it has shown, so the map opens again without signal. The dispatches' incidents
    carry their place in GCJ-02 too (``at_gcj02``), so a marker sits where such tiles draw the place.
    """
    from shapely.geometry import shape
    from shapely.ops import unary_union

    from commandroom.basemap import library
    from commandroom.refdata import geo

    who.require("basemap.read")
    with request.app.state.server.read() as session:
        layers = [library.describe(r) for r in library.current(session)]
        towns = list(who.townships)
        areas = [t.area_geojson for t in session.scalars(select(Township).where(Township.code.in_(towns)))
                 if t.area_geojson]
        if who.scope_kind == "zone" and who.scope_code:
            zone = session.get(Zone, who.scope_code)
            area_name = zone.name if zone is not None else ""
        else:
            town = session.get(Township, who.township_code) if who.township_code else None
            area_name = town.name if town is not None else ""
    area = unary_union([shape(a.get("geometry", a)) for a in areas]) if areas else None
    out = []
    for item in layers:
        if item["layer"] not in LAYER_WORDS:
            continue
        crs = item["crs"] or "wgs84"
        bounds = None
        if area is not None:
            a = geo.transform_geometry(area, geo.wgs84_to_gcj02) if crs == "gcj02" else area
            bounds = list(a.bounds)
        out.append({"layer": item["layer"], "name": LAYER_WORDS[item["layer"]], "version": item["version"],
                    "crs": crs, "min_zoom": item["min_zoom"], "max_zoom": item["max_zoom"],
                    "bounds": bounds or item["bounds"], "attribution": item["attribution"] or "",
                    "tile_url": f"{api}/tiles/{item['layer']}/{{z}}/{{x}}/{{y}}"})
    return {"server_now": _iso(utcnow()), "area_name": area_name, "layers": out}


@router.get(f"{api}/tiles/{{layer}}/{{z}}/{{x}}/{{y}}")
async def field_tile(layer: str, z: int, x: int, y: int, request: Request,
                     who: Principal = Depends(field_principal)) -> Response:
    """One tile of my area, as an image (a vector layer is drawn on the server: a phone has no MVT renderer).

    The same tile, the same area limit and the same 404 outside it as the desks' tile endpoint
    (:func:`commandroom.server.basemap_api.tile`).
    """
    from commandroom.server.basemap_api import tile

    who.require("basemap.read")
    resp = await tile(layer, z, x, y, request)
    if resp.media_type != "application/x-protobuf":
        return resp
    from commandroom.basemap.vector import VectorTileError, render_tile

    try:
        png = await run_in_threadpool(render_tile, bytes(resp.body))
    except VectorTileError:
        return _problem(404, "not_found", "no tile there")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})
