"""The whole collection loop over real HTTP (sandbox, API), SQS (moto) and Postgres:
scheduler tick → messages → collector → rows → GET /metrics/."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from local.runtime import pollers, ticks
from local.runtime.postgres import free_port
from socialmetrics.aws import client, queue_url
from socialmetrics.db.engine import unit_of_work
from socialmetrics.identity.service import create_user_with_key
from tests.factories import give_consent
from tests.integration.collection.conftest import onboard

PLATFORMS = ("X", "Facebook", "Instagram", "WhatsApp", "TikTok")
COLLECT_QUEUES = ("collect-x", "collect-meta", "collect-tiktok")


def _tick(now: datetime | None = None) -> Any:
    """A scheduler tick whose scheduled time is just after the accounts were registered
    (Scheduler's time has whole seconds)."""
    return ticks.tick("collect-tick", now=now or datetime.now(UTC) + timedelta(seconds=2))


def _drain_all(retry_after_seconds: int | None = None) -> int:
    return sum(
        pollers.drain(key, max_batches=20, retry_after_seconds=retry_after_seconds).received
        for key in COLLECT_QUEUES
    )


def _rows(account_id: int | None = None) -> int:
    sql = "SELECT count(*) FROM metrics" + (" WHERE account_id = :a" if account_id else "")
    with unit_of_work() as session:
        return int(session.execute(text(sql), {"a": account_id}).scalar_one())


def _account(account_id: int) -> Any:
    with unit_of_work() as session:
        return session.execute(
            text("SELECT status, status_reason, last_collected_at FROM accounts WHERE id = :a"),
            {"a": account_id},
        ).one()


def _dlq_bodies(key: str) -> list[dict[str, Any]]:
    url = queue_url(key).replace(f"-{key}", f"-{key}-dlq")
    got = client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return [
        {"body": m["Body"], "reason": m.get("MessageAttributes", {}).get("reason")}
        for m in got.get("Messages", [])
    ]


@pytest.fixture
def api_url(sandbox: httpx.Client) -> Iterator[str]:
    from functions.api.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _login(api: httpx.Client, api_key: str) -> dict[str, str]:
    response = api.post("/auth/login", json={"api_key": api_key})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_tick_to_rows_for_all_five_platforms_served_by_the_api(
    sandbox: httpx.Client, api_url: str
) -> None:
    with unit_of_work() as session:
        user_id, api_key = create_user_with_key(session, "Agência", "agencia@example.com")
    give_consent(user_id)
    accounts = [onboard(sandbox, p, user_id=user_id, consent=False) for p in PLATFORMS]

    reply = _tick()
    assert reply["enqueued"] == 5
    assert _drain_all() == 5

    with httpx.Client(base_url=api_url, timeout=10) as api:
        headers = _login(api, api_key)
        seen: dict[int, set[str]] = {}
        cursor: str | None = None
        for _ in range(50):
            params: dict[str, Any] = {"user_id": user_id, "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/metrics/", params=params, headers=headers)
            assert page.status_code == 200, page.text
            for row in page.json():
                seen.setdefault(row["platform_id"], set()).add(row["metric_type"])
            cursor = page.headers.get("x-next-cursor")
            if not cursor:
                break
    assert len(seen) == 5  # every platform has rows
    for platform_metrics in seen.values():
        assert len(platform_metrics) >= 2
    for account in accounts:
        assert _account(account.account_id).last_collected_at is not None
    with unit_of_work() as session:
        runs = session.execute(text("SELECT outcome FROM collection_runs")).scalars().all()
    assert sorted(runs) == ["succeeded"] * 5


def test_rerun_tick_and_redelivered_messages_add_no_rows(sandbox: httpx.Client) -> None:
    onboard(sandbox, "Instagram")
    onboard(sandbox, "X")
    now = datetime.now(UTC) + timedelta(seconds=2)
    assert _tick(now=now)["enqueued"] == 2
    received = [
        m
        for key in ("collect-x", "collect-meta")
        for m in client("sqs")
        .receive_message(QueueUrl=queue_url(key), MaxNumberOfMessages=10, VisibilityTimeout=0)
        .get("Messages", [])
    ]
    bodies = [(m["Body"], key) for m, key in zip(received, _keys_of(received), strict=True)]
    assert _drain_all() == 2
    first = _rows()
    assert first > 0
    assert _tick(now=now)["enqueued"] == 0
    for body, key in bodies:  # SQS is at-least-once: the same messages again
        client("sqs").send_message(QueueUrl=queue_url(key), MessageBody=body)
    assert _drain_all() == 2
    assert _rows() == first


def _keys_of(messages: list[dict[str, Any]]) -> list[str]:
    return [
        "collect-x" if json.loads(m["Body"])["platform"] == "X" else "collect-meta"
        for m in messages
    ]


def test_a_429_delays_the_account_until_the_reset(sandbox: httpx.Client) -> None:
    sandbox.post("/_sandbox/config", json={"window_seconds": 2, "reset_windows": True})
    account = onboard(sandbox, "X")
    sandbox.post(
        "/_sandbox/faults",
        json={"platform": "X", "account": account.remote["id"], "kind": "throttle", "times": 1},
    )
    assert _tick()["enqueued"] == 1
    first = pollers.drain("collect-x", max_batches=5)
    assert (first.received, first.failed) == (1, 1)
    assert _rows(account.account_id) == 0
    assert _dlq_bodies("collect-x") == []
    deadline = time.monotonic() + 10
    collected = 0
    while time.monotonic() < deadline and not collected:
        time.sleep(0.5)
        collected = pollers.drain("collect-x", max_batches=5).succeeded
    assert collected == 1
    assert _rows(account.account_id) > 0


def test_a_dead_token_marks_reauth_and_stops_retries(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "Facebook")
    sandbox.post(
        "/_sandbox/faults",
        json={"platform": "Facebook", "account": account.remote["id"], "kind": "token_dead"},
    )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-meta", max_batches=5, retry_after_seconds=0)
    assert (result.received, result.succeeded) == (1, 1)  # acknowledged, not retried
    assert _account(account.account_id).status == "reauth_required"
    assert _dlq_bodies("collect-meta") == []
    assert _tick(now=datetime.now(UTC) + timedelta(days=2))["enqueued"] == 0


def test_a_platform_failing_forever_ends_in_the_dlq(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "TikTok")
    sandbox.post(
        "/_sandbox/faults",
        json={"platform": "TikTok", "account": account.remote["id"], "kind": "server_error"},
    )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-tiktok", max_batches=12, retry_after_seconds=0)
    assert result.succeeded == 0
    assert result.received == 5  # maxReceiveCount, then SQS moved it to the DLQ
    dead = _dlq_bodies("collect-tiktok")
    assert [json.loads(d["body"])["account_id"] for d in dead] == [account.account_id]
    assert _rows(account.account_id) == 0


def test_a_later_part_failing_keeps_what_was_fetched_and_acknowledges(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "TikTok")
    sandbox.post(
        "/_sandbox/faults",
        json={
            "platform": "TikTok",
            "account": account.remote["id"],
            "kind": "server_error",
            "path": "video",
        },
    )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-tiktok", max_batches=5, retry_after_seconds=0)
    assert (result.received, result.succeeded) == (1, 1)
    assert _rows(account.account_id) > 0  # the profile counters fetched before the failure
    with unit_of_work() as session:
        run = session.execute(text("SELECT outcome, parts FROM collection_runs")).one()
    assert run.outcome == "partial"
    assert {p["name"]: p["status"] for p in run.parts}["posts"] == "failed"
    assert _account(account.account_id).status == "active"


def test_withdrawn_consent_after_enqueue_is_not_collected(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "Instagram")
    assert _tick()["enqueued"] == 1
    give_consent(account.user_id, given=False)
    result = pollers.drain("collect-meta", max_batches=5)
    assert (result.received, result.succeeded) == (1, 1)
    assert _rows(account.account_id) == 0
    with unit_of_work() as session:
        outcome = session.execute(text("SELECT outcome FROM collection_runs")).scalar_one()
    assert outcome == "skipped"


def test_poison_messages_go_to_the_dlq_without_breaking_the_batch(sandbox: httpx.Client) -> None:
    good = onboard(sandbox, "X")
    sqs = client("sqs")
    url = queue_url("collect-x")
    now = datetime.now(UTC).isoformat()
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(
            {
                "platform": "X",
                "account_id": 999_999,
                "job_id": "manual",
                "window_start": now,
                "window_end": now,
            }
        ),
    )
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(
            {
                "platform": "X",
                "account_id": good.account_id,
                "job_id": "manual",
                "window_start": now,
                "window_end": now,
            }
        ),
    )
    result = pollers.drain("collect-x", max_batches=5)
    assert (result.received, result.succeeded, result.failed) == (3, 3, 0)
    assert _rows(good.account_id) > 0
    reasons = sorted(d["reason"]["StringValue"] for d in _dlq_bodies("collect-x"))
    assert len(reasons) == 2
    assert reasons[0].startswith("account 999999 does not exist")
    assert reasons[1].startswith("invalid message")


def test_an_expiring_token_is_refreshed_and_rotated_before_use(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "X", expires_in=600)
    old_refresh = account.remote["refresh_token"]
    with unit_of_work() as session:
        registered_expiry = session.execute(
            text("SELECT token_expires_at FROM accounts WHERE id = :a"), {"a": account.account_id}
        ).scalar_one()
    assert _tick()["enqueued"] == 1
    assert pollers.drain("collect-x", max_batches=5).succeeded == 1
    assert _rows(account.account_id) > 0
    with unit_of_work() as session:
        actions = (
            session.execute(
                text("SELECT action FROM audit_log WHERE subject_id = :a ORDER BY id"),
                {"a": str(account.account_id)},
            )
            .scalars()
            .all()
        )
        expires = session.execute(
            text("SELECT token_expires_at FROM accounts WHERE id = :a"), {"a": account.account_id}
        ).scalar_one()
    assert "token.refresh_stored" in actions
    assert actions.count("token.decrypt") == 1  # decrypted once, the refresh reused the pair
    assert expires > registered_expiry  # read from the refresh response
    remote = next(
        a
        for a in sandbox.get("/_sandbox/state").json()["accounts"]
        if a["id"] == account.remote["id"]
    )
    assert remote["refresh_token"] != old_refresh
    replay = sandbox.post(
        "/x/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": old_refresh, "client_id": "x"},
    )
    assert replay.status_code >= 400  # the rotated-away refresh token is dead


def test_an_account_rate_limited_again_and_again_goes_back_to_the_scheduler(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "X")
    sandbox.post(
        "/_sandbox/faults",
        json={"platform": "X", "account": account.remote["id"], "kind": "throttle"},
    )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-x", max_batches=10, retry_after_seconds=0)
    assert result.received == 4  # kept three times, then handed back instead of a 5th receive
    assert result.succeeded == 1
    assert _dlq_bodies("collect-x") == []
    assert _rows(account.account_id) == 0
    with unit_of_work() as session:
        due = session.execute(
            text("SELECT next_collect_at FROM accounts WHERE id = :a"), {"a": account.account_id}
        ).scalar_one()
    assert due > datetime.now(UTC)  # due again at the platform's reset time
    assert _account(account.account_id).status == "active"


def test_an_account_near_its_quota_waits_for_the_reset_without_calling(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "X")
    reset = datetime.now(UTC) + timedelta(minutes=10)
    with unit_of_work() as session:
        session.execute(
            text("UPDATE accounts SET rate_limit = CAST(:rl AS jsonb) WHERE id = :a"),
            {
                "rl": json.dumps({"platform": "X", "used_pct": 97.5, "reset_at": str(reset)}),
                "a": account.account_id,
            },
        )
    assert _tick()["enqueued"] == 1
    result = pollers.drain("collect-x", max_batches=5)
    assert (result.received, result.failed) == (1, 1)  # kept, invisible until the reset
    calls = [
        r
        for r in sandbox.get("/_sandbox/state").json()["requests"]
        if r["account"] == account.remote["id"]
    ]
    assert calls == []
    with unit_of_work() as session:
        run = session.execute(
            text("SELECT outcome, detail FROM collection_runs WHERE account_id = :a"),
            {"a": account.account_id},
        ).one()
    assert run.outcome == "deferred"
    assert run.detail["retry_at"].startswith(str(reset.date()))
