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
    """The dedupe ledger keeps ``WEBHOOK_EVENTS_RETENTION_DAYS``: platforms stop redelivering
    long before (Meta ~36 h to 7 days, TikTok 72 h), so older keys can no longer repeat."""
    cutoff = now - timedelta(days=settings.webhook_events_retention_days)
    with unit_of_work() as session:
        result = session.execute(
            text("DELETE FROM webhook_events WHERE received_at < :cutoff"), {"cutoff": cutoff}
        )
    return {"cutoff": cutoff.isoformat(), "deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]


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
