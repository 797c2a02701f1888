"""TikTok API for Business parsers, routing and refresh, on hand-written reference samples
(not sandbox output)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers import (
    AccountRef,
    AuthExpired,
    Credentials,
    MalformedResponse,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TokenGrant,
    Transient,
    client_for,
)
from socialmetrics.providers.tiktok import TikTokClient
from socialmetrics.providers.tiktok_business import (
    ACCOUNT_FIELDS,
    VIDEO_METRICS,
    TikTokBusinessClient,
    uses_business_api,
)
from tests.unit.providers.samples import Route, run, sample, settings, transport

BUSINESS = ("user.info.basic", "user.insights", "video.list", "video.insights")
DISPLAY = ("user.info.basic", "user.info.stats", "video.list")
TOKEN = Credentials(SecretStr("act.business-access-1234"), SecretStr("rft.business-refresh-1234"))
MARCH_3 = datetime(2026, 3, 3, 9, tzinfo=UTC)


def at(when: datetime = MARCH_3) -> TikTokClient:
    return TikTokClient(settings(), None, clock=lambda: when)


def on(client: TikTokClient, routes: httpx.MockTransport) -> TikTokClient:
    client.transport = routes
    return client


def by_metric(points: list[MetricPoint], object_id: str = "") -> dict[str, Decimal]:
    return {p.metric_type: p.value for p in points if p.object_id == object_id}


def business_routes(seen: list[httpx.Request]) -> httpx.MockTransport:
    def routes(request: httpx.Request) -> Route | None:
        seen.append(request)
        if request.url.path.endswith("/business/get/"):
            return 200, "tiktok_business_account.json", {}
        if request.url.path.endswith("/business/video/list/"):
            return 200, "tiktok_business_videos.json", {}
        return None

    return transport(routes)


# --- TikTok API for Business ------------------------------------------------------------------
def test_business_scopes_pick_the_business_api() -> None:
    assert uses_business_api(["user.insights"])
    assert uses_business_api(BUSINESS)
    assert not uses_business_api(DISPLAY)
    assert not uses_business_api(())


def test_business_account_and_video_metrics_parse_with_units_and_days() -> None:
    seen: list[httpx.Request] = []
    client = on(at(), business_routes(seen))
    result = run(client.collect(AccountRef("-000business", scopes=BUSINESS), TOKEN, {}))

    snapshot = [p for p in result.points if p.period == "snapshot"]
    assert [(p.metric_type, p.value, p.raw_name) for p in snapshot] == [
        ("followers", Decimal(12800), "followers_count")
    ]
    daily = [p for p in result.points if p.period == "day"]
    march_1, march_2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    assert {p.collected_at for p in daily} == {march_1, march_2}
    assert by_metric([p for p in daily if p.collected_at == march_1]) == {
        "followers": 12790,
        "profile_views": 310,
        "video_views": 8800,
        "likes": 640,
        "comments": 52,
        "shares": 17,
    }
    assert by_metric(result.points, "7300000000000000101") == {
        "video_views": 15000,
        "likes": 900,
        "comments": 40,
        "shares": 25,
        "reach": 11000,
        "full_watch_rate": Decimal("0.2145"),
        "watch_time_ms": Decimal("81250500.0"),  # 81250.5 s
        "avg_watch_time_ms": Decimal("5420.00"),  # 5.42 s
    }
    video = [p for p in result.points if p.object_type == "video"]
    assert {p.period for p in video} == {"lifetime"}
    assert {p.raw_name for p in video if p.metric_type == "watch_time_ms"} == {"total_time_watched"}
    assert {p.api_version for p in result.points} == {"business-v1.3"}
    assert result.unavailable == []
    assert result.calls == 2

    account_call, video_call = seen
    assert account_call.url.host == "business-api.tiktok.com"
    assert account_call.url.path == "/open_api/v1.3/business/get/"
    assert account_call.headers["access-token"] == "act.business-access-1234"
    assert "authorization" not in account_call.headers
    assert json.loads(account_call.url.params["fields"]) == list(ACCOUNT_FIELDS)
    assert account_call.url.params["business_id"] == "-000business"
    # First sync: back to the horizon (7 days here), whole days, end_date inclusive (yesterday).
    assert account_call.url.params["end_date"] == "2026-03-02"
    assert account_call.url.params["start_date"] == "2026-02-24"
    assert json.loads(video_call.url.params["fields"])[2:] == list(VIDEO_METRICS)
    assert result.cursor == {
        "business_until": int(datetime(2026, 3, 3, tzinfo=UTC).timestamp()),
        "recent_ids": ["7300000000000000101"],
        "newest_create_time": 1772323200,
        "backfill": {
            "insights": {"complete": True, "oldest_at": "2026-02-24T00:00:00+00:00"},
            # horizon (7 days) = restatement window (7 days): no older video to walk
            "posts": {"complete": True, "after": None, "skip": 0},
            "complete": True,
            "oldest_at": "2026-02-24T00:00:00+00:00",
        },
    }


def test_business_routing_falls_back_to_the_credentials_scopes() -> None:
    seen: list[httpx.Request] = []
    client = on(at(), business_routes(seen))
    scoped = Credentials(TOKEN.access_token, TOKEN.refresh_token, None, BUSINESS)
    run(client.collect(AccountRef("-000business"), scoped, {}))
    assert seen[0].url.path.endswith("/business/get/")


def test_display_scopes_stay_on_the_display_api() -> None:
    seen: list[httpx.Request] = []

    def routes(request: httpx.Request) -> Route:
        seen.append(request)
        if request.url.path == "/v2/user/info/":
            return 200, "tiktok_user_info.json", {}
        return 200, "tiktok_video_list.json", {}

    client = client_for(Platform.TIKTOK, settings(), transport(routes))
    run(client.collect(AccountRef("-000xyz", scopes=DISPLAY), TOKEN, {}))
    assert {r.url.host for r in seen} == {"open.tiktokapis.com"}


def test_incremental_window_rereads_the_restatement_window_and_repolls_known_videos() -> None:
    seen: list[httpx.Request] = []

    def routes(request: httpx.Request) -> Route | None:
        seen.append(request)
        if request.url.path.endswith("/business/get/"):
            return 200, "tiktok_business_account.json", {}
        if "filters" in request.url.params:
            return 200, "tiktok_business_videos.json", {}
        return 200, {"code": 0, "message": "OK", "data": {"videos": [], "has_more": False}}, {}

    client = on(at(), transport(routes))
    cursor = {
        "business_until": int(datetime(2026, 3, 2, tzinfo=UTC).timestamp()),
        "recent_ids": ["7300000000000000101"],
        "newest_create_time": 1772323200,
    }
    result = run(client.collect(AccountRef("b", scopes=BUSINESS), TOKEN, cursor))
    # cursor - restatement window (7 days), bounded by the 7-day horizon of these settings
    assert seen[0].url.params["start_date"] == "2026-02-24"
    filtered = [r for r in seen if "filters" in r.url.params]
    assert json.loads(filtered[0].url.params["filters"]) == {"video_ids": ["7300000000000000101"]}
    assert by_metric(result.points, "7300000000000000101")["video_views"] == 15000


def test_video_paging_follows_the_cursor_and_stops_at_the_bound() -> None:
    pages: list[str | None] = []

    def routes(request: httpx.Request) -> Route:
        if request.url.path.endswith("/business/get/"):
            return 200, "tiktok_business_account.json", {}
        pages.append(request.url.params.get("cursor"))
        n = len(pages)
        video = {"item_id": f"73{n:03d}", "create_time": 1772323200 - n, "video_views": n}
        data = {"videos": [video], "cursor": n * 20, "has_more": True}
        return 200, {"code": 0, "message": "OK", "data": data}, {}

    client = on(at(), transport(routes))
    result = run(client.collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))
    bound = settings().provider_max_pages
    assert pages == [None, *[str(i * 20) for i in range(1, bound)]]
    assert len({p.object_id for p in result.points if p.object_type == "video"}) == bound


def test_video_list_stops_on_a_page_with_nothing_inside_the_window() -> None:
    old = int((MARCH_3 - timedelta(days=60)).timestamp())
    pages: list[str | None] = []

    def routes(request: httpx.Request) -> Route:
        if request.url.path.endswith("/business/get/"):
            return 200, "tiktok_business_account.json", {}
        pages.append(request.url.params.get("cursor"))
        first = [{"item_id": "old1", "create_time": str(old), "likes": 2}]
        pinned = [  # an older video first, then a newer one (pinned videos break the order)
            {"item_id": "old2", "create_time": str(old), "likes": 2},
            {"item_id": "new", "create_time": 1772323200, "likes": 1},
        ]
        videos = pinned if len(pages) == 1 else first
        data = {"videos": videos, "cursor": len(pages), "has_more": True}
        return 200, {"code": 0, "message": "OK", "data": data}, {}

    result = run(on(at(), transport(routes)).collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))
    assert {p.object_id for p in result.points if p.object_type == "video"} == {"new"}
    assert pages == [None, "1"]  # the second page holds nothing inside the window: stop
    assert result.calls == 3


def test_missing_video_insights_permission_is_reported_and_the_account_data_kept() -> None:
    def routes(request: httpx.Request) -> Route:
        if request.url.path.endswith("/business/get/"):
            return 200, "tiktok_business_account.json", {}
        return 200, {"code": 40001, "message": "No permission", "data": {}}, {}

    result = run(on(at(), transport(routes)).collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))
    assert result.unavailable == ["video:business/video/list"]
    assert by_metric([p for p in result.points if p.period == "snapshot"]) == {"followers": 12800}


@pytest.mark.parametrize(
    ("status", "code", "error", "calls"),
    [
        (200, 40105, AuthExpired, 1),
        (200, 40102, AuthExpired, 1),
        (200, 40001, PermissionDenied, 1),
        (200, 50000, Transient, 2),
        (500, None, Transient, 2),
        (200, 40002, ProviderError, 1),
        (401, None, AuthExpired, 1),
    ],
)
def test_business_error_codes_map_to_the_error_tree(
    status: int, code: int | None, error: type[ProviderError], calls: int
) -> None:
    seen: list[httpx.Request] = []

    def routes(request: httpx.Request) -> Route:
        seen.append(request)
        body: dict[str, Any] = {
            "code": code,
            "message": "act.business-access-1234 refused",
            "data": {},
        }
        return status, body if code is not None else {}, {}

    client = on(at(), transport(routes))
    with pytest.raises(error) as caught:
        run(client.collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))
    assert type(caught.value) is error
    assert caught.value.platform == "TikTok"
    assert "act.business-access-1234" not in str(caught.value)
    assert len(seen) == calls


def test_business_40100_is_rate_limited_until_the_window_or_retry_after() -> None:
    client = on(at(), transport(lambda r: (200, "tiktok_business_rate_limited.json", {})))
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        run(client.collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))
    assert caught.value.code == 40100
    assert before + timedelta(minutes=1) <= caught.value.reset_at
    assert caught.value.reset_at <= datetime.now(UTC) + timedelta(minutes=1)
    later = on(
        at(),
        transport(lambda r: (200, "tiktok_business_rate_limited.json", {"retry-after": "90"})),
    )
    with pytest.raises(RateLimited) as again:
        run(later.collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))
    assert again.value.reset_at >= before + timedelta(seconds=90)


def test_business_bodies_without_data_are_malformed() -> None:
    client = on(at(), transport(lambda r: (200, {"code": 0, "message": "OK"}, {})))
    with pytest.raises(MalformedResponse):
        run(client.collect(AccountRef("b", scopes=BUSINESS), TOKEN, {}))

    def no_videos(request: httpx.Request) -> Route:
        if request.url.path.endswith("/business/get/"):
            return 200, "tiktok_business_account.json", {}
        return 200, {"code": 0, "message": "OK"}, {}

    result = run(
        on(at(), transport(no_videos)).collect(AccountRef("b", scopes=BUSINESS), TOKEN, {})
    )
    parts = {p.name: p for p in result.parts}
    assert parts["posts"].status == "failed"  # the account's values are still kept
    assert parts["account_fields"].status == "succeeded"


def test_business_refresh_posts_json_and_reads_both_expiries() -> None:
    seen: list[httpx.Request] = []

    def routes(request: httpx.Request) -> Route:
        seen.append(request)
        return 200, "tiktok_business_token.json", {}

    saved: list[TokenGrant] = []

    async def persist(grant: TokenGrant) -> None:
        saved.append(grant)

    scoped = Credentials(TOKEN.access_token, TOKEN.refresh_token, None, BUSINESS)
    grant = run(client_for(Platform.TIKTOK, settings(), transport(routes)).refresh(scoped, persist))
    assert saved == [grant]
    assert seen[0].url.path == "/open_api/v1.3/tt_user/oauth2/refresh_token/"
    body = json.loads(seen[0].content)
    assert body == {
        "client_id": settings().tiktok_client_key,
        "client_secret": settings().tiktok_client_secret.get_secret_value(),
        "grant_type": "refresh_token",
        "refresh_token": "rft.business-refresh-1234",
    }
    assert grant.access_token.get_secret_value() == "act.business-new-access"
    assert grant.refresh_token is not None
    assert grant.refresh_token.get_secret_value() == "rft.business-new-refresh"
    now = datetime.now(UTC)
    assert grant.expires_at is not None
    assert timedelta(hours=23, minutes=59) < grant.expires_at - now <= timedelta(hours=24)
    assert grant.refresh_expires_at is not None
    assert grant.refresh_expires_at - now > timedelta(days=364)
    assert grant.scopes == BUSINESS
    assert grant.as_credentials().scopes == BUSINESS


def test_business_refresh_keeps_the_scopes_when_the_response_has_none_and_maps_errors() -> None:
    body = sample("tiktok_business_token.json")
    del body["data"]["scope"]
    client = TikTokBusinessClient(settings(), transport(lambda r: (200, body, {})))
    scoped = Credentials(TOKEN.access_token, TOKEN.refresh_token, None, ("user.insights",))
    assert run(client.refresh(scoped)).scopes == ("user.insights",)

    dead = TikTokBusinessClient(
        settings(),
        transport(lambda r: (200, {"code": 40107, "message": "rft.business-refresh-1234"}, {})),
    )
    with pytest.raises(AuthExpired) as caught:
        run(dead.refresh(scoped))
    assert "rft.business-refresh-1234" not in str(caught.value)
    with pytest.raises(AuthExpired):
        run(dead.refresh(Credentials(SecretStr("act.x"), None, None, BUSINESS)))
    empty = TikTokBusinessClient(settings(), transport(lambda r: (200, {"code": 0}, {})))
    with pytest.raises(MalformedResponse):
        run(empty.refresh(scoped))


def test_business_api_version_follows_the_configured_base_url() -> None:
    assert TikTokBusinessClient(settings()).api_version == "business-v1.3"
    custom = settings().model_copy(update={"tiktok_business_base_url": "http://h/open_api/v1.4/"})
    assert TikTokBusinessClient(custom).api_version == "business-v1.4"
    odd = settings().model_copy(update={"tiktok_business_base_url": "http://h/business"})
    assert TikTokBusinessClient(odd).api_version == "business-v1.3"
