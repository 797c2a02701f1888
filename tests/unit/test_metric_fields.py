"""The metric row spec drives JSON, CSV and the OpenAPI models; summary cursors are strict."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from functions.api.schemas import MetricOut, SummaryOut
from socialmetrics.errors import InvalidInput
from socialmetrics.metrics_query import service
from socialmetrics.metrics_query.fields import (
    METRIC_FIELDS,
    SUMMARY_FIELDS,
    csv_lines,
    metric_json,
    summary_json,
)

ROW = {
    "metric_id": 9,
    "user_id": 1,
    "platform_id": 3,
    "account_id": 7,
    "platform_account_id": "=HYPERLINK(1)",
    "metric_type": "likes",
    "value": Decimal("2.50"),
    "collected_at": datetime(2025, 1, 2, 10, tzinfo=UTC),
    "object_type": "post",
    "object_id": "p1",
    "period": "lifetime",
    "source": "poll",
    "raw_name": None,
    "api_version": None,
}


def test_models_list_the_spec_fields_in_order() -> None:
    assert list(MetricOut.model_fields) == [f.name for f in METRIC_FIELDS] == list(ROW)
    assert list(SummaryOut.model_fields) == [f.name for f in SUMMARY_FIELDS]
    schema = MetricOut.model_json_schema()
    assert schema["properties"]["collected_at"]["format"] == "date-time"
    assert schema["examples"][0]["account_id"] == 7
    assert schema["required"] == list(ROW)  # always present; nullable ones may be null
    assert {"type": "null"} in schema["properties"]["raw_name"]["anyOf"]


def test_json_and_csv_render_one_row_alike() -> None:
    as_json = metric_json(ROW)
    assert as_json["value"] == 2.5
    assert as_json["collected_at"] == "2025-01-02T10:00:00Z"
    assert as_json["raw_name"] is None
    [row] = csv.DictReader(io.StringIO("".join(csv_lines([ROW]))))
    assert list(row) == list(as_json)
    assert row["platform_account_id"] == "'=HYPERLINK(1)"  # formula neutralised
    assert row["raw_name"] == row["api_version"] == ""
    assert row["collected_at"] == as_json["collected_at"]
    summary = summary_json({**ROW, "bucket_start": ROW["collected_at"], "count": 2})
    assert list(summary) == [f.name for f in SUMMARY_FIELDS]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "keys",
    [
        [1, 3, 7, "likes", "post"],  # a key missing
        [1, 3, "7", "likes", "post", "lifetime"],  # an id as text
        [1, 3, 2**63, "likes", "post", "lifetime"],  # beyond bigint
        [1, 3, True, "likes", "post", "lifetime"],
        [1, 3, 7, "likes", "post", None],
        {"user_id": 1},
    ],
)
def test_a_tampered_summary_cursor_is_invalid_input(keys: object) -> None:
    cursor = _cursor(f"s2|2025-01-01T00:00:00+00:00|{json.dumps(keys)}")
    with pytest.raises(InvalidInput):
        service._decode_summary_cursor(cursor)


def test_a_summary_cursor_round_trips() -> None:
    bucket = datetime(2025, 1, 1, tzinfo=UTC)
    cursor = service._summary_cursor({**ROW, "bucket_start": bucket})
    assert service._decode_summary_cursor(cursor) == (
        bucket,
        (1, 3, 7, "likes", "post", "lifetime"),
    )
    with pytest.raises(InvalidInput):
        service._decode_summary_cursor(_cursor("s1|2025-01-01T00:00:00+00:00|1|3|likes"))
    with pytest.raises(InvalidInput):
        service._decode_summary_cursor(_cursor('s2|2025-01-01T00:00:00|[1,3,7,"a","b","c"]'))


def test_the_csv_export_comes_in_pieces_not_one_string_per_row() -> None:
    pieces = list(csv_lines([ROW] * 1_000, chunk=4_096))
    assert 1 < len(pieces) < 1_000
    assert all(piece.endswith("\n") for piece in pieces)  # never a row cut in two
    rows = list(csv.DictReader(io.StringIO("".join(pieces))))
    assert len(rows) == 1_000
    assert list(csv_lines([])) == ["".join(csv_lines([]))]  # the header alone, once
