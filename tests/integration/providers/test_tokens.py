"""Token refresh against the sandbox: rotation, persistence through the callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from socialmetrics.config import Settings
from socialmetrics.platforms import Platform
from socialmetrics.providers import (
    AccountRef,
    AuthExpired,
    Credentials,
    ProviderError,
    RefreshUnsupported,
    TokenGrant,
    client_for,
)
from socialmetrics.providers.facebook import FacebookClient
from tests.integration.providers.conftest import credentials, register, run

CASES = [
    ("X", {}, timedelta(hours=2), True),
    ("TikTok", {}, timedelta(hours=2), True),
    ("Instagram", {"login": "instagram"}, timedelta(days=60), False),
    ("Facebook", {"expires_in": 3600}, timedelta(days=60), False),
]


@pytest.mark.parametrize(("platform", "extra", "lifetime", "has_refresh"), CASES)
def test_refresh_persists_the_rotated_pair_before_returning_and_retires_the_old_one(
    sandbox: httpx.Client,
    settings: Settings,
    platform: str,
    extra: dict[str, Any],
    lifetime: timedelta,
    has_refresh: bool,
) -> None:
    account = register(sandbox, platform, posts=1, **extra)
    old = credentials(account)
    client = client_for(Platform(platform), settings)
    saved: list[TokenGrant] = []

    async def persist(grant: TokenGrant) -> None:
        saved.append(grant)

    before = datetime.now(UTC)
    grant = run(client.refresh(old, on_rotate=persist))

    assert saved == [grant]
    assert grant.access_token.get_secret_value() != account["access_token"]
    assert (grant.refresh_token is not None) == has_refresh
    assert grant.expires_at is not None
    assert abs(grant.expires_at - (before + lifetime)) < timedelta(minutes=1)
    assert "***" in repr(grant)
    # The new pair works ...
    result = run(client.collect(AccountRef(account["id"]), grant.as_credentials(), {}))
    assert result.points
    # ... and the old refresh credential is dead at the platform.
    with pytest.raises(AuthExpired):
        run(client.refresh(old))


def test_tiktok_grant_reads_both_expiries_and_scopes(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "TikTok")
    grant = run(client_for(Platform.TIKTOK, settings).refresh(credentials(account)))
    assert grant.refresh_expires_at is not None
    assert grant.refresh_expires_at - datetime.now(UTC) > timedelta(days=179)
    assert grant.scopes == ("user.info.basic", "user.info.stats", "video.list")


def test_x_reusing_a_rotated_refresh_token_revokes_the_chain(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "X", posts=1)
    client = client_for(Platform.X, settings)
    grant = run(client.refresh(credentials(account)))
    with pytest.raises(AuthExpired):
        run(client.refresh(credentials(account)))
    with pytest.raises(AuthExpired):
        run(client.collect(AccountRef(account["id"]), grant.as_credentials(), {}))


def test_a_failed_persist_stops_the_refresh(sandbox: httpx.Client, settings: Settings) -> None:
    account = register(sandbox, "TikTok")

    async def broken(grant: TokenGrant) -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        run(client_for(Platform.TIKTOK, settings).refresh(credentials(account), broken))


def test_whatsapp_tokens_do_not_refresh(settings: Settings) -> None:
    client = client_for(Platform.WHATSAPP, settings)
    assert client.supports_refresh is False
    with pytest.raises(RefreshUnsupported):
        run(client.refresh(Credentials(SecretStr("EAAsystemuser"))))


def test_refresh_without_a_refresh_token_is_auth_expired(settings: Settings) -> None:
    for platform in (Platform.X, Platform.TIKTOK):
        with pytest.raises(AuthExpired):
            run(client_for(platform, settings).refresh(Credentials(SecretStr("abcdef"))))


def test_instagram_token_younger_than_a_day_cannot_refresh(
    sandbox: httpx.Client, settings: Settings
) -> None:
    account = register(sandbox, "Instagram", login="instagram", token_age_seconds=60)
    with pytest.raises(ProviderError) as caught:
        run(client_for(Platform.INSTAGRAM, settings).refresh(credentials(account)))
    assert "24 hours" in str(caught.value)


def test_page_token_from_a_user_token(sandbox: httpx.Client, settings: Settings) -> None:
    account = register(sandbox, "Facebook")
    grant = run(FacebookClient(settings).page_token(credentials(account), account["id"]))
    assert grant.access_token.get_secret_value() == account["access_token"]
    assert grant.expires_at is None
