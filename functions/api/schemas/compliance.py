"""Bodies of LGPD consent and the data export."""

from __future__ import annotations

from datetime import datetime
from types import GenericAlias
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from functions.api.schemas.common import (
    Id,
    Purpose,
    Str32,
    Strict,
    examples,
    from_dataclass,
)
from functions.api.schemas.identity import UserOut
from functions.api.schemas.metrics import MetricOut
from socialmetrics.compliance.consent import ConsentEntry

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


ConsentOut = from_dataclass(
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
