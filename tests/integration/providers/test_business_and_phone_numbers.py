"""TikTok API for Business and WhatsApp phone numbers / conversation analytics against the
sandbox over loopback HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from local.sandbox.state import TIKTOK_BUSINESS_SCOPES, phone_profile, value
from socialmetrics.config import Settings
from socialmetrics.platforms import Platform
from socialmetrics.providers import (
    AccountRef,
    AuthExpired,
    CollectResult,
    Credentials,
    MalformedResponse,
    PermissionDenied,
    ProviderError,
    RateLimited,
    TokenGrant,
    Transient,
    client_for,
)
from socialmetrics.providers.whatsapp import MESSAGING_LIMITS, QUALITY_SCORES
from tests.integration.providers.conftest import (
    credentials,
    fault,
    register,
    requests_to,
    run,
)

SCOPES = tuple(TIKTOK_BUSINESS_SCOPES)


def business(sandbox: httpx.Client, **spec: Any) -> dict[str, Any]:
    spec.setdefault("scopes", list(SCOPES))
    return register(sandbox, "TikTok", **spec)


def collect(
    settings: Settings,
    account: dict[str, Any],
    cursor: dict[str, Any] | None = None,
    page_size: int | None = None,
) -> CollectResult:
    client = client_for(Platform(account["platform"]), settings)
    if page_size is not None:
        client.page_size = page_size  # type: ignore[attr-defined]
    ref = AccountRef(account["id"], scopes=tuple(account["scopes"]))
    return run(client.collect(ref, credentials(account), cursor or {}))


def scoped(account: dict[str, Any]) -> Credentials:
    plain = credentials(account)
    return Credentials(plain.access_token, plain.refresh_token, None, tuple(account["scopes"]))


# --- TikTok API for Business ------------------------------------------------------------------
def test_business_account_collects_daily_and_video_metrics_with_exact_values(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = business(sandbox, posts=28, counters={"followers_count": 4321})
    result = collect(settings, account, page_size=10)

    followers = [p for p in result.points if p.metric_type == "followers" and not p.object_id]
    snapshot = [p for p in followers if p.period == "snapshot"]
    assert [(int(p.value), p.raw_name) for p in snapshot] == [(4321, "followers_count")]
    daily = sorted(
        (p for p in result.points if p.period == "day" and p.metric_type == "profile_views"),
        key=lambda p: p.collected_at,
    )
    assert len(daily) == 7  # the lookback window, one point per whole day
    first = int(daily[0].collected_at.timestamp())
    assert int(daily[0].value) == value(
        7, "TikTok", account["id"], "daily", "profile_views", first, high=4000
    )
    account_metrics = {p.metric_type for p in result.points if p.object_type == "account"}
    video_metrics = {p.metric_type for p in result.points if p.object_type == "video"}
    assert account_metrics == {
        "followers",
        "profile_views",
        "video_views",
        "likes",
        "comments",
        "shares",
    }
    assert video_metrics == {
        "video_views",
        "likes",
        "comments",
        "shares",
        "reach",
        "full_watch_rate",
        "watch_time_ms",
        "avg_watch_time_ms",
    }
    # Pagination: 28 videos within the lookback, 10 per page.
    assert len(requests_to(sandbox, account, "/business/video/list/")) == 3
    videos = {p.object_id for p in result.points if p.object_type == "video"}
    assert len(videos) == 28
    video = sorted(videos)[0]
    views = value(7, "TikTok", account["id"], video, "video_views", high=90_000)
    points = {p.metric_type: p for p in result.points if p.object_id == video}
    assert int(points["video_views"].value) == views
    # Seconds in the response, milliseconds in the point.
    duration = value(7, "TikTok", account["id"], video, "duration", high=180) + 5
    avg_s = round(value(7, "TikTok", account["id"], video, "avg", high=1000) / 1000 * duration, 3)
    assert float(points["avg_watch_time_ms"].value) == pytest.approx(avg_s * 1000)
    assert float(points["watch_time_ms"].value) == pytest.approx(round(avg_s * views, 3) * 1000)
    assert points["watch_time_ms"].raw_name == "total_time_watched"
    assert {p.api_version for p in result.points} == {"business-v1.3"}
    assert result.unavailable == []
    # Nothing went to the Display API.
    assert not requests_to(sandbox, account, "/tiktok/v2/")


def test_business_incremental_sync_rereads_from_the_cursor_and_repolls_known_videos(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = business(sandbox, posts=3)
    first = collect(settings, account)
    until = datetime.fromtimestamp(first.cursor["business_until"], UTC)
    stale = [*first.cursor["recent_ids"], "7399999999999999999"]
    second = collect(settings, account, cursor={**first.cursor, "recent_ids": stale})

    gets = requests_to(sandbox, account, "/business/get/")
    since = parse_qs(gets[-1])["start_date"][0]
    assert since == (until - timedelta(days=settings.restatement_days)).date().isoformat()
    filtered = [q for q in requests_to(sandbox, account, "/business/video/list/") if "filters" in q]
    assert json.loads(parse_qs(filtered[0])["filters"][0]) == {"video_ids": ["7399999999999999999"]}
    assert {p.object_id for p in second.points if p.object_type == "video"} == set(
        first.cursor["recent_ids"]
    )
    assert second.cursor["newest_create_time"] == first.cursor["newest_create_time"]


def test_business_without_video_insights_reports_the_video_list_unavailable(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = business(sandbox, posts=2, scopes=["user.info.basic", "user.insights"])
    result = collect(settings, account)
    assert result.unavailable == ["video:business/video/list"]
    assert {p.object_type for p in result.points} == {"account"}


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("token_dead", AuthExpired),
        ("forbidden", PermissionDenied),
        ("throttle", RateLimited),
        ("server_error", Transient),
        ("timeout", Transient),
        ("malformed", MalformedResponse),
    ],
)
def test_business_faults_map_to_typed_errors_without_leaking_the_token(
    sandbox: httpx.Client, settings: Settings, kind: str, error: type[ProviderError]
) -> None:
    account = business(sandbox, posts=1)
    fault(sandbox, account, kind, seconds=2.0)
    with pytest.raises(error) as caught:
        collect(settings, account)
    assert caught.value.platform == "TikTok"
    assert account["access_token"] not in str(caught.value)
    calls = len(requests_to(sandbox, account, "/"))
    assert calls == (2 if issubclass(error, Transient) else 1)


def test_business_one_transient_failure_is_retried(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = business(sandbox, posts=1)
    fault(sandbox, account, "server_error", times=1)
    assert collect(settings, account).points


def test_business_40100_waits_out_the_window(sandbox: httpx.Client, settings: Settings) -> None:
    account = business(sandbox, quota=1, posts=1)
    collect(settings, account)  # one call per endpoint: within the quota
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        collect(settings, account)
    assert caught.value.code == 40100
    assert caught.value.status == 200  # the envelope, not the HTTP status, says so
    assert before + timedelta(minutes=1) <= caught.value.reset_at
    assert caught.value.reset_at <= datetime.now(UTC) + timedelta(minutes=1)


def test_unknown_business_token_is_auth_expired(sandbox: httpx.Client, settings: Settings) -> None:
    ghost = {"id": "1", "access_token": "act.unknown-token", "platform": "TikTok", "scopes": SCOPES}
    with pytest.raises(AuthExpired) as caught:
        collect(settings, ghost)
    assert caught.value.code == 40105


def test_business_refresh_rotates_persists_and_retires_the_old_pair(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = business(sandbox, posts=1)
    client = client_for(Platform.TIKTOK, settings)
    saved: list[TokenGrant] = []

    async def persist(grant: TokenGrant) -> None:
        saved.append(grant)

    before = datetime.now(UTC)
    grant = run(client.refresh(scoped(account), on_rotate=persist))
    assert saved == [grant]
    assert grant.access_token.get_secret_value() != account["access_token"]
    assert grant.refresh_token is not None
    assert grant.expires_at is not None
    assert abs(grant.expires_at - (before + timedelta(hours=2))) < timedelta(minutes=1)
    assert grant.refresh_expires_at is not None
    assert grant.refresh_expires_at - before > timedelta(days=179)
    assert set(grant.scopes) == set(SCOPES)
    # The rotated pair works (routing survives through the grant's scopes) ...
    fresh = grant.as_credentials()
    result = run(client.collect(AccountRef(account["id"]), fresh, {}))
    assert result.points
    assert requests_to(sandbox, account, "/business/get/")
    # ... and the old refresh token is dead.
    with pytest.raises(AuthExpired) as caught:
        run(client.refresh(scoped(account)))
    assert caught.value.code == 40107


def test_business_refresh_with_a_wrong_client_secret_is_a_plain_error(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = business(sandbox)
    wrong = settings.model_copy(update={"tiktok_client_secret": SecretStr("not-the-secret")})
    with pytest.raises(ProviderError) as caught:
        run(client_for(Platform.TIKTOK, wrong).refresh(scoped(account)))
    assert type(caught.value) is ProviderError
    assert caught.value.code == 40002
    assert "not-the-secret" not in str(caught.value)


# --- WhatsApp phone numbers and conversation analytics ----------------------------------------
def test_whatsapp_phone_numbers_and_conversations_with_exact_values(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "WhatsApp", posts=2, phone_numbers=5)
    result = collect(settings, account, page_size=2)

    assert len(requests_to(sandbox, account, "/phone_numbers")) == 3
    phones = [p for p in result.points if p.object_type == "phone_number"]
    assert {p.object_id for p in phones} <= set(account["phones"])
    for phone in account["phones"]:
        tier, quality = phone_profile(7, account["id"], phone)
        got = {p.metric_type: int(p.value) for p in phones if p.object_id == phone}
        expected = {}
        if tier in MESSAGING_LIMITS:
            expected["messaging_limit"] = MESSAGING_LIMITS[tier]
        if quality in QUALITY_SCORES:
            expected["quality_score"] = QUALITY_SCORES[quality]
        assert got == expected, phone

    conversations = sorted(
        (p for p in result.points if p.metric_type == "conversations"),
        key=lambda p: p.collected_at,
    )
    assert len(conversations) == 7
    day = int(conversations[0].collected_at.timestamp())
    counts = [
        value(7, "WhatsApp", account["id"], "conversation", category, day, high=120)
        for category in ("SERVICE", "UTILITY")
    ]
    assert int(conversations[0].value) == sum(counts)
    cost = [p for p in result.points if p.metric_type == "conversation_cost"]
    assert {p.collected_at for p in cost} == {p.collected_at for p in conversations}
    first_cost = next(p for p in cost if p.collected_at == conversations[0].collected_at)
    assert float(first_cost.value) == pytest.approx(round(counts[1] * 0.008, 4))
    # The per-message pricing series is still there, apart from the conversation one.
    assert [p for p in result.points if p.metric_type == "messaging_cost"]
    assert result.unavailable == []


def test_whatsapp_refused_fields_are_unavailable_and_the_rest_arrive(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(
        sandbox,
        "WhatsApp",
        posts=1,
        phone_numbers=3,
        invalid_metrics=["quality_rating"],
        denied_metrics=["conversation_analytics", "throughput"],
    )
    result = collect(settings, account)
    assert result.unavailable == [
        "conversation_analytics",
        "phone_number:quality_rating",
        "phone_number:throughput",
    ]
    phones = {p.metric_type for p in result.points if p.object_type == "phone_number"}
    assert phones <= {"messaging_limit"}
    limits = [
        MESSAGING_LIMITS[tier]
        for phone in account["phones"]
        if (tier := phone_profile(7, account["id"], phone)[0]) in MESSAGING_LIMITS
    ]
    got = sorted(int(p.value) for p in result.points if p.metric_type == "messaging_limit")
    assert got == sorted(limits)
    assert {"messages_sent", "messaging_cost", "messages_read"} <= {
        p.metric_type for p in result.points
    }


BIZ = "/tiktok-business/open_api/v1.3"


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/business/get/", {"business_id": "someone-else"}, 40002),
        ("/business/get/", {"fields": "followers_count"}, 40002),
        ("/business/get/", {"fields": '["nope"]'}, 40002),
        ("/business/get/", {"start_date": "2026-03-02", "end_date": "03/01/2026"}, 40002),
        ("/business/get/", {"start_date": "2026-03-02", "end_date": "2026-03-01"}, 40002),
        ("/business/video/list/", {"max_count": "21"}, 40002),
        ("/business/video/list/", {"cursor": "x"}, 40002),
        ("/business/video/list/", {"filters": '{"video_ids": []}'}, 40002),
    ],
)
def test_sandbox_business_endpoints_validate_like_the_platform(
    sandbox: httpx.Client, path: str, params: dict[str, str], code: int
) -> None:
    account = business(sandbox, posts=1)
    query = {"business_id": account["id"], "fields": '["followers_count"]', **params}
    response = sandbox.get(
        f"{BIZ}{path}", params=query, headers={"Access-Token": account["access_token"]}
    )
    assert response.status_code == 200
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "request_id", "data"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", 40002),
        ({"client_id": "local-tiktok-client", "grant_type": "authorization_code"}, 40002),
    ],
)
def test_sandbox_business_refresh_rejects_bad_requests(
    sandbox: httpx.Client, settings: Settings, body: Any, code: int
) -> None:
    if isinstance(body, dict):
        body = {
            **body,
            "client_id": settings.tiktok_client_key,
            "client_secret": settings.tiktok_client_secret.get_secret_value(),
        }
        response = sandbox.post(f"{BIZ}/tt_user/oauth2/refresh_token/", json=body)
    else:
        response = sandbox.post(f"{BIZ}/tt_user/oauth2/refresh_token/", content=body)
    assert response.json()["code"] == code
