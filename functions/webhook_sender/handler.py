"""Webhook-sender Lambda: delivers outbound events (SQS ``webhook-deliveries``) and, on its
one-minute schedule, relays the outbox to that queue.

SQS: per record parse → :func:`process` → acknowledged, or reported in ``batchItemFailures``
when the database, KMS or SQS failed (SQS redelivers; the DLQ after ``maxReceiveCount``).
Scheduled event: :func:`relay`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from socialmetrics import snapstart
from socialmetrics.budgets import ensure_time_left, record_seconds
from socialmetrics.config import get_settings
from socialmetrics.logging import bind_correlation_id, logger
from socialmetrics.observability import capture_lambda_handler, metrics
from socialmetrics.queueing import dead_letter
from socialmetrics.signals.delivery import DeliveryMessage, post_worst_seconds, process, relay

snapstart.register(database=True, aws=("sqs",))
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
jitter = random.SystemRandom()


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    bind_correlation_id(record.message_id)
    logger.append_keys(message_id=record.message_id)
    # Not enough time left for one more delivery: back to the queue now, not at the timeout.
    settings = get_settings()
    needed = record_seconds(settings, aws=True, database=True) + post_worst_seconds(settings)
    ensure_time_left(lambda_context, needed)
    try:
        message = DeliveryMessage.model_validate_json(record.body)
    except ValidationError as exc:
        dead_letter(record.event_source_arn, record.body, f"invalid message: {exc.error_count()}")
        return "dead-lettered"
    result = process(message, settings, datetime.now(UTC), jitter)
    metrics.add_metric(name=f"Delivery_{result.value}", unit="Count", value=1)
    return result.value


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | Any:
    if "Records" not in event:  # the signals-relay schedule
        bind_correlation_id(event.get("id"))
        report = relay(get_settings(), datetime.now(UTC))
        logger.info(
            "outbox relayed", extra={"events": report.events, "deliveries": report.deliveries}
        )
        return {
            "events": report.events,
            "deliveries": report.deliveries,
            "requeued": report.requeued,
        }
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
