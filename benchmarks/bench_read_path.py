"""The read path of ``GET /metrics/`` against the SQL it runs (issue 16, "Reads").

One client gets ``points`` metric points spread over two platform accounts, so its page 1
without a platform filter is served by the ``(user_id, collected_at, id)`` index. One request
through the app records every statement it sends (with its parameters); the baseline replays
exactly those statements, and the commit, on a pooled pg8000 connection — the floor the app
adds to. Side by side, in one run, each a median:

- ``read_in_process``: the ASGI app called directly (JWT verified, actor loaded, page queried,
  serialised) vs the replayed SQL;
- ``read_deployed``: ``functions.api.handler.handler`` with an API Gateway v2 event and the
  deployed settings (``DB_NULL_POOL=true``) vs the same SQL;
- ``read_no_platform_sql``: the page statement alone, in ms, as the server spends it (planning +
  execution from ``EXPLAIN ANALYZE``; the driver's wall time with row decoding is shown
  beside it), with ``EXPLAIN`` showing the index;
- ``read_rps``: requests/s at 8 keep-alive clients against one uvicorn server process on
  loopback (a lean asyncio HTTP/1.1 client in this process, so the server owns its CPU).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from benchmarks.bench_pagination import populate
from benchmarks.goals import Measured
from benchmarks.harness import ROOT, Comparison, make_owner, median_seconds
from local.runtime.postgres import free_port
from local.runtime.process import environment
from socialmetrics.db.engine import get_engine, unit_of_work
from socialmetrics.db.metrics import Owner
from socialmetrics.identity.service import issue_api_key, login

INDEX = "metrics_user_time_idx"
# Its copy on each monthly partition is named by Postgres after the columns.
PARTITION_INDEX = re.compile(r"Index Scan Backward using metrics_\w+_user_id_collected_at_id_idx")
CLIENTS = 8


@dataclass(frozen=True)
class Target:
    path: str
    query: str
    token: str

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"host", b"bench"), (b"authorization", f"Bearer {self.token}".encode())]


def _seed(points: int) -> Target:
    owner = make_owner(platform_id=3)
    with unit_of_work() as session:
        account_id = session.execute(
            _sql(
                "INSERT INTO accounts (user_id, platform_id, platform_user_id, access_token_ct,"
                " wrapped_key, key_id) VALUES (:u, 1, :pu, '\\x00', '\\x00', 'bench') RETURNING id"
            ),
            {"u": owner.user_id, "pu": f"bench-x-{owner.user_id}"},
        ).scalar_one()
        key = issue_api_key(session, owner.user_id, label="bench")
        token = login(session, key.key.get_secret_value(), None).access_token
    populate(owner, points - points // 2)
    populate(Owner(owner.user_id, 1, account_id), points // 2)
    return Target("/metrics/", "limit=100", token)


def _sql(statement: str) -> Any:
    from sqlalchemy import text

    return text(statement)


# --- the app, called in process ------------------------------------------------------------------


async def _asgi_get(app: Any, target: Target) -> bytes:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": target.path,
        "raw_path": target.path.encode(),
        "query_string": target.query.encode(),
        "root_path": "",
        "headers": target.headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    status: list[int] = []
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    if status != [200]:
        raise AssertionError(f"GET {target.path} answered {status}: {b''.join(body)[:300]!r}")
    return b"".join(body)


def _statements(app: Any, runner: asyncio.Runner, target: Target) -> list[tuple[str, Any]]:
    """Every statement one request sends, with its parameters (as the driver got them)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        runner.run(_asgi_get(app, target))
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)
    return seen


def _replay(statements: list[tuple[str, Any]]) -> None:
    """The request's statements and its commit on a pooled connection, nothing else."""
    connection = get_engine().raw_connection()
    try:
        cursor = connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        connection.commit()
    finally:
        connection.close()


def _uses_index(statement: str, parameters: Any) -> bool:
    """True when the plan range-scans ``(user_id, collected_at, id)`` backwards, no sort."""
    connection = get_engine().raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        connection.rollback()
    finally:
        connection.close()
    sorts = re.search(r"(^|->)\s*(Incremental )?Sort\s+\(", plan, re.MULTILINE)
    return sorts is None and bool(PARTITION_INDEX.search(plan))


def _server_ms(statement: str, parameters: Any, repeat: int) -> float:
    """The server's own time for the statement (planning + execution, from ``EXPLAIN
    ANALYZE``), median of ``repeat``: the SQL itself, without the driver decoding its rows."""
    connection = get_engine().raw_connection()
    times = []
    try:
        cursor = connection.cursor()
        for _ in range(repeat):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchall()[0][0]
            document = json.loads(plan) if isinstance(plan, str) else plan
            times.append(float(document[0]["Planning Time"] + document[0]["Execution Time"]))
        connection.rollback()
    finally:
        connection.close()
    return float(statistics.median(times))


# --- the Lambda path -----------------------------------------------------------------------------


def _event(target: Target) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": target.path,
        "rawQueryString": target.query,
        "headers": {"host": "api.example.com", "authorization": f"Bearer {target.token}"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.example.com",
            "http": {
                "method": "GET",
                "path": target.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "bench",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


class _Context:
    function_name = "socialmetrics-api"
    memory_limit_in_mb = 1024
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:socialmetrics-api"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


# --- requests per second against one server process ----------------------------------------------


@contextlib.contextmanager
def server_process() -> Iterator[int]:
    """``uvicorn functions.api.app:create_app`` in its own process on a free loopback port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "functions.api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--no-access-log",
        "--lifespan",
        "off",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120  # importing the app on a busy 2-core machine
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _client(port: int, request: bytes, count: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(count):
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise AssertionError(head[:200].decode(errors="replace"))
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
    finally:
        writer.close()
        await writer.wait_closed()


def load(port: int, target: Target, total: int, clients: int = CLIENTS) -> None:
    """``total`` keep-alive GETs over ``clients`` connections; every one must be 200."""
    request = (
        f"GET {target.path}?{target.query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {target.token}\r\n\r\n"
    ).encode()

    async def all_clients() -> None:
        await asyncio.gather(*(_client(port, request, total // clients) for _ in range(clients)))

    asyncio.run(all_clients())


# --- the run -------------------------------------------------------------------------------------


def timed(calls: int, repeat: int, call: Callable[[], object]) -> float:
    """Median seconds of ``calls`` calls of ``call`` (one warm-up round first)."""

    def all_calls() -> None:
        for _ in range(calls):
            call()

    return median_seconds(all_calls, repeat, warmup=1)


def run(
    points: int = 500_000, calls: int = 100, requests: int = 1_000, repeat: int = 3
) -> Comparison:
    from functions.api.app import create_app

    target = _seed(points)
    app = create_app()
    with asyncio.Runner() as runner:
        statements = _statements(app, runner, target)
        page_statement = statements[-1]
        in_process = timed(calls, repeat, lambda: runner.run(_asgi_get(app, target)))
    sql = timed(calls, repeat, lambda: _replay(statements))
    page_sql = timed(calls, repeat, lambda: _replay([page_statement]))
    indexed = _uses_index(*page_statement)
    server_ms = _server_ms(*page_statement, repeat=calls)

    with environment(DB_NULL_POOL="true"):
        sys.modules.pop("functions.api.handler", None)
        handler = importlib.import_module("functions.api.handler").handler
        context = _Context()

        def lambda_call() -> None:
            reply = handler(_event(target), context)
            if reply["statusCode"] != 200:
                raise AssertionError(f"the Lambda path answered {reply['statusCode']}")

        deployed = timed(calls, repeat, lambda_call)
        deployed_sql = timed(calls, repeat, lambda: _replay(statements))
        sys.modules.pop("functions.api.handler", None)

    with server_process() as port:
        load(port, target, CLIENTS * 10)  # warm the server's pool and code paths
        served = median_seconds(lambda: load(port, target, requests), repeat)
    rps = requests / served

    per = {name: value / calls for name, value in (("app", in_process), ("sql", sql))}
    deployed_ratio = deployed / deployed_sql
    return Comparison(
        name=(
            f"GET /metrics/ page 1 (100 rows, no platform filter) of one client's {points:,} "
            f"points, {calls} calls a sample"
        ),
        baseline="the SQL it runs (replayed on a pooled pg8000 connection)",
        candidate="the ASGI app in process",
        baseline_seconds=sql,
        candidate_seconds=in_process,
        unit_count=calls,
        unit="requests",
        runs=repeat,
        note=(
            f"Lambda path (DB_NULL_POOL=true): {deployed / calls * 1e3:.2f} ms vs SQL "
            f"{deployed_sql / calls * 1e3:.2f} ms; page statement {page_sql / calls * 1e3:.2f} ms "
            f"({'uses' if indexed else 'does NOT use'} {INDEX}); {rps:,.0f} req/s at "
            f"{CLIENTS} clients"
        ),
        goals=(
            Measured(
                "read_in_process",
                in_process / sql,
                f"{per['app'] * 1e3:.2f} ms vs {per['sql'] * 1e3:.2f} ms, {points:,} rows",
            ),
            Measured(
                "read_deployed",
                deployed_ratio,
                f"{deployed / calls * 1e3:.2f} ms vs {deployed_sql / calls * 1e3:.2f} ms "
                "(Mangum handler, one kept connection)",
            ),
            Measured(
                "read_no_platform_sql",
                server_ms,
                f"server planning + execution (EXPLAIN ANALYZE), "
                f"{'index ' + INDEX if indexed else 'NOT using ' + INDEX}, {points:,} rows; "
                f"with pg8000 decoding the 101 rows: {page_sql / calls * 1e3:.2f} ms",
            ),
            Measured("read_rps", rps, f"{CLIENTS} keep-alive clients, one uvicorn process"),
        ),
    )
