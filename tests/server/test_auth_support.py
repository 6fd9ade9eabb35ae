"""Shared helpers for the auth, users, Open311, photos, audit, isolation and simulator tests (no tests here).

``seeded(db_url)`` fills the database the ``db_url`` fixture gave with the bundled reference
data, fast: it seeds one template per backend per session and copies it (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL). :class:`Server` wraps the real app
(``create_app``) with a TestClient and helpers to make accounts and count what was written.
"""

from __future__ import annotations

import atexit
import io
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from commandroom.domain.models import AuditEntry, ChangeLog, Photo, Report, User
from commandroom.store.db import is_sqlite, make_engine, normalise_url

QC = "330822111"  # 球川镇
BS = "330822104"  # 白石镇
TG = "330822211"  # 同弓乡
TM = "330822001"  # 天马街道
QC_SEAT = (28.87, 118.33)
TM_SEAT = (28.90403, 118.50549)

_TEMPLATES: dict[str, str] = {}


def _template_sqlite(tmp_root: Path) -> str:
    if "sqlite" not in _TEMPLATES:
        from commandroom.refdata.seed import seed_database

        path = tmp_root / f"o311-template-{uuid.uuid4().hex[:8]}.db"
        seed_database(f"sqlite:///{path}")
        _TEMPLATES["sqlite"] = str(path)
    return _TEMPLATES["sqlite"]


def _admin_engine(url: str):
    u = make_url(normalise_url(url))
    return make_engine(str(u.set(database="postgres")).replace("***", u.password or ""))


def _template_pg(url: str) -> str:
    if "pg" not in _TEMPLATES:
        from commandroom.refdata.seed import seed_database

        name = f"cr_tmpl_{uuid.uuid4().hex[:10]}"
        engine = _admin_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        seed_database(url.rsplit("/", 1)[0] + f"/{name}")
        _TEMPLATES["pg"] = name
        _TEMPLATES["pg_admin"] = url
        atexit.register(drop_templates)
    return _TEMPLATES["pg"]


def drop_templates() -> None:
    name = _TEMPLATES.pop("pg", None)
    admin = _TEMPLATES.pop("pg_admin", None)
    if name and admin:
        engine = _admin_engine(admin)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    path = _TEMPLATES.pop("sqlite", None)
    if path:
        Path(path).unlink(missing_ok=True)


def seeded(db_url: str, tmp_root: Path) -> str:
    """Fill the (empty) database at ``db_url`` with the reference data; returns the URL."""
    if is_sqlite(normalise_url(db_url)):
        src = _template_sqlite(tmp_root)
        dst = make_url(db_url).database
        shutil.copy(src, dst)
        return db_url
    tmpl = _template_pg(db_url)
    name = db_url.rsplit("/", 1)[1]
    engine = _admin_engine(db_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}"'))
    engine.dispose()
    return db_url


@dataclass
class Server:
    """The real app over a seeded database, with a TestClient and account helpers."""

    app: object
    client: object
    state: object
    passwords: dict[str, str] = field(default_factory=dict)

    def add_user(self, username: str, role: str, **kw) -> tuple[str, str | None]:
        """Create an account (password ``password-<username>``); returns (user id, api_key or None)."""
        from commandroom.server.users import create_user

        password = kw.pop("password", f"password-{username}")
        with self.state.transaction() as session:
            user, key = create_user(session, username=username, display_name=kw.pop("display_name", username),
                                    role=role, password=password, **kw)
            self.passwords[username] = password
            return user.id, key

    def login(self, username: str, device_id: str | None = None) -> dict:
        r = self.client.post("/api/v1/auth/login", json={
            "username": username, "password": self.passwords[username],
            "device_id": device_id or f"dev-{username}-{uuid.uuid4().hex[:6]}", "device_name": f"{username}的电脑"})
        assert r.status_code == 200, r.text
        return r.json()

    def bearer(self, username: str, device_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.login(username, device_id)['access_token']}"}

    def counts(self) -> dict[str, int]:
        with self.state.read() as session:
            return {m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0)
                    for m in (Report, ChangeLog, Photo, AuditEntry, User)}


def open_server(db_url: str, tmp_path: Path):
    """Context manager: a :class:`Server` over a seeded copy of the reference database."""
    from contextlib import contextmanager

    from fastapi.testclient import TestClient

    from commandroom.server.app import create_app

    @contextmanager
    def _cm():
        url = seeded(db_url, tmp_path)
        app = create_app(url)
        state = app.state.server
        state.extras["photos_dir"] = str(tmp_path / "photos")
        try:
            with TestClient(app) as client:
                yield Server(app=app, client=client, state=state)
        finally:
            state.close()

    return _cm()


def jpeg_bytes(size: tuple[int, int] = (800, 600), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=85)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 128)).save(out, format="PNG")
    return out.getvalue()


def free_port() -> int:
    """A port free now, for a server in another process (one in this process takes a :func:`bound_socket`)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bound_socket(port: int = 0):
    """A loopback socket bound (not yet listening: a client is refused) to ``port``, 0 for any free one.

    Handed to uvicorn (``run(sockets=[...])``), the port stays this test's from the moment it is chosen:
    a port only looked up and bound later by the server can meanwhile be taken by another run's server
    or by any outgoing connection, which fails the start with "address in use".
    """
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def uvicorn_thread(app, *, certfile: str | None = None, keyfile: str | None = None):
    """Context manager: uvicorn serving ``app`` on a free loopback port in a thread; yields the base URL."""
    import threading
    import time
    from contextlib import contextmanager

    import uvicorn

    @contextmanager
    def _cm():
        sock = bound_socket()
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ssl_certfile=certfile,
                                ssl_keyfile=keyfile, lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        try:
            yield f"{'https' if certfile else 'http'}://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=20)

    return _cm()
