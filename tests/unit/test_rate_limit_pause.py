"""The collector pauses an account whose last collection left its quota nearly used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from socialmetrics.accounts.lifecycle import paused_until

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_high_usage_before_the_reset_pauses_until_the_reset() -> None:
    reset = NOW + timedelta(minutes=5)
    assert paused_until({"used_pct": 95, "reset_at": str(reset)}, NOW, 90) == reset


def test_no_pause_below_the_threshold_after_the_reset_or_without_data() -> None:
    later = str(NOW + timedelta(minutes=5))
    assert paused_until({"used_pct": 50, "reset_at": later}, NOW, 90) is None
    assert paused_until({"used_pct": 99, "reset_at": str(NOW - timedelta(1))}, NOW, 90) is None
    assert paused_until({"used_pct": 99, "reset_at": None}, NOW, 90) is None
    assert paused_until({"used_pct": 99, "reset_at": "garbage"}, NOW, 90) is None
    assert paused_until(None, NOW, 90) is None


def test_a_naive_reset_time_is_read_as_utc() -> None:
    assert paused_until({"used_pct": 100, "reset_at": "2026-11-28T12:30:00"}, NOW, 90) == (
        NOW + timedelta(minutes=30)
    )
