"""Webhook deliveries signed the way each platform signs them, for the receivers' tests.

- Meta: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``
  (plus the legacy SHA-1 ``X-Hub-Signature``);
- X: ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, raw body)>``,
  and the CRC ``response_token`` for ``GET ?crc_token=…``;
- TikTok: ``TikTok-Signature: t=<unix>,s=<hex HMAC-SHA256(client secret, f"{t}.{body}")>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


def _raw(payload: Any) -> bytes:
    if isinstance(payload, bytes):
        return payload
    # Meta escapes non-ASCII (\uXXXX) in what it signs and sends.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def meta_delivery(payload: Any, app_secret: str) -> Delivery:
    body = _raw(payload)
    sha256 = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()
    return Delivery(
        body,
        {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": f"sha256={sha256}",
            "X-Hub-Signature": f"sha1={sha1}",
        },
    )


def x_signature(body: bytes, consumer_secret: str) -> str:
    digest = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def x_delivery(payload: Any, consumer_secret: str) -> Delivery:
    body = _raw(payload)
    return Delivery(
        body,
        {
            "Content-Type": "application/json",
            "x-twitter-webhooks-signature": x_signature(body, consumer_secret),
        },
    )


def x_crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """What a receiver must answer to X's CRC check."""
    return {"response_token": x_signature(crc_token.encode(), consumer_secret)}


def tiktok_delivery(payload: Any, client_secret: str, timestamp: int | None = None) -> Delivery:
    body = _raw(payload)
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + body
    s = hmac.new(client_secret.encode(), signed, hashlib.sha256).hexdigest()
    return Delivery(body, {"Content-Type": "application/json", "TikTok-Signature": f"t={t},s={s}"})


def deliver(url: str, delivery: Delivery, timeout: float = 10.0) -> httpx.Response:
    """POST a signed delivery to a receiver, byte for byte."""
    return httpx.post(url, content=delivery.body, headers=delivery.headers, timeout=timeout)


def whatsapp_status_payload(
    waba_id: str, wamid: str, status: str, timestamp: int, phone_number_id: str = "1065000000"
) -> dict[str, Any]:
    """A ``statuses`` webhook exactly as the reference shows it."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": "15550002222",
        "pricing": {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        },
    }
    if status == "failed":
        entry["errors"] = [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message could not be delivered"},
                "href": "https://developers.facebook.com/docs/whatsapp/",
            }
        ]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": phone_number_id,
                            },
                            "statuses": [entry],
                        },
                    }
                ],
            }
        ],
    }
