"""Small helpers for SQL the read side and the services build."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def in_values(values: Iterable[T]) -> list[T]:
    """``values`` as a list for ``column.in_(…)``, padded to a power-of-two length by repeating its last value.

    Each length of an IN list is a different SQL text, which SQLite prepares and keeps in each
    connection's statement cache (about 30 KB each, up to 128 per connection). A screen that asks
    for 1, 2, … 500 ids over the weeks (the wall's urgent items, its zones' open incidents) filled
    those caches with statements used once: a slow rise of the wall's memory (issue 21). Repeating a
    value changes nothing an IN matches; powers of two leave at most ten texts per query.
    """
    out = list(values)
    n = len(out)
    if n > 1:
        out.extend([out[-1]] * ((1 << (n - 1).bit_length()) - n))
    return out
