"""Acceptance (issue 13): a token the sandbox revokes → exactly one signed
``account.reauth_required`` delivered to a loopback receiver, through the real pipeline:
scheduler tick → collector → outbox → relay (webhook-sender's schedule) → SQS → webhook-sender."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import httpx

from local.runtime import pollers, ticks
from local.runtime.receiver import Receiver, serve
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.signals.delivery import DeliveryMessage, enqueue
from socialmetrics.signals.endpoints import create_endpoint, schedule_retry
from tests.integration.collection.conftest import onboard


def documented_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check exactly as docs/webhooks.md ("Outbound") writes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers["webhook-signature"].split()
    )


def _collect_round(now: datetime) -> None:
    ticks.tick("collect-tick", now=now)
    pollers.drain("collect-meta", max_batches=5, retry_after_seconds=0)
    ticks.tick("signals-relay")
    pollers.drain("webhook-deliveries", max_batches=5, retry_after_seconds=0)


def test_a_revoked_token_sends_exactly_one_signed_reauth_event(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "Facebook")
    receiver = Receiver()
    with serve(receiver) as running:
        with unit_of_work() as session:
            view, secret = create_endpoint(
                session,
                account.user_id,
                running.url,
                ["account.reauth_required"],
                "ops",
                get_settings(),
            )
        running.secret = secret.get_secret_value()
        sandbox.post(
            "/_sandbox/faults",
            json={"platform": "Facebook", "account": account.remote["id"], "kind": "token_dead"},
        )
        _collect_round(datetime.now(UTC) + timedelta(seconds=2))
        _collect_round(datetime.now(UTC) + timedelta(days=2))  # no second event
        [delivery] = running.received
        assert delivery.verified is True
        assert documented_verify(secret.get_secret_value(), delivery.headers, delivery.body)
        event = delivery.event
        assert event["type"] == "account.reauth_required"
        assert event["version"] == 1
        assert event["tenant"] == {"user_id": account.user_id}
        assert event["data"]["account_id"] == account.account_id
        assert event["data"]["platform"] == "Facebook"
        assert event["id"] == delivery.headers["webhook-id"]
        assert not delivery.replay

        # A redelivery (here: a manual retry) carries the same id: the receiver sees a replay.
        with unit_of_work() as session:
            delivery_id = schedule_retry(session, account.user_id, view.id, 1)
        enqueue([DeliveryMessage(delivery_id=delivery_id, attempts=1)])
        pollers.drain("webhook-deliveries", max_batches=5, retry_after_seconds=0)
        assert [d.replay for d in running.received] == [False, True]
        assert running.received[1].headers["webhook-id"] == event["id"]


def _x_requests(sandbox: httpx.Client, remote_id: str) -> int:
    state = sandbox.get("/_sandbox/state").json()
    return sum(1 for r in state["requests"] if r["platform"] == "X" and r["account"] == remote_id)


def test_the_x_budget_pauses_collection_before_it_is_exceeded(sandbox: httpx.Client) -> None:
    from decimal import Decimal

    from sqlalchemy import text

    from socialmetrics.usage.service import month_cost, set_x_budget

    account = onboard(sandbox, "X")
    settings = get_settings()
    start = datetime.now(UTC) + timedelta(seconds=2)
    ticks.tick("collect-tick", now=start)
    assert pollers.drain("collect-x", max_batches=5, retry_after_seconds=0).succeeded == 1
    calls_first_run = _x_requests(sandbox, account.remote["id"])
    assert calls_first_run > 0
    with unit_of_work() as session:
        spent = month_cost(session, account.user_id, datetime.now(UTC), settings)
        usage = session.execute(
            text("SELECT calls, post_reads, user_reads FROM usage_daily WHERE user_id = :u"),
            {"u": account.user_id},
        ).one()
        # The next run would pass the pause threshold: the budget is 3 % above the spend.
        budget = (spent / Decimal("0.97")).quantize(Decimal("0.0001"))
        set_x_budget(session, account.user_id, budget)
    assert usage.calls == calls_first_run  # counted where requests are made: same number
    assert (usage.user_reads, usage.post_reads) == (1, 6)
    [completed] = _events("collection.completed")
    assert completed["account_id"] == account.account_id
    assert completed["calls"] == calls_first_run
    assert spent == Decimal(str(settings.x_price_user_read_usd)) + 6 * Decimal(
        str(settings.x_price_post_read_usd)
    )
    for days in (2, 40):  # two more due runs: both paused without a single X request
        ticks.tick("collect-tick", now=start + timedelta(days=days))
        pollers.drain("collect-x", max_batches=5, retry_after_seconds=0)
    assert _x_requests(sandbox, account.remote["id"]) == calls_first_run
    with unit_of_work() as session:
        assert month_cost(session, account.user_id, datetime.now(UTC), settings) < budget
        paused = (
            session.execute(
                text("SELECT data FROM signal_events WHERE type = 'usage.budget_paused'")
            )
            .scalars()
            .all()
        )
        outcomes = (
            session.execute(
                text("SELECT outcome FROM collection_runs WHERE account_id = :a ORDER BY id"),
                {"a": account.account_id},
            )
            .scalars()
            .all()
        )
    assert len(paused) == 1  # one event per month, not one per run
    assert paused[0]["budget_usd"] == str(budget)
    assert outcomes[0] == "succeeded"
    assert outcomes[1:]
    assert set(outcomes[1:]) == {"skipped"}


def _events(type_: str) -> list[dict[str, object]]:
    from sqlalchemy import text

    with unit_of_work() as session:
        return list(
            session.execute(
                text("SELECT data FROM signal_events WHERE type = :t ORDER BY created_at"),
                {"t": type_},
            ).scalars()
        )


def test_a_refused_collection_emits_part_failed(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "X")
    sandbox.post(
        "/_sandbox/faults",
        json={"platform": "X", "account": account.remote["id"], "kind": "forbidden"},
    )
    ticks.tick("collect-tick", now=datetime.now(UTC) + timedelta(seconds=2))
    pollers.drain("collect-x", max_batches=5, retry_after_seconds=0)
    [failed] = _events("collection.part_failed")
    assert failed["account_id"] == account.account_id
    assert failed["status"] == "active"
    assert _events("collection.completed") == []
