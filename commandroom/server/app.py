"""The FastAPI application factory for the county server."""

from __future__ import annotations

import importlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION, __version__
from commandroom.domain.errors import DomainError
from commandroom.server.state import ServerState, open_state

log = logging.getLogger(__name__)

# Routers by module; each module exposes ``router`` (and optionally ``install(app, state)``).
ROUTER_MODULES = [
    "commandroom.server.auth_api",
    "commandroom.server.sync_api",
    "commandroom.server.open311",
    "commandroom.server.photos",
    "commandroom.server.admin_api",
    "commandroom.server.scheduler",
    "commandroom.server.basemap_api",
    "commandroom.server.notices_api",
    "commandroom.server.field_api",
]


def create_app(db_url: str | None = None, *, state: ServerState | None = None, settings: object | None = None) -> FastAPI:
    """Build the app over a database (migrated on open) or an existing :class:`ServerState`."""
    if state is None:
        if db_url is None:
            raise ValueError("create_app needs db_url or state")
        state = open_state(db_url, settings=settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for hook in app.state.startup_hooks:
            await hook()
        yield
        for hook in app.state.shutdown_hooks:
            await hook()

    app = FastAPI(
        title="CommandRoom county server",
        version=__version__,
        description="乡镇综合信息指挥室 county server: sync, sign-in and Open311 intake.",
        lifespan=lifespan,
    )
    app.state.server = state
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        status = {"not_found": 404, "forbidden": 403}.get(exc.code, 422)
        return JSONResponse(status_code=status, content={"detail": exc.to_dict()})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}")
        return JSONResponse(
            status_code=422,
            content={"detail": {"code": "validation_error", "message": "; ".join(problems), "problems": problems}},
        )

    @app.get("/health")
    def health() -> dict:
        with state.read() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return {"ok": True, "version": __version__, "protocol_version": PROTOCOL_VERSION,
                "schema_version": SCHEMA_VERSION}

    for name in ROUTER_MODULES:
        module = importlib.import_module(name)  # every router is part of the server: a missing one is a crash
        app.include_router(module.router)
        install = getattr(module, "install", None)
        if install is not None:
            install(app, state)
    return app
