"""GET /accounts/health and /accounts/{id}/health: own accounts for clients, every tenant's
for admins; the literal path is not read as an account id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_account, set_account
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def test_health_shows_expiry_quota_and_pause_to_the_owner_only(
    api: Api, client: Person, other: Person, admin: Person
) -> None:
    mine = make_account("TikTok", user_id=client.user_id)
    theirs = make_account("X", user_id=other.user_id)
    expires = datetime.now(UTC) + timedelta(days=3)
    reset = datetime.now(UTC) + timedelta(minutes=10)
    set_account(
        mine.account_id,
        token_expires_at=expires,
        refresh_expires_at=expires + timedelta(days=100),
        rate_limit=(
            '{"platform": "TikTok", "used_pct": 97.0, "limit": 600, "remaining": 18,'
            f' "reset_at": "{reset.isoformat()}"}}'
        ),
    )
    reply = api.call("GET", "/accounts/health", token=client.token)
    assert reply.status == 200, reply
    [row] = reply.json()
    assert row["account_id"] == mine.account_id
    assert row["status"] == "active"
    assert datetime.fromisoformat(row["token_expires_at"]) == expires
    assert row["quota"]["remaining"] == 18
    assert datetime.fromisoformat(row["paused_until"]) == reset
    assert row["last_refresh_at"] is None
    one = api.call("GET", f"/accounts/{mine.account_id}/health", token=client.token)
    assert one.json() == row
    assert (
        api.call("GET", f"/accounts/{theirs.account_id}/health", token=client.token).status == 404
    )
    every = api.call("GET", "/accounts/health", token=admin.token).json()
    assert {r["account_id"] for r in every} == {mine.account_id, theirs.account_id}
    assert api.call("GET", "/accounts/health").status == 401


def test_health_pages_by_account_id(api: Api, client: Person) -> None:
    ids = [make_account("X", user_id=client.user_id).account_id for _ in range(3)]
    first = api.call("GET", "/accounts/health", query="limit=2", token=client.token)
    assert [r["account_id"] for r in first.json()] == ids[:2]
    cursor = first.headers["x-next-cursor"]
    rest = api.call("GET", "/accounts/health", query=f"limit=2&cursor={cursor}", token=client.token)
    assert [r["account_id"] for r in rest.json()] == ids[2:]
    assert "x-next-cursor" not in rest.headers
