"""account.token_expiring fires once per threshold, not on every maintenance run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.signals.expiry import due_threshold, warn_expiring_tokens
from tests.factories import make_account, set_account

NOW = datetime(2026, 11, 30, 3, 15, tzinfo=UTC)


def _warnings() -> list[tuple[int, str, int]]:
    with unit_of_work() as session:
        rows = session.execute(
            text("SELECT user_id, type, data FROM signal_events ORDER BY created_at, id")
        ).all()
    return [(r.user_id, r.data["token"], r.data["threshold_days"]) for r in rows]


def test_thresholds_are_crossed_tightest_first() -> None:
    expires = NOW + timedelta(days=3)
    assert due_threshold((14, 7, 1), expires, NOW) == (7, [7, 14])
    assert due_threshold((14, 7, 1), NOW + timedelta(days=20), NOW) is None
    assert due_threshold((14, 7, 1), NOW - timedelta(days=1), NOW) is None


def test_expiry_warnings_fire_once_per_threshold(db: str) -> None:
    meta = make_account("Facebook")
    tiktok = make_account("TikTok")
    set_account(meta.account_id, token_expires_at=NOW + timedelta(days=10))
    set_account(
        tiktok.account_id,
        token_expires_at=NOW + timedelta(hours=2),  # refreshed automatically: no warning
        refresh_expires_at=NOW + timedelta(days=29),
    )
    settings = get_settings()
    assert warn_expiring_tokens(settings, NOW) == {"warnings_sent": 2}
    assert warn_expiring_tokens(settings, NOW + timedelta(hours=24)) == {"warnings_sent": 0}
    # Three days on, the Facebook token crosses 7 days: one more, then nothing again.
    assert warn_expiring_tokens(settings, NOW + timedelta(days=3, hours=1)) == {"warnings_sent": 1}
    assert warn_expiring_tokens(settings, NOW + timedelta(days=3, hours=2)) == {"warnings_sent": 0}
    warnings = _warnings()
    # The first run's two warnings share one transaction: their relative order is not defined.
    assert sorted(warnings[:2]) == sorted(
        [(meta.user_id, "access", 14), (tiktok.user_id, "refresh", 30)]
    )
    assert warnings[2:] == [(meta.user_id, "access", 7)]
    # A renewed token (new expiry) starts a new cycle; a non-active account gets none.
    set_account(meta.account_id, token_expires_at=NOW + timedelta(days=13))
    set_account(tiktok.account_id, status="reauth_required")
    assert warn_expiring_tokens(settings, NOW) == {"warnings_sent": 1}
