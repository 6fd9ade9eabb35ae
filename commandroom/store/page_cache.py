"""A smaller SQLite page cache for a store that only shows data (the wall).

Every connection of a store keeps up to 64 MiB of database pages (``PRAGMA cache_size`` in
:mod:`commandroom.store.db`), which suits the desk: the incident table reads a million rows.
The wall's pages aggregate over the whole store, so each of its connections keeps caching new
pages as the data grows, up to that bound: over a simulated week that was most of the wall's RSS
growth (tests/perf/bench_wall_soak.py; 6.2 MiB with 64 MiB caches, 1.4 MiB with 2 MiB). The
operating system's file cache still holds the file, so the wall's reads stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event

if TYPE_CHECKING:
    from commandroom.store.local import DeskStore

WALL_PAGE_CACHE_KIB = 2048  # SQLite's own default


def bound_page_cache(store: DeskStore, kib: int = WALL_PAGE_CACHE_KIB) -> None:
    """Limit every connection of ``store`` to ``kib`` KiB of page cache, from now on.

    Call it before the store is used from other threads: the pooled connections are closed so
    that each is reopened with the bound.
    """
    pragma = f"PRAGMA cache_size=-{int(kib)}"

    def _bound(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(pragma)
        cur.close()

    for engine in (store.read_engine, store.write_engine):
        event.listen(engine, "connect", _bound)  # after the store's own connect hook: this value wins
        engine.dispose()
