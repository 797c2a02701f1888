"""Collect one account: the collector's unit of work, free of SQS and Lambda concerns.

Orchestration only; the account lifecycle (status, cursor, schedule, token refresh) lives in
:mod:`socialmetrics.accounts.lifecycle`, the parts' rules in
:mod:`socialmetrics.providers.parts`.

1. Load the account; re-check that it is ``active`` and its user's consent is given (it may
   have changed since the scheduler enqueued it). Not collectable → ``skipped``.
2. Decrypt the token once (audited). If it expires within ``TOKEN_REFRESH_MARGIN_SECONDS`` and
   the platform can refresh, refresh it under a row lock, the rotated pair committed before
   the new access token is used (the decrypted pair is reused: no second decrypt). A token
   the platform calls expired mid-collection is refreshed the same way, once, and the
   request sent again (:class:`~socialmetrics.providers.auth.TokenAuth`).
3. Fetch through the provider client, part by part, within ``COLLECT_CALL_BUDGET`` requests;
   store every point fetched, the cursor (each part's checkpoint) and a ``collection_runs``
   row with the run's outcome (``succeeded``/``partial``/``failed``/``deferred``) and each
   part's outcome. A deferred part makes the account due again at its reset (or at once, to
   resume a backfill); a failed part is fetched again by the next run.

The returned :class:`Outcome` tells the caller (the SQS handler) what to do with the message.
:func:`collect` is the coroutine (many accounts run on one loop, their database work in
worker threads); :func:`collect_account` runs it from synchronous code on the container's
loop and pooled client (:mod:`socialmetrics.providers.runtime`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx

from socialmetrics.accounts import lifecycle
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.compliance.consent import has_active_consent
from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.logging import logger
from socialmetrics.observability import traced
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers import errors
from socialmetrics.providers.registry import client_for
from socialmetrics.providers.types import AccountRef, CollectResult, PartOutcome, PlatformClient
from socialmetrics.security.envelope import EnvelopeError
from socialmetrics.signals.events import emit
from socialmetrics.signals.producers import (
    account_event,
    deprecation_switches,
    part_failures,
)
from socialmetrics.usage.service import record_collection, x_budget_paused

ACTOR = "collector"


class Outcome(StrEnum):
    COLLECTED = "collected"
    SKIPPED = "skipped"  # no consent, not active, erased: acknowledged, nothing fetched
    RATE_LIMITED = "rate_limited"  # come back at retry_at
    REAUTH_REQUIRED = "reauth_required"  # token dead: acknowledged, account flagged
    PERMISSION_DENIED = "permission_denied"  # acknowledged, gap recorded
    NOT_FOUND = "not_found"  # the account object 404'd: acknowledged, strike counted
    FAILED = "failed"  # the first call failed for good (400...): acknowledged, run recorded
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
    run_outcome: str = "succeeded"
    parts: list[PartOutcome] = field(default_factory=list)


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
        row = lifecycle.load_for_collection(session, request.account_id)
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


def run_outcome(parts: list[PartOutcome]) -> str:
    """``succeeded`` when nothing failed or waits, ``partial`` when some parts succeeded and
    some did not, ``deferred`` when the only trouble is waiting, else ``failed``."""
    statuses = {p.status for p in parts}
    troubled = statuses & {"failed", "deferred"}
    if not troubled:
        return "succeeded"
    if "succeeded" in statuses:
        return "partial"
    return "deferred" if troubled == {"deferred"} else "failed"


def _over_budget(snapshot: _Snapshot, now: datetime, settings: Settings) -> bool:
    """X only: the tenant's monthly budget is (nearly) spent; the account waits for the next
    month (the scheduler gets it back then)."""
    if snapshot.platform is not Platform.X:
        return False
    with unit_of_work() as session:
        paused = x_budget_paused(session, snapshot.owner.user_id, now, settings)
    if paused:
        month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        lifecycle.defer(snapshot.owner.account_id, (month + timedelta(days=32)).replace(day=1))
    return paused


def _record_run(
    session: Any,
    request: CollectRequest,
    started_at: datetime,
    outcome: str,
    points: int,
    parts: list[PartOutcome],
    detail: dict[str, Any],
) -> None:
    lifecycle.record_run(
        session,
        request.account_id,
        request.job_id,
        started_at,
        outcome,
        points,
        parts,
        detail,
    )


def stamp(points: list[MetricPoint], at: datetime) -> list[MetricPoint]:
    """Observations the platform did not date (snapshots, lifetime counters) are dated at the
    job's scheduled instant instead of the fetch instant, so a redelivered message rewrites the
    same rows instead of adding new ones."""
    return [replace(p, collected_at=at) if p.collected_at == p.fetched_at else p for p in points]


def _due_at(parts: list[PartOutcome], now: datetime) -> datetime | None:
    """When a deferred part may run again: its reset, or now when the budget stopped it."""
    waits = [p.retry_at or now for p in parts if p.status == "deferred"]
    return min(waits) if waits else None


def _store(
    request: CollectRequest,
    snapshot: _Snapshot,
    result: CollectResult,
    started_at: datetime,
    settings: Settings,
) -> tuple[int, str]:
    """Points, cursor, schedule, status facts and the run row: one transaction."""
    outcome = run_outcome(result.parts)
    with unit_of_work() as session:
        points = stamp(result.points, request.window_end)
        deprecation_switches(session, snapshot.owner, snapshot.platform, points)
        part_failures(session, snapshot.owner, snapshot.platform, result.parts)
        written = upsert_points(session, snapshot.owner, points)
        lifecycle.save_collection(
            session,
            request.account_id,
            result.cursor,
            result.usage,
            account_seen=not isinstance(result.fatal, errors.NotFound),
            due_at=_due_at(result.parts, _now()),
        )
        if isinstance(result.fatal, errors.AuthExpired):
            lifecycle.mark_reauth_required(session, request.account_id, str(result.fatal))
        elif isinstance(result.fatal, errors.NotFound):
            lifecycle.record_not_found(
                session, request.account_id, str(result.fatal), settings.account_not_found_strikes
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
                "outcome": outcome,
                "parts": [p.as_json() for p in result.parts],
            },
        )
        _record_run(
            session,
            request,
            started_at,
            outcome,
            written,
            result.parts,
            {
                "points_seen": len(result.points),
                "unavailable": result.unavailable,
                "calls": result.calls,
                "window": [request.window_start.isoformat(), request.window_end.isoformat()],
            },
        )
    return written, outcome


def _finish(request: CollectRequest, started_at: datetime, outcome: CollectOutcome) -> None:
    with unit_of_work() as session:
        _record_run(
            session,
            request,
            started_at,
            outcome.run_outcome,
            0,
            outcome.parts,
            {"detail": outcome.detail, "retry_at": outcome.retry_at},
        )


def _not_collected(
    request: CollectRequest,
    outcome: Outcome,
    status: str,
    detail: str,
    retry_at: datetime | None = None,
) -> CollectOutcome:
    """A run that stopped at its first call: the gate part says why."""
    part = PartOutcome("account_fields", status, detail[:500], retry_at)  # type: ignore[arg-type]
    return CollectOutcome(
        outcome,
        request.account_id,
        retry_at=retry_at,
        detail=detail,
        run_outcome=run_outcome([part]),
        parts=[part],
    )


@traced("collect_account")
async def _collect(
    request: CollectRequest, snapshot: _Snapshot, settings: Settings, client: PlatformClient
) -> tuple[CollectResult, bool]:
    client.call_budget = settings.collect_call_budget
    now = _now()
    credentials = await asyncio.to_thread(
        lifecycle.credentials, request.account_id, ACTOR, snapshot.token_expires_at, snapshot.scopes
    )
    refreshed = False
    margin = settings.token_refresh_margin_seconds

    async def refresh(force: bool) -> None:
        """Refresh under the row lock (the rotated pair committed before use), or read the
        pair another worker stored meanwhile."""
        nonlocal credentials, refreshed
        fresh = await lifecycle.refresh_locked(
            client.refresh,
            request.account_id,
            margin,
            _now(),
            ACTOR,
            current=credentials,
            force=force,
        )
        if fresh is None:  # refreshed meanwhile by another worker: read the stored pair
            credentials = await asyncio.to_thread(
                lifecycle.credentials, request.account_id, ACTOR, None, snapshot.scopes
            )
        else:
            credentials, refreshed = fresh.credentials, refreshed or fresh.refreshed

    async def renew() -> str | None:
        """The platform called the token expired: one refresh, then the request again."""
        await refresh(force=True)
        return credentials.access_token.get_secret_value()

    if client.supports_refresh:
        if lifecycle.needs_refresh(snapshot.token_expires_at, now, margin):
            await refresh(force=False)
        client.renew = renew
    account = AccountRef(platform_user_id=snapshot.platform_user_id, scopes=snapshot.scopes)
    result = await client.collect(account, credentials, snapshot.cursor)
    return result, refreshed


def collect_account(
    request: CollectRequest,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CollectOutcome:
    """:func:`collect` from synchronous code, on the container's loop and pooled client (with
    a ``transport``: a client per operation over it)."""
    from socialmetrics.providers.runtime import runtime

    http = runtime().http(settings) if transport is None else None
    return runtime().run(collect(request, settings, http=http, transport=transport))


async def collect(
    request: CollectRequest,
    settings: Settings,
    *,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CollectOutcome:
    """Collect one account; raises :class:`UnknownAccount` for a poison message and
    ``errors.Transient`` (after the client's own retries) when the first call failed and
    the caller should retry. Database work runs in worker threads, so other collections on
    the loop keep fetching meanwhile (the store is off their critical path)."""
    started_at = _now()
    snapshot, reason = await asyncio.to_thread(_load, request)
    if snapshot is None:
        outcome = CollectOutcome(
            Outcome.SKIPPED, request.account_id, detail=reason, run_outcome="skipped"
        )
        await asyncio.to_thread(_finish, request, started_at, outcome)
        return outcome
    pause = lifecycle.paused_until(snapshot.rate_limit, started_at, settings.rate_limit_pause_pct)
    if pause is not None:  # slow down before the wall: no call until the window resets
        outcome = _not_collected(
            request,
            Outcome.RATE_LIMITED,
            "deferred",
            "paused: the last collection left the platform quota nearly used",
            pause,
        )
        await asyncio.to_thread(_finish, request, started_at, outcome)
        return outcome
    if await asyncio.to_thread(_over_budget, snapshot, started_at, settings):
        outcome = CollectOutcome(
            Outcome.SKIPPED,
            request.account_id,
            detail="paused: the X monthly budget is spent",
            run_outcome="skipped",
        )
        await asyncio.to_thread(_finish, request, started_at, outcome)
        return outcome
    begun = time.perf_counter()
    client = client_for(snapshot.platform, settings, transport, http)
    try:
        result, refreshed = await _collect(request, snapshot, settings, client)
    except errors.RateLimited as exc:
        outcome = _not_collected(request, Outcome.RATE_LIMITED, "deferred", str(exc), exc.reset_at)
    except errors.AuthExpired as exc:
        await asyncio.to_thread(_mark_reauth, request.account_id, str(exc))
        outcome = _not_collected(request, Outcome.REAUTH_REQUIRED, "failed", str(exc))
    except errors.NotFound as exc:
        await asyncio.to_thread(_not_found, request.account_id, str(exc), settings)
        outcome = _not_collected(request, Outcome.NOT_FOUND, "failed", str(exc))
    except (errors.PermissionDenied, errors.MetricUnavailable) as exc:
        outcome = _not_collected(request, Outcome.PERMISSION_DENIED, "failed", str(exc))
        await asyncio.to_thread(_part_failed, request.account_id, str(exc))
    except errors.Transient:
        raise
    except errors.ProviderError as exc:
        outcome = _not_collected(request, Outcome.FAILED, "failed", str(exc))
    except EnvelopeError as exc:
        if not exc.permanent:  # KMS throttled or unreachable: the message is retried
            raise errors.Transient(f"token key service: {exc}") from None
        # The stored token can never be opened again (key disabled or deleted, ciphertext
        # damaged): retrying is useless, a fresh token must be registered.
        await asyncio.to_thread(_mark_reauth, request.account_id, f"stored token unreadable: {exc}")
        outcome = _not_collected(request, Outcome.REAUTH_REQUIRED, "failed", str(exc))
    else:
        written, run = await asyncio.to_thread(
            _store, request, snapshot, result, started_at, settings
        )
        logger.info(
            "account collected",
            extra={
                "account_id": request.account_id,
                "platform": snapshot.platform.value,
                "outcome": run,
                "points_written": written,
                "points_seen": len(result.points),
                "calls": result.calls,
                "parts": {p.name: p.status for p in result.parts},
                "seconds": round(time.perf_counter() - begun, 3),
            },
        )
        return CollectOutcome(
            Outcome.REAUTH_REQUIRED
            if isinstance(result.fatal, errors.AuthExpired)
            else Outcome.COLLECTED,
            request.account_id,
            points_written=written,
            points_seen=len(result.points),
            unavailable=result.unavailable,
            refreshed=refreshed,
            run_outcome=run,
            parts=result.parts,
        )
    await asyncio.to_thread(_finish, request, started_at, outcome)
    logger.warning(
        "account not collected",
        extra={"account_id": request.account_id, "outcome": outcome.outcome.value},
    )
    return outcome


def _not_found(account_id: int, reason: str, settings: Settings) -> None:
    with unit_of_work() as session:
        lifecycle.record_not_found(session, account_id, reason, settings.account_not_found_strikes)


def _part_failed(account_id: int, reason: str) -> None:
    with unit_of_work() as session:
        account_event(session, account_id, "collection.part_failed", reason)


def _mark_reauth(account_id: int, reason: str) -> None:
    with unit_of_work() as session:
        lifecycle.mark_reauth_required(session, account_id, reason)
