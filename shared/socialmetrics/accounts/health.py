"""Token health per account (``GET /accounts/health``): what a client needs for its own
alerting — status, token and refresh-token expiry, last refresh, last successful collection,
next due time, the last quota snapshot and whether collection is paused for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.accounts.lifecycle import paused_until
from socialmetrics.config import Settings
from socialmetrics.errors import NotFound


@dataclass(frozen=True, slots=True)
class AccountHealth:
    account_id: int
    user_id: int
    platform: str
    platform_user_id: str
    status: str
    status_reason: str | None
    token_expires_at: datetime | None
    refresh_expires_at: datetime | None
    last_refresh_at: datetime | None
    last_success_at: datetime | None
    next_due_at: datetime
    quota: dict[str, Any] | None
    paused_until: datetime | None


_SELECT = (
    "SELECT a.id, a.user_id, p.name AS platform, a.platform_user_id, a.status,"
    " a.status_reason, a.token_expires_at, a.refresh_expires_at, a.last_collected_at,"
    " a.next_collect_at, a.rate_limit, r.occurred_at AS last_refresh_at"
    " FROM accounts a JOIN platforms p ON p.id = a.platform_id"
    " LEFT JOIN LATERAL (SELECT occurred_at FROM audit_log l"
    " WHERE l.action = 'token.refresh_stored' AND l.subject_type = 'account'"
    " AND l.subject_id = CAST(a.id AS text) ORDER BY occurred_at DESC LIMIT 1) r ON true"
)


def _health(row: Any, settings: Settings, now: datetime) -> AccountHealth:
    return AccountHealth(
        account_id=row.id,
        user_id=row.user_id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        status=row.status,
        status_reason=row.status_reason,
        token_expires_at=row.token_expires_at,
        refresh_expires_at=row.refresh_expires_at,
        last_refresh_at=row.last_refresh_at,
        last_success_at=row.last_collected_at,
        next_due_at=row.next_collect_at,
        quota=row.rate_limit,
        paused_until=paused_until(row.rate_limit, now, settings.rate_limit_pause_pct),
    )


def list_health(
    session: Session,
    user_id: int | None,
    settings: Settings,
    now: datetime,
    limit: int,
    after: int | None = None,
) -> list[AccountHealth]:
    """Accounts by id (keyset ``after``); ``user_id=None``: every tenant's (admins)."""
    rows = session.execute(
        text(
            _SELECT + " WHERE (CAST(:u AS bigint) IS NULL OR a.user_id = :u)"
            " AND (CAST(:after AS bigint) IS NULL OR a.id > :after) ORDER BY a.id LIMIT :n"
        ),
        {"u": user_id, "after": after, "n": limit},
    ).all()
    return [_health(r, settings, now) for r in rows]


def account_health(
    session: Session, user_id: int | None, account_id: int, settings: Settings, now: datetime
) -> AccountHealth:
    row = session.execute(
        text(_SELECT + " WHERE a.id = :id AND (CAST(:u AS bigint) IS NULL OR a.user_id = :u)"),
        {"id": account_id, "u": user_id},
    ).one_or_none()
    if row is None:
        raise NotFound("No such account.")
    return _health(row, settings, now)
