"""Metric reads with keyset pagination, time-bucket summaries and CSV streaming.

Pages are ordered ``collected_at DESC, id DESC`` and continue with
``WHERE (collected_at, id) < (:t, :id)``, which the index
``metrics_user_platform_time_idx (user_id, platform_id, collected_at, id)`` answers by a
backward range scan: page 10 000 costs what page 1 costs. The cursor is opaque (base64url);
a malformed one is invalid input, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import select, text, tuple_
from sqlalchemy.orm import Session

from socialmetrics import bounds
from socialmetrics.db.models import Metric
from socialmetrics.errors import InvalidInput

Interval = Literal["day", "week", "month"]
Aggregate = Literal["sum", "avg", "min", "max", "last"]
CSV_COLUMNS = (
    "metric_id",
    "user_id",
    "platform_id",
    "metric_type",
    "value",
    "collected_at",
    "object_type",
    "object_id",
    "period",
    "source",
    "raw_name",
    "api_version",
)


@dataclass(frozen=True, slots=True)
class MetricFilter:
    user_id: int | None = None
    platform_id: int | None = None
    metric_type: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class MetricRow:
    metric_id: int
    user_id: int
    platform_id: int
    metric_type: str
    value: Decimal
    collected_at: datetime
    object_type: str
    object_id: str
    period: str
    source: str
    raw_name: str | None = None  # the platform's own name (shows deprecation switches)
    api_version: str | None = None


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _unb64(cursor: str, maxsplit: int = -1) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("The cursor is not valid.") from None
    return raw.split("|", maxsplit)


def encode_cursor(collected_at: datetime, metric_id: int) -> str:
    return _b64(f"m1|{collected_at.astimezone(UTC).isoformat()}|{metric_id}")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    parts = _unb64(cursor)
    try:
        if len(parts) != 3 or parts[0] != "m1":
            raise ValueError
        return bounds.utc(datetime.fromisoformat(parts[1])), bounds.db_id(int(parts[2]))
    except ValueError:
        raise InvalidInput("The cursor is not valid.") from None


def _where(f: MetricFilter) -> list[Any]:
    clauses: list[Any] = []
    if f.user_id is not None:
        clauses.append(Metric.user_id == f.user_id)
    if f.platform_id is not None:
        clauses.append(Metric.platform_id == f.platform_id)
    if f.metric_type is not None:
        clauses.append(Metric.metric_type == f.metric_type)
    if f.start is not None:
        clauses.append(Metric.collected_at >= f.start)
    if f.end is not None:
        clauses.append(Metric.collected_at < f.end)
    return clauses


def list_metrics(
    session: Session, f: MetricFilter, limit: int, cursor: str | None = None
) -> tuple[list[MetricRow], str | None]:
    """One page (newest first) and the cursor of the next page (``None`` on the last)."""
    query = select(
        Metric.id,
        Metric.user_id,
        Metric.platform_id,
        Metric.metric_type,
        Metric.value,
        Metric.collected_at,
        Metric.object_type,
        Metric.object_id,
        Metric.period,
        Metric.source,
        Metric.raw_name,
        Metric.api_version,
    ).where(*_where(f))
    if cursor:
        moment, metric_id = decode_cursor(cursor)
        query = query.where(tuple_(Metric.collected_at, Metric.id) < tuple_(moment, metric_id))
    query = query.order_by(Metric.collected_at.desc(), Metric.id.desc()).limit(limit + 1)
    rows = [MetricRow(*r) for r in cast(list[Any], session.execute(query).all())]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].collected_at, rows[-1].metric_id)
    return rows, next_cursor


def iter_metrics(
    f: MetricFilter, cursor: str | None = None, limit: int | None = None, page: int = 1_000
) -> Iterator[MetricRow]:
    """Every matching row (up to ``limit``), fetched page by page, each in its own short
    transaction so a long CSV download never holds a connection or a snapshot open."""
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


MAX_EXACT_INTEGER = 2**53  # every integer up to this is exact in an IEEE 754 double


def number(value: Decimal) -> int | float | str:
    """A metric value for JSON, never failing to encode: integers up to 2^53 as JSON integers
    (the seed's ``1000``), other values within the double range as the nearest double, and
    anything a JSON number cannot carry faithfully (beyond the double range, tiny values that
    would round to 0, integers beyond 2^53, NaN) as the exact decimal in a string."""
    if value.is_finite() and value == value.to_integral_value():
        if abs(value) <= MAX_EXACT_INTEGER:
            return int(value)
        return str(value)
    nearest = float(value)
    if math.isfinite(nearest) and (nearest != 0 or value == 0):
        return nearest
    return str(value)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def csv_lines(rows: Iterator[MetricRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                row.metric_id,
                row.user_id,
                row.platform_id,
                _csv_safe(row.metric_type),
                row.value,
                iso(row.collected_at),
                row.object_type,
                _csv_safe(row.object_id),
                row.period,
                row.source,
                _csv_safe(row.raw_name or ""),
                row.api_version or "",
            ]
        )
        yield buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free-text columns."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- summaries ---------------------------------------------------------------------------------

_AGG_SQL = {
    "sum": "sum(value)",
    "avg": "avg(value)",
    "min": "min(value)",
    "max": "max(value)",
    "last": "(array_agg(value ORDER BY collected_at DESC, id DESC))[1]",
}
_STEP = {"day": "1 day", "week": "7 days", "month": "1 month"}


@dataclass(frozen=True, slots=True)
class SummaryRow:
    bucket_start: datetime
    user_id: int
    platform_id: int
    metric_type: str
    value: Decimal
    count: int


def summarise(
    session: Session,
    f: MetricFilter,
    interval: Interval,
    agg: Aggregate,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[SummaryRow], str | None]:
    """Values per (bucket, user, platform, metric type), newest bucket first, keyset-paged."""
    if interval not in _STEP or agg not in _AGG_SQL:
        raise InvalidInput("interval must be day|week|month and agg sum|avg|min|max|last.")
    params: dict[str, Any] = {"interval": interval, "limit": limit + 1}
    inner = ["TRUE"]
    for column, value in (
        ("user_id", f.user_id),
        ("platform_id", f.platform_id),
        ("metric_type", f.metric_type),
    ):
        if value is not None:
            inner.append(f"{column} = :{column}")
            params[column] = value
    if f.start is not None:
        inner.append("collected_at >= :start")
        params["start"] = f.start
    if f.end is not None:
        inner.append("collected_at < :end")
        params["end"] = f.end
    outer = "TRUE"
    if cursor:
        parts = _unb64(cursor, 4)
        try:
            if len(parts) != 5 or parts[0] != "s1":
                raise ValueError
            if "\x00" in parts[4]:
                raise ValueError
            params.update(
                c_bucket=bounds.utc(datetime.fromisoformat(parts[1])),
                c_user=bounds.db_id(int(parts[2])),
                c_platform=bounds.db_id(int(parts[3]), bounds.INT_MAX),
                c_type=parts[4],
            )
        except ValueError:
            raise InvalidInput("The cursor is not valid.") from None
        inner.append(
            f"collected_at < CAST(:c_bucket AS timestamptz) + interval '{_STEP[interval]}'"
        )
        outer = (
            "(bucket < :c_bucket OR (bucket = :c_bucket AND "
            "(user_id, platform_id, metric_type) > (:c_user, :c_platform, :c_type)))"
        )
    sql = text(
        f"""
        SELECT bucket, user_id, platform_id, metric_type, value, n FROM (
            SELECT date_trunc(:interval, collected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                       AS bucket,
                   user_id, platform_id, metric_type, {_AGG_SQL[agg]} AS value, count(*) AS n
            FROM metrics WHERE {" AND ".join(inner)}
            GROUP BY 1, 2, 3, 4
        ) AS s
        WHERE {outer}
        ORDER BY bucket DESC, user_id, platform_id, metric_type
        LIMIT :limit
        """  # noqa: S608 - only fixed fragments are interpolated; values are bound
    )
    rows = [SummaryRow(*r) for r in session.execute(sql, params).all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _b64(
            f"s1|{last.bucket_start.astimezone(UTC).isoformat()}|{last.user_id}|"
            f"{last.platform_id}|{last.metric_type}"
        )
    return rows, next_cursor
