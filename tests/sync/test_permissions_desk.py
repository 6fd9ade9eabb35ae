"""The desk asks the same rules before it queues a change: a refusal is immediate, offline, in Chinese.

The matrix is generated from the model: every role × every registered mutation on a
workstation with no server at all. A role the rule does not name gets
:class:`~commandroom.domain.errors.Forbidden` with the rule's own words and nothing is queued;
a role the rule names is never refused by role (the mutation may still find its input wrong).
"""

from __future__ import annotations

import pytest

from commandroom import permissions
from commandroom.domain.enums import Role
from commandroom.domain.errors import DomainError, Forbidden
from commandroom.domain.models import Incident
from commandroom.ids import new_id
from commandroom.mutations.core import REGISTRY, Actor, _load_all
from commandroom.store.local import DeskStore

QC = "330822111"


def _actor(role: Role) -> Actor:
    kind = permissions.ROLE_SCOPE[role]
    scope = {"township": ("township", QC), "grid": ("township", QC), "zone": ("zone", "QC"),
             "county": ("county", None), "department": ("county", None)}[kind]
    return Actor(user_id=f"u-{role.value}", name=role.value, role=role.value, roles=(role.value,),
                 scope_kind=scope[0], scope_code=scope[1], township_code=QC if scope[0] == "township" else None,
                 department_code="natres" if role is Role.DEPARTMENT_LIAISON else None, device_id="desk-1")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = DeskStore(tmp_path_factory.mktemp("desk") / "desk.db")
    yield s
    s.close()


@pytest.mark.parametrize("role", list(Role))
def test_offline_refusal_matrix(store, role):
    _load_all()
    actor = _actor(role)
    problems = []
    for name, spec in sorted(REGISTRY.items()):
        if not spec.fn.__module__.startswith("commandroom.mutations"):
            continue
        before = store.pending_count()
        refusal = permissions.refusal(actor, name)
        try:
            store.perform(actor, name, new_id(), {})
            got = None
        except Forbidden as exc:
            got = exc.message
        except DomainError:
            got = None  # not refused by role: the (empty) input is wrong, which is the mutation's business
        if refusal is not None and (got != refusal or store.pending_count() != before):
            problems.append((name, "refused", refusal, got))
        no_board = role is Role.MODULE_LEAD and name in ("card.create", "summon")  # empty args name no board of its
        if refusal is None and got is not None and got in (refusal, permissions.assigned_refusal(name)) \
                and not (no_board and got == permissions.assigned_refusal(name)):
            problems.append((name, "allowed", got))
    assert problems == [], "\n".join(map(str, problems))


def test_the_refusal_names_the_power_and_who_holds_it(store):
    officer = _actor(Role.GRID_SUPERVISOR)
    with pytest.raises(Forbidden) as caught:
        store.perform(officer, "assessment.veto", new_id(), {})
    assert caught.value.message == "您的角色（网格长）无权反向否决；此操作由值班员、模块牵头人办理。（反向否决权属乡镇党委）"
    assert store.pending_count() == 0


def test_a_liaison_works_only_what_is_assigned_to_its_department(store):
    """依单履责 at the desk: another department's incident is refused before anything is queued."""
    with store.write() as s:
        s.add(Incident(id="inc-mine", township_code=QC, title="违建", category_code="x", state="dispatched",
                       assignee_kind="department", assignee_code="natres"))
        s.add(Incident(id="inc-theirs", township_code=QC, title="占道", category_code="x", state="dispatched",
                       assignee_kind="department", assignee_code="market"))
    liaison = _actor(Role.DEPARTMENT_LIAISON)
    with pytest.raises(Forbidden, match="不是派给您的"):
        store.perform(liaison, "incident.acknowledge", "inc-theirs", {})
    assert store.pending_count() == 0
    try:
        store.perform(liaison, "incident.acknowledge", "inc-mine", {"expected_epoch": 0})
    except Forbidden as exc:  # pragma: no cover - the assertion below says what went wrong
        pytest.fail(f"refused its own department's incident: {exc.message}")
    except DomainError:
        pass
    assert liaison.may("incident.acknowledge") and not liaison.may("incident.close")
