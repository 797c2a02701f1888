"""Maintenance token refresh, and the collector's partial-gap and permission outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from local.runtime import pollers, ticks
from socialmetrics.compliance.audit import Actor
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.maintenance.tokens import refresh_expiring_tokens
from socialmetrics.registration import register_token
from tests.factories import give_consent, make_user, platform_id
from tests.integration.collection.conftest import onboard


def _tick() -> Any:
    return ticks.tick("collect-tick", now=datetime.now(UTC) + timedelta(seconds=2))


def _account(account_id: int) -> Any:
    with unit_of_work() as session:
        return session.execute(
            text("SELECT status, token_expires_at FROM accounts WHERE id = :a"),
            {"a": account_id},
        ).one()


def _last_run() -> Any:
    with unit_of_work() as session:
        return session.execute(
            text("SELECT outcome, points_written, detail FROM collection_runs ORDER BY id DESC")
        ).first()


def test_maintenance_refreshes_tokens_expiring_within_a_day(sandbox: httpx.Client) -> None:
    expiring = onboard(sandbox, "TikTok", expires_in=3_600)
    fresh = onboard(sandbox, "X")  # 2 h left: also within the day, refreshed too
    whatsapp = onboard(sandbox, "WhatsApp", expires_in=600)  # system-user token: no refresh
    before = _account(expiring.account_id).token_expires_at
    report = refresh_expiring_tokens(get_settings(), datetime.now(UTC))
    assert report == {"refreshed": 2, "reauth_required": 0, "failed": 0, "skipped": 1}
    assert _account(expiring.account_id).token_expires_at > before
    assert _account(fresh.account_id).status == "active"
    assert _account(whatsapp.account_id).status == "active"


def test_a_dead_refresh_token_marks_the_account_for_reauth(sandbox: httpx.Client) -> None:
    remote = sandbox.post("/_sandbox/accounts", json={"platform": "X", "posts": 2}).json()
    user_id = make_user()
    give_consent(user_id)
    with unit_of_work() as session:
        account_id = register_token(
            session,
            Actor(user_id=user_id, role="client"),
            user_id,
            platform_id("X"),
            remote["id"],
            remote["access_token"],
            refresh_token="not-the-refresh-token-the-platform-issued",
            expires_at=datetime.now(UTC) + timedelta(minutes=5),
        ).account_id
    report = refresh_expiring_tokens(get_settings(), datetime.now(UTC))
    assert report["reauth_required"] == 1
    assert _account(account_id).status == "reauth_required"


def test_an_invalid_metric_is_a_recorded_gap_and_the_rest_is_stored(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "Facebook", invalid_metrics=["page_views_total"])
    assert _tick()["enqueued"] == 1
    assert pollers.drain("collect-meta", max_batches=5).succeeded == 1
    run = _last_run()
    assert run.outcome == "succeeded"
    assert run.points_written > 0
    assert "page_views_total" in run.detail["unavailable"]
    with unit_of_work() as session:
        raw = session.execute(
            text("SELECT DISTINCT raw_name FROM metrics WHERE account_id = :a"),
            {"a": account.account_id},
        ).scalars()
        names = set(raw)
    assert "page_views_total" not in names
    assert "page_media_view" in names


def test_a_forbidden_account_is_acknowledged_with_the_gap_recorded(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "X")
    sandbox.post(
        "/_sandbox/faults",
        json={"platform": "X", "account": account.remote["id"], "kind": "forbidden"},
    )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-x", max_batches=5, retry_after_seconds=0)
    assert (result.received, result.succeeded) == (1, 1)
    run = _last_run()
    assert run.outcome == "failed"
    assert run.points_written == 0
    assert _account(account.account_id).status == "active"


def test_a_tiktok_business_account_is_collected_and_refreshed_through_its_api(
    sandbox: httpx.Client,
) -> None:
    from local.sandbox.state import TIKTOK_BUSINESS_SCOPES

    account = onboard(sandbox, "TikTok", scopes=list(TIKTOK_BUSINESS_SCOPES), expires_in=600)
    assert _tick()["enqueued"] == 1
    assert pollers.drain("collect-tiktok", max_batches=5).succeeded == 1
    with unit_of_work() as session:
        rows = session.execute(
            text("SELECT DISTINCT metric_type, period FROM metrics WHERE account_id = :a"),
            {"a": account.account_id},
        ).all()
        stored = session.execute(
            text("SELECT scopes FROM accounts WHERE id = :a"), {"a": account.account_id}
        ).one()
        refreshed = session.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'token.refresh_stored'"
                " AND subject_id = :a"
            ),
            {"a": str(account.account_id)},
        ).scalar_one()
    assert ("profile_views", "day") in rows  # only the Business API has daily profile views
    assert ("watch_time_ms", "lifetime") in rows
    assert "user.insights" in stored.scopes  # the refresh kept the account on the Business API
    assert refreshed == 1  # through the Business API's token endpoint (10 min left < margin)


def test_a_token_that_can_no_longer_be_decrypted_needs_reauth_not_retries(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "Instagram")
    with unit_of_work() as session:  # the row no longer matches its encryption context
        session.execute(
            text("UPDATE accounts SET platform_user_id = 'moved' WHERE id = :a"),
            {"a": account.account_id},
        )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-meta", max_batches=5, retry_after_seconds=0)
    assert (result.received, result.succeeded) == (1, 1)
    row = _account(account.account_id)
    assert row.status == "reauth_required"
    assert _last_run().outcome == "failed"


def test_a_batch_where_every_record_fails_is_still_a_partial_response(
    sandbox: httpx.Client, lambda_context: Any
) -> None:
    from functions.collector.handler import handler

    accounts = [onboard(sandbox, "X"), onboard(sandbox, "X")]
    for account in accounts:
        sandbox.post(
            "/_sandbox/faults",
            json={"platform": "X", "account": account.remote["id"], "kind": "server_error"},
        )
    now = datetime.now(UTC).isoformat()
    event = {
        "Records": [
            {
                "messageId": f"m-{account.account_id}",
                "receiptHandle": "not-a-real-handle",
                "body": (
                    f'{{"platform": "X", "account_id": {account.account_id}, "job_id": "t",'
                    f' "window_start": "{now}", "window_end": "{now}"}}'
                ),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:socialmetrics-collect-x",
                "awsRegion": "us-east-1",
            }
            for account in accounts
        ]
    }
    reply = handler(event, lambda_context)
    assert sorted(f["itemIdentifier"] for f in reply["batchItemFailures"]) == sorted(
        f"m-{a.account_id}" for a in accounts
    )
