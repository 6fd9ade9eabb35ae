"""Module-lead task boards (牵头人负责制): the card merge rule, board views, "my tasks", automatic cards.

The card merge rule (docs/sync-protocol.md, "Merge rules": states with a lifecycle)
------------------------------------------------------

A card's place is ``(lifecycle_epoch, column, position)``. Columns rank
todo < doing < review < done (:data:`commandroom.workflows.CARD`). A move says
what it saw (``expected_epoch``, and ``from_column``/``from_position`` when the
client knows them) and where it goes. Its *result epoch* is ``expected_epoch``,
plus one when the move is a rewind in the card workflow (a send-back such as
doing → todo, or a reopen out of done): rewinds start a new lifecycle round.

Arriving at the server with the card at ``current``:

1. result epoch below the card's epoch → **lost** (the card was reopened or sent
   back since the mover looked);
2. result epoch above → **applied** (a send-back/reopen beats the older round);
3. same epoch and the mover saw exactly the current column and position →
   **applied** (an ordinary sequential move, including reordering in a column);
4. otherwise the moves were concurrent and the *join* decides: the place with
   the larger key ``(epoch, column rank, -position)`` wins — the move furthest
   along wins, done wins, and in the same column the card nearer the top wins.
   Equal keys mean the same place: merged, nothing lost.

A move that puts the card back where its mover saw it asks for nothing and is
merged. With WIP limits the server may refuse a move that would have won the
join; the result then depends on which move arrived first (the refusal is shown
to the mover like any rejection).

For two moves made from the same view, the result is the same whatever their
arrival order (rule 4 is a join: commutative, associative, idempotent), and the
move that lost is written to the conflict log through ``ctx.notice``. Mutation
ids are not needed as a last tie-break: equal keys are equal places.

Card age is days in the current column (``column_changed_at``, else creation).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import CARD_COLUMN_LABELS, CardColumn
from commandroom.domain.errors import IllegalTransition
from commandroom.domain.models import (
    CaseCheckin,
    CaseStep,
    Department,
    EventCategory,
    Incident,
    Module,
    OneThingCase,
    TaskCard,
)
from commandroom.services.teams import fmt_local, stable_id
from commandroom.workflows import CARD, INCIDENT_OPEN_STATES, card_action_for_move

COLUMNS = [c.value for c in CardColumn]
WIP_COLUMN = CardColumn.DOING.value
_EPS = 1e-9


# --------------------------------------------------------------------------- the merge rule


@dataclass(frozen=True)
class Place:
    epoch: int
    column: str
    position: float

    @property
    def key(self) -> tuple[int, int, float]:
        return (self.epoch, CARD.rank(self.column), -float(self.position))


@dataclass(frozen=True)
class Move:
    """What a client asks: where it saw the card and where it puts it."""

    expected_epoch: int
    column: str
    position: float
    from_column: str | None = None
    from_position: float | None = None
    reopen: bool = False  # card.reopen: from done, whatever from_column says


@dataclass(frozen=True)
class MoveDecision:
    outcome: str  # applied / lost / same
    place: Place  # the card's place after the decision
    reason: str  # sequential / rewind / join_won / join_lost / stale / same
    rewind: bool = False


def is_rewind(from_column: str, to_column: str) -> bool:
    """Whether moving from ``from_column`` to ``to_column`` starts a new round (raises IllegalTransition)."""
    if from_column == to_column:
        return False
    action = card_action_for_move(from_column, to_column)
    return CARD.fire(from_column, action, to_column).bumps_epoch


def decide_move(current: Place, move: Move) -> MoveDecision:
    """Apply the card merge rule (module doc) to one move arriving at ``current``."""
    if move.column not in CARD.ranks:
        raise IllegalTransition("task_card", current.column, f"move to {move.column}", COLUMNS)
    base_epoch = min(move.expected_epoch, current.epoch)
    if move.reopen:
        rewind = move.column != CardColumn.DONE
        if not rewind:
            raise IllegalTransition("task_card", CardColumn.DONE, "reopen → done", ["reopen → todo/doing/review"])
    elif move.from_column is not None:
        rewind = is_rewind(move.from_column, move.column)
    else:
        rewind = False
    target = Place(base_epoch + (1 if rewind else 0), move.column, float(move.position))
    if (not rewind and move.from_column == move.column and move.from_position is not None
            and abs(float(move.from_position) - target.position) < _EPS):
        # a move that puts the card back where the mover saw it asks for nothing
        return MoveDecision("same", current, "same", rewind)
    if target.epoch < current.epoch:
        return MoveDecision("lost", current, "stale", rewind)
    if target.epoch > current.epoch:
        return MoveDecision("applied", target, "rewind", rewind)
    saw_current = (
        not rewind
        and move.from_column == current.column
        and (move.from_position is None or abs(float(move.from_position) - current.position) < _EPS)
        and move.expected_epoch == current.epoch
    )
    if saw_current:
        if target == current:
            return MoveDecision("same", current, "same", rewind)
        return MoveDecision("applied", target, "sequential", rewind)
    if target.key > current.key:
        return MoveDecision("applied", target, "join_won", rewind)
    if target.key < current.key:
        return MoveDecision("lost", current, "join_lost", rewind)
    return MoveDecision("same", current, "same", rewind)


def place_label(column: str, position: float | None = None) -> str:
    label = CARD_COLUMN_LABELS.get(CardColumn(column), column) if column in COLUMNS else column
    return label if position is None else f"{label}（第 {position:g} 位）"


# --------------------------------------------------------------------------- board views


def card_age_days(card: TaskCard, now: datetime) -> float:
    """Days the card has been in its current column."""
    since = card.column_changed_at or card.created_at
    if since is None:
        return 0.0
    return max(0.0, (now - since).total_seconds() / 86400.0)


@dataclass(frozen=True)
class CardView:
    card: TaskCard
    age_days: float
    overdue: bool


@dataclass
class BoardColumn:
    column: str
    label: str
    cards: list[CardView] = field(default_factory=list)
    wip_limit: int | None = None

    @property
    def over_limit(self) -> bool:
        return self.wip_limit is not None and len(self.cards) > self.wip_limit


@dataclass
class BoardView:
    module: Module
    columns: list[BoardColumn]

    def column(self, name: str) -> BoardColumn:
        return next(c for c in self.columns if c.column == name)


def module_cards(session: Session, module_id: str) -> list[TaskCard]:
    return list(
        session.scalars(
            select(TaskCard)
            .where(TaskCard.module_id == module_id, TaskCard.deleted.is_(False))
            .order_by(TaskCard.position, TaskCard.id)
        )
    )


def wip_count(session: Session, module_id: str, *, exclude_id: str | None = None) -> int:
    return sum(
        1 for c in module_cards(session, module_id) if c.column == WIP_COLUMN and c.id != exclude_id
    )


def _view(card: TaskCard, now: datetime) -> CardView:
    overdue = card.column != CardColumn.DONE and card.due_at is not None and card.due_at < now
    return CardView(card, round(card_age_days(card, now), 3), overdue)


def board(session: Session, module_id: str, now: datetime) -> BoardView:
    """A module's board: four columns of cards by position, with age, overdue flags and the WIP limit."""
    module = session.get(Module, module_id)
    if module is None:
        raise LookupError(f"module {module_id} does not exist")
    cols = [
        BoardColumn(c, CARD_COLUMN_LABELS[CardColumn(c)], wip_limit=module.wip_limit if c == WIP_COLUMN else None)
        for c in COLUMNS
    ]
    by = {c.column: c for c in cols}
    for card in module_cards(session, module_id):
        if card.column in by:
            by[card.column].cards.append(_view(card, now))
    return BoardView(module, cols)


def my_tasks(session: Session, now: datetime, *, user_id: str | None = None, name: str | None = None,
             include_done: bool = False) -> list[CardView]:
    """Cards assigned to a user (by id, or by name for cadres without an account) across all boards.

    Order: overdue first, then by due date (none last), then oldest in column.
    """
    if not user_id and not name:
        return []
    q = select(TaskCard).where(TaskCard.deleted.is_(False))
    q = q.where(TaskCard.assignee_user_id == user_id) if user_id else q.where(TaskCard.assignee_name == name)
    if not include_done:
        q = q.where(TaskCard.column != CardColumn.DONE.value)
    views = [_view(c, now) for c in session.scalars(q)]
    views.sort(key=lambda v: (not v.overdue, v.card.due_at or datetime.max, -v.age_days, v.card.id))
    return views


# --------------------------------------------------------------------------- automatic cards


@dataclass(frozen=True)
class PlannedMutation:
    """A mutation to perform (through the local store or the server pipeline)."""

    name: str
    entity_id: str
    args: dict[str, Any]


def auto_card_id(source: str, source_id: str) -> str:
    """The id of the automatic card for an overdue incident or a missed check-in (one per source)."""
    return stable_id("auto-card", source, source_id)


def township_modules(session: Session, township_code: str) -> list[Module]:
    return list(
        session.scalars(
            select(Module)
            .where(Module.township_code == township_code, Module.deleted.is_(False))
            .order_by(Module.sort_order, Module.name, Module.id)
        )
    )


def module_for_incident(session: Session, incident: Incident) -> Module | None:
    """The module whose name is the incident category's module, else the township's first module."""
    mods = township_modules(session, incident.township_code)
    if not mods:
        return None
    cat = session.get(EventCategory, incident.category_code)
    if cat is not None:
        for m in mods:
            if m.name == cat.module:
                return m
    return mods[0]


def _card_exists(session: Session, source: str, source_id: str, column: str | None) -> bool:
    """Whether the source already has its automatic card (by the derived id, or by the linked column)."""
    if session.get(TaskCard, auto_card_id(source, source_id)) is not None:
        return True
    if column is None:
        return False
    q = select(TaskCard.id).where(TaskCard.auto_source == source, getattr(TaskCard, column) == source_id)
    return session.scalars(q.limit(1)).first() is not None


def auto_cards(session: Session, now: datetime, *, township_code: str | None = None) -> list[PlannedMutation]:
    """``card.create`` mutations for overdue incidents and missed check-ins that have no card yet.

    Idempotent: the card id derives from the source (one card per incident / per
    check-in, ever), and a source that already has a card is skipped. Performing
    the same plan twice, or on two workstations, creates one card.
    """
    from commandroom.services.cases import missed_checkins

    plans: list[PlannedMutation] = []
    q = select(Incident).where(
        Incident.deleted.is_(False),
        Incident.merged_into_id.is_(None),
        Incident.state.in_([s.value for s in INCIDENT_OPEN_STATES]),
        Incident.close_due.is_not(None),
        Incident.close_due < now,
    )
    if township_code:
        q = q.where(Incident.township_code == township_code)
    for inc in session.scalars(q.order_by(Incident.close_due, Incident.id)):
        if _card_exists(session, "overdue_incident", inc.id, "incident_id"):
            continue
        module = module_for_incident(session, inc)
        if module is None:
            continue
        plans.append(PlannedMutation("card.create", auto_card_id("overdue_incident", inc.id), {
            "module_id": module.id,
            "title": f"超期事件：{inc.number or ''} {inc.title}".strip()[:128],
            "body": f"办结时限 {fmt_local(inc.close_due)} 已过，请牵头督办。",
            "lane": inc.lead_department_code or "",
            "assignee_user_id": module.lead_user_id,
            "assignee_name": module.lead_name,
            "incident_id": inc.id,
            "auto_source": "overdue_incident",
        }))
    for due in missed_checkins(session, now, township_code=township_code):
        chk = due.checkin
        if _card_exists(session, "missed_checkin", chk.id, None):
            continue
        module, title_of = _module_for_checkin(session, chk)
        if module is None:
            continue
        target = _target_name(session, chk)
        plans.append(PlannedMutation("card.create", auto_card_id("missed_checkin", chk.id), {
            "module_id": module.id,
            "title": f"未按时报到：{target} — {title_of}"[:128],
            "body": f"报到时限 {fmt_local(chk.due_at)} 已过（超时 {due.overdue_hours:.1f} 小时）。",
            "lane": chk.target_code if chk.target_kind == "department" else "",
            "assignee_user_id": module.lead_user_id,
            "assignee_name": module.lead_name,
            "incident_id": chk.incident_id,
            "case_id": chk.case_id,
            "auto_source": "missed_checkin",
        }))
    return plans


def step_cards(session: Session, now: datetime) -> list[PlannedMutation]:
    """``card.create`` for one-thing case steps past their own limit (one 督办 card per step, ever)."""
    from commandroom.domain.clocks import step_overdue_expr

    plans: list[PlannedMutation] = []
    rows = session.execute(
        select(CaseStep, OneThingCase).join(OneThingCase, OneThingCase.id == CaseStep.case_id)
        .where(step_overdue_expr(now), OneThingCase.deleted.is_(False), OneThingCase.state != "completed")
        .order_by(CaseStep.due_at, CaseStep.id)).all()
    for step, case in rows:
        if _card_exists(session, "overdue_step", step.id, None):
            continue
        module = None
        if case.incident_id:
            inc = session.get(Incident, case.incident_id)
            module = module_for_incident(session, inc) if inc is not None else None
        if module is None:
            mods = township_modules(session, case.township_code)
            module = mods[0] if mods else None
        if module is None:
            continue
        plans.append(PlannedMutation("card.create", auto_card_id("overdue_step", step.id), {
            "module_id": module.id,
            "title": f"一件事步骤超时：{case.number or ''} {case.title} · {step.position}.{step.name}".strip()[:128],
            "body": f"步骤“{step.name}”时限 {fmt_local(step.due_at)} 已过，请督促领办部门办理。",
            "lane": case.lead_department_code or "",
            "assignee_user_id": module.lead_user_id,
            "assignee_name": module.lead_name,
            "incident_id": case.incident_id,
            "case_id": case.id,
            "auto_source": "overdue_step",
        }))
    return plans


def _target_name(session: Session, chk: CaseCheckin) -> str:
    if chk.target_kind == "department":
        dept = session.get(Department, chk.target_code)
        return dept.short_name if dept else chk.target_code
    mod = session.get(Module, chk.target_code)
    return f"{mod.name}模块" if mod else chk.target_code


def _module_for_checkin(session: Session, chk: CaseCheckin) -> tuple[Module | None, str]:
    if chk.card_id:
        card = session.get(TaskCard, chk.card_id)
        if card is not None:
            mod = session.get(Module, card.module_id)
            if mod is not None and not mod.deleted:
                return mod, card.title
    if chk.case_id:
        case = session.get(OneThingCase, chk.case_id)
        title = case.title if case else ""
        if case is not None and case.incident_id:
            inc = session.get(Incident, case.incident_id)
            if inc is not None:
                return module_for_incident(session, inc), title
        mods = township_modules(session, chk.township_code)
        return (mods[0] if mods else None), title
    if chk.incident_id:
        inc = session.get(Incident, chk.incident_id)
        if inc is not None:
            return module_for_incident(session, inc), inc.title
    mods = township_modules(session, chk.township_code)
    return (mods[0] if mods else None), ""


def cards_by_source(session: Session) -> dict[str, list[TaskCard]]:
    """Incident / case id → cards linked to it (for the incident and case detail panes)."""
    out: dict[str, list[TaskCard]] = defaultdict(list)
    for c in session.scalars(select(TaskCard).where(TaskCard.deleted.is_(False)).order_by(TaskCard.id)):
        for key in (c.incident_id, c.case_id):
            if key:
                out[key].append(c)
    return out
