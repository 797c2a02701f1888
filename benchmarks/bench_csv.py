"""CSV export: rows/s against a plain ``SELECT``, and the largest Lambda response it makes.

One client gets ``rows`` metrics. Two goals of issue 16 are measured:

- ``csv_vs_select``: the export's CSV (``COPY … TO STDOUT`` rendered by Postgres and streamed
  by pg8000, :func:`~socialmetrics.metrics_query.csv_copy.copy_csv` — what both the direct
  answer and the export worker run) against a plain ``SELECT`` of the same rows (same
  statement, join and order) fetched with the same driver's cursor, on the newest
  ``compared_rows`` of them (the SELECT is the slow side: pg8000 parses each timestamp with
  ``strptime``). The previous Python
  rendering (``fields.csv_lines`` over keyset pages) is timed once on a slice, for the note.
- ``csv_lambda_body``: ``GET /metrics/`` with ``Accept: text/csv`` through
  ``functions.api.handler.handler`` (the Mangum path, API Gateway v2 events) for all
  ``rows`` rows, and for the largest export still answered directly
  (``EXPORT_DIRECT_MAX_BYTES / ESTIMATED_ROW_BYTES`` rows, chosen by date); the value is the
  larger of the two whole Lambda responses, in MB. The big one answers 202 with a job; the
  export worker then writes it to S3 (moto) and the object must hold every row.
"""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from benchmarks.goals import Measured
from benchmarks.harness import Comparison, duration, make_owner, median_seconds
from local.runtime.aws import Resources
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner
from socialmetrics.metrics_query.csv_copy import copy_csv
from socialmetrics.metrics_query.fields import csv_lines, iso
from socialmetrics.metrics_query.queries import MetricFilter, page_query
from socialmetrics.metrics_query.service import iter_metrics

MB = 1_000_000
PYTHON_SLICE = 30_000  # rows the previous Python rendering is timed on (it is slow)


POPULATE_CHUNK = 50_000  # rows per INSERT (each well inside the statement timeout)
ORIGIN = datetime(2025, 1, 1, tzinfo=UTC)  # row n is ORIGIN + n minutes


def populate(owner: Owner, rows: int) -> None:
    """``rows`` realistic metrics (posts, lifetime counters), then ANALYZE."""
    for first in range(1, rows + 1, POPULATE_CHUNK):
        _insert(owner, first, min(first + POPULATE_CHUNK - 1, rows))
    with unit_of_work() as session:
        session.execute(text("ANALYZE metrics"))


def _insert(owner: Owner, first: int, last: int) -> None:
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO metrics (collected_at, user_id, platform_id, account_id,"
                " metric_type, value, object_type, object_id, period, raw_name, api_version)"
                " SELECT CAST(:origin AS timestamptz) + n * interval '1 minute', :u, :p, :a,"
                " (ARRAY['views', 'likes', 'comments', 'shares'])[mod(n, 4) + 1], mod(n, 10000),"
                " 'post', 'p' || mod(n, 500), 'lifetime', 'views', 'v25.0'"
                " FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n"
            ),
            {
                "u": owner.user_id,
                "p": owner.platform_id,
                "a": owner.account_id,
                "origin": ORIGIN,
                "first": first,
                "last": last,
            },
        )


def _select(f: MetricFilter, limit: int | None) -> int:
    """The plain SELECT: the export's statement with its columns as stored, fetched whole."""
    with unit_of_work() as session:
        statement = page_query(f, limit, None).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        _no_statement_timeout(session)
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute(str(statement))
        count = len(cursor.fetchall())
        cursor.close()
    return count


def _copy(f: MetricFilter, limit: int | None) -> int:
    with unit_of_work() as session:
        _no_statement_timeout(session)
        return copy_csv(session, f, limit, None, io.BytesIO())


def _no_statement_timeout(session: Session) -> None:
    """Throughput is measured, not the budget: a slow fetch on a loaded machine must not be
    cancelled (the server's clock runs while it waits for the client)."""
    session.execute(text("SET LOCAL statement_timeout = 0"))


def _python_csv(f: MetricFilter, limit: int) -> int:
    return sum(len(piece) for piece in csv_lines(iter_metrics(f, None, limit)))


def _token(owner: Owner) -> str:
    from socialmetrics.identity.service import issue_api_key, login

    with unit_of_work() as session:
        key = issue_api_key(session, owner.user_id, label="bench")
        return login(session, key.key.get_secret_value(), None).access_token


def _lambda_get(token: str, path: str, query: str = "", accept: str = "") -> dict[str, Any]:
    """One ``GET`` through the API function's Lambda handler (Mangum), as API Gateway sends it."""
    from infra import definition
    from local.runtime import invoke
    from local.runtime.gateway import build_event

    matched = definition.match_route("GET", path)
    assert matched is not None
    headers = [("authorization", f"Bearer {token}")] + ([("accept", accept)] if accept else [])
    event = build_event(
        method="GET", path=path, query_string=query, headers=headers, body=b"", route=matched[0]
    )
    response: dict[str, Any] = invoke.call(matched[1], event)
    return response


def _size(response: dict[str, Any]) -> int:
    return len(json.dumps(response).encode())


def run(
    resources: Resources, rows: int = 333_000, repeat: int = 3, compared_rows: int = 100_000
) -> Comparison:
    from local.runtime import pollers
    from socialmetrics.config import get_settings
    from socialmetrics.exports.service import direct_row_limit

    owner = make_owner()
    populate(owner, rows)
    f = MetricFilter(user_id=owner.user_id)
    compared = min(rows, compared_rows)
    if _select(f, compared) != compared or _copy(f, compared) != compared:
        raise AssertionError("the SELECT and the CSV export disagree on the rows")
    baseline = median_seconds(lambda: _select(f, compared), repeat, warmup=1)
    candidate = median_seconds(lambda: _copy(f, compared), repeat, warmup=1)
    sliced = min(rows, PYTHON_SLICE)
    started = time.perf_counter()
    _python_csv(f, sliced)
    python_rate = sliced / (time.perf_counter() - started)
    select_rate = compared / baseline
    ratio = baseline / candidate

    token = _token(owner)
    direct = direct_row_limit(get_settings())
    # The largest export still answered directly: the oldest `direct` rows (limit is capped
    # at API_PAGE_MAX, so a date range selects them; end_date is inclusive).
    last_direct = iso(ORIGIN + timedelta(minutes=direct))
    small = _lambda_get(token, "/metrics/", f"end_date={last_direct}", "text/csv")
    big = _lambda_get(token, "/metrics/", accept="text/csv")
    if small.get("statusCode") != 200 or big.get("statusCode") != 202:
        codes = (small.get("statusCode"), big.get("statusCode"))
        raise AssertionError(f"expected 200 and 202, got {codes}")
    largest = max(_size(small), _size(big)) / MB
    job = json.loads(str(big["body"]))
    started = time.perf_counter()
    drained = pollers.drain("exports")
    worker_seconds = time.perf_counter() - started
    status = json.loads(_lambda_get(token, job["status_url"])["body"])
    if drained.failed or status.get("rows") != rows:
        raise AssertionError(f"the export job did not write every row: {status}")
    written = httpx.get(str(status["download_url"]), timeout=60).content.count(b"\n") - 1
    if written != rows:
        raise AssertionError(f"the exported object holds {written} rows, not {rows}")
    return Comparison(
        name=f"CSV export of {compared:,} of one client's {rows:,} metrics",
        baseline="plain SELECT of the same rows (pg8000 cursor, fetchall)",
        candidate="CSV by COPY streamed through pg8000 (copy_csv)",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=compared,
        unit="rows",
        runs=repeat,
        note=(
            f"previous Python rendering {python_rate:,.0f} rows/s = "
            f"{python_rate / select_rate:.2f}x the SELECT; Lambda path: {direct:,} rows "
            f"answered directly in {_size(small) / MB:.2f} MB, all {rows:,} answered 202 in "
            f"{_size(big):,} bytes, the worker wrote them to S3 in {duration(worker_seconds)}"
        ),
        goals=(
            Measured("csv_vs_select", ratio, f"{compared:,} rows, median of {repeat}"),
            Measured(
                "csv_lambda_body",
                largest,
                f"{rows:,}-row CSV through the Mangum handler: 202 + job; largest direct "
                f"answer {_size(small) / MB:.2f} MB",
            ),
        ),
    )
