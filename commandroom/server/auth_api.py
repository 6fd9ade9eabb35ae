"""Sign-in endpoints: login, refresh, logout, who-am-I."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from commandroom import PROTOCOL_VERSION, permissions
from commandroom.domain.models import DeviceToken, SyncCounter, User
from commandroom.server.auth import (
    Principal,
    issue_tokens,
    principal,
    principal_for,
    refresh_tokens,
    verify_password,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=8, max_length=64)
    device_name: str = Field(default="", max_length=64)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=256)


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "scope_kind": user.scope_kind,
        "scope_code": user.scope_code,
        "township_code": user.township_code,
        "roles": list(permissions.roles_of(user)),
        "department_code": user.department_code,
    }


@router.post("/login")
def login(body: LoginIn, request: Request) -> dict:
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
        if ok and user is not None and permissions.is_desk_account(permissions.roles_of(user)):
            tokens = issue_tokens(session, user, body.device_id, body.device_name)
            token = session.get(DeviceToken, tokens["token_id"])
            p = principal_for(session, user, token)
            counter = session.get(SyncCounter, 1)
            return {
                **tokens,
                "user": user_json(user),
                "buckets": list(p.buckets),
                "townships": list(p.townships),
                "epoch": counter.epoch if counter else None,
                "protocol_version": PROTOCOL_VERSION,
            }
        if ok and user is not None:  # right password, but no desk role (a grid worker reports through Open311 with a key)
            raise HTTPException(403, detail={
                "code": "no_desk_role",
                "message": f"此账号（{permissions.role_words(permissions.roles_of(user))}）不能登录指挥室工作站；"
                           f"网格员请在手机上打开外勤应用（县服务器地址后加 /field/）登录，或用 Open311 密钥上报。"})
        reason = "this account is disabled" if user is not None and user.disabled else "wrong user name or password"
    # raised after the transaction commits, so the failed attempt stays recorded for the rate limit
    raise HTTPException(401, detail={"code": "bad_credentials", "message": reason})


@router.post("/refresh")
def refresh(body: RefreshIn, request: Request) -> dict:
    with request.app.state.server.transaction() as session:
        return refresh_tokens(session, body.refresh_token)


@router.post("/logout")
def logout(request: Request, who: Principal = Depends(principal)) -> dict:
    with request.app.state.server.transaction() as session:
        token = session.get(DeviceToken, who.token_id)
        if token is not None:
            token.revoked = True
    return {"ok": True}


@router.get("/me")
def me(who: Principal = Depends(principal)) -> dict:
    return {
        "user_id": who.user_id,
        "username": who.username,
        "display_name": who.display_name,
        "role": who.role,
        "scope_kind": who.scope_kind,
        "scope_code": who.scope_code,
        "township_code": who.township_code,
        "roles": list(who.roles),
        "department_code": who.department_code,
        "buckets": list(who.buckets),
        "townships": list(who.townships),
        "device_id": who.device_id,
    }
