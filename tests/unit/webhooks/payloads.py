"""Webhook payloads and deliveries shared by the parser tests (one per platform file)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from socialmetrics.webhooks.delivery import Delivery

RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def as_delivery(provider: str, payload: object) -> Delivery:
    """``payload`` as the queue message of a delivery from ``provider``, received at RECEIVED."""
    return Delivery(provider=provider, body=json.dumps(payload), received_at=RECEIVED)  # type: ignore[arg-type]


def whatsapp(
    statuses: list[dict[str, object]], messages: list[dict[str, object]] | None = None
) -> dict[str, object]:
    if messages is None:
        messages = []
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "1555", "phone_number_id": "PN1"},
                            "statuses": statuses,
                            "messages": messages,
                        },
                    }
                ],
            }
        ],
    }
