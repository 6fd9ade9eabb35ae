"""The demo work of the module leads (commandroom/demo_history/work.py) in a seeded demo county: boards
with cards in every column (aged, overdue, over the WIP limit, a lost concurrent move), summons with a
missed and escalated check-in, one-thing cases (农民建房 at step 2) and last month's assessment."""

from __future__ import annotations

import pytest

QC = "330822111"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from commandroom.refdata.seed import seed_database

    path = tmp_path_factory.mktemp("demo-work") / "demo.db"
    seed_database(f"sqlite:///{path}", demo_days=2)
    return f"sqlite:///{path}"


def test_demo_work_fills_boards_command_cases_and_assessment(demo_db):
    from sqlalchemy import select

    from commandroom.demo_history.work import _last_month
    from commandroom.domain.models import ConflictRecord, Module, OneThingCase
    from commandroom.services import assessment, boards, cases
    from commandroom.store.db import make_engine, session_factory
    from commandroom.timeutil import utcnow

    now = utcnow()
    with session_factory(make_engine(demo_db))() as session:
        safety = session.scalars(select(Module).where(Module.township_code == QC, Module.name == "平安法治")).one()
        board = boards.board(session, safety.id, now)
        counts = {c.column: len(c.cards) for c in board.columns}
        assert all(counts[c] > 0 for c in ("todo", "doing", "review", "done"))
        assert board.column("doing").over_limit
        views = [v for c in board.columns for v in c.cards]
        assert any(v.overdue for v in views) and max(v.age_days for v in views) > 10
        assert any(v.card.auto_source == "missed_checkin" for v in views)
        rules = set(session.scalars(select(ConflictRecord.rule).where(ConflictRecord.township_code == QC)))
        assert {"wip_override", "card_move_lost"} <= rules

        missed = cases.missed_checkins(session, now, township_code=QC)
        assert any(d.checkin.escalation_level != "none" for d in missed)
        assert any(d.checkin.card_id for d in missed) and any(d.checkin.case_id for d in missed)

        housing = session.scalars(select(OneThingCase).where(OneThingCase.type_code == "farmer_housing")).one()
        progress = cases.case_progress(session, housing, now)
        assert progress.current_step is not None and progress.current_step.position == 2
        assert progress.reform_summary.startswith("7 个步骤 → 3 个步骤")
        assert {c.outcome for c in progress.checkins} >= {"on_time", "late", "missed"}

        month, _mid = _last_month(now)
        scores = assessment.four_dimension(session, month, township_code=QC)
        assert any(s.vetoed for s in scores)
        assert any(s.cluster > 0 for s in scores) and any(s.task_force > 0 for s in scores)
        assert all(s.post > 0 for s in scores)
