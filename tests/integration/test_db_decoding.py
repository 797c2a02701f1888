"""``timestamptz`` decoding: the fast path returns exactly what pg8000's converter returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pg8000.converters import timestamptz_in as driver_timestamptz_in

from socialmetrics.db.decoding import timestamptz_in


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01 12:00:00+00",
        "2025-03-01 12:00:00.123456+00",
        "2025-03-01 12:00:00.5+00",
        "2025-03-01 12:00:00.123+05:30",
        "2025-03-01 23:59:59.999999-03",
        "0001-01-01 00:00:00+00",
        "9999-12-31 23:59:59.999999+00",
    ],
)
def test_the_fast_path_equals_the_driver(text: str) -> None:
    fast, driver = timestamptz_in(text), driver_timestamptz_in(text)
    assert fast == driver
    assert fast.utcoffset() == driver.utcoffset()


@pytest.mark.parametrize("text", ["infinity", "-infinity", "0044-03-15 00:00:00+00 BC"])
def test_what_datetime_cannot_read_goes_to_the_driver(text: str) -> None:
    assert timestamptz_in(text) == driver_timestamptz_in(text)


def test_a_round_trip_through_the_engine_is_an_aware_utc_datetime(database_url: str) -> None:
    from sqlalchemy import text as sql

    from socialmetrics.db.engine import unit_of_work

    moment = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    with unit_of_work() as session:
        back = session.execute(sql("SELECT CAST(:m AS timestamptz)"), {"m": moment}).scalar_one()
    assert back == moment
    assert back.utcoffset() == timedelta(0)


def test_every_engine_connection_decodes_with_the_fast_path(database_url: str) -> None:
    from pg8000.converters import TIMESTAMPTZ

    from socialmetrics.db.engine import get_engine

    connection = get_engine().raw_connection()
    try:
        driver: Any = connection.dbapi_connection
        assert driver.pg_types[TIMESTAMPTZ] is timestamptz_in
    finally:
        connection.close()
