"""``account.token_expiring``: warn a tenant N days before a token the platform will not
renew by itself expires, once per threshold (maintenance runs it daily after refreshing).

Which token and which thresholds, per platform (docs/webhooks.md; lifetimes from the
providers' token responses, never hard-coded here):

- Facebook, Instagram, WhatsApp: the long-lived/system-user **access** token (~60 days, no
  refresh token): 14, 7 and 1 days before.
- TikTok: the **refresh** token (180 to 365 days; access tokens are refreshed automatically):
  30, 7 and 1 days before.
- X: the **refresh** token when the platform states an expiry: 7 and 1 days before.

Each fired (account, token, threshold, expiry) is recorded in ``token_expiry_warnings``; a
token that is renewed gets a new expiry and so a fresh set of warnings. When several
thresholds are already crossed (a token registered 3 days before expiry), only the tightest
one is sent and the wider ones are recorded as passed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.signals.events import emit

THRESHOLDS_DAYS: dict[str, dict[str, tuple[int, ...]]] = {
    "Facebook": {"access": (14, 7, 1)},
    "Instagram": {"access": (14, 7, 1)},
    "WhatsApp": {"access": (14, 7, 1)},
    "TikTok": {"refresh": (30, 7, 1)},
    "X": {"refresh": (7, 1)},
}


def due_threshold(
    thresholds: tuple[int, ...], expires_at: datetime, now: datetime
) -> tuple[int, list[int]] | None:
    """The tightest threshold ``now`` has crossed and every crossed one, or ``None``."""
    if expires_at <= now:
        return None  # expired: the collector's reauth_required says it instead
    left_days = (expires_at - now).total_seconds() / 86_400
    crossed = sorted(t for t in thresholds if left_days <= t)
    return (crossed[0], crossed) if crossed else None


def warn_expiring_tokens(settings: Settings, now: datetime) -> dict[str, Any]:
    sent = 0
    with unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT a.id, a.user_id, a.platform_user_id, a.token_expires_at,"
                " a.refresh_expires_at, p.name AS platform FROM accounts a"
                " JOIN platforms p ON p.id = a.platform_id WHERE a.status = 'active'"
                " AND (a.token_expires_at IS NOT NULL OR a.refresh_expires_at IS NOT NULL)"
            )
        ).all()
        for row in rows:
            for kind, thresholds in THRESHOLDS_DAYS.get(row.platform, {}).items():
                expires_at = row.token_expires_at if kind == "access" else row.refresh_expires_at
                due = None if expires_at is None else due_threshold(thresholds, expires_at, now)
                if due is None:
                    continue
                tightest, crossed = due
                fresh = session.execute(
                    text(
                        "INSERT INTO token_expiry_warnings (account_id, token_kind,"
                        " threshold_days, expires_at) SELECT :a, :k, t, :e"
                        " FROM unnest(CAST(:ts AS integer[])) t"
                        " ON CONFLICT DO NOTHING RETURNING threshold_days"
                    ),
                    {"a": row.id, "k": kind, "e": expires_at, "ts": crossed},
                ).scalars()
                if tightest not in set(fresh):
                    continue
                emit(
                    session,
                    row.user_id,
                    "account.token_expiring",
                    {
                        "account_id": row.id,
                        "platform": row.platform,
                        "platform_user_id": row.platform_user_id,
                        "token": kind,
                        "expires_at": expires_at.isoformat(),
                        "threshold_days": tightest,
                    },
                )
                sent += 1
    return {"warnings_sent": sent}
