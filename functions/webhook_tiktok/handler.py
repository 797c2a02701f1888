"""Lambda entry point for ``/webhooks/tiktok``: POST signed deliveries → verify
``TikTok-Signature`` (and its timestamp) → events queue."""

from __future__ import annotations

from typing import Any

from socialmetrics.webhooks.receive import handle


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, "tiktok")
