"""Ingest: signed deliveries go through the receivers and moto's queue into the ingest handler
(real SQS event shapes), and land in Postgres exactly once."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from functions.ingest.handler import handler as ingest
from functions.webhook_meta.handler import handler as meta
from functions.webhook_tiktok.handler import handler as tiktok
from functions.webhook_x.handler import handler as x
from local.runtime.postgres import free_port
from socialmetrics.aws import client
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner
from socialmetrics.webhooks.apply import rematch_unmatched
from tests.factories import give_consent, make_account, set_account
from tests.integration.webhooks.conftest import SECRETS, queue_arn, receive_all
from tests.integration.webhooks.test_receivers import tiktok_header, x_header
from tests.support import FakeLambdaContext, reset_process_state
from tests.unit.webhooks.shapes import http_event, sqs_event

CONTEXT: Any = FakeLambdaContext()

NOW = int(time.time()) - 120
TODAY = datetime.fromtimestamp(NOW, UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def queue(db: str, events_queue: str) -> str:
    return events_queue


def account(platform: str, platform_user_id: str, consent: bool = True) -> Owner:
    owner = make_account(platform=platform)
    set_account(owner.account_id, platform_user_id=platform_user_id)
    if consent:
        give_consent(owner.user_id)
    return owner


def post_meta(payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    signed = (
        "sha256=" + hmac.new(SECRETS["META_APP_SECRET"].encode(), body, hashlib.sha256).hexdigest()
    )
    response = meta(
        http_event("POST", "/webhooks/meta", body=body, headers={"x-hub-signature-256": signed}),
        CONTEXT,
    )
    assert response["statusCode"] == 200, response


def post_x(payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = {"x-twitter-webhooks-signature": x_header(SECRETS["X_CONSUMER_SECRET"], body)}
    assert (
        x(http_event("POST", "/webhooks/x", body=body, headers=headers), CONTEXT)["statusCode"]
        == 200
    )


def post_tiktok(payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = {
        "tiktok-signature": tiktok_header(SECRETS["TIKTOK_CLIENT_SECRET"], body, int(time.time()))
    }
    assert (
        tiktok(http_event("POST", "/webhooks/tiktok", body=body, headers=headers), CONTEXT)[
            "statusCode"
        ]
        == 200
    )


def run_ingest(url: str) -> list[str]:
    """Feed every queued message to ingest as the SQS event source would; delete the ones it
    acknowledged (as Lambda's poller does) and return the failed message ids."""
    messages = receive_all(url)
    assert messages, "nothing was queued"
    result = ingest(sqs_event(messages, queue_arn(url)), CONTEXT)
    failed = [str(item["itemIdentifier"]) for item in result["batchItemFailures"]]
    for message in messages:
        if message["MessageId"] not in failed:
            client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return failed


def whatsapp(
    *statuses: dict[str, Any], phone_id: str = "PN1", waba: str = "WABA1"
) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_id},
        "statuses": list(statuses),
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba, "changes": [{"field": "messages", "value": value}]}],
    }


def status(wamid: str, name: str, at: int = NOW, **extra: Any) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": name,
        "timestamp": str(at),
        "recipient_id": "15550002222",
        **extra,
    }


def daily(account_id: int) -> dict[str, Decimal]:
    with unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT metric_type, value FROM metrics WHERE account_id = :a AND period = 'day' "
                "AND collected_at = :d AND object_id = ''"
            ),
            {"a": account_id, "d": TODAY},
        )
        return {row.metric_type: row.value for row in rows}


def message_row(wamid: str) -> Any:
    with unit_of_work() as session:
        return session.execute(
            text("SELECT * FROM message_statuses WHERE wamid = :w"), {"w": wamid}
        ).one()


def ledger() -> list[Any]:
    with unit_of_work() as session:
        return list(session.execute(text("SELECT * FROM webhook_events ORDER BY id")))


def test_the_same_whatsapp_status_three_times_counts_once(queue: str) -> None:
    owner = account("WhatsApp", "PN1")
    post_meta(whatsapp(status("wamid.1", "sent")))
    assert run_ingest(queue) == []
    post_meta(whatsapp(status("wamid.1", "sent")))
    post_meta(whatsapp(status("wamid.1", "sent")))
    assert run_ingest(queue) == []
    assert message_row("wamid.1").status == "sent"
    assert len(ledger()) == 1
    counts = daily(owner.account_id)
    assert counts["messages_sent"] == 1
    assert counts["messages_delivered"] == 0


def test_read_then_a_late_delivered_stays_read(queue: str) -> None:
    owner = account("WhatsApp", "PN1")
    post_meta(whatsapp(status("wamid.2", "read", NOW + 20)))
    run_ingest(queue)
    post_meta(whatsapp(status("wamid.2", "delivered", NOW + 10)))
    run_ingest(queue)
    row = message_row("wamid.2")
    assert (row.status, row.status_rank) == ("read", 3)
    assert row.delivered_at == datetime.fromtimestamp(NOW + 10, UTC)
    assert row.read_at == datetime.fromtimestamp(NOW + 20, UTC)
    assert row.sent_at is None
    counts = daily(owner.account_id)
    assert counts["messages_sent"] == counts["messages_delivered"] == counts["messages_read"] == 1


def test_failed_after_sent_is_failed_with_its_code(queue: str) -> None:
    owner = account("WhatsApp", "PN1")
    post_meta(whatsapp(status("wamid.3", "sent", pricing={"category": "marketing"})))
    run_ingest(queue)
    failure = status(
        "wamid.3", "failed", NOW + 5, errors=[{"code": 131026, "title": "Message undeliverable"}]
    )
    post_meta(whatsapp(failure))
    post_meta(whatsapp(status("wamid.3", "delivered", NOW + 9)))  # after failed: terminal
    run_ingest(queue)
    row = message_row("wamid.3")
    assert (row.status, row.error_code, row.pricing_category) == ("failed", 131026, "marketing")
    assert row.failed_at == datetime.fromtimestamp(NOW + 5, UTC)
    assert daily(owner.account_id)["messages_failed"] == 1


def test_many_messages_in_one_delivery_are_counted_per_day(queue: str) -> None:
    owner = account("WhatsApp", "WABA7")  # registered with the WABA id
    post_meta(
        whatsapp(
            *(status(f"wamid.m{i}", "delivered") for i in range(5)),
            status("wamid.m0", "read"),
            phone_id="PN7",
            waba="WABA7",
        )
    )
    assert run_ingest(queue) == []
    assert daily(owner.account_id) == {
        "messages_sent": 5,
        "messages_delivered": 5,
        "messages_read": 1,
        "messages_failed": 0,
    }
    with unit_of_work() as session:
        sources = session.execute(text("SELECT DISTINCT source FROM metrics")).scalars().all()
    assert sources == ["derived"]


def test_instagram_story_insights_and_comment_counters(queue: str) -> None:
    owner = account("Instagram", "IG1")
    entry = {
        "id": "IG1",
        "time": NOW,
        "changes": [
            {
                "field": "story_insights",
                "value": {
                    "media_id": "S1",
                    "impressions": 44,
                    "reach": 40,
                    "replies": 2,
                    "taps_forward": 7,
                    "exits": 1,
                },
            },
            {"field": "comments", "value": {"id": "C1", "text": "hi", "media": {"id": "M1"}}},
            {"field": "comments", "value": {"id": "C2", "text": "yo", "media": {"id": "M1"}}},
            {"field": "mentions", "value": {"comment_id": "C9", "media_id": "M9"}},
        ],
    }
    post_meta({"object": "instagram", "entry": [entry]})
    post_meta({"object": "instagram", "entry": [entry]})  # a retry
    run_ingest(queue)
    with unit_of_work() as session:
        story: dict[str, Decimal] = dict(
            session.execute(
                text(
                    "SELECT metric_type, value FROM metrics WHERE object_type = 'story' "
                    "AND object_id = 'S1' AND period = 'lifetime' AND source = 'webhook'"
                )
            ).all()
        )
    assert story == {"impressions": 44, "reach": 40, "replies": 2, "taps_forward": 7, "exits": 1}
    assert daily(owner.account_id) == {"comments_received": 2, "mentions": 1}


def test_facebook_feed_counters(queue: str) -> None:
    owner = account("Facebook", "PAGE1")
    changes = [
        {
            "field": "feed",
            "value": {
                "item": "comment",
                "verb": "add",
                "post_id": "1_2",
                "comment_id": f"c{i}",
                "from": {"id": "u"},
                "created_time": NOW,
            },
        }
        for i in range(3)
    ] + [
        {
            "field": "feed",
            "value": {
                "item": "reaction",
                "verb": "add",
                "post_id": "1_2",
                "from": {"id": "u"},
                "reaction_type": "love",
                "created_time": NOW,
            },
        },
        {
            "field": "feed",
            "value": {
                "item": "comment",
                "verb": "remove",
                "post_id": "1_2",
                "comment_id": "c0",
                "from": {"id": "u"},
                "created_time": NOW + 1,
            },
        },
    ]
    post_meta({"object": "page", "entry": [{"id": "PAGE1", "time": NOW, "changes": changes}]})
    run_ingest(queue)
    assert daily(owner.account_id) == {
        "comments_received": 3,
        "reactions_received": 1,
        "comments_removed": 1,
    }


def test_x_follows_unfollows_and_posts(queue: str) -> None:
    owner = account("X", "42")
    post_x(
        {
            "for_user_id": "42",
            "follow_events": [
                {
                    "type": "follow",
                    "created_timestamp": str(NOW * 1000 + i),
                    "source": {"id": str(100 + i)},
                    "target": {"id": "42"},
                }
                for i in range(3)
            ],
            "tweet_create_events": [
                {"id_str": "900", "timestamp_ms": str(NOW * 1000), "user": {"id_str": "42"}}
            ],
        }
    )
    for uuid in ("e-1", "e-1", "e-2"):  # the same XAA event twice (two subscribed apps)
        post_x(
            {
                "data": {
                    "event_uuid": uuid,
                    "event_type": "follow.unfollow",
                    "filter": {"user_id": "42"},
                    "payload": {"source": {"id": "555"}},
                }
            }
        )
    assert run_ingest(queue) == []
    assert daily(owner.account_id) == {"follows_gained": 3, "follows_lost": 2, "posts_created": 1}


def test_tiktok_authorization_removed_needs_reauth(queue: str) -> None:
    owner = account("TikTok", "OPEN1")
    post_tiktok(
        {
            "client_key": "ck",
            "event": "authorization.removed",
            "create_time": NOW,
            "user_openid": "OPEN1",
            "content": json.dumps({"reason": 1}),
        }
    )
    run_ingest(queue)
    with unit_of_work() as session:
        row = session.execute(
            text("SELECT status, status_reason FROM accounts WHERE id = :a"),
            {"a": owner.account_id},
        ).one()
    assert row.status == "reauth_required"
    assert "reason 1" in row.status_reason


def test_unknown_account_waits_then_is_matched_on_registration(queue: str) -> None:
    post_meta(whatsapp(status("wamid.u", "delivered"), phone_id="PN9", waba="WABA9"))
    run_ingest(queue)
    (event,) = ledger()
    assert (event.status, event.platform_user_id, event.account_id) == ("unmatched", "PN9", None)
    assert event.payload["data"] == {"wamid": "wamid.u", "status": "delivered"}
    owner = account("WhatsApp", "WABA9")  # registered under the other id
    with unit_of_work() as session:
        assert rematch_unmatched(session, "WhatsApp", "WABA9") == 1
    with unit_of_work() as session:
        assert rematch_unmatched(session, "WhatsApp", "WABA9") == 0
        assert rematch_unmatched(session, "WhatsApp", "nobody") == 0
    (event,) = ledger()
    assert (event.status, event.account_id) == ("applied", owner.account_id)
    assert message_row("wamid.u").status == "delivered"
    assert daily(owner.account_id)["messages_delivered"] == 1


def test_ingest_applies_waiting_events_once_the_account_exists(queue: str) -> None:
    follow = {"type": "follow", "source": {"id": "1"}, "target": {"id": "77"}}
    post_x(
        {"for_user_id": "77", "follow_events": [{**follow, "created_timestamp": str(NOW * 1000)}]}
    )
    run_ingest(queue)
    owner = account("X", "77")
    post_x(
        {
            "for_user_id": "77",
            "follow_events": [{**follow, "created_timestamp": str(NOW * 1000 + 1)}],
        }
    )
    run_ingest(queue)
    assert [e.status for e in ledger()] == ["applied", "applied"]
    assert daily(owner.account_id) == {"follows_gained": 2}


def test_poison_messages_fail_alone(queue: str) -> None:
    owner = account("X", "42")
    sqs = client("sqs")
    bad_json = sqs.send_message(QueueUrl=queue, MessageBody="{not json")["MessageId"]
    unknown = sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {
                "v": 1,
                "provider": "myspace",
                "received_at": "2026-01-01T00:00:00+00:00",
                "body": "{}",
            }
        ),
    )["MessageId"]
    bad_body = sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {"v": 1, "provider": "x", "received_at": "2026-01-01T00:00:00+00:00", "body": "<xml/>"}
        ),
    )["MessageId"]
    post_x(
        {
            "for_user_id": "42",
            "tweet_create_events": [
                {"id_str": "5", "timestamp_ms": str(NOW * 1000), "user": {"id_str": "42"}}
            ],
        }
    )
    assert sorted(run_ingest(queue)) == sorted([bad_json, unknown, bad_body])
    assert daily(owner.account_id) == {"posts_created": 1}


def test_webhooks_keep_working_while_the_database_is_down(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = account("WhatsApp", "PN1")
    real_url = os.environ["DATABASE_URL"]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
    reset_process_state()
    try:
        post_meta(whatsapp(status("wamid.down", "read")))  # answers 200 and queues
        messages = receive_all(queue)
        assert len(messages) == 1
        result = ingest(sqs_event(messages, queue_arn(queue)), CONTEXT)
        assert result["batchItemFailures"] == [{"itemIdentifier": messages[0]["MessageId"]}]
    finally:
        monkeypatch.setenv("DATABASE_URL", real_url)
        monkeypatch.delenv("DB_CONNECT_TIMEOUT_SECONDS")
        reset_process_state()
    # SQS makes the failed message visible again; the retry applies it.
    client("sqs").change_message_visibility(
        QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert run_ingest(queue) == []
    assert message_row("wamid.down").status == "read"
    assert daily(owner.account_id)["messages_read"] == 1


def test_without_consent_nothing_is_stored_but_redeliveries_stay_duplicates(queue: str) -> None:
    owner = account("WhatsApp", "PN5", consent=False)
    post_meta(whatsapp(status("wamid.nc", "delivered"), phone_id="PN5"))
    post_meta(whatsapp(status("wamid.nc", "delivered"), phone_id="PN5"))
    assert run_ingest(queue) == []
    rows = ledger()
    assert [(r.status, r.payload) for r in rows] == [("no_consent", None)]
    assert daily(owner.account_id) == {}
    with unit_of_work() as session:
        kept = session.execute(text("SELECT count(*) FROM message_statuses")).scalar_one()
    assert kept == 0


def test_deauthorisation_applies_even_without_consent(queue: str) -> None:
    owner = account("TikTok", "OPEN9", consent=False)
    post_tiktok(
        {
            "client_key": "ck",
            "event": "authorization.removed",
            "create_time": NOW,
            "user_openid": "OPEN9",
            "content": json.dumps({"reason": 2}),
        }
    )
    run_ingest(queue)
    with unit_of_work() as session:
        status = session.execute(
            text("SELECT status FROM accounts WHERE id = :a"), {"a": owner.account_id}
        ).scalar_one()
    assert status == "reauth_required"
