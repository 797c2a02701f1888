"""Request-scoped dependencies: the request's database session (one transaction, one
connection, shared by authentication and the route), the acting user (JWT), admin guard,
request id, client IP, and the helpers every router shares (both slash forms of a path with
the one-retry route class, page size and cursor headers, problem responses)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import contextmanager_in_threadpool, run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from socialmetrics.compliance.audit import Actor
from socialmetrics.config import get_settings
from socialmetrics.db.engine import DroppedConnection, unit_of_work
from socialmetrics.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)
from socialmetrics.identity.service import authenticate
from socialmetrics.security.access_tokens import InvalidAccessToken, verify

logger = logging.getLogger(__name__)

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


async def blocking(request: Request, function: Callable[..., T], *args: Any) -> T:
    """Run blocking database work: inline under Mangum, in the thread pool under a server.

    A Lambda container serves one request at a time, so a worker thread buys it nothing and
    costs a thread start per invocation (anyio's workers end with Mangum's per-invocation
    task). A server (uvicorn) interleaves requests: there the wait runs in a worker thread."""
    if "aws.event" in request.scope:
        return function(*args)
    return await run_in_threadpool(function, *args)


async def database_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: commits when the route returns, rolls back if it raises.

    Scoped to the route function (``scope="function"``), so the commit happens before the
    response is sent (a failed commit is answered as an error, never after a 200) and a
    streamed body never holds this transaction open (CSV pages open their own, short ones).
    FastAPI caches it per request: authentication and the route share the session. The
    commit runs as :func:`blocking` says (creating the session does no I/O)."""
    if "aws.event" in request.scope:
        with unit_of_work() as session:
            yield session
        return
    async with contextmanager_in_threadpool(unit_of_work()) as session:
        yield session


DbSession = Annotated[Session, Depends(database_session, scope="function")]


async def current_actor(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("A bearer access token is required.")
    try:
        claims = verify(credentials.credentials)
    except InvalidAccessToken:
        raise Unauthorized("The access token is not valid.") from None
    return await blocking(
        request, authenticate, session, claims, request_id(request), client_ip(request)
    )


async def admin_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_admin:
        raise Forbidden("This operation needs the admin role.")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
AdminActor = Annotated[Actor, Depends(admin_actor)]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
MAX_ID = 2**63 - 1
MAX_PLATFORM_ID = 2**31 - 1


# Per status: what it means, and an example of the problem the app then sends (the domain
# error's own type URI and title, so the document and the responses cannot disagree).
PROBLEMS: dict[int, tuple[str, DomainError]] = {
    400: (
        "The request could not be parsed (e.g. a body that is not UTF-8 JSON)",
        BadRequest("There was an error parsing the body"),
    ),
    401: (
        "Missing, expired or invalid access token",
        Unauthorized("The access token is not valid."),
    ),
    403: ("The signed-in role may not do this", Forbidden("This operation needs the admin role.")),
    404: ("No such resource (or not yours)", NotFound("User not found.")),
    409: ("Conflicts with existing data", Conflict("A user with this email exists.")),
    413: ("Request body too large", PayloadTooLarge("Request bodies are limited to 65536 bytes.")),
    422: ("The request is not valid", InvalidInput("limit must be at most 1000.")),
    429: (
        "Too many requests; see Retry-After",
        Throttled("Too many failed logins; try again later.", retry_after=60),
    ),
    503: (
        "A dependency (database, KMS, queue) is unavailable",
        ServiceUnavailable("The database is unavailable; try again shortly."),
    ),
}
# Response headers a status carries, by name in ``components/headers`` (see api/openapi.py).
# (503: sent when a dependency is out of its time budget or AWS fails; see api/problems.py.)
PROBLEM_HEADERS = {401: ("WWW-Authenticate",), 429: ("Retry-After",), 503: ("Retry-After",)}
PAGE_HEADERS = ("X-Next-Cursor", "Link")
# Every keyset-paginated list takes these two and answers PAGE_HEADERS (socialmetrics.cursors).
CursorQ = Annotated[
    str | None,
    Query(min_length=1, max_length=512, description="The previous page's `X-Next-Cursor`"),
]
LimitQ = Annotated[int | None, Query(ge=1, description="Page size (at most API_PAGE_MAX)")]


def page_limit(limit: int | None, default: int) -> int:
    """A list route's page size: ``default`` when absent, 422 above ``API_PAGE_MAX``."""
    cap = get_settings().api_page_max
    if limit is not None and limit > cap:
        raise InvalidInput(
            f"limit must be at most {cap}.",
            errors=[{"loc": ["query", "limit"], "msg": f"at most {cap}"}],
        )
    return limit or default


def next_page_headers(request: Request, next_cursor: str | None) -> dict[str, str]:
    """``X-Next-Cursor`` and ``Link: rel="next"`` for a keyset page (none on the last page)."""
    if next_cursor is None:
        return {}
    url = request.url.include_query_params(cursor=next_cursor)
    return {"X-Next-Cursor": next_cursor, "Link": f'<{url.path}?{url.query}>; rel="next"'}


def header_refs(*names: str) -> dict[str, dict[str, str]]:
    """``{"Link": {"$ref": "#/components/headers/Link"}, …}`` for a response's ``headers``."""
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def problem_responses(*statuses: int, validated: bool = True) -> dict[int | str, dict[str, Any]]:
    """The error responses of an operation, each referencing ``components/schemas/Problem``.

    503 is always possible; 400 and 422 too when the operation takes any input (``validated``)."""
    always = {400, 422, 503} if validated else {503}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, *always}):
        description, error = PROBLEMS[status]
        example = {
            "type": error.type_uri,
            "title": error.title,
            "status": error.status,
            "detail": error.detail,
            "request_id": "Lk3vQhTRoAMEbXw=",
        }
        responses[status] = {
            "description": description + " (RFC 9457 problem+json)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}, "example": example}},
        }
        if status in PROBLEM_HEADERS:
            responses[status]["headers"] = header_refs(*PROBLEM_HEADERS[status])
    return responses


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class OneRetryRoute(APIRoute):
    """A route whose unit of work runs once more, on a fresh connection, when the connection
    is found dead at its first statement (:class:`~socialmetrics.db.engine.DroppedConnection`:
    nothing of it reached the database). Each attempt has its own function-scoped exit stack,
    so the failed attempt's session rolls back and closes before the second one starts; the
    request body was read before the first attempt and is reused. Any other error, or a drop
    after a statement completed, is raised as is."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def attempt(request: Request) -> Response:
            # FastAPI keeps function-scoped dependencies (DbSession) on this scope key; the
            # retry test (tests/integration/api/test_request_transaction.py) fails if it moves.
            async with AsyncExitStack() as stack:
                request.scope["fastapi_function_astack"] = stack
                return await handler(request)

        async def with_one_retry(request: Request) -> Response:
            try:
                return await attempt(request)
            except DroppedConnection:
                logger.warning("database connection dropped; retrying the request once")
                return await attempt(request)

        return with_one_retry


def route(
    router: APIRouter, method: str, path: str, *, operation_id: str | None = None, **kwargs: Any
) -> Callable[[F], F]:
    """Register ``path`` and its other slash form (the app does not redirect slashes).

    ``operation_id`` is the operation's stable camelCase name in the OpenAPI document (what
    generated clients call their methods: ``listMetrics``). Every route must give one;
    tests/unit/api/test_openapi.py fails and names any route that does not.
    """
    alternate = path.rstrip("/") if path.endswith("/") else path + "/"

    def decorator(function: F) -> F:
        kwargs.setdefault("route_class_override", OneRetryRoute)
        router.add_api_route(path, function, methods=[method], operation_id=operation_id, **kwargs)
        router.add_api_route(
            alternate, function, methods=[method], include_in_schema=False, **kwargs
        )
        return function

    return decorator
