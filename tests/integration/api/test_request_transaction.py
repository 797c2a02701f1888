"""One request, one transaction on one connection (authentication included); the commit is
done before the response starts; a connection found dead at the first statement is replaced
and the request runs once more, while a drop after a statement completed is never retried
(issue 16, "Reads")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from local.runtime.process import environment
from socialmetrics.db.engine import get_engine, unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.points import MetricPoint
from tests.factories import make_account
from tests.integration.api.conftest import Person, make_person
from tests.integration.api.gateway import Api

RETRY_LOG = "database connection dropped; retrying the request once"


def _seed(person: Person, rows: int) -> None:
    owner = make_account(user_id=person.user_id)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    points = [
        MetricPoint("impressions", Decimal(i), start + timedelta(hours=i)) for i in range(rows)
    ]
    with unit_of_work() as session:
        upsert_points(session, owner, points)


@contextmanager
def counted(engine: Engine) -> Iterator[dict[str, int]]:
    """Pool checkouts, transactions begun and commits on ``engine`` while the block runs."""
    counts = {"checkout": 0, "begin": 0, "commit": 0}

    def on_checkout(*_: Any) -> None:
        counts["checkout"] += 1

    def on_begin(*_: Any) -> None:
        counts["begin"] += 1

    def on_commit(*_: Any) -> None:
        counts["commit"] += 1

    listeners = (
        (engine.pool, "checkout", on_checkout),
        (engine, "begin", on_begin),
        (engine, "commit", on_commit),
    )
    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        yield counts
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)


def _backend_pid() -> int:
    with unit_of_work() as session:
        pid: int = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def _terminate(pid: int) -> None:
    """End a backend from a separate connection (as a restart or an idle timeout would)."""
    admin = create_engine(get_engine().url, poolclass=None)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            for _ in range(100):  # bounded: the backend is gone within milliseconds
                gone = connection.execute(
                    text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                ).scalar()
                if gone:
                    break
                connection.execute(text("SELECT pg_sleep(0.01)"))
    finally:
        admin.dispose()


@pytest.mark.parametrize(
    ("path", "query"),
    [("/metrics/", "limit=2"), ("/accounts", ""), ("/usage", ""), ("/metrics/summary", "")],
)
def test_a_request_runs_in_one_transaction_on_one_connection(
    api: Api, client: Person, path: str, query: str
) -> None:
    _seed(client, 3)
    with counted(get_engine()) as counts:
        reply = api.call("GET", path, query=query, token=client.token)
    assert reply.status == 200, reply
    assert counts == {"checkout": 1, "begin": 1, "commit": 1}


def test_a_write_request_and_its_authentication_commit_together(api: Api, client: Person) -> None:
    with counted(get_engine()) as counts:
        reply = api.call(
            "PATCH", f"/users/{client.user_id}", body={"name": "Ana B"}, token=client.token
        )
    assert reply.status == 200, reply
    assert counts == {"checkout": 1, "begin": 1, "commit": 1}


def test_the_commit_happens_before_the_response_starts(api: Api, client: Person) -> None:
    from functions.api.app import create_app

    app = create_app()
    order: list[str] = []

    async def recording_app(scope: Any, receive: Any, send: Any) -> None:
        async def recording_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                order.append("response")
            await send(message)

        await app(scope, receive, recording_send)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=recording_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.patch(
                f"/users/{client.user_id}",
                json={"name": "Ana C"},
                headers={"Authorization": f"Bearer {client.token}"},
            )

    def on_commit(*_: Any) -> None:
        order.append("commit")

    event.listen(get_engine(), "commit", on_commit)
    try:
        response = asyncio.run(call())
    finally:
        event.remove(get_engine(), "commit", on_commit)
    assert response.status_code == 200, response.text
    assert order == ["commit", "response"]


def test_a_connection_dropped_between_requests_is_replaced_with_one_retry(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with environment(DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0"):  # the next request reuses it
        ana = make_person(api, "Ana")
        _seed(ana, 3)
        assert api.call("GET", "/metrics/", token=ana.token).status == 200
        pooled = _backend_pid()
        _terminate(pooled)

        caplog.clear()
        with caplog.at_level(logging.WARNING), counted(get_engine()) as counts:
            reply = api.call("GET", "/metrics/", token=ana.token)
        assert reply.status == 200, reply
        assert len(reply.json()) == 3
        assert [r.getMessage() for r in caplog.records].count(RETRY_LOG) == 1
        assert counts["checkout"] == 2  # the dead connection, then a fresh one
        assert counts["commit"] == 1
        assert _backend_pid() != pooled


def test_a_drop_after_a_statement_with_effects_is_not_retried(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with environment(DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0"):
        ana = make_person(api, "Ana")
        pid = _backend_pid()
        engine = get_engine()
        fired: list[str] = []

        def kill_after_update(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("UPDATE USERS") and not fired:
                fired.append(statement)
                _terminate(pid)

        event.listen(engine, "after_cursor_execute", kill_after_update)
        caplog.clear()
        try:
            with caplog.at_level(logging.WARNING):
                reply = api.call(
                    "PATCH", f"/users/{ana.user_id}", body={"name": "Changed"}, token=ana.token
                )
        finally:
            event.remove(engine, "after_cursor_execute", kill_after_update)
        assert fired, "the route never updated the user"
        assert reply.status == 503, reply
        assert reply.headers["content-type"] == "application/problem+json"
        assert RETRY_LOG not in [r.getMessage() for r in caplog.records]
        with unit_of_work() as session:
            name = session.execute(
                text("SELECT name FROM users WHERE id = :u"), {"u": ana.user_id}
            ).scalar_one()
        assert name == "Ana"  # the server rolled the dropped transaction back


def test_a_direct_csv_export_is_one_transaction(api: Api, client: Person) -> None:
    _seed(client, 5)
    with counted(get_engine()) as counts:
        reply = api.call("GET", "/metrics/", token=client.token, headers={"accept": "text/csv"})
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("text/csv")
    lines = reply.text.strip().splitlines()
    assert len(lines) == 1 + 5
    # One transaction: authentication, audit and the rows (Postgres writes the CSV with COPY
    # before the answer starts; the body is then sent from memory, under the size bound).
    assert counts["commit"] == 1
