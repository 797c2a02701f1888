"""Bodies of rejected inbound webhook entries and of outbound webhook endpoints and
deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from functions.api.schemas.common import (
    NoNul,
    Str255,
    Strict,
    examples,
)

# --- webhook rejections --------------------------------------------------------------------------


class WebhookRejectionOut(BaseModel):
    """A webhook entry ingest refused (ids and the reason only, never the entry's content)."""

    rejection_id: int
    provider: Literal["meta", "x", "tiktok"]
    platform: str | None
    entry_index: int = Field(description="The entry's position in its delivery (from 0)")
    entry_id: str | None = Field(description="The platform's id for the entry, if it had one")
    entry_digest: str = Field(description="SHA-256 of the entry's JSON")
    reason: str = Field(
        description="id_too_long, time_out_of_range, value_out_of_range, too_old, "
        "in_the_future, unparseable or refused_by_database"
    )
    detail: str
    request_id: str | None
    received_at: datetime
    rejected_at: datetime
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "rejection_id": 5,
                "provider": "meta",
                "platform": "Instagram",
                "entry_index": 0,
                "entry_id": "17841400000000001",
                "entry_digest": "9f2c4e1b" * 8,
                "reason": "time_out_of_range",
                "detail": "time is outside the accepted range",
                "request_id": "Lk3vQhTRoAMEbXw=",
                "received_at": "2026-11-30T16:00:00Z",
                "rejected_at": "2026-11-30T16:00:01Z",
            }
        )
    )


# --- outbound webhooks (signals) -------------------------------------------------------------

EventType = Literal[
    "account.reauth_required",
    "account.not_found",
    "account.token_expiring",
    "collection.completed",
    "collection.part_failed",
    "metric.deprecated",
    "consent.withdrawn",
    "export.ready",
    "usage.budget_paused",
    "webhook_endpoint.disabled",
]
WebhookUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2048), NoNul
]


class WebhookEndpointIn(Strict):
    url: WebhookUrl
    event_types: list[EventType] = Field(default_factory=list, max_length=20)
    description: Str255 | None = None

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/socialmetrics",
                    "event_types": ["account.reauth_required", "account.token_expiring"],
                    "description": "Ops alerts",
                }
            ]
        },
    )


_ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "url": "https://hooks.example.com/socialmetrics",
    "description": "Ops alerts",
    "event_types": ["account.reauth_required", "account.token_expiring"],
    "created_at": "2026-11-30T16:00:00Z",
    "disabled_at": None,
    "disabled_reason": None,
    "consecutive_failures": 0,
    "previous_secret_expires_at": None,
}


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    description: str | None
    event_types: list[str] = Field(description="Subscribed types; empty = every type")
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    consecutive_failures: int
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="Until then the previous secret also signs (rotation overlap)"
    )

    model_config = ConfigDict(json_schema_extra={"examples": [_ENDPOINT_EXAMPLE]})


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="The signing secret: shown once, store it now")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_ENDPOINT_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]
        }
    )


class WebhookSecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret: shown once")
    previous_secret_expires_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                    "previous_secret_expires_at": "2026-12-01T16:00:00Z",
                }
            ]
        }
    )


class DeliveryAttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "attempt": 1,
                "attempted_at": "2026-11-30T16:00:00Z",
                "status_code": 500,
                "latency_ms": 84,
                "error": "HTTP 500",
            }
        )
    )


class WebhookDeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "dead"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    attempt_log: list[DeliveryAttemptOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "event_id": "evt_5f0c6c1b9d8e4a7f8a1b2c3d4e5f6a7b",
                    "event_type": "account.reauth_required",
                    "status": "pending",
                    "attempts": 1,
                    "next_attempt_at": "2026-11-30T16:00:05Z",
                    "last_status_code": 500,
                    "last_latency_ms": 84,
                    "last_error": "HTTP 500",
                    "created_at": "2026-11-30T16:00:00Z",
                    "attempt_log": [
                        {
                            "attempt": 1,
                            "attempted_at": "2026-11-30T16:00:00Z",
                            "status_code": 500,
                            "latency_ms": 84,
                            "error": "HTTP 500",
                        }
                    ],
                }
            ]
        }
    )
