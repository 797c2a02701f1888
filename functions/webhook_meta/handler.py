"""Lambda entry point for ``/webhooks/meta`` (Facebook, Instagram, WhatsApp): GET subscription
check, POST signed deliveries → verify ``X-Hub-Signature-256`` → events queue."""

from __future__ import annotations

from typing import Any

from socialmetrics.webhooks.receive import handle


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, "meta")
