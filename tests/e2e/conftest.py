"""End-to-end harness: the real county app over real HTTP on loopback, real mutations, real reference data.

* :class:`LiveServer` runs ``create_app`` under uvicorn in a thread on a fixed free loopback port (bound when
  the server is made, so no other run can take it before the start).
  ``stop()`` / ``start()`` bring it down and up again on the *same* database and port; every start
  opens a fresh :class:`~commandroom.server.state.ServerState` and app, as a restarted server
  process would.
* :class:`Workstation` is a duty officer's desk: a :class:`~commandroom.store.local.DeskStore` and a
  :class:`~commandroom.sync.engine.SyncEngine` signed in over HTTP, writing only through
  ``DeskStore.perform`` (offline-first).
* ``county`` (fixture, over SQLite and PostgreSQL via ``db_url``): a database seeded with the bundled
  reference data (``seed_database``), a grid worker of 球川 with an Open311 api_key, two 球川 duty
  officers and a 天马 duty officer, and the server started.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest_asyncio
import uvicorn
from sqlalchemy import select

from commandroom.domain.models import SYNCED_MODELS, row_to_dict
from commandroom.ids import new_id
from commandroom.mutations.core import Actor
from commandroom.store.local import DeskStore
from commandroom.sync.engine import SyncEngine
from tests.server.test_auth_support import QC, QC_SEAT, TM, TM_SEAT, bound_socket, seeded
from tests.sync.helpers import copy_template

PASSWORD = "e2e-password-1"
QC_POINT = QC_SEAT  # inside 球川镇's area
TM_POINT = TM_SEAT  # inside 天马街道's area
SERVICE = "urban_parking"  # routed by the list (CE-02 in 球川)
COMPARED = ("incident", "report", "timeline_entry", "dispatch")

__all__ = [
    "PASSWORD",
    "QC",
    "QC_POINT",
    "SERVICE",
    "TM",
    "TM_POINT",
    "County",
    "DuplicatingTransport",
    "LiveServer",
    "Workstation",
    "new_id",
    "server_township_rows",
    "township_rows",
    "wait_until",
]


# --------------------------------------------------------------------------- the server


class LiveServer:
    """The county app under uvicorn in a thread, on one loopback port that survives restarts."""

    def __init__(self, db_url: str, tmp: Path, *, heartbeat: float = 0.5) -> None:
        self.db_url = db_url
        self.tmp = tmp
        self.heartbeat = heartbeat
        self._socket: Any = bound_socket()  # the port is this server's from now on (handed to uvicorn at start)
        self.port: int = self._socket.getsockname()[1]
        self.state: Any = None
        self.app: Any = None
        self._uv: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        from commandroom.server.app import create_app
        from commandroom.server.state import open_state

        state = open_state(self.db_url)
        state.extras["marker_dir"] = str(self.tmp / "server-data")
        state.extras["sse_heartbeat"] = self.heartbeat
        state.extras["photos_dir"] = str(self.tmp / "photos")
        state.extras["basemaps_dir"] = str(self.tmp / "basemaps")
        app = create_app(state=state)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                timeout_graceful_shutdown=1)
        uv = uvicorn.Server(config)
        # a restart binds the same port again (free since the stop, unless something took it meanwhile)
        sock, self._socket = self._socket or bound_socket(self.port), None
        thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{self.port}",
                                  daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not uv.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.02)
        self.state, self.app, self._uv, self._thread = state, app, uv, thread
        self.starts += 1

    def stop(self) -> None:
        """Bring the server down (open SSE streams are cut after 1 s of graceful shutdown)."""
        if self._uv is None:
            return
        self._uv.should_exit = True
        assert self._thread is not None
        self._thread.join(timeout=20)
        if self._thread.is_alive():
            self._uv.force_exit = True
            self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "uvicorn did not stop"
        self.state.close()
        self._uv = None

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)


class DuplicatingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, but every ``/sync/push`` is delivered twice: one after the other, or both at once.

    The workstation sees the second answer (as after a retry whose first answer was lost).
    Everything else, the SSE stream included, passes through untouched.
    """

    def __init__(self, *, concurrent: bool = False) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.concurrent = concurrent
        self.duplicated = 0
        self.answers: list[dict[str, Any]] = []

    async def _send(self, request: httpx.Request, body: bytes) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = await self.inner.handle_async_request(copy)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or not request.url.path.endswith("/api/v1/sync/push"):
            return await self.inner.handle_async_request(request)
        body = await request.aread()
        self.duplicated += 1
        if self.concurrent:
            first, second = await asyncio.gather(self._send(request, body), self._send(request, body))
        else:
            first = await self._send(request, body)
            second = await self._send(request, body)
        self.answers.extend(orjson.loads(r.content) for r in (first, second))
        return second

    async def aclose(self) -> None:
        await self.inner.aclose()


# --------------------------------------------------------------------------- workstations


@dataclass
class Workstation:
    """One officer's desk: the local store every screen reads and the sync engine, signed in."""

    name: str
    path: Path
    store: DeskStore
    engine: SyncEngine
    user: dict[str, Any]

    @property
    def actor(self) -> Actor:
        u = self.user
        return Actor(user_id=u["id"], name=u.get("display_name") or u["username"], role=u["role"],
                     scope_kind=u.get("scope_kind") or "township", scope_code=u.get("scope_code"),
                     township_code=u.get("township_code"), device_id=self.store.device_id,
                     device_name=self.name, roles=tuple(u.get("roles") or ()),
                     department_code=u.get("department_code"))

    def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> Any:
        """What a button does: apply locally and queue for the server in one transaction."""
        return self.store.perform(self.actor, name, entity_id, args)

    def get(self, table: str, entity_id: str) -> dict[str, Any] | None:
        model = SYNCED_MODELS[table]
        with self.store.read() as s:
            row = s.get(model, entity_id)
            return None if row is None else row_to_dict(row)

    def rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        model = SYNCED_MODELS[table]
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        with self.store.read() as s:
            return [row_to_dict(r) for r in s.scalars(q)]

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        return sorted(self.rows("timeline_entry", incident_id=incident_id), key=lambda r: r["id"])

    async def sync(self) -> bool:
        return await self.engine.sync_once()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.engine.aclose(), 15)
        with self.store._lock:  # let a write still running in a worker thread finish
            pass
        self.store.close()


def township_rows(ws: Workstation, township: str = QC,
                  tables: Iterable[str] = COMPARED) -> dict[str, dict[str, dict[str, Any]]]:
    """The workstation's rows of one township, by table then id: every column."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with ws.store.read() as s:
        for table in tables:
            model = SYNCED_MODELS[table]
            out[table] = {r.id: row_to_dict(r) for r in
                          s.scalars(select(model).where(model.township_code == township))}
    return out


def server_township_rows(server: LiveServer, township: str = QC,
                         tables: Iterable[str] = COMPARED) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with server.state.read() as s:
        for table in tables:
            model = SYNCED_MODELS[table]
            out[table] = {r.id: row_to_dict(r) for r in
                          s.scalars(select(model).where(model.township_code == township))}
    return out


async def wait_until(pred: Callable[[], Any], timeout: float, what: str = "condition",
                     interval: float = 0.02) -> float:
    """Poll ``pred`` until it is truthy; the seconds it took (AssertionError after ``timeout``, at least 30 s).

    A deadline only ends a wait that is failing anyway: none is shorter than 30 s, which a loaded machine
    (two cores shared by the main pass, the moment runs and more) can need for a round trip or a restart.
    """
    timeout = max(timeout, 30.0)
    t0 = time.perf_counter()
    while True:
        if pred():
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(interval)


# --------------------------------------------------------------------------- the county


@dataclass
class County:
    """A seeded county server with accounts, and the workstations opened in this test."""

    server: LiveServer
    tmp: Path
    api_key: str  # the 球川 grid worker's Open311 key
    workstations: list[Workstation] = field(default_factory=list)
    _http: httpx.AsyncClient | None = None

    async def workstation(self, name: str, username: str, *, transport: httpx.AsyncBaseTransport | None = None,
                          first_sync: bool = True, **engine_kw: Any) -> Workstation:
        """A new desk signed in as ``username`` (and, by default, with its first download done)."""
        path = self.tmp / f"ws-{name}.db"
        copy_template("client", path)
        store = DeskStore(path)
        kw: dict[str, Any] = {"backoff_start": 0.2, "backoff_cap": 1.0, "pull_interval": 60.0,
                              "heartbeat_timeout": 3.0, "request_timeout": 10.0}
        kw.update(engine_kw)
        engine = SyncEngine(store, self.server.url, transport=transport, device_name=name, **kw)
        user = await engine.login(username, PASSWORD, name)
        ws = Workstation(name, path, store, engine, user)
        self.workstations.append(ws)
        if first_sync:
            assert await engine.sync_once(raise_errors=True)
        return ws

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.server.url, timeout=30)
        return self._http

    async def post_report(self, description: str = "球川镇镇区主干道机动车违停，堵塞交通", *,
                          point: tuple[float, float] = QC_POINT, idempotency_key: str | None = None,
                          device_id: str | None = None, service_code: str = SERVICE) -> httpx.Response:
        """A grid worker's phone posting a report through Open311."""
        data = {"api_key": self.api_key, "service_code": service_code, "lat": str(point[0]),
                "long": str(point[1]), "description": description}
        if device_id:
            data["device_id"] = device_id
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return await self.http.post("/open311/v2/requests.json", data=data, headers=headers)

    async def report(self, description: str = "球川镇镇区主干道机动车违停，堵塞交通", **kw: Any) -> str:
        """Post a report; its id (the Open311 token)."""
        r = await self.post_report(description, **kw)
        assert r.status_code == 201, r.text
        return r.json()[0]["token"]

    async def close(self) -> None:
        for ws in self.workstations:
            await ws.close()
        if self._http is not None:
            await self._http.aclose()


def make_accounts(state: Any) -> str:
    """球川 grid worker (returns the api_key), officers qc1/qc2 of 球川, tm1 of 天马, coordinator cc."""
    from commandroom.server.users import create_user

    with state.transaction() as s:
        _, key = create_user(s, username="gw-qc", display_name="王网格", role="grid_worker", township_code=QC,
                             password=PASSWORD, phone="13800000001")
        for username, display, township in (("qc1", "球川值班甲", QC), ("qc2", "球川值班乙", QC),
                                            ("tm1", "天马值班", TM)):
            create_user(s, username=username, display_name=display, role="duty_officer", township_code=township,
                        password=PASSWORD)
        create_user(s, username="cc", display_name="县协调", role="county_coordinator", password=PASSWORD)
    assert key
    return key


@pytest_asyncio.fixture
async def county(db_url, tmp_path):
    url = seeded(db_url, tmp_path)
    server = LiveServer(url, tmp_path)
    await server.astart()
    key = make_accounts(server.state)
    c = County(server, tmp_path, key)
    try:
        yield c
    finally:
        await c.close()
        if server.running:
            await server.astop()
