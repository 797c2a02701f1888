"""RFC 9457 problem+json for every error the API can return (never a stack trace)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from socialmetrics.aws import unreachable
from socialmetrics.db import faults
from socialmetrics.errors import (
    BadRequest,
    DependencyUnavailable,
    DomainError,
    ServiceUnavailable,
    Throttled,
)
from socialmetrics.logging import logger
from socialmetrics.secrets import MissingSecret
from socialmetrics.security.envelope import EnvelopeError

PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_uri: str = "about:blank",
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_uri,
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", ""))}
        for err in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = (
            {"Retry-After": str(exc.retry_after)}
            if isinstance(exc, Throttled | ServiceUnavailable)
            else None
        )
        if exc.status == 401:
            headers = {"WWW-Authenticate": 'Bearer realm="socialmetrics"'}
        return problem(
            exc.status,
            exc.detail,
            title=exc.title,
            type_uri=exc.type_uri,
            request=request,
            headers=headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(
            422, "The request is not valid.", request=request, errors=_validation_errors(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail),
            type_uri=BadRequest().type_uri if exc.status_code == 400 else "about:blank",
            request=request,
            headers=dict(exc.headers or {}) or None,
        )

    def _dependency(request: Request, detail: str) -> JSONResponse:
        """A dependency out of its time budget (or unreachable): a fast, retriable 503."""
        error = DependencyUnavailable(detail)
        return problem(
            error.status,
            error.detail,
            title=error.title,
            type_uri=error.type_uri,
            request=request,
            headers={"Retry-After": str(error.retry_after)},
        )

    @app.exception_handler(EnvelopeError)
    async def _keys(request: Request, exc: EnvelopeError) -> JSONResponse:
        logger.warning("key service failure", extra={"error": str(exc)})
        return _dependency(request, "The key service is unavailable; try again shortly.")

    @app.exception_handler(MissingSecret)
    @app.exception_handler(BotoCoreError)
    @app.exception_handler(ClientError)
    async def _configuration(request: Request, exc: Exception) -> JSONResponse:
        if unreachable(exc):
            logger.warning("AWS dependency unreachable", extra={"error": type(exc).__name__})
            return _dependency(request, "An AWS service did not answer in time; try again shortly.")
        logger.error("dependency or configuration failure", extra={"error": type(exc).__name__})
        return problem(
            503,
            "A required service is unavailable; try again shortly.",
            request=request,
            headers={"Retry-After": str(ServiceUnavailable.retry_after)},
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # 503 only when the database is unreachable, timed out or busy (db/faults.py); any
        # other database error is a defect (bad input must have been refused before SQL).
        error = type(getattr(exc, "orig", exc)).__name__
        if not faults.unavailable(exc):
            logger.error(
                "database error",
                extra={"error": error, "sqlstate": faults.sqlstate(exc)},
                exc_info=exc,
            )
            return problem(500, "An unexpected error occurred.", request=request)
        logger.warning(
            "database unavailable", extra={"error": error, "sqlstate": faults.sqlstate(exc)}
        )
        return problem(
            503,
            "The database is unavailable; try again shortly.",
            request=request,
            headers={"Retry-After": str(ServiceUnavailable.retry_after)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return problem(500, "An unexpected error occurred.", request=request)
