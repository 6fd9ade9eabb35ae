"""The bounds the server puts on a desk's stated moment (pipeline.bounded_occurred_at)."""

from __future__ import annotations

from datetime import datetime, timedelta

from commandroom.server.pipeline import bounded_occurred_at

RECEIVED = datetime(2026, 12, 8, 8, 52)  # naive UTC, the server's clock
PREVIOUS = datetime(2026, 12, 8, 8, 10)  # the row's previous acknowledged act


def test_an_offline_act_keeps_its_moment():
    assert bounded_occurred_at(datetime(2026, 12, 8, 8, 18), RECEIVED, PREVIOUS, "") == \
        (datetime(2026, 12, 8, 8, 18), False)


def test_without_a_stated_moment_it_happened_when_received():
    assert bounded_occurred_at(None, RECEIVED, PREVIOUS, "bad") == (RECEIVED, False)


def test_never_later_than_receipt_flagged_beyond_the_tolerance():
    assert bounded_occurred_at(RECEIVED + timedelta(seconds=2), RECEIVED, None, "") == (RECEIVED, False)
    assert bounded_occurred_at(RECEIVED + timedelta(hours=2), RECEIVED, None, "") == (RECEIVED, True)


def test_never_earlier_than_the_rows_previous_act():
    # a desk whose clock was measured fine uploads after another desk's later act: ordered, not blamed
    assert bounded_occurred_at(PREVIOUS - timedelta(minutes=5), RECEIVED, PREVIOUS, "") == (PREVIOUS, False)
    # a desk whose clock was not measured (or was off) and lands days before: bounded and flagged
    assert bounded_occurred_at(PREVIOUS - timedelta(days=2), RECEIVED, PREVIOUS, "unknown") == (PREVIOUS, True)
    # a previous act stamped after this receipt (the server's clock moved back) cannot push it into the future
    assert bounded_occurred_at(datetime(2026, 12, 8, 8, 18), RECEIVED, RECEIVED + timedelta(minutes=5), "")[0] \
        == datetime(2026, 12, 8, 8, 18)


def test_an_untrusted_desk_clock_is_flagged_even_when_within_bounds():
    moment = datetime(2026, 12, 8, 8, 30)
    assert bounded_occurred_at(moment, RECEIVED, PREVIOUS, "warn") == (moment, True)
    assert bounded_occurred_at(moment, RECEIVED, PREVIOUS, "bad") == (moment, True)
    # a clock never measured this session: trusted for a recent act, flagged for one made long before upload
    assert bounded_occurred_at(RECEIVED - timedelta(minutes=2), RECEIVED, None, "unknown")[1] is False
    assert bounded_occurred_at(moment, RECEIVED, PREVIOUS, "unknown") == (moment, True)


# --------------------------------------------------------------------------- on the real write path


def test_two_desks_offline_on_one_incident_are_ordered_by_what_the_server_knows(db_url, tmp_path):
    """A's act (16:20) reaches the server first; B's earlier act (16:15) later: B's lands at A's moment, the
    incident carries its last act, and nobody's clock is blamed."""
    from sqlalchemy import select

    from commandroom.domain.models import Incident, TimelineEntry
    from commandroom.mutations.core import Actor
    from commandroom.server.pipeline import execute
    from commandroom.server.state import open_state
    from commandroom.services.deadlines import load_levels
    from tests.server.test_auth_support import QC, QC_SEAT, seeded

    state = open_state(seeded(db_url, tmp_path))
    desk_a = Actor(user_id="u-a", name="值班甲", role="duty_officer", township_code=QC, device_name="球川-甲")
    desk_b = Actor(user_id="u-b", name="值班乙", role="duty_officer", township_code=QC, device_name="球川-乙")

    def push(actor: Actor, name: str, entity_id: str, args: dict, occurred: datetime, received: datetime,
             skew: str = "") -> None:
        with state.transaction() as s:
            load_levels(s)
            execute(s, actor=actor, allowed_townships=[QC], name=name, entity_id=entity_id, args=args,
                    now=received, occurred_at=occurred, clock_skew=skew)

    at = datetime(2026, 12, 8, 8, 0)  # 16:00 Beijing
    push(desk_a, "report.create", "r-order", {"source": "grid_patrol", "category_code": "urban_parking",
                                              "description": "镇区主干道机动车违停", "lat": QC_SEAT[0],
                                              "lon": QC_SEAT[1], "township_code": QC}, at, at)
    push(desk_a, "report.accept", "r-order", {"incident_id": "i-order"}, at, at)
    push(desk_a, "incident.note", "i-order", {"note": "甲：16:20 现场确认"}, at + timedelta(minutes=20),
         at + timedelta(minutes=30))
    push(desk_b, "incident.note", "i-order", {"note": "乙：16:15 群众来电"}, at + timedelta(minutes=15),
         at + timedelta(minutes=40))
    try:
        with state.read() as s:
            notes = {e.note[:1]: e for e in s.scalars(select(TimelineEntry).where(
                TimelineEntry.incident_id == "i-order", TimelineEntry.action == "note"))}
            incident = s.get(Incident, "i-order")
        assert notes["甲"].at == at + timedelta(minutes=20) and notes["甲"].entered_offline
        assert notes["乙"].at == at + timedelta(minutes=20)  # not before the act the server already had
        assert notes["乙"].received_at == at + timedelta(minutes=40) and notes["乙"].entered_offline
        assert not notes["甲"].clock_untrusted and not notes["乙"].clock_untrusted
        assert incident.occurred_at == at + timedelta(minutes=20)
    finally:
        state.close()
