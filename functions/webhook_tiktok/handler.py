"""Lambda entry point for ``/webhooks/tiktok``: POST signed deliveries → verify
``TikTok-Signature`` (and its timestamp) → events queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from socialmetrics import snapstart
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler
from socialmetrics.webhooks.receive import handle

snapstart.register(aws=("sqs", "secretsmanager"))


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, "tiktok")
