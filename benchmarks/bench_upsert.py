"""Metric writes: one ``unnest`` upsert per batch vs the same upsert row by row (executemany)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from benchmarks.harness import Comparison, make_owner, median_seconds
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.points import MetricPoint

ROW_SQL = text(
    """
    INSERT INTO metrics (user_id, platform_id, account_id, metric_type, value, collected_at,
                         object_type, object_id, period, source, raw_name, api_version, fetched_at)
    VALUES (:user_id, :platform_id, :account_id, :metric_type, :value, :collected_at,
            :object_type, :object_id, :period, :source, :raw_name, :api_version, :fetched_at)
    ON CONFLICT (account_id, object_id, metric_type, period, collected_at) DO UPDATE
    SET value = EXCLUDED.value WHERE metrics.value IS DISTINCT FROM EXCLUDED.value
    """
)


def _points(count: int, offset: int) -> list[MetricPoint]:
    start = datetime.now(UTC).replace(microsecond=0)
    return [
        MetricPoint(
            metric_type="views",
            value=Decimal(i),
            collected_at=start - timedelta(seconds=offset + i),
            object_type="post",
            object_id=f"p{i % 100}",
            period="lifetime",
            raw_name="views",
            api_version="v25.0",
        )
        for i in range(count)
    ]


def run(rows: int = 2_000, repeat: int = 3) -> Comparison:
    owner = make_owner()
    rounds = iter(range(1, 2 * repeat + 2))

    def row_by_row() -> None:
        batch = _points(rows, next(rounds) * rows * 10)
        params = [
            {
                "user_id": owner.user_id,
                "platform_id": owner.platform_id,
                "account_id": owner.account_id,
                "metric_type": p.metric_type,
                "value": p.value,
                "collected_at": p.collected_at,
                "object_type": p.object_type,
                "object_id": p.object_id,
                "period": p.period,
                "source": p.source,
                "raw_name": p.raw_name,
                "api_version": p.api_version,
                "fetched_at": p.fetched_at,
            }
            for p in batch
        ]
        with unit_of_work() as session:
            session.execute(ROW_SQL, params)

    def one_statement() -> None:
        batch = _points(rows, next(rounds) * rows * 10)
        with unit_of_work() as session:
            upsert_points(session, owner, batch)

    baseline = median_seconds(row_by_row, repeat)
    candidate = median_seconds(one_statement, repeat)
    return Comparison(
        name=f"upsert of {rows:,} metric points",
        baseline="row-by-row executemany",
        candidate="one unnest statement",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=rows,
        unit="points",
        runs=repeat,
    )
