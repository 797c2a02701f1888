"""Data-subject rights (LGPD art. 18): export everything held about a user, and erase it.

Export returns the user, API-key metadata, token metadata (never a token), the consent
history, every metric and the audit entries about the user. Erasure deletes tokens
(accounts), metrics, API keys and consents, scrubs the user row to a tombstone, and leaves one
audit entry with counts only — no personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from socialmetrics.accounts.service import list_tokens
from socialmetrics.compliance.audit import Actor, audit
from socialmetrics.compliance.consent import consent_history
from socialmetrics.db.models import (
    Account,
    ApiKey,
    AuditLog,
    Consent,
    Metric,
    SignalEvent,
    UsageBilledObject,
    UsageDaily,
    WebhookEndpoint,
    WebhookEvent,
)
from socialmetrics.identity.service import list_api_keys, visible_user
from socialmetrics.metrics_query.service import MetricFilter, iso, iter_metrics, metric_json
from socialmetrics.signals.events import emit


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def export_user(session: Session, actor: Actor, user_id: int) -> dict[str, Any]:
    """Everything held about ``user_id`` except metrics (see :func:`export_metrics`); audited."""
    user = visible_user(session, actor, user_id)
    audit(session, actor, "user.export", "user", user_id)
    audits = session.scalars(
        select(AuditLog)
        .where(AuditLog.subject_type == "user", AuditLog.subject_id == str(user_id))
        .order_by(AuditLog.id)
    ).all()
    exported: dict[str, Any] = _jsonable(
        {
            "exported_at": datetime.now(UTC),
            "user": {
                "user_id": user.id,
                "name": user.name,
                "email": user.email,
                "role": user.role,
                "created_at": user.created_at,
                "updated_at": user.updated_at,
            },
            "api_keys": [asdict(k) for k in list_api_keys(session, user_id)],
            "tokens": [asdict(t) for t in list_tokens(session, user_id)],
            "consents": [asdict(c) for c in consent_history(session, user_id)],
            "audit": [
                {
                    "action": a.action,
                    "occurred_at": a.occurred_at,
                    "actor_user_id": a.actor_user_id,
                    "actor_role": a.actor_role,
                    "request_id": a.request_id,
                }
                for a in audits
            ],
        }
    )
    emit(
        session,
        user_id,
        "export.ready",
        {
            "user_id": user_id,
            "exported_at": exported["exported_at"],
            "requested_by": actor.user_id,
            "path": f"/users/{user_id}/export",
        },
    )
    return exported


def export_metrics(user_id: int) -> Iterator[dict[str, Any]]:
    """The user's metrics, page by page (for a streamed export)."""
    for row in iter_metrics(MetricFilter(user_id=user_id)):
        yield metric_json(row)


def erase_user(session: Session, actor: Actor, user_id: int) -> dict[str, int]:
    """Erase a user's personal data; returns what was removed (also written to the audit)."""
    user = visible_user(session, actor, user_id)
    account_ids = select(Account.id).where(Account.user_id == user_id)
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.account_id.in_(account_ids))
        .values(payload=None, platform_user_id=None)
    )
    counts = {
        "metrics": _deleted(session, delete(Metric).where(Metric.user_id == user_id)),
        "tokens": _deleted(session, delete(Account).where(Account.user_id == user_id)),
        "api_keys": _deleted(session, delete(ApiKey).where(ApiKey.user_id == user_id)),
        "consents": _deleted(session, delete(Consent).where(Consent.user_id == user_id)),
        # Outbound webhooks: endpoints (URLs, secrets) with their delivery log, the events
        # (account data), and usage (X object ids).
        "webhook_endpoints": _deleted(
            session, delete(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)
        ),
        "signal_events": _deleted(
            session, delete(SignalEvent).where(SignalEvent.user_id == user_id)
        ),
        "usage_rows": _deleted(session, delete(UsageDaily).where(UsageDaily.user_id == user_id))
        + _deleted(session, delete(UsageBilledObject).where(UsageBilledObject.user_id == user_id)),
    }
    now = datetime.now(UTC)
    user.name = "erased"
    user.email = f"erased-{user_id}@erased.invalid"
    user.erasure_requested_at = user.erasure_requested_at or now
    user.erased_at = now
    user.updated_at = now
    session.flush()
    audit(session, actor, "user.erase", "user", user_id, detail=counts)
    return counts


def _deleted(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
