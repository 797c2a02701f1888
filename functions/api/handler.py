"""Lambda entry point: the FastAPI app behind API Gateway (HTTP API v2) through Mangum."""

from __future__ import annotations

from mangum import Mangum

from functions.api.app import create_app

app = create_app()
handler = Mangum(app, lifespan="off")
