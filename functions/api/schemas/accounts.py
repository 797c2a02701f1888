"""Bodies of platform tokens, platforms, accounts with their collection runs, and
account token health."""

from __future__ import annotations

from datetime import datetime
from types import GenericAlias
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from functions.api.schemas.common import (
    AccountStatus,
    Family,
    Id,
    IsoDateTime,
    PlatformId,
    Secret,
    Str50,
    Str128,
    Str255,
    Strict,
    examples,
    from_dataclass,
)
from socialmetrics.accounts.service import TokenMetadata

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


# The token list answers the user's accounts, so the owner (the path's user) is left out.
TokenMetadataOut = from_dataclass(
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


# --- accounts and collection runs ----------------------------------------------------------------

RunOutcome = Literal["succeeded", "partial", "failed", "deferred"]
PartStatus = Literal["succeeded", "failed", "skipped", "deferred"]

RUN_EXAMPLE: Any = {
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
    model_config = ConfigDict(json_schema_extra={"examples": [RUN_EXAMPLE]})


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
                    "last_run": RUN_EXAMPLE,
                }
            ]
        }
    )


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
