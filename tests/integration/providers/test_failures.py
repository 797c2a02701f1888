"""Failure mapping against the sandbox: 401/403/429/5xx/timeout/malformed → typed errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from socialmetrics.config import Settings
from socialmetrics.platforms import Platform
from socialmetrics.providers import (
    AccountRef,
    AuthExpired,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Transient,
    client_for,
)
from tests.integration.providers.conftest import (
    credentials,
    fault,
    register,
    requests_to,
    run,
    window_reset,
)

PLATFORMS = ["X", "Facebook", "Instagram", "WhatsApp", "TikTok"]
KINDS: list[tuple[str, type[ProviderError]]] = [
    ("token_dead", AuthExpired),
    ("forbidden", PermissionDenied),
    ("throttle", RateLimited),
    ("server_error", Transient),
    ("timeout", Transient),
    ("malformed", MalformedResponse),
]


def _collect(settings: Settings, account: dict[str, Any]) -> Any:
    client = client_for(Platform(account["platform"]), settings)
    return run(client.collect(AccountRef(account["id"]), credentials(account), {}))


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("kind", "error"), KINDS)
def test_faults_map_to_typed_errors_without_leaking_the_token(
    sandbox: httpx.Client,
    settings: Settings,
    platform: str,
    kind: str,
    error: type[ProviderError],
) -> None:
    account = register(sandbox, platform, posts=1)
    fault(sandbox, account, kind, seconds=2.0)
    with pytest.raises(error) as caught:
        _collect(settings, account)
    assert caught.value.platform == platform
    assert account["access_token"] not in str(caught.value)
    assert account["access_token"] not in repr(caught.value.args)
    calls = len(requests_to(sandbox, account, "/"))
    # Transient failures are retried up to provider_max_attempts (2); the rest are not.
    assert calls == (2 if issubclass(error, Transient) else 1)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_transient_failure_is_retried_and_the_collection_succeeds(
    sandbox: httpx.Client, settings: Settings, platform: str
) -> None:
    account = register(sandbox, platform, posts=1)
    fault(sandbox, account, "server_error", times=1)
    result = _collect(settings, account)
    assert result.points


def test_a_dead_token_stays_dead(sandbox: httpx.Client, settings: Settings) -> None:
    account = register(sandbox, "Facebook", posts=1)
    fault(sandbox, account, "token_dead", times=1)
    for _ in range(2):
        with pytest.raises(AuthExpired) as caught:
            _collect(settings, account)
        assert caught.value.code == 190


def test_x_429_reset_time_matches_the_header(sandbox: httpx.Client, settings: Settings) -> None:
    account = register(sandbox, "X", quota=1, posts=1)
    _collect(settings, account)
    with pytest.raises(RateLimited) as caught:
        _collect(settings, account)
    assert caught.value.status == 429
    assert int(caught.value.reset_at.timestamp()) == window_reset(sandbox, account)


@pytest.mark.parametrize(
    ("platform", "code"), [("Facebook", 80001), ("Instagram", 80002), ("WhatsApp", 80008)]
)
def test_meta_throttle_reset_comes_from_the_business_use_case_header(
    sandbox: httpx.Client, settings: Settings, platform: str, code: int
) -> None:
    account = register(sandbox, platform, quota=1, posts=1)
    result = _collect(settings, account)  # the first call passes, the second is throttled
    deferred = [p for p in result.parts if p.status == "deferred"]
    assert deferred[0].detail is not None
    assert f"code={code}" in deferred[0].detail
    assert result.parts[0].status == "succeeded"
    # Meta's quota is per account: every later part waits for the reset without a call.
    assert len(requests_to(sandbox, account, "/")) == 2
    reset = window_reset(sandbox, account)
    # estimated_time_to_regain_access is whole minutes, rounded up.
    assert deferred[0].retry_at is not None
    assert reset <= deferred[0].retry_at.timestamp() <= reset + 61


def test_tiktok_429_waits_out_the_one_minute_window(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "TikTok", quota=1, posts=1)
    _collect(settings, account)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        _collect(settings, account)
    after = datetime.now(UTC)
    assert caught.value.code == "rate_limit_exceeded"
    assert before + timedelta(minutes=1) <= caught.value.reset_at <= after + timedelta(minutes=1)


def test_unreachable_platform_is_transient(settings: Settings) -> None:
    dead = settings.model_copy(update={"x_api_base_url": "http://127.0.0.1:9"})
    client = client_for(Platform.X, dead)
    account = {"id": "1", "access_token": "secret-token-value", "platform": "X"}
    with pytest.raises(Transient) as caught:
        run(client.collect(AccountRef("1"), credentials(account), {}))
    assert caught.value.code == "connection"
    assert "secret-token-value" not in str(caught.value)


def test_unknown_token_is_auth_expired(sandbox: httpx.Client, settings: Settings) -> None:
    account = {"id": "1", "access_token": "not-a-registered-token", "platform": "TikTok"}
    with pytest.raises(AuthExpired):
        _collect(settings, account)
    assert time.time()  # the sandbox answered; nothing hung


def test_x_unknown_user_is_not_found(sandbox: httpx.Client, settings: Settings) -> None:
    account = register(sandbox, "X", posts=1)
    client = client_for(Platform.X, settings)
    with pytest.raises(NotFound):
        run(client.collect(AccountRef("404404"), credentials(account), {}))
