"""Administration and scoped reads: accounts, device revocation, one report or incident by id.

Every read checks the *row's* township against the principal's townships
(computed by the server from the account's scope, never from the request):
a 球川 duty officer gets 403 for a 天马 incident, the 球川 zone team leader
reads 球川, 白石 and 同弓, a county coordinator reads everything. Missing,
expired or revoked tokens get 401 with a code saying which.

``install`` also puts the sign-in rate limiter in place (``state.extras['login_limiter']``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from commandroom.domain.models import DeviceToken, Incident, Report, TimelineEntry, row_to_dict
from commandroom.server.auth import Principal, principal
from commandroom.server.ratelimit import LoginLimiter
from commandroom.server.users import (
    MANAGER_ROLES,
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


def require_manager(who: Principal) -> None:
    if who.role not in MANAGER_ROLES:
        raise _forbid(f"only a county coordinator or an administrator may do this; you are {who.role}")


def _check_township(who: Principal, entity: str, ident: str, township: str | None) -> None:
    if township not in who.townships:
        scope = f"{who.scope_kind} {who.scope_code}" if who.scope_code else who.scope_kind
        raise _forbid(f"{entity} {ident} belongs to township {township}, outside your scope ({scope}: "
                      f"{', '.join(who.townships) or 'no townships'})")


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
    require_manager(who)
    return _account_action(request, who, revoke_api_key, user_id)


def _account_action(request: Request, who: Principal, action: Any, user_id: str) -> dict:
    """Apply one account change in a transaction; a DomainError becomes 4xx through the app's handler."""
    with request.app.state.server.transaction() as session:
        user = action(session, user_id, by=who.user_id)
        return {"ok": True, "user": public_dict(user)}


@router.post("/admin/devices/{device_id}/revoke")
def revoke(device_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    """Revoke a device's sign-in: a manager for any device, anyone for their own."""
    with request.app.state.server.transaction() as session:
        owners = set(session.scalars(select(DeviceToken.user_id).where(DeviceToken.device_id == device_id)))
        if not owners:
            raise HTTPException(404, detail={"code": "not_found", "message": f"no device {device_id} has signed in"})
        if who.role in MANAGER_ROLES:
            count = revoke_device(session, device_id, by=who.user_id)
        elif who.user_id in owners:
            count = revoke_device(session, device_id, user_id=who.user_id, by=who.user_id)
        else:
            raise _forbid("you may revoke only your own devices; ask a county coordinator for others")
        return {"ok": True, "device_id": device_id, "revoked_tokens": count}


# --------------------------------------------------------------------------- scoped reads


@router.get("/reports/{report_id}")
def get_report(report_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    with request.app.state.server.read() as session:
        row = session.get(Report, report_id) or session.scalars(
            select(Report).where(Report.number == report_id)).first()
        if row is None or row.deleted:
            raise HTTPException(404, detail={"code": "not_found", "message": f"report {report_id} does not exist"})
        _check_township(who, "report", report_id, row.township_code)
        return {"report": row_to_dict(row)}


@router.get("/incidents/{incident_id}")
def get_incident(incident_id: str, request: Request, who: Principal = Depends(principal)) -> dict:
    with request.app.state.server.read() as session:
        row = session.get(Incident, incident_id) or session.scalars(
            select(Incident).where(Incident.number == incident_id)).first()
        if row is None or row.deleted:
            raise HTTPException(404, detail={"code": "not_found",
                                             "message": f"incident {incident_id} does not exist"})
        _check_township(who, "incident", incident_id, row.township_code)
        timeline = session.scalars(
            select(TimelineEntry).where(TimelineEntry.incident_id == row.id).order_by(TimelineEntry.at))
        return {"incident": row_to_dict(row), "timeline": [row_to_dict(t) for t in timeline]}
