"""The workflows of the command room: report, incident, dispatch, one-thing case and task card.

States are listed in progress order (their position is the progress rank used
by the merge rule in docs/sync-protocol.md). Side states that send work back (returned, escalated)
rank low, so moving into them from further along is a rewind that bumps the
``lifecycle_epoch``.
"""

from __future__ import annotations

from commandroom.domain.enums import CardColumn, CaseState, DispatchState, IncidentState, ReportState
from commandroom.workflows.machine import Machine

R = ReportState
I = IncidentState  # noqa: E741
D = DispatchState
C = CaseState
K = CardColumn

# ----------------------------------------------------------------------------- report

REPORT = Machine.build(
    "report",
    states=[R.NEW, R.ACCEPTED, R.MERGED, R.REJECTED],
    initial=R.NEW,
    terminal=[R.ACCEPTED, R.MERGED, R.REJECTED],
    transitions=[
        ("accept", R.NEW, R.ACCEPTED),
        ("merge", R.NEW, R.MERGED),
        ("reject", R.NEW, R.REJECTED),
        # undo of a (bulk) merge: the report goes back to the inbox
        ("unmerge", R.MERGED, R.NEW),
    ],
    reopen_actions=["unmerge"],
)

# ----------------------------------------------------------------------------- incident

_OPEN_WORK = [I.DISPATCHED, I.ACKNOWLEDGED, I.IN_PROGRESS]
INCIDENT_OPEN_STATES = frozenset(
    [I.PENDING_DISPATCH, I.RETURNED, I.ESCALATED, I.DISPATCHED, I.ACKNOWLEDGED, I.IN_PROGRESS,
     I.AWAITING_VERIFICATION]
)

INCIDENT = Machine.build(
    "incident",
    states=[
        I.PENDING_DISPATCH,
        I.RETURNED,
        I.ESCALATED,
        I.DISPATCHED,
        I.ACKNOWLEDGED,
        I.IN_PROGRESS,
        I.AWAITING_VERIFICATION,
        I.CLOSED,
    ],
    initial=I.PENDING_DISPATCH,
    terminal=[I.CLOSED],
    transitions=[
        # first dispatch (again after a return or an escalation)
        ("dispatch", [I.PENDING_DISPATCH, I.RETURNED, I.ESCALATED], I.DISPATCHED),
        # an additional dispatch (a second team, a department) keeps the state
        ("dispatch", I.DISPATCHED, I.DISPATCHED),
        ("dispatch", I.ACKNOWLEDGED, I.ACKNOWLEDGED),
        ("dispatch", I.IN_PROGRESS, I.IN_PROGRESS),
        ("acknowledge", I.DISPATCHED, I.ACKNOWLEDGED),
        # arriving on site implies acknowledgement; later it only records the time
        ("arrive", I.DISPATCHED, I.ACKNOWLEDGED),
        ("arrive", I.ACKNOWLEDGED, I.ACKNOWLEDGED),
        ("arrive", I.IN_PROGRESS, I.IN_PROGRESS),
        ("start", [I.DISPATCHED, I.ACKNOWLEDGED], I.IN_PROGRESS),
        ("submit", [I.ACKNOWLEDGED, I.IN_PROGRESS], I.AWAITING_VERIFICATION),
        ("verify_pass", I.AWAITING_VERIFICATION, I.CLOSED),
        ("verify_fail", I.AWAITING_VERIFICATION, I.IN_PROGRESS),
        # the assignee returns the matter (退回); the county arbitrates and dispatches again
        ("return", _OPEN_WORK, I.RETURNED),
        ("escalate", [I.PENDING_DISPATCH, I.RETURNED, *_OPEN_WORK, I.AWAITING_VERIFICATION], I.ESCALATED),
        # direct close by the room (当场解决当日销号, or closing after verification on site)
        ("close", [I.PENDING_DISPATCH, I.RETURNED, I.ESCALATED, *_OPEN_WORK, I.AWAITING_VERIFICATION],
         I.CLOSED),
        ("reopen", I.CLOSED, (I.PENDING_DISPATCH, I.IN_PROGRESS)),
    ],
    reopen_actions=["reopen"],
)

# ----------------------------------------------------------------------------- dispatch

DISPATCH_ACTIVE_STATES = frozenset([D.ASSIGNED, D.ACKNOWLEDGED, D.EN_ROUTE, D.ON_SCENE])

DISPATCH = Machine.build(
    "dispatch",
    # done ranks above cancelled: in a state merge, work that was done wins over a withdrawal
    states=[D.ASSIGNED, D.ACKNOWLEDGED, D.EN_ROUTE, D.ON_SCENE, D.CANCELLED, D.DONE],
    initial=D.ASSIGNED,
    terminal=[D.DONE, D.CANCELLED],
    transitions=[
        ("acknowledge", D.ASSIGNED, D.ACKNOWLEDGED),
        ("en_route", [D.ASSIGNED, D.ACKNOWLEDGED], D.EN_ROUTE),
        ("on_scene", [D.ASSIGNED, D.ACKNOWLEDGED, D.EN_ROUTE], D.ON_SCENE),
        ("done", [D.ACKNOWLEDGED, D.EN_ROUTE, D.ON_SCENE], D.DONE),
        ("cancel", [D.ASSIGNED, D.ACKNOWLEDGED, D.EN_ROUTE, D.ON_SCENE], D.CANCELLED),
    ],
)

# ----------------------------------------------------------------------------- one-thing case

CASE = Machine.build(
    "one_thing_case",
    states=[C.ORDERED, C.CHECKING_IN, C.IN_PROGRESS, C.ESCALATED, C.COMPLETED],
    initial=C.ORDERED,
    terminal=[C.COMPLETED],
    transitions=[
        ("start_checkin", C.ORDERED, C.CHECKING_IN),  # 乡镇点单 → 部门报到
        ("start", [C.ORDERED, C.CHECKING_IN], C.IN_PROGRESS),  # all checked in (or lead starts)
        ("escalate", [C.ORDERED, C.CHECKING_IN, C.IN_PROGRESS], C.ESCALATED),  # 督办
        ("resume", C.ESCALATED, C.IN_PROGRESS),
        ("complete", [C.IN_PROGRESS, C.ESCALATED], C.COMPLETED),  # 限时办结
        ("reopen", C.COMPLETED, C.IN_PROGRESS),
    ],
    reopen_actions=["reopen"],
)

# ----------------------------------------------------------------------------- task card

CARD = Machine.build(
    "task_card",
    states=[K.TODO, K.DOING, K.REVIEW, K.DONE],
    initial=K.TODO,
    terminal=[K.DONE],
    transitions=[
        ("start", K.TODO, K.DOING),
        ("submit", [K.TODO, K.DOING], K.REVIEW),
        ("approve", K.REVIEW, K.DONE),
        ("finish", [K.TODO, K.DOING], K.DONE),
        ("send_back", K.REVIEW, (K.DOING, K.TODO)),
        ("send_back", K.DOING, K.TODO),
        ("reopen", K.DONE, (K.TODO, K.DOING, K.REVIEW)),
    ],
    reopen_actions=["reopen"],
)

_CARD_MOVES = {
    (K.TODO, K.DOING): "start",
    (K.TODO, K.REVIEW): "submit",
    (K.DOING, K.REVIEW): "submit",
    (K.REVIEW, K.DONE): "approve",
    (K.TODO, K.DONE): "finish",
    (K.DOING, K.DONE): "finish",
    (K.REVIEW, K.DOING): "send_back",
    (K.REVIEW, K.TODO): "send_back",
    (K.DOING, K.TODO): "send_back",
    (K.DONE, K.TODO): "reopen",
    (K.DONE, K.DOING): "reopen",
    (K.DONE, K.REVIEW): "reopen",
}


def card_action_for_move(from_column: str, to_column: str) -> str:
    """The card action a drag from one board column to another means (raises IllegalTransition)."""
    action = _CARD_MOVES.get((from_column, to_column))
    if action is None:
        from commandroom.domain.errors import IllegalTransition

        raise IllegalTransition("task_card", from_column, f"move to {to_column}", CARD.allowed(from_column))
    return action


MACHINES: dict[str, Machine] = {m.entity: m for m in (REPORT, INCIDENT, DISPATCH, CASE, CARD)}
