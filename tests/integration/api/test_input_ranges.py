"""Times and ids from a request or a cursor are range-checked before SQL (422, never a 500 or a
503), open ends stay valid, and any stored value encodes (issue 15, defects 1b, 9 and 10)."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from tests.factories import make_account
from tests.integration.api.conftest import Person, make_person
from tests.integration.api.gateway import Api, Reply


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _summary(bucket: str, user: int, platform: int, account: int, metric: str) -> str:
    keys = [user, platform, account, metric, "account", "day"]  # fields.SUMMARY_GROUP
    return _cursor(f"s2|{bucket}|{json.dumps(keys)}")


BIG = 2**63
OUT_OF_RANGE = [
    ("/metrics/", "start_date=0001-01-01T00:00:00%2B14:00"),
    ("/metrics/", "end_date=9999-12-31T23:59:59-14:00"),
    ("/metrics/summary", "start_date=0001-01-01T00:00:00%2B14:00"),
    ("/metrics/summary", "end_date=9999-12-31T23:59:59-14:00"),
    ("/metrics/", "cursor=" + _cursor("m1|0001-01-01T00:00:00+14:00|5")),
    ("/metrics/", "cursor=" + _cursor(f"m1|2025-01-01T00:00:00+00:00|{BIG}")),
    ("/metrics/", "cursor=" + _cursor("m1|2025-01-01T00:00:00+00:00|-1")),
    ("/metrics/", "cursor=" + _cursor("m1|2025-01-01T00:00:00|5")),  # no timezone
    ("/metrics/summary", "cursor=" + _summary("0001-01-01T00:00:00+14:00", 1, 3, 1, "reach")),
    ("/metrics/summary", "cursor=" + _summary("2025-01-01T00:00:00+00:00", BIG, 3, 1, "reach")),
    ("/metrics/summary", "cursor=" + _summary("2025-01-01T00:00:00+00:00", 1, 3, 0, "reach")),
    ("/metrics/summary", "cursor=" + _summary("2025-01-01T00:00:00+00:00", 1, 3, 1, "re\x00ach")),
]
OPEN_ENDS = [
    "end_date=9999-12-31",
    "end_date=9999-12-31T23:59:59.999999Z",
    "start_date=0001-01-01",
    "start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z",
]


def _one_row(person: Person, value: str = "7") -> None:
    owner = make_account(user_id=person.user_id)
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO metrics (user_id, platform_id, account_id, metric_type, value,"
                " collected_at, object_type, object_id, period, source)"
                " VALUES (:u, :p, :a, 'reach', CAST(:v AS numeric), :t, 'account', '', 'day',"
                " 'poll')"
            ),
            {
                "u": owner.user_id,
                "p": owner.platform_id,
                "a": owner.account_id,
                "v": value,
                "t": datetime(2025, 1, 2, tzinfo=UTC),
            },
        )


def _assert_422(status: int, content_type: str, body: dict[str, object]) -> None:
    assert status == 422, body
    assert content_type == "application/problem+json"
    assert body["status"] == 422


@pytest.mark.parametrize(("path", "query"), OUT_OF_RANGE)
def test_out_of_range_times_and_ids_are_422_through_the_lambda_handler(
    api: Api, path: str, query: str
) -> None:
    ana = make_person(api, "Ana")
    _one_row(ana)
    for _ in range(2):  # the same bad request twice: nothing is left broken behind it
        reply = api.call("GET", path, token=ana.token, query=query)
        _assert_422(reply.status, reply.headers["content-type"], reply.json())
    csv_reply = api.call("GET", path, token=ana.token, query=query, headers={"accept": "text/csv"})
    assert csv_reply.status == 422, csv_reply
    assert len(api.call("GET", "/metrics/", token=ana.token).json()) == 1


@pytest.mark.parametrize(("path", "query"), OUT_OF_RANGE)
def test_out_of_range_times_and_ids_are_422_through_the_asgi_app(
    api: Api, path: str, query: str
) -> None:
    from functions.api.app import create_app

    ana = make_person(api, "Ana")
    _one_row(ana)
    headers = {"Authorization": f"Bearer {ana.token}"}
    with TestClient(create_app()) as client:
        response = client.get(f"{path}?{query}", headers=headers)
        _assert_422(response.status_code, response.headers["content-type"], response.json())
        assert client.get("/metrics/", headers=headers).status_code == 200


@pytest.mark.parametrize("query", OPEN_ENDS)
def test_open_ends_are_accepted(api: Api, query: str) -> None:
    ana = make_person(api, "Ana")
    _one_row(ana)
    for path in ("/metrics/", "/metrics/summary"):
        reply = api.call("GET", path, token=ana.token, query=query)
        assert reply.status == 200, (path, reply)
        assert len(reply.json()) == 1


def test_register_token_refuses_an_expiry_outside_years_1_to_9999(api: Api) -> None:
    ana = make_person(api, "Ana")
    reply = api.call(
        "POST",
        "/users/register-token/",
        token=ana.token,
        body={
            "platform_user_id": "p1",
            "access_token": "act.valid-token",
            "platform_id": 3,
            "expires_at": "0001-01-01T00:00:00+14:00",
        },
    )
    _assert_422(reply.status, reply.headers["content-type"], reply.json())
    assert api.call("GET", "/metrics/", token=ana.token).status == 200


def _values(reply: Reply) -> list[object]:
    assert reply.status == 200, reply
    return [row["value"] for row in reply.json()]


@pytest.mark.parametrize(
    ("stored", "json_value"),
    [
        ("1" + "0" * 400, "1" + "0" * 400),  # beyond the double range: exact, as a string
        ("1e-400", "1E-400"),  # would round to 0 as a double
        (str(2**60), str(2**60)),  # an integer a double cannot hold exactly
        ("9007199254740992", 9007199254740992),  # 2^53: still an exact JSON integer
        ("1000", 1000),
        ("2.5", 2.5),
    ],
)
def test_any_stored_value_encodes_in_json_and_csv(
    api: Api, stored: str, json_value: object
) -> None:
    ana = make_person(api, "Ana")
    _one_row(ana, stored)
    assert _values(api.call("GET", "/metrics/", token=ana.token)) == [json_value]
    summary = api.call("GET", "/metrics/summary", token=ana.token, query="agg=max")
    assert _values(summary) == [json_value]
    reply = api.call("GET", "/metrics/", token=ana.token, headers={"accept": "text/csv"})
    [row] = list(csv.DictReader(io.StringIO(reply.text)))
    assert Decimal(row["value"]) == Decimal(stored)  # CSV carries every value exactly
