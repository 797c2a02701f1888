"""Domain events and :func:`emit`, the one place every producer calls.

``emit`` writes the event to the outbox (``signal_events``) inside the caller's transaction:
the event exists exactly when the change that caused it is committed. The relay
(:mod:`socialmetrics.signals.delivery`) fans it out to the tenant's endpoints afterwards.

The envelope every endpoint receives is versioned and stable::

    {"id": "evt_…", "type": "account.reauth_required", "version": 1,
     "created_at": "2026-11-30T16:00:00Z", "tenant": {"user_id": 7}, "data": {…}}
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

ENVELOPE_VERSION = 1
EVENT_TYPES: dict[str, str] = {
    "account.reauth_required": "The platform refused the token: register a fresh one.",
    "account.not_found": "The platform no longer knows the account.",
    "account.token_expiring": "A token expires within a warning threshold (once per threshold).",
    "collection.completed": "A collection run finished, with counts and per-part outcomes.",
    "collection.part_failed": "A part of a collection failed after its retries.",
    "metric.deprecated": "A series switched to its replacement metric.",
    "consent.withdrawn": "The user withdrew consent; collection stopped.",
    "export.ready": "A data export of the user is ready.",
    "usage.budget_paused": "X collection paused: the monthly budget is nearly spent.",
    "webhook_endpoint.disabled": "An endpoint was disabled after repeated failed deliveries.",
}


class UnknownEventType(ValueError):
    """A producer emitted a type that is not in :data:`EVENT_TYPES`."""


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


def envelope(
    event_id: str, type_: str, created_at: datetime, user_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": type_,
        "version": ENVELOPE_VERSION,
        "created_at": created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "tenant": {"user_id": user_id},
        "data": data,
    }


def body(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def emit(session: Session, tenant_user_id: int, type_: str, data: dict[str, Any]) -> str:
    """Record ``type_`` for the tenant in the caller's transaction; returns the event id."""
    if type_ not in EVENT_TYPES:
        raise UnknownEventType(type_)
    event_id = new_event_id()
    session.execute(
        text(
            "INSERT INTO signal_events (id, user_id, type, data)"
            " VALUES (:id, :u, :t, CAST(:d AS jsonb))"
        ),
        {"id": event_id, "u": tenant_user_id, "t": type_, "d": json.dumps(data, default=str)},
    )
    return event_id
