"""Notices over HTTP: the delivery log the room reads, the county's channels and rules, each person's addresses.

``install`` starts the delivery loop of this server process (commandroom/notify/outbox.py): it sends
what is due every ``notice_interval`` seconds (``state.extras``, 2 s by default). Several processes
on one PostgreSQL share the work without sending anything twice (rows are claimed with SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from commandroom.domain.models import NoticeChannel, NoticeContact, NoticeRule, Township
from commandroom.notify.channels import CHANNEL_KINDS, channel_for
from commandroom.notify.outbox import EVENT_KINDS, deliver_due, delivery_log
from commandroom.server.auth import Principal, principal

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["notices"])
SECRET_KEYS = ("secret", "token", "password")


def install(app, state) -> None:
    task: dict[str, asyncio.Task] = {}

    async def loop() -> None:
        while True:
            interval = float(state.extras.get("notice_interval", 2.0))
            try:
                pauses = state.extras.get("notice_retry_pauses")
                kw = {"pauses": [timedelta(seconds=p) for p in pauses]} if pauses else {}
                await asyncio.to_thread(deliver_due, state.sessions, **kw)
            except Exception:  # a bad round must not end delivery for the life of the server
                log.exception("notice delivery round failed")
            await asyncio.sleep(interval)

    async def start() -> None:
        task["loop"] = asyncio.get_running_loop().create_task(loop(), name="notice-delivery")

    async def stop() -> None:
        running = task.pop("loop", None)
        if running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)


def _manager(who: Principal) -> None:
    who.require("notices.configure")  # the county coordinator or the administrator (commandroom.permissions)


def _public_config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: ("已设置" if k in SECRET_KEYS and v else v) for k, v in (config or {}).items()}


def _channel_dict(c: NoticeChannel) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "kind": c.kind, "kind_text": CHANNEL_KINDS.get(c.kind, c.kind),
            "config": _public_config(c.config), "enabled": c.enabled}


@router.get("/notices")
def notices(request: Request, limit: int = 200, who: Principal = Depends(principal)) -> dict:
    """The delivery log of the caller's townships (sent, waiting, failed and why)."""
    who.require("notices.read")
    state = request.app.state.server
    county_wide = who.scope_kind == "county"
    with state.read() as session:
        return {"notices": delivery_log(session, None if county_wide else who.townships, limit=min(limit, 1000))}


class ChannelIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    kind: str
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


@router.get("/notice-channels")
def list_channels(request: Request, who: Principal = Depends(principal)) -> dict:
    _manager(who)
    with request.app.state.server.read() as session:
        return {"channels": [_channel_dict(c) for c in session.scalars(select(NoticeChannel).order_by(NoticeChannel.name))]}


@router.post("/notice-channels", status_code=201)
def add_channel(request: Request, body: ChannelIn, who: Principal = Depends(principal)) -> dict:
    _manager(who)
    try:
        channel_for(body.kind, body.config)  # names a missing setting or an unknown kind
    except ValueError as exc:
        raise HTTPException(422, detail={"code": "validation_error", "message": str(exc)}) from None
    with request.app.state.server.transaction() as session:
        if session.scalar(select(NoticeChannel.id).where(NoticeChannel.name == body.name)):
            raise HTTPException(409, detail={"code": "conflict", "message": f"已有名为“{body.name}”的通道"})
        channel = NoticeChannel(name=body.name, kind=body.kind, config=body.config, enabled=body.enabled)
        session.add(channel)
        session.flush()
        return _channel_dict(channel)


class RuleIn(BaseModel):
    event_kind: str
    channel: str = Field(description="the channel's name")
    township_code: str | None = None


@router.post("/notice-rules", status_code=201)
def add_rule(request: Request, body: RuleIn, who: Principal = Depends(principal)) -> dict:
    _manager(who)
    if body.event_kind not in EVENT_KINDS:
        raise HTTPException(422, detail={"code": "validation_error",
                                         "message": f"未知的通知事由 {body.event_kind}（可选：{'、'.join(EVENT_KINDS)}）"})
    with request.app.state.server.transaction() as session:
        channel = session.scalar(select(NoticeChannel).where(NoticeChannel.name == body.channel))
        if channel is None:
            raise HTTPException(422, detail={"code": "validation_error", "message": f"没有名为“{body.channel}”的通道"})
        if body.township_code and session.get(Township, body.township_code) is None:
            raise HTTPException(422, detail={"code": "validation_error", "message": f"没有代码为 {body.township_code} 的乡镇"})
        rule = NoticeRule(event_kind=body.event_kind, channel_id=channel.id, township_code=body.township_code)
        session.add(rule)
        session.flush()
        return {"id": rule.id, "event_kind": rule.event_kind, "event": EVENT_KINDS[rule.event_kind],
                "channel": channel.name, "township_code": rule.township_code}


class ContactIn(BaseModel):
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=128)
    muted_kinds: list[str] = Field(default_factory=list)


@router.put("/notice-contacts/me")
def set_my_contact(request: Request, body: ContactIn, who: Principal = Depends(principal)) -> dict:
    """Each person says where they are reached, and which channels they do not want."""
    unknown = [k for k in body.muted_kinds if k not in CHANNEL_KINDS]
    if unknown:
        raise HTTPException(422, detail={"code": "validation_error", "message": f"未知的通道类型：{'、'.join(unknown)}"})
    if body.email and "@" not in body.email:
        raise HTTPException(422, detail={"code": "validation_error", "message": f"电子邮箱格式不对：{body.email}"})
    with request.app.state.server.transaction() as session:
        contact = session.get(NoticeContact, who.user_id) or NoticeContact(user_id=who.user_id)
        contact.phone, contact.email, contact.muted_kinds = body.phone.strip(), body.email.strip(), body.muted_kinds
        session.add(contact)
    return {"phone": body.phone, "email": body.email, "muted_kinds": body.muted_kinds}

