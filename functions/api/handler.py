"""Lambda entry point: the FastAPI app behind API Gateway (HTTP API v2) through Mangum.

Everything expensive is built once per container, at import: the app, the database engine
(its pool connects lazily and is reused by warm invocations) and, when tokens are wrapped by
KMS, the KMS client. Each invocation logs with the Lambda context and the API Gateway request
id as correlation id.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from functions.api.app import create_app
from socialmetrics.aws import client
from socialmetrics.config import get_settings
from socialmetrics.db.engine import get_engine
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler

app = create_app()
engine = get_engine()
kms = client("kms") if get_settings().token_key_provider == "kms" else None  # noqa: S105
asgi = Mangum(app, lifespan="off")


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = asgi(event, context)  # type: ignore[arg-type]
    return response
