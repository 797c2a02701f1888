"""SQL for webhook ingest: the ledger, the WhatsApp status ladder and the derived counts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.db.metrics import Owner
from socialmetrics.db.models import MESSAGE_STATUS_RANK

# Received up to this long before the day it counts for (the platform's clock may run ahead).
CLOCK_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: int
    user_id: int
    platform_id: int
    platform_user_id: str
    status: str

    @property
    def owner(self) -> Owner:
        return Owner(user_id=self.user_id, platform_id=self.platform_id, account_id=self.id)


def find_account(session: Session, platform: str, ids: Sequence[str]) -> AccountRef | None:
    """The account of ``platform`` registered under one of ``ids`` (earlier ids preferred)."""
    if not ids:
        return None
    row = session.execute(
        text(
            "SELECT a.id, a.user_id, a.platform_id, a.platform_user_id, a.status "
            "FROM accounts a JOIN platforms p ON p.id = a.platform_id "
            "WHERE p.name = :platform AND a.platform_user_id = ANY(CAST(:ids AS text[])) "
            "ORDER BY array_position(CAST(:ids AS text[]), a.platform_user_id::text) LIMIT 1"
        ),
        {"platform": platform, "ids": list(ids)},
    ).first()
    if row is None:
        return None
    return AccountRef(
        id=row.id,
        user_id=row.user_id,
        platform_id=row.platform_id,
        platform_user_id=row.platform_user_id,
        status=row.status,
    )


def record_event(
    session: Session,
    *,
    provider: str,
    event_key: str,
    event_type: str,
    platform_user_id: str | None,
    account_id: int | None,
    payload: dict[str, Any],
) -> bool:
    """Add the event to the ledger; False when that key was already recorded (a duplicate)."""
    row = session.execute(
        text(
            "INSERT INTO webhook_events (provider, event_key, event_type, platform_user_id, "
            "account_id, status, payload, processed_at) "
            "VALUES (:provider, :key, :type, :puid, :account, :status, CAST(:payload AS jsonb), "
            "CASE WHEN CAST(:account AS bigint) IS NULL THEN NULL ELSE now() END) "
            "ON CONFLICT (provider, event_key) DO NOTHING RETURNING id"
        ),
        {
            "provider": provider,
            "key": event_key,
            "type": event_type,
            "puid": platform_user_id,
            "account": account_id,
            "status": "applied" if account_id is not None else "unmatched",
            "payload": json.dumps(payload),
        },
    ).first()
    return row is not None


def record_rejection(
    session: Session,
    *,
    provider: str,
    platform: str | None,
    entry_index: int,
    entry_id: str | None,
    entry_digest: str,
    reason: str,
    detail: str,
    request_id: str | None,
    received_at: datetime,
) -> None:
    """Record a rejected entry (once per identical entry: replays add nothing)."""
    session.execute(
        text(
            "INSERT INTO webhook_rejections (provider, platform, entry_index, entry_id, "
            "entry_digest, reason, detail, request_id, received_at) "
            "VALUES (:provider, :platform, :index, :entry_id, :digest, :reason, :detail, "
            ":request_id, :received_at) "
            "ON CONFLICT (provider, entry_digest) DO NOTHING"
        ),
        {
            "provider": provider,
            "platform": platform,
            "index": entry_index,
            "entry_id": entry_id,
            "digest": entry_digest,
            "reason": reason[:32],
            "detail": detail[:500],
            "request_id": request_id[:128] if request_id else None,
            "received_at": received_at,
        },
    )


@dataclass(frozen=True, slots=True)
class RejectionRow:
    rejection_id: int
    provider: str
    platform: str | None
    entry_index: int
    entry_id: str | None
    entry_digest: str
    reason: str
    detail: str
    request_id: str | None
    received_at: datetime
    rejected_at: datetime


def list_rejections(
    session: Session, *, limit: int, before_id: int | None, provider: str | None
) -> list[RejectionRow]:
    """Rejections newest first, keyset-paginated on the id (``before_id`` excluded)."""
    rows = session.execute(
        text(
            "SELECT id, provider, platform, entry_index, entry_id, entry_digest, reason, detail, "
            "request_id, received_at, rejected_at FROM webhook_rejections "
            "WHERE (CAST(:before AS bigint) IS NULL OR id < :before) "
            "AND (CAST(:provider AS text) IS NULL OR provider = :provider) "
            "ORDER BY id DESC LIMIT :limit"
        ),
        {"before": before_id, "provider": provider, "limit": limit},
    )
    return [RejectionRow(*row) for row in rows]


def has_unmatched(session: Session, provider: str, ids: Sequence[str]) -> bool:
    return bool(
        session.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM webhook_events WHERE provider = :p "
                "AND status = 'unmatched' AND platform_user_id = ANY(CAST(:ids AS text[])))"
            ),
            {"p": provider, "ids": list(ids)},
        ).scalar_one()
    )


def lock_unmatched(session: Session, provider: str, platform_user_id: str) -> list[Any]:
    """Unmatched events waiting for ``platform_user_id`` (any of their candidate ids)."""
    return list(
        session.execute(
            text(
                "SELECT id, event_type, event_key, payload FROM webhook_events "
                "WHERE provider = :p AND status = 'unmatched' AND (platform_user_id = :id "
                "OR payload -> 'account_ids' @> jsonb_build_array(CAST(:id AS text))) "
                "ORDER BY id FOR UPDATE SKIP LOCKED"
            ),
            {"p": provider, "id": platform_user_id},
        )
    )


def mark_applied(session: Session, event_id: int, account_id: int) -> None:
    session.execute(
        text(
            "UPDATE webhook_events SET status = 'applied', account_id = :a, processed_at = now() "
            "WHERE id = :id"
        ),
        {"a": account_id, "id": event_id},
    )


def mark_no_consent(session: Session, provider: str, event_key: str) -> None:
    """Keep the key (so redeliveries stay duplicates) but drop the payload: the account's
    owner has not consented to collection, so nothing of the event is stored or counted."""
    session.execute(
        text(
            "UPDATE webhook_events SET status = 'no_consent', payload = NULL, "
            "processed_at = now() WHERE provider = :p AND event_key = :k"
        ),
        {"p": provider, "k": event_key},
    )


def lock_account_day(session: Session, account_id: int, day: datetime) -> None:
    """Serialise recounts of one account-day across concurrent transactions."""
    digest = hashlib.sha256(f"webhook-day:{account_id}:{day.date()}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def count_events(
    session: Session, account_id: int, event_types: Sequence[str], day: datetime
) -> int:
    """Applied ledger events of ``event_types`` that occurred on ``day`` (UTC)."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM webhook_events WHERE account_id = :a "
                "AND status = 'applied' AND event_type = ANY(CAST(:types AS text[])) "
                "AND received_at >= :since "
                "AND CAST(payload ->> 'occurred_at' AS timestamptz) >= :day "
                "AND CAST(payload ->> 'occurred_at' AS timestamptz) < :next"
            ),
            {
                "a": account_id,
                "types": list(event_types),
                "since": day - CLOCK_SLACK,
                "day": day,
                "next": day + timedelta(days=1),
            },
        ).scalar_one()
    )


def upsert_message_status(
    session: Session,
    *,
    account_id: int,
    wamid: str,
    status: str,
    at: datetime,
    error_code: int | None,
    pricing_category: str | None,
) -> tuple[datetime | None, datetime]:
    """Move a message up the ladder (never down; failed is terminal) and keep the first time
    of every transition. Returns (first_seen_at before, first_seen_at after)."""
    if status not in MESSAGE_STATUS_RANK:
        raise ValueError(f"unknown message status {status!r}")
    before = session.execute(
        text("SELECT first_seen_at FROM message_statuses WHERE wamid = :w FOR UPDATE"),
        {"w": wamid},
    ).scalar_one_or_none()
    after = session.execute(
        text(
            f"""
            INSERT INTO message_statuses AS m (wamid, account_id, status, status_rank,
                first_seen_at, {status}_at, error_code, pricing_category, updated_at)
            VALUES (:w, :a, :status, :rank, :at, :at, :code, :pricing, now())
            ON CONFLICT (wamid) DO UPDATE SET
                status = CASE WHEN EXCLUDED.status_rank > m.status_rank
                              THEN EXCLUDED.status ELSE m.status END,
                status_rank = GREATEST(m.status_rank, EXCLUDED.status_rank),
                first_seen_at = LEAST(m.first_seen_at, EXCLUDED.first_seen_at),
                {status}_at = LEAST(m.{status}_at, EXCLUDED.{status}_at),
                error_code = COALESCE(EXCLUDED.error_code, m.error_code),
                pricing_category = COALESCE(EXCLUDED.pricing_category, m.pricing_category),
                updated_at = now()
            RETURNING first_seen_at
            """  # noqa: S608 - {status} is one of four fixed column prefixes, checked below
        ),
        {
            "w": wamid,
            "a": account_id,
            "status": status,
            "rank": MESSAGE_STATUS_RANK[status],
            "at": at,
            "code": error_code,
            "pricing": pricing_category,
        },
    ).scalar_one()
    return before, after


def whatsapp_day_counts(session: Session, account_id: int, day: datetime) -> dict[str, int]:
    """Messages first seen on ``day``: sent (reached sent or beyond), delivered (delivered or
    read), read, failed — one query over ``message_statuses``."""
    row = session.execute(
        text(
            "SELECT "
            "count(*) FILTER (WHERE sent_at IS NOT NULL OR delivered_at IS NOT NULL "
            "OR read_at IS NOT NULL) AS sent, "
            "count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL) "
            "AS delivered, "
            "count(*) FILTER (WHERE read_at IS NOT NULL) AS read, "
            "count(*) FILTER (WHERE status = 'failed') AS failed "
            "FROM message_statuses WHERE account_id = :a "
            "AND first_seen_at >= :day AND first_seen_at < :next"
        ),
        {"a": account_id, "day": day, "next": day + timedelta(days=1)},
    ).one()
    return {
        "messages_sent": int(row.sent),
        "messages_delivered": int(row.delivered),
        "messages_read": int(row.read),
        "messages_failed": int(row.failed),
    }
