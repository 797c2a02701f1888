"""Every keyset-paginated list speaks one cursor format: an opaque cursor in ``X-Next-Cursor``
and a ``Link: rel="next"`` URL to follow, none on the last page; a cursor that does not decode,
or one of another list, is a 422 problem (issue 14, "API plumbing")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from socialmetrics import cursors
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.points import MetricPoint
from tests.factories import make_account
from tests.integration.api.conftest import Person, make_person
from tests.integration.api.gateway import Api, Reply

ROWS = 3  # every list below holds three rows: pages of 2, then 1
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def _metrics(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    owner = make_account(user_id=client.user_id)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    points = [
        MetricPoint("impressions", Decimal(i), start + timedelta(days=i)) for i in range(ROWS)
    ]
    with unit_of_work() as session:
        upsert_points(session, owner, points)
    return "/metrics/", client.token


def _summary(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    _metrics(api, admin, client)
    return "/metrics/summary", client.token


def _accounts(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    for _ in range(ROWS):
        make_account("X", user_id=client.user_id)
    return "/accounts", client.token


def _runs(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    account_id = make_account("X", user_id=client.user_id).account_id
    with unit_of_work() as session:
        for _ in range(ROWS):
            session.execute(
                text(
                    "INSERT INTO collection_runs (account_id, job_id, started_at, finished_at,"
                    " points_written, outcome, parts) VALUES (:a, 'job', now(), now(), 1,"
                    " 'succeeded', '[]')"
                ),
                {"a": account_id},
            )
    return f"/accounts/{account_id}/runs", client.token


def _health(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    _accounts(api, admin, client)
    return "/accounts/health", client.token


def _users(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    make_person(api, "Bruno")  # admin, Ana and Bruno
    return "/users/", admin.token


def _rejections(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    with unit_of_work() as session:
        for index in range(ROWS):
            session.execute(
                text(
                    "INSERT INTO webhook_rejections (provider, platform, entry_index, entry_id,"
                    " entry_digest, reason, detail, received_at) VALUES ('meta', 'Facebook', :i,"
                    " :e, :d, 'id_too_long', 'too long', now())"
                ),
                {"i": index, "e": f"entry-{index}", "d": f"{index:064x}"},
            )
    return "/webhooks/rejections", admin.token


def _deliveries(api: Api, admin: Person, client: Person) -> tuple[str, str]:
    created = api.call(
        "POST", "/webhook-endpoints", token=client.token, body={"url": "http://127.0.0.1:9/hook"}
    )
    assert created.status == 201, created
    endpoint_id = created.json()["id"]
    with unit_of_work() as session:
        for index in range(ROWS):
            session.execute(
                text(
                    "INSERT INTO signal_events (id, user_id, type) VALUES (:e, :u, 'export.ready')"
                ),
                {"e": f"evt-{index}", "u": client.user_id},
            )
            session.execute(
                text("INSERT INTO webhook_deliveries (endpoint_id, event_id) VALUES (:ep, :e)"),
                {"ep": endpoint_id, "e": f"evt-{index}"},
            )
    return f"/webhook-endpoints/{endpoint_id}/deliveries", client.token


Seed = Callable[[Api, Person, Person], tuple[str, str]]
LISTS: dict[str, Seed] = {
    "metrics": _metrics,
    "summary": _summary,
    "accounts": _accounts,
    "runs": _runs,
    "health": _health,
    "users": _users,
    "rejections": _rejections,
    "deliveries": _deliveries,
}


def _follow(api: Api, reply: Reply, token: str) -> Reply:
    """The page the ``Link: rel="next"`` header points at, checked against ``X-Next-Cursor``."""
    match = LINK.match(reply.headers["link"])
    assert match, reply.headers["link"]
    url = urlsplit(match["url"])
    assert parse_qs(url.query)["cursor"] == [reply.headers["x-next-cursor"]]
    return api.call("GET", url.path, query=url.query, token=token)


def _assert_invalid_cursor(reply: Reply) -> None:
    assert reply.status == 422, reply
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["detail"] == "The cursor is not valid."


@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_pages_with_one_cursor_format_and_a_link_header(
    api: Api, admin: Person, client: Person, name: str
) -> None:
    path, token = LISTS[name](api, admin, client)
    first = api.call("GET", path, query="limit=2", token=token)
    assert first.status == 200, first
    assert len(first.json()) == 2
    second = _follow(api, first, token)
    assert second.status == 200, second
    rows = first.json() + second.json()
    assert len(rows) == ROWS
    assert len({repr(sorted(r.items())) for r in rows}) == ROWS  # no row twice
    assert "link" not in second.headers
    assert "x-next-cursor" not in second.headers

    _assert_invalid_cursor(api.call("GET", path, query="cursor=%25%25%25", token=token))
    foreign = cursors.encode_id("zz", 1)  # decodes, but belongs to no list
    _assert_invalid_cursor(api.call("GET", path, query=f"cursor={foreign}", token=token))
