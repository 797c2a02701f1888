"""Standard Webhooks signing: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">``, space-separated when several
secrets sign during a rotation overlap). Secrets are ``whsec_`` + base64 of 32 random bytes;
the HMAC key is the decoded bytes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

PREFIX = "whsec_"
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The signature, timestamp or headers of a delivery do not verify."""


def new_secret() -> SecretStr:
    return SecretStr(PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode())


def _key(secret: SecretStr | str) -> bytes:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return base64.b64decode(value.removeprefix(PREFIX))


def sign(secret: SecretStr | str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<signature>`` for one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    signing_secrets: Iterable[SecretStr], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers (plus the content type)."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, message_id, timestamp, body) for secret in signing_secrets
        ),
    }


def verify(
    secret: SecretStr | str,
    received: Mapping[str, str],
    body: bytes,
    now: int,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> str:
    """Verify a delivery as a receiver does; returns its ``webhook-id`` (the replay key)."""
    lowered = {k.lower(): v for k, v in received.items()}
    message_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    if not message_id or not stamp.isdigit():
        raise InvalidSignature("missing webhook-id or webhook-timestamp")
    if abs(now - int(stamp)) > tolerance_seconds:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = sign(secret, message_id, int(stamp), body)
    for candidate in lowered.get("webhook-signature", "").split():
        if hmac.compare_digest(candidate, expected):
            return message_id
    raise InvalidSignature("no signature matches")
