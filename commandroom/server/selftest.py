"""``commandroom-server --self-test``: prove that an installed (or frozen) county server works, then exit.

Runs on a throw-away SQLite database in a temporary folder and touches nothing else:

1. migrate the database to the newest revision (Alembic reads its scripts from disk);
2. load the bundled reference data (``data/``) into it;
3. import every router module and every mutation module (loaded by name, so a build that
   missed one would otherwise only fail on the first request that needs it);
4. check the native pieces: the PostgreSQL driver (psycopg with its libpq), argon2, Pillow;
5. start the app with uvicorn on a free loopback port in a thread and ask ``GET /health``.

Prints one line per step and returns 0 when all passed, 1 otherwise.
"""

from __future__ import annotations

import importlib
import io
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START_TIMEOUT = 30.0


class SelfTestError(Exception):
    """A step of the self-test failed."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _migrate(url: str) -> str:
    from commandroom.store.db import make_engine
    from commandroom.store.migrate import HEAD_REVISION, current_revision, script_head, upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        revision = current_revision(engine)
    finally:
        engine.dispose()
    head = script_head()
    if revision != head or head != HEAD_REVISION:
        raise SelfTestError(f"database at {revision}, scripts' head {head}, code expects {HEAD_REVISION}")
    return f"migrated a temporary SQLite database to revision {revision}"


def _reference(url: str) -> str:
    from commandroom.refdata.geo import DEFAULT_DATA_DIR
    from commandroom.refdata.loader import load_reference_data

    result = load_reference_data(url)
    if not result.changes:
        raise SelfTestError(f"no reference rows were loaded from {DEFAULT_DATA_DIR}")
    return f"loaded {result.changes} reference rows from {DEFAULT_DATA_DIR}"


def _modules() -> str:
    from commandroom.mutations import core
    from commandroom.server.app import ROUTER_MODULES

    for name in ROUTER_MODULES:
        importlib.import_module(name)
    core._load_all()
    if "report.create" not in core.REGISTRY:
        raise SelfTestError(f"the mutation registry lacks report.create ({len(core.REGISTRY)} registered)")
    return f"{len(ROUTER_MODULES)} router modules and {len(core.REGISTRY)} mutations loaded"


def _native() -> str:
    parts = []
    try:
        import psycopg
    except ImportError as exc:
        if getattr(sys, "frozen", False):
            raise SelfTestError(f"the PostgreSQL driver is missing: {exc}") from None
        parts.append("psycopg not installed (SQLite only)")
    else:
        importlib.import_module("sqlalchemy.dialects.postgresql.psycopg")
        libpq = psycopg.pq.version()
        parts.append(f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}, libpq {libpq // 10000}.{libpq % 10000})")
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if not hasher.verify(hasher.hash("self-test"), "self-test"):
        raise SelfTestError("argon2 could not verify its own hash")
    parts.append("argon2 ok")
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="JPEG")
    parts.append(f"Pillow ok ({len(buf.getvalue())} byte JPEG)")
    return "; ".join(parts)


def _serve_and_ask(url: str) -> str:
    import httpx
    import uvicorn

    from commandroom import __version__
    from commandroom.server.app import create_app

    app = create_app(url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="self-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SelfTestError(f"uvicorn did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10) as client:
            response = client.get("/health")
            paths = len(client.get("/openapi.json").json().get("paths", {}))
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or body.get("ok") is not True or body.get("version") != __version__:
        raise SelfTestError(f"GET /health answered {response.status_code}: {response.text[:200]}")
    return f"GET /health on 127.0.0.1:{port} -> 200 {body}; {paths} API paths"


def run_self_test(out: Any = None) -> int:
    """Run every step on a temporary database; print a line per step to ``out`` (stdout); 0 when all passed."""
    out = out if out is not None else sys.stdout

    def say(text: str) -> None:
        print(f"server self-test: {text}", file=out, flush=True)

    failed = 0
    with tempfile.TemporaryDirectory(prefix="commandroom-server-selftest-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'self-test.db'}"
        steps: list[tuple[str, Callable[[], str]]] = [
            ("migrate", lambda: _migrate(url)),
            ("reference data", lambda: _reference(url)),
            ("modules", _modules),
            ("native libraries", _native),
            ("serve", lambda: _serve_and_ask(url)),
        ]
        for name, step in steps:
            started = time.perf_counter()
            try:
                text = step()
            except Exception as exc:  # noqa: BLE001 - every failure is reported, then the next step runs
                failed += 1
                say(f"FAILED {name}: {type(exc).__name__}: {exc}")
            else:
                say(f"{text} ({time.perf_counter() - started:.1f} s)")
    say("all passed" if not failed else f"{failed} step(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_self_test())
