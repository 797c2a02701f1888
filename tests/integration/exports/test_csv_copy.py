"""The CSV Postgres renders (COPY) is byte for byte the CSV of ``fields.csv_lines``."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner
from socialmetrics.metrics_query.csv_copy import copy_csv
from socialmetrics.metrics_query.fields import csv_lines
from socialmetrics.metrics_query.queries import MetricFilter, count_rows, metric_page
from tests.factories import make_account

VALUES = (
    "0.0000001",
    "0.00000012300",
    "-0.000000123",
    "0.0000000",
    "0.000000",
    "0.000001",
    "1E+400",
    "123.4500",
    "-5",
    "0",
    "NaN",
    "Infinity",
    "-Infinity",
)
TEXTS = (
    "=SUM(A1)",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "cr\rinside",
    "\tTab",
    "-neg",
    "+plus",
    "@at",
    "ünï ✓",
    " spaced ",
    "back\\slash",
)


def _insert(owner: Owner, index: int, value: str, label: str, moment: datetime) -> None:
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO metrics (collected_at, user_id, platform_id, account_id, metric_type,"
                " value, object_type, object_id, period, source, raw_name, api_version)"
                " VALUES (:t, :u, :p, :a, :mt, CAST(:v AS numeric), 'post', :oid, 'day', 'poll',"
                " :raw, :api)"
            ),
            {
                "t": moment,
                "u": owner.user_id,
                "p": owner.platform_id,
                "a": owner.account_id,
                "mt": f"m{index} {label}",
                "v": value,
                "oid": "" if index % 2 else label,
                "raw": None if index % 3 == 0 else label,
                "api": ["", None, "v1,2", "v25.0"][index % 4],
            },
        )


@pytest.fixture
def tricky(db: str) -> Owner:
    owner = make_account()
    with unit_of_work() as session:
        session.execute(
            text("UPDATE accounts SET platform_user_id = :p WHERE id = :a"),
            {"p": "=acct\r1", "a": owner.account_id},
        )
    for index, value in enumerate(VALUES):
        label = TEXTS[index % len(TEXTS)]
        micro = 0 if index % 2 else 123_456
        _insert(owner, index, value, label, datetime(2025, 3, 1 + index, 8, 30, 0, micro, UTC))
    for index, label in enumerate(TEXTS, start=len(VALUES)):
        _insert(owner, index, "1", label, datetime(2024, 12, 31, 23, 59, 59, index, UTC))
    _insert(owner, 99, "7", "ancient", datetime(1, 1, 1, tzinfo=UTC))
    return owner


def _both(f: MetricFilter, limit: int | None, after: tuple[datetime, int] | None) -> list[bytes]:
    with unit_of_work() as session:
        rows = metric_page(session, f, limit or 1_000_000, after)
        copied = io.BytesIO()
        count = copy_csv(session, f, limit, after, copied)
    assert count == len(rows)
    return ["".join(csv_lines(rows)).encode(), copied.getvalue()]


def test_copy_renders_every_kind_of_value_like_the_python_csv(tricky: Owner) -> None:
    python, copied = _both(MetricFilter(user_id=tricky.user_id), None, None)
    assert copied == python
    assert copied.count(b"\n") > len(VALUES) + len(TEXTS)  # the rows are there
    assert b'"cr\rinside"' in copied  # a bare CR is quoted (RFC 4180)


def test_copy_honours_filters_keyset_and_limit(tricky: Owner) -> None:
    with unit_of_work() as session:
        [first, second] = metric_page(session, MetricFilter(user_id=tricky.user_id), 2, None)
    after = (first["collected_at"], first["metric_id"])
    f = MetricFilter(user_id=tricky.user_id, metric_type="m11 back\\slash", period="day")
    for filt, limit, keyset in ((f, None, None), (MetricFilter(user_id=tricky.user_id), 5, after)):
        python, copied = _both(filt, limit, keyset)
        assert copied == python
    assert (
        _both(MetricFilter(user_id=tricky.user_id), 1, after)[1]
        .splitlines()[1]
        .startswith(str(second["metric_id"]).encode() + b",")
    )
    with unit_of_work() as session:
        assert count_rows(session, MetricFilter(user_id=tricky.user_id), None, 5) == 5
        assert count_rows(session, f, None, 5) == 1


def test_a_filter_value_with_quotes_cannot_escape_the_statement(tricky: Owner) -> None:
    f = MetricFilter(user_id=tricky.user_id, metric_type="x'); DROP TABLE metrics; --")
    python, copied = _both(f, None, None)
    assert copied == python == b"".join(line.encode() for line in csv_lines([]))
    with unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM metrics")).scalar_one() > 0
