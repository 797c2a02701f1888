"""Metric pages, CSV, summaries; export and erasure; the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from socialmetrics import cli
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.points import MetricPoint
from tests.factories import without_platform
from tests.integration.api.conftest import make_person
from tests.integration.api.gateway import Api


def _account(user_id: int, platform_id: int = 3, name: str = "acct") -> int:
    from socialmetrics.compliance.audit import Actor
    from socialmetrics.registration import register_token

    with unit_of_work() as session:
        return register_token(
            session, Actor(user_id, "client"), user_id, platform_id, f"{name}-{user_id}", "act.1"
        ).account_id


def _points(user_id: int, account_id: int, days: int, platform_id: int = 3) -> None:
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    with unit_of_work() as session:
        upsert_points(
            session,
            Owner(user_id, platform_id, account_id),
            [
                MetricPoint("impressions", Decimal(d + 1), start + timedelta(days=d))
                for d in range(days)
            ]
            + [
                MetricPoint("reach", Decimal("2.5"), start + timedelta(days=d)) for d in range(days)
            ],
        )


def test_keyset_pages_cover_every_row_once_newest_first(api: Api) -> None:
    ana = make_person(api, "Ana")
    _points(ana.user_id, _account(ana.user_id), 40)
    seen: list[int] = []
    moments: list[str] = []
    query = "platform=instagram&limit=7"
    while True:
        reply = api.call("GET", "/metrics/", token=ana.token, query=query)
        assert reply.status == 200, reply
        seen += [r["metric_id"] for r in reply.json()]
        moments += [r["collected_at"] for r in reply.json()]
        cursor = reply.headers.get("x-next-cursor")
        if not cursor:
            break
        assert 'rel="next"' in reply.headers["link"]
        query = f"platform=instagram&limit=7&cursor={cursor}"
    assert len(seen) == len(set(seen)) == 80
    assert moments == sorted(moments, reverse=True)
    day = api.call(
        "GET",
        "/metrics/",
        token=ana.token,
        query="start_date=2025-01-03&end_date=2025-01-03&metric_type=impressions",
    )
    assert [r["value"] for r in day.json()] == [3]


def test_keyset_query_uses_the_user_platform_time_index(api: Api) -> None:
    ana = make_person(api, "Ana")
    _points(ana.user_id, _account(ana.user_id), 5)
    with unit_of_work() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            session.execute(
                text(
                    "EXPLAIN SELECT id FROM metrics WHERE user_id = :u AND platform_id = 3 "
                    "AND (collected_at, id) < (now(), 10) "
                    "ORDER BY collected_at DESC, id DESC LIMIT 5"
                ),
                {"u": ana.user_id},
            ).scalars()
        )
    # Each monthly partition's copy of metrics_user_platform_time_idx is range-scanned
    # backwards with the keyset bound in the index condition: no sort, no offset.
    assert "Index Scan Backward" in plan or "Index Only Scan Backward" in plan, plan
    assert "ROW(collected_at, id) < ROW(" in plan
    assert "\n  ->  Sort" not in plan


def test_csv_streams_the_same_rows(api: Api) -> None:
    ana = make_person(api, "Ana")
    _points(ana.user_id, _account(ana.user_id), 3)
    as_json = api.call("GET", "/metrics/", token=ana.token).json()
    reply = api.call("GET", "/metrics", token=ana.token, headers={"accept": "text/csv"})
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [int(r["metric_id"]) for r in rows] == [r["metric_id"] for r in as_json]
    assert rows[0]["collected_at"] == as_json[0]["collected_at"]


@pytest.mark.parametrize(
    ("agg", "expected"), [("sum", 6), ("avg", 2), ("min", 1), ("max", 3), ("last", 3)]
)
def test_summary_buckets(api: Api, agg: str, expected: float) -> None:
    ana = make_person(api, "Ana")
    _points(ana.user_id, _account(ana.user_id), 3)
    reply = api.call(
        "GET",
        "/metrics/summary/",
        token=ana.token,
        query=f"interval=month&agg={agg}&metric_type=impressions",
    )
    assert reply.status == 200, reply
    [row] = reply.json()
    assert row["bucket_start"] == "2025-01-01T00:00:00Z"
    assert row["value"] == expected
    assert row["count"] == 3


def test_summary_pages_with_a_cursor(api: Api) -> None:
    ana = make_person(api, "Ana")
    _points(ana.user_id, _account(ana.user_id), 10)
    rows, query = [], "interval=day&limit=3"
    while True:
        reply = api.call("GET", "/metrics/summary", token=ana.token, query=query)
        rows += reply.json()
        if "x-next-cursor" not in reply.headers:
            break
        query = f"interval=day&limit=3&cursor={reply.headers['x-next-cursor']}"
    assert len(rows) == 20
    assert len({(r["bucket_start"], r["metric_type"]) for r in rows}) == 20


def test_export_then_erasure_leaves_only_an_audit_entry(api: Api) -> None:
    admin = make_person(api, "Admin", "admin")
    ana = make_person(api, "Ana")
    _points(ana.user_id, _account(ana.user_id), 2)
    assert (
        api.call(
            "POST",
            "/consent/",
            token=ana.token,
            body={"user_id": ana.user_id, "consent_given": True},
        ).status
        == 201
    )
    exported = api.call("GET", f"/users/{ana.user_id}/export", token=admin.token)
    assert exported.status == 200, exported
    document = json.loads(exported.text)
    assert document["user"]["email"] == "ana@example.com"
    assert len(document["metrics"]) == 4
    assert len(document["consents"]) == 1
    assert document["tokens"][0]["platform_user_id"] == f"acct-{ana.user_id}"
    assert api.call("DELETE", f"/users/{ana.user_id}", token=admin.token).status == 204
    with unit_of_work() as session:
        for table in ("metrics", "accounts", "api_keys", "consents"):
            count = session.execute(
                text(f"SELECT count(*) FROM {table} WHERE user_id = :u"), {"u": ana.user_id}
            ).scalar_one()
            assert count == 0, table
        user = session.execute(
            text("SELECT name, email FROM users WHERE id = :u"), {"u": ana.user_id}
        ).one()
        assert "Ana" not in user.name
        assert user.email != "ana@example.com"
        audit = session.execute(
            text(
                "SELECT actor_user_id, source_ip, request_id, detail FROM audit_log "
                "WHERE action = 'user.erase'"
            )
        ).one()
    assert audit.actor_user_id == admin.user_id
    assert audit.source_ip
    assert audit.request_id
    assert "ana" not in json.dumps(audit.detail).lower()
    assert api.call("GET", f"/users/{ana.user_id}", token=admin.token).status == 404
    assert api.call("POST", "/auth/login", body={"api_key": ana.api_key}).status == 401


def test_register_token_twice_rotates_and_other_user_conflicts(api: Api) -> None:
    ana = make_person(api, "Ana")
    bruno = make_person(api, "Bruno")
    body = {"platform_user_id": "shared", "access_token": "act.1", "platform_id": 1}
    assert api.call("POST", "/users/register-token/", token=ana.token, body=body).status == 201
    assert (
        api.call(
            "POST",
            "/users/register-token/",
            token=ana.token,
            body={**body, "access_token": "act.2", "expires_in": 60},
        ).status
        == 201
    )
    [meta] = api.call("GET", f"/users/{ana.user_id}/tokens/", token=ana.token).json()
    assert meta["key_version"] == 2
    assert meta["expires_at"]
    conflict = api.call("POST", "/users/register-token/", token=bruno.token, body=body)
    assert conflict.status == 409
    assert conflict.headers["content-type"] == "application/problem+json"


def test_platforms_hide_their_api_key(api: Api) -> None:
    admin = make_person(api, "Admin", "admin")
    with without_platform("TikTok"):
        created = api.call(
            "POST",
            "/platforms",
            token=admin.token,
            body={"name": "tiktok", "family": "tiktok", "api_key": "app-secret-1"},
        )
        assert created.status == 201
        assert created.json()["has_api_key"] is True
        assert created.json()["name"] == "TikTok"  # the canonical spelling
        assert "app-secret-1" not in created.text
        dup = api.call("POST", "/platforms/", token=admin.token, body={"name": "TIKTOK"})
        assert dup.status == 409
        listing = api.call("GET", "/platforms/", token=admin.token)
        assert "app-secret-1" not in listing.text
        assert len(listing.json()) == 5
        _account(admin.user_id, platform_id=3)
        assert api.call("DELETE", "/platforms/3", token=admin.token).status == 409
        tiktok = created.json()["platform_id"]
        assert api.call("DELETE", f"/platforms/{tiktok}", token=admin.token).status == 204
        assert api.call("DELETE", f"/platforms/{tiktok}", token=admin.token).status == 404


def test_a_platform_without_a_provider_is_refused_never_a_500(api: Api) -> None:
    admin = make_person(api, "Admin", "admin")
    created = api.call(
        "POST", "/platforms/", token=admin.token, body={"name": "Threads", "family": "meta"}
    )
    assert created.status == 422, created
    assert created.headers["content-type"] == "application/problem+json"
    assert "no provider for 'Threads'" in created.json()["detail"]
    assert created.json()["errors"][0]["loc"] == ["body", "name"]
    renamed = api.call("PUT", "/platforms/3", token=admin.token, body={"name": "Threads"})
    assert renamed.status == 422, renamed
    wrong_family = api.call("PUT", "/platforms/3", token=admin.token, body={"family": "x"})
    assert wrong_family.status == 422, wrong_family
    with without_platform("TikTok"):  # renaming a platform in use to another provider: 409
        _account(admin.user_id, platform_id=3)
        moved = api.call("PUT", "/platforms/3", token=admin.token, body={"name": "TikTok"})
        assert moved.status == 409, moved
    # A row that predates the rule (written straight to the table) cannot take tokens: 422.
    with unit_of_work() as session:
        legacy = session.execute(
            text("INSERT INTO platforms (name, family) VALUES ('Threads', 'meta') RETURNING id")
        ).scalar_one()
    try:
        reply = api.call(
            "POST",
            "/users/register-token/",
            token=admin.token,
            body={"platform_user_id": "t1", "access_token": "tok", "platform_id": legacy},
        )
        assert reply.status == 422, reply
        assert reply.json()["errors"][0]["loc"] == ["body", "platform_id"]
    finally:
        with unit_of_work() as session:
            session.execute(text("DELETE FROM platforms WHERE id > 5"))


def test_cli_creates_an_admin_and_rotates_keys(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["create-admin", "--name", "Ops", "--email", "ops@example.com"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["role"] == "admin"
    assert created["api_key"].startswith("sm_")
    assert cli.main(["create-admin", "--name", "Ops", "--email", "ops@example.com"]) == 1
    token = api.login(created["api_key"])
    assert api.call("GET", "/users/", token=token).status == 200
    _account(created["user_id"])
    assert cli.main(["rotate-keys"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accounts"] == 1
    assert cli.main(["create-user", "--name", "C", "--email", "c@example.com"]) == 0
    user = json.loads(capsys.readouterr().out)
    assert cli.main(["issue-key", "--user-id", str(user["user_id"])]) == 0
    capsys.readouterr()
    assert cli.main(["revoke-key", "--prefix", created["api_key"][:16]]) == 0
    assert api.call("POST", "/auth/login", body={"api_key": created["api_key"]}).status == 401
    assert cli.main(["migrate"]) == 0
