"""The normalised metric point: what providers produce and the metrics table stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

ObjectType = Literal[
    "account", "post", "video", "story", "reel", "message", "template", "phone_number"
]
Period = Literal["snapshot", "lifetime", "day", "week", "days_28", "month"]
Source = Literal["poll", "webhook", "derived"]


# What a stored value may be: NUMERIC holds far more, but every value is also served as a JSON
# number, and JSON readers hold numbers as IEEE doubles (finite only below ~1.8e308).
MAX_VALUE_EXPONENT = 308  # |value| < 10**308
MIN_VALUE_EXPONENT = -16383  # NUMERIC keeps at most 16383 digits after the point


def utcnow() -> datetime:
    return datetime.now(UTC)


def value_fits(value: Decimal) -> bool:
    """Whether ``value`` can be stored and served: finite, below 10**308 in magnitude and with
    at most 16383 digits after the point."""
    if not value.is_finite():
        return False
    if value.is_zero():
        return True
    exponent = value.as_tuple().exponent
    return value.adjusted() < MAX_VALUE_EXPONENT and (
        not isinstance(exponent, int) or exponent >= MIN_VALUE_EXPONENT
    )


def decimal_from_platform(value: object) -> Decimal | None:
    """A value as a platform API or webhook reported it (number, numeric string, or a Decimal
    from a body parsed with ``parse_float=Decimal``) → the point's Decimal; ``None`` when it is
    absent, a bool, or not a finite number. The opposite direction (Decimal → JSON number) is
    ``metrics_query.fields.json_number``."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float | str | Decimal):
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One value of one normalised metric for one object at one instant (or period start).

    ``object_id`` is "" for account-level values. A metric the platform did not return is
    simply not produced: never a zero, never an estimate.
    """

    metric_type: str
    value: Decimal
    collected_at: datetime
    object_type: ObjectType = "account"
    object_id: str = ""
    period: Period = "snapshot"
    source: Source = "poll"
    raw_name: str | None = None
    api_version: str | None = None
    fetched_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if self.collected_at.tzinfo is None:
            raise ValueError("collected_at must be timezone-aware")
        if not isinstance(self.value, Decimal):
            object.__setattr__(self, "value", Decimal(str(self.value)))

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        """The identity of a point within one account (the table's UNIQUE key)."""
        return (self.object_id, self.metric_type, self.period, self.collected_at)
