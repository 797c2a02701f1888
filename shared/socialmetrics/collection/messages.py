"""The message the scheduler sends and the collector receives, one per account."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from socialmetrics.platforms import Platform


class CollectRequest(BaseModel):
    """Collect one account's metrics for one window. ``job_id`` names the tick that asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
    account_id: int = Field(gt=0)
    job_id: str = Field(min_length=1, max_length=64)
    window_start: datetime
    window_end: datetime
