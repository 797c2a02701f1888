"""Bodies of usage reports and the X budget."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from functions.api.schemas.common import (
    Id,
    Strict,
    examples,
)


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
