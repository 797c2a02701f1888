"""The token as an ``httpx.Auth`` (one renewal after an expired-token answer), the
container's runtime (one loop, one pooled client), and the helpers folded into one place
(the per-collection context, Graph's daily-insights walk, TikTok's one refresh)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from socialmetrics.providers.base import PlatformCalls, http_client
from socialmetrics.providers.errors import AuthExpired
from socialmetrics.providers.facebook import FacebookClient
from socialmetrics.providers.runtime import Runtime
from socialmetrics.providers.tiktok import TikTokClient
from socialmetrics.providers.types import Credentials
from socialmetrics.providers.x import XClient
from tests.unit.providers.samples import run, settings

USER = "https://api.x.com/2/users/1"


def _x_answers(seen: list[str], fresh: str = "fresh") -> httpx.MockTransport:
    """X: the user lookup answers 401 unless the token is ``fresh``."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") == f"Bearer {fresh}":
            return httpx.Response(200, json={"data": {"public_metrics": {}}})
        return httpx.Response(401, json={"title": "Unauthorized", "type": "about:blank"})

    return httpx.MockTransport(handler)


def _lookup(client: XClient, token: str = "stale") -> Any:
    async def scenario() -> Any:
        auth = client.token_auth(Credentials(SecretStr(token)))
        async with client.calls(auth=auth) as calls:
            return await calls.request("GET", USER), calls

    return run(scenario())


def test_an_expired_token_is_renewed_once_and_the_request_sent_again() -> None:
    seen: list[str] = []
    client = XClient(settings(), _x_answers(seen))
    renewals: list[int] = []

    async def renew() -> str:
        renewals.append(1)
        return "fresh"

    client.renew = renew
    body, calls = _lookup(client)
    assert body == {"data": {"public_metrics": {}}}
    assert seen == ["Bearer stale", "Bearer fresh"]
    assert renewals == [1]
    assert "fresh" in calls.secrets  # a renewed token is masked in error messages too


def test_a_failed_renewal_surfaces_its_error_and_nothing_is_resent() -> None:
    seen: list[str] = []
    client = XClient(settings(), _x_answers(seen))

    async def renew() -> str:
        raise AuthExpired("refresh token revoked", platform="X")

    client.renew = renew
    with pytest.raises(AuthExpired, match="refresh token revoked"):
        _lookup(client)
    assert seen == ["Bearer stale"]


def test_a_token_still_refused_after_its_renewal_is_not_renewed_again() -> None:
    seen: list[str] = []
    client = XClient(settings(), _x_answers(seen, fresh="never"))

    async def renew() -> str:
        return "also-stale"

    client.renew = renew
    with pytest.raises(AuthExpired):
        _lookup(client)
    assert seen == ["Bearer stale", "Bearer also-stale"]


def test_without_a_renew_hook_an_expired_answer_is_final() -> None:
    seen: list[str] = []
    with pytest.raises(AuthExpired):
        _lookup(XClient(settings(), _x_answers(seen)))
    assert seen == ["Bearer stale"]


def test_the_tiktok_business_api_gets_the_bare_token_in_its_own_header() -> None:
    headers: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers)
        return httpx.Response(200, json={"code": 0, "data": {}})

    business = TikTokClient(settings(), httpx.MockTransport(handler)).business()

    async def scenario() -> None:
        auth = business.token_auth(Credentials(SecretStr("act.token")))
        async with business.calls(auth=auth) as calls:
            await calls.request("GET", "https://business-api.tiktok.com/open_api/v1.3/x/")

    run(scenario())
    assert headers[0]["Access-Token"] == "act.token"
    assert "Authorization" not in headers[0]


def test_both_tiktok_apis_refresh_through_one_function() -> None:
    sent: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.path, request.headers["Content-Type"]))
        grant = {"access_token": "new", "refresh_token": "r2", "expires_in": 60}
        if "business" in request.url.host:
            return httpx.Response(200, json={"code": 0, "data": {**grant, "scope": ""}})
        return httpx.Response(200, json={**grant, "scope": "user.info.basic"})

    client = TikTokClient(settings(), httpx.MockTransport(handler))
    display = run(client.refresh(Credentials(SecretStr("a"), SecretStr("r"))))
    scopes = ("user.insights",)
    business = run(client.refresh(Credentials(SecretStr("a"), SecretStr("r"), scopes=scopes)))
    assert [path for path, _ in sent] == [
        "/v2/oauth/token/",
        "/open_api/v1.3/tt_user/oauth2/refresh_token/",
    ]
    assert [kind for _, kind in sent] == ["application/x-www-form-urlencoded", "application/json"]
    assert display.scopes == ("user.info.basic",)
    assert business.scopes == scopes  # kept: the answer named none
    assert display.access_token.get_secret_value() == business.access_token.get_secret_value()


def test_the_daily_insights_walk_checkpoints_every_chunk() -> None:
    asked: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append((request.url.params["since"], request.url.params["until"]))
        return httpx.Response(200, json={"data": []})

    client = FacebookClient(settings(), httpx.MockTransport(handler))

    async def scenario() -> dict[str, Any]:
        async with client.collection(Credentials(SecretStr("t")), {}, "v1") as ctx:
            await client.daily_insights(ctx, client.graph_url("1/insights"), ["m"], 3, ("x",))
            return ctx.new_cursor

    cursor = run(scenario())
    assert len(asked) == 3  # 7 days of horizon in chunks of 3 days
    assert [int(u) - int(s) for s, u in asked][:2] == [3 * 86_400] * 2
    assert cursor["insights_until"] == int(asked[-1][1])


def test_the_collection_context_reports_what_the_collection_did() -> None:
    client = XClient(settings(), httpx.MockTransport(lambda r: httpx.Response(200, json={})))

    async def scenario() -> Any:
        async with client.collection(Credentials(SecretStr("t")), {"a": 1}, "2") as ctx:
            await ctx.calls.request("GET", USER)
            ctx.sink.add("followers_count", 5)
            ctx.unavailable += ["b", "a", "b"]
            ctx.new_cursor["a"] = 2
            return ctx.result(), ctx.cursor

    result, cursor = run(scenario())
    assert (result.calls, len(result.points), result.unavailable) == (1, 1, ["a", "b"])
    assert (result.cursor, cursor) == ({"a": 2}, {"a": 1})


class _Counting(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    peers: list[int] = []

    def do_GET(self) -> None:
        type(self).peers.append(self.client_address[1])
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[int]]]:
    _Counting.peers = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Counting.peers
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_runtime_keeps_one_loop_and_one_pooled_client_across_invocations(
    loopback: tuple[str, list[int]],
) -> None:
    url, peers = loopback
    runtime = Runtime()
    client = XClient(settings())

    async def one_invocation() -> None:
        client.http = runtime.http(settings())
        async with client.calls() as calls:
            await calls.request("GET", f"{url}/a")
            await calls.request("GET", f"{url}/b")

    try:
        runtime.run(one_invocation())
        first, loop = runtime.http(settings()), runtime.loop
        runtime.run(one_invocation())
        assert runtime.http(settings()) is first
        assert runtime.loop is loop
        assert len(peers) == 4
        assert len(set(peers)) == 1  # one connection, kept alive across both invocations
    finally:
        runtime.close()
    assert first.is_closed
    assert loop.is_closed()


def test_a_client_per_operation_opens_a_connection_each_time(
    loopback: tuple[str, list[int]],
) -> None:
    url, peers = loopback
    client = XClient(settings())

    async def one_operation() -> None:
        async with client.calls() as calls:
            await calls.request("GET", f"{url}/a")

    run(one_operation())
    run(one_operation())
    assert len(set(peers)) == 2


def test_every_request_carries_the_time_budget_of_its_settings() -> None:
    budgets: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        budgets.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    slow = settings().model_copy(update={"provider_timeout_seconds": 7.0})
    shared = http_client(settings(), httpx.MockTransport(handler))
    client = XClient(slow, http=shared)

    async def scenario() -> None:
        async with client.calls() as calls:
            assert isinstance(calls, PlatformCalls)
            await calls.request("GET", USER)
        await shared.aclose()

    run(scenario())
    assert budgets[0]["read"] == 7.0
