"""The request envelope as plain ASGI middleware: request id and correlation id, the body cap,
405 with the full ``Allow`` list, and the ``x-request-id`` response header.

Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs
every request through a task group and memory streams, which cost more than the rest of a
keyset page read (profiled for issue 16, "Reads").
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.api import methods, problems
from socialmetrics.logging import bind_correlation_id

_WITH_BODY = ("POST", "PUT", "PATCH")


class RequestContext:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], max_body: int) -> None:
        self.app = app
        self.max_body = max_body

        @lru_cache(maxsize=4096)
        def not_allowed(method: str, path: str) -> str | None:
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            return methods.not_allowed(routes, scope)

        self.not_allowed = not_allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        event = scope.get("aws.event") or {}
        request_id = (event.get("requestContext") or {}).get("requestId") or headers.get(
            "x-request-id"
        )
        request_id = request_id or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        bind_correlation_id(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        request = Request(scope)
        too_large = f"Request bodies are limited to {self.max_body} bytes."
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await problems.problem(413, too_large, request=request)(scope, receive, send_with_id)
            return
        if declared is None and scope["method"] in _WITH_BODY:
            body, receive = await _buffered(receive)
            if len(body) > self.max_body:
                response = problems.problem(413, too_large, request=request)
                await response(scope, receive, send_with_id)
                return
        allow = self.not_allowed(scope["method"], scope["path"])
        if allow is not None:
            response = problems.problem(
                405,
                f"{scope['method']} is not allowed here; use {allow}.",
                request=request,
                headers={"Allow": allow},
            )
            await response(scope, receive, send_with_id)
            return
        await self.app(scope, receive, send_with_id)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: let the app see an empty body
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
