"""Administration and scoped reads: accounts, device revocation, one report or incident by id.

Each endpoint first asks the permission model (:mod:`commandroom.permissions`) whether the
account's roles may do it at all (403 saying why). A read then checks the *row's* township
against the principal's townships (computed by the server from the account's scope, never
from the request): a row outside them is answered exactly like a row that does not exist
(404, same body), so a 球川 duty officer learns nothing about a 天马 incident. Missing,
expired or revoked tokens get 401 with a code saying which.

``install`` also puts the sign-in rate limiter in place (``state.extras['login_limiter']``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandroom import permissions
from commandroom.domain.enums import Role
from commandroom.domain.models import (
    DeviceCursor,
    DeviceToken,
    Incident,
    Report,
    TimelineEntry,
    User,
    row_to_dict,
)
from commandroom.queries import scope
from commandroom.server.auth import Principal, principal
from commandroom.server.ratelimit import LoginLimiter
from commandroom.server.users import (
    create_user,
    disable_user,
    enable_user,
    generate_password,
    list_users,
    parse_roles,
    public_dict,
    revoke_api_key,
    revoke_device,
    rotate_api_key,
    set_roles,
)
from commandroom.timeutil import as_utc

router = APIRouter(prefix="/api/v1", tags=["admin"])


def install(app, state) -> None:
    state.extras.setdefault("login_limiter", LoginLimiter(state))


def _forbid(message: str) -> HTTPException:
    return HTTPException(403, detail={"code": "forbidden", "message": message})


def require_manager(who: Principal, rule: str = "admin.users") -> None:
    who.require(rule)


def not_found(entity: str, ident: str) -> HTTPException:
    """The one answer for "does not exist" and "not yours"."""
    return HTTPException(404, detail={"code": "not_found", "message": f"{entity} {ident} does not exist"})


# --------------------------------------------------------------------------- users


@router.get("/users")
def users(request: Request, role: str | None = None, township: str | None = None,
          who: Principal = Depends(principal)) -> dict:
    require_manager(who)
    with request.app.state.server.read() as session:
        rows = list_users(session, role=role, township_code=township)
        return {"users": [public_dict(u) for u in rows]}


@router.post("/admin/users/{user_id}/disable")
def disable(user_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    require_manager(who)
    if user_id in (who.user_id, who.username):
        raise _forbid("you cannot disable your own account")
    return _account_action(request, who, disable_user, user_id)


@router.post("/admin/users/{user_id}/enable")
def enable(user_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    require_manager(who)
    return _account_action(request, who, enable_user, user_id)


@router.post("/admin/users/{user_id}/revoke-key")
def revoke_key(user_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    require_manager(who, "admin.keys")
    return _account_action(request, who, revoke_api_key, user_id)


def _account_action(request: Request, who: Principal, action: Any, user_id: str) -> dict:
    """Apply one account change in a transaction; a DomainError becomes 4xx through the app's handler."""
    with request.app.state.server.transaction() as session:
        user = action(session, user_id, by=who.user_id)
        return {"ok": True, "user": public_dict(user)}


@router.post("/admin/devices/{device_id}/revoke")
def revoke(device_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    """Revoke a device's sign-in: the administrator for any device, anyone for their own."""
    who.require("admin.devices")
    manager = permissions.rule("admin.devices").reach(who.roles or (who.role,)) is permissions.Reach.SCOPE
    with request.app.state.server.transaction() as session:
        owners = set(session.scalars(select(DeviceToken.user_id).where(DeviceToken.device_id == device_id)))
        if manager and owners:
            count = revoke_device(session, device_id, by=who.user_id)
        elif who.user_id in owners:
            count = revoke_device(session, device_id, user_id=who.user_id, by=who.user_id)
        else:  # someone else's device is answered like one that never signed in
            raise HTTPException(404, detail={"code": "not_found", "message": f"no device {device_id} has signed in"})
        return {"ok": True, "device_id": device_id, "revoked_tokens": count}


# --------------------------------------------------------------------------- scoped reads


def _readable(session: Session, who: Principal, table: str, row: Any) -> bool:
    """In the reader's townships, and for a department's desk, the department's own work."""
    if row.township_code not in who.townships:
        return False
    dept = who.department
    return dept is None or scope.is_department_work(session, dept, table, _Values(row))


class _Values(dict[str, Any]):
    def __init__(self, row: Any) -> None:
        super().__init__({c.key: getattr(row, c.key) for c in row.__table__.columns})


@router.get("/reports/{report_id}")
def get_report(report_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    who.require("report.read")
    with request.app.state.server.read() as session:
        row = session.get(Report, report_id) or session.scalars(
            select(Report).where(Report.number == report_id)).first()
        if row is None or row.deleted or not _readable(session, who, "report", row):
            raise not_found("report", report_id)
        out = row_to_dict(row)
        if not who.may("report.contact"):
            for key in ("reporter_name", "reporter_phone", "reporter_email"):
                out[key] = ""
        return {"report": out}


@router.get("/incidents/{incident_id}")
def get_incident(incident_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    who.require("incident.read")
    with request.app.state.server.read() as session:
        row = session.get(Incident, incident_id) or session.scalars(
            select(Incident).where(Incident.number == incident_id)).first()
        if row is None or row.deleted or not _readable(session, who, "incident", row):
            raise not_found("incident", incident_id)
        timeline = session.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == row.id).order_by(TimelineEntry.at))
        return {"incident": row_to_dict(row), "timeline": [row_to_dict(t) for t in timeline]}


# --------------------------------------------------------------------------- accounts, keys, devices, audit
# (what the county administrator's screens use; every change is written to the audit log by users.py)


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(default="", max_length=64)
    role: str = Field(min_length=1, max_length=200, description="one role, or several on one scope, comma-separated")
    township: str | None = Field(default=None, max_length=64)
    zone: str | None = Field(default=None, max_length=64)
    county: bool = False
    grid: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=256)
    phone: str = Field(default="", max_length=32)


class RolesIn(BaseModel):
    role: str = Field(min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=64)


@router.post("/admin/users", status_code=201)
def add_user(body: UserIn, request: Request, who: Principal = Depends(principal)) -> dict:
    """Create an account; the answer shows a generated password and a grid worker's key once."""
    require_manager(who)
    roles = parse_roles(body.role)
    password, generated = body.password, False
    if password is None and roles != [Role.GRID_WORKER]:
        password, generated = generate_password(), True
    with request.app.state.server.transaction() as session:
        user, key = create_user(
            session, username=body.username, display_name=body.display_name or body.username, role=body.role,
            scope_kind="county" if body.county else ("zone" if body.zone else None), scope_code=body.zone,
            township_code=body.township, grid_id=body.grid, password=password, phone=body.phone,
            created_by=who.user_id, department=body.department)
        out: dict[str, Any] = {"ok": True, "user": public_dict(user)}
    if generated:
        out["password"] = password  # shown once
    if key:
        out["api_key"] = key  # shown once
    return out


@router.post("/admin/users/{user_id}/roles")
def change_roles(user_id: str, body: RolesIn, request: Request, who: Principal = Depends(principal)) -> dict:
    require_manager(who)
    with request.app.state.server.transaction() as session:
        user = set_roles(session, user_id, body.role, department=body.department, by=who.user_id)
        return {"ok": True, "user": public_dict(user)}


@router.post("/admin/users/{user_id}/issue-key")
def issue_key(user_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    """A new Open311 key for the account (the old one stops working); shown once."""
    require_manager(who, "admin.keys")
    with request.app.state.server.transaction() as session:
        user, key = rotate_api_key(session, user_id, by=who.user_id)
        return {"ok": True, "user": public_dict(user), "api_key": key}


@router.get("/admin/devices")
def devices(request: Request, who: Principal = Depends(principal)) -> dict:
    """Every workstation that signed in: who, when it last synced, whether its sign-in still works."""
    require_manager(who, "admin.users")
    with request.app.state.server.read() as session:
        names = dict(session.execute(select(User.id, User.username)).all())
        last_sync = dict(session.execute(select(DeviceCursor.device_id, func.max(DeviceCursor.last_seen))
                                         .group_by(DeviceCursor.device_id)).all())
        out: dict[str, dict[str, Any]] = {}
        for t in session.scalars(select(DeviceToken).order_by(DeviceToken.id)):
            d = out.setdefault(t.device_id, {"device_id": t.device_id, "device_name": t.device_name, "users": [],
                                             "active": False, "last_sync": None})
            d["device_name"] = t.device_name or d["device_name"]
            if names.get(t.user_id) and names[t.user_id] not in d["users"]:
                d["users"].append(names[t.user_id])
            d["active"] = d["active"] or not t.revoked
        for device_id, d in out.items():
            seen = last_sync.get(device_id)
            d["last_sync"] = seen.isoformat() + "Z" if seen else None
        return {"devices": sorted(out.values(), key=lambda d: d["last_sync"] or "", reverse=True)}


@router.get("/admin/audit")
def audit_entries(request: Request, actor: str | None = None, entity_type: str | None = None,
                  entity_id: str | None = None, since: str | None = None, until: str | None = None,
                  limit: int = Query(200, ge=1, le=2000), who: Principal = Depends(principal)) -> dict:
    """Audit entries, newest first: filter by actor (user name or id), row (type and/or id) and time (ISO)."""
    require_manager(who, "admin.audit")
    from commandroom.domain.models import AuditEntry

    with request.app.state.server.read() as session:
        q = select(AuditEntry)
        if actor:
            uid = session.scalar(select(User.id).where(User.username == actor)) or actor
            q = q.where(AuditEntry.user_id == uid)
        if entity_type:
            q = q.where(AuditEntry.entity_type == entity_type)
        if entity_id:
            q = q.where(AuditEntry.entity_id == entity_id)
        for value, op in ((since, ">="), (until, "<=")):
            if value:
                try:
                    at = as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
                except ValueError:
                    raise HTTPException(422, detail={"code": "validation_error",
                                                     "message": f"'{value}' is not a time (ISO 8601)"}) from None
                q = q.where(AuditEntry.at >= at if op == ">=" else AuditEntry.at <= at)
        rows = session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit))
        return {"entries": [{"id": r.id, "at": r.at.isoformat() + "Z", "user_id": r.user_id, "device_id": r.device_id,
                             "action": r.action, "entity_type": r.entity_type, "entity_id": r.entity_id,
                             "before": r.before, "after": r.after} for r in rows]}


@router.post("/admin/audit/verify")
def audit_verify(request: Request, who: Principal = Depends(principal)) -> dict:
    """Walk the hash chain: ok, or the first entry where it breaks and why.

    ``reason`` is the why as data (a code and its parameters, see ``audit.ChainCheck``) for the desk to
    word in the officer's language; ``message`` is the same in English for scripts and logs.
    """
    require_manager(who, "admin.audit")
    from commandroom.server.audit import check_chain

    with request.app.state.server.read() as session:
        result = check_chain(session)
    return {"ok": result.ok, "broken_at": result.broken_at, "message": result.message,
            "reason": {"code": result.code, "params": result.params}}
