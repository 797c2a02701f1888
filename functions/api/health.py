"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from functions.api.deps import problem_responses, route
from functions.api.schemas import HealthOut
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
    operation_id="getHealth",
    summary="Liveness, with a database round trip",
    response_model=HealthOut,
    response_model_exclude_none=True,
    responses=problem_responses(validated=False),
)
async def health() -> HealthOut:
    await run_in_threadpool(_check_database)
    return HealthOut(status="ok", database="reachable")


@route(
    router,
    "GET",
    "/health/ready",
    operation_id="getReadiness",
    summary="Readiness: database and AWS endpoint",
    response_model=HealthOut,
    responses=problem_responses(validated=False),
)
async def ready() -> HealthOut:
    await run_in_threadpool(_check_database)
    await run_in_threadpool(_check_aws)
    return HealthOut(status="ready", database="reachable", aws="reachable")
