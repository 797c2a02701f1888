"""GET /usage (clients: own; admins: all or one tenant) and PUT /usage/budget."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from socialmetrics.db.engine import unit_of_work
from socialmetrics.points import MetricPoint
from socialmetrics.usage.service import record_collection
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def _points(*posts: str) -> list[MetricPoint]:
    now = datetime.now(UTC)
    return [
        MetricPoint("impressions", Decimal(1), now, object_type="post", object_id=p) for p in posts
    ]


def test_usage_counts_calls_and_dedupes_x_reads_per_day(
    api: Api, client: Person, other: Person, admin: Person
) -> None:
    now = datetime.now(UTC)
    with unit_of_work() as session:
        record_collection(session, client.user_id, "X", 3, _points("1", "2"), now)
        record_collection(session, client.user_id, "X", 2, _points("2", "3"), now)
        record_collection(session, other.user_id, "TikTok", 4, [], now)
    reply = api.call("GET", "/usage", token=client.token)
    assert reply.status == 200, reply
    [row] = reply.json()["data"]
    assert (row["calls"], row["post_reads"], row["user_reads"]) == (5, 3, 0)
    assert row["estimated_cost_usd"] == "0.0150"
    everyone = api.call("GET", "/usage", token=admin.token).json()["data"]
    assert {r["user_id"] for r in everyone} == {client.user_id, other.user_id}
    one = api.call("GET", "/usage", query=f"user_id={other.user_id}", token=admin.token)
    assert [r["platform"] for r in one.json()["data"]] == ["TikTok"]
    # A client's user_id filter cannot reach another tenant.
    mine = api.call("GET", "/usage", query=f"user_id={other.user_id}", token=client.token)
    assert [r["user_id"] for r in mine.json()["data"]] == [client.user_id]
    bad = api.call("GET", "/usage", query="since=2026-02-01&until=2026-01-01", token=client.token)
    assert bad.status == 422


def test_budget_is_set_by_the_tenant_or_an_admin(
    api: Api, client: Person, other: Person, admin: Person
) -> None:
    body = {"user_id": client.user_id, "x_monthly_budget_usd": 25.5}
    assert api.call("PUT", "/usage/budget", token=client.token, body=body).status == 200
    assert api.call("GET", "/usage", token=client.token).json()["x_monthly_budget_usd"] == "25.5000"
    assert api.call("PUT", "/usage/budget", token=other.token, body=body).status == 404
    cleared = {"user_id": client.user_id, "x_monthly_budget_usd": None}
    assert api.call("PUT", "/usage/budget", token=admin.token, body=cleared).status == 200
    assert api.call("GET", "/usage", token=client.token).json()["x_monthly_budget_usd"] is None
