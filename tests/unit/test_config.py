"""Settings: validated once, clear messages, no development secrets outside local/test."""

from __future__ import annotations

import pytest

from socialmetrics.config import ConfigurationError, load_settings


def test_malformed_database_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "definitely not a url")
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        load_settings()


@pytest.mark.parametrize(
    "url", ["mysql://root@localhost/db", "postgresql://localhost", "postgresql:///db"]
)
def test_database_url_must_be_postgres_with_host_and_name(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        load_settings()


def test_plain_postgres_url_is_given_the_pg8000_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.internal:5432/metrics")
    assert load_settings().database_url == "postgresql+pg8000://app:pw@db.internal:5432/metrics"


def test_production_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "prod")
    with pytest.raises(ConfigurationError, match="JWT_SIGNING_KEY"):
        load_settings()


def test_production_starts_with_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "prod")
    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    assert load_settings().environment == "prod"


def test_jwt_lifetime_is_capped_at_fifteen_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_TTL_SECONDS", "3600")
    with pytest.raises(ConfigurationError, match="JWT_TTL_SECONDS"):
        load_settings()


def test_production_refuses_a_short_jwt_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "prod")
    for name in (
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "X_CONSUMER_SECRET",
        "X_CLIENT_SECRET",
        "TIKTOK_CLIENT_SECRET",
        "INSTAGRAM_APP_SECRET",
    ):
        monkeypatch.setenv(name, "a-real-secret-from-the-platform")
    monkeypatch.setenv("JWT_SIGNING_KEY", "too-short")
    with pytest.raises(ConfigurationError, match="JWT_SIGNING_KEY"):
        load_settings()
    monkeypatch.setenv("JWT_SIGNING_KEY", "k" * 48)
    assert load_settings().environment == "prod"
