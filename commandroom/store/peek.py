"""A few ``local_meta`` values of a workstation database, read with the standard library only.

The desktop shows its sign-in dialog before SQLAlchemy and the models are imported (they are
most of a cold start, issue #4). The dialog needs only the server URL, workstation name and last
user name, which :class:`commandroom.store.local.DeskStore` keeps in ``local_meta`` as JSON
text. This reads them there, so ``local_meta`` stays their single source.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TABLE = "local_meta"  # commandroom.domain.models.LocalMeta (tests/ui/test_login.py checks they agree)


def peek_meta(path: str | Path, keys: Iterable[str]) -> dict[str, Any]:
    """The stored values of ``keys`` in the database at ``path``; missing keys are left out.

    Never creates or changes the database: a first run (no file yet), an older file or one that
    cannot be read gives ``{}``, and the caller falls back to its defaults.
    """
    path = Path(path)
    keys = list(keys)
    if not keys or not path.is_file():
        return {}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
        try:
            rows = conn.execute(f"SELECT key, value FROM {TABLE} WHERE key IN ({', '.join('?' * len(keys))})",
                                keys).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot read %s from %s: %s", ", ".join(keys), path, exc)
        return {}
    values: dict[str, Any] = {}
    for key, raw in rows:
        try:
            value = json.loads(raw) if isinstance(raw, str | bytes) else raw  # numeric affinity: JSON "2" is 2
        except ValueError:
            continue
        if value is not None:
            values[key] = value
    return values
