"""What every sandbox platform shares: the guard (auth, quotas, faults), paging cursors,
time formats and the :class:`Dialect` each platform module supplies for its envelopes.

A platform module (``x.py``, ``graph.py``, ...) holds its handlers, its dialect and a
``routes()`` function; ``app.py`` only composes them over one :class:`Core`.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from local.sandbox import responses as r
from local.sandbox.state import Account, Fault, SandboxState, value

Handler = Callable[[Request, Account], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

DAY = 86_400


class Dialect(Protocol):
    """How one host answers what the guard decides: bad tokens, faults, quotas."""

    def auth_error(self, dead: bool) -> Response:
        """A missing, unknown or revoked token (``dead``: revoked)."""
        ...

    def fault(self, kind: str) -> Response:
        """An injected ``not_found``, ``forbidden`` or ``server_error``."""
        ...

    def usage_headers(
        self, account: Account, limit: int, remaining: int, reset: float
    ) -> dict[str, str]:
        """The rate-limit headers on every answer."""
        ...

    def throttled(self, account: Account, headers: dict[str, str]) -> Response:
        """The answer once the quota is spent."""
        ...


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def offset_of(cursor: str | None) -> int:
    """The offset a :func:`cursor` encodes (0 for none, -1 for garbage)."""
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return -1


def graph_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def epoch(raw: str | None) -> int | None:
    """Unix seconds from digits or an ISO 8601 timestamp (None when neither)."""
    if raw is None:
        return None
    if raw.isdigit():
        return int(raw)
    try:
        return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def date(raw: str | None) -> int | None:
    """``YYYY-MM-DD`` → that UTC day's epoch seconds."""
    try:
        return int(datetime.strptime(raw or "", "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


async def form(request: Request) -> dict[str, str]:
    """A form-encoded body (without python-multipart: these endpoints take urlencoded only)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


class Core:
    """The state plus the guard every platform call passes."""

    def __init__(self, state: SandboxState, dialects: Mapping[str, Dialect]) -> None:
        self.state = state
        self.dialects = dict(dialects)

    def n(self, account: Account, *parts: object, low: int = 0, high: int = 1000) -> int:
        """A deterministic number for ``parts`` (a counter set on the account wins)."""
        if parts and parts[0] in account.counters:
            return int(account.counters[str(parts[0])])
        return value(self.state.seed, account.platform, account.id, *parts, low=low, high=high)

    def guarded(
        self,
        platform: str | tuple[str, ...],
        group: str,
        handler: Handler,
        dialect: str | None = None,
    ) -> Endpoint:
        """An endpoint that runs ``handler`` once :meth:`guard` lets the request through."""

        async def endpoint(request: Request) -> Response:
            return await self.guard(request, platform, group, handler, dialect)

        return endpoint

    @staticmethod
    def _token(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        if "access-token" in request.headers:  # TikTok API for Business
            return request.headers["access-token"].strip()
        return request.query_params.get("access_token")

    async def guard(
        self,
        request: Request,
        platform: str | tuple[str, ...],
        group: str,
        handler: Handler,
        dialect: str | None = None,
    ) -> Response:
        """``dialect`` names the envelope when a host differs from its platform's default
        (TikTok API for Business)."""
        platforms = platform if isinstance(platform, tuple) else (platform,)
        account = self.state.by_access.get(self._token(request) or "")
        shown = platforms[0] if account is None else account.platform
        if account is None or account.platform not in platforms or account.dead:
            dead = account is not None and account.dead
            return self.dialects[dialect or shown].auth_error(dead)
        speaks = self.dialects[dialect or account.platform]
        self.state.requests.append(
            {
                "platform": account.platform,
                "account": account.id,
                "path": request.url.path,
                "query": str(request.url.query),
            }
        )
        if account.latency_ms:
            await asyncio.sleep(account.latency_ms / 1000)
        fault = self.state.fault_for(account, request.url.path)
        if fault is not None:
            answer = await self._fault(fault, account, speaks)
            if answer is not None:
                return answer
        limit, remaining, reset = self.state.charge(account, group)
        headers = speaks.usage_headers(account, limit, remaining, reset)
        if (
            remaining <= 0
            and self.state.windows[(account.platform, account.id, group)].count > limit
        ):
            return speaks.throttled(account, headers)
        try:
            response = await handler(request, account)
        except r.Reply as reply:
            response = reply.response
        response.headers.update(headers)
        return response

    async def _fault(self, fault: Fault, account: Account, speaks: Dialect) -> Response | None:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "malformed":
            return Response(r.MALFORMED, status_code=200, media_type="application/json")
        if fault.kind == "token_dead":
            account.dead = True
            return speaks.auth_error(dead=True)
        if fault.kind == "token_expired":  # refreshable: the refresh token still works
            return speaks.auth_error(dead=False)
        if fault.kind == "throttle":
            limit, _, reset = self.state.charge(account, "fault")
            return speaks.throttled(account, speaks.usage_headers(account, limit, 0, reset))
        if fault.kind in ("not_found", "forbidden"):
            return speaks.fault(fault.kind)
        return speaks.fault("server_error")
