"""The workflows as pure code: transitions, errors, progress ranks, epochs and the merge rule (docs/sync-protocol.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commandroom.domain.enums import CardColumn, CaseState, DispatchState, IncidentState, ReportState
from commandroom.domain.errors import IllegalTransition
from commandroom.workflows import (
    CARD,
    CASE,
    DISPATCH,
    INCIDENT,
    MACHINES,
    REPORT,
    Machine,
    card_action_for_move,
)

ENUMS = {
    "report": ReportState,
    "incident": IncidentState,
    "dispatch": DispatchState,
    "one_thing_case": CaseState,
    "task_card": CardColumn,
}


# ----------------------------------------------------------------------------- fixed paths


def test_machines_cover_exactly_their_enums():
    for name, machine in MACHINES.items():
        assert set(machine.states) == {s.value for s in ENUMS[name]}, name
        assert all(type(s) is str for s in machine.states)


def test_incident_main_line():
    assert INCIDENT.run(["dispatch", "acknowledge", "start", "submit", "verify_pass"]) == ("closed", 0)


def test_incident_return_and_dispatch_again_bumps_epoch():
    state, epoch = INCIDENT.run(["dispatch", "acknowledge", "return"])
    assert (state, epoch) == ("returned", 1)
    assert INCIDENT.run(["dispatch"], state=state, epoch=epoch) == ("dispatched", 1)


def test_incident_escalate_from_any_open_state_and_dispatch_again():
    for state in INCIDENT.states:
        if state == "closed" or state == "escalated":
            assert not INCIDENT.can(state, "escalate")
            continue
        step = INCIDENT.fire(state, "escalate")
        assert step.to_state == "escalated"
    assert INCIDENT.fire("escalated", "dispatch").to_state == "dispatched"


def test_incident_verify_fail_goes_back_to_in_progress_and_bumps_epoch():
    step = INCIDENT.fire("awaiting_verification", "verify_fail")
    assert step.to_state == "in_progress" and step.bumps_epoch


def test_incident_reopen_targets_and_epoch():
    assert INCIDENT.fire("closed", "reopen").to_state == "pending_dispatch"
    step = INCIDENT.fire("closed", "reopen", target="in_progress")
    assert step.to_state == "in_progress" and step.bumps_epoch
    with pytest.raises(IllegalTransition):
        INCIDENT.fire("closed", "reopen", target="awaiting_verification")


def test_illegal_transition_names_entity_state_action_and_allowed():
    with pytest.raises(IllegalTransition) as exc:
        INCIDENT.fire("pending_dispatch", "acknowledge")
    err = exc.value
    assert (err.entity, err.state, err.action) == ("incident", "pending_dispatch", "acknowledge")
    assert "dispatch" in err.allowed and "close" in err.allowed
    assert "incident" in err.message and "pending_dispatch" in err.message and "acknowledge" in err.message
    with pytest.raises(IllegalTransition) as exc:
        INCIDENT.fire("in_progress", "reopen")
    assert exc.value.action == "reopen"


def test_report_machine():
    assert REPORT.fire("new", "accept").to_state == "accepted"
    assert REPORT.fire("new", "merge").to_state == "merged"
    assert REPORT.fire("new", "reject").to_state == "rejected"
    assert REPORT.fire("merged", "unmerge").to_state == "new"
    for terminal in ("accepted", "rejected"):
        assert REPORT.allowed(terminal) == []
    with pytest.raises(IllegalTransition):
        REPORT.fire("accepted", "merge")


def test_dispatch_machine_and_cancel():
    assert DISPATCH.run(["acknowledge", "en_route", "on_scene", "done"]) == ("done", 0)
    for s in ("assigned", "acknowledged", "en_route", "on_scene"):
        assert DISPATCH.fire(s, "cancel").to_state == "cancelled"
    with pytest.raises(IllegalTransition):
        DISPATCH.fire("done", "cancel")
    with pytest.raises(IllegalTransition):
        DISPATCH.fire("assigned", "done")


def test_case_machine():
    assert CASE.run(["start_checkin", "start", "complete"]) == ("completed", 0)
    assert CASE.run(["start_checkin", "escalate", "resume"]) == ("in_progress", 1)
    assert CASE.run(["start", "complete", "reopen"]) == ("in_progress", 1)


def test_card_columns_and_moves():
    assert CARD.run(["start", "submit", "approve"]) == ("done", 0)
    assert CARD.run(["start", "submit", ("send_back", "doing")]) == ("doing", 1)
    assert CARD.run(["finish", ("reopen", "doing")]) == ("doing", 1)
    assert card_action_for_move("todo", "doing") == "start"
    assert card_action_for_move("done", "todo") == "reopen"
    with pytest.raises(IllegalTransition):
        card_action_for_move("todo", "todo")


def test_build_rejects_a_terminal_state_left_without_reopen():
    with pytest.raises(ValueError):
        Machine.build("x", states=["a", "b"], initial="a", terminal=["b"],
                      transitions=[("go", "a", "b"), ("back", "b", "a")])


# ----------------------------------------------------------------------------- resolve (op-based merge)


def test_resolve_second_close_is_merged():
    res = INCIDENT.resolve("closed", 0, "close")
    assert res.outcome == "merged" and res.reason == "terminal"


def test_resolve_acknowledge_on_already_acknowledged_is_merged():
    assert INCIDENT.resolve("acknowledged", 0, "acknowledge").reason == "already"
    assert INCIDENT.resolve("in_progress", 0, "acknowledge").reason == "overtaken"


def test_resolve_stale_epoch_is_merged_away():
    res = INCIDENT.resolve("pending_dispatch", 1, "close", expected_epoch=0)
    assert res.outcome == "merged" and res.reason == "stale_epoch"
    # the current epoch applies normally
    assert INCIDENT.resolve("pending_dispatch", 1, "close", expected_epoch=1).applied


def test_resolve_truly_illegal_actions_raise():
    with pytest.raises(IllegalTransition):
        INCIDENT.resolve("in_progress", 0, "reopen")  # reopen something open
    with pytest.raises(IllegalTransition):
        INCIDENT.resolve("returned", 1, "acknowledge")  # the assignee returned it
    with pytest.raises(IllegalTransition):
        INCIDENT.resolve("pending_dispatch", 0, "submit")


def test_resolve_rewind_on_closed_is_merged_closed_wins():
    assert INCIDENT.resolve("closed", 0, "return").reason == "terminal"
    assert INCIDENT.resolve("closed", 0, "verify_fail").reason == "terminal"


def test_join_prefers_epoch_then_rank():
    assert INCIDENT.join((0, "closed"), (1, "pending_dispatch")) == (1, "pending_dispatch")
    assert INCIDENT.join((0, "acknowledged"), (0, "in_progress")) == (0, "in_progress")
    assert DISPATCH.join((0, "done"), (0, "cancelled")) == (0, "done")


# ----------------------------------------------------------------------------- properties

MACHINE_LIST = list(MACHINES.values())


@st.composite
def walks(draw, machine: Machine | None = None, max_len: int = 40):
    """A random walk of legal and illegal action attempts through a machine."""
    m = machine or draw(st.sampled_from(MACHINE_LIST))
    picks = draw(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000), st.booleans()),
                          max_size=max_len))
    return m, picks


@settings(max_examples=300, deadline=None)
@given(walks())
def test_no_sequence_leaves_the_machine_and_rank_never_decreases_within_an_epoch(walk):
    machine, picks = walk
    state, epoch = machine.initial, 0
    all_actions = machine.actions
    for i, j, legal_only in picks:
        if legal_only:
            allowed = machine.allowed(state)
            if not allowed:
                continue
            action = allowed[i % len(allowed)]
        else:
            action = all_actions[i % len(all_actions)]
        targets = machine.targets(state, action)
        if not targets:
            with pytest.raises(IllegalTransition):
                machine.fire(state, action)
            continue
        target = targets[j % len(targets)]
        step = machine.fire(state, action, target)
        assert step.to_state in machine.ranks
        if machine.is_terminal(state):
            assert action in machine.reopen_actions, "terminal states only leave through reopen"
        new_epoch = epoch + (1 if step.bumps_epoch else 0)
        if new_epoch == epoch:
            assert machine.rank(step.to_state) >= machine.rank(state)
        if action in machine.reopen_actions:
            assert new_epoch == epoch + 1
        state, epoch = step.to_state, new_epoch


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MACHINE_LIST), st.data())
def test_join_is_a_semilattice(machine, data):
    vals = st.tuples(st.integers(0, 3), st.sampled_from(machine.states))
    a, b, c = data.draw(vals), data.draw(vals), data.draw(vals)
    assert machine.join(a, b) == machine.join(b, a)
    assert machine.join(machine.join(a, b), c) == machine.join(a, machine.join(b, c))
    assert machine.join(a, a) == a


# Forward, non-rewinding actions of the incident main line: the rule commutes for these.
MAIN_LINE = ["dispatch", "acknowledge", "arrive", "start", "submit", "verify_pass", "close"]
MAIN_STATES = ["pending_dispatch", "dispatched", "acknowledged", "in_progress", "awaiting_verification"]


def _actor_run(machine: Machine, start: str, picks: list[int], actions: list[str]) -> list[tuple[str, str]]:
    """An actor working offline from ``start``: a legal sequence of (action, intended target)."""
    state, out = start, []
    for p in picks:
        allowed = [a for a in actions if machine.can(state, a)]
        if not allowed:
            break
        action = allowed[p % len(allowed)]
        state = machine.fire(state, action).to_state
        out.append((action, state))
    return out


def _serve(machine: Machine, start: str, ops: list[tuple[str, str]]) -> tuple[int, str]:
    state, epoch = start, 0
    for action, _intended in ops:
        res = machine.resolve(state, epoch, action, expected_epoch=0)
        if res.applied:
            assert res.step is not None
            state, epoch = res.step.to_state, res.epoch
    return epoch, state


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(MAIN_STATES),
    st.lists(st.integers(0, 100), max_size=8),
    st.lists(st.integers(0, 100), max_size=8),
    st.lists(st.booleans(), min_size=16, max_size=16),
    st.lists(st.booleans(), min_size=16, max_size=16),
)
def test_two_actors_interleavings_converge_on_the_main_line(start, picks_a, picks_b, order1, order2):
    a = _actor_run(INCIDENT, start, picks_a, MAIN_LINE)
    b = _actor_run(INCIDENT, start, picks_b, MAIN_LINE)

    def interleave(order: list[bool]) -> list[tuple[str, str]]:
        ia = ib = 0
        out = []
        for take_a in order + [True] * len(a) + [False] * len(b):
            if take_a and ia < len(a):
                out.append(a[ia])
                ia += 1
            elif not take_a and ib < len(b):
                out.append(b[ib])
                ib += 1
        return out

    r1 = _serve(INCIDENT, start, interleave(order1))
    r2 = _serve(INCIDENT, start, interleave(order2))
    assert r1 == r2
    # and equals the state-based join of what each actor saw locally
    final_a = (0, a[-1][1] if a else start)
    final_b = (0, b[-1][1] if b else start)
    assert r1 == INCIDENT.join(final_a, final_b)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 100), max_size=6),
    st.lists(st.integers(0, 100), max_size=6),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_two_actors_on_one_dispatch_converge(picks_a, picks_b, order):
    forward = ["acknowledge", "en_route", "on_scene", "done"]
    a = _actor_run(DISPATCH, "assigned", picks_a, forward)
    b = _actor_run(DISPATCH, "assigned", picks_b, forward)
    ab = _serve(DISPATCH, "assigned", a + b)
    ba = _serve(DISPATCH, "assigned", b + a)
    assert ab == ba == DISPATCH.join((0, a[-1][1] if a else "assigned"), (0, b[-1][1] if b else "assigned"))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5))
def test_concurrent_reopens_with_expected_epoch_apply_once(copies):
    """Several officers reopen the same closed incident offline: exactly one reopen applies."""
    state, epoch = "closed", 0
    applied = 0
    for _ in range(copies + 1):
        res = INCIDENT.resolve(state, epoch, "reopen", expected_epoch=0)
        if res.applied:
            applied += 1
            state, epoch = res.step.to_state, res.epoch
        else:
            assert res.reason == "stale_epoch"
    assert applied == 1 and (state, epoch) == ("pending_dispatch", 1)
