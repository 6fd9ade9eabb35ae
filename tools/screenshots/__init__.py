"""Scripts that regenerate docs/screenshots: ``python -m tools.screenshots.<area> --out DIR [--lang en]``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

LANG = "zh_CN"
"""The language the running script shoots in (``--lang``); English shots are named ``en_<name>.png``."""


def private_home() -> None:
    """Shots start from the default layout: a fresh ``COMMANDROOM_HOME`` unless one is set, so widths an officer
    (or an earlier run in another language) left in the user's ``ui-state.ini`` are neither read nor changed."""
    import os

    os.environ.setdefault("COMMANDROOM_HOME", tempfile.mkdtemp(prefix="cr-shots-home-"))


def shot_name(name: str) -> str:
    """``name`` as saved in the language of this run: ``wall_zones.png`` or ``en_wall_zones.png``."""
    return name if LANG.startswith("zh") else f"en_{name}"


def seeded_store_copy(name: str, days: int) -> Path:
    """A private copy of a store seeded with ``days`` of demo history; the seed is built once per ``name``.

    Seeding takes a while, so each script keeps one seeded file in the temp folder (built under a
    temporary name, then renamed, so an interrupted build is never taken for a finished one).
    """
    cache = Path(tempfile.gettempdir()) / "commandroom-shots" / f"{name}.db"
    if not cache.exists():
        from commandroom.refdata.seed import seed_database

        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        seed_database(f"sqlite:///{tmp}", demo_days=days)
        tmp.replace(cache)
    work = Path(tempfile.mkdtemp(prefix=f"cr-{name}-")) / "workstation.db"
    shutil.copy(cache, work)
    return work
