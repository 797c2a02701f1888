"""Deep pages of ``GET /metrics/``: the service's keyset query vs the same page by OFFSET.

One user's account gets ``points`` metric points (one per second, newest first). The page
``page`` of ``page_size`` rows is then fetched twice: with the real
:func:`socialmetrics.metrics_query.service.list_metrics` continuing from the cursor the
previous page handed out (an index range scan that starts where the last page ended), and with
``OFFSET (page-1)*page_size`` (which reads and throws away every earlier row). Both must return
the same rows, in the same order, or the benchmark fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from benchmarks.harness import Comparison, duration, make_owner, median_seconds
from socialmetrics.db.engine import get_engine, unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.metrics_query.service import MetricFilter, encode_cursor, list_metrics
from socialmetrics.points import MetricPoint

POPULATE_CHUNK = 25_000

_OFFSET_ROWS = text(
    """
    SELECT id, user_id, platform_id, metric_type, value, collected_at, object_type, object_id,
           period, source
    FROM metrics
    WHERE user_id = :user_id AND platform_id = :platform_id
    ORDER BY collected_at DESC, id DESC
    OFFSET :offset LIMIT :limit
    """
)
_ROW_AT = text(
    """
    SELECT collected_at, id FROM metrics
    WHERE user_id = :user_id AND platform_id = :platform_id
    ORDER BY collected_at DESC, id DESC
    OFFSET :offset LIMIT 1
    """
)


def populate(owner: Owner, points: int, *, start: datetime | None = None) -> int:
    """Write ``points`` points for ``owner`` in chunks (one transaction each); returns rows."""
    newest = (start or datetime.now(UTC)).replace(microsecond=0)
    written = 0
    for first in range(0, points, POPULATE_CHUNK):
        chunk = [
            MetricPoint(
                metric_type=("views", "likes", "comments", "shares")[i % 4],
                value=Decimal(i % 10_000),
                collected_at=newest - timedelta(seconds=i),
                object_type="post",
                object_id=f"p{i % 500}",
                period="lifetime",
                raw_name="views",
                api_version="v25.0",
            )
            for i in range(first, min(first + POPULATE_CHUNK, points))
        ]
        with unit_of_work() as session:
            written += upsert_points(session, owner, chunk)
    with get_engine().connect() as connection:  # fresh planner statistics for the new rows
        connection.exec_driver_sql("ANALYZE metrics")
        connection.commit()
    return written


def run(
    points: int = 300_000, page: int = 2_500, page_size: int = 100, repeat: int = 7
) -> Comparison:
    if (page - 1) * page_size >= points:
        raise ValueError("the page must lie inside the data set")
    owner = make_owner()
    populate(owner, points)
    where = {"user_id": owner.user_id, "platform_id": owner.platform_id}
    offset = (page - 1) * page_size
    with unit_of_work() as session:
        last_of_previous = session.execute(_ROW_AT, {**where, "offset": offset - 1}).one()
    cursor = encode_cursor(last_of_previous.collected_at, last_of_previous.id)
    metric_filter = MetricFilter(user_id=owner.user_id, platform_id=owner.platform_id)

    def keyset(after: str | None = cursor) -> list[int]:
        with unit_of_work() as session:
            rows, _ = list_metrics(session, metric_filter, page_size, after)
        return [row["metric_id"] for row in rows]

    def by_offset() -> list[int]:
        with unit_of_work() as session:
            rows = session.execute(
                _OFFSET_ROWS, {**where, "offset": offset, "limit": page_size}
            ).all()
        return [row.id for row in rows]

    expected, got = by_offset(), keyset()
    if got != expected or len(got) != min(page_size, points - offset):
        raise AssertionError("the keyset page and the OFFSET page differ")
    baseline = median_seconds(by_offset, repeat, warmup=1)
    candidate = median_seconds(keyset, repeat, warmup=1)
    first_page = median_seconds(lambda: keyset(None), repeat, warmup=1)
    return Comparison(
        name=f"page {page:,} ({page_size} rows a page) of one user's {points:,} points",
        baseline=f"OFFSET {offset:,}",
        candidate="keyset cursor (list_metrics)",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=page_size,
        unit="rows",
        runs=repeat,
        note=f"keyset page 1 for comparison: {duration(first_page)}",
    )
