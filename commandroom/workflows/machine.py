"""A small, generic state machine with a progress rank for the monotonic merge (docs/sync-protocol.md, "Merge rules").

Every state has a distinct *progress rank*. Within one ``lifecycle_epoch`` a
lifecycle only moves forward (the rank never decreases); a transition whose
target ranks below its source is a *rewind* (return, verification failure,
reopen…) and bumps the epoch. Terminal states are left only through the
machine's reopen actions.

The merge rule on states is the join of the total order ``(epoch, rank)``:
higher epoch wins, then the state further along. It is commutative,
associative and idempotent, so replicas that exchange states converge.

For *operations* (named mutations) applied in server arrival order,
:func:`resolve` decides between three outcomes:

* ``applied``: the action is allowed from the current state;
* ``merged``: the action's effect is already there or has been overtaken
  (the entity is already in the target state, further along, closed, or the
  action was made against an older epoch); nothing is changed twice;
* :class:`~commandroom.domain.errors.IllegalTransition`: the action makes no
  sense from here (reopening something open, acknowledging a returned incident).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from commandroom.domain.errors import IllegalTransition


@dataclass(frozen=True)
class Step:
    """One fired transition."""

    action: str
    from_state: str
    to_state: str
    bumps_epoch: bool


@dataclass(frozen=True)
class Resolution:
    """The outcome of :func:`resolve`.

    ``outcome`` is ``"applied"`` (``step`` is set and ``epoch`` is the new epoch)
    or ``"merged"`` (``step`` is None; ``reason`` says why: ``stale_epoch``,
    ``terminal``, ``already``, ``overtaken``).
    """

    outcome: str
    step: Step | None
    epoch: int
    reason: str = ""

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class Machine:
    """A finite state machine over string states.

    ``edges`` maps ``(state, action)`` to the allowed target states; the first
    target is the default, the others are variants chosen with ``target=``
    (e.g. reopen to ``pending_dispatch`` or to ``in_progress``).
    """

    entity: str
    initial: str
    ranks: Mapping[str, int]
    terminal: frozenset[str]
    edges: Mapping[tuple[str, str], tuple[str, ...]]
    reopen_actions: frozenset[str] = field(default_factory=frozenset)

    # ------------------------------------------------------------------ construction

    @classmethod
    def build(
        cls,
        entity: str,
        *,
        states: Iterable[str],
        initial: str,
        terminal: Iterable[str],
        transitions: Iterable[tuple[str, Iterable[str] | str, str | tuple[str, ...]]],
        reopen_actions: Iterable[str] = (),
    ) -> Machine:
        """Build and check a machine.

        ``states`` are listed in progress order (their position is the rank);
        each transition is ``(action, source state(s), target or (targets…))``.
        """
        order = [str(s) for s in states]
        if len(set(order)) != len(order):
            raise ValueError(f"{entity}: duplicate state")
        ranks = {s: i for i, s in enumerate(order)}
        edges: dict[tuple[str, str], tuple[str, ...]] = {}
        for action, sources, targets in transitions:
            srcs = [str(sources)] if isinstance(sources, str) else [str(s) for s in sources]
            tgts = (str(targets),) if isinstance(targets, str) else tuple(str(t) for t in targets)
            for s in (*srcs, *tgts):
                if s not in ranks:
                    raise ValueError(f"{entity}: unknown state {s!r} in {action}")
            for s in srcs:
                if (s, action) in edges:
                    raise ValueError(f"{entity}: {action} from {s} defined twice")
                edges[(s, action)] = tgts
        machine = cls(
            entity=entity,
            initial=str(initial),
            ranks=ranks,
            terminal=frozenset(str(t) for t in terminal),
            edges=edges,
            reopen_actions=frozenset(reopen_actions),
        )
        machine._check()
        return machine

    def _check(self) -> None:
        if self.initial not in self.ranks:
            raise ValueError(f"{self.entity}: unknown initial state")
        for (state, action), _targets in self.edges.items():
            if state in self.terminal and action not in self.reopen_actions:
                raise ValueError(f"{self.entity}: terminal {state} left by {action}, not a reopen action")

    # ------------------------------------------------------------------ queries

    @property
    def states(self) -> list[str]:
        return sorted(self.ranks, key=self.ranks.__getitem__)

    @property
    def actions(self) -> list[str]:
        return sorted({a for _s, a in self.edges})

    def rank(self, state: str) -> int:
        try:
            return self.ranks[state]
        except KeyError:
            raise ValueError(f"{self.entity}: unknown state {state!r}") from None

    def is_terminal(self, state: str) -> bool:
        return state in self.terminal

    def allowed(self, state: str) -> list[str]:
        """Actions allowed from ``state``, sorted."""
        return sorted(a for s, a in self.edges if s == state)

    def can(self, state: str, action: str) -> bool:
        return (state, action) in self.edges

    def targets(self, state: str, action: str) -> tuple[str, ...]:
        return self.edges.get((state, action), ())

    def action_targets(self, action: str) -> set[str]:
        """Every state ``action`` can lead to, from anywhere."""
        return {t for (_s, a), ts in self.edges.items() if a == action for t in ts}

    def is_rewind(self, action: str) -> bool:
        """Whether ``action`` ever bumps the epoch (a reopen or a backwards move)."""
        if action in self.reopen_actions:
            return True
        return any(
            self.rank(t) < self.rank(s) for (s, a), ts in self.edges.items() if a == action for t in ts
        )

    # ------------------------------------------------------------------ firing

    def fire(self, state: str, action: str, target: str | None = None) -> Step:
        """The transition ``action`` from ``state``; raises :class:`IllegalTransition`."""
        targets = self.edges.get((state, action))
        if not targets:
            raise IllegalTransition(self.entity, state, action, self.allowed(state))
        if target is None:
            target = targets[0]
        elif target not in targets:
            raise IllegalTransition(self.entity, state, f"{action}→{target}", self.allowed(state))
        bumps = action in self.reopen_actions or self.rank(target) < self.rank(state)
        return Step(action=action, from_state=state, to_state=target, bumps_epoch=bumps)

    def run(
        self, actions: Iterable[str | tuple[str, str]], state: str | None = None, epoch: int = 0
    ) -> tuple[str, int]:
        """Fire a sequence of actions (``"action"`` or ``("action", target)``); return ``(state, epoch)``."""
        state = state or self.initial
        for item in actions:
            action, target = (item, None) if isinstance(item, str) else item
            step = self.fire(state, action, target)
            state = step.to_state
            epoch += 1 if step.bumps_epoch else 0
        return state, epoch

    # ------------------------------------------------------------------ merging

    def join(self, a: tuple[int, str], b: tuple[int, str]) -> tuple[int, str]:
        """State-based merge of two ``(epoch, state)`` values: the higher epoch, then the further state."""
        ka = (a[0], self.rank(a[1]))
        kb = (b[0], self.rank(b[1]))
        return a if ka >= kb else b

    def resolve(
        self,
        state: str,
        epoch: int,
        action: str,
        *,
        expected_epoch: int | None = None,
        target: str | None = None,
    ) -> Resolution:
        """Decide what an action arriving now does (server arrival order, docs/sync-protocol.md "Merge rules").

        * an action made against an older epoch (``expected_epoch < epoch``) is merged away;
        * an allowed action is applied;
        * an action on a terminal state (other than a reopen) is merged: terminal wins;
        * an action whose target is the current state is merged: its effect is already there;
        * a forward action whose targets all rank at or below the current state is merged:
          it has been overtaken;
        * anything else raises :class:`IllegalTransition`.
        """
        if expected_epoch is not None and expected_epoch < epoch:
            return Resolution("merged", None, epoch, "stale_epoch")
        if self.can(state, action):
            step = self.fire(state, action, target)
            return Resolution("applied", step, epoch + (1 if step.bumps_epoch else 0))
        if action not in self.reopen_actions:
            if self.is_terminal(state):
                return Resolution("merged", None, epoch, "terminal")
            targets = self.action_targets(action)
            if target is not None:
                targets = {target} & targets or {target}
            if state in targets:
                return Resolution("merged", None, epoch, "already")
            if targets and not self.is_rewind(action) and all(self.rank(t) < self.rank(state) for t in targets):
                return Resolution("merged", None, epoch, "overtaken")
        raise IllegalTransition(self.entity, state, action, self.allowed(state))
