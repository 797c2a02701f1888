"""Database faults: a driver error mid-statement never poisons a pooled connection; a hung or
slow database answers 503 problem+json with Retry-After within its time budget; only real
unavailability is a 503 (issue 15, defects 1a, 5 and 9)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from local.runtime.process import environment
from socialmetrics.config import get_settings
from socialmetrics.db import faults
from socialmetrics.db.engine import get_engine, unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.errors import ServiceUnavailable
from socialmetrics.points import MetricPoint
from tests.factories import make_account
from tests.hung_server import Relay
from tests.integration.api.conftest import Person, make_person
from tests.integration.api.gateway import Api, Reply
from tests.support import HungServer

PLUS_14 = timezone(timedelta(hours=14))


def _seed(person: Person, rows: int) -> None:
    owner = make_account(user_id=person.user_id)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with unit_of_work() as session:
        upsert_points(
            session,
            owner,
            [
                MetricPoint("impressions", Decimal(i), start + timedelta(hours=i))
                for i in range(rows)
            ],
        )


def _backend_pid() -> int:
    with unit_of_work() as session:
        pid: int = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def _assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["retry-after"] == str(ServiceUnavailable.retry_after)
    assert reply.json()["detail"] == "The database is unavailable; try again shortly."


class Unencodable:
    """A parameter pg8000 cannot encode: it fails after Parse/Describe went to the server."""

    def __str__(self) -> str:
        raise RuntimeError("driver-level encoding fault")


@pytest.mark.parametrize(
    ("value", "raised"),
    [
        (datetime(1, 1, 1, tzinfo=PLUS_14), OverflowError),  # the fault the fuzzer found
        (Unencodable(), RuntimeError),
    ],
    ids=["datetime-overflow", "encoder-raises"],
)
def test_a_driver_fault_mid_statement_replaces_the_connection(
    api: Api, value: object, raised: type[Exception]
) -> None:
    with environment(DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0"):  # the next request reuses it
        ana, bruno = make_person(api, "Ana"), make_person(api, "Bruno")
        _seed(ana, 3)
        _seed(bruno, 5)
        before = _backend_pid()
        with pytest.raises(raised), unit_of_work() as session:
            session.execute(text("SELECT CAST(:v AS timestamptz)"), {"v": value})
        assert _backend_pid() != before  # invalidated and replaced, never pooled again

        for i in range(100):
            person, rows = (ana, 3) if i % 2 == 0 else (bruno, 5)
            reply = api.call("GET", "/metrics/", token=person.token)
            assert reply.status == 200, (i, reply)
            assert len(reply.json()) == rows
            assert {r["user_id"] for r in reply.json()} == {person.user_id}


def test_a_server_error_keeps_the_connection(api: Api) -> None:
    with environment(DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0"):
        before = _backend_pid()
        with pytest.raises(DBAPIError) as caught, unit_of_work() as session:
            session.execute(text("SELECT 1 / 0"))
        assert faults.sqlstate(caught.value) == "22012"
        assert not faults.unavailable(caught.value)  # a defect (500), not an outage (503)
        assert _backend_pid() == before  # the server reported it cleanly: still in step


def test_a_hung_database_answers_503_with_retry_after(api: Api) -> None:
    ana = make_person(api, "Ana")
    url = make_url(os.environ["DATABASE_URL"])
    with HungServer() as server:
        hung = url.set(host="127.0.0.1", port=server.port).render_as_string(hide_password=False)
        with environment(DATABASE_URL=hung, DB_CONNECT_TIMEOUT_SECONDS="1"):
            _assert_unavailable(api.call("GET", "/metrics/", token=ana.token))


def test_a_database_that_stops_answering_mid_session_answers_503(api: Api) -> None:
    ana = make_person(api, "Ana")
    url = make_url(os.environ["DATABASE_URL"])
    assert url.host
    assert url.port
    with Relay((url.host, url.port)) as relay:
        relayed = url.set(host=relay.address[0], port=relay.address[1])
        with environment(
            DATABASE_URL=relayed.render_as_string(hide_password=False),
            DB_CONNECT_TIMEOUT_SECONDS="1",
            DB_STATEMENT_TIMEOUT_MS="1000",  # socket reads give up 1 s after this
        ):
            assert api.call("GET", "/metrics/", token=ana.token).status == 200
            relay.hang()  # connected and authenticated, then silence
            _assert_unavailable(api.call("GET", "/metrics/", token=ana.token))


def test_a_slow_query_hits_statement_timeout_and_answers_503(api: Api) -> None:
    ana = make_person(api, "Ana")
    with environment(DB_STATEMENT_TIMEOUT_MS="300"):
        with pytest.raises(DBAPIError) as caught, unit_of_work() as session:
            session.execute(text("SELECT pg_sleep(5)"))
        assert faults.sqlstate(caught.value) == "57014"  # cancelled by statement_timeout
        assert faults.unavailable(caught.value)

        # Through the API: another session holds a lock the metrics query needs.
        locker = create_engine(get_settings().database_url)
        try:
            with locker.connect() as connection:
                connection.execute(text("LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE"))
                _assert_unavailable(api.call("GET", "/metrics/", token=ana.token))
                connection.rollback()
        finally:
            locker.dispose()
        assert api.call("GET", "/metrics/", token=ana.token).status == 200


def test_connect_and_statement_timeouts_are_separate(api: Api) -> None:
    with (
        environment(DB_CONNECT_TIMEOUT_SECONDS="2", DB_STATEMENT_TIMEOUT_MS="7000"),
        get_engine().connect() as connection,
    ):
        raw = connection.connection.dbapi_connection
        assert raw is not None
        assert raw._usock.gettimeout() == 8.0
        timeout = connection.execute(text("SHOW statement_timeout")).scalar_one()
    assert timeout == "7s"


def test_no_free_pooled_connection_answers_503(api: Api) -> None:
    ana = make_person(api, "Ana")
    with (
        environment(DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0", DB_CONNECT_TIMEOUT_SECONDS="1"),
        get_engine().connect(),  # holds the only connection
    ):
        _assert_unavailable(api.call("GET", "/metrics/", token=ana.token))
