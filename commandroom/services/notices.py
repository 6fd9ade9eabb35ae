"""What the desks raise a banner for when it arrives by sync: the county server's pre-breach warnings.

The scheduler (``commandroom.server.scheduler``) writes one 即将超时预警 timeline entry per running
clock entering its warning window; a desk shows a banner for each that reaches it while the clock
still runs. (A notices channel may carry them later as well.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.models import Incident, TimelineEntry, Township
from commandroom.timeutil import parse_iso

CLOCK_LABELS = {"ack": "签收", "onsite": "到场", "close": "办结"}


@dataclass(frozen=True)
class BreachWarning:
    entry_id: str
    incident_id: str
    number: str
    title: str
    township_name: str
    clock: str  # ack / onsite / close
    due: datetime  # naive UTC


def breach_warnings(session: Session, entry_ids: Iterable[str], now: datetime) -> list[BreachWarning]:
    """The pre-breach warnings among timeline entries ``entry_ids`` whose clock has not run out at ``now``."""
    ids = sorted(set(entry_ids))
    if not ids:
        return []
    rows = session.execute(
        select(TimelineEntry.id, TimelineEntry.data, Incident.id, Incident.number, Incident.title,
               Incident.state, Township.name)
        .join(Incident, Incident.id == TimelineEntry.incident_id)
        .join(Township, Township.code == Incident.township_code, isouter=True)
        .where(TimelineEntry.id.in_(ids), TimelineEntry.action == "breach_warning",
               TimelineEntry.deleted.is_(False))
    ).all()
    out = []
    for entry_id, data, incident_id, number, title, state, township in rows:
        data = data or {}
        try:
            due = parse_iso(str(data.get("due")))
        except ValueError:
            continue
        if state == "closed" or due is None or due <= now or data.get("clock") not in CLOCK_LABELS:
            continue
        out.append(BreachWarning(entry_id, incident_id, number or "", title or "", township or "",
                                 data["clock"], due))
    out.sort(key=lambda w: (w.due, w.entry_id))
    return out
