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


def test_demo_work_cites_no_later_incident_and_titles_read_as_titles(demo_db):
    """No card, case or summons cites an incident created after it; no lead is a "分管副镇(乡)长"."""
    from sqlalchemy import select

    from commandroom.domain.models import CaseCheckin, Incident, Module, OneThingCase, TaskCard
    from commandroom.store.db import make_engine, session_factory

    with session_factory(make_engine(demo_db))() as session:
        created = dict(session.execute(select(Incident.id, Incident.created_at)).all())
        for kind, rows in (("card", session.execute(select(TaskCard.incident_id, TaskCard.created_at))),
                           ("case", session.execute(select(OneThingCase.incident_id, OneThingCase.ordered_at))),
                           ("summons", session.execute(select(CaseCheckin.incident_id, CaseCheckin.created_at)))):
            for incident_id, at in rows:
                if incident_id is not None and incident_id in created:
                    assert created[incident_id] <= at, (kind, incident_id, created[incident_id], at)
        leads = list(session.scalars(select(Module.lead_name)))
        assert leads and not [n for n in leads if "镇(乡)" in n]
        assert any("分管副镇长" in n for n in leads) and any("分管副主任" in n for n in leads)
