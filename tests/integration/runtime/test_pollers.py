"""Queue pollers feed real SQS event shapes from moto's server to handlers, like Lambda."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from infra import definition
from local.runtime import pollers
from local.runtime.aws import Resources
from socialmetrics.aws import client, queue_url
from tests.integration.runtime import handlers

H = "tests.integration.runtime.handlers"


def _fn(name: str) -> definition.Function:
    return definition.Function(key=name, handler=f"{H}.{name}", description=name)


def _send(queue_key: str, bodies: list[dict[str, Any]], **extra: Any) -> list[str]:
    sqs = client("sqs")
    return [
        sqs.send_message(QueueUrl=queue_url(queue_key), MessageBody=json.dumps(b), **extra)[
            "MessageId"
        ]
        for b in bodies
    ]


def _depth(url: str) -> tuple[int, int]:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


@pytest.fixture(autouse=True)
def _forget_calls() -> None:
    handlers.CALLS.clear()


def test_records_have_lambdas_sqs_shape(clean_queues: Resources) -> None:
    _send(
        "events",
        [{"n": 1}],
        MessageAttributes={"reason": {"DataType": "String", "StringValue": "because"}},
    )
    result = pollers.drain("events", function=_fn("partial"))
    assert (result.received, result.succeeded, result.failed) == (1, 1, 0)
    (record,) = handlers.CALLS[0]["event"]["Records"]
    arn = client("sqs").get_queue_attributes(
        QueueUrl=queue_url("events"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["body"] == '{"n": 1}'
    assert record["md5OfBody"] == hashlib.md5(b'{"n": 1}', usedforsecurity=False).hexdigest()
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["reason"] == {
        "stringValue": "because",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["receiptHandle"]


def test_batch_item_failures_stay_in_the_queue_and_the_rest_are_deleted(
    clean_queues: Resources,
) -> None:
    _send("events", [{"n": 1}, {"n": 2, "fail": True}, {"n": 3}])
    result = pollers.drain("events", function=_fn("partial"))
    assert (result.received, result.succeeded, result.failed) == (3, 2, 1)
    assert _depth(queue_url("events")) == (0, 1)  # the failure waits out its visibility


def test_batch_size_follows_the_mapping(clean_queues: Resources) -> None:
    _send("collect-x", [{"n": n} for n in range(12)])
    result = pollers.drain("collect-x", function=_fn("partial"))
    assert result.received == 12
    sizes = [len(call["event"]["Records"]) for call in handlers.CALLS]
    assert max(sizes) <= definition.queue("collect-x").batch_size
    assert _depth(queue_url("collect-x")) == (0, 0)


def test_failing_message_is_redriven_to_the_dlq_after_max_receives(
    clean_queues: Resources,
) -> None:
    _send("events", [{"fail": True}])
    result = pollers.drain("events", max_batches=20, function=_fn("partial"), retry_after_seconds=0)
    assert result.batches == definition.MAX_RECEIVE_COUNT
    receive_counts = [
        call["event"]["Records"][0]["attributes"]["ApproximateReceiveCount"]
        for call in handlers.CALLS
    ]
    assert receive_counts == [str(n) for n in range(1, definition.MAX_RECEIVE_COUNT + 1)]
    assert _depth(clean_queues.dlq_urls["events"])[0] == 1
    assert _depth(queue_url("events")) == (0, 0)


def test_a_raising_handler_fails_the_whole_batch(clean_queues: Resources) -> None:
    _send("events", [{"n": 1}, {"n": 2}])
    batch = pollers.process_batch("events", function=_fn("crash"))
    assert batch.received == 2
    assert batch.failed == 2
    assert batch.error == "RuntimeError: boom"
    assert _depth(queue_url("events")) == (0, 2)


def test_an_unknown_item_identifier_fails_the_whole_batch(clean_queues: Resources) -> None:
    _send("events", [{"n": 1}, {"n": 2}])
    batch = pollers.process_batch("events", function=_fn("wrong_identifier"))
    assert (batch.succeeded, batch.failed) == (0, 2)


def test_background_pollers_deliver_until_stopped(clean_queues: Resources) -> None:
    seen: list[pollers.BatchResult] = []
    runner = pollers.QueuePollers(
        ["events"], wait_seconds=1, on_batch=seen.append, consumers={"events": _fn("partial")}
    )
    with runner:
        assert runner.running
        _send("events", [{"n": 1}, {"n": 2}])
        deadline = time.monotonic() + 15
        while sum(b.succeeded for b in seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not runner.running
    assert sum(b.succeeded for b in seen) == 2
    assert _depth(queue_url("events")) == (0, 0)


def test_unknown_queue_is_rejected_up_front() -> None:
    with pytest.raises(definition.UnknownKey):
        pollers.QueuePollers(["nope"])
