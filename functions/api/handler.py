"""Lambda entry point: the FastAPI app behind API Gateway (HTTP API v2) through Mangum.

The app is built once per container, at import (Mangum needs it, and building it validates
the settings, so a misconfigured function fails its cold start). Clients are not: the
database engine is created by the first unit of work (:func:`~socialmetrics.db.engine.get_engine`)
and the KMS client by the first token it wraps or unwraps
(:mod:`socialmetrics.security.envelope`), so the import pays for neither. Under Lambda
SnapStart the before-snapshot hook (:mod:`socialmetrics.snapstart`) creates them ahead of
the snapshot and the after-restore hook re-opens their connections. Each invocation logs with
the Lambda context and the API Gateway request id as correlation id.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from functions.api.app import create_app
from socialmetrics import snapstart
from socialmetrics.logging import logger
from socialmetrics.observability import capture_lambda_handler

app = create_app()
asgi = Mangum(app, lifespan="off")
snapstart.register(database=True, aws=("kms", "secretsmanager"))


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = asgi(event, context)  # type: ignore[arg-type]
    return response
