"""Reads and writes behind the module boards, "my tasks" and linked command. Qt-free core code.

Every function takes the :class:`~commandroom.store.local.DeskStore` and returns plain
frozen dataclasses, so the views can run them on the reader pool (``run_read``) or the
single writer (``run_db``) and hand the result to the GUI thread.

* :func:`load_board` — one module's cards in board order with everything a card shows
  (age in its column, overdue, links, swimlane keys, conflict notices, summons);
* :func:`card_rows` — the same rows for given ids (the models' lazy fetch);
* :func:`my_task_rows` — cards assigned to a person across the boards in scope;
* :func:`checkin_rows` — the check-ins of linked command (乡镇吹哨、部门报到) of a card,
  or of the whole scope, with countdown data and the escalation the lateness calls for;
* :func:`plan_move` — the ``card.move`` arguments for a drop or a key press;
* :func:`auto_card_plans` — the automatic 督办 cards :func:`commandroom.services.boards.auto_cards` plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from commandroom.domain.models import (
    CaseCheckin,
    ConflictRecord,
    Department,
    Grid,
    Incident,
    Module,
    OneThingCase,
    OutboxEntry,
    TaskCard,
    Township,
    Village,
)
from commandroom.queries.counts import DutyCounts, duty_counts
from commandroom.services import boards as board_svc
from commandroom.services.cases import checkin_outcome, target_name
from commandroom.services.deadlines import escalation_for, escalation_rank
from commandroom.store.protocol import ReadStore

COLUMNS = tuple(board_svc.COLUMNS)  # todo, doing, review, done
WIP_COLUMN = board_svc.WIP_COLUMN
CARD_RULES = ("card_move_lost", "card_move_overrode", "wip_override")
DONE_DAYS = 14  # 已办结 shows the cards done in the last two weeks (older ones stay in the store)


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Notice:
    """A rule that intervened on a card (a lost/overridden move, a WIP override) or a server refusal."""

    rule: str  # card_move_lost / card_move_overrode / wip_override / rejected / merged
    explanation: str
    by: str
    at: datetime | None


@dataclass(frozen=True)
class CardRow:
    """Everything one card shows on the board, in "my tasks" and in the card pane."""

    id: str
    module_id: str
    module_name: str
    township_code: str
    title: str
    body: str
    column: str
    position: float
    epoch: int
    lane: str
    assignee: str
    assignee_user_id: str | None
    due_at: datetime | None
    overdue: bool
    age_days: float
    incident_id: str | None
    incident_label: str
    case_id: str | None
    case_label: str
    auto_source: str
    dept_lane: str  # department code of the card ("" none)
    dept_lane_label: str
    zone_lane: str  # village (片区/村社) of the linked incident ("" none)
    zone_lane_label: str
    notices: tuple[Notice, ...] = ()
    summons_total: int = 0
    summons_waiting: int = 0
    summons_missed: int = 0
    escalation_level: str = "none"  # highest level taken on the card's check-ins

    @property
    def has_conflict(self) -> bool:
        return any(n.rule in ("card_move_lost", "card_move_overrode", "rejected", "merged") for n in self.notices)

    def lane_key(self, mode: str) -> str:
        """The swimlane of the card: ``department`` / ``zone`` / anything else (one lane)."""
        if mode == "department":
            return self.dept_lane
        if mode == "zone":
            return self.zone_lane
        return ""

    def lane_label(self, mode: str) -> str:
        if mode == "department":
            return self.dept_lane_label
        if mode == "zone":
            return self.zone_lane_label
        return ""


@dataclass(frozen=True)
class ModuleInfo:
    id: str
    name: str
    township_code: str
    township_name: str
    lead_name: str
    lead_user_id: str | None
    wip_limit: int
    members: tuple[str, ...]


@dataclass
class BoardData:
    """One module's board: the module, its cards by id and each column's ids in board order."""

    module: ModuleInfo
    cards: dict[str, CardRow]
    order: dict[str, list[str]] = field(default_factory=dict)
    now: datetime | None = None
    hidden_done: int = 0  # done cards older than DONE_DAYS, not on the board

    def column_ids(self, column: str, lane_mode: str = "", lane: str = "") -> list[str]:
        ids = self.order.get(column, [])
        if lane_mode not in ("department", "zone"):
            return list(ids)
        return [i for i in ids if self.cards[i].lane_key(lane_mode) == lane]

    def lanes(self, mode: str) -> list[tuple[str, str]]:
        """(key, label) of the swimlanes in ``mode``, by label; the lane without a key last."""
        if mode not in ("department", "zone"):
            return [("", "")]
        seen: dict[str, str] = {}
        for c in self.cards.values():
            seen.setdefault(c.lane_key(mode), c.lane_label(mode))
        keys = sorted((k for k in seen if k), key=lambda k: (seen[k], k))
        if "" in seen:
            keys.append("")
        return [(k, seen[k]) for k in keys] or [("", "")]

    def count(self, column: str) -> int:
        return len(self.order.get(column, []))


def _module_info(session: Any, module: Module) -> ModuleInfo:
    town = session.get(Township, module.township_code)
    members = tuple(dict.fromkeys([module.lead_name, *[m.get("name", "") for m in (module.members or [])]]))
    return ModuleInfo(module.id, module.name, module.township_code, town.short_name if town else module.township_code,
                      module.lead_name, module.lead_user_id, int(module.wip_limit or 0),
                      tuple(m for m in members if m))


def list_modules(store: ReadStore, township_codes: list[str] | None) -> list[ModuleInfo]:
    """The modules in scope (None: the whole county), by township then the module order."""
    q = select(Module).where(Module.deleted.is_(False))
    if township_codes is not None:
        q = q.where(Module.township_code.in_(township_codes))
    with store.read() as session:
        return [_module_info(session, m) for m in
                session.scalars(q.order_by(Module.township_code, Module.sort_order, Module.name, Module.id))]


def _rows(session: Any, cards: list[TaskCard], now: datetime) -> dict[str, CardRow]:
    """CardRows for ``cards`` with their links, lanes, notices and summons (a few IN queries)."""
    if not cards:
        return {}
    ids = [c.id for c in cards]
    modules = {m.id: m.name for m in session.scalars(select(Module).where(Module.id.in_({c.module_id for c in cards})))}
    departments = {d.code: d.short_name for d in session.scalars(select(Department))}
    inc_ids = {c.incident_id for c in cards if c.incident_id}
    incidents = {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(inc_ids)))} if inc_ids else {}
    grid_ids = {i.grid_id for i in incidents.values() if i.grid_id}
    villages: dict[str, tuple[str, str]] = {}
    if grid_ids:
        for gid, vid, vname in session.execute(
                select(Grid.id, Village.id, Village.name).join(Village, Village.id == Grid.village_id)
                .where(Grid.id.in_(grid_ids))):
            villages[gid] = (vid, vname)
    case_ids = {c.case_id for c in cards if c.case_id}
    cases = ({k.id: k for k in session.scalars(select(OneThingCase).where(OneThingCase.id.in_(case_ids)))}
             if case_ids else {})
    notices: dict[str, list[Notice]] = defaultdict(list)
    for rec in session.scalars(select(ConflictRecord).where(
            ConflictRecord.entity_type == "task_card", ConflictRecord.entity_id.in_(ids),
            ConflictRecord.deleted.is_(False)).order_by(ConflictRecord.created_at)):
        notices[rec.entity_id].append(Notice(rec.rule, rec.explanation, rec.by_user_name, rec.created_at))
    for e in session.scalars(select(OutboxEntry).where(
            OutboxEntry.entity_type == "task_card", OutboxEntry.entity_id.in_(ids),
            OutboxEntry.state.in_(("rejected", "merged")), OutboxEntry.dismissed.is_(False))
            .order_by(OutboxEntry.local_seq)):
        result = e.server_result or {}
        text = str(result.get("explanation") or result.get("message") or "")
        if e.name in ("card.move", "card.reopen") and text:
            notices[e.entity_id].append(Notice(e.state, text, "", e.acked_at or e.created_local_ts))
    summons: dict[str, list[CaseCheckin]] = defaultdict(list)
    for chk in session.scalars(select(CaseCheckin).where(CaseCheckin.card_id.in_(ids),
                                                         CaseCheckin.deleted.is_(False))):
        summons[chk.card_id].append(chk)
    out: dict[str, CardRow] = {}
    for c in cards:
        inc = incidents.get(c.incident_id) if c.incident_id else None
        case = cases.get(c.case_id) if c.case_id else None
        dept = c.lane if c.lane in departments else (inc.lead_department_code if inc and inc.lead_department_code
                                                       else "")
        village = villages.get(inc.grid_id) if inc is not None and inc.grid_id else None
        chks = summons.get(c.id, [])
        outcomes = [checkin_outcome(k, now) for k in chks]
        level = max((k.escalation_level or "none" for k in chks), key=escalation_rank, default="none")
        overdue = c.column != "done" and c.due_at is not None and c.due_at < now
        out[c.id] = CardRow(
            id=c.id, module_id=c.module_id, module_name=modules.get(c.module_id, ""), township_code=c.township_code,
            title=c.title, body=c.body or "", column=c.column, position=float(c.position or 0.0),
            epoch=int(c.lifecycle_epoch or 0), lane=c.lane or "", assignee=c.assignee_name or "",
            assignee_user_id=c.assignee_user_id, due_at=c.due_at, overdue=overdue,
            age_days=round(board_svc.card_age_days(c, now), 2),
            incident_id=c.incident_id,
            incident_label=(f"{inc.number or ''} {inc.title}".strip() if inc else ""),
            case_id=c.case_id, case_label=(f"{case.number or ''} {case.title}".strip() if case else ""),
            auto_source=c.auto_source or "",
            dept_lane=dept, dept_lane_label=departments.get(dept, dept),
            zone_lane=village[0] if village else "", zone_lane_label=village[1] if village else "",
            notices=tuple(notices.get(c.id, ())),
            summons_total=len(chks), summons_waiting=outcomes.count("waiting"),
            summons_missed=outcomes.count("missed"), escalation_level=level,
        )
    return out


def load_board(store: ReadStore, module_id: str, now: datetime) -> BoardData | None:
    """The board of ``module_id`` (None when the module is not in the store)."""
    with store.read() as session:
        module = session.get(Module, module_id)
        if module is None or module.deleted:
            return None
        cards = board_svc.module_cards(session, module_id)
        cutoff = now - timedelta(days=DONE_DAYS)
        shown = [c for c in cards if c.column != "done" or (c.column_changed_at or c.created_at) >= cutoff]
        rows = _rows(session, shown, now)
        order: dict[str, list[str]] = {c: [] for c in COLUMNS}
        for card in shown:  # module_cards orders by position, id
            if card.column in order:
                order[card.column].append(card.id)
        return BoardData(_module_info(session, module), rows, order, now, len(cards) - len(shown))


def card_rows(store: ReadStore, ids: list[str], now: datetime) -> dict[str, CardRow]:
    """Rows of the cards ``ids`` (missing or deleted ones are left out)."""
    if not ids:
        return {}
    with store.read() as session:
        cards = list(session.scalars(select(TaskCard).where(TaskCard.id.in_(ids), TaskCard.deleted.is_(False))))
        return _rows(session, cards, now)


def my_task_rows(store: ReadStore, now: datetime, *, user_id: str | None, name: str | None,
                 township_codes: list[str] | None, include_done: bool = False) -> list[CardRow]:
    """Cards assigned to the person (by account id or by name) across the boards in scope.

    Order as :func:`commandroom.services.boards.my_tasks`: overdue first, then by due date, then oldest.
    """
    if not user_id and not name:
        return []
    conds = []
    if user_id:
        conds.append(TaskCard.assignee_user_id == user_id)
    if name:
        conds.append(TaskCard.assignee_name == name)
    q = select(TaskCard).where(TaskCard.deleted.is_(False), or_(*conds))
    if township_codes is not None:
        q = q.where(TaskCard.township_code.in_(township_codes))
    if not include_done:
        q = q.where(TaskCard.column != "done")
    with store.read() as session:
        rows = list(_rows(session, list(session.scalars(q)), now).values())
    rows.sort(key=lambda r: (not r.overdue, r.due_at or datetime.max, -r.age_days, r.id))
    return rows


def assignee_names(store: ReadStore, township_codes: list[str] | None) -> list[str]:
    """Everyone who can hold a card in scope: module leads and members, and current assignees."""
    names: set[str] = set()
    for m in list_modules(store, township_codes):
        names.update(m.members)
    q = select(TaskCard.assignee_name).where(TaskCard.deleted.is_(False), TaskCard.assignee_name != "").distinct()
    if township_codes is not None:
        q = q.where(TaskCard.township_code.in_(township_codes))
    with store.read() as session:
        names.update(n for n in session.scalars(q) if n)
    return sorted(names)


# --------------------------------------------------------------------------- moves


@dataclass(frozen=True)
class MovePlan:
    """What a drop or a key press asks: the ``card.move`` args, or why nothing is to be done."""

    card_id: str
    args: dict[str, Any]
    needs_reason: bool = False  # 进行中 is at its WIP limit: ask for a reason and send force
    noop: bool = False
    wip_count: int = 0
    wip_limit: int = 0


def _between(prev: float | None, nxt: float | None) -> float:
    if prev is None and nxt is None:
        return 1.0
    if prev is None:
        return float(nxt) - 1.0
    if nxt is None:
        return float(prev) + 1.0
    return (float(prev) + float(nxt)) / 2.0


def plan_move(board: BoardData, card_id: str, to_column: str, neighbours: list[str], row: int) -> MovePlan:
    """The ``card.move`` for putting ``card_id`` at ``row`` of the list ``neighbours`` (ids shown in the
    target cell, possibly including the card itself) of column ``to_column``.

    The position goes between the two cards it lands between (board positions are floats);
    ``from_column``/``from_position``/``expected_epoch`` say what this workstation saw, which
    the merge rule needs when someone else moved the card meanwhile.
    """
    card = board.cards[card_id]
    if row < 0 or row > len(neighbours):
        row = len(neighbours)
    here = -1
    if card_id in neighbours:
        here = neighbours.index(card_id)
        if row > here:
            row -= 1
        neighbours = [i for i in neighbours if i != card_id]
    wip_n = sum(1 for i in board.order.get(WIP_COLUMN, []) if i != card_id)
    limit = board.module.wip_limit
    if to_column == card.column and row == here:
        return MovePlan(card_id, {}, noop=True, wip_count=wip_n, wip_limit=limit)
    prev = board.cards[neighbours[row - 1]].position if row > 0 else None
    nxt = board.cards[neighbours[row]].position if row < len(neighbours) else None
    if to_column != card.column and nxt is None:
        # the end of the cell: also after every card of the column in other lanes
        position: float | None = None if prev is None else max(float(prev) + 1.0, _column_end(board, to_column))
    else:
        position = _between(prev, nxt)
    args: dict[str, Any] = {"column": to_column, "expected_epoch": card.epoch, "from_column": card.column,
                            "from_position": card.position}
    if position is not None:
        args["position"] = position
    needs_reason = to_column == WIP_COLUMN and card.column != WIP_COLUMN and limit > 0 and wip_n >= limit
    return MovePlan(card_id, args, needs_reason, False, wip_n, limit)


def _column_end(board: BoardData, column: str) -> float:
    ids = board.order.get(column, [])
    return max((board.cards[i].position for i in ids), default=0.0) + 1.0


def plan_key_move(board: BoardData, card_id: str, lane_mode: str, dx: int, dy: int) -> MovePlan | None:
    """Ctrl+←/→ moves a card one column (to the end of its lane's cell), Ctrl+↑/↓ one place in its cell."""
    card = board.cards.get(card_id)
    if card is None:
        return None
    lane = card.lane_key(lane_mode)
    if dx:
        k = COLUMNS.index(card.column) + dx
        if not 0 <= k < len(COLUMNS):
            return None
        target = COLUMNS[k]
        cell = board.column_ids(target, lane_mode, lane)
        return plan_move(board, card_id, target, cell, len(cell))
    cell = board.column_ids(card.column, lane_mode, lane)
    here = cell.index(card_id)
    if (dy < 0 and here == 0) or (dy > 0 and here >= len(cell) - 1):
        return None
    # moving down by one: land after the next card (row here+2 in the list that still holds the card)
    row = here - 1 if dy < 0 else here + 2
    return plan_move(board, card_id, card.column, cell, row)


# --------------------------------------------------------------------------- linked command


@dataclass(frozen=True)
class CheckinRow:
    """One summoned department/module (or a case's department) and its check-in."""

    id: str
    township_code: str
    source: str  # card / incident / case
    source_label: str
    card_id: str | None
    incident_id: str | None
    case_id: str | None
    target_kind: str
    target_code: str
    target_name: str
    due_at: datetime
    checked_in_at: datetime | None
    outcome: str  # on_time / late / missed / waiting
    escalation_level: str
    suggested_level: str  # what the lateness calls for now
    note: str
    created_at: datetime | None

    @property
    def needs_escalation(self) -> bool:
        return escalation_rank(self.suggested_level) > escalation_rank(self.escalation_level)


def checkin_rows(store: ReadStore, now: datetime, *, card_id: str | None = None, township_codes: list[str] | None = None,
                 open_only: bool = False, summons_only: bool = False, limit: int = 500) -> list[CheckinRow]:
    """Check-ins of a card (``card_id``), or of the scope: missed first (most overdue), then waiting, then done."""
    q = select(CaseCheckin).where(CaseCheckin.deleted.is_(False))
    if card_id is not None:
        q = q.where(CaseCheckin.card_id == card_id)
    elif township_codes is not None:
        q = q.where(CaseCheckin.township_code.in_(township_codes))
    if open_only:
        q = q.where(CaseCheckin.checked_in_at.is_(None))
    if summons_only:
        q = q.where(CaseCheckin.case_id.is_(None) | CaseCheckin.card_id.is_not(None))
    with store.read() as session:
        chks = list(session.scalars(q.order_by(CaseCheckin.due_at.desc()).limit(limit)))
        cards = {c.id: c for c in session.scalars(select(TaskCard).where(
            TaskCard.id.in_({k.card_id for k in chks if k.card_id})))}
        incs = {i.id: i for i in session.scalars(select(Incident).where(
            Incident.id.in_({k.incident_id for k in chks if k.incident_id})))}
        cases = {c.id: c for c in session.scalars(select(OneThingCase).where(
            OneThingCase.id.in_({k.case_id for k in chks if k.case_id})))}
        names: dict[tuple[str, str], str] = {}
        out = []
        for k in chks:
            key = (k.target_kind, k.target_code)
            if key not in names:
                names[key] = target_name(session, *key)
            if k.card_id and k.card_id in cards:
                source, label = "card", cards[k.card_id].title
            elif k.case_id and k.case_id in cases:
                case = cases[k.case_id]
                source, label = "case", f"{case.number or ''} {case.title}".strip()
            elif k.incident_id and k.incident_id in incs:
                inc = incs[k.incident_id]
                source, label = "incident", f"{inc.number or ''} {inc.title}".strip()
            else:
                source, label = "card" if k.card_id else "incident", ""
            outcome = checkin_outcome(k, now)
            suggested = escalation_for(k.due_at, now).value if outcome == "missed" else "none"
            out.append(CheckinRow(k.id, k.township_code, source, label, k.card_id, k.incident_id, k.case_id,
                                  k.target_kind, k.target_code, names[key], k.due_at, k.checked_in_at, outcome,
                                  k.escalation_level or "none", suggested, k.note or "", k.created_at))
    rank = {"missed": 0, "waiting": 1, "late": 2, "on_time": 3}
    out.sort(key=lambda r: (rank.get(r.outcome, 4), r.due_at if r.outcome != "on_time" else datetime.max, r.id))
    return out


def next_escalation(row: CheckinRow) -> str | None:
    """The level a 督办 of ``row`` sends: what the lateness calls for, at least one rung above the current."""
    ladder = ["reminder", "supervision_order", "leader_notice"]
    current = escalation_rank(row.escalation_level)
    if escalation_rank(row.suggested_level) > current:
        return row.suggested_level
    for level in ladder:
        if escalation_rank(level) > current:
            return level
    return None


@dataclass(frozen=True)
class Target:
    kind: str  # department / module
    code: str
    label: str


def summon_targets(store: ReadStore, township_code: str, *, exclude_module: str | None = None) -> list[Target]:
    """Who a lead can summon: the township's other modules, then the county departments."""
    with store.read() as session:
        out = [Target("module", m.id, f"{m.name}模块") for m in board_svc.township_modules(session, township_code)
               if m.id != exclude_module]
        out += [Target("department", d.code, d.short_name)
                for d in session.scalars(select(Department).order_by(Department.code))]
    return out


@dataclass(frozen=True)
class IncidentChoice:
    id: str
    number: str
    title: str
    state: str
    township_code: str
    created_at: datetime | None


def search_incidents(store: ReadStore, township_codes: list[str] | None, text: str = "", *, limit: int = 200
                     ) -> list[IncidentChoice]:
    """Incidents for a picker: open ones first, newest first; ``text`` matches number or title."""
    q = select(Incident).where(Incident.deleted.is_(False), Incident.merged_into_id.is_(None))
    if township_codes is not None:
        q = q.where(Incident.township_code.in_(township_codes))
    text = text.strip()
    if text:
        like = f"%{text}%"
        q = q.where(or_(Incident.number.like(like), Incident.title.like(like)))
    q = q.order_by((Incident.state == "closed").asc(), Incident.created_at.desc()).limit(limit)
    with store.read() as session:
        return [IncidentChoice(i.id, i.number or "", i.title, i.state, i.township_code, i.created_at)
                for i in session.scalars(q)]



@dataclass
class CommandCheckins:
    """联动指挥: the check-in rows shown, and the scope's counts (the same as the handover's and the wall's)."""

    rows: list[CheckinRow]
    counts: DutyCounts


def command_checkins(store: ReadStore, now: datetime, *, township_codes: Sequence[str] | None,
                     open_only: bool = False) -> CommandCheckins:
    """The rows of :func:`checkin_rows` for a scope, with its :func:`~commandroom.queries.counts.duty_counts`."""
    rows = checkin_rows(store, now, township_codes=None if township_codes is None else list(township_codes),
                        open_only=open_only, summons_only=False)
    with store.read() as session:
        counts = duty_counts(session, township_codes, now)
    return CommandCheckins(rows, counts)


def auto_card_plans(store: ReadStore, now: datetime, township_code: str | None) -> list[Any]:
    """The ``card.create`` mutations of the automatic 督办 cards that are missing (overdue incidents, missed
    check-ins); the desk performs them. Idempotent: a second plan after performing the first is empty."""
    with store.read() as session:
        return list(board_svc.auto_cards(session, now, township_code=township_code))
