"""Client parsers on responses written from the reference document (not from the sandbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from socialmetrics.catalog import switches
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers import (
    AccountRef,
    AuthExpired,
    Credentials,
    MalformedResponse,
    RateLimited,
    client_for,
)
from socialmetrics.providers.facebook import FacebookClient
from tests.unit.providers.samples import Route, run, settings, transport

TOKEN = Credentials(SecretStr("EAAsample-access-token-1234"), SecretStr("sample-refresh-1234"))


def values(points: list[MetricPoint], object_id: str = "") -> dict[str, Decimal]:
    return {p.metric_type: p.value for p in points if p.object_id == object_id}


def test_x_parses_counters_posts_media_and_both_field_spellings() -> None:
    def routes(request: httpx.Request) -> Route | None:
        path = request.url.path
        if path == "/2/users/2244994945":
            return 200, "x_user.json", {}
        if path.endswith("/tweets"):
            page2 = "until_id" in request.url.params  # the backfill walks older by until_id
            return 200, "x_tweets_page2.json" if page2 else "x_tweets.json", {}
        return None

    client = client_for(Platform.X, settings(), transport(routes))
    result = run(client.collect(AccountRef("2244994945"), TOKEN, {}))

    assert values(result.points) == {
        "followers": 5120,
        "following": 310,
        "posts_count": 4200,
        "listed": 37,
    }
    assert values(result.points, "1900000000000000001") == {
        "shares": 3,
        "comments": 1,
        "likes": 20,
        "quotes": 0,
        "saves": 2,
        "impressions": 900,
        "link_clicks": 4,
        "profile_views": 7,
        "engagements": 35,
    }
    second = values(result.points, "1899999999999999990")
    assert second["shares"] == 5
    assert second["video_views"] == 1200
    assert "link_clicks" not in second  # not returned → absent, never 0
    raw = {p.raw_name for p in result.points if p.object_id == "1899999999999999990"}
    assert "repost_count" in raw
    impressions = [
        p
        for p in result.points
        if p.metric_type == "impressions" and p.object_id == "1900000000000000001"
    ]
    assert len(impressions) == 1
    assert impressions[0].raw_name == "impression_count"
    assert result.cursor["since_id"] == "1900000000000000001"
    assert result.calls == 3


def test_x_openapi_post_count_is_the_same_series_as_tweet_count() -> None:
    def routes(request: httpx.Request) -> Route | None:
        if request.url.path.endswith("/tweets"):
            return 200, {"meta": {"result_count": 0}}, {}
        return 200, "x_user_openapi_names.json", {}

    client = client_for(Platform.X, settings(), transport(routes))
    result = run(client.collect(AccountRef("2244994945"), TOKEN, {}))
    posts = [p for p in result.points if p.metric_type == "posts_count"]
    assert [(p.raw_name, int(p.value)) for p in posts] == [("post_count", 4201)]
    assert "since_id" not in result.cursor


def test_x_429_reset_comes_from_the_epoch_header() -> None:
    reset = 1_767_226_500
    headers = {
        "x-rate-limit-limit": "900",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset),
    }
    client = client_for(
        Platform.X, settings(), transport(lambda r: (429, "x_rate_limited.json", headers))
    )
    with pytest.raises(RateLimited) as caught:
        run(client.collect(AccountRef("1"), TOKEN, {}))
    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert caught.value.code == 88


def test_x_refresh_reads_expiry_from_the_response() -> None:
    seen: list[httpx.Request] = []

    def routes(request: httpx.Request) -> Route:
        seen.append(request)
        return 200, "x_oauth_token.json", {}

    grant = run(client_for(Platform.X, settings(), transport(routes)).refresh(TOKEN))
    assert grant.access_token.get_secret_value() == "bWxX-new-access"
    assert grant.refresh_token is not None
    assert grant.scopes == ("tweet.read", "users.read", "offline.access")
    assert grant.expires_at is not None
    assert (
        timedelta(hours=1, minutes=59) < grant.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    )
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert b"grant_type=refresh_token" in seen[0].content


def test_facebook_parses_page_insights_posts_and_reports_invalid_metrics() -> None:
    def routes(request: httpx.Request) -> Route | None:
        path = request.url.path
        if path.endswith("/1234567890"):
            return 200, "graph_page.json", {}
        if path.endswith("/1234567890/insights"):
            if "page_media_view" in request.url.params["metric"].split(","):
                return 200, "graph_page_insights.json", {}
            return 200, {"data": []}, {}
        if path.endswith("/posts"):
            return 200, "graph_posts.json", {}
        if path.endswith("/1234567890_111/insights"):
            return 400, "graph_error_invalid_metric.json", {}
        return None

    march = lambda: datetime(2026, 3, 3, tzinfo=UTC)  # noqa: E731 - the samples' "now"
    client = FacebookClient(settings(), transport(routes), clock=march)
    result = run(client.collect(AccountRef("1234567890"), TOKEN, {}))
    daily = [p for p in result.points if p.period == "day"]
    assert [(p.metric_type, int(p.value), p.collected_at) for p in daily] == [
        ("impressions", 1520, datetime(2026, 3, 1, 8, tzinfo=UTC))
    ]
    snapshot = [p for p in result.points if p.period == "snapshot"]
    assert values(snapshot) == {"followers": 8800, "page_likes": 8100}
    assert values(result.points, "1234567890_111") == {"shares": 6, "comments": 14, "likes": 120}
    assert result.unavailable == [
        "post:post_clicks",
        "post:post_media_view",
        "post:post_total_media_view_unique",
        "post:post_video_views",
    ]


def test_facebook_deprecated_page_impressions_continue_the_page_media_view_series() -> None:
    state = {"old": True}

    def routes(request: httpx.Request) -> Route | None:
        metric = request.url.params.get("metric", "").split(",")
        if request.url.path.endswith("/insights") and "page_media_view" in metric:
            name = (
                "graph_page_insights_deprecated.json"
                if state["old"]
                else ("graph_page_insights.json")
            )
            return 200, name, {}
        return None

    client = client_for(Platform.FACEBOOK, settings(), transport(routes))
    before = run(client.collect(AccountRef("1234567890"), TOKEN, {}))
    state["old"] = False
    after = run(client.collect(AccountRef("1234567890"), TOKEN, {}))
    series = [p for p in before.points + after.points if p.period == "day"]
    assert {p.metric_type for p in series} == {"impressions"}
    [switch] = switches(series)
    assert (switch.from_raw, switch.to_raw) == ("page_impressions", "page_media_view")
    assert switch.at == datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_graph_190_is_auth_expired_and_the_token_is_not_echoed() -> None:
    client = client_for(
        Platform.FACEBOOK, settings(), transport(lambda r: (400, "graph_error_190.json", {}))
    )
    with pytest.raises(AuthExpired) as caught:
        run(client.collect(AccountRef("1"), TOKEN, {}))
    assert caught.value.code == 190
    assert "EAAsample" not in str(caught.value)


def test_instagram_total_value_views_and_empty_insights_stay_absent() -> None:
    def routes(request: httpx.Request) -> Route | None:
        path = request.url.path
        if path.endswith("/1789"):
            return 200, "ig_user.json", {}
        if path.endswith("/1789/insights"):
            metric = request.url.params.get("metric", "")
            if request.url.params.get("metric_type") == "total_value" and "views" in metric:
                return 200, "ig_views_total_value.json", {}
            return 200, "ig_empty_insights.json", {}
        return None

    client = client_for(Platform.INSTAGRAM, settings(), transport(routes))
    result = run(
        client.collect(
            AccountRef("1789", login="facebook"),
            TOKEN,
            {"insights_until": int(datetime.now(UTC).timestamp())},
        )
    )
    assert values(result.points)["followers"] == 2500
    views = [p for p in result.points if p.metric_type == "impressions"]
    assert views
    assert {p.value for p in views} == {4210}
    assert {p.raw_name for p in views} == {"views"}
    assert not [p for p in result.points if p.metric_type == "reach"]


def test_instagram_login_refresh_uses_ig_refresh_token_on_the_instagram_host() -> None:
    seen: list[httpx.Request] = []

    def routes(request: httpx.Request) -> Route:
        seen.append(request)
        return 200, "ig_refresh.json", {}

    ig = Credentials(SecretStr("IGAAold-long-lived-token"))
    grant = run(client_for(Platform.INSTAGRAM, settings(), transport(routes)).refresh(ig))
    assert seen[0].url.host == "graph.instagram.com"
    assert seen[0].url.params["grant_type"] == "ig_refresh_token"
    assert grant.refresh_token is None
    assert grant.expires_at is not None
    assert grant.expires_at - datetime.now(UTC) > timedelta(days=59)


def test_whatsapp_waba_analytics_data_points() -> None:
    def routes(request: httpx.Request) -> Route | None:
        fields = request.url.params.get("fields", "")
        if fields.startswith("analytics."):
            return 200, "waba_analytics.json", {}
        if fields.startswith("pricing_analytics"):
            return 200, {"id": "102290129340398"}, {}
        return None

    client = client_for(Platform.WHATSAPP, settings(), transport(routes))
    result = run(client.collect(AccountRef("102290129340398"), TOKEN, {}))
    day = datetime(2026, 1, 1, tzinfo=UTC)
    assert [(p.metric_type, int(p.value), p.collected_at) for p in result.points] == [
        ("messages_sent", 120, day),
        ("messages_delivered", 117, day),
    ]


def test_tiktok_user_and_videos_and_rate_limit_and_oauth_errors() -> None:
    def routes(request: httpx.Request) -> Route | None:
        if request.url.path == "/v2/user/info/":
            return 200, "tiktok_user_info.json", {}
        if request.url.path == "/v2/video/list/":
            return (
                200,
                {
                    "data": {"videos": [], "cursor": 0, "has_more": False},
                    "error": {"code": "ok", "message": "", "log_id": "1"},
                },
                {},
            )
        if request.url.path == "/v2/video/query/":  # the same documented video shape
            return 200, "tiktok_video_list.json", {}
        return None

    client = client_for(Platform.TIKTOK, settings(), transport(routes))
    cursor = {"recent_ids": ["7300000000000000001"], "newest_create_time": 1767225600}
    result = run(client.collect(AccountRef("-000xyz"), TOKEN, cursor))
    assert values(result.points) == {
        "followers": 3400,
        "following": 12,
        "likes": 88000,
        "posts_count": 41,
    }
    assert values(result.points, "7300000000000000001") == {
        "video_views": 15000,
        "likes": 900,
        "comments": 40,
        "shares": 25,
    }

    limited = client_for(
        Platform.TIKTOK, settings(), transport(lambda r: (429, "tiktok_rate_limited.json", {}))
    )
    with pytest.raises(RateLimited):
        run(limited.collect(AccountRef("-000xyz"), TOKEN, {}))
    dead = client_for(
        Platform.TIKTOK, settings(), transport(lambda r: (400, "tiktok_oauth_error.json", {}))
    )
    with pytest.raises(AuthExpired):
        run(dead.refresh(TOKEN))
    fresh = client_for(
        Platform.TIKTOK, settings(), transport(lambda r: (200, "tiktok_token.json", {}))
    )
    grant = run(fresh.refresh(TOKEN))
    assert grant.scopes == ("user.info.basic", "video.list")
    assert grant.refresh_expires_at is not None


def test_a_non_json_success_body_is_malformed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"})

    client = client_for(Platform.TIKTOK, settings(), httpx.MockTransport(handler))
    with pytest.raises(MalformedResponse):
        run(client.collect(AccountRef("x"), TOKEN, {}))
