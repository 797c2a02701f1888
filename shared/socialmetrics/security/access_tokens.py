"""Short-lived JWT access tokens (HS256) issued by ``POST /auth/login``.

The signing key comes from :func:`socialmetrics.secrets.get_secret` (Secrets Manager on AWS).
Verification pins the algorithm to HS256 and requires ``exp``, ``iat``, ``iss``, ``aud``,
``sub``, ``jti`` and ``key`` (the id of the API key the token was issued for: the API refuses
a token whose key has been revoked since, on its next request); anything else — ``alg=none``,
another key, expiry, another audience or issuer, a tampered payload — is
:class:`InvalidAccessToken`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from socialmetrics.config import MIN_JWT_KEY_BYTES, get_settings
from socialmetrics.secrets import MissingSecret, get_secret

ALGORITHM = "HS256"
MAX_ID = 2**63 - 1
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti", "key"]


class InvalidAccessToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    role: str
    jti: str
    expires_at: datetime
    key_id: int  # the API key it was issued for


def signing_key() -> str:
    """The HS256 key; outside local/test one shorter than 32 bytes is refused (RFC 7518)."""
    key = get_secret("jwt_signing_key").get_secret_value()
    if len(key.encode()) < MIN_JWT_KEY_BYTES and not get_settings().is_local:
        raise MissingSecret(f"jwt_signing_key must be at least {MIN_JWT_KEY_BYTES} bytes")
    return key


def issue(user_id: int, role: str, key_id: int, now: datetime | None = None) -> IssuedToken:
    settings = get_settings()
    now = now or datetime.now(UTC)
    ttl = min(settings.jwt_ttl_seconds, 900)
    payload = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "role": role,
        "key": key_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    key = signing_key()
    return IssuedToken(jwt.encode(payload, key, algorithm=ALGORITHM), ttl)


def verify(token: str) -> Claims:
    settings = get_settings()
    key = signing_key()
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
        user_id = int(payload["sub"])
        role = str(payload.get("role", ""))
        key_id = payload["key"]
        expires_at = datetime.fromtimestamp(payload["exp"], UTC)
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError):
        raise InvalidAccessToken("invalid access token") from None
    if role not in ("admin", "client") or not _is_id(key_id) or not _is_id(user_id):
        raise InvalidAccessToken("invalid access token")
    return Claims(user_id, role, str(payload["jti"]), expires_at, key_id)


def _is_id(value: object) -> bool:
    """A database id (bigint) — anything else would fail the lookup, not just miss it."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
