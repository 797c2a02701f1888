"""Scheduler Lambda: an EventBridge Scheduler tick → due accounts fanned out to SQS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics.aws import client, queue_url
from socialmetrics.collection.planning import run_tick
from socialmetrics.config import get_settings
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler, metrics
from socialmetrics.platforms import FAMILY


def tick_time(event: dict[str, Any]) -> datetime:
    """The scheduled time of the tick (``time`` in the event), or now for a manual invoke."""
    raw = event.get("time")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            logger.warning("unparseable tick time; using now", extra={"time": raw})
    return datetime.now(UTC)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    now = tick_time(event)
    keys = sorted({f"collect-{family}" for family in FAMILY.values()})
    result = run_tick(
        client("sqs"),
        {key: queue_url(key) for key in keys},
        now=now,
        page_size=settings.scheduler_page_size,
        window_seconds=settings.scheduler_window_seconds,
        context=context,
    )
    logger.append_keys(job_id=result.job_id)
    logger.info(
        "tick done",
        extra={
            "claimed": result.claimed,
            "enqueued": result.enqueued,
            "out_of_time": result.out_of_time,
        },
    )
    metrics.add_metric(name="AccountsEnqueued", unit="Count", value=result.enqueued)
    if result.failed:
        metrics.add_metric(name="EnqueueFailures", unit="Count", value=result.failed)
    return {
        "job_id": result.job_id,
        "claimed": result.claimed,
        "enqueued": result.enqueued,
        "failed": result.failed,
        "out_of_time": result.out_of_time,
        "by_queue": result.by_queue,
    }
