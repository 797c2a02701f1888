"""JWT verification refuses alg=none, another key, expiry, another aud/iss, tampering."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr

from socialmetrics.config import get_settings
from socialmetrics.security import access_tokens
from socialmetrics.security.access_tokens import InvalidAccessToken

KEY = "unit-test-signing-key-long-enough-for-hs256-xxxxxxxx"


@pytest.fixture(autouse=True)
def signing_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JWT_SIGNING_KEY", KEY)
    monkeypatch.setenv("SECRETS_SOURCE", "env")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": "socialmetrics",
        "aud": "socialmetrics-api",
        "sub": "7",
        "role": "client",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": "abc",
        "key": 3,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_issued_token_verifies_and_lives_at_most_fifteen_minutes() -> None:
    issued = access_tokens.issue(7, "admin", 3)
    claims = access_tokens.verify(issued.access_token)
    assert (claims.user_id, claims.role, claims.key_id) == (7, "admin", 3)
    assert issued.expires_in <= 900
    payload = jwt.decode(
        issued.access_token, KEY, algorithms=["HS256"], audience="socialmetrics-api"
    )
    assert payload["exp"] - payload["iat"] <= 900
    assert set(payload) >= {"iss", "aud", "sub", "role", "iat", "exp", "jti", "key"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "token_factory",
    [
        pytest.param(
            lambda: (
                _b64(b'{"alg":"none","typ":"JWT"}')
                + "."
                + _b64(json.dumps(_claims()).encode())
                + "."
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda: jwt.encode(
                _claims(), "another-key-another-key-another-key!!", algorithm="HS256"
            ),
            id="wrong-key",
        ),
        pytest.param(
            lambda: jwt.encode(
                _claims(exp=int(datetime.now(UTC).timestamp()) - 60), KEY, algorithm="HS256"
            ),
            id="expired",
        ),
        pytest.param(
            lambda: jwt.encode(_claims(aud="someone-else"), KEY, algorithm="HS256"), id="wrong-aud"
        ),
        pytest.param(
            lambda: jwt.encode(_claims(iss="evil"), KEY, algorithm="HS256"), id="wrong-iss"
        ),
        pytest.param(lambda: jwt.encode(_claims(exp=None), KEY, algorithm="HS256"), id="no-exp"),
        pytest.param(lambda: jwt.encode(_claims(key=None), KEY, algorithm="HS256"), id="no-key-id"),
        pytest.param(
            lambda: jwt.encode(_claims(key="3"), KEY, algorithm="HS256"), id="key-id-not-int"
        ),
        pytest.param(
            lambda: jwt.encode(_claims(key=2**63), KEY, algorithm="HS256"), id="key-id-too-big"
        ),
        pytest.param(
            lambda: jwt.encode(_claims(role="root"), KEY, algorithm="HS256"), id="unknown-role"
        ),
        pytest.param(lambda: jwt.encode(_claims(), KEY, algorithm="HS512"), id="other-alg"),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused(token_factory: object) -> None:
    with pytest.raises(InvalidAccessToken):
        access_tokens.verify(token_factory())  # type: ignore[operator]


def test_tampered_payload_is_refused() -> None:
    header, _, signature = access_tokens.issue(7, "client", 3).access_token.split(".")
    forged = _b64(json.dumps(_claims(sub="1", role="admin")).encode())
    with pytest.raises(InvalidAccessToken):
        access_tokens.verify(f"{header}.{forged}.{signature}")


def test_a_short_key_from_secrets_is_refused_outside_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from socialmetrics.secrets import MissingSecret

    monkeypatch.setenv("ENVIRONMENT", "prod")
    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    get_settings.cache_clear()
    monkeypatch.setattr(
        "socialmetrics.security.access_tokens.get_secret", lambda name: SecretStr("short")
    )
    try:
        with pytest.raises(MissingSecret, match="at least 32 bytes"):
            access_tokens.issue(1, "admin", 1)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
