"""Metric writes: the upsert path (``upsert_points``: COPY into staging + one merge) vs a plain
``COPY`` of the same rows straight into ``metrics`` — the fastest way in, with no conflict
handling. The goal (issue 16) is a ratio of at least 0.70. The former ``unnest`` statement
(typed arrays rendered by pg8000) is timed too, as a reference in the note.

Every round writes the same points for a fresh account (set up untimed), so each path inserts
the same number of new rows into the same partitions. Building the COPY text from the points is
timed in both paths.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from benchmarks.goals import Measured
from benchmarks.harness import Comparison, make_owner, rate, samples
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, copy_lines, upsert_points
from socialmetrics.points import MetricPoint

GOAL = 0.70
METRIC_COLUMNS = (
    "user_id, platform_id, account_id, metric_type, value, collected_at, object_type, "
    "object_id, period, source, raw_name, api_version, fetched_at"
)
PLAIN_COPY = "COPY metrics (" + METRIC_COLUMNS + ") FROM STDIN"
# The write path before issue 16, kept here only as a reference point.
UNNEST_UPSERT = text(
    """
    INSERT INTO metrics (user_id, platform_id, account_id, metric_type, value, collected_at,
                         object_type, object_id, period, source, raw_name, api_version, fetched_at)
    SELECT :user_id, :platform_id, :account_id, p.metric_type, p.value, p.collected_at,
           p.object_type, p.object_id, p.period, p.source, p.raw_name, p.api_version, p.fetched_at
    FROM unnest(CAST(:metric_type AS text[]), CAST(:value AS numeric[]),
                CAST(:collected_at AS timestamptz[]), CAST(:object_type AS text[]),
                CAST(:object_id AS text[]), CAST(:period AS text[]), CAST(:source AS text[]),
                CAST(:raw_name AS text[]), CAST(:api_version AS text[]),
                CAST(:fetched_at AS timestamptz[]))
         AS p(metric_type, value, collected_at, object_type, object_id, period, source,
              raw_name, api_version, fetched_at)
    ON CONFLICT (account_id, object_id, metric_type, period, collected_at) DO UPDATE
    SET value = EXCLUDED.value, source = EXCLUDED.source, raw_name = EXCLUDED.raw_name,
        api_version = EXCLUDED.api_version, fetched_at = EXCLUDED.fetched_at
    WHERE metrics.value IS DISTINCT FROM EXCLUDED.value
    """
)
UNNEST_CHUNK = 5_000


def points(count: int) -> list[MetricPoint]:
    """``count`` distinct lifetime points of 1,000 posts over the last days (one partition or
    two), with realistic provenance."""
    start = datetime.now(UTC).replace(microsecond=0)
    return [
        MetricPoint(
            metric_type="views",
            value=Decimal(i) / 7,  # many digits, as NUMERIC must keep them
            collected_at=start - timedelta(seconds=i // 1_000),
            object_type="post",
            object_id=f"1789{i % 1_000:011d}",
            period="lifetime",
            raw_name="views",
            api_version="v25.0",
        )
        for i in range(count)
    ]


def plain_copy(owner: Owner, batch: list[MetricPoint]) -> None:
    """The same rows, COPYed straight into ``metrics`` (no staging, no conflict handling)."""
    prefix = f"{owner.user_id}\t{owner.platform_id}\t{owner.account_id}\t"
    payload = "".join([prefix + line for line in copy_lines(batch)]).encode()
    with unit_of_work() as session:
        raw: Any = session.connection().connection.dbapi_connection
        cursor = raw.cursor()
        cursor.execute(PLAIN_COPY, stream=[payload])
        cursor.close()


def unnest_upsert(owner: Owner, batch: list[MetricPoint]) -> None:
    with unit_of_work() as session:
        for start in range(0, len(batch), UNNEST_CHUNK):
            chunk = batch[start : start + UNNEST_CHUNK]
            params: dict[str, Any] = {
                "user_id": owner.user_id,
                "platform_id": owner.platform_id,
                "account_id": owner.account_id,
                "metric_type": [p.metric_type for p in chunk],
                "value": [str(p.value) for p in chunk],
                "collected_at": [p.collected_at.isoformat() for p in chunk],
                "object_type": [p.object_type for p in chunk],
                "object_id": [p.object_id for p in chunk],
                "period": [p.period for p in chunk],
                "source": [p.source for p in chunk],
                "raw_name": [p.raw_name for p in chunk],
                "api_version": [p.api_version for p in chunk],
                "fetched_at": [p.fetched_at.isoformat() for p in chunk],
            }
            session.execute(UNNEST_UPSERT, params)


def upsert(owner: Owner, batch: list[MetricPoint]) -> None:
    with unit_of_work() as session:
        if upsert_points(session, owner, batch) != len(batch):
            raise AssertionError("the upsert did not insert every point")


def run(rows: int = 100_000, repeat: int = 3, unnest: bool = True) -> Comparison:
    batch = points(rows)
    writes = [plain_copy, upsert, *([unnest_upsert] if unnest else [])]
    times: dict[Any, list[float]] = {write: [] for write in writes}
    upsert(make_owner(), batch[: min(rows, 1_000)])  # warm the connection and staging table
    for _ in range(repeat):  # alternate, so a growing table or a busy neighbour hits all paths
        for write in writes:
            owner = make_owner()
            times[write] += samples(lambda: write(owner, batch), 1)  # noqa: B023
    baseline, candidate = (statistics.median(times[write]) for write in (plain_copy, upsert))
    note = f"ratio {baseline / candidate:.2f}, goal ≥ {GOAL:.2f}"
    if unnest:
        unnest_rate = rate(rows, statistics.median(times[unnest_upsert]))
        note += f"; former unnest upsert: {unnest_rate} points/s"
    with unit_of_work() as session:  # each round landed in full
        stored = session.execute(text("SELECT count(*) FROM metrics")).scalar_one()
    expected = min(rows, 1_000) + len(writes) * repeat * rows
    if stored != expected:
        raise AssertionError(f"{stored} rows stored, expected {expected}")
    return Comparison(
        name=f"write of {rows:,} new metric points",
        baseline="plain COPY into metrics",
        candidate="upsert_points (COPY to staging + one merge)",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=rows,
        unit="points",
        runs=repeat,
        note=note,
        goals=(
            Measured("upsert_vs_copy", baseline / candidate, f"{rows:,} rows, median of {repeat}"),
        ),
    )
