"""Outbound deliveries over real Postgres, moto's SQS over the wire and a loopback receiver:
retries on a fake clock, auto-disable, the DLQ, the SSRF guard at delivery time."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from local.runtime.aws import Resources
from local.runtime.receiver import Receiver, serve
from socialmetrics.aws import client, queue_url
from socialmetrics.config import Settings, get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.signals import retries
from socialmetrics.signals.delivery import DLQ, QUEUE, DeliveryMessage, Result, process, relay
from socialmetrics.signals.endpoints import create_endpoint
from socialmetrics.signals.events import emit
from socialmetrics.signals.targets import UnsafeTarget
from tests.factories import make_user

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def receiver(db: str, clean_queues: Resources) -> Iterator[Receiver]:
    with serve() as running:
        yield running


def _settings(**overrides: Any) -> Settings:
    # Requeued retries become visible at once; the fake clock decides when they are due.
    return get_settings().model_copy(update={"signal_requeue_max_delay_seconds": 0, **overrides})


def _endpoint(user_id: int, url: str, types: list[str] | None = None) -> tuple[int, str]:
    with unit_of_work() as session:
        view, secret = create_endpoint(session, user_id, url, types or [], None, get_settings())
    return view.id, secret.get_secret_value()


def _emit(user_id: int, type_: str = "account.reauth_required") -> str:
    with unit_of_work() as session:
        return emit(session, user_id, type_, {"account_id": 1})


def _receive(key: str) -> list[dict[str, Any]]:
    sqs = client("sqs")
    got = sqs.receive_message(QueueUrl=queue_url(key), MaxNumberOfMessages=10)
    bodies = []
    for message in got.get("Messages", []):
        bodies.append(json.loads(message["Body"]))
        sqs.delete_message(QueueUrl=queue_url(key), ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _delivery(delivery_id: int) -> Any:
    with unit_of_work() as session:
        return session.execute(
            text("SELECT status, attempts, next_attempt_at FROM webhook_deliveries WHERE id = :d"),
            {"d": delivery_id},
        ).one()


def _attempt_times(delivery_id: int) -> list[datetime]:
    with unit_of_work() as session:
        return list(
            session.execute(
                text(
                    "SELECT attempted_at FROM webhook_delivery_attempts WHERE delivery_id = :d"
                    " ORDER BY attempt"
                ),
                {"d": delivery_id},
            ).scalars()
        )


def test_relay_fans_an_event_out_to_subscribed_enabled_endpoints_only(
    receiver: Receiver,
) -> None:
    user, stranger = make_user(), make_user("Bruno")
    _endpoint(user, receiver.url, ["account.reauth_required"])
    _endpoint(user, receiver.url, ["export.ready"])
    _endpoint(user, receiver.url)  # every type
    _endpoint(stranger, receiver.url)
    _emit(user)
    report = relay(_settings(), T0)
    assert (report.events, report.deliveries) == (1, 2)
    assert len(_receive(QUEUE)) == 2
    assert relay(_settings(), T0).events == 0  # relayed once


def test_a_failing_endpoint_is_retried_with_backoff_then_disabled_and_the_event_dead_lettered(
    receiver: Receiver,
) -> None:
    receiver.status = 500
    user = make_user()
    endpoint_id, _ = _endpoint(user, receiver.url)
    event_id = _emit(user)
    relay(_settings(), T0)
    settings, rng, clock = _settings(), random.Random(42), T0
    results: list[Result] = []
    for _ in range(3 * retries.MAX_ATTEMPTS):  # bounded: early arrivals only re-enqueue
        messages = _receive(QUEUE)
        if not messages:
            break
        for body in messages:
            message = DeliveryMessage.model_validate(body)
            results.append(process(message, settings, clock, rng))
            row = _delivery(message.delivery_id)
            if row.status == "pending":
                clock = row.next_attempt_at  # the fake clock jumps to the next due time
    with unit_of_work() as session:
        delivery_id = session.execute(text("SELECT id FROM webhook_deliveries")).scalar_one()
    times = _attempt_times(delivery_id)
    expected_rng, expected = random.Random(42), [T0]
    for failed in range(1, retries.MAX_ATTEMPTS):
        delay = retries.retry_delay(failed, expected_rng)
        assert delay is not None
        expected.append(expected[-1] + timedelta(seconds=delay))
    assert times == expected
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps == sorted(gaps)
    assert timedelta(hours=20) <= times[-1] - times[0] <= timedelta(hours=26)
    assert len(receiver.received) == retries.MAX_ATTEMPTS
    assert results.count(Result.DEAD) == 1
    assert _delivery(delivery_id).status == "dead"
    with unit_of_work() as session:
        endpoint = session.execute(
            text("SELECT disabled_at, consecutive_failures FROM webhook_endpoints WHERE id = :e"),
            {"e": endpoint_id},
        ).one()
        notices = (
            session.execute(
                text("SELECT data FROM signal_events WHERE type = 'webhook_endpoint.disabled'")
            )
            .scalars()
            .all()
        )
    assert endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == retries.MAX_ATTEMPTS
    assert [n["endpoint_id"] for n in notices] == [endpoint_id]
    [dead] = _receive(DLQ)
    assert dead["event"]["id"] == event_id
    assert dead["event"]["type"] == "account.reauth_required"
    assert dead["reason"] == "HTTP 500"


def test_a_later_event_for_a_disabled_endpoint_is_not_lost(receiver: Receiver) -> None:
    user = make_user()
    endpoint_id, _ = _endpoint(user, receiver.url)
    _emit(user)
    relay(_settings(), T0)
    with unit_of_work() as session:
        session.execute(
            text("UPDATE webhook_endpoints SET disabled_at = now() WHERE id = :e"),
            {"e": endpoint_id},
        )
    [body] = _receive(QUEUE)
    assert process(DeliveryMessage.model_validate(body), _settings(), T0, random.Random()) is (
        Result.DEAD
    )
    assert receiver.received == []
    assert len(_receive(DLQ)) == 1


def test_duplicates_and_early_arrivals_send_nothing(receiver: Receiver) -> None:
    user = make_user()
    _endpoint(user, receiver.url)
    _emit(user)
    relay(_settings(), T0)
    [body] = _receive(QUEUE)
    message = DeliveryMessage.model_validate(body)
    early = T0 - timedelta(minutes=5)
    assert process(message, _settings(), early, random.Random()) is Result.WAITING
    assert receiver.received == []
    assert process(message, _settings(), T0, random.Random()) is Result.DELIVERED
    assert process(message, _settings(), T0, random.Random()) is Result.DUPLICATE
    assert len(receiver.received) == 1
    stale = DeliveryMessage(delivery_id=message.delivery_id + 1000)
    assert process(stale, _settings(), T0, random.Random()) is Result.GONE


def test_a_private_address_is_refused_at_registration_and_at_delivery_when_deployed(
    receiver: Receiver,
) -> None:
    deployed = Settings(
        environment="prod", secrets_source="secretsmanager", token_key_provider="kms"
    )
    user = make_user()
    # localhost really resolves to 127.0.0.1: refused by a deployed stack at registration…
    port = receiver.url.split(":")[2].split("/")[0]
    with unit_of_work() as session, pytest.raises(UnsafeTarget):
        create_endpoint(session, user, f"https://localhost:{port}/webhooks", [], None, deployed)
    # …and at delivery time, when the name re-resolves to loopback (a DNS rebind).
    _endpoint(user, f"https://localhost:{port}/webhooks")
    _emit(user)
    relay(_settings(), T0)
    [body] = _receive(QUEUE)
    deployed_now = deployed.model_copy(update={"signal_requeue_max_delay_seconds": 0})
    result = process(DeliveryMessage.model_validate(body), deployed_now, T0, random.Random(3))
    assert result is Result.RETRY_SCHEDULED
    assert receiver.received == []
    with unit_of_work() as session:
        error = session.execute(text("SELECT error FROM webhook_delivery_attempts")).scalar_one()
    assert error.startswith("refused:")
    assert "non-public address" in error


def test_during_a_rotation_both_secrets_sign(receiver: Receiver) -> None:
    from socialmetrics.signals.endpoints import rotate_secret
    from socialmetrics.signals.signing import verify

    user = make_user()
    endpoint_id, old = _endpoint(user, receiver.url)
    with unit_of_work() as session:
        new, until = rotate_secret(session, user, endpoint_id, get_settings(), T0)
    assert until == T0 + timedelta(hours=get_settings().signal_secret_overlap_hours)
    _emit(user)
    relay(_settings(), T0)
    [body] = _receive(QUEUE)
    assert process(DeliveryMessage.model_validate(body), _settings(), T0, random.Random()) is (
        Result.DELIVERED
    )
    [delivery] = receiver.received
    now = int(T0.timestamp())
    assert verify(old, delivery.headers, delivery.body, now) == delivery.event["id"]
    assert verify(new, delivery.headers, delivery.body, now) == delivery.event["id"]
