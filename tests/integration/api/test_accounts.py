"""GET /accounts, /accounts/{id} and /accounts/{id}/runs: the contract, paging, authorization."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from tests.factories import make_account, set_account
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api

PARTS: list[dict[str, Any]] = [
    {"name": "account_fields", "status": "succeeded", "detail": None, "retry_at": None},
    {
        "name": "posts",
        "status": "deferred",
        "detail": "rate limited",
        "retry_at": "2026-03-02T06:15:00+00:00",
    },
]


def _add_run(account_id: int, outcome: str, parts: list[dict[str, Any]] | None = None) -> int:
    with unit_of_work() as session:
        run_id: int = session.execute(
            text(
                "INSERT INTO collection_runs (account_id, job_id, started_at, finished_at,"
                " points_written, outcome, parts) VALUES (:a, 'job', now(), now(), 5, :o,"
                " CAST(:p AS jsonb)) RETURNING id"
            ),
            {"a": account_id, "o": outcome, "p": json.dumps(parts or [])},
        ).scalar_one()
    return run_id


def test_a_client_lists_only_its_own_accounts_with_the_contract_fields(
    api: Api, client: Person, other: Person
) -> None:
    mine = make_account(platform="X", user_id=client.user_id)
    make_account(platform="X", user_id=other.user_id)
    reset = datetime.now(UTC) + timedelta(minutes=10)
    with unit_of_work() as session:
        session.execute(
            text(
                "UPDATE accounts SET rate_limit = CAST(:rl AS jsonb),"
                " sync_cursor = CAST(:c AS jsonb) WHERE id = :a"
            ),
            {
                "rl": json.dumps({"used_pct": 99, "reset_at": reset.isoformat()}),
                "c": json.dumps(
                    {"backfill": {"complete": False, "oldest_at": "2025-06-11T00:00:00+00:00"}}
                ),
                "a": mine.account_id,
            },
        )
    _add_run(mine.account_id, "skipped")  # operator information, never listed
    run_id = _add_run(mine.account_id, "partial", PARTS)
    reply = api.call("GET", "/accounts", token=client.token)
    assert reply.status == 200, reply
    [account] = reply.json()
    assert account["id"] == mine.account_id
    assert account["user_id"] == client.user_id
    assert account["platform"] == "X"
    assert account["status"] == "active"
    assert account["paused_until"] is not None
    assert account["backfill"] == {"complete": False, "oldest_reached": "2025-06-11T00:00:00Z"}
    assert set(account) == {
        "id",
        "user_id",
        "platform",
        "platform_user_id",
        "status",
        "status_reason",
        "paused_until",
        "token_expires_at",
        "refresh_expires_at",
        "last_success_at",
        "next_collect_at",
        "backfill",
        "last_run",
    }
    assert account["last_run"]["id"] == run_id
    assert account["last_run"]["outcome"] == "partial"
    assert account["last_run"]["parts"][1]["status"] == "deferred"
    assert account["last_run"]["parts"][1]["retry_at"] == "2026-03-02T06:15:00Z"
    assert api.call("GET", "/accounts/", token=client.token).json() == [account]


def test_foreign_accounts_and_their_runs_are_404_for_clients(
    api: Api, client: Person, other: Person, admin: Person
) -> None:
    foreign = make_account(platform="X", user_id=other.user_id)
    _add_run(foreign.account_id, "succeeded")
    for path in (f"/accounts/{foreign.account_id}", f"/accounts/{foreign.account_id}/runs"):
        reply = api.call("GET", path, token=client.token)
        assert reply.status == 404
        assert reply.headers["content-type"] == "application/problem+json"
        assert api.call("GET", path, token=admin.token).status == 200
        assert api.call("GET", path).status == 401
    assert (
        api.call("GET", "/accounts", query=f"user_id={other.user_id}", token=client.token).status
        == 404
    )
    assert api.call("GET", "/accounts/987654", token=admin.token).status == 404


def test_admin_filters_by_user_platform_and_status(
    api: Api, admin: Person, client: Person, other: Person
) -> None:
    x = make_account(platform="X", user_id=client.user_id)
    ig = make_account(platform="Instagram", user_id=client.user_id)
    gone = make_account(platform="Instagram", user_id=other.user_id)
    set_account(gone.account_id, status="not_found", status_reason="Object does not exist")

    def ids(query: str) -> list[int]:
        reply = api.call("GET", "/accounts", query=query, token=admin.token)
        assert reply.status == 200, reply
        return [a["id"] for a in reply.json()]

    assert ids("") == [x.account_id, ig.account_id, gone.account_id]
    assert ids(f"user_id={client.user_id}") == [x.account_id, ig.account_id]
    assert ids("platform=instagram") == [ig.account_id, gone.account_id]
    assert ids("status=not_found") == [gone.account_id]
    assert api.call("GET", "/accounts", query="platform=Myspace", token=admin.token).status == 422
    assert api.call("GET", "/accounts", query="status=sleeping", token=admin.token).status == 422
    reply = api.call("GET", f"/accounts/{gone.account_id}", token=admin.token)
    assert reply.json()["status_reason"] == "Object does not exist"


def test_accounts_and_runs_are_keyset_paginated_newest_run_first(api: Api, client: Person) -> None:
    accounts = [make_account(platform="X", user_id=client.user_id) for _ in range(3)]
    seen: list[int] = []
    query = "limit=2"
    for _ in range(3):
        reply = api.call("GET", "/accounts", query=query, token=client.token)
        seen += [a["id"] for a in reply.json()]
        cursor = reply.headers.get("x-next-cursor")
        if cursor is None:
            break
        assert 'rel="next"' in reply.headers["link"]
        query = f"limit=2&cursor={cursor}"
    assert seen == [a.account_id for a in accounts]

    target = accounts[0].account_id
    runs = [_add_run(target, outcome) for outcome in ("succeeded", "failed", "deferred")]
    first = api.call("GET", f"/accounts/{target}/runs", query="limit=2", token=client.token)
    assert [r["id"] for r in first.json()] == [runs[2], runs[1]]
    cursor = first.headers["x-next-cursor"]
    second = api.call(
        "GET", f"/accounts/{target}/runs", query=f"limit=2&cursor={cursor}", token=client.token
    )
    assert [r["id"] for r in second.json()] == [runs[0]]
    assert "x-next-cursor" not in second.headers
    bad = api.call("GET", f"/accounts/{target}/runs", query="cursor=bm9wZQ", token=client.token)
    assert bad.status == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_the_routes_are_documented_in_openapi_with_examples(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()
    for path in ("/accounts", "/accounts/{account_id}", "/accounts/{account_id}/runs"):
        assert "get" in spec["paths"][path], path
    schemas = spec["components"]["schemas"]
    assert schemas["AccountOut"]["examples"]
    assert schemas["RunOut"]["examples"]
    assert schemas["AccountOut"]["properties"]["status"]["enum"] == [
        "active",
        "reauth_required",
        "not_found",
        "revoked",
    ]
