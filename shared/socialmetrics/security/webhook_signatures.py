"""Webhook signatures as each platform computes them, compared in constant time.

- Meta (Facebook, Instagram, WhatsApp): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app
  secret, raw body)>``; Instagram-Login apps sign with the Instagram app secret.
- X: CRC ``response_token = "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))`` and
  ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, raw body)>``.
- TikTok: ``TikTok-Signature: t=<unix>,s=<hex HMAC-SHA256(client secret, f"{t}.{raw body}")>``,
  with ``t`` no further than a tolerance from now.

Every check works on the exact bytes received, never on re-serialised JSON. The ``sign_*``
helpers produce the header a platform would send (the local sandbox and sample events use them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

_PREFIX = "sha256="


class InvalidSignature(Exception):
    """The delivery is not signed by the platform; ``reason`` says why (safe to log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hmac(secret: str | bytes, message: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).digest()


def _split_prefixed(header: str | None, name: str) -> str:
    if not header:
        raise InvalidSignature(f"missing {name} header")
    value = header.strip()
    if not value.lower().startswith(_PREFIX):
        raise InvalidSignature(f"{name} is not a sha256= signature")
    return value[len(_PREFIX) :]


# --- Meta ----------------------------------------------------------------------------------


def sign_meta(secret: str | bytes, raw_body: bytes) -> str:
    return _PREFIX + _hmac(secret, raw_body).hex()


def verify_meta(raw_body: bytes, header: str | None, secrets: Iterable[str | bytes]) -> int:
    """Check ``X-Hub-Signature-256`` against each candidate secret in turn.

    Returns the index of the secret that matched; raises :class:`InvalidSignature` otherwise.
    """
    given = _split_prefixed(header, "X-Hub-Signature-256").lower().encode()
    matched = -1
    for index, secret in enumerate(secrets):
        expected = _hmac(secret, raw_body).hex().encode()
        if hmac.compare_digest(expected, given) and matched < 0:
            matched = index
    if matched < 0:
        raise InvalidSignature("X-Hub-Signature-256 does not match the body")
    return matched


# --- X -------------------------------------------------------------------------------------


def x_crc_response_token(secret: str | bytes, crc_token: str) -> str:
    return _PREFIX + base64.b64encode(_hmac(secret, crc_token.encode())).decode()


def sign_x(secret: str | bytes, raw_body: bytes) -> str:
    return _PREFIX + base64.b64encode(_hmac(secret, raw_body)).decode()


def verify_x(raw_body: bytes, header: str | None, secret: str | bytes) -> None:
    given = _split_prefixed(header, "x-twitter-webhooks-signature").encode()
    expected = base64.b64encode(_hmac(secret, raw_body))
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("x-twitter-webhooks-signature does not match the body")


# --- TikTok --------------------------------------------------------------------------------


def sign_tiktok(secret: str | bytes, raw_body: bytes, timestamp: int) -> str:
    digest = _hmac(secret, f"{timestamp}.".encode() + raw_body).hex()
    return f"t={timestamp},s={digest}"


def parse_tiktok_header(header: str | None) -> tuple[int, str]:
    """``"t=1700000000,s=ab12…"`` → ``(1700000000, "ab12…")``."""
    if not header:
        raise InvalidSignature("missing TikTok-Signature header")
    parts: dict[str, str] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts[key.strip()] = value.strip()
    timestamp, signature = parts.get("t", ""), parts.get("s", "")
    if not timestamp.isdigit() or not signature:
        raise InvalidSignature("TikTok-Signature must look like t=<unix>,s=<hex>")
    return int(timestamp), signature


def verify_tiktok(
    raw_body: bytes,
    header: str | None,
    secret: str | bytes,
    *,
    now: float,
    tolerance_seconds: int,
) -> int:
    """Check ``TikTok-Signature``; returns the signed timestamp ``t``."""
    timestamp, given = parse_tiktok_header(header)
    expected = _hmac(secret, f"{timestamp}.".encode() + raw_body).hex().encode()
    if not hmac.compare_digest(expected, given.lower().encode()):
        raise InvalidSignature("TikTok-Signature does not match the body")
    if abs(now - timestamp) > tolerance_seconds:
        raise InvalidSignature("TikTok-Signature timestamp is outside the accepted window")
    return timestamp
