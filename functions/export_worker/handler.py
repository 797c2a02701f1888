"""Export worker Lambda (SQS ``exports``): writes each export job's CSV to the export bucket.

Per record: parse → :func:`~socialmetrics.exports.service.run_job` → acknowledged. A body that
is not an export message, or names no job, goes straight to the DLQ with the reason; a job
whose export failed (database, S3) is reported in ``batchItemFailures`` and retried, and on the
last receive it is marked failed with the reason before the message moves to the DLQ.
"""

from __future__ import annotations

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

from socialmetrics.budgets import ensure_time_left, record_seconds
from socialmetrics.config import get_settings
from socialmetrics.exports.service import ExportMessage, UnknownJob, run_job
from socialmetrics.logging import bind_correlation_id, logger
from socialmetrics.observability import capture_lambda_handler
from socialmetrics.queueing import MAX_RECEIVE_COUNT, dead_letter

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    bind_correlation_id(record.message_id)
    logger.append_keys(message_id=record.message_id)
    settings = get_settings()
    # One export: a COPY and its uploads. Not that long left: back to the queue now.
    ensure_time_left(lambda_context, record_seconds(settings, aws=True, database=True))
    try:
        message = ExportMessage.model_validate_json(record.body)
    except ValidationError as exc:
        dead_letter(record.event_source_arn, record.body, f"invalid message: {exc.error_count()}")
        return "dead-lettered"
    last_attempt = int(record.attributes.approximate_receive_count) >= MAX_RECEIVE_COUNT
    try:
        return run_job(message, settings, datetime.now(UTC), last_attempt=last_attempt)
    except UnknownJob:
        dead_letter(record.event_source_arn, record.body, "no such export job")
        return "dead-lettered"


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
