"""Writing metric points: one round trip per batch, idempotent, and the partitions they live in.

:func:`upsert_points` sends a whole batch as a handful of typed arrays and lets Postgres
``unnest`` them into one ``INSERT … ON CONFLICT DO UPDATE``. An unchanged point is not
rewritten at all (the ``WHERE … IS DISTINCT FROM`` guard), so re-delivering a batch is a no-op.
pg8000's ``executemany`` would cost one round trip per row; this costs one per chunk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.points import MetricPoint

CHUNK = 5_000

_UPSERT = text(
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


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose points these are (denormalised onto every row for fast per-user queries)."""

    user_id: int
    platform_id: int
    account_id: int


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def dedupe(points: Iterable[MetricPoint]) -> list[MetricPoint]:
    """Keep the last point per key: one statement may not touch the same row twice."""
    return list({point.key: point for point in points}.values())


def upsert_points(session: Session, owner: Owner, points: Iterable[MetricPoint]) -> int:
    """Insert or update ``points``; returns how many rows were inserted or changed."""
    unique = dedupe(points)
    written = 0
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        result = session.execute(
            _UPSERT,
            {
                "user_id": owner.user_id,
                "platform_id": owner.platform_id,
                "account_id": owner.account_id,
                "metric_type": [p.metric_type for p in chunk],
                "value": [str(p.value) for p in chunk],
                "collected_at": [_iso(p.collected_at) for p in chunk],
                "object_type": [p.object_type for p in chunk],
                "object_id": [p.object_id for p in chunk],
                "period": [p.period for p in chunk],
                "source": [p.source for p in chunk],
                "raw_name": [p.raw_name for p in chunk],
                "api_version": [p.api_version for p in chunk],
                "fetched_at": [_iso(p.fetched_at) for p in chunk],
            },
        )
        written += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return written


def month_start(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def ensure_partitions(session: Session, first_month: date, months: int) -> list[str]:
    """Create monthly partitions ``first_month`` … ``+months`` (idempotent)."""
    rows = session.execute(
        text("SELECT metrics_ensure_partitions(:first, :months)"),
        {"first": month_start(first_month), "months": months},
    )
    return [str(row[0]) for row in rows]


def list_partitions(session: Session) -> list[tuple[str, date | None]]:
    """Every monthly partition with its first month (``None`` for the default partition)."""
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'metrics'::regclass ORDER BY c.relname"
        )
    )
    result: list[tuple[str, date | None]] = []
    for (name,) in rows:
        month = None
        if name.startswith("metrics_y") and len(name) == len("metrics_y2026m01"):
            month = date(int(name[9:13]), int(name[14:16]), 1)
        result.append((str(name), month))
    return result


def drop_partitions_before(session: Session, cutoff: date) -> list[str]:
    """Drop whole monthly partitions that end on or before ``cutoff`` (retention), and
    delete any expired rows that sit in the default partition."""
    dropped = []
    for name, month in list_partitions(session):
        if month is not None and add_months(month, 1) <= cutoff:
            session.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
            dropped.append(name)
    session.execute(
        text("DELETE FROM metrics_default WHERE collected_at < :cutoff"),
        {"cutoff": datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)},
    )
    return dropped
