"""Lambda entry point for ``/webhooks/x``: GET CRC challenge, POST signed deliveries →
verify ``x-twitter-webhooks-signature`` → events queue."""

from __future__ import annotations

from typing import Any

from socialmetrics.webhooks.receive import handle


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, "x")
