"""Test mutations (``test.*`` over TaskCard rows), a tiny reference set, a server + client harness,
and the fault-injecting transport the sync tests drive with a seeded ``random.Random``."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import (
    SYNCED_MODELS,
    Module,
    TaskCard,
    TimelineEntry,
    Township,
    User,
    Zone,
    row_to_dict,
)
from commandroom.ids import new_id
from commandroom.mutations.core import REGISTRY, Actor, MutationContext, mutation
from commandroom.store.local import DeskStore
from commandroom.sync.engine import SyncEngine

T1, T2 = "330822100", "330822101"
ZONE = "ZT"
PASSWORD = "correct horse 1"

# --------------------------------------------------------------------------- test mutations


def _register() -> None:
    if "test.card.create" in REGISTRY:
        return

    @mutation("test.card.create", "task_card", creates=True)
    def card_create(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        """Create a card in a township."""
        if ctx.session.get(TaskCard, entity_id) is not None:
            raise ValidationError("entity_id", f"card {entity_id} already exists")
        title = args.get("title")
        if not isinstance(title, str) or not title or len(title) > 128:
            raise ValidationError("title", "is required (at most 128 characters)")
        township = args["township_code"]
        # the township's first board (a seeded county's too, as the load benchmark pushes there)
        module_id = args.get("module_id") or ctx.session.scalars(
            select(Module.id).where(Module.township_code == township).order_by(Module.id)).first() or board_of(township)
        ctx.add(TaskCard(id=entity_id, township_code=township, module_id=module_id,
                         title=title, body=args.get("body", ""), position=float(args.get("position", 0))))

    @mutation("test.card.set", "task_card")
    def card_set(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        """Set title / body / column / lane."""
        card = ctx.get(TaskCard, entity_id)
        for key in ("title", "body", "column", "lane"):
            if key in args:
                setattr(card, key, args[key])

    @mutation("test.card.bump", "task_card")
    def card_bump(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        """A counter delta: position += by (exactly-once shows in the sum)."""
        card = ctx.get(TaskCard, entity_id)
        card.position = float(card.position or 0) + float(args.get("by", 1))

    @mutation("test.card.delete", "task_card")
    def card_delete(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        card = ctx.get(TaskCard, entity_id)
        card.deleted = True

    @mutation("test.card.note", "task_card")
    def card_note(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        """Adds a child row with a fresh id each time it runs (a retry must not duplicate it)."""
        card = ctx.get(TaskCard, entity_id)
        ctx.add(TimelineEntry(id=new_id(), township_code=card.township_code, incident_id=entity_id,
                              action="note", note=str(args.get("text", "")),
                              data={"mutation_id": ctx.mutation_id}))

    @mutation("test.card.server_rejects", "task_card")
    def card_server_rejects(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        """Valid on the workstation, refused by the server (a poison mutation)."""
        card = ctx.get(TaskCard, entity_id)
        card.lane = "poison"
        if ctx.on_server:
            raise ValidationError("lane", "这条修改在服务器上不合法 (test poison)")

    @mutation("test.card.server_crashes", "task_card")
    def card_server_crashes(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
        card = ctx.get(TaskCard, entity_id)
        card.lane = "crash"
        if ctx.on_server:
            raise RuntimeError("bug in a mutation")

    # the test mutations need a rule like every real one (any desk role, on its scope)
    from commandroom import permissions

    for name in [n for n in REGISTRY if n.startswith("test.card.")]:
        permissions.RULES[name] = permissions.Rule(name, "test", "测试卡片", permissions._g(*permissions.DESK_ROLES))


_register()

# --------------------------------------------------------------------------- server


def seed_reference(state: Any) -> dict[str, User]:
    """Two townships in one zone, and officers: a1, a2 (T1), b1 (T2), county coordinator c1."""
    from commandroom.server.auth import hash_password

    pw = hash_password(PASSWORD)
    users: dict[str, User] = {}
    with state.transaction() as s:
        s.add(Zone(id=ZONE, name="测试片区", hub_code=T1, member_codes=[T1, T2]))
        s.flush()
        for code, name in ((T1, "甲镇"), (T2, "乙乡")):
            s.add(Township(code=code, name=name, short_name=name, kind="镇", seat_lat=28.9, seat_lon=118.5,
                           number_prefix="QC" if code == T1 else "TM", zone_id=ZONE))
        for uname, scope_kind, scope in (("a1", "township", T1), ("a2", "township", T1), ("a3", "township", T1),
                                         ("b1", "township", T2), ("c1", "county", None)):
            u = User(username=uname, display_name=f"官员{uname}", role="duty_officer" if scope else "county_coordinator",
                     scope_kind=scope_kind, scope_code=scope, township_code=scope, password_hash=pw)
            s.add(u)
            s.flush()
            users[uname] = u
        # each township's board, logged like any row: a card lives in its module's bucket (module:<id>)
        from commandroom.server import changelog

        boards = [Module(id=board_of(code), township_code=code, name=f"测试模块{code[-1]}") for code in (T1, T2)]
        s.add_all(boards)
        s.flush()
        changelog.log_rows(s, boards)
    return users


def board_of(township: str) -> str:
    """The test cards' module in ``township`` (seeded by :func:`seed_reference`)."""
    return f"m-{township}"


@dataclass
class Server:
    app: Any
    state: Any
    users: dict[str, User]

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    async def start(self) -> None:
        for hook in self.app.state.startup_hooks:
            await hook()

    async def stop(self) -> None:
        for hook in self.app.state.shutdown_hooks:
            with contextlib.suppress(Exception):
                await hook()


_TEMPLATES: dict[str, Path] = {}


def _migrated_template(kind: str) -> Path:
    """A migrated, empty SQLite file made once per test process (copying it is ~40× faster than migrating)."""
    path = _TEMPLATES.get(kind)
    if path is None:
        import tempfile

        from commandroom.store.db import make_engine
        from commandroom.store.migrate import upgrade

        path = Path(tempfile.mkdtemp(prefix="cr-template-")) / f"{kind}.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)  # the client's bookkeeping tables come from migration 0003 too
        engine.dispose()  # the last connection closing checkpoints the WAL into the file
        _TEMPLATES[kind] = path
    return path


def copy_template(kind: str, dst: Path) -> None:
    import shutil

    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_migrated_template(kind), dst)


def make_server(db_url: str, tmp: Path, *, heartbeat: float = 0.5, seed: bool = True) -> Server:
    from commandroom.server.app import create_app
    from commandroom.server.state import open_state

    if db_url.startswith("sqlite:///") and seed:
        copy_template("server", Path(db_url.split("///", 1)[1]))

    state = open_state(db_url)
    state.extras["marker_dir"] = str(tmp / "server-data")
    state.extras["sse_heartbeat"] = heartbeat
    users = seed_reference(state) if seed else {}
    app = create_app(state=state)
    return Server(app, state, users)


# --------------------------------------------------------------------------- fault injection


class FaultyTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport; drops, duplicates, replays, delays and cuts requests and responses.

    Probabilities are per request; ``mode`` forces a partition: ``"down"`` (nothing gets through),
    ``"no_acks"`` (requests reach the server, every response is lost), ``"inbound_only"`` (the same
    as no_acks from the client's point of view), ``"slow"`` (every answer takes ``slow_seconds``).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, rng: random.Random | None = None, **p: float) -> None:
        self.inner = inner
        self.rng = rng or random.Random(0)
        self.p = {"drop_request": 0.0, "drop_response": 0.0, "duplicate": 0.0, "hold": 0.0, "release": 0.0,
                  "stale": 0.0, "cut": 0.0, "delay": 0.0, "server_error": 0.0}
        self.p.update(p)
        self.mode: str | None = None
        self.slow_seconds = 30.0
        self.held: list[httpx.Request] = []
        self.last_pull: httpx.Response | None = None
        self.log: list[str] = []
        self.requests = 0

    def set(self, **p: float) -> None:
        self.p.update(p)

    def calm(self) -> None:
        for k in self.p:
            self.p[k] = 0.0
        self.mode = None

    def _roll(self, name: str) -> bool:
        return self.p.get(name, 0.0) > 0 and self.rng.random() < self.p[name]

    @staticmethod
    async def _copy(request: httpx.Request) -> httpx.Request:
        body = await request.aread()
        return httpx.Request(request.method, request.url, headers=request.headers, content=body)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        path = request.url.path
        is_sync = "/api/v1/sync/" in path
        if self.mode == "down":
            raise httpx.ConnectError("injected: link down", request=request)
        if self.mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        if is_sync and self.held and self._roll("release"):
            old = self.held.pop(0)
            self.log.append(f"release {old.url.path}")
            with contextlib.suppress(Exception):
                await self._send(old)
        if is_sync and self._roll("drop_request"):
            self.log.append(f"drop_request {path}")
            raise httpx.ConnectError("injected: request lost", request=request)
        if is_sync and self._roll("delay"):
            await asyncio.sleep(self.rng.random() * 0.02)
        if is_sync and path.endswith("/push") and self._roll("hold"):
            self.held.append(await self._copy(request))
            self.log.append("hold push")
        if is_sync and self._roll("duplicate"):
            twin = await self._copy(request)
            self.log.append(f"duplicate {path}")
            first, second = await asyncio.gather(self._send(twin), self._send(await self._copy(request)),
                                                 return_exceptions=True)
            response = second if isinstance(second, httpx.Response) else first
            if not isinstance(response, httpx.Response):
                raise response
        else:
            response = await self._send(request)
        if is_sync and self._roll("server_error"):
            self.log.append(f"server_error {path}")
            return httpx.Response(503, json={"detail": {"code": "unavailable", "message": "injected"}},
                                  request=request)
        if self.mode in ("no_acks", "inbound_only") or (is_sync and self._roll("drop_response")):
            self.log.append(f"drop_response {path}")
            raise httpx.ReadTimeout("injected: response lost after the server committed", request=request)
        if path.endswith("/pull") and response.status_code == 200:
            if self.last_pull is not None and self._roll("stale"):
                self.log.append("stale pull")
                old = self.last_pull
                return httpx.Response(old.status_code, headers=old.headers, content=old.content, request=request)
            self.last_pull = response
            if self._roll("cut"):
                self.log.append("cut pull")
                return httpx.Response(200, headers={"content-type": "application/json"},
                                      content=response.content[: max(1, len(response.content) // 2)], request=request)
        return response

    async def flush_held(self) -> None:
        while self.held:
            old = self.held.pop(0)
            with contextlib.suppress(Exception):
                await self._send(old)


# --------------------------------------------------------------------------- clients


@dataclass
class Client:
    name: str
    path: Path
    store: DeskStore
    engine: SyncEngine
    transport: FaultyTransport
    user: User
    made: list[str] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        u = self.user
        return Actor(user_id=u.id, name=u.display_name, role=u.role, scope_kind=u.scope_kind, scope_code=u.scope_code,
                     township_code=u.township_code, device_id=self.store.device_id, device_name=self.name)

    def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> Any:
        return self.store.perform(self.actor, name, entity_id, args)

    def create_card(self, title: str, **extra: Any) -> str:
        cid = new_id()
        self.perform("test.card.create", cid, {"township_code": self.user.township_code or T1, "title": title,
                                                **extra})
        self.made.append(cid)
        return cid

    def cards(self) -> dict[str, dict[str, Any]]:
        with self.store.read() as s:
            return {c.id: row_to_dict(c) for c in s.scalars(select(TaskCard))}

    async def close(self) -> None:
        await self.engine.aclose()
        self.store.close()


async def make_client(server: Server, tmp: Path, name: str, username: str, *, seed: int = 0,
                      path: Path | None = None, login: bool = True, **engine_kw: Any) -> Client:
    path = path or tmp / f"{name}.db"
    copy_template("client", path)
    store = DeskStore(path)
    transport = FaultyTransport(server.transport(), random.Random(seed))
    kw = {"backoff_start": 0.02, "backoff_cap": 0.2, "pull_interval": 5.0, "rng": random.Random(seed),
          "page_size": 50}
    kw.update(engine_kw)
    engine = SyncEngine(store, "http://127.0.0.1", transport=transport, device_name=name, **kw)
    client = Client(name, path, store, engine, transport, server.users[username])
    if login:
        await engine.login(username, PASSWORD)
    return client


async def reopen(client: Client, server: Server, **engine_kw: Any) -> Client:
    """Restart the workstation process: close the engine and the store, open them again from the file."""
    await client.engine.aclose()
    await asyncio.to_thread(_drain, client.store)
    client.store.close()
    store = DeskStore(client.path)
    kw = {"backoff_start": 0.02, "backoff_cap": 0.2, "pull_interval": 5.0, "page_size": 50}
    kw.update(engine_kw)
    engine = SyncEngine(store, "http://127.0.0.1", transport=client.transport, device_name=client.name, **kw)
    return Client(client.name, client.path, store, engine, client.transport, client.user, client.made)


def _drain(store: DeskStore) -> None:
    with store._lock:  # wait for a write still running in a worker thread
        pass


# --------------------------------------------------------------------------- server-side views


def server_rows(server: Server, township: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Every synced row on the server (optionally of one township), by table then id."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with server.state.read() as s:
        for table, model in SYNCED_MODELS.items():
            q = select(model)
            if township and hasattr(model, "township_code") and table not in ("team_member", "roster_entry",
                                                                                "member_loan"):
                q = q.where(model.township_code == township)
            rows = {r.id: row_to_dict(r) for r in s.scalars(q)}
            if rows:
                out[table] = rows
    return out


def client_rows(client: Client) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with client.store.read() as s:
        for table, model in SYNCED_MODELS.items():
            rows = {r.id: row_to_dict(r) for r in s.scalars(select(model))}
            if rows:
                out[table] = rows
    return out


async def quiesce(server: Server, clients: list[Client], rounds: int = 12) -> None:
    """Turn faults off, release held requests, and sync every client until nothing is left to do."""
    for c in clients:
        c.transport.calm()
    for c in clients:
        await c.transport.flush_held()
    for _ in range(rounds):
        for c in clients:
            await c.engine.sync_once()
        if all(c.store.pending_count() == 0 for c in clients):
            break
    for c in clients:  # a final pull so everyone sees the last pushes of the others
        await c.engine.sync_once()


def run(coro_fn: Callable[[], Any]) -> Any:
    return asyncio.run(coro_fn())
