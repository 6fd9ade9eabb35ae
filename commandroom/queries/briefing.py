"""Figures for the shift handover (交接班) and the daily briefing (值班日报), computed from a session.

Pure data (no Qt): the desktop shows and exports these; the server could serve them.

* :func:`handover_summary`: open incidents by state, the clocks that run out in the next
  hours (imminent breaches), the overdue ones, departments that have not checked in yet
  (open check-ins, escalated ones included), and the workstation's unsynced count (passed in: only the
  DeskStore knows it).
* :func:`daily_briefing`: one local day — incidents created and closed, by category,
  township and state, the on-time closure rate, the overdue list, and the photos of the day's
  closures (before and after, with the thumbnails this desk holds: the briefing shows the work, offline too).

Which clocks run and what is overdue: :mod:`commandroom.domain.clocks` (the one definition). Long computations accept a :class:`TaskState` and stop with
:class:`Cancelled` when it is cancelled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from commandroom.domain.clocks import (
    OPEN_STATES,
    checkin_is_overdue,
    checkin_open_expr,
    open_incident_expr,
    running_clocks,
)
from commandroom.domain.enums import IncidentState
from commandroom.domain.models import (
    CaseCheckin,
    Department,
    EventCategory,
    Incident,
    OneThingCase,
    Photo,
    Report,
    TaskCard,
    Township,
)
from commandroom.timeutil import local_to_utc, to_local

STATE_ORDER: tuple[str, ...] = tuple(s.value for s in IncidentState)
IMMINENT_WINDOW = timedelta(hours=4)
CLOSED_LATER = "closed_later"
"""Pseudo-state in a past day's figures: open at the end of that day, closed since."""


class Cancelled(Exception):
    """The user cancelled a long computation or export."""


class TaskState:
    """Progress and cancellation of a long task (Orange's ``TaskState`` idea; thread-safe enough).

    The worker calls :meth:`set_progress` and :meth:`check`; the UI sets :attr:`cancelled`.
    """

    def __init__(self, on_progress: Callable[[float, str], None] | None = None) -> None:
        self.cancelled = False
        self.progress = 0.0
        self.message = ""
        self._on_progress = on_progress

    def cancel(self) -> None:
        self.cancelled = True

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def set_progress(self, fraction: float, message: str = "") -> None:
        self.check()
        self.progress = max(0.0, min(1.0, fraction))
        self.message = message
        if self._on_progress is not None:
            self._on_progress(self.progress, message)


# ----------------------------------------------------------------------------- rows


@dataclass
class ClockItem:
    """One incident with one running clock (for the imminent and overdue lists)."""

    incident_id: str
    number: str
    title: str
    township_code: str
    township_name: str
    state: str
    urgency: str
    clock: str  # ack / onsite / close
    due: datetime
    assignee: str
    escalation_level: str
    assignee_kind: str = ""  # department / team / "" (not dispatched)

    def late_by(self, now: datetime) -> timedelta:
        return now - self.due


@dataclass
class CheckinItem:
    """A department (or module) that has not checked in to a case / summons yet."""

    checkin_id: str
    township_code: str
    target_kind: str
    target_code: str
    target_name: str
    subject: str  # the case title or the incident number
    due_at: datetime
    overdue: bool
    escalated: bool


@dataclass
class HandoverSummary:
    """What the outgoing officer hands over (see :func:`handover_summary`)."""

    at: datetime
    township_codes: list[str] | None
    open_by_state: dict[str, int]
    open_total: int
    imminent: list[ClockItem]
    overdue: list[ClockItem]
    pending_checkins: list[CheckinItem]
    unsynced: int
    notes: str = ""
    window_hours: float = 4.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for ``Handover.summary``): counts, and the listed incidents by number."""

        def clock(c: ClockItem) -> dict[str, Any]:
            return {"incident_id": c.incident_id, "number": c.number, "title": c.title, "township": c.township_name,
                    "state": c.state, "clock": c.clock, "due": c.due.isoformat(), "assignee": c.assignee,
                    "assignee_kind": c.assignee_kind}

        return {
            "at": self.at.isoformat(),
            "townships": self.township_codes,
            "open_by_state": dict(self.open_by_state),
            "open_total": self.open_total,
            "imminent_count": len(self.imminent),
            "overdue_count": len(self.overdue),
            "pending_checkin_count": len(self.pending_checkins),
            "unsynced": self.unsynced,
            "window_hours": self.window_hours,
            "imminent": [clock(c) for c in self.imminent[:100]],
            "overdue": [clock(c) for c in self.overdue[:100]],
            "pending_checkins": [
                {"target": c.target_name, "subject": c.subject, "due": c.due_at.isoformat(), "overdue": c.overdue}
                for c in self.pending_checkins[:100]
            ],
        }


@dataclass
class CountRow:
    key: str
    name: str
    created: int = 0
    closed: int = 0
    closed_on_time: int = 0
    open_now: int = 0
    overdue_now: int = 0


PHOTO_INCIDENTS = 12
"""At most this many of the day's closures appear with their photos (the latest first)."""
PHOTOS_EACH = 2
"""Before and after photos shown per closure, each."""


@dataclass
class ClosurePhotos:
    """One incident closed in the day with its before/after photos (hashes) and the thumbnails held here.

    A hash without a thumbnail in ``thumbnails`` is a photo this desk has not received yet (shown as such).
    """

    incident_id: str
    number: str
    title: str
    township_name: str
    closed_at: datetime
    before: list[str]
    after: list[str]
    thumbnails: dict[str, bytes] = field(default_factory=dict)


@dataclass
class DailyBriefing:
    """One local day's figures (see :func:`daily_briefing`)."""

    day: date
    as_of: datetime
    township_codes: list[str] | None
    created: int
    closed: int
    closed_on_time: int
    open_total: int
    overdue_total: int
    returned: int
    escalated: int
    by_category: list[CountRow]
    by_township: list[CountRow]
    by_state: dict[str, int]  # open incidents at ``as_of``, by state
    created_by_state: dict[str, int]  # the day's new incidents, by their state now
    overdue: list[ClockItem]
    extra: dict[str, Any] = field(default_factory=dict)
    photos: list[ClosurePhotos] = field(default_factory=list)  # the day's closures with photos, latest first

    @property
    def on_time_rate(self) -> float | None:
        """Share of the day's closures that met their close deadline (None when nothing closed)."""
        return None if not self.closed else self.closed_on_time / self.closed

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["on_time_rate"] = self.on_time_rate
        return out


# ----------------------------------------------------------------------------- clocks


def _names(session: Session) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    townships = dict(session.execute(select(Township.code, Township.short_name)).all())
    departments = dict(session.execute(select(Department.code, Department.short_name)).all())
    categories = dict(session.execute(select(EventCategory.code, EventCategory.name)).all())
    return townships, departments, categories


def _zone_names(session: Session) -> dict[str, str]:
    from commandroom.domain.models import Zone

    return dict(session.execute(select(Zone.id, Zone.name)).all())


def _scope(column: Any, township_codes: Sequence[str] | None) -> list[Any]:
    return [] if township_codes is None else [column.in_(list(township_codes))]


def _open_clock_items(session: Session, township_codes: Sequence[str] | None, now: datetime,
                      state: TaskState | None = None) -> tuple[dict[str, int], list[ClockItem], list[ClockItem]]:
    """Open incidents by state, and every running clock with its incident (overdue and not)."""
    townships, departments, _cats = _names(session)
    zones = _zone_names(session)
    by_state: Counter[str] = Counter()
    overdue: list[ClockItem] = []
    upcoming: list[ClockItem] = []
    q = (select(Incident.id, Incident.number, Incident.title, Incident.township_code, Incident.state,
                Incident.urgency, Incident.acknowledged_at, Incident.onsite_at, Incident.ack_due,
                Incident.onsite_due, Incident.close_due, Incident.assignee_kind, Incident.assignee_code,
                Incident.escalation_level)
         .where(open_incident_expr(), *_scope(Incident.township_code, township_codes)))
    for i, r in enumerate(session.execute(q)):
        if state is not None and i % 2000 == 0:
            state.check()
        by_state[r.state] += 1
        clocks = running_clocks(r.state, r.acknowledged_at, r.onsite_at, r.ack_due, r.onsite_due, r.close_due)
        if not clocks:
            continue
        if r.assignee_kind == "team":
            assignee = zones.get(r.assignee_code or "", r.assignee_code or "")
        else:
            assignee = departments.get(r.assignee_code or "", r.assignee_code or "")
        late = [(k, d) for k, d in clocks if d < now]
        kind, due = min(late or clocks, key=lambda kd: kd[1])
        item = ClockItem(r.id, r.number or "", r.title, r.township_code, townships.get(r.township_code,
                         r.township_code), r.state, r.urgency, kind, due, assignee, r.escalation_level or "none",
                         r.assignee_kind or "")
        (overdue if late else upcoming).append(item)
    overdue.sort(key=lambda c: (c.due, c.number))
    upcoming.sort(key=lambda c: (c.due, c.number))
    ordered = {s: by_state[s] for s in STATE_ORDER if by_state.get(s)}
    return ordered, overdue, upcoming


def pending_checkins(session: Session, township_codes: Sequence[str] | None, now: datetime) -> list[CheckinItem]:
    """Check-ins still waiting (部门报到未到), oldest deadline first; named by department/module and subject."""
    from commandroom.services.cases import target_name

    rows = session.execute(
        select(CaseCheckin, OneThingCase.title, Incident.number, Incident.title, TaskCard.title)
        .outerjoin(OneThingCase, OneThingCase.id == CaseCheckin.case_id)
        .outerjoin(Incident, Incident.id == CaseCheckin.incident_id)
        .outerjoin(TaskCard, TaskCard.id == CaseCheckin.card_id)
        .where(checkin_open_expr(), *_scope(CaseCheckin.township_code, township_codes))
        .order_by(CaseCheckin.due_at, CaseCheckin.id)
    ).all()
    names: dict[tuple[str, str], str] = {}
    out = []
    for c, case_title, inc_number, inc_title, card_title in rows:
        # never an id on screen: the case, the incident, the summons card, in that order
        subject = case_title or (f"{inc_number or ''} {inc_title or ''}".strip()) or card_title or ""
        key = (c.target_kind, c.target_code)
        if key not in names:
            names[key] = target_name(session, *key)
        out.append(CheckinItem(c.id, c.township_code, c.target_kind, c.target_code, names[key], subject, c.due_at,
                               checkin_is_overdue(c.checked_in_at, c.state, c.due_at, now), bool(c.escalated)))
    return out


def handover_summary(
    session: Session,
    *,
    township_codes: Sequence[str] | None,
    now: datetime,
    unsynced: int = 0,
    window: timedelta = IMMINENT_WINDOW,
    notes: str = "",
) -> HandoverSummary:
    """The shift handover summary at ``now`` (naive UTC) for ``township_codes`` (None: all).

    Args:
        unsynced: the workstation's pending outbox count (``DeskStore.pending_count()``).
        window: clocks running out within this window count as imminent breaches.
    """
    by_state, overdue, upcoming = _open_clock_items(session, township_codes, now)
    imminent = [c for c in upcoming if c.due <= now + window]
    return HandoverSummary(
        at=now,
        township_codes=None if township_codes is None else list(township_codes),
        open_by_state=by_state,
        open_total=sum(by_state.values()),
        imminent=imminent,
        overdue=overdue,
        pending_checkins=pending_checkins(session, township_codes, now),
        unsynced=int(unsynced),
        notes=notes,
        window_hours=window.total_seconds() / 3600,
    )


# ----------------------------------------------------------------------------- daily briefing


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """A local (Asia/Shanghai) day as a naive-UTC half-open range."""
    start = local_to_utc(datetime.combine(day, time(0)))
    return start, start + timedelta(days=1)


def local_today(now: datetime) -> date:
    loc = to_local(now)
    return loc.date()


def daily_briefing(
    session: Session,
    *,
    day: date,
    township_codes: Sequence[str] | None,
    now: datetime,
    state: TaskState | None = None,
) -> DailyBriefing:
    """The briefing of local ``day``: what came in, what was closed (on time?), what is open and overdue.

    Open and overdue figures are taken at ``as_of`` = the end of the day, or ``now`` if the
    day is not over; closures count when ``closed_at`` falls in the day, on time when
    ``closed_at <= close_due``.
    """
    state = state or TaskState()
    start, end = local_day_bounds(day)
    as_of = min(now, end)
    townships, _departments, categories = _names(session)
    scope = _scope(Incident.township_code, township_codes)
    live = [Incident.deleted.is_(False), *scope]
    state.set_progress(0.05, "created")

    by_category: dict[str, CountRow] = {}
    by_township: dict[str, CountRow] = {}

    def cat_row(code: str) -> CountRow:
        return by_category.setdefault(code, CountRow(code, categories.get(code, code)))

    def town_row(code: str) -> CountRow:
        return by_township.setdefault(code, CountRow(code, townships.get(code, code)))

    created_by_state: Counter[str] = Counter()
    created = 0
    for cat, town, st in session.execute(
            select(Incident.category_code, Incident.township_code, Incident.state)
            .where(Incident.created_at >= start, Incident.created_at < end, *live)):
        created += 1
        cat_row(cat).created += 1
        town_row(town).created += 1
        created_by_state[st] += 1
    state.set_progress(0.3, "closed")

    closed = on_time = 0
    for cat, town, closed_at, close_due in session.execute(
            select(Incident.category_code, Incident.township_code, Incident.closed_at, Incident.close_due)
            .where(Incident.state == IncidentState.CLOSED, Incident.closed_at >= start, Incident.closed_at < end,
                   *live)):
        closed += 1
        ok = close_due is None or closed_at <= close_due
        on_time += ok
        for row in (cat_row(cat), town_row(town)):
            row.closed += 1
            row.closed_on_time += ok
    state.set_progress(0.55, "open")

    # open at as_of: created before it and not closed by then (closed later, or still open)
    open_q = (select(Incident.id, Incident.number, Incident.title, Incident.township_code, Incident.state,
                     Incident.urgency, Incident.acknowledged_at, Incident.onsite_at, Incident.ack_due,
                     Incident.onsite_due, Incident.close_due, Incident.assignee_kind, Incident.assignee_code,
                     Incident.escalation_level, Incident.category_code)
              .where(Incident.created_at < as_of, *live,
                     or_(Incident.state.in_(OPEN_STATES),
                         and_(Incident.state == IncidentState.CLOSED, Incident.closed_at > as_of))))
    zones = _zone_names(session)
    departments = dict(session.execute(select(Department.code, Department.short_name)).all())
    by_state: Counter[str] = Counter()
    overdue: list[ClockItem] = []
    open_total = 0
    for i, r in enumerate(session.execute(open_q)):
        if i % 2000 == 0:
            state.check()
        open_total += 1
        # an incident closed after as_of was open then, in a state the row no longer says
        st = r.state if r.state != IncidentState.CLOSED else CLOSED_LATER
        by_state[st] += 1
        town_row(r.township_code).open_now += 1
        clocks = running_clocks(st, r.acknowledged_at if r.acknowledged_at and r.acknowledged_at <= as_of else None,
                                r.onsite_at if r.onsite_at and r.onsite_at <= as_of else None,
                                r.ack_due, r.onsite_due, r.close_due)
        late = [(k, d) for k, d in clocks if d < as_of]
        if late:
            kind, due = min(late, key=lambda kd: kd[1])
            assignee = (zones if r.assignee_kind == "team" else departments).get(r.assignee_code or "",
                                                                                 r.assignee_code or "")
            overdue.append(ClockItem(r.id, r.number or "", r.title, r.township_code,
                                     townships.get(r.township_code, r.township_code), st, r.urgency, kind, due,
                                     assignee, r.escalation_level or "none", r.assignee_kind or ""))
            town_row(r.township_code).overdue_now += 1
    overdue.sort(key=lambda c: (c.due, c.number))
    state.set_progress(0.8, "timeline")

    from commandroom.domain.models import TimelineEntry

    actions = dict(session.execute(
        select(TimelineEntry.action, func.count())
        .where(TimelineEntry.at >= start, TimelineEntry.at < end, TimelineEntry.action.in_(("return", "escalate")),
               TimelineEntry.deleted.is_(False), *_scope(TimelineEntry.township_code, township_codes))
        .group_by(TimelineEntry.action)).all())
    state.set_progress(0.9, "photos")
    photos = closure_photos(session, start, end, township_codes, townships)
    state.set_progress(1.0, "done")
    return DailyBriefing(
        day=day,
        as_of=as_of,
        township_codes=None if township_codes is None else list(township_codes),
        created=created,
        closed=closed,
        closed_on_time=on_time,
        open_total=open_total,
        overdue_total=len(overdue),
        returned=int(actions.get("return", 0)),
        escalated=int(actions.get("escalate", 0)),
        by_category=sorted(by_category.values(), key=lambda r: (-r.created, -r.closed, r.key)),
        by_township=sorted(by_township.values(), key=lambda r: r.key),
        by_state={s: by_state[s] for s in (*STATE_ORDER, CLOSED_LATER) if by_state.get(s)},
        created_by_state={s: created_by_state[s] for s in STATE_ORDER if created_by_state.get(s)},
        overdue=overdue,
        photos=photos,
    )


def _hashes(value: Any) -> list[str]:
    return [h for h in (value or []) if isinstance(h, str) and len(h) == 64]


def closure_photos(session: Session, start: datetime, end: datetime, township_codes: Sequence[str] | None,
                   townships: dict[str, str], *, limit: int = PHOTO_INCIDENTS) -> list[ClosurePhotos]:
    """The latest closures in ``[start, end)`` that have photos: before (the incident's, else its reports')
    and after, at most :data:`PHOTOS_EACH` of each, with the thumbnails held in the ``photo`` table."""
    rows = session.execute(
        select(Incident.id, Incident.number, Incident.title, Incident.township_code, Incident.closed_at,
               Incident.photos_before, Incident.photos_after)
        .where(Incident.state == IncidentState.CLOSED, Incident.closed_at >= start, Incident.closed_at < end,
               Incident.deleted.is_(False), *_scope(Incident.township_code, township_codes))
        .order_by(Incident.closed_at.desc(), Incident.id)).all()
    ids = [r.id for r in rows]
    reported: dict[str, list[str]] = {}
    for at in range(0, len(ids), 500):
        for incident_id, photos in session.execute(
                select(Report.incident_id, Report.photos).where(Report.incident_id.in_(ids[at:at + 500]),
                                                                Report.deleted.is_(False))
                .order_by(Report.created_at, Report.id)):
            if incident_id is not None:
                reported.setdefault(incident_id, []).extend(_hashes(photos))
    out: list[ClosurePhotos] = []
    for r in rows:
        before = (_hashes(r.photos_before) or list(dict.fromkeys(reported.get(r.id, []))))[:PHOTOS_EACH]
        after = _hashes(r.photos_after)[:PHOTOS_EACH]
        if not before and not after:
            continue
        out.append(ClosurePhotos(r.id, r.number or "", r.title, townships.get(r.township_code) or r.township_code,
                                 r.closed_at or end, before, after))
        if len(out) >= limit:
            break
    wanted = sorted({h for item in out for h in (*item.before, *item.after)})
    thumbs: dict[str, bytes] = {}
    if wanted:
        for sha, thumb in session.execute(select(Photo.sha256, Photo.thumbnail).where(
                Photo.sha256.in_(wanted), Photo.thumbnail.is_not(None))):
            if thumb is not None:
                thumbs[sha] = thumb
    for item in out:
        item.thumbnails = {h: thumbs[h] for h in (*item.before, *item.after) if h in thumbs}
    return out
