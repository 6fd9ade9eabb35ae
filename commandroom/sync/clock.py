"""How far this workstation's clock is from the county server's, from the ``Date`` header of its answers.

The server never reads a workstation's clock to merge (row versions decide, and it stamps merge order
and deadline starts with its own ``ctx.now``), so a wrong clock does not change data. It does keep the
moment each act was made (``occurred_at``: this desk's corrected clock, bounded by the server and
flagged when the skew level was warn/bad, see docs/sync-protocol.md). It does make what the desk
shows wrong: deadline countdowns, the status-bar clock, the optimistic stamps of offline work. The
engine measures the offset on every answer; from :data:`CLOCK_WARN_SECONDS` on the status bar warns
and the desk uses server-corrected time (``SyncStatus.clock_correction``, ``DeskStore.now``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

CLOCK_WARN_SECONDS = 60.0
"""From here the status bar warns (amber) and the desk shows server-corrected time."""

CLOCK_BAD_SECONDS = 300.0
"""From here the warning is red: Anki's ``ClockIncorrect`` limit (docs/sync-protocol.md, clock skew)."""


def server_epoch(headers: Mapping[str, str]) -> float | None:
    """The server's time (Unix seconds) from an HTTP ``Date`` header; None when absent or unreadable."""
    value = headers.get("date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


class ClockEstimator:
    """Offset = server time − local time, from (server ``Date``, local send time, round trip) samples.

    ``Date`` has whole seconds, so a sample is good to ±(0.5 s + half the round trip); the estimate is
    the sample with the smallest such error among the last ``window`` (NTP's clock filter). A sample
    that disagrees with the estimate by more than both errors means the local clock was set: start over.
    """

    def __init__(self, window: int = 8) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=window)  # (error bound, offset)

    @property
    def offset(self) -> float | None:
        if not self._samples:
            return None
        return min(self._samples)[1]

    def add(self, server_time: float, sent_at: float, round_trip: float) -> float:
        """Record one answer (``sent_at``: the local Unix time the request left); returns the estimate."""
        round_trip = max(0.0, round_trip)
        # the server read its clock somewhere in [Date, Date + 1) while we waited: assume the middle of both
        offset = (server_time + 0.5) - (sent_at + round_trip / 2)
        error = 0.5 + round_trip / 2
        if self._samples:
            best_error, best = min(self._samples)
            if abs(offset - best) > error + best_error + 1.0:
                self._samples.clear()
        self._samples.append((error, offset))
        return self.offset  # type: ignore[return-value]


def skew_level(offset: float | None) -> str:
    """``""`` (fine or unknown), ``"warn"`` from 60 s, ``"bad"`` from 300 s, either direction."""
    if offset is None:
        return ""
    size = abs(offset)
    if size >= CLOCK_BAD_SECONDS:
        return "bad"
    if size >= CLOCK_WARN_SECONDS:
        return "warn"
    return ""
