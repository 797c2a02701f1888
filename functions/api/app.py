"""The FastAPI application: routers, problem+json errors, caching, and the request envelope
(body cap, request ids, 405s: ``middleware.py``)."""

from __future__ import annotations

from fastapi import FastAPI

from functions.api import caching, docs, health, openapi, problems
from functions.api.middleware import RequestContext
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
    app.add_middleware(caching.ConditionalGet)
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
    app.add_middleware(RequestContext, routes=api_routes, max_body=settings.api_max_body_bytes)
    return app
