"""A platform that never answered and then ran out of a request's budget is not called again
in the same operation; once it has answered, a slow endpoint fails only its own request."""

from __future__ import annotations

from typing import Any

import httpx

from socialmetrics.platforms import Platform
from socialmetrics.providers.base import BaseClient, PlatformCalls
from socialmetrics.providers.errors import ProviderError, Transient
from tests.unit.providers.samples import run, settings


class _Client(BaseClient):
    platform = Platform.X

    def _error(self, response: httpx.Response, payload: Any, now: object) -> ProviderError | None:
        return None


def _slow_paths(*slow: str) -> tuple[httpx.MockTransport, list[str]]:
    """A transport whose ``slow`` paths time out; every other path answers ``{}``."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path in slow:
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json={})

    return httpx.MockTransport(handler), seen


async def _get_all(session: PlatformCalls, *paths: str) -> list[str]:
    outcomes = []
    for path in paths:
        try:
            await session.request("GET", f"https://api.x.test{path}")
            outcomes.append("ok")
        except Transient as exc:
            outcomes.append(str(exc.code))
    return outcomes


def test_a_platform_that_never_answered_is_not_called_after_its_first_budget() -> None:
    transport, seen = _slow_paths("/a", "/b")
    client = _Client(settings(), transport)

    async def scenario() -> list[str]:
        async with client.calls() as session:
            return await _get_all(session, "/a", "/b", "/c")

    assert run(scenario()) == ["timeout", "unreachable", "unreachable"]
    assert seen == ["/a", "/a"]  # provider_max_attempts = 2, then nothing more


def test_after_an_answer_a_slow_endpoint_fails_only_its_own_request() -> None:
    transport, seen = _slow_paths("/slow")
    client = _Client(settings(), transport)

    async def scenario() -> list[str]:
        async with client.calls() as session:
            return await _get_all(session, "/ok", "/slow", "/ok2")

    assert run(scenario()) == ["ok", "timeout", "ok"]
    assert seen == ["/ok", "/slow", "/slow", "/ok2"]
