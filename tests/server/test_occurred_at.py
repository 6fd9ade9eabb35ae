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
