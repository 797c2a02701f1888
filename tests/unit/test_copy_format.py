"""COPY text format of metric points: escaping, NULLs, exact numerics, one line per point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from socialmetrics.db.metrics import copy_data, copy_field, copy_lines
from socialmetrics.points import MetricPoint

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_separators_and_backslashes_are_escaped_and_none_is_null() -> None:
    assert copy_field("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_field("plain 'quotes' \"too\"") == "plain 'quotes' \"too\""
    assert copy_field(None) == "\\N"
    assert copy_field("\\N") == "\\\\N"  # the text "\N" is not NULL
    assert copy_field("") == ""


def test_a_line_has_ten_fields_with_exact_digits_and_the_instants_offset() -> None:
    point = MetricPoint(
        "views",
        Decimal("12345678901234567890.000000000000000001"),
        AT.astimezone(timezone(timedelta(hours=2))),
        object_id="x\ty",
        raw_name=None,
        fetched_at=AT,
    )
    (line,) = copy_lines([point])
    assert line.endswith("\n")
    fields = line[:-1].split("\t")
    assert len(fields) == 10
    assert fields[1] == "12345678901234567890.000000000000000001"
    assert fields[2] == "2026-11-30T14:00:00+02:00"  # the same instant; Postgres converts
    assert fields[4] == "x\\ty"
    assert fields[7] == "\\N"


def test_the_payload_is_split_into_messages_of_chunk_rows() -> None:
    points = [MetricPoint("likes", Decimal(i), AT - timedelta(minutes=i)) for i in range(12_001)]
    messages = list(copy_data(points))
    assert len(messages) == 3
    assert sum(message.count(b"\n") for message in messages) == 12_001
