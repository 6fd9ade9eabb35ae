"""Restoring the county database from a backup, without losing what workstations already sent.

Runbook (also ``python -m commandroom.server.restore DB_URL``):

1. Stop every server process.
2. Restore the snapshot (``pg_restore`` into the database, or copy the SQLite file back).
3. Run ``python -m commandroom.server.restore DB_URL``: :func:`mark_restored` gives the
   database a new sync **epoch** and records ``restored_head`` = the head at the restore point.
4. Start the servers. Each workstation sees the new epoch on its next pull or poke, moves
   every journal entry acknowledged after ``restored_head`` (or under the old epoch) back to
   pending, re-pushes them (the server deduplicates by mutation id; those rows were lost with
   the restore anyway), downloads its buckets again from 0 keeping its outbox, and re-applies
   its pending changes on top.

If step 3 is forgotten, the startup check catches it: every server process keeps a marker
file outside the database (in the server's data directory) with the epoch and the highest
head it has seen. A database whose head is *below* the marker's head under the *same* epoch
went backwards — it was restored — and the server sets a new epoch itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from commandroom.ids import new_id
from commandroom.server import changelog

log = logging.getLogger(__name__)

MARKER_INTERVAL = 2.0  # seconds between marker refreshes while the server runs


def mark_restored(session: Session) -> dict[str, Any]:
    """Step 3 of the runbook: a new epoch, and ``restored_head`` = the head now (the restore point)."""
    row = changelog.counter(session)
    old = row.epoch
    row.epoch = new_id()
    row.restored_head = row.head
    session.flush()
    log.warning("sync epoch changed %s → %s after a restore; restored_head=%s", old, row.epoch, row.head)
    return {"old_epoch": old, "epoch": row.epoch, "restored_head": row.head}


def _data_dir(state: Any) -> Path:
    explicit = state.extras.get("marker_dir")
    if explicit:
        return Path(explicit)
    settings = getattr(state, "settings", None)
    data_dir = getattr(settings, "data_dir", None)
    if data_dir:
        return Path(data_dir)
    from commandroom.config import load_settings

    return load_settings().data_dir


def marker_path(state: Any) -> Path:
    """The marker file of this database, outside it: ``<data dir>/sync-marker-<hash of the URL>.json``."""
    url = make_url(state.db_url).render_as_string(hide_password=True)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return _data_dir(state) / f"sync-marker-{digest}.json"


def read_marker(path: Path) -> dict[str, Any] | None:
    try:
        return orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(orjson.dumps(data))
    os.replace(tmp, path)


def write_marker(state: Any) -> dict[str, Any]:
    """Record the epoch and the highest head seen (never lowers the head under the same epoch)."""
    path = marker_path(state)
    with state.read() as session:
        row = changelog.counter(session) if session.get(changelog.SyncCounter, 1) else None
        epoch, head = (row.epoch, row.head) if row else (None, 0)
    old = read_marker(path)
    if old and old.get("epoch") == epoch:
        head = max(head, int(old.get("head") or 0))
    data = {"epoch": epoch, "head": head}
    if data != old:
        _write(path, data)
    return data


def startup_check(state: Any) -> str | None:
    """Compare the database with its marker; set a new epoch if it went backwards. Returns why, or None."""
    path = marker_path(state)
    marker = read_marker(path)
    reason = None
    with state.transaction() as session:
        row = changelog.lock_counter(session)  # several server processes start together: one checks at a time
        if marker and marker.get("epoch") == row.epoch and row.head < int(marker.get("head") or 0):
            reason = (f"database head {row.head} is below the {marker['head']} this server saw before under the "
                      f"same epoch: it was restored without the runbook; setting a new epoch")
            log.warning(reason)
            mark_restored(session)
    _write(path, {"epoch": _epoch(state), "head": _head(state)})
    return reason


def _epoch(state: Any) -> str:
    with state.read() as session:
        return changelog.current_epoch(session)


def _head(state: Any) -> int:
    with state.read() as session:
        return changelog.head(session)


async def marker_keeper(state: Any, interval: float = MARKER_INTERVAL) -> None:
    """Keep the marker's head close to the database's while the server runs."""
    from fastapi.concurrency import run_in_threadpool

    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):
            await run_in_threadpool(write_marker, state)


def main(argv: list[str] | None = None) -> int:
    """``python -m commandroom.server.restore DB_URL``: step 3 of the runbook."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print(__doc__)
        print("usage: python -m commandroom.server.restore DB_URL", file=sys.stderr)
        return 2
    from commandroom.server.state import open_state

    state = open_state(argv[0])
    try:
        with state.transaction() as session:
            info = mark_restored(session)
        write_marker(state)
    finally:
        state.close()
    print(f"new sync epoch {info['epoch']} (was {info['old_epoch']}); restored head {info['restored_head']}. "
          f"Start the servers now; workstations will re-send what the restore lost.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
