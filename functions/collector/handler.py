"""Collector Lambda: one SQS message = one account collected (partial batch failures).

Per record: parse → :func:`collect_account` → map the outcome to the queue:
collected (also a partial run: every fetched value is stored, a deferred part makes the
account due at its reset)/skipped/reauth/not found/permission/failed → acknowledged; the first
call rate-limited → visible again at the platform's reset time (then reported as failed so SQS
keeps it); the first call transient → retried with an
exponential visibility backoff, then the DLQ after ``maxReceiveCount``; poison (bad JSON,
unknown account) → sent to the DLQ with the reason and acknowledged.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics import snapstart
from socialmetrics.logging import bind_correlation_id, logger
from socialmetrics.observability import capture_lambda_handler, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# The collection machinery (SQLAlchemy, the providers, httpx, pydantic-settings) is imported by
# the first record, not by the cold start; under SnapStart, before the snapshot.
COLLECTION = "socialmetrics.collection.collect"
snapstart.register(
    database=True,
    aws=("sqs", "kms", "secretsmanager"),
    prime=functools.partial(importlib.import_module, COLLECTION),
)

# Every record failing is still a partial response (all ids listed), not an invocation error:
# SQS then applies each message's own visibility (rate-limit reset, backoff) and receive count.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class RetryLater(Exception):
    """The message stays in the queue (reported in ``batchItemFailures``)."""


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    from pydantic import ValidationError

    from socialmetrics.accounts.lifecycle import defer
    from socialmetrics.budgets import ensure_time_left, record_seconds
    from socialmetrics.collection.collect import Outcome, UnknownAccount, collect_account
    from socialmetrics.collection.messages import CollectRequest
    from socialmetrics.config import get_settings
    from socialmetrics.providers.errors import Transient
    from socialmetrics.queueing import MAX_RECEIVE_COUNT, backoff_seconds, dead_letter, delay_until

    bind_correlation_id(record.message_id)
    logger.append_keys(message_id=record.message_id)
    # A record that could not finish in the time left goes back to the queue now (reported in
    # batchItemFailures) rather than dying with the whole batch at the Lambda timeout.
    needed = record_seconds(get_settings(), aws=True, database=True, platforms=True)
    ensure_time_left(lambda_context, needed)
    try:
        request = CollectRequest.model_validate_json(record.body)
    except ValidationError as exc:
        dead_letter(
            record.event_source_arn, record.body, f"invalid message: {exc.error_count()} errors"
        )
        metrics.add_metric(name="PoisonMessages", unit="Count", value=1)
        return "dead-lettered"
    logger.append_keys(
        account_id=request.account_id, platform=request.platform.value, job_id=request.job_id
    )
    try:
        outcome = collect_account(request, get_settings())
    except UnknownAccount as exc:
        dead_letter(record.event_source_arn, record.body, str(exc))
        metrics.add_metric(name="PoisonMessages", unit="Count", value=1)
        return "dead-lettered"
    except Transient as exc:
        receives = int(record.attributes.approximate_receive_count or 1)
        delay = backoff_seconds(receives, get_settings().collect_retry_base_seconds)
        _set_visibility(record, delay)
        metrics.add_metric(name="TransientFailures", unit="Count", value=1)
        raise RetryLater(f"transient failure, retry in {delay}s: {exc}") from exc
    metrics.add_metric(name="PointsWritten", unit="Count", value=outcome.points_written)
    if outcome.refreshed:
        metrics.add_metric(name="TokenRefreshes", unit="Count", value=1)
    if outcome.outcome is Outcome.RATE_LIMITED and outcome.retry_at is not None:
        metrics.add_metric(name="RateLimited", unit="Count", value=1)
        if int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVE_COUNT - 1:
            # One more receive would dead-letter a message that did nothing wrong: hand the
            # account back to the scheduler at the reset time and acknowledge this message.
            defer(request.account_id, outcome.retry_at)
            return "deferred"
        seconds = delay_until(record.event_source_arn, record.receipt_handle, outcome.retry_at)
        raise RetryLater(f"rate limited; visible again in {seconds}s")
    if outcome.outcome is not Outcome.COLLECTED:
        metrics.add_metric(name=f"Outcome_{outcome.outcome.value}", unit="Count", value=1)
    return outcome.outcome.value


def _set_visibility(record: SQSRecord, seconds: int) -> None:
    from socialmetrics.aws import client
    from socialmetrics.queueing import url_for_arn

    try:
        client("sqs").change_message_visibility(
            QueueUrl=url_for_arn(record.event_source_arn),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds,
        )
    except Exception:  # the queue's own visibility timeout applies instead
        logger.warning("could not set retry backoff")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
