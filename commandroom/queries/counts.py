"""The duty counts every screen shows — open and overdue incidents, waiting and overdue check-ins.

The handover (交接班), the wall (大屏), 联动指挥, the daily briefing and the incident list's 超时
filter all show these numbers; they count with the rules of :mod:`commandroom.domain.clocks`, so at
one moment they agree (``tests/core/test_same_numbers.py`` builds one situation and checks every
screen). Words on screen:

* 待报到 — every open check-in (the overdue ones included);
* 超时 / 超时未报到 — the open check-ins past their due time;
* 已督办 — open check-ins that were escalated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandroom.domain.clocks import (
    checkin_open_expr,
    checkin_overdue_expr,
    open_incident_expr,
    overdue_expr,
)
from commandroom.domain.models import CaseCheckin, Incident


@dataclass(frozen=True)
class DutyCounts:
    """What is open and what is late in a scope at one moment."""

    open_incidents: int
    overdue_incidents: int
    checkins_open: int
    checkins_overdue: int
    checkins_escalated: int

    @property
    def checkins_not_due(self) -> int:
        """Open check-ins whose time has not run out yet."""
        return self.checkins_open - self.checkins_overdue


def _in_scope(column: Any, township_codes: Sequence[str] | None) -> list[Any]:
    return [] if township_codes is None else [column.in_(list(township_codes))]


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def duty_counts(session: Session, township_codes: Sequence[str] | None, now: datetime) -> DutyCounts:
    """:class:`DutyCounts` for ``township_codes`` (None: the whole county) at ``now`` (naive UTC)."""
    inc = [open_incident_expr(), *_in_scope(Incident.township_code, township_codes)]
    chk = [checkin_open_expr(), *_in_scope(CaseCheckin.township_code, township_codes)]
    return DutyCounts(
        open_incidents=_count(session, Incident, *inc),
        overdue_incidents=_count(session, Incident, *inc, overdue_expr(now)),
        checkins_open=_count(session, CaseCheckin, *chk),
        checkins_overdue=_count(session, CaseCheckin, *chk, checkin_overdue_expr(now)),
        checkins_escalated=_count(session, CaseCheckin, *chk, CaseCheckin.escalated.is_(True)),
    )
