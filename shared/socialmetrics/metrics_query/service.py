"""Metric reads with keyset pagination, time-bucket summaries and CSV streaming.

Pages are ordered ``collected_at DESC, id DESC`` and continue with
``WHERE (collected_at, id) < (:t, :id)``, which the ``(…, collected_at, id)`` indexes answer
by a backward range scan (see ``queries.py``): page 10 000 costs what page 1 costs. Cursors
are opaque (``socialmetrics.cursors``); a malformed one is invalid input, never a 500. Row
shapes come from ``fields.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import RowMapping
from sqlalchemy.orm import Session

from socialmetrics import bounds, cursors
from socialmetrics.errors import InvalidInput
from socialmetrics.metrics_query import queries
from socialmetrics.metrics_query.fields import (
    SUMMARY_GROUP,
    csv_lines,
    iso,
    json_number,
    metric_json,
)
from socialmetrics.metrics_query.queries import MetricFilter

__all__ = [
    "MetricFilter",
    "MetricRow",
    "SummaryRow",
    "csv_lines",
    "decode_cursor",
    "encode_cursor",
    "iso",
    "iter_metrics",
    "json_number",
    "list_metrics",
    "metric_json",
    "summarise",
]

Interval = Literal["day", "week", "month"]
Aggregate = Literal["sum", "avg", "min", "max", "last"]
MetricRow = RowMapping
"""A metric row: every name of ``fields.METRIC_FIELDS`` → its value."""
SummaryRow = RowMapping
"""A summary row: every name of ``fields.SUMMARY_FIELDS`` → its value."""


def encode_cursor(collected_at: datetime, metric_id: int) -> str:
    return cursors.encode("m1", collected_at.astimezone(UTC).isoformat(), metric_id)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    moment, metric_id = cursors.decode("m1", cursor, 2)
    try:
        return bounds.utc(datetime.fromisoformat(moment)), bounds.db_id(int(metric_id))
    except ValueError:
        raise cursors.invalid() from None


def list_metrics(
    session: Session, f: MetricFilter, limit: int, cursor: str | None = None
) -> tuple[list[MetricRow], str | None]:
    """One page (newest first) and the cursor of the next page (``None`` on the last)."""
    after = decode_cursor(cursor) if cursor else None
    rows = list(queries.metric_page(session, f, limit + 1, after))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["collected_at"], rows[-1]["metric_id"])
    return rows, next_cursor


def iter_metrics(
    f: MetricFilter, cursor: str | None = None, limit: int | None = None, page: int = 1_000
) -> Iterator[MetricRow]:
    """Every matching row (up to ``limit``), fetched page by page, each in its own short
    transaction so a long streamed export (the LGPD data export) never holds a connection or a
    snapshot open."""
    from socialmetrics.db.engine import unit_of_work

    remaining = limit
    while remaining is None or remaining > 0:
        size = page if remaining is None else min(page, remaining)
        with unit_of_work() as session:
            rows, cursor = list_metrics(session, f, size, cursor)
        yield from rows
        if remaining is not None:
            remaining -= len(rows)
        if cursor is None:
            return


# --- summaries ---------------------------------------------------------------------------------


def _summary_cursor(row: Mapping[Any, Any]) -> str:
    keys = [row[name] for name in SUMMARY_GROUP]
    return cursors.encode("s2", row["bucket_start"].astimezone(UTC).isoformat(), json.dumps(keys))


def _decode_summary_cursor(cursor: str) -> tuple[datetime, tuple[Any, ...]]:
    moment, encoded_keys = cursors.decode("s2", cursor, 2)
    try:
        bucket = bounds.utc(datetime.fromisoformat(moment))
        keys = json.loads(encoded_keys)
        if not isinstance(keys, list):
            raise ValueError
        if len(keys) != len(SUMMARY_GROUP):
            raise ValueError
        for name, value in zip(SUMMARY_GROUP, keys, strict=True):
            if name.endswith("_id"):
                if type(value) is not int:
                    raise ValueError
                bounds.db_id(value)
            elif not isinstance(value, str) or "\x00" in value:
                raise ValueError
    except ValueError:  # json.JSONDecodeError is a ValueError
        raise cursors.invalid() from None
    return bucket, tuple(keys)


def summarise(
    session: Session,
    f: MetricFilter,
    interval: Interval,
    agg: Aggregate,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[SummaryRow], str | None]:
    """Values per (bucket, account, metric type, object type, period), newest bucket first,
    keyset-paged. Never aggregates across accounts, object types or periods."""
    if interval not in queries.STEPS or agg not in queries.AGGREGATES:
        raise InvalidInput("interval must be day|week|month and agg sum|avg|min|max|last.")
    after = _decode_summary_cursor(cursor) if cursor else None
    rows = list(queries.summary_page(session, f, interval, agg, limit + 1, after))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _summary_cursor(rows[-1])
    return rows, next_cursor
