"""Rate-limit header parsing and the error tree (no I/O)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from socialmetrics.providers import errors
from socialmetrics.providers.meta import meta_error
from socialmetrics.providers.rate_limits import (
    META_DEFAULT_BACKOFF,
    UsageSnapshot,
    meta_reset_at,
    meta_usage,
    retry_after,
    tightest,
    x_usage,
)
from tests.unit.providers.samples import sample

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_x_headers_give_limit_remaining_and_epoch_reset() -> None:
    snapshot = x_usage(
        {
            "x-rate-limit-limit": "900",
            "x-rate-limit-remaining": "225",
            "x-rate-limit-reset": "1767270600",
        },
        NOW,
    )
    assert snapshot is not None
    assert (snapshot.limit, snapshot.remaining, snapshot.used_pct) == (900, 225, 75.0)
    assert snapshot.reset_at == datetime.fromtimestamp(1767270600, UTC)
    assert snapshot.pressure == 0.75
    assert x_usage({}, NOW) is None


def test_meta_business_use_case_header_gives_percent_and_regain_minutes() -> None:
    headers = {
        "x-business-use-case-usage": json.dumps(sample("graph_buc_header.json")),
        "x-app-usage": '{"call_count":28,"total_cputime":12,"total_time":15}',
    }
    snapshot = meta_usage(headers, NOW, "Facebook")
    assert snapshot is not None
    assert snapshot.used_pct == 95
    assert snapshot.reset_at == NOW + timedelta(minutes=7)
    assert meta_reset_at(headers, NOW, "Facebook") == NOW + timedelta(minutes=7)
    assert meta_reset_at({"x-app-usage": "not json"}, NOW, "Facebook") == (
        NOW + META_DEFAULT_BACKOFF
    )
    assert meta_usage({}, NOW, "Facebook") is None


def test_retry_after_and_tightest() -> None:
    assert retry_after({"retry-after": "30"}, NOW) == NOW + timedelta(seconds=30)
    assert retry_after({"retry-after": "soon"}, NOW) is None
    low = UsageSnapshot("X", NOW, used_pct=10)
    high = UsageSnapshot("X", NOW, used_pct=80)
    assert tightest([low, high, low]) is high
    assert tightest([]) is None


@pytest.mark.parametrize(
    ("status", "code", "subcode", "message", "kind"),
    [
        (400, 190, 463, "Error validating access token", errors.AuthExpired),
        (403, 10, None, "(#10) Permission denied", errors.PermissionDenied),
        (403, 200, None, "(#200) Requires permission", errors.PermissionDenied),
        (400, 4, None, "Application request limit reached", errors.RateLimited),
        (400, 17, None, "User request limit reached", errors.RateLimited),
        (400, 32, None, "Page request limit reached", errors.RateLimited),
        (400, 613, None, "Calls exceed the rate", errors.RateLimited),
        (400, 80001, None, "Too many calls to this Page", errors.RateLimited),
        (400, 80006, None, "Messenger", errors.RateLimited),
        (
            400,
            100,
            None,
            "(#100) The value must be a valid insights metric",
            errors.MetricUnavailable,
        ),
        (400, 100, 33, "Unsupported get request", errors.NotFound),
        (500, 1, None, "An unknown error has occurred.", errors.Transient),
        (400, 2, None, "Service temporarily unavailable", errors.Transient),
        (400, 100, None, "(#100) Invalid parameter", errors.ProviderError),
    ],
)
def test_graph_codes_map_to_the_tree(
    status: int, code: int, subcode: int | None, message: str, kind: type[errors.ProviderError]
) -> None:
    payload = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_subcode": subcode,
            "fbtrace_id": "x",
        }
    }
    mapped = meta_error("Facebook", status, payload, httpx.Headers(), NOW)
    assert type(mapped) is kind
    assert mapped.code == code


def test_graph_error_sample_and_non_errors() -> None:
    mapped = meta_error("Facebook", 400, sample("graph_error_190.json"), httpx.Headers(), NOW)
    assert isinstance(mapped, errors.AuthExpired)
    assert meta_error("Facebook", 200, {"data": []}, httpx.Headers(), NOW) is None


def test_scrub_masks_known_secrets_and_token_parameters() -> None:
    text = (
        "GET /oauth?fb_exchange_token=EAAabc123&client_secret=s3cr3t failed for "
        "sekret-token-value; Authorization: Bearer abcdefghijk"
    )
    cleaned = errors.scrub(text, ["sekret-token-value"])
    for secret in ("EAAabc123", "s3cr3t", "sekret-token-value", "abcdefghijk"):
        assert secret not in cleaned
    error = errors.RateLimited("slow down", reset_at=NOW, platform="X", status=429, code=88)
    assert str(error) == "X: slow down (status=429, code=88)"
    assert errors.MalformedResponse("bad").retryable
    assert not errors.AuthExpired("dead").retryable
