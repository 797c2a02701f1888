"""Reads of accounts and their collection runs for the API, keyset-paginated.

Accounts are listed by id (ascending), runs newest first (id descending, served by
``collection_runs_account_id_idx``). Cursors are opaque (``socialmetrics.cursors``); a
malformed one is invalid input. Runs a message skipped (no consent, account not active) are operator
information and are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics import cursors
from socialmetrics.accounts.lifecycle import paused_until

LISTED_OUTCOMES = ("succeeded", "partial", "failed", "deferred")


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    status: str
    detail: str | None
    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    points_written: int
    parts: list[Part]


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    user_id: int
    platform: str
    platform_user_id: str
    status: str
    status_reason: str | None
    paused_until: datetime | None
    token_expires_at: datetime | None
    refresh_expires_at: datetime | None
    last_success_at: datetime | None
    next_collect_at: datetime
    backfill_complete: bool
    oldest_reached: datetime | None
    last_run: Run | None


_ACCOUNTS = """
SELECT a.id, a.user_id, p.name AS platform, a.platform_user_id, a.status, a.status_reason,
       a.rate_limit, a.token_expires_at, a.refresh_expires_at, a.last_collected_at,
       a.next_collect_at, a.sync_cursor -> 'backfill' AS backfill
FROM accounts a JOIN platforms p ON p.id = a.platform_id
WHERE (CAST(:user_id AS bigint) IS NULL OR a.user_id = :user_id)
  AND (CAST(:platform_id AS integer) IS NULL OR a.platform_id = :platform_id)
  AND (CAST(:status AS text) IS NULL OR a.status = :status)
  AND (CAST(:account_id AS bigint) IS NULL OR a.id = :account_id)
  AND a.id > :after
ORDER BY a.id
LIMIT :limit
"""

_RUNS = """
SELECT id, account_id, started_at, finished_at, outcome, points_written, parts
FROM collection_runs
WHERE account_id = :account_id AND outcome IN ('succeeded', 'partial', 'failed', 'deferred')
  AND (CAST(:before AS bigint) IS NULL OR id < :before)
ORDER BY id DESC
LIMIT :limit
"""

_LAST_RUNS = """
SELECT DISTINCT ON (account_id) id, account_id, started_at, finished_at, outcome,
       points_written, parts
FROM collection_runs
WHERE account_id = ANY(CAST(:ids AS bigint[]))
  AND outcome IN ('succeeded', 'partial', 'failed', 'deferred')
ORDER BY account_id, id DESC
"""


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _run(row: Any) -> Run:
    parts = [
        Part(
            name=str(p.get("name")),
            status=str(p.get("status")),
            detail=p.get("detail"),
            retry_at=_moment(p.get("retry_at")),
        )
        for p in row.parts or []
        if isinstance(p, dict)
    ]
    return Run(row.id, row.started_at, row.finished_at, row.outcome, row.points_written, parts)


def list_accounts(
    session: Session,
    *,
    user_id: int | None,
    platform_id: int | None,
    status: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    pause_pct: float,
    account_id: int | None = None,
) -> tuple[list[AccountView], str | None]:
    """One page of accounts (by id) and the next page's cursor (``None`` on the last)."""
    after = cursors.decode_id("a1", cursor) if cursor else 0
    rows = session.execute(
        text(_ACCOUNTS),
        {
            "user_id": user_id,
            "platform_id": platform_id,
            "status": status,
            "account_id": account_id,
            "after": after,
            "limit": limit + 1,
        },
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last_runs = {
        r.account_id: _run(r)
        for r in session.execute(text(_LAST_RUNS), {"ids": [r.id for r in rows]})
    }
    views = []
    for row in rows:
        backfill = row.backfill if isinstance(row.backfill, dict) else {}
        views.append(
            AccountView(
                id=row.id,
                user_id=row.user_id,
                platform=row.platform,
                platform_user_id=row.platform_user_id,
                status=row.status,
                status_reason=row.status_reason,
                paused_until=paused_until(row.rate_limit, now, pause_pct),
                token_expires_at=row.token_expires_at,
                refresh_expires_at=row.refresh_expires_at,
                last_success_at=row.last_collected_at,
                next_collect_at=row.next_collect_at,
                backfill_complete=bool(backfill.get("complete")),
                oldest_reached=_moment(backfill.get("oldest_at")),
                last_run=last_runs.get(row.id),
            )
        )
    return views, cursors.encode_id("a1", rows[-1].id) if more and rows else None


def list_runs(
    session: Session, account_id: int, limit: int, cursor: str | None
) -> tuple[list[Run], str | None]:
    """One page of the account's runs, newest first, and the next page's cursor."""
    before = cursors.decode_id("r1", cursor) if cursor else None
    rows = session.execute(
        text(_RUNS), {"account_id": account_id, "before": before, "limit": limit + 1}
    ).all()
    runs = [_run(r) for r in rows[:limit]]
    return runs, cursors.encode_id("r1", runs[-1].id) if len(rows) > limit and runs else None
