"""HTTP caching for JSON reads: a strong ETag on every successful GET, 304 on a match.

Responses carry personal data behind a bearer token, so they are ``private`` and must be
revalidated (``no-cache``) — a client or proxy may keep them, never serve them unchecked. A
repeated poll of an unchanged page then costs a 304 with no body instead of the full page.
CSV exports stream and are left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

JSON_TYPES = ("application/json",)


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


async def conditional_get(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    content_type = response.headers.get("content-type", "")
    if (
        request.method != "GET"
        or response.status_code != 200
        or not content_type.startswith(JSON_TYPES)
    ):
        return response
    body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    etag = etag_for(body)
    headers = dict(response.headers)
    headers.pop("content-length", None)
    headers.update({"etag": etag, "cache-control": "private, no-cache", "vary": "Authorization"})
    if matches(request.headers.get("if-none-match"), etag):
        headers.pop("content-type", None)
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=200, headers=headers, media_type=content_type)
