"""The account lifecycle in one place: every write of ``accounts.status``, the sync cursor,
the collection schedule and token refreshes goes through here (collection, maintenance and
webhook ingest call these functions; nothing else updates those columns).

Status follows token facts only:

- ``reauth_required``: a token failure the platform documents (Graph 190, X/TikTok 401
  invalid or expired token, ``invalid_grant`` on refresh) or a stored token that can never be
  decrypted again;
- ``not_found``: the account object itself answered 404 in ``ACCOUNT_NOT_FOUND_STRIKES``
  consecutive runs (the platform's message is kept in ``status_reason``);
- a 404/400 on a sub-resource, a permission gap or a refused metric is a *part* failure of
  one run (``collection_runs.parts``), never a status.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialmetrics.accounts.service import decrypt_credentials, store_rotated_tokens
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.models import Account
from socialmetrics.providers.rate_limits import UsageSnapshot
from socialmetrics.providers.types import Credentials, PartOutcome, RotateCallback, TokenGrant
from socialmetrics.signals.producers import account_event

Refresh = Callable[[Credentials, RotateCallback | None], Awaitable[TokenGrant]]


def _reason(reason: str) -> str:
    return reason[:255]


def load_for_collection(session: Session, account_id: int) -> Any:
    """The account row a collection starts from (with its platform and user's erasure marks),
    or ``None``."""
    return session.execute(
        text(
            "SELECT a.id, a.user_id, a.platform_id, a.platform_user_id, a.status,"
            " a.token_expires_at, a.sync_cursor, a.scopes, a.rate_limit, p.name AS platform,"
            " u.erased_at, u.erasure_requested_at"
            " FROM accounts a JOIN platforms p ON p.id = a.platform_id"
            " JOIN users u ON u.id = a.user_id WHERE a.id = :id"
        ),
        {"id": account_id},
    ).one_or_none()


def advance_schedule(session: Session, account_ids: list[int], now: datetime) -> None:
    """The scheduler enqueued these accounts: due again one cadence after ``now``."""
    session.execute(
        text(
            "UPDATE accounts"
            " SET next_collect_at = CAST(:now AS timestamptz)"
            " + make_interval(mins => cadence_minutes),"
            " last_enqueued_at = CAST(:now AS timestamptz), updated_at = CAST(:now AS timestamptz)"
            " WHERE id = ANY(CAST(:ids AS bigint[]))"
        ),
        {"now": now, "ids": account_ids},
    )


def record_run(
    session: Session,
    account_id: int,
    job_id: str,
    started_at: datetime,
    outcome: str,
    points: int,
    parts: list[PartOutcome],
    detail: dict[str, Any],
) -> None:
    """One ``collection_runs`` row: the run's outcome and each part's."""
    session.execute(
        text(
            "INSERT INTO collection_runs (account_id, job_id, started_at, finished_at,"
            " points_written, outcome, parts, detail) VALUES (:a, :j, :s, now(), :p, :o,"
            " CAST(:parts AS jsonb), CAST(:d AS jsonb))"
        ),
        {
            "a": account_id,
            "j": job_id,
            "s": started_at,
            "p": points,
            "o": outcome,
            "parts": json.dumps([p.as_json() for p in parts]),
            "d": json.dumps(detail, default=str, sort_keys=True),
        },
    )


def mark_reauth_required(session: Session, account_id: int, reason: str) -> bool:
    """``active`` → ``reauth_required``, emitting ``account.reauth_required`` in the same
    transaction; ``False`` (and no event) when the account was not active."""
    changed = session.execute(
        text(
            "UPDATE accounts SET status = 'reauth_required', status_reason = :r,"
            " updated_at = now() WHERE id = :id AND status = 'active' RETURNING id"
        ),
        {"r": _reason(reason), "id": account_id},
    ).one_or_none()
    if changed is not None:
        account_event(session, account_id, "account.reauth_required", reason)
    return changed is not None


def record_not_found(session: Session, account_id: int, reason: str, strikes: int) -> bool:
    """Count one run in which the account object 404'd; at ``strikes`` in a row the account
    becomes ``not_found`` with the platform's message. ``True`` when it just did."""
    row = session.execute(
        text(
            "UPDATE accounts SET not_found_strikes = not_found_strikes + 1,"
            " status = CASE WHEN not_found_strikes + 1 >= :n THEN 'not_found' ELSE status END,"
            " status_reason = CASE WHEN not_found_strikes + 1 >= :n THEN :r"
            " ELSE status_reason END, updated_at = now()"
            " WHERE id = :id AND status = 'active' RETURNING status"
        ),
        {"n": strikes, "r": _reason(reason), "id": account_id},
    ).one_or_none()
    gone = row is not None and row.status == "not_found"
    if gone:  # the strike that crossed the threshold: emitted once
        account_event(session, account_id, "account.not_found", reason)
    return gone


def defer(account_id: int, until: datetime) -> None:
    """Hand the account back to the scheduler: it becomes due again at ``until``."""
    with unit_of_work() as session:
        session.execute(
            text(
                "UPDATE accounts SET next_collect_at = GREATEST(next_collect_at, :u),"
                " updated_at = now() WHERE id = :id"
            ),
            {"u": until, "id": account_id},
        )


def save_collection(
    session: Session,
    account_id: int,
    cursor: dict[str, Any],
    usage: UsageSnapshot | None,
    *,
    account_seen: bool,
    due_at: datetime | None,
) -> None:
    """After a run: the cursor (every part's checkpoint), the quota seen, the time, and —
    when a part was deferred — an earlier due time (the reset, or now to resume a backfill).
    ``account_seen``: the account object answered, so any 404 streak ends."""
    session.execute(
        text(
            "UPDATE accounts SET sync_cursor = CAST(:c AS jsonb), last_collected_at = now(),"
            " rate_limit = COALESCE(CAST(:rl AS jsonb), rate_limit),"
            " not_found_strikes = CASE WHEN :seen THEN 0 ELSE not_found_strikes END,"
            " next_collect_at = CASE WHEN CAST(:due AS timestamptz) IS NULL THEN next_collect_at"
            " ELSE LEAST(next_collect_at, CAST(:due AS timestamptz)) END,"
            " updated_at = now() WHERE id = :id"
        ),
        {
            "c": json.dumps(cursor, default=str, sort_keys=True),
            "rl": json.dumps(_usage(usage), default=str) if usage else None,
            "seen": account_seen,
            "due": due_at,
            "id": account_id,
        },
    )


def _usage(usage: UsageSnapshot | None) -> dict[str, Any]:
    assert usage is not None
    return {
        "platform": usage.platform,
        "observed_at": usage.observed_at,
        "limit": usage.limit,
        "remaining": usage.remaining,
        "reset_at": usage.reset_at,
        "used_pct": usage.used_pct,
    }


def paused_until(
    rate_limit: dict[str, Any] | None, now: datetime, pause_pct: float
) -> datetime | None:
    """When the last collection left the quota at or above ``pause_pct`` percent and its window
    has not reset yet, the reset time: collecting now would only hit the wall."""
    if not rate_limit:
        return None
    used, reset = rate_limit.get("used_pct"), rate_limit.get("reset_at")
    if not isinstance(used, int | float) or not isinstance(reset, str) or used < pause_pct:
        return None
    try:
        reset_at = datetime.fromisoformat(reset)
    except ValueError:
        return None
    reset_at = reset_at if reset_at.tzinfo else reset_at.replace(tzinfo=UTC)
    return reset_at if reset_at > now else None


def needs_refresh(expires_at: datetime | None, now: datetime, margin_seconds: int) -> bool:
    return expires_at is not None and expires_at - now <= timedelta(seconds=margin_seconds)


def credentials(
    account_id: int, actor: str, expires_at: datetime | None, scopes: tuple[str, ...]
) -> Credentials:
    """Decrypt the account's tokens (audited): once per collection."""
    with unit_of_work() as session:
        access, refresh = decrypt_credentials(session, account_id, actor, purpose="collect")
    return Credentials(access, refresh, expires_at, scopes)


@dataclass(frozen=True, slots=True)
class Refreshed:
    credentials: Credentials
    refreshed: bool


async def refresh_locked(
    refresh: Refresh,
    account_id: int,
    margin_seconds: int,
    now: datetime,
    actor: str,
    current: Credentials | None = None,
    force: bool = False,
) -> Refreshed | None:
    """Refresh the account's token under a row lock; ``None`` if it is no longer active or
    another worker refreshed it meanwhile (the caller decrypts the stored pair again).
    ``force``: refresh whatever the expiry says (the platform just called the token expired).

    The lock serialises refreshes per account (rotating refresh tokens are single use); the
    rotated pair is stored in the same transaction, committed before the new token is used.
    ``current``: tokens the caller already decrypted — used as they are when the row shows
    nobody refreshed meanwhile, so a due refresh costs no second decrypt."""
    with unit_of_work() as session:
        account = session.execute(
            select(Account).where(Account.id == account_id).with_for_update()
        ).scalar_one()
        if account.status != "active":
            return None
        scopes = tuple(account.scopes or ())
        if force and current is not None and current.expires_at != account.token_expires_at:
            return None  # refreshed meanwhile by someone else: the caller reloads
        if not force and not needs_refresh(account.token_expires_at, now, margin_seconds):
            if current is not None and current.expires_at == account.token_expires_at:
                return Refreshed(current, False)
            return None  # refreshed meanwhile by someone else: the caller reloads
        if current is None or current.expires_at != account.token_expires_at:
            access, refresh_token = decrypt_credentials(
                session, account_id, actor, purpose="refresh"
            )
            current = Credentials(access, refresh_token, account.token_expires_at, scopes)

        async def persist(grant: TokenGrant) -> None:
            store_rotated_tokens(
                session,
                account_id,
                grant.access_token,
                grant.refresh_token,
                grant.expires_at,
                grant.refresh_expires_at,
                actor=actor,
            )
            if grant.scopes:  # what the platform granted this time (routes the next refresh)
                account.scopes = list(grant.scopes)

        grant = await refresh(current, persist)
    return Refreshed(grant.as_credentials(), True)
