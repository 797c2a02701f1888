"""The read SQL of metrics: one keyset page and one page of time-bucket summaries.

Both select exactly the names of :data:`~socialmetrics.metrics_query.fields.METRIC_FIELDS` /
:data:`~socialmetrics.metrics_query.fields.SUMMARY_FIELDS`; ``platform_account_id`` comes
from ``accounts`` joined on the primary key (only the page's rows are joined).

Indexes (every one per monthly partition, scanned backwards for ``collected_at DESC, id
DESC``): ``(account_id, collected_at, id)`` with an account filter,
``(user_id, platform_id, collected_at, id)`` with a platform filter,
``(user_id, collected_at, id)`` for a user's rows without either, ``(collected_at)`` for
an admin's read across users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, func, select, text, tuple_
from sqlalchemy.orm import Session

from socialmetrics.db.models import Account, Metric
from socialmetrics.metrics_query.fields import METRIC_FIELDS, SUMMARY_GROUP


@dataclass(frozen=True, slots=True)
class MetricFilter:
    """What to read. ``account_id``, when set, must already be known to belong to ``user_id``
    (and ``platform_id``): the API checks that first. The SQL then filters on the account
    alone, because user and platform follow from it; repeating them makes Postgres multiply
    their selectivities, underestimate the series ~100x and sort all of it instead of
    range-scanning ``metrics_account_time_idx``."""

    user_id: int | None = None
    platform_id: int | None = None
    account_id: int | None = None
    metric_type: str | None = None
    object_type: str | None = None
    period: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


_EQUALS = ("user_id", "platform_id", "account_id", "metric_type", "object_type", "period")
"""The filters that are plain equalities on a ``metrics`` column of the same name."""
_IMPLIED_BY_ACCOUNT = ("user_id", "platform_id")


def _equalities(f: MetricFilter) -> dict[str, Any]:
    implied = _IMPLIED_BY_ACCOUNT if f.account_id is not None else ()
    return {
        name: getattr(f, name)
        for name in _EQUALS
        if getattr(f, name) is not None and name not in implied
    }


_COLUMNS: dict[str, Any] = {
    "metric_id": Metric.id,
    "platform_account_id": Account.platform_user_id,
}


def source_column(name: str) -> Any:
    """The column a :data:`METRIC_FIELDS` name is read from."""
    return _COLUMNS[name] if name in _COLUMNS else getattr(Metric, name)


_SELECT: tuple[ColumnElement[Any], ...] = tuple(
    source_column(f.name).label(f.name) for f in METRIC_FIELDS
)


def _where(f: MetricFilter) -> list[ColumnElement[bool]]:
    clauses = [getattr(Metric, name) == value for name, value in _equalities(f).items()]
    if f.start is not None:
        clauses.append(Metric.collected_at >= f.start)
    if f.end is not None:
        clauses.append(Metric.collected_at < f.end)
    return clauses


def page_query(
    f: MetricFilter,
    limit: int | None,
    after: tuple[datetime, int] | None,
    columns: Sequence[ColumnElement[Any]] = _SELECT,
) -> Select[Any]:
    """The page statement: ``limit`` rows (all when ``None``), newest first, strictly after
    the keyset ``after``; ``columns`` are the :data:`METRIC_FIELDS` as read (the CSV export
    passes them rendered as text, see ``csv_copy.py``)."""
    query = (
        select(*columns)
        .select_from(Metric)
        .outerjoin(Account, Account.id == Metric.account_id)
        .where(*_where(f))
    )
    if after is not None:
        query = query.where(tuple_(Metric.collected_at, Metric.id) < tuple_(*after))
    return query.order_by(Metric.collected_at.desc(), Metric.id.desc()).limit(limit)


def count_rows(
    session: Session, f: MetricFilter, after: tuple[datetime, int] | None, cap: int
) -> int:
    """How many rows ``f`` matches after ``after``, counting no further than ``cap`` (an
    index range scan of at most ``cap`` entries: cheap enough to run before every export)."""
    clauses = _where(f)
    if after is not None:
        clauses.append(tuple_(Metric.collected_at, Metric.id) < tuple_(*after))
    matching = select(Metric.id).where(*clauses).limit(cap).subquery()
    return int(session.execute(select(func.count()).select_from(matching)).scalar_one())


def metric_page(
    session: Session, f: MetricFilter, limit: int, after: tuple[datetime, int] | None
) -> Sequence[RowMapping]:
    return session.execute(page_query(f, limit, after)).mappings().all()


# --- summaries -----------------------------------------------------------------------------------

AGGREGATES = {
    "sum": "sum(value)",
    "avg": "avg(value)",
    "min": "min(value)",
    "max": "max(value)",
    "last": "(array_agg(value ORDER BY collected_at DESC, id DESC))[1]",
}
STEPS = {"day": "1 day", "week": "7 days", "month": "1 month"}


def summary_page(
    session: Session,
    f: MetricFilter,
    interval: str,
    agg: str,
    limit: int,
    after: tuple[datetime, tuple[Any, ...]] | None,
) -> Sequence[RowMapping]:
    """Up to ``limit`` groups, newest bucket first then by ``SUMMARY_GROUP``, after the
    keyset position ``after`` (a bucket and the group's key values)."""
    keys = ", ".join(SUMMARY_GROUP)
    params: dict[str, Any] = {"interval": interval, "limit": limit}
    inner = ["TRUE"]
    for name, value in _equalities(f).items():
        inner.append(f"{name} = :{name}")
        params[name] = value
    if f.start is not None:
        inner.append("collected_at >= :start")
        params["start"] = f.start
    if f.end is not None:
        inner.append("collected_at < :end")
        params["end"] = f.end
    outer = "TRUE"
    if after is not None:
        bucket, values = after
        params["c_bucket"] = bucket
        params.update(
            {f"c_{name}": value for name, value in zip(SUMMARY_GROUP, values, strict=True)}
        )
        inner.append(
            f"collected_at < CAST(:c_bucket AS timestamptz) + interval '{STEPS[interval]}'"
        )
        cursor_keys = ", ".join(f":c_{name}" for name in SUMMARY_GROUP)
        outer = (
            f"(s.bucket < :c_bucket OR (s.bucket = :c_bucket AND ({_qualified('s')}) > "
            f"({cursor_keys})))"
        )
    sql = text(
        f"""
        SELECT s.bucket AS bucket_start, {_qualified("s")},
               a.platform_user_id AS platform_account_id, s.value, s.n AS count
        FROM (
            SELECT date_trunc(:interval, collected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                       AS bucket,
                   {keys}, {AGGREGATES[agg]} AS value, count(*) AS n
            FROM metrics WHERE {" AND ".join(inner)}
            GROUP BY bucket, {keys}
        ) AS s
        LEFT JOIN accounts AS a ON a.id = s.account_id
        WHERE {outer}
        ORDER BY s.bucket DESC, {_qualified("s")}
        LIMIT :limit
        """  # noqa: S608 - only fixed fragments are interpolated; values are bound
    )
    return session.execute(sql, params).mappings().all()


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in SUMMARY_GROUP)
