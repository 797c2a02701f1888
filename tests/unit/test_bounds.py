"""Range checks for request and cursor values, and the JSON encoding of metric values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from socialmetrics import bounds
from socialmetrics.db import faults
from socialmetrics.metrics_query.fields import json_number

PLUS_14 = timezone(timedelta(hours=14))
MINUS_14 = timezone(timedelta(hours=-14))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=PLUS_14),  # year 0 in UTC
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_14),  # year 10000 in UTC
        datetime(2025, 1, 1),  # naive: no instant
    ],
)
def test_times_outside_years_1_to_9999_in_utc_are_refused(moment: datetime) -> None:
    with pytest.raises(ValueError, match="must"):
        bounds.utc(moment)


def test_times_inside_the_range_come_back_in_utc() -> None:
    assert bounds.utc(datetime(1, 1, 1, 14, tzinfo=PLUS_14)) == datetime(1, 1, 1, tzinfo=UTC)
    assert bounds.utc(datetime(9999, 12, 31, 23, 59, tzinfo=UTC)).year == 9999


@pytest.mark.parametrize(
    ("value", "maximum", "ok"),
    [
        (1, bounds.BIGINT_MAX, True),
        (2**63 - 1, bounds.BIGINT_MAX, True),
        (2**63, bounds.BIGINT_MAX, False),
        (0, bounds.BIGINT_MAX, False),
        (-5, bounds.BIGINT_MAX, False),
        (2**31, bounds.INT_MAX, False),
    ],
)
def test_ids_must_fit_their_column(value: int, maximum: int, ok: bool) -> None:
    if ok:
        assert bounds.db_id(value, maximum) == value
    else:
        with pytest.raises(ValueError, match="between 1 and"):
            bounds.db_id(value, maximum)


@pytest.mark.parametrize(
    ("stored", "encoded"),
    [
        ("1000", 1000),
        ("2.5", 2.5),
        ("0", 0),
        ("-9007199254740992", -9007199254740992),
        ("9007199254740993", "9007199254740993"),
        ("1E+400", "1E+400"),
        ("-1E+400", "-1E+400"),
        ("1E-400", "1E-400"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
    ],
)
def test_metric_values_always_encode_and_never_lose_magnitude(stored: str, encoded: object) -> None:
    value = json_number(Decimal(stored))
    assert value == encoded
    json.dumps(value, allow_nan=False)  # what the JSON response does: never raises


def test_only_server_reported_errors_leave_the_connection_in_step() -> None:
    from pg8000.exceptions import DatabaseError, InterfaceError

    assert faults.leaves_connection_in_step(DatabaseError({"C": "22012"}))
    assert not faults.leaves_connection_in_step(OverflowError("date value out of range"))
    assert not faults.leaves_connection_in_step(InterfaceError("network error"))
    assert not faults.unavailable(OverflowError())
