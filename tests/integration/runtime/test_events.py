"""The sample events are real shapes, correctly signed, and the real handlers accept them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest

from infra import definition
from local.runtime import invoke
from local.runtime.aws import Resources
from socialmetrics.aws import client, queue_url
from socialmetrics.config import DEV_SECRET

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"


def _load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def _mac(message: bytes) -> bytes:
    return hmac.new(DEV_SECRET.encode(), message, hashlib.sha256).digest()


def _body(event: dict[str, Any]) -> bytes:
    raw = event["body"]
    return base64.b64decode(raw) if event["isBase64Encoded"] else raw.encode()


def test_every_function_has_a_sample_event() -> None:
    for function in definition.FUNCTIONS:
        samples = list((EVENTS / function.key).glob("*.json"))
        assert samples, function.key
        for sample in samples:
            json.loads(sample.read_text(encoding="utf-8"))


def test_samples_are_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("sign_events", ROOT / "scripts/sign_events.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    signed = _load("webhook_tiktok/authorization_removed.json")["headers"]["tiktok-signature"]
    timestamp = int(signed.split(",")[0].removeprefix("t="))
    for name, event in module.all_events(timestamp).items():
        assert _load(name) == event, f"{name} drifted: run python scripts/sign_events.py"


def test_webhook_samples_are_signed_with_the_local_secrets() -> None:
    for name in ("whatsapp_status", "instagram_story_insights"):
        event = _load(f"webhook_meta/{name}.json")
        expected = "sha256=" + _mac(_body(event)).hex()
        assert event["headers"]["x-hub-signature-256"] == expected
    x = _load("webhook_x/follow.json")
    assert (
        x["headers"]["x-twitter-webhooks-signature"]
        == "sha256=" + base64.b64encode(_mac(_body(x))).decode()
    )
    tiktok = _load("webhook_tiktok/authorization_removed.json")
    stamp, signature = (
        p.split("=", 1)[1] for p in tiktok["headers"]["tiktok-signature"].split(",")
    )
    assert signature == _mac(f"{stamp}.".encode() + _body(tiktok)).hex()


def test_sqs_samples_have_lambdas_record_shape() -> None:
    for name, queue in (
        ("collector/sqs_batch.json", "collect-meta"),
        ("ingest/sqs_batch.json", "events"),
        ("export_worker/sqs_batch.json", "exports"),
    ):
        records = _load(name)["Records"]
        assert records
        for record in records:
            assert record["eventSource"] == "aws:sqs"
            assert record["eventSourceARN"].endswith(f":{definition.queue(queue).name}")
            assert (
                record["md5OfBody"]
                == hashlib.md5(record["body"].encode(), usedforsecurity=False).hexdigest()
            )
            assert record["attributes"]["ApproximateReceiveCount"] == "1"
    message = json.loads(_load("collector/sqs_batch.json")["Records"][0]["body"])
    assert set(message) == {"platform", "account_id", "job_id", "window_start", "window_end"}
    delivery = json.loads(_load("ingest/sqs_batch.json")["Records"][0]["body"])
    assert {"provider", "headers", "body", "received_at"} <= set(delivery)
    from socialmetrics.exports.service import ExportMessage

    ExportMessage.model_validate_json(_load("export_worker/sqs_batch.json")["Records"][0]["body"])


def _messages_in_events_queue() -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url("events"), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


@pytest.mark.parametrize(
    ("function", "sample"),
    [
        ("webhook_meta", "webhook_meta/whatsapp_status.json"),
        ("webhook_meta", "webhook_meta/instagram_story_insights.json"),
        ("webhook_x", "webhook_x/follow.json"),
    ],
)
def test_real_receivers_accept_the_signed_samples(
    clean_queues: Resources, function: str, sample: str
) -> None:
    response = invoke.call(definition.function(function), _load(sample))
    assert response["statusCode"] == 200, response
    assert _messages_in_events_queue() == 1


def test_real_tiktok_receiver_accepts_the_sample_once_re_signed(clean_queues: Resources) -> None:
    event = _load("webhook_tiktok/authorization_removed.json")
    now = int(time.time())
    event["headers"]["tiktok-signature"] = (
        f"t={now},s=" + _mac(f"{now}.".encode() + _body(event)).hex()
    )
    response = invoke.call(definition.function("webhook_tiktok"), event)
    assert response["statusCode"] == 200, response
    assert _messages_in_events_queue() == 1


def test_real_receivers_answer_the_subscription_checks(clean_queues: Resources) -> None:
    meta = invoke.call(definition.function("webhook_meta"), _load("webhook_meta/subscribe.json"))
    assert (meta["statusCode"], meta["body"]) == (200, "1158201444")
    crc = invoke.call(definition.function("webhook_x"), _load("webhook_x/crc.json"))
    assert crc["statusCode"] == 200
    token = base64.b64encode(_mac(b"Y2hhbGxlbmdlLXRva2Vu")).decode()
    assert json.loads(crc["body"]) == {"response_token": f"sha256={token}"}
    assert _messages_in_events_queue() == 0
