"""Request-scoped dependencies: the acting user (JWT), admin guard, request id, client IP,
and the helpers every router shares (both slash forms of a path, problem responses)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from functions.api.schemas import Problem
from socialmetrics.compliance.audit import Actor
from socialmetrics.db.engine import unit_of_work
from socialmetrics.errors import Forbidden, Unauthorized
from socialmetrics.identity.service import authenticate
from socialmetrics.security.access_tokens import InvalidAccessToken, verify

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="The access token from `POST /auth/login`.",
)


def request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return str(value)[:128] if value else None


def client_ip(request: Request) -> str | None:
    """The caller's IP as API Gateway saw it (never a client-supplied header)."""
    event = request.scope.get("aws.event") or {}
    source = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")
    if source:
        return str(source)[:64]
    return request.client.host[:64] if request.client else None


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer access token is required.")
    try:
        claims = verify(credentials.credentials)
    except InvalidAccessToken:
        raise Unauthorized("The access token is not valid.") from None
    with unit_of_work() as session:
        return authenticate(session, claims, request_id(request), client_ip(request))


def admin_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_admin:
        raise Forbidden("This operation needs the admin role.")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
AdminActor = Annotated[Actor, Depends(admin_actor)]

MAX_ID = 2**63 - 1
MAX_PLATFORM_ID = 2**31 - 1


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The request could not be parsed (e.g. a body that is not UTF-8 JSON)",
        401: "Missing, expired or invalid access token",
        403: "The signed-in role may not do this",
        404: "No such resource (or not yours)",
        409: "Conflicts with existing data",
        413: "Request body too large",
        422: "The request is not valid",
        429: "Too many requests; see Retry-After",
        503: "A dependency (database, KMS) is unavailable",
    }
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": descriptions[status] + " (RFC 9457 problem+json)",
            "content": {"application/problem+json": {"schema": schema}},
        }
        for status in sorted({*statuses, 400, 422, 503})
    }


F = TypeVar("F", bound=Callable[..., Any])


def route(router: APIRouter, method: str, path: str, **kwargs: Any) -> Callable[[F], F]:
    """Register ``path`` and its other slash form (the app does not redirect slashes)."""
    alternate = path.rstrip("/") if path.endswith("/") else path + "/"

    def decorator(function: F) -> F:
        router.add_api_route(path, function, methods=[method], **kwargs)
        router.add_api_route(
            alternate,
            function,
            methods=[method],
            include_in_schema=False,
            **{k: v for k, v in kwargs.items() if k != "operation_id"},
        )
        return function

    return decorator
