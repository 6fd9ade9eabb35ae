"""One situation, the same numbers on every screen (issue 13 item 5).

Open and overdue incidents and waiting/overdue check-ins are built once; the incident list's 超时
filter, the handover (its figures and its dialog's tiles), the daily briefing, the wall and 联动指挥
(its figures and its summary line) must all say the same. The situation holds the cases the
screens used to disagree on: an incident 处置中 whose on-site time ran out (the on-site clock no
longer runs: not overdue), and check-ins that were escalated (stored as ``missed``, still waited for).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from commandroom.domain.models import CaseCheckin, Incident
from commandroom.ids import new_id
from commandroom.timeutil import utcnow

QC, TM = "330822111", "330822001"
H = timedelta(hours=1)

OPEN, OVERDUE = 5, 3
CHECKINS_OPEN, CHECKINS_OVERDUE, CHECKINS_ESCALATED = 5, 3, 2


def _situation(store, now):
    created = now - 5 * H

    def inc(town, state, **kw):
        return Incident(id=new_id(), township_code=town, title="测试事件", category_code="urban_parking",
                        state=state, urgency="L3", created_at=created, updated_at=created, **kw)

    def chk(town, due, **kw):
        return CaseCheckin(id=new_id(), township_code=town, target_code="enforcement", due_at=due,
                           created_at=created, updated_at=created, **kw)

    with store.write() as s:
        s.add_all([
            inc(QC, "dispatched", dispatched_at=created, ack_due=now - H, onsite_due=now + H,
                close_due=now + 48 * H),                                                    # overdue: 签收
            inc(QC, "acknowledged", dispatched_at=created, acknowledged_at=created, onsite_due=now - H,
                close_due=now + 48 * H),                                                    # overdue: 到场
            inc(QC, "in_progress", dispatched_at=created, acknowledged_at=created, onsite_due=now - H,
                close_due=now + 48 * H),                      # 处置中, no arrival recorded: not overdue
            inc(QC, "pending_dispatch", ack_due=now + H, close_due=now - H),                # overdue: 办结
            inc(QC, "awaiting_verification", acknowledged_at=created, close_due=now + 2 * H),
            inc(QC, "closed", closed_at=now - H, close_due=now - 2 * H),
            inc(TM, "dispatched", dispatched_at=created, ack_due=now - H, close_due=now + H),  # other township
        ])
        s.add_all([
            chk(QC, now + H), chk(QC, now + 2 * H),
            chk(QC, now - H),                                                               # overdue
            chk(QC, now - 3 * H, state="missed", escalated=True, escalation_level="reminder"),
            chk(QC, now - 30 * H, state="missed", escalated=True, escalation_level="supervision_order"),
            chk(QC, now - 2 * H, state="checked_in", checked_in_at=now - 3 * H),
            chk(TM, now - H),
        ])


@pytest.mark.asyncio
async def test_every_screen_shows_the_same_counts(store, actor, qtbot, ui, zh):
    from commandroom.domain.clocks import OPEN_STATES
    from commandroom.queries.boards import command_checkins
    from commandroom.queries.briefing import daily_briefing, handover_summary, local_today
    from commandroom.queries.counts import duty_counts
    from commandroom.queries.incidents import IncidentQuery, count_incidents, raw_reader
    from commandroom.queries.scope import scope_of
    from commandroom.queries.wall import case_figures, overview_figures
    from ui.boards.command_view import CommandView
    from ui.handover.dialog import HandoverDialog

    now = utcnow().replace(microsecond=0)
    _situation(store, now)
    scope = scope_of(actor, store)
    assert scope == (QC,)

    with store.read() as session:
        counts = duty_counts(session, scope, now)
        handover = handover_summary(session, township_codes=scope, now=now)
        briefing = daily_briefing(session, day=local_today(now), township_codes=scope, now=now)
        wall = overview_figures(session, now, townships=scope).kpis
        wall_cases = case_figures(session, now, townships=scope)
    with raw_reader(store) as conn:
        listed_overdue = count_incidents(conn, IncidentQuery(scope_townships=scope, overdue_only=True), now)
        listed_open = count_incidents(conn, IncidentQuery(scope_townships=scope, states=OPEN_STATES), now)
    command = command_checkins(store, now, township_codes=scope).counts

    # open and overdue incidents
    assert (counts.open_incidents, counts.overdue_incidents) == (OPEN, OVERDUE)
    assert (listed_open, listed_overdue) == (OPEN, OVERDUE)
    assert (handover.open_total, len(handover.overdue)) == (OPEN, OVERDUE)
    assert briefing.overdue_total == OVERDUE
    assert (wall.open_incidents, wall.overdue) == (OPEN, OVERDUE)
    # waiting (待报到, the overdue ones included) and overdue (超时未报到) check-ins
    assert (counts.checkins_open, counts.checkins_overdue, counts.checkins_escalated) == (
        CHECKINS_OPEN, CHECKINS_OVERDUE, CHECKINS_ESCALATED)
    assert (len(handover.pending_checkins), sum(c.overdue for c in handover.pending_checkins)) == (
        CHECKINS_OPEN, CHECKINS_OVERDUE)
    assert (wall_cases.waiting_total, wall_cases.waiting_late) == (CHECKINS_OPEN, CHECKINS_OVERDUE)
    assert command == counts

    # what the officer reads: the handover's tiles and 联动指挥's summary line
    dialog = HandoverDialog(store, actor, scope, now=now)
    qtbot.addWidget(dialog)
    dialog.show()
    await ui.wait_until(lambda: dialog.summary is not None, what="summary")
    assert dialog.tile_open.value.text() == str(OPEN)
    assert dialog.tile_overdue.value.text() == str(OVERDUE)
    assert dialog.tile_checkins.value.text() == str(CHECKINS_OPEN)
    view = CommandView(store, actor, scope, clock=lambda: now)
    qtbot.addWidget(view)
    view.load()
    await view.wait_idle()
    assert view.summary_label.text() == f"超时未报到 {CHECKINS_OVERDUE} · 待报到 {CHECKINS_OPEN} · 已督办 {CHECKINS_ESCALATED}"
