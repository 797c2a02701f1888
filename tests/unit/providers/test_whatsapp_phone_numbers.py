"""WhatsApp phone-number and conversation-analytics parsers, and the catalogue entries of the
business and phone metrics, on hand-written reference samples (not sandbox output)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
from pydantic import SecretStr

from socialmetrics.catalog import describe, scale
from socialmetrics.platforms import Platform
from socialmetrics.providers import (
    AccountRef,
    Credentials,
)
from socialmetrics.providers.tiktok_business import (
    ACCOUNT_FIELDS,
    VIDEO_METRICS,
)
from socialmetrics.providers.whatsapp import (
    MESSAGING_LIMITS,
    PHONE_METRIC_FIELDS,
    QUALITY_SCORES,
    WhatsAppClient,
)
from tests.unit.providers.samples import Route, run, settings, transport

WABA = "102290129340398"
JAN_3 = datetime(2026, 1, 3, 6, tzinfo=UTC)
TOKEN = Credentials(SecretStr("act.waba-access-1234"), SecretStr("rft.waba-refresh-1234"))


def whatsapp(routes: httpx.MockTransport) -> WhatsAppClient:
    return WhatsAppClient(settings(), routes, clock=lambda: JAN_3)


def phone_routes(
    seen: list[httpx.Request], refuse: dict[str, Route] | None = None
) -> httpx.MockTransport:
    def routes(request: httpx.Request) -> Route | None:
        seen.append(request)
        fields = request.url.params.get("fields", "")
        if request.url.path.endswith("/phone_numbers"):
            for name, answer in (refuse or {}).items():
                if name in fields.split(","):
                    return answer
            page2 = request.url.params.get("after") == "QVFIUmx"
            return 200, "waba_phone_numbers_page2.json" if page2 else "waba_phone_numbers.json", {}
        if fields.startswith("conversation_analytics"):
            return 200, "waba_conversation_analytics.json", {}
        return None

    return transport(routes)


def test_phone_numbers_encode_tier_and_quality_across_pages() -> None:
    seen: list[httpx.Request] = []
    result = run(whatsapp(phone_routes(seen)).collect(AccountRef(WABA), TOKEN, {}))
    phones = [p for p in result.points if p.object_type == "phone_number"]
    assert {(p.object_id, p.metric_type, int(p.value), p.raw_name) for p in phones} == {
        ("106540352242922", "messaging_limit", 1000, "messaging_limit_tier"),
        ("106540352242922", "quality_score", 3, "quality_rating"),
        ("106540352242923", "quality_score", 2, "quality_rating"),  # TIER_UNLIMITED: absent
        ("106540352242924", "messaging_limit", 100_000, "messaging_limit_tier"),  # UNKNOWN
    }
    assert {p.period for p in phones} == {"snapshot"}
    assert {p.collected_at for p in phones} == {JAN_3}
    listed = [r for r in seen if r.url.path.endswith("/phone_numbers")]
    assert len(listed) == 2
    assert listed[0].url.params["fields"] == (
        "id,display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput"
    )
    assert result.unavailable == []


def test_conversation_analytics_sum_per_day_and_stay_apart_from_pricing_cost() -> None:
    seen: list[httpx.Request] = []
    result = run(whatsapp(phone_routes(seen)).collect(AccountRef(WABA), TOKEN, {}))
    daily = [
        (p.metric_type, p.value, p.collected_at, p.raw_name)
        for p in result.points
        if p.metric_type in ("conversations", "conversation_cost")
    ]
    jan_1, jan_2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    assert daily == [
        ("conversations", 20, jan_1, "conversation_analytics.conversation"),
        ("conversation_cost", Decimal("0.048"), jan_1, "conversation_analytics.cost"),
        ("conversations", 9, jan_2, "conversation_analytics.conversation"),
        ("conversation_cost", 0, jan_2, "conversation_analytics.cost"),
    ]
    assert not [p for p in result.points if p.metric_type == "messaging_cost"]
    asked = [
        r.url.params["fields"]
        for r in seen
        if r.url.params.get("fields", "").startswith("conversation_analytics")
    ]
    assert len(asked) == 1
    assert asked[0].endswith(
        '.granularity(DAILY).metric_types(["CONVERSATION","COST"])'
        '.dimensions(["CONVERSATION_CATEGORY","CONVERSATION_TYPE"])'
    )


def test_a_named_invalid_phone_field_is_dropped_and_the_rest_still_arrive() -> None:
    seen: list[httpx.Request] = []
    refuse: dict[str, Route] = {"quality_rating": (400, "graph_error_nonexisting_field.json", {})}
    result = run(whatsapp(phone_routes(seen, refuse)).collect(AccountRef(WABA), TOKEN, {}))
    assert result.unavailable == ["phone_number:quality_rating"]
    metrics = {p.metric_type for p in result.points if p.object_type == "phone_number"}
    assert metrics == {"messaging_limit"}


def test_an_unnamed_permission_refusal_splits_the_phone_fields() -> None:
    seen: list[httpx.Request] = []
    forbidden: Route = (403, {"error": {"message": "(#200) Requires permission", "code": 200}}, {})
    result = run(
        whatsapp(phone_routes(seen, {"messaging_limit_tier": forbidden})).collect(
            AccountRef(WABA), TOKEN, {}
        )
    )
    assert result.unavailable == ["phone_number:messaging_limit_tier"]
    metrics = {p.metric_type for p in result.points if p.object_type == "phone_number"}
    assert metrics == {"quality_score"}
    split = [r.url.params["fields"] for r in seen if r.url.path.endswith("/phone_numbers")]
    assert "id,display_phone_number,verified_name,quality_rating" in split


def test_refused_conversation_analytics_and_phone_edge_are_unavailable_not_fatal() -> None:
    def routes(request: httpx.Request) -> Route | None:
        fields = request.url.params.get("fields", "")
        if fields.startswith("conversation_analytics"):
            return 400, {"error": {"message": "(#100) nonexisting field", "code": 100}}, {}
        if request.url.path.endswith("/phone_numbers"):
            return 403, {"error": {"message": "(#200) Requires permission", "code": 200}}, {}
        if fields.startswith("analytics."):
            return 200, "waba_analytics.json", {}
        return None

    result = run(whatsapp(transport(routes)).collect(AccountRef(WABA), TOKEN, {}))
    assert result.unavailable == [
        "conversation_analytics",
        *sorted(f"phone_number:{f}" for f in PHONE_METRIC_FIELDS),
    ]
    assert {p.metric_type for p in result.points} == {"messages_sent", "messages_delivered"}


def test_a_throttle_on_the_phone_edge_defers_that_part_and_keeps_the_rest() -> None:
    def routes(request: httpx.Request) -> Route | None:
        if request.url.path.endswith("/phone_numbers"):
            return 400, {"error": {"message": "(#80008) Too many calls", "code": 80008}}, {}
        return None

    result = run(whatsapp(transport(routes)).collect(AccountRef(WABA), TOKEN, {}))
    parts = {p.name: p for p in result.parts}
    assert parts["phone_numbers"].status == "deferred"
    assert parts["phone_numbers"].retry_at is not None
    assert parts["account_insights"].status == "succeeded"  # what came before is kept


def test_business_and_phone_names_are_catalogued_with_units() -> None:
    for name in ACCOUNT_FIELDS:
        assert describe(Platform.TIKTOK, "account", name).metric is not None, name
    for name in VIDEO_METRICS:
        assert describe(Platform.TIKTOK, "video", name).metric is not None, name
    assert scale(Platform.TIKTOK, "video", "total_time_watched") == 1000
    assert scale(Platform.TIKTOK, "video", "average_time_watched") == 1000
    assert scale(Platform.TIKTOK, "video", "video_views") == 1
    assert describe(Platform.WHATSAPP, "phone_number", "quality_rating").metric == "quality_score"
    assert describe(Platform.WHATSAPP, "phone_number", "messaging_limit_tier").metric == (
        "messaging_limit"
    )
    assert MESSAGING_LIMITS["TIER_250"] == 250
    assert "TIER_UNLIMITED" not in MESSAGING_LIMITS
    assert QUALITY_SCORES == {"GREEN": 3, "YELLOW": 2, "RED": 1}
