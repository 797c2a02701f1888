"""The access token on every platform request, as an ``httpx.Auth``.

Each platform names where its token goes (``Authorization: Bearer …`` for X, Meta and the
TikTok Display API; ``Access-Token: …`` for the TikTok API for Business): one
:class:`TokenAuth` per collection replaces the headers once built by hand in every request.

Refresh-aware: when the answer says the token is expired or revoked (the platform client's
own error mapping decides) and the collection was given a ``renew`` hook, the hook runs once
(the collector refreshes under the account's row lock; the rotated pair is persisted by the
rotate callback before the new token is used) and the request is sent again with the new
token. A failed renewal raises its own error (``AuthExpired`` → the account needs re-auth); a
second expired answer is returned as it is. Without a hook (tests, the API's connect flow)
nothing is retried.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import httpx

Renew = Callable[[], Awaitable[str | None]]
"""A fresh access token, or ``None`` when there is none to try (the answer then stands)."""


class TokenAuth(httpx.Auth):
    """One collection's access token; renewed at most once after an expired-token answer."""

    def __init__(
        self,
        token: str,
        *,
        expired: Callable[[httpx.Response], bool],
        renew: Renew | None = None,
        header: str = "Authorization",
        scheme: str | None = "Bearer",
    ) -> None:
        self.token = token
        self.tokens = [token]  # every token this auth sent (masked in error messages)
        self.renewed = False
        self._expired = expired
        self._renew = renew
        self._header = header
        self._scheme = scheme

    def _apply(self, request: httpx.Request) -> None:
        value = f"{self._scheme} {self.token}" if self._scheme else self.token
        request.headers[self._header] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Synchronous clients: the token only (renewal needs the event loop)."""
        self._apply(request)
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        self._apply(request)
        response = yield request
        if self._renew is None or self.renewed:
            return
        await response.aread()  # the expiry is often only in the body (Meta #190, TikTok)
        if not self._expired(response):
            return
        self.renewed = True  # once per collection, whatever the outcome
        fresh = await self._renew()
        if fresh is None or fresh == self.token:
            return
        self.token = fresh
        self.tokens.append(fresh)
        self._apply(request)
        yield request
