"""The queue message between a webhook receiver and ingest: one verified delivery.

The SQS body is a small JSON envelope around the exact raw body the platform signed, so a
message read from the queue (or the DLQ) is self-describing::

    {"v": 1, "provider": "meta", "received_at": "2026-01-01T00:00:00+00:00",
     "request_id": "…", "headers": {"content-type": "application/json", …},
     "body": "<the raw body, verbatim>"}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, cast

Provider = Literal["meta", "x", "tiktok"]
PROVIDERS: tuple[Provider, ...] = ("meta", "x", "tiktok")
VERSION = 1


MAX_INT_DIGITS = 4000  # below Python's default int-parsing limit (4300 digits)


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text) <= MAX_INT_DIGITS else Decimal(text)


class PoisonMessage(ValueError):
    """A queue message that can never be applied (bad envelope, bad JSON, unknown provider)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    provider: Provider
    body: str
    received_at: datetime
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_message(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                "provider": self.provider,
                "received_at": self.received_at.isoformat(),
                "request_id": self.request_id,
                "headers": self.headers,
                "body": self.body,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_message(cls, message: str) -> Delivery:
        try:
            envelope = json.loads(message)
        except ValueError as exc:
            raise PoisonMessage(f"queue message is not JSON: {exc}") from None
        if not isinstance(envelope, dict):
            raise PoisonMessage("queue message is not a JSON object")
        provider = envelope.get("provider")
        if provider not in PROVIDERS:
            raise PoisonMessage(f"unknown webhook provider {provider!r}")
        body, received = envelope.get("body"), envelope.get("received_at")
        if not isinstance(body, str) or not isinstance(received, str):
            raise PoisonMessage("queue message lacks body or received_at")
        try:
            received_at = datetime.fromisoformat(received)
        except ValueError:
            raise PoisonMessage(f"received_at {received!r} is not ISO 8601") from None
        if received_at.tzinfo is None:
            raise PoisonMessage("received_at must carry a time zone")
        headers = envelope.get("headers")
        headers = {} if headers is None else headers
        if not isinstance(headers, dict):
            raise PoisonMessage("headers must be an object")
        request_id = envelope.get("request_id")
        return cls(
            provider=cast(Provider, provider),
            body=body,
            received_at=received_at,
            request_id=str(request_id) if request_id is not None else None,
            headers={str(k): str(v) for k, v in headers.items()},
        )

    def json_body(self) -> dict[str, Any]:
        """The platform's payload, parsed; a body that is not a JSON object is poison.

        Numbers with a fraction or exponent are read as exact :class:`~decimal.Decimal` (never
        an infinite float), and integers too long for Python's int parser as ``Decimal`` as
        well, so one oversized number fails its own entry, not the whole delivery.
        """
        try:
            payload = json.loads(self.body, parse_float=Decimal, parse_int=_integer)
        except ValueError as exc:
            raise PoisonMessage(f"{self.provider} delivery is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise PoisonMessage(f"{self.provider} delivery is not a JSON object")
        return payload
