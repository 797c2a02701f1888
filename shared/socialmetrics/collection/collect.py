"""Collect one account: the collector's unit of work, free of SQS and Lambda concerns.

Steps for one :class:`CollectRequest`:

1. Load the account; re-check that it is ``active`` and its user's consent is given (it may
   have changed since the scheduler enqueued it). Not collectable → ``skipped``.
2. Decrypt the token (audited). If it expires within ``TOKEN_REFRESH_MARGIN_SECONDS`` and the
   platform can refresh, refresh it first — one refresh at a time per account (the account
   row is locked ``FOR UPDATE`` for the refresh) and the rotated pair saved and committed
   *before* the new access token is used.
3. Fetch through the provider client, then upsert every point in one statement, advance the
   sync cursor and record a ``collection_runs`` row — all in one transaction, so a failure
   leaves no partial rows.

The outcome tells the caller (the SQS handler) what to do with the message.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import select, text

from socialmetrics.accounts.service import decrypt_credentials, store_rotated_tokens
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.compliance.consent import has_active_consent
from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.db.models import Account
from socialmetrics.logging import logger
from socialmetrics.observability import traced
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers import errors
from socialmetrics.providers.registry import client_for
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    PlatformClient,
    TokenGrant,
)
from socialmetrics.security.envelope import EnvelopeError
from socialmetrics.signals.events import emit
from socialmetrics.signals.producers import account_event
from socialmetrics.usage.service import record_collection, x_budget_paused

ACTOR = "collector"


class Outcome(StrEnum):
    COLLECTED = "collected"
    SKIPPED = "skipped"  # no consent, not active, erased: acknowledged, nothing fetched
    RATE_LIMITED = "rate_limited"  # come back at retry_at
    REAUTH_REQUIRED = "reauth_required"  # token dead: acknowledged, account flagged
    PERMISSION_DENIED = "permission_denied"  # acknowledged, gap recorded
    NOT_FOUND = "not_found"  # the platform no longer knows the account
    TRANSIENT = "transient"  # retry (then DLQ)


class UnknownAccount(Exception):
    """The message names an account that does not exist: a poison message."""


@dataclass
class CollectOutcome:
    outcome: Outcome
    account_id: int
    points_written: int = 0
    points_seen: int = 0
    unavailable: list[str] = field(default_factory=list)
    retry_at: datetime | None = None
    refreshed: bool = False
    detail: str | None = None


@dataclass(frozen=True)
class _Snapshot:
    owner: Owner
    platform: Platform
    platform_user_id: str
    status: str
    token_expires_at: datetime | None
    cursor: dict[str, Any]
    scopes: tuple[str, ...]
    rate_limit: dict[str, Any] | None


def _now() -> datetime:
    return datetime.now(UTC)


def _load(request: CollectRequest) -> tuple[_Snapshot | None, str | None]:
    """The account as it is now, or the reason it must not be collected."""
    with unit_of_work() as session:
        row = session.execute(
            text(
                "SELECT a.id, a.user_id, a.platform_id, a.platform_user_id, a.status,"
                " a.token_expires_at, a.sync_cursor, a.scopes, a.rate_limit, p.name AS platform,"
                " u.erased_at, u.erasure_requested_at"
                " FROM accounts a JOIN platforms p ON p.id = a.platform_id"
                " JOIN users u ON u.id = a.user_id WHERE a.id = :id"
            ),
            {"id": request.account_id},
        ).one_or_none()
        if row is None:
            raise UnknownAccount(f"account {request.account_id} does not exist")
        if row.platform != request.platform.value:
            raise UnknownAccount(
                f"account {request.account_id} is not a {request.platform} account"
            )
        if row.erased_at or row.erasure_requested_at:
            return None, "user erased"
        if row.status != "active":
            return None, f"account {row.status}"
        if not has_active_consent(session, row.user_id):
            return None, "no consent"
        return (
            _Snapshot(
                owner=Owner(row.user_id, row.platform_id, row.id),
                platform=Platform(row.platform),
                platform_user_id=row.platform_user_id,
                status=row.status,
                token_expires_at=row.token_expires_at,
                cursor=dict(row.sync_cursor or {}),
                scopes=tuple(row.scopes or ()),
                rate_limit=row.rate_limit,
            ),
            None,
        )


def _credentials(
    account_id: int, expires_at: datetime | None, scopes: tuple[str, ...]
) -> Credentials:
    with unit_of_work() as session:
        access, refresh = decrypt_credentials(session, account_id, ACTOR, purpose="collect")
    return Credentials(access, refresh, expires_at, scopes)


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


def _over_budget(snapshot: _Snapshot, now: datetime, settings: Settings) -> bool:
    """X only: the tenant's monthly budget is (nearly) spent; the account waits for the next
    month (the scheduler gets it back then)."""
    if snapshot.platform is not Platform.X:
        return False
    with unit_of_work() as session:
        paused = x_budget_paused(session, snapshot.owner.user_id, now, settings)
    if paused:
        month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        defer(snapshot.owner.account_id, (month + timedelta(days=32)).replace(day=1))
    return paused


def needs_refresh(expires_at: datetime | None, now: datetime, margin_seconds: int) -> bool:
    return expires_at is not None and expires_at - now <= timedelta(seconds=margin_seconds)


async def refresh_locked(
    client: PlatformClient, account_id: int, margin_seconds: int, now: datetime
) -> Credentials | None:
    """Refresh the account's token under a row lock; ``None`` if another worker already did.

    The lock serialises refreshes per account (rotating refresh tokens are single use); the
    rotated pair is stored in the same transaction, committed before the new token is used."""
    with unit_of_work() as session:
        account = session.execute(
            select(Account).where(Account.id == account_id).with_for_update()
        ).scalar_one()
        if account.status != "active" or not needs_refresh(
            account.token_expires_at, now, margin_seconds
        ):
            return None  # refreshed meanwhile by someone else: reload below
        access, refresh = decrypt_credentials(session, account_id, ACTOR, purpose="refresh")
        current = Credentials(
            access, refresh, account.token_expires_at, tuple(account.scopes or ())
        )

        async def persist(grant: TokenGrant) -> None:
            store_rotated_tokens(
                session,
                account_id,
                grant.access_token,
                grant.refresh_token,
                grant.expires_at,
                grant.refresh_expires_at,
                actor=ACTOR,
            )
            if grant.scopes:  # what the platform granted this time (routes the next refresh)
                account.scopes = list(grant.scopes)

        grant = await client.refresh(current, on_rotate=persist)
    return grant.as_credentials()


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


def _mark(account_id: int, status: str, reason: str, event: str) -> None:
    """Change the account's status; the first change emits ``event`` in the same
    transaction (a status that is already set emits nothing)."""
    with unit_of_work() as session:
        changed = session.execute(
            text(
                "UPDATE accounts SET status = :s, status_reason = :r, updated_at = now()"
                " WHERE id = :id AND status <> :s RETURNING id"
            ),
            {"s": status, "r": reason[:255], "id": account_id},
        ).one_or_none()
        if changed is not None:
            account_event(session, account_id, event, reason)


def _record_run(
    session: Any,
    request: CollectRequest,
    started_at: datetime,
    outcome: Outcome,
    points: int,
    detail: dict[str, Any],
) -> None:
    session.execute(
        text(
            "INSERT INTO collection_runs (account_id, job_id, started_at, finished_at,"
            " points_written, outcome, detail) VALUES (:a, :j, :s, now(), :p, :o,"
            " CAST(:d AS jsonb))"
        ),
        {
            "a": request.account_id,
            "j": request.job_id,
            "s": started_at,
            "p": points,
            "o": outcome.value,
            "d": _json(detail),
        },
    )


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value, default=str, sort_keys=True)


def stamp(points: list[MetricPoint], at: datetime) -> list[MetricPoint]:
    """Observations the platform did not date (snapshots, lifetime counters) are dated at the
    job's scheduled instant instead of the fetch instant, so a redelivered message rewrites the
    same rows instead of adding new ones."""
    return [replace(p, collected_at=at) if p.collected_at == p.fetched_at else p for p in points]


def _store(
    request: CollectRequest, snapshot: _Snapshot, result: CollectResult, started_at: datetime
) -> int:
    """Points, cursor, last collection time and the run row: one transaction."""
    with unit_of_work() as session:
        written = upsert_points(session, snapshot.owner, stamp(result.points, request.window_end))
        session.execute(
            text(
                "UPDATE accounts SET sync_cursor = CAST(:c AS jsonb), last_collected_at = now(),"
                " rate_limit = CAST(:rl AS jsonb), updated_at = now() WHERE id = :id"
            ),
            {
                "c": _json(result.cursor),
                "rl": _json(_usage(result)) if result.usage else None,
                "id": request.account_id,
            },
        )
        record_collection(
            session,
            snapshot.owner.user_id,
            snapshot.platform.value,
            result.calls,
            result.points,
            started_at,
        )
        emit(
            session,
            snapshot.owner.user_id,
            "collection.completed",
            {
                "account_id": request.account_id,
                "platform": snapshot.platform.value,
                "job_id": request.job_id,
                "points_written": written,
                "points_seen": len(result.points),
                "unavailable": result.unavailable,
                "calls": result.calls,
            },
        )
        _record_run(
            session,
            request,
            started_at,
            Outcome.COLLECTED,
            written,
            {
                "points_seen": len(result.points),
                "unavailable": result.unavailable,
                "calls": result.calls,
                "window": [request.window_start.isoformat(), request.window_end.isoformat()],
            },
        )
    return written


def _usage(result: CollectResult) -> dict[str, Any]:
    usage = result.usage
    assert usage is not None
    return {
        "platform": usage.platform,
        "observed_at": usage.observed_at,
        "limit": usage.limit,
        "remaining": usage.remaining,
        "reset_at": usage.reset_at,
        "used_pct": usage.used_pct,
    }


def _finish(request: CollectRequest, started_at: datetime, outcome: CollectOutcome) -> None:
    with unit_of_work() as session:
        _record_run(
            session,
            request,
            started_at,
            outcome.outcome,
            0,
            {"detail": outcome.detail, "retry_at": outcome.retry_at},
        )


@traced("collect_account")
async def _collect(
    request: CollectRequest,
    snapshot: _Snapshot,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
) -> tuple[CollectResult, bool]:
    client = client_for(snapshot.platform, settings, transport)
    now = _now()
    credentials = _credentials(request.account_id, snapshot.token_expires_at, snapshot.scopes)
    refreshed = False
    if client.supports_refresh and needs_refresh(
        snapshot.token_expires_at, now, settings.token_refresh_margin_seconds
    ):
        fresh = await refresh_locked(
            client, request.account_id, settings.token_refresh_margin_seconds, now
        )
        credentials = fresh or _credentials(request.account_id, None, snapshot.scopes)
        refreshed = fresh is not None
    account = AccountRef(platform_user_id=snapshot.platform_user_id, scopes=snapshot.scopes)
    return await client.collect(account, credentials, snapshot.cursor), refreshed


def collect_account(
    request: CollectRequest,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CollectOutcome:
    """Collect one account; raises :class:`UnknownAccount` for a poison message and
    ``errors.Transient`` (after the client's own retries) when the caller should retry."""
    started_at = _now()
    snapshot, reason = _load(request)
    if snapshot is None:
        outcome = CollectOutcome(Outcome.SKIPPED, request.account_id, detail=reason)
        _finish(request, started_at, outcome)
        return outcome
    pause = paused_until(snapshot.rate_limit, started_at, settings.rate_limit_pause_pct)
    if pause is not None:  # slow down before the wall: no call until the window resets
        outcome = CollectOutcome(
            Outcome.RATE_LIMITED,
            request.account_id,
            retry_at=pause,
            detail="paused: the last collection left the platform quota nearly used",
        )
        _finish(request, started_at, outcome)
        return outcome
    if _over_budget(snapshot, started_at, settings):
        outcome = CollectOutcome(
            Outcome.SKIPPED, request.account_id, detail="paused: the X monthly budget is spent"
        )
        _finish(request, started_at, outcome)
        return outcome
    begun = time.perf_counter()
    try:
        result, refreshed = asyncio.run(_collect(request, snapshot, settings, transport))
    except errors.RateLimited as exc:
        outcome = CollectOutcome(
            Outcome.RATE_LIMITED, request.account_id, retry_at=exc.reset_at, detail=str(exc)
        )
    except errors.AuthExpired as exc:
        _mark(request.account_id, "reauth_required", str(exc), "account.reauth_required")
        outcome = CollectOutcome(Outcome.REAUTH_REQUIRED, request.account_id, detail=str(exc))
    except (errors.PermissionDenied, errors.MetricUnavailable) as exc:
        outcome = CollectOutcome(Outcome.PERMISSION_DENIED, request.account_id, detail=str(exc))
        with unit_of_work() as session:
            account_event(session, request.account_id, "collection.part_failed", str(exc))
    except errors.NotFound as exc:
        _mark(request.account_id, "reauth_required", f"not found: {exc}", "account.not_found")
        outcome = CollectOutcome(Outcome.NOT_FOUND, request.account_id, detail=str(exc))
    except EnvelopeError as exc:
        if not exc.permanent:  # KMS throttled or unreachable: the message is retried
            raise errors.Transient(f"token key service: {exc}") from None
        # The stored token can never be opened again (key disabled or deleted, ciphertext
        # damaged): retrying is useless, a fresh token must be registered.
        _mark(
            request.account_id,
            "reauth_required",
            f"stored token unreadable: {exc}",
            "account.reauth_required",
        )
        outcome = CollectOutcome(Outcome.REAUTH_REQUIRED, request.account_id, detail=str(exc))
    else:
        written = _store(request, snapshot, result, started_at)
        logger.info(
            "account collected",
            extra={
                "account_id": request.account_id,
                "platform": snapshot.platform.value,
                "points_written": written,
                "points_seen": len(result.points),
                "unavailable": result.unavailable,
                "seconds": round(time.perf_counter() - begun, 3),
            },
        )
        return CollectOutcome(
            Outcome.COLLECTED,
            request.account_id,
            points_written=written,
            points_seen=len(result.points),
            unavailable=result.unavailable,
            refreshed=refreshed,
        )
    _finish(request, started_at, outcome)
    logger.warning(
        "account not collected",
        extra={"account_id": request.account_id, "outcome": outcome.outcome.value},
    )
    return outcome
