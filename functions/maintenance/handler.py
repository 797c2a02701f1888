"""Maintenance Lambda (daily): partitions, retention, token refresh, erasures, pruning."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics.config import get_settings
from socialmetrics.logging import logger
from socialmetrics.maintenance.steps import default_steps, run_steps
from socialmetrics.observability import capture_lambda_handler, metrics


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reports = run_steps(get_settings(), datetime.now(UTC), default_steps())
    failed = [report.name for report in reports if not report.ok]
    for report in reports:
        logger.info("maintenance step", extra={"step": report.name, "ok": report.ok})
    metrics.add_metric(name="MaintenanceStepFailures", unit="Count", value=len(failed))
    return {"ok": not failed, "failed": failed, "steps": [asdict(r) for r in reports]}
