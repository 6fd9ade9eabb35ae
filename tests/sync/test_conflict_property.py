"""Property (issue 20): for any interleaving of desks' offline edits and syncs, the server records a conflict
exactly when an edit overwrote a value of the same field that a *different person* wrote after the edit's
desk last saw the row. A person's own earlier edit — on the same desk, or on a second desk signed in as
the same person — is never a conflict; neither is a field nobody else touched.

Three desks: 甲 (officer a1), 乙 (officer a2), and 丙, a second desk signed in as a1. A small model of the
server (value, version and writer per field; the version each desk last pulled) says which edits cross.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from commandroom.domain.models import ConflictRecord
from tests.sync.helpers import make_client, make_server

FIELDS = ("title", "body", "lane")
DESKS = (("甲", "a1"), ("乙", "a2"), ("丙", "a1"))  # 丙 is a1 again, on another desk

# a step: ("edit", desk, field, value) or ("sync", desk)
edit = st.tuples(st.just("edit"), st.integers(0, 2), st.sampled_from(FIELDS), st.sampled_from("ABC"))
sync = st.tuples(st.just("sync"), st.integers(0, 2))
steps_strategy = st.lists(st.one_of(edit, edit, sync), min_size=2, max_size=14)


@dataclass
class Model:
    """The server's card as the conflict rule sees it, and what each desk last pulled."""

    fields: dict[str, tuple[str, int, str]]  # field → (value, version, writer)
    version: int = 0
    seen: list[int] = field(default_factory=lambda: [0, 0, 0])
    queued: list[list[tuple[str, str, int, str]]] = field(default_factory=lambda: [[], [], []])
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (mutation id, field)

    def edit(self, desk: int, name: str, value: str, mutation_id: str) -> None:
        self.queued[desk].append((name, value, self.seen[desk], mutation_id))

    def sync(self, desk: int) -> None:
        person = DESKS[desk][1]
        for name, value, base, mutation_id in self.queued[desk]:
            old, version, writer = self.fields[name]
            if old == value:
                continue  # nothing changes
            if version > base and writer != person:
                self.conflicts.append((mutation_id, name))
            self.version += 1
            self.fields[name] = (value, self.version, person)
        self.queued[desk] = []
        self.seen[desk] = self.version


def test_a_conflict_exactly_when_different_people_crossed_on_a_field(db_url, tmp_path):
    loop = asyncio.new_event_loop()
    server = make_server(db_url, tmp_path)
    desks = []

    async def setup() -> None:
        await server.start()
        for name, user in DESKS:
            desks.append(await make_client(server, tmp_path, name, user))

    async def sync_all() -> None:
        for _ in range(2):
            for d in desks:
                assert await d.engine.sync_once()

    loop.run_until_complete(setup())

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(steps=steps_strategy)
    # the issue's own cases: a desk's successive offline edits of one field; one person on two desks
    @example(steps=[("edit", 0, "title", "A"), ("edit", 0, "title", "B"), ("sync", 0)])
    @example(steps=[("edit", 0, "title", "A"), ("edit", 2, "title", "B"), ("sync", 0), ("sync", 2)])
    @example(steps=[("edit", 0, "title", "A"), ("edit", 1, "title", "B"), ("sync", 0), ("sync", 1)])
    def interleaving(steps: list[tuple]) -> None:
        card = desks[0].create_card("初始", body="初始", lane="初始")
        loop.run_until_complete(sync_all())  # every desk holds the card at its first server version
        model = Model(fields=dict.fromkeys(FIELDS, ("初始", 0, "a1")))
        for step in steps:
            desk = desks[step[1]]
            if step[0] == "edit":
                _, i, name, value = step
                desk.perform("test.card.set", card, {name: value})
                model.edit(i, name, value, desk.store.outbox()[-1].mutation_id)
            else:
                assert loop.run_until_complete(desk.engine.sync_once())
                model.sync(step[1])
        loop.run_until_complete(sync_all())
        for i in range(3):
            model.sync(i)
        with server.state.read() as s:
            recorded = sorted((c.mutation_id, c.field) for c in s.scalars(
                select(ConflictRecord).where(ConflictRecord.entity_id == card)))
        assert recorded == sorted(model.conflicts), steps

    try:
        interleaving()
    finally:
        async def teardown() -> None:
            for d in desks:
                await d.close()
            await server.stop()

        loop.run_until_complete(teardown())
        loop.close()
