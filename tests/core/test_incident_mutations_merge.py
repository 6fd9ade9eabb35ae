"""The merge rules (docs/sync-protocol.md) through the real mutations: two officers' offline work, applied in any arrival order, converges."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commandroom.domain.models import Incident
from commandroom.services.routing import invalidate_routing_cache
from commandroom.store.db import make_engine, session_factory
from commandroom.workflows import INCIDENT
from tests.core.test_incident_mutations import NOW, OFFICER, OTHER, Room
from tests.core.test_routing import make_db

ARGS = {
    "acknowledge": ("incident.acknowledge", {}),
    "arrive": ("incident.arrive", {}),
    "start": ("incident.start", {}),
    "submit": ("incident.submit", {}),
    "verify_pass": ("incident.verify", {"passed": True}),
    "close": ("incident.close", {"note": "办结"}),
}
FORWARD = list(ARGS)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database with one dispatched incident, copied for every example."""
    d = tmp_path_factory.mktemp("merge")
    engine, factory = make_db(d, "template.db")
    Room(factory).dispatched()
    engine.dispose()
    invalidate_routing_cache()
    return d / "template.db"


def _offline(picks: list[int]) -> list[str]:
    """What one officer did offline, starting from the dispatched incident they last saw."""
    state, out = "dispatched", []
    for p in picks:
        allowed = [a for a in FORWARD if INCIDENT.can(state, a)]
        if not allowed:
            break
        action = allowed[p % len(allowed)]
        state = INCIDENT.fire(state, action).to_state
        out.append(action)
    return out


def _replay(template, tmp_dir, name: str, ops: list[tuple[object, str]]) -> tuple[str, int, list[str]]:
    path = tmp_dir / name
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        room = Room(session_factory(engine))
        statuses = []
        for i, (actor, action) in enumerate(ops):
            mname, args = ARGS[action]
            ctx = room.run(mname, "i1", {**args, "expected_epoch": 0}, actor=actor,
                           now=NOW + timedelta(minutes=i + 1))
            statuses.append(ctx.status)
        inc = room.get(Incident, "i1")
        return inc.state, inc.lifecycle_epoch, statuses
    finally:
        engine.dispose()
        invalidate_routing_cache()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.integers(0, 50), max_size=5),
    st.lists(st.integers(0, 50), max_size=5),
    st.lists(st.booleans(), min_size=10, max_size=10),
)
def test_two_officers_converge_in_any_arrival_order(template, tmp_path, picks_a, picks_b, order):
    a = [(OFFICER, x) for x in _offline(picks_a)]
    b = [(OTHER, x) for x in _offline(picks_b)]
    mixed, ia, ib = [], 0, 0
    for take_a in order + [True] * len(a) + [False] * len(b):
        if take_a and ia < len(a):
            mixed.append(a[ia])
            ia += 1
        elif not take_a and ib < len(b):
            mixed.append(b[ib])
            ib += 1
    r1 = _replay(template, tmp_path, "one.db", a + b)
    r2 = _replay(template, tmp_path, "two.db", mixed)
    r3 = _replay(template, tmp_path, "three.db", b + a)
    assert r1[:2] == r2[:2] == r3[:2]
    # nothing was rejected: every action either applied or merged
    assert set(r1[2] + r2[2] + r3[2]) <= {"applied", "merged"}
    # and the result is the join of what each officer saw locally
    end_a = INCIDENT.run([x for _o, x in a], state="dispatched")[0]
    end_b = INCIDENT.run([x for _o, x in b], state="dispatched")[0]
    assert (r1[1], r1[0]) == INCIDENT.join((0, end_a), (0, end_b))
