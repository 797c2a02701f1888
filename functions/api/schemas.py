"""Request and response bodies (with OpenAPI examples). Inputs are strict: wrong types,
unknown fields and NUL characters are 422, never coerced and never a 500."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from types import GenericAlias
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
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
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PlatformId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Role = Literal["admin", "client"]
Purpose = Literal["metrics_collection", "analytics", "marketing"]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None


class Message(BaseModel):
    message: str


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


class UserPut(Strict):
    name: Str255
    email: Email
    role: Role | None = None


class UserPatch(Strict):
    name: Str255 | None = None
    email: Email | None = None
    role: Role | None = None

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
    expires_at: datetime | None = None
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
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must carry a timezone")
        return self


def _from_dataclass(name: str, source: type, exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    """A response model with the fields of the domain dataclass ``source`` (minus
    ``exclude``): the domain type stays the one list of the fields."""
    hints = get_type_hints(source)
    fields: dict[str, Any] = {
        f.name: (hints[f.name], ...) for f in dataclasses.fields(source) if f.name not in exclude
    }
    return create_model(name, __module__=__name__, **fields)


# The token list answers the user's accounts, so the owner (the path's user) is left out.
TokenMetadataOut = _from_dataclass("TokenMetadataOut", TokenMetadata, exclude=("user_id",))
TokenMetadataList = GenericAlias(list, (TokenMetadataOut,))


# --- platforms -----------------------------------------------------------------------------------


class PlatformIn(Strict):
    name: Str50
    family: Literal["x", "meta", "tiktok"] | None = None
    api_key: Secret | None = None
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Threads", "family": "meta", "api_key": "…"}]},
    )


class PlatformUpdate(Strict):
    name: Str50 | None = None
    family: Literal["x", "meta", "tiktok"] | None = None
    api_key: Secret | None = None
    clear_api_key: bool = False


class PlatformOut(BaseModel):
    platform_id: int
    name: str
    family: str
    has_api_key: bool
    created_at: datetime
    updated_at: datetime


# --- metrics -------------------------------------------------------------------------------------


_KIND_TYPES: dict[str, type] = {
    "id": int,
    "count": int,
    "number": float,
    "time": datetime,
    "code": str,
    "text": str,
}


def model_of(name: str, fields: tuple[RowField, ...], doc: str) -> type[BaseModel]:
    """A response model built from a row's field spec (``socialmetrics.metrics_query.fields``):
    the OpenAPI schema lists the same fields, in the same order, as the JSON and CSV."""
    definitions: dict[str, Any] = {
        f.name: (
            _KIND_TYPES[f.kind] | None if f.nullable else _KIND_TYPES[f.kind],
            Field(description=f.description),
        )
        for f in fields
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


ConsentOut = _from_dataclass("ConsentOut", ConsentEntry)
ConsentList = GenericAlias(list, (ConsentOut,))
