"""A tenant's webhook endpoints: register (the secret is shown once), list, read, delete,
rotate the secret (the previous one keeps signing for an overlap period), the delivery log
and a manual retry. Every function takes the tenant's user id: nobody sees another's rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.config import Settings
from socialmetrics.errors import Conflict, InvalidInput, NotFound
from socialmetrics.security import envelope
from socialmetrics.signals.events import EVENT_TYPES
from socialmetrics.signals.signing import new_secret
from socialmetrics.signals.targets import Resolver, check_url, resolve

MAX_ENDPOINTS_PER_TENANT = 20


@dataclass(frozen=True, slots=True)
class EndpointView:
    id: int
    url: str
    description: str | None
    event_types: list[str]
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    consecutive_failures: int
    previous_secret_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    attempt_log: list[AttemptView] = field(default_factory=list)


def secret_context(user_id: int) -> dict[str, str]:
    return {"purpose": "webhook-endpoint-secret", "user_id": str(user_id)}


def seal_secret(user_id: int, secret: SecretStr) -> bytes:
    return envelope.seal_blob(
        envelope.default_provider(), secret.get_secret_value(), secret_context(user_id)
    )


def open_secret(user_id: int, sealed: bytes) -> SecretStr:
    return envelope.open_blob(envelope.default_provider(), sealed, secret_context(user_id))


def _event_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"Unknown event types: {', '.join(unknown)}.")
    return sorted(set(types))


_COLUMNS = (
    "id, url, description, event_types, created_at, disabled_at, disabled_reason,"
    " consecutive_failures, previous_secret_expires_at"
)


def _view(row: Any) -> EndpointView:
    return EndpointView(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types or []),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        consecutive_failures=row.consecutive_failures,
        previous_secret_expires_at=row.previous_secret_expires_at,
    )


def create_endpoint(
    session: Session,
    user_id: int,
    url: str,
    event_types: list[str],
    description: str | None,
    settings: Settings,
    resolver: Resolver = resolve,
) -> tuple[EndpointView, SecretStr]:
    """Register an endpoint; the secret is returned here and never again."""
    check_url(url, settings, resolver)
    types = _event_types(event_types)
    count = session.execute(
        text("SELECT count(*) FROM webhook_endpoints WHERE user_id = :u"), {"u": user_id}
    ).scalar_one()
    if count >= MAX_ENDPOINTS_PER_TENANT:
        raise Conflict(f"At most {MAX_ENDPOINTS_PER_TENANT} endpoints per tenant.")
    secret = new_secret()
    row = session.execute(
        text(
            "INSERT INTO webhook_endpoints (user_id, url, description, event_types, secret_ct)"  # noqa: S608
            f" VALUES (:u, :url, :d, :t, :s) RETURNING {_COLUMNS}"
        ),
        {"u": user_id, "url": url, "d": description, "t": types, "s": seal_secret(user_id, secret)},
    ).one()
    return _view(row), secret


def list_endpoints(session: Session, user_id: int) -> list[EndpointView]:
    rows = session.execute(
        text(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE user_id = :u ORDER BY id"),  # noqa: S608
        {"u": user_id},
    ).all()
    return [_view(r) for r in rows]


def get_endpoint(session: Session, user_id: int, endpoint_id: int) -> EndpointView:
    row = session.execute(
        text(f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE id = :id AND user_id = :u"),  # noqa: S608
        {"id": endpoint_id, "u": user_id},
    ).one_or_none()
    if row is None:
        raise NotFound("No such webhook endpoint.")
    return _view(row)


def delete_endpoint(session: Session, user_id: int, endpoint_id: int) -> None:
    deleted = session.execute(
        text("DELETE FROM webhook_endpoints WHERE id = :id AND user_id = :u RETURNING id"),
        {"id": endpoint_id, "u": user_id},
    ).one_or_none()
    if deleted is None:
        raise NotFound("No such webhook endpoint.")


def rotate_secret(
    session: Session, user_id: int, endpoint_id: int, settings: Settings, now: datetime
) -> tuple[SecretStr, datetime]:
    """A new secret (returned once); the current one keeps signing until the returned time."""
    get_endpoint(session, user_id, endpoint_id)
    secret = new_secret()
    until = now + timedelta(hours=settings.signal_secret_overlap_hours)
    session.execute(
        text(
            "UPDATE webhook_endpoints SET previous_secret_ct = secret_ct,"
            " previous_secret_expires_at = :until, secret_ct = :s, updated_at = now()"
            " WHERE id = :id AND user_id = :u"
        ),
        {"until": until, "s": seal_secret(user_id, secret), "id": endpoint_id, "u": user_id},
    )
    return secret, until


def list_deliveries(
    session: Session, user_id: int, endpoint_id: int, limit: int, before: int | None = None
) -> list[DeliveryView]:
    """The endpoint's deliveries, newest first (keyset on id), each with its attempts."""
    get_endpoint(session, user_id, endpoint_id)
    rows = session.execute(
        text(
            "SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts,"
            " d.next_attempt_at, d.last_status_code, d.last_latency_ms, d.last_error,"
            " d.created_at FROM webhook_deliveries d JOIN signal_events e ON e.id = d.event_id"
            " WHERE d.endpoint_id = :ep AND (CAST(:before AS bigint) IS NULL OR d.id < :before)"
            " ORDER BY d.id DESC LIMIT :n"
        ),
        {"ep": endpoint_id, "before": before, "n": limit},
    ).all()
    attempts: dict[int, list[AttemptView]] = {r.id: [] for r in rows}
    if rows:
        for a in session.execute(
            text(
                "SELECT delivery_id, attempt, attempted_at, status_code, latency_ms, error"
                " FROM webhook_delivery_attempts WHERE delivery_id = ANY(:ids)"
                " ORDER BY delivery_id, attempt"
            ),
            {"ids": list(attempts)},
        ).all():
            attempts[a.delivery_id].append(
                AttemptView(a.attempt, a.attempted_at, a.status_code, a.latency_ms, a.error)
            )
    return [
        DeliveryView(
            id=r.id,
            event_id=r.event_id,
            event_type=r.event_type,
            status=r.status,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
            last_status_code=r.last_status_code,
            last_latency_ms=r.last_latency_ms,
            last_error=r.last_error,
            created_at=r.created_at,
            attempt_log=attempts[r.id],
        )
        for r in rows
    ]


def schedule_retry(session: Session, user_id: int, endpoint_id: int, delivery_id: int) -> int:
    """Make a delivery pending again now (the caller enqueues it after commit). A disabled
    endpoint is re-enabled: asking for a retry is the tenant saying it is fixed."""
    get_endpoint(session, user_id, endpoint_id)
    row = session.execute(
        text(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(),"
            " updated_at = now() WHERE id = :d AND endpoint_id = :ep AND status <> 'pending'"
            " RETURNING id"
        ),
        {"d": delivery_id, "ep": endpoint_id},
    ).one_or_none()
    if row is None:
        exists = session.execute(
            text("SELECT 1 FROM webhook_deliveries WHERE id = :d AND endpoint_id = :ep"),
            {"d": delivery_id, "ep": endpoint_id},
        ).one_or_none()
        if exists is None:
            raise NotFound("No such delivery.")
        raise Conflict("The delivery is already pending.")
    session.execute(
        text(
            "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL,"
            " consecutive_failures = 0, updated_at = now() WHERE id = :ep"
        ),
        {"ep": endpoint_id},
    )
    return delivery_id
