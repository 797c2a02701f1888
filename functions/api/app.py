"""The FastAPI application: routers, problem+json errors, body cap, request ids."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from functions.api import caching, docs, health, methods, openapi, problems
from functions.api.routes import (
    account_health,
    accounts,
    auth,
    consent,
    exports,
    metrics,
    platforms,
    rejections,
    tokens,
    usage,
    users,
    webhook_endpoints,
)
from socialmetrics import __version__
from socialmetrics.config import get_settings
from socialmetrics.logging import bind_correlation_id


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Social Media Metrics API",
        version=__version__,
        description=(
            "Collects metrics from X, Facebook, Instagram, WhatsApp Business and TikTok and "
            "serves their full history. Authenticate with `POST /auth/login` and send the JWT "
            "as `Authorization: Bearer <token>`. Errors are RFC 9457 problem+json."
        ),
        redirect_slashes=False,
        docs_url=None,  # served by functions.api.docs from the project's own assets
        redoc_url=None,
    )
    problems.install(app)
    openapi.install(app)
    app.middleware("http")(caching.conditional_get)
    max_body = settings.api_max_body_bytes

    @app.middleware("http")
    async def _request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        scope_event = request.scope.get("aws.event") or {}
        request_id = (scope_event.get("requestContext") or {}).get("requestId", request_id)
        request.state.request_id = request_id
        bind_correlation_id(request_id)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body):
            return problems.problem(
                413, f"Request bodies are limited to {max_body} bytes.", request=request
            )
        if declared is None and request.method in ("POST", "PUT", "PATCH"):
            body = await request.body()
            if len(body) > max_body:
                return problems.problem(
                    413, f"Request bodies are limited to {max_body} bytes.", request=request
                )
        allow = methods.not_allowed(api_routes, request.scope)
        response: Response
        if allow is not None:
            response = problems.problem(
                405,
                f"{request.method} is not allowed here; use {allow}.",
                request=request,
                headers={"Allow": allow},
            )
        else:
            response = await call_next(request)
        response.headers["x-request-id"] = request_id
        return response

    routers = (
        health.router,
        auth.router,
        tokens.router,  # before users: /users/register-token/ is not a user id
        users.router,
        platforms.router,
        metrics.router,
        exports.router,
        consent.router,
        account_health.router,  # before accounts: /accounts/health is no id
        accounts.router,
        webhook_endpoints.router,
        usage.router,
        rejections.router,
    )
    for router in routers:
        app.include_router(router)
    app.include_router(docs.router(app.title))
    api_routes = [r for router in routers for r in router.routes]  # no prefixes: paths as-is
    return app
