"""``commandroom serve``: run the county server with uvicorn, in one process or several (PostgreSQL).

With ``--workers N`` (N > 1) uvicorn starts N server processes on the same port. The parent
migrates the database once, then hands the resolved settings to the workers in the environment
(:data:`SETTINGS_ENV`); each worker builds its own app (:func:`worker_app`). Nothing the
processes share lives in memory: the change-log order and every read-modify-write are
serialized by the counter-row lock in PostgreSQL, pokes cross processes by LISTEN/NOTIFY
(``events.py``), the sign-in rate limit is counted in the database. SQLite is refused: its
single writer gains nothing from a second process, and its pokes do not cross processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import os
from pathlib import Path
from typing import IO, Any

import orjson

from commandroom.config import Settings, setup_logging
from commandroom.domain.errors import ValidationError

log = logging.getLogger(__name__)

SETTINGS_ENV = "COMMANDROOM_SERVE_SETTINGS"  # the parent's resolved settings, for the worker processes
_SLOT: list[IO[bytes]] = []  # the lock file that names this worker's log, held while the process lives


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "ssl_certfile": settings.tls_cert or None,
        "ssl_keyfile": settings.tls_key or None,
    }


def serve(settings: Settings, *, workers: int = 1) -> int:
    import uvicorn

    from commandroom.server.app import create_app
    from commandroom.store.db import is_sqlite, normalise_url

    url = settings.server_db_url
    if workers < 1:
        raise ValidationError("--workers", f"must be at least 1, got {workers}")
    if workers > 1 and is_sqlite(normalise_url(url)):
        raise ValidationError(
            "--workers", f"{workers} server processes need PostgreSQL (db_url); the SQLite database {url} has a "
                         "single writer and its pokes do not cross processes. Run one process, or set db_url to "
                         "a PostgreSQL database")
    log_path = setup_logging(settings, "county-server")
    if settings.tls_cert or settings.tls_key:
        from commandroom.server.tls import check_files

        check_files(settings.tls_cert, settings.tls_key)
    scheme = "https" if settings.tls_cert else "http"
    if workers == 1:
        app = create_app(url, settings=settings)
        freeze_heap()
        print(f"CommandRoom county server on {scheme}://{settings.host}:{settings.port}  "
              f"(database {url}; log {log_path})", flush=True)
        uvicorn.Server(uvicorn.Config(app, **_uvicorn_options(settings))).run()
        return 0
    from commandroom.server.state import open_state

    open_state(url, settings=settings).close()  # migrate once, before the workers start
    os.environ[SETTINGS_ENV] = _dump(settings)
    print(f"CommandRoom county server on {scheme}://{settings.host}:{settings.port}, {workers} processes  "
          f"(database {url}; logs {log_path.with_name('county-server-<n>.log')})", flush=True)
    run_workers("commandroom.server.run:worker_app", workers, **_uvicorn_options(settings))
    return 0


def run_workers(factory: str, workers: int, **options: Any) -> None:
    """``uvicorn.run(factory, factory=True, workers=…)``, with TCP_NODELAY on the shared listening socket.

    uvicorn binds that socket with protocol 0, so asyncio does not set TCP_NODELAY on the connections
    it accepts (it does only for ``IPPROTO_TCP`` sockets, as in the one-process server): a response
    written as headers then body then waits for the client's delayed ACK, 40 ms on Linux, on every
    busy connection. Accepted connections inherit the option from the listening socket.
    """
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(factory, factory=True, workers=workers, **options)
    sock = config.bind_socket()
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()


def worker_app():  # a FastAPI app; uvicorn calls this in each worker process
    """The app of one worker process of ``serve --workers N`` (settings from :data:`SETTINGS_ENV`)."""
    from commandroom.server.app import create_app
    from commandroom.server.state import open_state

    settings = _load(os.environ[SETTINGS_ENV])
    setup_logging(settings, f"county-server-{_claim_slot(settings.log_dir)}")
    app = create_app(state=open_state(settings.server_db_url, migrate=False, settings=settings))
    freeze_heap()
    return app


YOUNG_THRESHOLD = 7000
"""Container objects a server process allocates (net of those freed) before a young collection; Python's default
is 700. A request's objects (ORM rows, statements, JSON) are in flight for milliseconds: with 700 a poked server ran
~800 young collections in 30 s, and what they found still in flight was promoted, so that every ~5 s a full
collection walked the process's caches with every thread stopped (27-48 ms). With 7000 most of it is freed before a
collection comes: ~17 young collections and no full one in 30 s, GC time 80-125 ms instead of 650-700 ms
(docs/performance.md, session 13)."""


def freeze_heap() -> None:
    """Keep what a server process has built at start out of the cyclic collector's full passes.

    Modules, the mapper registry and the app live as long as the process. Without this, a full
    collection walks ~170,000 objects and holds the GIL for about 0.1 s, stopping every request
    (seen as 0.1 s steps in the push latency under load). Only for a process that is a server:
    the desktop has its own policy (``ui/gc_policy.py``), and an embedded server leaves it alone.
    Young collections then come every :data:`YOUNG_THRESHOLD` objects, so a request's own objects are mostly freed
    before one looks at them.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _dump(settings: Settings) -> str:
    data = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    return orjson.dumps(data, default=str).decode()


def _load(text: str) -> Settings:
    data = orjson.loads(text)
    for key in ("config_dir", "data_dir", "log_dir"):
        data[key] = Path(data[key])
    return Settings(**data)


def _claim_slot(log_dir: Path, limit: int = 64) -> int:
    """A small number for this worker, unique among the running ones (its log file), held until it exits.

    Each worker logs to a file of its own: a rotating log shared by several processes loses lines
    (and on Windows cannot be renamed while another process holds it open).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1, limit + 1):
        handle = open(log_dir / f".county-server-{n}.lock", "a+b")  # noqa: SIM115 - held for the process's life
        try:
            if os.name == "nt":
                import msvcrt

                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            with contextlib.suppress(OSError):
                handle.close()
            continue
        _SLOT.append(handle)
        return n
    return os.getpid()
