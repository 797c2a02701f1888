"""Each maintenance step is idempotent: running it twice in a row does nothing the second time.

A step returns a small report (what it created, dropped or pruned) that the Lambda logs and
returns; steps run in their own unit of work so one failing step does not undo the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import (
    add_months,
    drop_partitions_before,
    ensure_partitions,
    month_start,
)
from socialmetrics.logging import logger


@dataclass
class StepReport:
    name: str
    ok: bool = True
    detail: dict[str, Any] = field(default_factory=dict)


def create_partitions(settings: Settings, now: datetime) -> dict[str, Any]:
    """This month, last month and ``PARTITIONS_AHEAD_MONTHS`` ahead exist."""
    first = add_months(month_start(now), -1)
    with unit_of_work() as session:
        names = ensure_partitions(session, first, settings.partitions_ahead_months + 2)
    return {"partitions": names}


def drop_expired_metrics(settings: Settings, now: datetime) -> dict[str, Any]:
    """Whole months older than ``METRICS_RETENTION_MONTHS`` are dropped (milliseconds, not a
    row-by-row DELETE)."""
    cutoff = add_months(month_start(now), -settings.metrics_retention_months)
    with unit_of_work() as session:
        dropped = drop_partitions_before(session, cutoff)
    return {"cutoff": cutoff.isoformat(), "dropped": dropped}


def prune_webhook_events(settings: Settings, now: datetime) -> dict[str, Any]:
    """The dedupe ledger keeps ``WEBHOOK_EVENTS_RETENTION_DAYS`` plus one day of clock slack:
    platforms stop redelivering long before (Meta ~36 h to 7 days, TikTok 72 h), and ingest
    rejects events older than the retention, so a pruned key can no longer repeat (see
    ``socialmetrics.webhooks.limits``). Rejected entries are kept as long."""
    from socialmetrics.webhooks.limits import ledger_cutoff

    cutoff = ledger_cutoff(now, settings.webhook_events_retention_days)
    with unit_of_work() as session:
        result = session.execute(
            text("DELETE FROM webhook_events WHERE received_at < :cutoff"), {"cutoff": cutoff}
        )
        rejections = session.execute(
            text("DELETE FROM webhook_rejections WHERE rejected_at < :cutoff"), {"cutoff": cutoff}
        )
    return {
        "cutoff": cutoff.isoformat(),
        "deleted": int(result.rowcount or 0),  # type: ignore[attr-defined]
        "rejections_deleted": int(rejections.rowcount or 0),  # type: ignore[attr-defined]
    }


def prune_audit_log(settings: Settings, now: datetime) -> dict[str, Any]:
    cutoff = now - timedelta(days=settings.audit_log_retention_days)
    with unit_of_work() as session:
        result = session.execute(
            text("DELETE FROM audit_log WHERE occurred_at < :cutoff"), {"cutoff": cutoff}
        )
    return {"cutoff": cutoff.isoformat(), "deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]


def prune_collection_runs(settings: Settings, now: datetime) -> dict[str, Any]:
    """Collection runs are operational history: kept as long as the metrics they produced."""
    cutoff = now - timedelta(days=31 * settings.metrics_retention_months)
    with unit_of_work() as session:
        result = session.execute(
            text("DELETE FROM collection_runs WHERE started_at < :cutoff"), {"cutoff": cutoff}
        )
    return {"deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]


def prune_signal_events(settings: Settings, now: datetime) -> dict[str, Any]:
    """Outbound events and their delivery logs are kept ``SIGNAL_EVENTS_RETENTION_DAYS``: far
    past the ~24 h retry schedule, long enough for a tenant to read its delivery log. An event
    the relay has not handed over yet, or with a delivery still pending, is never pruned."""
    cutoff = now - timedelta(days=settings.signal_events_retention_days)
    with unit_of_work() as session:
        result = session.execute(
            text(
                "DELETE FROM signal_events e WHERE e.created_at < :cutoff"
                " AND e.relayed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d"
                " WHERE d.event_id = e.id AND d.status = 'pending')"
            ),
            {"cutoff": cutoff},
        )
    return {"cutoff": cutoff.isoformat(), "deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]


Step = Callable[[Settings, datetime], dict[str, Any]]


def run_steps(settings: Settings, now: datetime, steps: list[tuple[str, Step]]) -> list[StepReport]:
    reports = []
    for name, step in steps:
        try:
            reports.append(StepReport(name, True, step(settings, now)))
        except Exception as exc:
            logger.exception("maintenance step failed", extra={"step": name})
            reports.append(StepReport(name, False, {"error": type(exc).__name__}))
    return reports


def finish_pending_erasures(settings: Settings, now: datetime) -> dict[str, Any]:
    """Users whose erasure was requested but not completed are erased now (LGPD art. 18)."""
    from socialmetrics.compliance.audit import Actor
    from socialmetrics.privacy.rights import erase_user

    with unit_of_work() as session:
        pending = (
            session.execute(
                text(
                    "SELECT id FROM users WHERE erasure_requested_at IS NOT NULL"
                    " AND erased_at IS NULL ORDER BY erasure_requested_at"
                )
            )
            .scalars()
            .all()
        )
    erased = []
    for user_id in pending:
        with unit_of_work() as session:
            erase_user(session, Actor.system("maintenance"), int(user_id))
        erased.append(int(user_id))
    return {"erased": erased}


def default_steps() -> list[tuple[str, Step]]:
    from socialmetrics.maintenance.tokens import refresh_expiring_tokens
    from socialmetrics.signals.expiry import warn_expiring_tokens

    return [
        ("create_partitions", create_partitions),
        ("drop_expired_metrics", drop_expired_metrics),
        ("refresh_expiring_tokens", refresh_expiring_tokens),
        ("warn_expiring_tokens", warn_expiring_tokens),
        ("finish_pending_erasures", finish_pending_erasures),
        ("prune_webhook_events", prune_webhook_events),
        ("prune_audit_log", prune_audit_log),
        ("prune_collection_runs", prune_collection_runs),
        ("prune_signal_events", prune_signal_events),
    ]
