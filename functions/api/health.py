"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from functions.api.deps import route
from socialmetrics.db.engine import ping
from socialmetrics.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


def _check_database() -> None:
    try:
        ping()
    except Exception as exc:
        raise ServiceUnavailable(
            "The database is unreachable.", checks={"database": "down"}
        ) from exc


def _check_aws() -> None:
    from socialmetrics.aws import client
    from socialmetrics.config import get_settings

    try:
        client("kms").describe_key(KeyId=get_settings().kms_key_alias)
    except Exception as exc:
        raise ServiceUnavailable(
            "The AWS endpoint is unreachable.", checks={"database": "up", "aws": "down"}
        ) from exc


@route(
    router,
    "GET",
    "/health",
    summary="Liveness, with a database round trip",
    responses={503: {"description": "Database unreachable (problem+json)"}},
)
async def health() -> dict[str, Any]:
    await run_in_threadpool(_check_database)
    return {"status": "ok", "database": "reachable"}


@route(
    router,
    "GET",
    "/health/ready",
    summary="Readiness: database and AWS endpoint",
    responses={503: {"description": "A dependency is unreachable (problem+json)"}},
)
async def ready() -> dict[str, Any]:
    await run_in_threadpool(_check_database)
    await run_in_threadpool(_check_aws)
    return {"status": "ready", "database": "reachable", "aws": "reachable"}
