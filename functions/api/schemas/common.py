"""Shared pieces of the request and response bodies: strict input base, validators of
text, secrets, e-mails and instants, the problem document, and the example helper."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
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
)

MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _secret_no_nul(value: SecretStr) -> SecretStr:
    _no_nul(value.get_secret_value())
    return value


NoNul = AfterValidator(_no_nul)
Str32 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), NoNul]
Str50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoNul]
Str128 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NoNul
]
Str255 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), NoNul
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


def from_dataclass(
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
