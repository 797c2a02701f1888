"""A local API Gateway (HTTP API, payload format 2.0) in front of the real handlers.

For every request the ASGI app picks the route exactly as the stack does (``GET /webhooks/meta``
beats ``ANY /{proxy+}``; see :func:`infra.definition.match_route`), builds the version 2.0
event API Gateway would send, calls the route's handler (loaded by its handler string, as
Lambda loads it) with a Lambda context, and turns the handler's response back into HTTP.
Unmatched routes answer 404 and handler crashes 500, with API Gateway's own bodies.
``GET /dashboard/…`` serves the dashboard's static files (CloudFront's job on AWS).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from infra import definition
from local.runtime import dashboard, invoke
from socialmetrics.logging import logger

BodyEncoding = Literal["auto", "always"]
RouteTable = Sequence[tuple[definition.Route, definition.Function]]
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/javascript",
    "application/problem+json",
    "application/graphql",
)


def _is_text(content_type: str) -> bool:
    content_type = content_type.split(";")[0].strip().lower()
    if not content_type:
        return True
    return content_type.startswith(_TEXT_TYPES) or content_type.endswith(("+json", "+xml"))


def encode_body(body: bytes, content_type: str, mode: BodyEncoding) -> tuple[str | None, bool]:
    """``(body, isBase64Encoded)`` as API Gateway passes it: text bodies as they are, binary
    (or, with ``mode="always"``, every) body base64-encoded."""
    if not body:
        return None, False
    if mode == "auto" and _is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def build_event(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    route: definition.Route,
    source_ip: str = "127.0.0.1",
    body_encoding: BodyEncoding = "auto",
    request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for one request."""
    now = now or datetime.now(UTC)
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    query: dict[str, str] = {}
    if query_string:
        from urllib.parse import parse_qsl

        for name, value in parse_qsl(query_string, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
    route_key = definition.route_key(route)
    request_id = request_id or base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
    host = joined.get("host", "localhost")
    encoded, is_base64 = encode_body(body, joined.get("content-type", ""), body_encoding)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query_string,
        "headers": joined,
        "requestContext": {
            "accountId": invoke.LOCAL_ACCOUNT,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    parameters = definition.path_parameters(route, path)
    if parameters:
        event["pathParameters"] = parameters
    if encoded is not None:
        event["body"] = encoded
    return event


def to_response(result: Any) -> Response:
    """Turn a handler's return value into HTTP as API Gateway (format 2.0) does: a dict with
    ``statusCode`` is taken as the response; anything else is JSON with status 200."""
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return Response(text, status_code=200, media_type="application/json")
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    response = Response(raw, status_code=int(result["statusCode"]))
    del response.headers["content-length"]
    for name, value in (result.get("headers") or {}).items():
        response.headers.append(name, str(value))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(name, str(value))
    for cookie in result.get("cookies") or ():
        response.headers.append("set-cookie", cookie)
    response.headers["content-length"] = str(len(raw))
    return response


def _problem(status: int, message: str) -> Response:
    # API Gateway's own error bodies (not the application's problem+json).
    return Response(
        json.dumps({"message": message}), status_code=status, media_type="application/json"
    )


class Gateway:
    """ASGI app: ``uvicorn.run(Gateway())`` serves every route of the stack on one port."""

    def __init__(
        self,
        routes: RouteTable | None = None,
        *,
        body_encoding: BodyEncoding = "auto",
        on_invoke: Callable[[dict[str, Any], Any], None] | None = None,
    ) -> None:
        self.routes = tuple(routes) if routes is not None else definition.routes()
        self.body_encoding = body_encoding
        self.on_invoke = on_invoke

    def match(self, method: str, path: str) -> tuple[definition.Route, definition.Function] | None:
        return definition.match_route(method, path, self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":  # websockets are not routed by this stack
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        if dashboard.handles(request.method, path):
            return dashboard.serve(path)
        matched = self.match(request.method, path)
        if matched is None:
            return _problem(404, "Not Found")
        route, function = matched
        body = await request.body()
        event = build_event(
            method=request.method,
            path=path,
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body=body,
            route=route,
            source_ip=request.client.host if request.client else "127.0.0.1",
            body_encoding=self.body_encoding,
        )
        context = invoke.context_for(function, event["requestContext"]["requestId"])
        started = time.perf_counter()
        try:
            result = await anyio.to_thread.run_sync(
                lambda: invoke.call(function, event, context=context)
            )
        except Exception:
            logger.exception(
                "handler failed", extra={"function": function.key, "route": event["routeKey"]}
            )
            return _problem(500, "Internal Server Error")
        if self.on_invoke is not None:
            self.on_invoke(event, result)
        try:
            response = to_response(result)
        except (ValueError, TypeError, KeyError):
            logger.exception("malformed handler response", extra={"function": function.key})
            return _problem(500, "Internal Server Error")
        response.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        logger.debug(
            "gateway",
            extra={
                "route": event["routeKey"],
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
