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

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from commandroom import permissions
from commandroom.domain.models import DeviceToken, Incident, Report, TimelineEntry, row_to_dict
from commandroom.server.auth import Principal, principal
from commandroom.server.ratelimit import LoginLimiter
from commandroom.server.users import (
    disable_user,
    enable_user,
    list_users,
    public_dict,
    revoke_api_key,
    revoke_device,
)

router = APIRouter(prefix="/api/v1", tags=["admin"])


def install(app, state) -> None:  # noqa: ANN001
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


@router.get("/reports/{report_id}")
def get_report(report_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    who.require("report.read")
    with request.app.state.server.read() as session:
        row = session.get(Report, report_id) or session.scalars(
            select(Report).where(Report.number == report_id)).first()
        if row is None or row.deleted or row.township_code not in who.townships:
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
        if row is None or row.deleted or row.township_code not in who.townships:
            raise not_found("incident", incident_id)
        timeline = session.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == row.id).order_by(TimelineEntry.at))
        return {"incident": row_to_dict(row), "timeline": [row_to_dict(t) for t in timeline]}
