"""One series per account: rows carry their platform account, filter by it, by object type
and by period, and summaries never aggregate across accounts, object types or periods."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.metrics_query.queries import MetricFilter, page_query
from socialmetrics.points import MetricPoint
from tests.integration.api.conftest import Person, make_person
from tests.integration.api.gateway import Api, invoke, load_event

DAY = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _instagram(person: Person, platform_user_id: str) -> Owner:
    from socialmetrics.compliance.audit import Actor
    from socialmetrics.registration import register_token

    with unit_of_work() as session:
        account_id = register_token(
            session, Actor(person.user_id, "client"), person.user_id, 3, platform_user_id, "at.1"
        ).account_id
    return Owner(person.user_id, 3, account_id)


def _series(owner: Owner, scale: int) -> None:
    """Per account: account-level daily likes, lifetime likes of two posts, and followers."""
    points = []
    for d in range(3):
        moment = DAY + timedelta(days=d)
        points += [
            MetricPoint("likes", Decimal(scale * (d + 1)), moment, period="day"),
            MetricPoint("followers", Decimal(scale * 100 + d), moment),
        ]
    for post in ("p1", "p2"):
        points.append(
            MetricPoint(
                "likes", Decimal(scale * 1000), DAY, object_type="post", object_id=post,
                period="lifetime",
            )
        )  # fmt: skip
    with unit_of_work() as session:
        upsert_points(session, owner, points)


@pytest.fixture
def two_accounts(api: Api) -> tuple[Person, Owner, Owner]:
    ana = make_person(api, "Ana")
    first, second = _instagram(ana, "ig-ana-brand"), _instagram(ana, "ig-ana-personal")
    _series(first, 1)
    _series(second, 7)
    return ana, first, second


def test_account_filter_returns_each_instagram_account_alone(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, second = two_accounts
    everything = api.call("GET", "/metrics/", token=ana.token).json()
    assert len(everything) == 16
    for owner, platform_account in ((first, "ig-ana-brand"), (second, "ig-ana-personal")):
        reply = api.call(
            "GET", "/metrics/", token=ana.token, query=f"account_id={owner.account_id}"
        )
        assert reply.status == 200, reply
        rows = reply.json()
        assert len(rows) == 8
        assert {(r["account_id"], r["platform_account_id"]) for r in rows} == {
            (owner.account_id, platform_account)
        }
        exported = api.call(
            "GET",
            "/metrics/",
            token=ana.token,
            query=f"account_id={owner.account_id}",
            headers={"accept": "text/csv"},
        )
        table = list(csv.DictReader(io.StringIO(exported.text)))
        assert [int(r["metric_id"]) for r in table] == [r["metric_id"] for r in rows]
        assert {(r["account_id"], r["platform_account_id"]) for r in table} == {
            (str(owner.account_id), platform_account)
        }


def test_json_csv_and_openapi_carry_the_same_fields_in_the_same_order(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, _, _ = two_accounts
    [row] = api.call("GET", "/metrics/", token=ana.token, query="limit=1").json()
    header = api.call(
        "GET", "/metrics/", token=ana.token, query="limit=1", headers={"accept": "text/csv"}
    ).text.splitlines()[0]
    schema = api.call("GET", "/openapi.json").json()["components"]["schemas"]
    assert list(row) == header.split(",") == list(schema["MetricOut"]["properties"])
    [summary] = api.call("GET", "/metrics/summary", token=ana.token, query="limit=1").json()
    assert list(summary) == list(schema["SummaryOut"]["properties"])
    assert {"account_id", "platform_account_id", "object_type", "period"} <= set(summary)


def test_object_type_and_period_filter_rows(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, _ = two_accounts
    posts = api.call(
        "GET", "/metrics/", token=ana.token, query="object_type=post&period=lifetime"
    ).json()
    assert len(posts) == 4
    assert {(r["object_type"], r["period"]) for r in posts} == {("post", "lifetime")}
    daily = api.call(
        "GET",
        "/metrics/",
        token=ana.token,
        query=f"account_id={first.account_id}&metric_type=likes&period=day",
    ).json()
    assert [r["value"] for r in daily] == [3, 2, 1]
    unknown = api.call("GET", "/metrics/", token=ana.token, query="object_type=planet")
    assert unknown.status == 422
    assert unknown.headers["content-type"] == "application/problem+json"


def test_summary_sum_of_likes_never_adds_accounts_object_types_or_periods(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, second = two_accounts
    reply = api.call(
        "GET", "/metrics/summary", token=ana.token, query="interval=month&agg=sum&metric_type=likes"
    )
    assert reply.status == 200, reply
    got = {
        (r["account_id"], r["platform_account_id"], r["object_type"], r["period"]): (
            r["value"],
            r["count"],
        )
        for r in reply.json()
    }
    assert got == {
        (first.account_id, "ig-ana-brand", "account", "day"): (6, 3),
        (first.account_id, "ig-ana-brand", "post", "lifetime"): (2000, 2),
        (second.account_id, "ig-ana-personal", "account", "day"): (42, 3),
        (second.account_id, "ig-ana-personal", "post", "lifetime"): (14000, 2),
    }
    only_posts = api.call(
        "GET",
        "/metrics/summary",
        token=ana.token,
        query=f"interval=month&metric_type=likes&object_type=post&account_id={second.account_id}",
    ).json()
    assert [(r["account_id"], r["value"]) for r in only_posts] == [(second.account_id, 14000)]


def test_summary_last_followers_gives_one_value_per_account(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, second = two_accounts
    rows = api.call(
        "GET",
        "/metrics/summary",
        token=ana.token,
        query="interval=month&agg=last&metric_type=followers",
    ).json()
    assert sorted((r["account_id"], r["value"]) for r in rows) == [
        (first.account_id, 102),
        (second.account_id, 702),
    ]


def test_summary_cursor_pages_through_every_group_once(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, _, _ = two_accounts
    groups: list[tuple[object, ...]] = []
    query = "interval=month&limit=1"
    for _ in range(20):
        reply = api.call("GET", "/metrics/summary", token=ana.token, query=query)
        assert reply.status == 200, reply
        groups += [(r["account_id"], r["metric_type"], r["object_type"]) for r in reply.json()]
        if "x-next-cursor" not in reply.headers:
            break
        query = f"interval=month&limit=1&cursor={reply.headers['x-next-cursor']}"
    # followers + daily likes + post likes, for each of the two accounts
    assert len(groups) == len(set(groups)) == 6


def test_another_tenants_account_is_not_found(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, _ = two_accounts
    bruno = make_person(api, "Bruno")
    bruno_account = _instagram(bruno, "ig-bruno")
    _series(bruno_account, 3)
    for path in ("/metrics/", "/metrics/summary"):
        for query in (
            f"account_id={bruno_account.account_id}",
            f"account_id={bruno_account.account_id}&user_id={ana.user_id}",
            f"account_id={first.account_id}&user_id={bruno.user_id}",
            "account_id=987654321",
        ):
            reply = api.call("GET", path, token=ana.token, query=query)
            assert reply.status == 404, (path, query, reply)
            assert reply.headers["content-type"] == "application/problem+json"
            assert "ig-bruno" not in reply.text
    mismatch = api.call(
        "GET", "/metrics/", token=ana.token, query=f"account_id={first.account_id}&platform=X"
    )
    assert mismatch.status == 422


def test_an_admin_reads_one_account_of_anyone_and_is_audited(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, second = two_accounts
    admin = make_person(api, "Admin", "admin")
    rows = api.call(
        "GET", "/metrics/", token=admin.token, query=f"account_id={second.account_id}"
    ).json()
    assert {r["account_id"] for r in rows} == {second.account_id}
    wrong_user = api.call(
        "GET",
        "/metrics/",
        token=admin.token,
        query=f"account_id={first.account_id}&user_id={admin.user_id}",
    )
    assert wrong_user.status == 404
    with unit_of_work() as session:
        audited = session.execute(
            text(
                "SELECT subject_id FROM audit_log WHERE action = 'metrics.read' "
                "AND actor_user_id = :a"
            ),
            {"a": admin.user_id},
        ).scalars()
        assert list(audited) == [str(ana.user_id)]


def _plan(f: MetricFilter) -> str:
    from sqlalchemy.dialects import postgresql

    sql = page_query(f, 101, None).compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    with unit_of_work() as session:
        return "\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars())


def test_pages_without_a_platform_or_for_one_account_range_scan_their_index(api: Api) -> None:
    """The statement the API runs, on 40k rows of 50 users over two years: a user's page
    without a platform filter, and one account's page, are backward range scans of
    ``(user_id|account_id, collected_at, id)`` on each partition, with no sort."""
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO users (name, email) SELECT 'u' || g, 'u' || g || '@load.test' "
                "FROM generate_series(1, 50) g"
            )
        )
        session.execute(
            text(
                "INSERT INTO accounts (user_id, platform_id, platform_user_id, access_token_ct, "
                "wrapped_key, key_id) SELECT u.id, p.id, u.id || '-' || p.id, '\\x00', '\\x00', "
                "'t' FROM users u CROSS JOIN platforms p WHERE p.id IN (1, 3, 5)"
            )
        )
        session.execute(text("SELECT metrics_ensure_partitions('2024-01-01', 26)"))
        session.execute(
            text(
                "INSERT INTO metrics (user_id, platform_id, account_id, metric_type, value, "
                "collected_at, object_type, object_id, period) "
                "SELECT a.user_id, a.platform_id, a.id, 'likes', g, "
                "timestamptz '2024-01-01' + g * interval '2 days' + a.id * interval '1 minute', "
                "'post', 'p' || g, 'lifetime' FROM accounts a, generate_series(1, 270) g"
            )
        )
        user_id, account_id = session.execute(
            text("SELECT user_id, id FROM accounts ORDER BY id LIMIT 1")
        ).one()
    with unit_of_work() as session:
        session.execute(text("ANALYZE metrics"))
    user_plan = _plan(MetricFilter(user_id=user_id))
    account_plan = _plan(MetricFilter(user_id=user_id, platform_id=1, account_id=account_id))
    for plan, index in (
        (user_plan, "user_id_collected_at_id_idx"),
        (account_plan, "account_id_collected_at_id_idx"),
    ):
        assert "Index Scan Backward using" in plan, plan
        assert index in plan, plan
        assert "Sort  (" not in plan, plan


def test_the_sample_summary_event_reads_one_account(
    api: Api, two_accounts: tuple[Person, Owner, Owner]
) -> None:
    ana, first, _ = two_accounts
    assert first.account_id == 1  # the sample names account 1 (identities restart per test)
    reply = invoke(api.handler, load_event("metrics_summary_account.json", jwt=ana.token))
    assert reply.status == 200, reply
    assert sorted((r["account_id"], r["object_type"], r["value"]) for r in reply.json()) == [
        (1, "account", 6),
        (1, "post", 2000),
    ]
