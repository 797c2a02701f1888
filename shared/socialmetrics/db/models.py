"""SQLAlchemy 2 models for every table (see docs/database_schema.md).

The Alembic migrations in ``migrations/versions`` are the authority on the schema; these
models mirror them for queries. ``metrics`` is range-partitioned by month on ``collected_at``
(created in SQL by the migration); its primary key therefore includes ``collected_at``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ACCOUNT_STATUSES = ("active", "reauth_required", "revoked")
ROLES = ("admin", "client")
MESSAGE_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class PlatformRow(Base):
    __tablename__ = "platforms"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    family: Mapped[str] = mapped_column(String(16))
    # The seed's `api_key`: app credentials, envelope-encrypted, never returned by the API.
    api_key_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'client')", name="users_role_check"),
        Index("users_email_lower_key", func.lower(text("email")), unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16), server_default="client")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    erasure_requested_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    x_monthly_budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = _now()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Account(Base):
    """A platform account of a user: the seed's stored token, one per (platform, account id)."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("platform_id", "platform_user_id", name="accounts_platform_user_key"),
        CheckConstraint(
            "status IN ('active', 'reauth_required', 'not_found', 'revoked')",
            name="accounts_status_check",
        ),
        Index(
            "accounts_due_idx", "next_collect_at", "id", postgresql_where=text("status = 'active'")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    platform_user_id: Mapped[str] = mapped_column(String(255))
    # Envelope encryption: AES-256-GCM ciphertexts, the KMS-wrapped data key and its key id.
    access_token_ct: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(255))
    key_version: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    token_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    scopes: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(String(24), server_default="active")
    status_reason: Mapped[str | None] = mapped_column(String(255))
    not_found_strikes: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    cadence_minutes: Mapped[int] = mapped_column(Integer, server_default="1440")
    next_collect_at: Mapped[datetime] = _now()
    last_enqueued_at: Mapped[datetime | None]
    last_collected_at: Mapped[datetime | None]
    sync_cursor: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    rate_limit: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class Metric(Base):
    __tablename__ = "metrics"
    __table_args__ = (
        UniqueConstraint(
            "account_id",
            "object_id",
            "metric_type",
            "period",
            "collected_at",
            name="metrics_point_key",
        ),
        Index("metrics_user_platform_time_idx", "user_id", "platform_id", "collected_at", "id"),
        Index("metrics_user_time_idx", "user_id", "collected_at", "id"),
        Index("metrics_account_time_idx", "account_id", "collected_at", "id"),
        Index("metrics_collected_at_idx", "collected_at"),
        {"postgresql_partition_by": "RANGE (collected_at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    platform_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigInteger)
    metric_type: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric)
    object_type: Mapped[str] = mapped_column(String(16), server_default="account")
    object_id: Mapped[str] = mapped_column(String(128), server_default="")
    period: Mapped[str] = mapped_column(String(16), server_default="snapshot")
    source: Mapped[str] = mapped_column(String(16), server_default="poll")
    raw_name: Mapped[str | None] = mapped_column(String(128))
    api_version: Mapped[str | None] = mapped_column(String(32))
    fetched_at: Mapped[datetime] = _now()


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(64), server_default="metrics_collection")
    given: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(32), server_default="1")
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = _now()


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = _now()
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)  # no FK: survives erasure
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")

    __table_args__ = (Index("audit_log_occurred_at_idx", "occurred_at"),)


class WebhookEvent(Base):
    """The dedupe ledger: one row per delivered event key; unmatched events wait here."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_key", name="webhook_events_key"),
        Index(
            "webhook_events_unmatched_idx",
            "provider",
            "platform_user_id",
            postgresql_where=text("status = 'unmatched'"),
        ),
        Index("webhook_events_received_at_idx", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(64))
    platform_user_id: Mapped[str | None] = mapped_column(String(255))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), server_default="applied")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    received_at: Mapped[datetime] = _now()
    processed_at: Mapped[datetime | None]


class WebhookRejection(Base):
    """A webhook entry refused at ingest (over a column limit, out of range, too old), with
    why. Only ids and the reason are kept — never the entry's content."""

    __tablename__ = "webhook_rejections"
    __table_args__ = (
        UniqueConstraint("provider", "entry_digest", name="webhook_rejections_entry_key"),
        Index("webhook_rejections_rejected_at_idx", "rejected_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str | None] = mapped_column(String(50))
    entry_index: Mapped[int] = mapped_column(Integer)
    entry_id: Mapped[str | None] = mapped_column(String(255))
    entry_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the entry's JSON
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime]
    rejected_at: Mapped[datetime] = _now()


class MessageStatus(Base):
    """A WhatsApp message's highest status: sent < delivered < read; failed is terminal."""

    __tablename__ = "message_statuses"

    wamid: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    status_rank: Mapped[int] = mapped_column(SmallInteger)
    first_seen_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    error_code: Mapped[int | None] = mapped_column(Integer)
    pricing_category: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = _now()


class LoginFailure(Base):
    """Failed-login counters per bucket (client IP or key prefix), shared by every Lambda."""

    __tablename__ = "login_failures"

    bucket: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    blocked_until: Mapped[datetime | None]
    # Consecutive blocks of a key-prefix bucket: each one doubles the next block (backoff).
    blocks: Mapped[int] = mapped_column(Integer, server_default="0")


class CollectionRun(Base):
    __tablename__ = "collection_runs"
    __table_args__ = (
        Index("collection_runs_account_idx", "account_id", "started_at"),
        Index("collection_runs_account_id_idx", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    job_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    points_written: Mapped[int] = mapped_column(Integer, server_default="0")
    outcome: Mapped[str] = mapped_column(String(32))  # succeeded|partial|failed|deferred|skipped
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")


class WebhookEndpoint(Base):
    """A tenant's outbound webhook endpoint (secrets envelope-encrypted, never returned)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("webhook_endpoints_user_idx", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(255))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    secret_ct: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class SignalEvent(Base):
    """The outbox: one row per domain event, written in the producer's transaction."""

    __tablename__ = "signal_events"
    __table_args__ = (
        Index(
            "signal_events_unrelayed_idx",
            "created_at",
            postgresql_where=text("relayed_at IS NULL"),
        ),
        Index("signal_events_user_idx", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = _now()
    relayed_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event for one endpoint: pending until delivered (succeeded) or given up (dead)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="webhook_deliveries_event_key"),
        CheckConstraint(
            "status IN ('pending', 'succeeded', 'dead')", name="webhook_deliveries_status_check"
        ),
        Index("webhook_deliveries_endpoint_idx", "endpoint_id", "id"),
        Index("webhook_deliveries_event_idx", "event_id"),
        Index(
            "webhook_deliveries_pending_idx",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("signal_events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = _now()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class WebhookDeliveryAttempt(Base):
    __tablename__ = "webhook_delivery_attempts"
    __table_args__ = (Index("webhook_delivery_attempts_delivery_idx", "delivery_id", "attempt"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(255))


class TokenExpiryWarning(Base):
    """An ``account.token_expiring`` already sent for (token, threshold, expiry): once each."""

    __tablename__ = "token_expiry_warnings"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    token_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    threshold_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    fired_at: Mapped[datetime] = _now()


class UsageDaily(Base):
    """Platform calls (and X billed reads) per tenant, platform and UTC day."""

    __tablename__ = "usage_daily"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, server_default="0")
    post_reads: Mapped[int] = mapped_column(Integer, server_default="0")  # X: billed, deduped
    user_reads: Mapped[int] = mapped_column(Integer, server_default="0")  # X: billed, deduped


class UsageBilledObject(Base):
    """X bills each post/user read once per UTC day: the objects already counted today."""

    __tablename__ = "usage_billed_objects"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(128), primary_key=True)
