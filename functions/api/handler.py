"""Lambda entry point: the FastAPI app behind API Gateway (HTTP API v2) through Mangum.

Everything expensive is built once per container, at import: the app, the database engine
(its pool connects lazily and is reused by warm invocations) and, when tokens are wrapped by
KMS, the KMS client.
"""

from __future__ import annotations

from mangum import Mangum

from functions.api.app import create_app
from socialmetrics.aws import client
from socialmetrics.config import get_settings
from socialmetrics.db.engine import get_engine

app = create_app()
engine = get_engine()
kms = client("kms") if get_settings().token_key_provider == "kms" else None  # noqa: S105
handler = Mangum(app, lifespan="off")
