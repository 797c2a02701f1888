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


def _stored(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            text(
                "SELECT object_id, metric_type, value, raw_name, api_version, source, period,"
                " collected_at FROM metrics ORDER BY id"
            )
        )
    ]


def test_copy_merge_of_new_and_changed_rows_touches_only_those(owner: Owner) -> None:
    points = _batch(100)
    with unit_of_work() as session:
        upsert_points(session, owner, points)
    with unit_of_work() as session:
        before = {row[0]: row for row in _rows(session)}  # by id, with the row version
    changed = [MetricPoint(**{**_as_dict(p), "value": p.value + 1000}) for p in points[:7]]
    new = [
        MetricPoint(**{**_as_dict(p), "object_id": f"new-{i}"})
        for i, p in enumerate(_batch(3, value=5))
    ]
    with unit_of_work() as session:
        assert upsert_points(session, owner, [*points[7:], *changed, *new]) == 10
    with unit_of_work() as session:
        after = _rows(session)
    assert len(after) == 103
    assert sum(1 for row in after if row[0] not in before) == 3
    rewritten = [row for row in after if row[0] in before and before[row[0]] != row]
    assert len(rewritten) == 7
    assert all(row[3] >= 1000 for row in rewritten)


def test_values_with_many_digits_are_stored_exactly(owner: Owner) -> None:
    values = [
        Decimal("12345678901234567890.123456789012345678"),
        Decimal("-0.000000000000000000001"),
        Decimal("1E+3"),
        Decimal("0"),
    ]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    points = [
        MetricPoint("reach", value, start + timedelta(hours=i)) for i, value in enumerate(values)
    ]
    with unit_of_work() as session:
        assert upsert_points(session, owner, points) == 4
        stored = session.execute(text("SELECT value FROM metrics ORDER BY id")).scalars().all()
    assert stored == values
    with unit_of_work() as session:  # the same digits again: nothing to rewrite
        assert upsert_points(session, owner, points) == 0


def test_strings_with_tabs_newlines_backslashes_and_quotes_survive_copy(owner: Owner) -> None:
    awkward = ["a\tb", "line\nbreak\r\n", "back\\slash\\N", "quote'\"q", "\\", "ünïcødé ✓", ""]
    start = datetime(2026, 11, 2, tzinfo=UTC)
    points = [
        MetricPoint(
            "views",
            Decimal(i),
            start,
            object_type="post",
            object_id=name,
            period="lifetime",
            raw_name=name or None,
            api_version=None,
        )
        for i, name in enumerate(awkward)
    ]
    with unit_of_work() as session:
        assert upsert_points(session, owner, points) == len(awkward)
    with unit_of_work() as session:
        rows = _stored(session)
        assert upsert_points(session, owner, points) == 0
    assert [row[0] for row in rows] == awkward
    assert [row[3] for row in rows] == [*awkward[:-1], None]  # "" stays apart from NULL
    assert {row[4] for row in rows} == {None}


def test_an_empty_batch_writes_nothing_and_sends_nothing(
    owner: Owner, statements: list[str]
) -> None:
    with unit_of_work() as session:
        assert upsert_points(session, owner, []) == 0
    assert statements == []


def test_several_batches_in_one_transaction_stage_only_their_own_rows(owner: Owner) -> None:
    first, second = _batch(5), _batch(5, value=100)
    second = [MetricPoint(**{**_as_dict(p), "metric_type": "views"}) for p in second]
    with unit_of_work() as session:
        assert upsert_points(session, owner, first) == 5
        assert upsert_points(session, owner, second) == 5
        assert upsert_points(session, owner, first) == 0  # the staging table was emptied
    with unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM metrics")).scalar_one() == 10


def test_every_pooled_connection_has_nagle_switched_off(db: str) -> None:
    import socket

    with get_engine().connect() as connection:
        sock = connection.connection.dbapi_connection._usock  # type: ignore[union-attr]
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_value_postgres_refuses_fails_the_batch_as_a_database_error(owner: Owner) -> None:
    from sqlalchemy.exc import DBAPIError

    bad = MetricPoint("views", Decimal(1), datetime(2026, 11, 3, tzinfo=UTC), object_id="a\x00b")
    with pytest.raises(DBAPIError), unit_of_work() as session:
        upsert_points(session, owner, [*_batch(3), bad])
    with unit_of_work() as session:  # nothing of the batch was kept; the pool still works
        assert session.execute(text("SELECT count(*) FROM metrics")).scalar_one() == 0
        assert upsert_points(session, owner, _batch(3)) == 3
