"""HTTP caching for JSON reads: a strong ETag on every successful GET, 304 on a match.

Responses carry personal data behind a bearer token, so they are ``private`` and must be
revalidated (``no-cache``) — a client or proxy may keep them, never serve them unchecked. A
repeated poll of an unchanged page then costs a 304 with no body instead of the full page.
CSV exports stream and are left alone.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_TYPES = ("application/json",)


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


class ConditionalGet:
    """Plain ASGI middleware (no ``BaseHTTPMiddleware`` task group): a GET's 200 JSON body is
    held back, hashed and sent with its ETag, or replaced by a 304."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold_json(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message["headers"]).get("content-type", "")
                if message["status"] == 200 and content_type.startswith(JSON_TYPES):
                    start = message
                    return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_tagged(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, hold_json)


async def _send_tagged(scope: Scope, start: Message, body: bytes, send: Send) -> None:
    etag = etag_for(body)
    headers = MutableHeaders(raw=list(start["headers"]))
    del headers["content-length"]
    headers.update({"etag": etag, "cache-control": "private, no-cache", "vary": "Authorization"})
    if matches(Headers(scope=scope).get("if-none-match"), etag):
        del headers["content-type"]
        await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    headers["content-length"] = str(len(body))
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})
