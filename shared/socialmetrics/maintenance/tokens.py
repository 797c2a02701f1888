"""Refresh, ahead of time, the tokens that would expire before the next daily run.

A platform that does not answer within its time budget is not called again in the same run
(its remaining accounts count as failed), so one hung platform costs one budget, not one per
account, and the later maintenance steps still run."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from socialmetrics.accounts import lifecycle
from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.logging import logger
from socialmetrics.platforms import Platform
from socialmetrics.providers import errors
from socialmetrics.providers.registry import client_for

HORIZON = timedelta(days=1)


def expiring_accounts(now: datetime, horizon: timedelta = HORIZON) -> list[tuple[int, Platform]]:
    with unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT a.id, p.name FROM accounts a JOIN platforms p ON p.id = a.platform_id"
                " WHERE a.status = 'active' AND a.token_expires_at IS NOT NULL"
                " AND a.token_expires_at <= :until ORDER BY a.token_expires_at"
            ),
            {"until": now + horizon},
        )
        return [(row.id, Platform(row.name)) for row in rows]


def _mark_reauth(account_id: int, reason: str) -> None:
    with unit_of_work() as session:
        lifecycle.mark_reauth_required(session, account_id, reason)


async def _refresh_all(
    settings: Settings, now: datetime, transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    report: dict[str, Any] = {"refreshed": 0, "reauth_required": 0, "failed": 0, "skipped": 0}
    unreachable: set[Platform] = set()  # timed out once: not worth another budget this run
    for account_id, platform in expiring_accounts(now):
        client = client_for(platform, settings, transport)
        if not client.supports_refresh:
            report["skipped"] += 1
            continue
        if platform in unreachable:  # the collector still refreshes it before use
            report["failed"] += 1
            continue
        try:
            fresh = await lifecycle.refresh_locked(
                client.refresh,
                account_id,
                int(HORIZON.total_seconds()),
                now,
                "maintenance",
            )
        except errors.AuthExpired as exc:
            _mark_reauth(account_id, f"refresh failed: {exc}")
            report["reauth_required"] += 1
        except errors.ProviderError as exc:
            logger.warning(
                "token refresh failed", extra={"account_id": account_id, "error": str(exc)}
            )
            report["failed"] += 1
            if isinstance(exc, errors.Transient) and exc.code in ("timeout", "connection"):
                unreachable.add(platform)
        else:
            report["refreshed" if fresh is not None and fresh.refreshed else "skipped"] += 1
    return report


def refresh_expiring_tokens(
    settings: Settings, now: datetime, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Any]:
    return asyncio.run(_refresh_all(settings, now, transport))
