"""The collector's batch: one SQS message = one account collected (partial batch failures).

The records of a batch are collected concurrently on the container's loop, over its pooled
client (:mod:`socialmetrics.providers.runtime`), at most ``COLLECT_CONCURRENCY`` at once per
platform family; each record's outcome is mapped to the queue on its own, exactly as when
they ran one after another, and Powertools' ``AsyncBatchProcessor`` reports the failed ones:

collected (also a partial run: every fetched value is stored, a deferred part makes the
account due at its reset)/skipped/reauth/not found/permission/failed → acknowledged; the first
call rate-limited → visible again at the platform's reset time (then reported as failed so SQS
keeps it); the first call transient → retried with an exponential visibility backoff, then
the DLQ after ``maxReceiveCount``; poison (bad JSON, unknown account) → sent to the DLQ with
the reason and acknowledged; a record that could not finish in the time left → back to the
queue at once.

Blocking AWS and database calls run in worker threads, so one record's store or queue call
never holds up the fetches of its neighbours. Every log line written while a record runs
(in its task or its worker threads) carries that record's ids: they live in a context
variable, not in the logger's keys, which every record of the batch shares.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from socialmetrics.accounts.lifecycle import defer
from socialmetrics.budgets import ensure_time_left, record_seconds
from socialmetrics.collection.collect import Outcome, UnknownAccount, collect
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.config import get_settings
from socialmetrics.logging import logger
from socialmetrics.observability import metrics
from socialmetrics.platforms import FAMILY
from socialmetrics.providers.errors import Transient
from socialmetrics.providers.runtime import runtime
from socialmetrics.queueing import (
    MAX_RECEIVE_COUNT,
    backoff_seconds,
    dead_letter,
    delay_until,
    url_for_arn,
)

_record_ids: ContextVar[tuple[tuple[str, Any], ...]] = ContextVar("collector_record", default=())


class _RecordIds(logging.Filter):
    """Adds the running record's ids (``correlation_id``, ``message_id``, ``account_id``…)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _record_ids.get():
            setattr(record, key, value)
        return True


logger.addFilter(_RecordIds())


class RetryLater(Exception):
    """The message stays in the queue (reported in ``batchItemFailures``)."""


class ContainerBatchProcessor(AsyncBatchProcessor):
    """Powertools' ``AsyncBatchProcessor`` on the container's own loop: outside Lambda the
    library would start a new loop per batch, and the pooled client belongs to one loop."""

    def async_process(self) -> list[tuple[Any, ...]]:
        async def every_record() -> list[tuple[Any, ...]]:
            records = [self._async_process_record(record) for record in self.records]
            return list(await asyncio.gather(*records))

        return runtime().run(every_record())


# Every record failing is still a partial response (all ids listed), not an invocation error:
# SQS then applies each message's own visibility (rate-limit reset, backoff) and receive count.
processor = ContainerBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process_batch(
    event: dict[str, Any], context: LambdaContext | None
) -> PartialItemFailureResponse:
    """The collector's SQS batch → ``batchItemFailures``."""
    return async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


async def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    settings = get_settings()
    _record_ids.set((("correlation_id", record.message_id), ("message_id", record.message_id)))
    try:
        request = CollectRequest.model_validate_json(record.body)
    except ValidationError as exc:
        return await _poison(record, f"invalid message: {exc.error_count()} errors")
    _record_ids.set(
        (
            *_record_ids.get(),
            ("account_id", request.account_id),
            ("platform", request.platform.value),
            ("job_id", request.job_id),
        )
    )
    limit = runtime().limit(f"collect-{FAMILY[request.platform]}", settings.collect_concurrency)
    async with limit:
        # A record that could not finish in the time left goes back to the queue now (reported
        # in batchItemFailures) rather than dying with the whole batch at the Lambda timeout.
        needed = record_seconds(settings, aws=True, database=True, platforms=True)
        ensure_time_left(lambda_context, needed)
        try:
            outcome = await collect(request, settings, http=runtime().http(settings))
        except UnknownAccount as exc:
            return await _poison(record, str(exc))
        except Transient as exc:
            receives = int(record.attributes.approximate_receive_count or 1)
            delay = backoff_seconds(receives, settings.collect_retry_base_seconds)
            await asyncio.to_thread(_set_visibility, record, delay)
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
            await asyncio.to_thread(defer, request.account_id, outcome.retry_at)
            return "deferred"
        seconds = await asyncio.to_thread(
            delay_until, record.event_source_arn, record.receipt_handle, outcome.retry_at
        )
        raise RetryLater(f"rate limited; visible again in {seconds}s")
    if outcome.outcome is not Outcome.COLLECTED:
        metrics.add_metric(name=f"Outcome_{outcome.outcome.value}", unit="Count", value=1)
    return outcome.outcome.value


async def _poison(record: SQSRecord, reason: str) -> str:
    await asyncio.to_thread(dead_letter, record.event_source_arn, record.body, reason)
    metrics.add_metric(name="PoisonMessages", unit="Count", value=1)
    return "dead-lettered"


def _set_visibility(record: SQSRecord, seconds: int) -> None:
    from socialmetrics.aws import client

    try:
        client("sqs").change_message_visibility(
            QueueUrl=url_for_arn(record.event_source_arn),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds,
        )
    except Exception:  # the queue's own visibility timeout applies instead
        logger.warning("could not set retry backoff")
