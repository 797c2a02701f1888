"""Request and response bodies (with OpenAPI examples). Inputs are strict: wrong types,
unknown fields and NUL characters are 422, never coerced and never a 500."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import GenericAlias
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    create_model,
    model_validator,
)

from socialmetrics.accounts.service import TokenMetadata
from socialmetrics.compliance.consent import ConsentEntry
from socialmetrics.metrics_query.fields import METRIC_FIELDS, SUMMARY_FIELDS, example
from socialmetrics.metrics_query.fields import Field as RowField

MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _secret_no_nul(value: SecretStr) -> SecretStr:
    _no_nul(value.get_secret_value())
    return value


_NoNul = AfterValidator(_no_nul)
Str32 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), _NoNul
]
Str50 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), _NoNul
]
Str128 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), _NoNul
]
Str255 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), _NoNul
]


Secret = Annotated[SecretStr, Field(min_length=1, max_length=8192), AfterValidator(_secret_no_nul)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=320, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
    ),
]


def _aware_instant(value: object) -> object:
    """An ISO 8601 string or a datetime, never a number (JSON has no datetime type, so the
    strict models take times as strings)."""
    if not isinstance(value, (str, datetime)):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def _storable(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a timezone")
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    return value


# A date-time in a strict model: an ISO 8601 string with an offset, within years 1-9999 in UTC.
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_aware_instant),
    Field(strict=False),
    AfterValidator(_storable),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PlatformId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Role = Literal["admin", "client"]
Purpose = Literal["metrics_collection", "analytics", "marketing"]
Family = Literal["x", "meta", "tiktok"]
AccountStatus = Literal["active", "reauth_required", "not_found", "revoked"]


def examples(*values: dict[str, Any]) -> dict[str, Any]:
    """``json_schema_extra`` giving a schema its OpenAPI ``examples``."""
    return {"examples": list(values)}


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ProblemField(BaseModel):
    loc: list[str] = Field(description="Where the invalid value is: [source, name, …]")
    msg: str
    model_config = ConfigDict(
        json_schema_extra=examples({"loc": ["query", "limit"], "msg": "at most 1000"})
    )


class Problem(BaseModel):
    """An RFC 9457 problem detail (``application/problem+json``); extension members such as
    ``errors`` (422) or ``checks`` (health) may be present."""

    type: str = Field(
        default="about:blank",
        description="A URI naming the kind of problem",
        json_schema_extra={"format": "uri-reference"},
    )
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = Field(default=None, description="The request path")
    request_id: str | None = Field(default=None, description="Same as the X-Request-Id header")
    errors: list[ProblemField] | None = Field(
        default=None, description="422 only: each invalid input"
    )
    model_config = ConfigDict(
        extra="allow",
        title="Problem",
        json_schema_extra=examples(
            {
                "type": "https://socialmetrics.dev/problems/invalid-input",
                "title": "Invalid input",
                "status": 422,
                "detail": "limit must be at most 1000.",
                "instance": "/metrics/",
                "request_id": "5f0c2a9e-7d1b-4f7e-9a51-0c2d6b8e4a13",
                "errors": [{"loc": ["query", "limit"], "msg": "at most 1000"}],
            }
        ),
    )


class Message(BaseModel):
    message: str
    model_config = ConfigDict(json_schema_extra=examples({"message": "Consent recorded"}))


class HealthOut(BaseModel):
    status: Literal["ok", "ready"]
    database: Literal["reachable"]
    aws: Literal["reachable"] | None = None
    model_config = ConfigDict(json_schema_extra=examples({"status": "ok", "database": "reachable"}))


# --- auth ----------------------------------------------------------------------------------------


class LoginIn(Strict):
    api_key: Annotated[SecretStr, Field(min_length=1, max_length=256)]
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"api_key": "sm_live_ab12cd34_…"}]},
    )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"access_token": "eyJhbGciOi…", "token_type": "bearer", "expires_in": 900}]
        }
    )


# --- users ---------------------------------------------------------------------------------------


class UserCreateIn(Strict):
    name: Str255
    email: Email
    role: Role = "client"
    platform_user_id: Str255 | None = None
    access_token: Secret | None = None
    refresh_token: Secret | None = None
    platform_id: PlatformId | None = None
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "João Silva",
                    "email": "joao@exemplo.com",
                    "platform_user_id": "123456789",
                    "access_token": "abc123xyz",
                    "platform_id": 3,
                }
            ]
        },
    )


class UserCreatedOut(BaseModel):
    user_id: int
    name: str
    email: str
    api_key: str = Field(description="The user's API key. Shown once; store it now.")
    warnings: list[str] | None = None
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": 1,
                    "name": "João Silva",
                    "email": "joao@exemplo.com",
                    "api_key": "sm_live_ab12cd34_…",
                }
            ]
        }
    )


class UserOut(BaseModel):
    user_id: int
    name: str
    email: str
    role: Role
    created_at: datetime
    updated_at: datetime
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "user_id": 1,
                "name": "João Silva",
                "email": "joao@exemplo.com",
                "role": "client",
                "created_at": "2025-01-02T10:00:00Z",
                "updated_at": "2025-01-02T10:00:00Z",
            }
        )
    )


class UserPut(Strict):
    name: Str255
    email: Email
    role: Role | None = None
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra=examples({"name": "João Silva", "email": "joao@exemplo.com"}),
    )


class UserPatch(Strict):
    name: Str255 | None = None
    email: Email | None = None
    role: Role | None = None
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra=examples({"name": "João P. Silva"})
    )

    @model_validator(mode="after")
    def _something(self) -> UserPatch:
        if self.name is None and self.email is None and self.role is None:
            raise ValueError("give at least one of name, email, role")
        return self


# --- tokens --------------------------------------------------------------------------------------


class RegisterTokenIn(Strict):
    platform_user_id: Str255
    access_token: Secret
    platform_id: PlatformId
    refresh_token: Secret | None = None
    expires_in: Annotated[int, Field(ge=1, le=10 * 365 * 86_400)] | None = None
    expires_at: IsoDateTime | None = None
    refresh_expires_in: Annotated[int, Field(ge=1, le=10 * 365 * 86_400)] | None = None
    scopes: Annotated[list[Str128], Field(max_length=64)] | None = None
    user_id: Id | None = Field(default=None, description="Admins only: whose account this is.")
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"platform_user_id": "123456789", "access_token": "abc123xyz", "platform_id": 3}
            ]
        },
    )

    @model_validator(mode="after")
    def _one_expiry(self) -> RegisterTokenIn:
        if self.expires_in is not None and self.expires_at is not None:
            raise ValueError("give expires_in or expires_at, not both")
        return self


def _from_dataclass(
    name: str,
    source: type,
    *,
    example: dict[str, Any],
    exclude: tuple[str, ...] = (),
    narrow: dict[str, Any] | None = None,
) -> type[BaseModel]:
    """A response model with the fields of the domain dataclass ``source`` (minus ``exclude``;
    ``narrow`` gives a field a tighter API type, e.g. a ``Literal``): the domain type stays the
    one list of the fields."""
    hints = {**get_type_hints(source), **(narrow or {})}
    fields: dict[str, Any] = {
        f.name: (hints[f.name], ...) for f in dataclasses.fields(source) if f.name not in exclude
    }
    config = ConfigDict(json_schema_extra=examples(example))
    return create_model(name, __config__=config, __module__=__name__, **fields)


# The token list answers the user's accounts, so the owner (the path's user) is left out.
TokenMetadataOut = _from_dataclass(
    "TokenMetadataOut",
    TokenMetadata,
    exclude=("user_id",),
    narrow={"status": AccountStatus},
    example={
        "account_id": 7,
        "platform_id": 3,
        "platform": "Instagram",
        "platform_user_id": "123456789",
        "status": "active",
        "status_reason": None,
        "expires_at": "2025-03-03T10:00:00Z",
        "refresh_expires_at": None,
        "scopes": ["instagram_basic", "instagram_manage_insights"],
        "has_refresh_token": False,
        "last_collected_at": "2025-01-02T10:00:00Z",
        "next_collect_at": "2025-01-02T10:15:00Z",
        "key_version": 1,
        "created_at": "2025-01-01T09:00:00Z",
        "updated_at": "2025-01-02T10:00:00Z",
    },
)
TokenMetadataList = GenericAlias(list, (TokenMetadataOut,))


# --- platforms -----------------------------------------------------------------------------------


class PlatformIn(Strict):
    name: Str50
    family: Family | None = None
    api_key: Secret | None = None
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Threads", "family": "meta", "api_key": "…"}]},
    )


class PlatformUpdate(Strict):
    name: Str50 | None = None
    family: Family | None = None
    api_key: Secret | None = None
    clear_api_key: bool = False
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra=examples({"clear_api_key": True})
    )


class PlatformOut(BaseModel):
    platform_id: int
    name: str
    family: Family
    has_api_key: bool
    created_at: datetime
    updated_at: datetime
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "platform_id": 3,
                "name": "Instagram",
                "family": "meta",
                "has_api_key": True,
                "created_at": "2025-01-01T09:00:00Z",
                "updated_at": "2025-01-01T09:00:00Z",
            }
        )
    )


# --- metrics -------------------------------------------------------------------------------------


# ``number``: a JSON number, or the exact decimal as a string where a number cannot carry it
# (beyond the double range, integers beyond 2^53: ``fields.json_number``).
_KIND_TYPES: dict[str, Any] = {
    "id": int,
    "count": int,
    "number": float | str,
    "time": datetime,
    "code": str,
    "text": str,
}


def _field_type(f: RowField) -> Any:
    """A field's Python type: a ``Literal`` of its values when they are a closed set (an enum in
    OpenAPI), else by kind (``time`` → ``datetime``, a ``date-time``); ``| None`` if nullable."""
    base: Any = Literal[f.choices] if f.choices else _KIND_TYPES[f.kind]
    return base | None if f.nullable else base


def model_of(name: str, fields: tuple[RowField, ...], doc: str) -> type[BaseModel]:
    """A response model built from a row's field spec (``socialmetrics.metrics_query.fields``):
    the OpenAPI schema lists the same fields, in the same order, as the JSON and CSV."""
    definitions: dict[str, Any] = {
        f.name: (_field_type(f), Field(description=f.description)) for f in fields
    }
    return create_model(
        name,
        __config__=ConfigDict(json_schema_extra={"examples": [example(fields)]}),
        __doc__=doc,
        **definitions,
    )


MetricOut = model_of("MetricOut", METRIC_FIELDS, "One metric value of one platform account.")
SummaryOut = model_of(
    "SummaryOut",
    SUMMARY_FIELDS,
    "One bucket of one series: never across accounts, object types or periods.",
)
# ``list[MetricOut]`` for FastAPI; spelled as a GenericAlias since the models are built at import.
MetricList = GenericAlias(list, (MetricOut,))
SummaryList = GenericAlias(list, (SummaryOut,))


# --- consent -------------------------------------------------------------------------------------


class ConsentIn(Strict):
    user_id: Id
    consent_given: bool
    purpose: Purpose = "metrics_collection"
    policy_version: Str32 = "1"
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"user_id": 1, "consent_given": True}]},
    )


ConsentOut = _from_dataclass(
    "ConsentOut",
    ConsentEntry,
    narrow={"purpose": Purpose},
    example={
        "consent_id": 1,
        "user_id": 1,
        "purpose": "metrics_collection",
        "consent_given": True,
        "policy_version": "1",
        "recorded_at": "2025-01-02T10:00:00Z",
        "recorded_by": 1,
    },
)
ConsentList = GenericAlias(list, (ConsentOut,))


class UserExportOut(BaseModel):
    """Everything held about a user (LGPD access right); tokens appear as metadata only."""

    exported_at: datetime
    user: UserOut
    api_keys: list[dict[str, Any]] = Field(description="Prefix, label and dates; never the key")
    tokens: list[dict[str, Any]] = Field(description="Token metadata; never a token")
    consents: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    metrics: list[MetricOut]  # type: ignore[valid-type]  # built from the field spec
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "exported_at": "2025-01-03T12:00:00Z",
                "user": {
                    "user_id": 1,
                    "name": "João Silva",
                    "email": "joao@exemplo.com",
                    "role": "client",
                    "created_at": "2025-01-02T10:00:00Z",
                    "updated_at": "2025-01-02T10:00:00Z",
                },
                "api_keys": [{"prefix": "ab12cd34", "created_at": "2025-01-02T10:00:00Z"}],
                "tokens": [{"account_id": 7, "platform": "Instagram", "status": "active"}],
                "consents": [{"purpose": "metrics_collection", "consent_given": True}],
                "audit": [{"action": "user.export", "occurred_at": "2025-01-03T12:00:00Z"}],
                "metrics": [],
            }
        )
    )


# --- accounts and collection runs ----------------------------------------------------------------

RunOutcome = Literal["succeeded", "partial", "failed", "deferred"]
PartStatus = Literal["succeeded", "failed", "skipped", "deferred"]

_RUN_EXAMPLE: Any = {
    "id": 42,
    "started_at": "2026-03-02T06:00:01Z",
    "finished_at": "2026-03-02T06:00:03Z",
    "outcome": "partial",
    "points_written": 61,
    "parts": [
        {"name": "account_fields", "status": "succeeded", "detail": None, "retry_at": None},
        {
            "name": "posts",
            "status": "deferred",
            "detail": "rate limited: X: Too Many Requests (status=429, code=rate-limit-exceeded)",
            "retry_at": "2026-03-02T06:15:00Z",
        },
        {
            "name": "reel_insights.profile_visits",
            "status": "skipped",
            "detail": "refused by the platform (not valid for this object, or not permitted)",
            "retry_at": None,
        },
    ],
}


class PartOut(BaseModel):
    """One part of a collection: an endpoint or metric family, and how it went."""

    name: str = Field(description="e.g. account_fields, account_insights, posts, templates")
    status: PartStatus
    detail: str | None = Field(description="Why it failed, was skipped or deferred")
    retry_at: datetime | None = Field(description="When a deferred part may run again")
    model_config = ConfigDict(
        json_schema_extra=examples(
            {"name": "posts", "status": "deferred", "detail": "rate limited", "retry_at": None}
        )
    )


class RunOut(BaseModel):
    """One collection of one account with the outcome of each part."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    points_written: int
    parts: list[PartOut]
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE]})


class BackfillOut(BaseModel):
    complete: bool = Field(description="History walked back to the platform's horizon")
    oldest_reached: datetime | None = Field(description="The oldest moment collected so far")
    model_config = ConfigDict(
        json_schema_extra=examples({"complete": False, "oldest_reached": "2025-06-01T00:00:00Z"})
    )


class AccountOut(BaseModel):
    """A connected platform account: its status, schedule, backfill and last run."""

    id: int
    user_id: int
    platform: str
    platform_user_id: str
    status: AccountStatus
    status_reason: str | None
    paused_until: datetime | None = Field(description="Rate-limit pause, if any")
    token_expires_at: datetime | None
    refresh_expires_at: datetime | None
    last_success_at: datetime | None
    next_collect_at: datetime
    backfill: BackfillOut
    last_run: RunOut | None
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "user_id": 3,
                    "platform": "X",
                    "platform_user_id": "2244994945",
                    "status": "active",
                    "status_reason": None,
                    "paused_until": None,
                    "token_expires_at": "2026-03-02T08:00:00Z",
                    "refresh_expires_at": None,
                    "last_success_at": "2026-03-02T06:00:03Z",
                    "next_collect_at": "2026-03-02T06:15:00Z",
                    "backfill": {"complete": False, "oldest_reached": "2025-06-11T00:00:00Z"},
                    "last_run": _RUN_EXAMPLE,
                }
            ]
        }
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
    str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2048), _NoNul
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
                    "id": 7,
                    "user_id": 3,
                    "platform": "X",
                    "platform_user_id": "2244994945",
                    "status": "active",
                    "status_reason": None,
                    "paused_until": None,
                    "token_expires_at": "2026-03-02T08:00:00Z",
                    "refresh_expires_at": None,
                    "last_success_at": "2026-03-02T06:00:03Z",
                    "next_collect_at": "2026-03-02T06:15:00Z",
                    "backfill": {"complete": False, "oldest_reached": "2025-06-11T00:00:00Z"},
                    "last_run": _RUN_EXAMPLE,
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


class DeliveryPage(BaseModel):
    data: list[WebhookDeliveryOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")
    model_config = ConfigDict(json_schema_extra=examples({"data": [], "next_before": None}))


class AccountHealthOut(BaseModel):
    account_id: int
    user_id: int
    platform: str
    platform_user_id: str
    status: str = Field(description="active | reauth_required | not_found | revoked")
    status_reason: str | None
    token_expires_at: datetime | None
    refresh_expires_at: datetime | None
    last_refresh_at: datetime | None
    last_success_at: datetime | None = Field(description="Last successful collection")
    next_due_at: datetime
    quota: dict[str, Any] | None = Field(description="The platform's last quota snapshot")
    paused_until: datetime | None = Field(
        description="Collection waits for the quota reset until then (null: not paused)"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": 7,
                    "user_id": 3,
                    "platform": "TikTok",
                    "platform_user_id": "tt-1234",
                    "status": "active",
                    "status_reason": None,
                    "token_expires_at": "2026-11-30T18:00:00Z",
                    "refresh_expires_at": "2027-05-29T16:00:00Z",
                    "last_refresh_at": "2026-11-30T16:00:00Z",
                    "last_success_at": "2026-11-30T16:00:04Z",
                    "next_due_at": "2026-12-01T16:00:00Z",
                    "quota": {
                        "platform": "TikTok",
                        "limit": 600,
                        "remaining": 12,
                        "used_pct": 98.0,
                        "reset_at": "2026-11-30T16:01:00Z",
                    },
                    "paused_until": "2026-11-30T16:01:00Z",
                }
            ]
        }
    )


class AccountHealthPage(BaseModel):
    data: list[AccountHealthOut]
    next_after: int | None = Field(description="Pass as `after` for the next page")
    model_config = ConfigDict(json_schema_extra=examples({"data": [], "next_after": None}))


class UsageOut(BaseModel):
    user_id: int
    platform: str
    day: str = Field(description="UTC day (YYYY-MM-DD)")
    calls: int = Field(description="Platform API requests made for this tenant")
    post_reads: int = Field(description="X: posts read, each billed once per UTC day")
    user_reads: int = Field(description="X: users read, each billed once per UTC day")
    estimated_cost_usd: str = Field(description="From the configured X price table")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": 3,
                    "platform": "X",
                    "day": "2026-11-30",
                    "calls": 4,
                    "post_reads": 25,
                    "user_reads": 1,
                    "estimated_cost_usd": "0.1350",
                }
            ]
        }
    )


class UsageReport(BaseModel):
    data: list[UsageOut]
    x_monthly_budget_usd: str | None = Field(description="The caller's budget (clients only)")
    model_config = ConfigDict(
        json_schema_extra=examples({"data": [], "x_monthly_budget_usd": "50.00"})
    )


class BudgetIn(Strict):
    user_id: Id
    x_monthly_budget_usd: Annotated[float, Field(ge=0, le=1_000_000)] | None

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"user_id": 3, "x_monthly_budget_usd": 50.0}]},
    )
