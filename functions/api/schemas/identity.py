"""Bodies of login and users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

from functions.api.schemas.common import (
    Email,
    PlatformId,
    Role,
    Secret,
    Str255,
    Strict,
    examples,
)

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
