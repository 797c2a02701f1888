"""Lambda entry point for the ``events`` queue: apply each verified webhook delivery.

One SQS record is one unit of work (ledger + effects commit together). A record that fails —
poison (bad envelope, bad JSON, unknown provider) or a database outage — is reported in
``batchItemFailures`` so SQS retries it (and moves it to the DLQ after maxReceiveCount) while
the rest of the batch is acknowledged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics import snapstart
from socialmetrics.budgets import ensure_time_left, record_seconds
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.logging import bind_correlation_id, logger
from socialmetrics.observability import capture_lambda_handler
from socialmetrics.webhooks.apply import ingest_delivery
from socialmetrics.webhooks.delivery import Delivery, PoisonMessage

snapstart.register(database=True)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    bind_correlation_id(record.message_id)
    # Not enough time left for one more delivery: back to the queue now, not at the timeout.
    ensure_time_left(lambda_context, record_seconds(get_settings(), database=True))
    try:
        delivery = Delivery.from_message(record.body)
        with unit_of_work() as session:
            ingest_delivery(session, delivery)
    except PoisonMessage as exc:
        logger.error(
            "poison webhook message", extra={"message_id": record.message_id, "why": str(exc)}
        )
        raise
    except Exception:
        logger.exception("webhook message not applied", extra={"message_id": record.message_id})
        raise


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
