"""Collector Lambda: one SQS message = one account collected (partial batch failures).

Thin: the batch (records collected concurrently on the container's loop and pooled client,
each outcome mapped to the queue on its own) lives in :mod:`socialmetrics.collection.batch`.
That machinery (SQLAlchemy, the providers, httpx, pydantic-settings) is imported by the first
batch, not by the cold start; under SnapStart, before the snapshot.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics import snapstart
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

BATCH = "socialmetrics.collection.batch"


def _close_platform_client() -> None:
    """After a restore: the pooled platform client's sockets belong to the snapshot."""
    from socialmetrics.providers.runtime import close_runtime

    close_runtime()


snapstart.register(
    database=True,
    aws=("sqs", "kms", "secretsmanager"),
    prime=functools.partial(importlib.import_module, BATCH),
    reopen=(_close_platform_client,),
)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    from socialmetrics.collection.batch import process_batch

    return process_batch(event, context)
