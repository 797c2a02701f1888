"""Collector Lambda: one SQS message = one account collected (partial batch failures).

Thin: the batch (records collected concurrently on the container's loop and pooled client,
each outcome mapped to the queue on its own) lives in :mod:`socialmetrics.collection.batch`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics.collection.batch import process_batch
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler, metrics


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context)
