"""The hash-chained audit log: appends from the write path, verification, tampering, the CLI."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import delete, select, text, update

from commandroom.cli import main
from commandroom.domain.models import AuditEntry, Incident
from commandroom.ids import new_id
from commandroom.mutations.core import Actor
from commandroom.server.audit import GENESIS, append_audit, hash_of, verify_chain
from commandroom.server.pipeline import execute
from commandroom.server.state import open_state
from tests.server.test_auth_support import QC, seeded


@pytest.fixture
def state(db_url, tmp_path):
    st = open_state(seeded(db_url, tmp_path))
    yield st
    st.close()


def _append(state, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with state.transaction() as s:
            append_audit(s, user_id="u1", device_id="ws-1", mutation_id=new_id(), action="test.write",
                         entity_type="incident", entity_id=f"e{i}", before={"n": i} if i else None,
                         after={"n": i + 1, "text": "球川 ✓", "f": 28.87, "nested": {"a": [1, 2, None]}})


def test_chain_is_built_and_verifies(state):
    with state.read() as s:
        assert verify_chain(s) == (True, None, "the audit log is empty")
    _append(state, 5)
    with state.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [r.id for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert all(hash_of(r) == r.hash for r in rows)
        ok, bad, message = verify_chain(s)
    assert ok and bad is None and message.startswith("5 entries, chain intact")


def test_the_write_path_appends_to_the_chain(state):
    incident_id = new_id()
    with state.transaction() as s:
        s.add(Incident(id=incident_id, township_code=QC, title="测试", category_code="dispute"))
    actor = Actor(user_id="duty-1", name="值班员", role="duty_officer", scope_code=QC, township_code=QC,
                  device_id="ws-qc-1")
    mid = new_id()
    with state.transaction() as s:
        execute(s, actor=actor, allowed_townships=[QC], name="incident.note", entity_id=incident_id,
                args={"note": "到现场"}, mutation_id=mid)
    with state.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert rows and all(r.mutation_id == mid and r.action == "incident.note" for r in rows)
        assert {r.entity_type for r in rows} >= {"incident", "timeline_entry"}
        assert rows[0].user_id == "duty-1" and rows[0].device_id == "ws-qc-1"
        inc = next(r for r in rows if r.entity_type == "incident")
        assert inc.before is not None and inc.after["id"] == incident_id
        assert verify_chain(s)[0]


def test_tampered_after_is_named(state):
    _append(state, 6)
    with state.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 4).values(after={"n": 999}))
    with state.read() as s:
        ok, bad, message = verify_chain(s)
    assert not ok and bad == 4
    assert "entry #4" in message and "altered" in message


def test_tampered_raw_sql_is_named(state):
    _append(state, 3)
    with state.transaction() as s:
        s.execute(text("UPDATE srv_audit SET action = 'innocent' WHERE id = 2"))
    with state.read() as s:
        ok, bad, _ = verify_chain(s)
    assert (ok, bad) == (False, 2)


def test_deleted_row_leaves_a_gap(state):
    _append(state, 6)
    with state.transaction() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == 3))
    with state.read() as s:
        ok, bad, message = verify_chain(s)
    assert not ok and bad == 3
    assert "entry #3 is missing" in message


def test_renumbering_after_a_delete_is_caught_too(state):
    _append(state, 4)
    with state.transaction() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == 2))
        s.execute(update(AuditEntry).where(AuditEntry.id == 3).values(id=2))
        s.execute(update(AuditEntry).where(AuditEntry.id == 4).values(id=3))
    with state.read() as s:
        ok, bad, _ = verify_chain(s)
    assert not ok and bad == 2


def test_concurrent_appends_keep_one_chain(state):
    errors = []

    def work(start: int) -> None:
        try:
            _append(state, 15, start)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with state.read() as s:
        ok, _bad, message = verify_chain(s)
        assert ok, message
        assert message.startswith("60 entries")


def test_audit_command(db_url, tmp_path, capsys):
    url = seeded(db_url, tmp_path)
    st = open_state(url)
    try:
        _append(st, 3)
        assert main(["audit", "verify", "--db", url]) == 0
        assert "OK: 3 entries, chain intact" in capsys.readouterr().out
        assert main(["audit", "show", "--limit", "2", "--db", url]) == 0
        out = capsys.readouterr().out
        assert "#2" in out and "#3" in out and "#1 " not in out and "3 entries; head #3" in out
        with st.transaction() as s:
            s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(after={"forged": True}))
        assert main(["audit", "verify", "--db", url]) == 1
        assert "TAMPERED at entry #2" in capsys.readouterr().out
    finally:
        st.close()
