"""One malloc heap for the wall's process, so that its resident memory stays flat for weeks.

glibc gives each thread that allocates its own heap ("arena") as long as there are fewer than
eight per core. The wall's two database readers and its writer each got one: SQLite's page
caches (filling towards their bound as the store grows), its sort buffers (growing with the
30-day closure window) and the rows read landed there, between long-lived pages, so each of
these small heaps grew in steps while the main heap, on the same process, kept tens of MiB
free. Measured over seven simulated days after a two-day warm-up (tests/perf/bench_wall_soak.py,
/proc/self/smaps and ``malloc_info`` per sample): the thread heaps were the whole anonymous RSS
growth, 0.17 MiB per day, in steps of ~1.5 MiB, while what all threads held grew by about 1 MiB
(page caches filling to their bound, glyphs). With one heap the readers reuse the main heap's free
memory: anonymous RSS flat over the week (and over 30 simulated days) and about 10 MiB lower.

The wall's threads allocate little and rarely at the same time (its readers run a refresh every
few seconds); small blocks come from each thread's own cache (glibc's tcache) without taking the
heap's lock. The desk, which reads a million-row table on its readers while syncing, keeps
glibc's default.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's <malloc.h>


def use_one_heap() -> bool:
    """Make every thread started from now on allocate from the main heap (glibc only); True if set.

    Call it first thing, before any thread has allocated: threads that already have their own
    heap keep it, and glibc fixes the limit once a ninth heap would be needed.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to do
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_ARENA_MAX, 1))
    if not done:
        log.info("wall: malloc would not take a single heap; its threads keep their own")
    return done
