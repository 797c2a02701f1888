"""Bulk upsert: one statement per chunk, idempotent, updates in place; partitions keep points."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from socialmetrics.db.engine import get_engine, unit_of_work
from socialmetrics.db.metrics import (
    Owner,
    add_months,
    drop_partitions_before,
    ensure_partitions,
    list_partitions,
    upsert_points,
)
from socialmetrics.points import MetricPoint
from tests.factories import make_account


@pytest.fixture
def owner(db: str) -> Owner:
    return make_account(platform="Instagram")


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO METRICS"):
            seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", _record)
    yield seen
    event.remove(engine, "before_cursor_execute", _record)


def _batch(count: int, value: int = 1) -> list[MetricPoint]:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return [
        MetricPoint(
            metric_type="likes",
            value=Decimal(value + i),
            collected_at=start - timedelta(minutes=i),
            object_type="post",
            object_id=f"post-{i % 50}",
            period="lifetime",
            raw_name="like_count",
            api_version="v25.0",
        )
        for i in range(count)
    ]


def _rows(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            text("SELECT id, object_id, collected_at, value, xmin::text FROM metrics ORDER BY id")
        )
    ]


def test_ten_thousand_points_in_a_handful_of_statements(
    owner: Owner, statements: list[str]
) -> None:
    points = _batch(10_000)
    with unit_of_work() as session:
        assert upsert_points(session, owner, points) == 10_000
    assert 1 <= len(statements) <= 3
    with unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM metrics")).scalar_one() == 10_000


def test_rewriting_the_same_batch_changes_nothing(owner: Owner) -> None:
    points = _batch(2_000)
    with unit_of_work() as session:
        upsert_points(session, owner, points)
    with unit_of_work() as session:
        before = _rows(session)
    with unit_of_work() as session:
        assert upsert_points(session, owner, points) == 0
    with unit_of_work() as session:
        assert _rows(session) == before  # same ids, values and row versions


def test_a_changed_value_updates_in_place(owner: Owner) -> None:
    points = _batch(10)
    with unit_of_work() as session:
        upsert_points(session, owner, points)
        ids = session.execute(text("SELECT id FROM metrics ORDER BY id")).scalars().all()
    changed = [points[0].__class__(**{**_as_dict(points[0]), "value": Decimal("999.5")})]
    with unit_of_work() as session:
        assert upsert_points(session, owner, changed) == 1
    with unit_of_work() as session:
        rows = session.execute(text("SELECT id, value FROM metrics ORDER BY id")).all()
    assert [r.id for r in rows] == ids
    assert rows[0].value == Decimal("999.5")
    assert [r.value for r in rows[1:]] == [p.value for p in points[1:]]


def test_duplicate_keys_within_one_batch_keep_the_last(owner: Owner) -> None:
    first, second = _batch(1, value=1)[0], _batch(1, value=7)[0]
    with unit_of_work() as session:
        assert upsert_points(session, owner, [first, second]) == 1
        assert session.execute(text("SELECT value FROM metrics")).scalar_one() == Decimal(7)


def test_points_in_a_month_without_a_partition_are_kept_and_moved(owner: Owner) -> None:
    far = datetime(2031, 7, 15, 12, tzinfo=UTC)
    point = MetricPoint(metric_type="followers", value=Decimal(42), collected_at=far)
    with unit_of_work() as session:
        assert upsert_points(session, owner, [point]) == 1
        in_default = session.execute(text("SELECT count(*) FROM metrics_default")).scalar_one()
        assert in_default == 1
    with unit_of_work() as session:
        ensure_partitions(session, date(2031, 7, 1), 1)
    with unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM metrics_default")).scalar_one() == 0
        assert session.execute(text("SELECT count(*) FROM metrics_y2031m07")).scalar_one() == 1
        assert session.execute(text("SELECT value FROM metrics")).scalar_one() == Decimal(42)
    with unit_of_work() as session:  # idempotent
        assert ensure_partitions(session, date(2031, 7, 1), 1) == ["metrics_y2031m07"]


def test_retention_drops_whole_old_partitions(owner: Owner) -> None:
    old = datetime(2020, 3, 10, tzinfo=UTC)
    with unit_of_work() as session:
        ensure_partitions(session, date(2020, 3, 1), 1)
        upsert_points(session, owner, [MetricPoint("followers", Decimal(1), old)])
        upsert_points(session, owner, _batch(5))
    with unit_of_work() as session:
        dropped = drop_partitions_before(session, add_months(date.today().replace(day=1), -24))
    assert "metrics_y2020m03" in dropped
    with unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM metrics")).scalar_one() == 5
        assert "metrics_y2020m03" not in {name for name, _ in list_partitions(session)}


def _as_dict(point: MetricPoint) -> dict[str, Any]:
    return {name: getattr(point, name) for name in point.__dataclass_fields__}
