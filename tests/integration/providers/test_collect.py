"""Each client against the sandbox over loopback HTTP: metrics, pagination, cursors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local.sandbox.state import value
from socialmetrics.config import Settings
from socialmetrics.platforms import Platform
from socialmetrics.providers import AccountRef, CollectResult, client_for
from tests.integration.providers.conftest import credentials, register, requests_to, run

# platform, registration extras, raw follower counter name, object type of content, list path
CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("X", {}, "followers_count", "post", "/tweets"),
    ("Facebook", {}, "followers_count", "post", "/posts"),
    ("Instagram", {}, "followers_count", "post", "/media"),
    ("Instagram", {"login": "instagram"}, "followers_count", "post", "/media"),
    ("TikTok", {}, "follower_count", "video", "/video/list/"),
]


def _collect(
    settings: Settings,
    account: dict[str, Any],
    page_size: int | None = None,
    cursor: dict[str, Any] | None = None,
) -> CollectResult:
    client = client_for(Platform(account["platform"]), settings)
    if page_size is not None:
        client.page_size = page_size  # type: ignore[attr-defined]
    return run(client.collect(AccountRef(account["id"]), credentials(account), cursor or {}))


@pytest.mark.parametrize(("platform", "extra", "counter", "content", "list_path"), CASES)
def test_collects_account_and_content_metrics_with_exact_values(
    sandbox: httpx.Client,
    settings: Settings,
    platform: str,
    extra: dict[str, Any],
    counter: str,
    content: str,
    list_path: str,
) -> None:
    account = register(sandbox, platform, counters={counter: 4321}, **extra)
    result = _collect(settings, account, page_size=10)

    account_metrics = {p.metric_type for p in result.points if p.object_type == "account"}
    content_metrics = {p.metric_type for p in result.points if p.object_type == content}
    assert len(account_metrics | content_metrics) >= 5
    assert len(content_metrics) >= 3
    followers = [
        p for p in result.points if p.metric_type == "followers" and p.period == "snapshot"
    ]
    assert [int(p.value) for p in followers] == [4321]
    assert followers[0].raw_name == counter
    for point in result.points:
        assert point.source == "poll"
        assert point.raw_name
        assert point.api_version
        assert point.fetched_at.tzinfo is not None
    # Pagination followed across three pages or more (page size 10, 28 items in the window).
    assert len(requests_to(sandbox, account, list_path)) >= 3
    listed = {p.object_id for p in result.points if p.object_type in (content, "reel")}
    assert len(listed) >= 25
    assert result.unavailable == []


def test_x_post_values_match_the_seed_and_absent_metrics_stay_absent(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "X", posts=40, post_interval_minutes=60 * 24)
    result = _collect(settings, account, page_size=100, cursor={})
    post = sorted({p.object_id for p in result.points if p.object_type == "post"})[0]
    likes = [p for p in result.points if p.object_id == post and p.metric_type == "likes"]
    assert [int(p.value) for p in likes] == [value(7, "X", account["id"], post, "like", high=500)]
    # Posts older than the lookback are not listed at all (7 of the 40 daily posts).
    assert len({p.object_id for p in result.points if p.object_type == "post"}) == 7


def test_x_incremental_sync_asks_only_for_new_posts_and_repolls_recent_ones(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "X", posts=12)
    first = _collect(settings, account)
    assert first.cursor["since_id"] == max(first.cursor["posts"], key=int)
    fresh = sandbox.post(f"/_sandbox/accounts/X/{account['id']}/posts", json={"count": 3})
    new_ids = fresh.json()["posts"]

    second = _collect(settings, account, cursor=first.cursor)

    timeline = requests_to(sandbox, account, "/tweets")
    assert f"since_id={first.cursor['since_id']}" in timeline[-2]
    assert second.cursor["since_id"] == max(new_ids, key=int)
    lookups = [q for q in requests_to(sandbox, account, "/2/tweets") if "ids=" in q]
    assert lookups, "recent posts are re-polled through GET /2/tweets"
    collected = {p.object_id for p in second.points if p.object_type == "post"}
    assert set(new_ids) <= collected
    assert set(first.cursor["posts"]) <= collected  # young posts refresh every run


def test_whatsapp_collects_waba_template_and_pricing_analytics(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "WhatsApp", posts=30)
    result = _collect(settings, account, page_size=10)
    metrics = {p.metric_type for p in result.points}
    assert {
        "messages_sent",
        "messages_delivered",
        "messages_read",
        "link_clicks",
        "messaging_cost",
        "messages_billable",
    } <= metrics
    sent = [p for p in result.points if p.metric_type == "messages_sent" and not p.object_id]
    assert len(sent) == 7  # one per day of the lookback window
    day = int(sent[0].collected_at.timestamp())
    assert int(sent[0].value) == value(7, "WhatsApp", account["id"], "sent", day, high=500)
    templates = {p.object_id for p in result.points if p.object_type == "template"}
    assert len(templates) == 30
    assert len(requests_to(sandbox, account, "/message_templates")) == 3
    assert result.cursor["analytics_until"] > day


def test_tiktok_repolls_known_videos_through_query(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "TikTok", posts=5)
    listed = _collect(settings, account)
    fake_cursor = {**listed.cursor, "recent_ids": [*listed.cursor["recent_ids"], "73999"]}
    sandbox.post(f"/_sandbox/accounts/TikTok/{account['id']}/posts", json={"count": 1})
    again = _collect(settings, account, page_size=2, cursor=fake_cursor)
    assert requests_to(sandbox, account, "/video/query/")
    assert {p.object_id for p in listed.points if p.object_type == "video"} <= {
        p.object_id for p in again.points if p.object_type == "video"
    }


def test_invalid_meta_metric_is_reported_unavailable_and_the_rest_still_arrive(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(
        sandbox,
        "Facebook",
        invalid_metrics=["page_views_total"],
        denied_metrics=["post_clicks"],
        posts=2,
    )
    result = _collect(settings, account)
    assert result.unavailable == ["page_views_total", "post:post_clicks"]
    raw = {p.raw_name for p in result.points if p.object_type == "account"}
    assert {
        "page_media_view",
        "page_total_media_view_unique",
        "page_post_engagements",
        "page_follows",
        "page_daily_follows_unique",
        "page_daily_unfollows_unique",
    } <= raw
    assert not [p for p in result.points if p.metric_type == "profile_views"]


def test_usage_snapshot_is_exposed(sandbox: httpx.Client, settings: Settings) -> None:
    account = register(sandbox, "X", quota=100)
    result = _collect(settings, account)
    assert result.usage is not None
    assert result.usage.limit == 100
    assert result.usage.remaining is not None
    assert result.usage.remaining < 100
    meta = register(sandbox, "Instagram", quota=1000, posts=1)
    usage = _collect(settings, meta).usage
    assert usage is not None
    assert usage.used_pct is not None
    assert usage.used_pct > 0


def test_instagram_totals_one_call_per_day_reach_as_a_total_and_no_final_day_twice(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "Instagram", posts=2)
    first = _collect(settings, account)
    totals = [q for q in requests_to(sandbox, account, "/insights") if "total_value" in q]
    daily = [q for q in totals if "metric=reach" not in q]
    horizon = settings.horizon_days("Instagram")
    assert len(daily) == horizon  # every total_value name in one call per day
    assert all("views%2C" in q and "profile_links_taps" in q for q in daily)
    reach = [p for p in first.points if p.raw_name == "reach" and p.period == "days_28"]
    assert len(reach) == 1  # unique accounts reached over 28 days, one call
    assert len(totals) - len(daily) == 1

    second = _collect(settings, account, cursor=first.cursor)
    again = [q for q in requests_to(sandbox, account, "/insights") if "total_value" in q]
    repeated = [q for q in again[len(totals) :] if "metric=reach" not in q]
    assert len(repeated) == 2  # only the two days still inside the 48 h lag; final days never
    assert second.cursor["totals_until"] == first.cursor["totals_until"]
