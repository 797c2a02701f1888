"""Local SQS event source mappings: receive from the local queues, call the consumer's handler.

Each poll does what Lambda's SQS poller does for a mapping with ``ReportBatchItemFailures``:
receive up to the mapping's batch size (the queue's own visibility timeout applies), build the
real ``{"Records": [...]}`` event, call the consumer's handler, then delete the messages that
succeeded and leave the ``batchItemFailures`` ones. Left messages come back after the
visibility timeout with a higher ``ApproximateReceiveCount``, and the queue's redrive policy
moves them to the DLQ after ``maxReceiveCount`` receives — in moto exactly as in SQS.
A handler that raises, or answers with an identifier that is not in the batch, fails the whole
batch (Lambda's rule).

:func:`drain` processes one queue until it is empty (tests); :class:`QueuePollers` runs one
background thread per queue (``make run``). A poller thread never dies: any error — the queue
unreachable, the consumer's database down, the progress callback failing — is logged and the
poll retried after a bounded exponential backoff (:func:`backoff_seconds`), so messages that
arrive during an outage are consumed once it ends, without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from infra import definition
from local.runtime import invoke
from local.runtime.workers import Workers
from socialmetrics.aws import client, queue_url
from socialmetrics.config import get_settings
from socialmetrics.logging import logger

_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "DeadLetterQueueSourceArn",
)


@dataclass
class BatchResult:
    queue: str
    received: int = 0
    succeeded: int = 0
    failed_ids: list[str] = field(default_factory=list)
    error: str | None = None  # the handler raised: the whole batch failed

    @property
    def failed(self) -> int:
        return len(self.failed_ids)


@dataclass
class DrainResult:
    queue: str
    batches: int = 0
    received: int = 0
    succeeded: int = 0
    failed: int = 0


@cache
def _queue_arn(url: str) -> str:
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API shape (``StringValue``/``DataType``) → Lambda event shape (``stringValue``…)."""
    converted: dict[str, Any] = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        import base64

        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return converted


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One ``Records[]`` entry of the SQS event Lambda delivers, from ``ReceiveMessage``."""
    attributes = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: attributes[k] for k in _RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _failed_ids(result: Any, batch_ids: Sequence[str]) -> list[str]:
    """The messages to keep: ``batchItemFailures`` identifiers, or all of them when the
    response names something outside the batch (as Lambda treats a malformed response)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return []
    failures = result["batchItemFailures"]
    ids: list[str] = []
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in batch_ids:
            logger.warning("invalid batchItemFailures entry; failing the whole batch")
            return list(batch_ids)
        ids.append(str(identifier))
    return ids


def _delete(url: str, messages: Iterable[dict[str, Any]]) -> None:
    entries = [
        {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)
    ]
    sqs = client("sqs")
    for start in range(0, len(entries), 10):
        response = sqs.delete_message_batch(QueueUrl=url, Entries=entries[start : start + 10])
        for failure in response.get("Failed", []):
            logger.warning("delete failed", extra={"queue": url, "error": failure})


def consumer_of(queue_key: str) -> definition.Function:
    return definition.function(definition.queue(queue_key).consumer)


def process_batch(
    queue_key: str,
    *,
    function: definition.Function | None = None,
    wait_seconds: int = 0,
    retry_after_seconds: int | None = None,
) -> BatchResult:
    """Receive one batch from ``queue_key`` and hand it to its consumer (or ``function``).

    ``retry_after_seconds`` (tests only) makes failed messages visible again after that many
    seconds instead of the queue's visibility timeout, to replay retries and DLQ redrive fast.
    """
    spec = definition.queue(queue_key)
    function = function or consumer_of(queue_key)
    url = queue_url(queue_key)
    messages: list[dict[str, Any]] = (
        client("sqs")
        .receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=spec.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    result = BatchResult(queue=queue_key, received=len(messages))
    if not messages:
        return result
    region = get_settings().aws_region
    event = {"Records": [sqs_record(m, _queue_arn(url), region) for m in messages]}
    batch_ids = [m["MessageId"] for m in messages]
    try:
        response = invoke.call(function, event)
    except Exception as exc:
        logger.exception("consumer failed; whole batch", extra={"queue": queue_key})
        result.error = f"{type(exc).__name__}: {exc}"
        failed = list(batch_ids)
    else:
        failed = _failed_ids(response, batch_ids)
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        _delete(url, done)
    if retry_after_seconds is not None:
        for message in messages:
            if message["MessageId"] in failed:
                client("sqs").change_message_visibility(
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=retry_after_seconds,
                )
    result.succeeded = len(done)
    result.failed_ids = failed
    return result


def drain(
    queue_key: str,
    max_batches: int = 100,
    *,
    function: definition.Function | None = None,
    retry_after_seconds: int | None = None,
) -> DrainResult:
    """Process ``queue_key`` batch by batch until a receive comes back empty (or
    ``max_batches`` batches ran)."""
    total = DrainResult(queue=queue_key)
    for _ in range(max_batches):
        batch = process_batch(queue_key, function=function, retry_after_seconds=retry_after_seconds)
        if not batch.received:
            break
        total.batches += 1
        total.received += batch.received
        total.succeeded += batch.succeeded
        total.failed += batch.failed
    return total


BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0


def backoff_seconds(failures: int) -> float:
    """The pause after ``failures`` consecutive failed polls: 0.5 s, 1 s, 2 s, … at most 30 s."""
    doublings = max(0, min(failures - 1, 16))
    return min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * float(2**doublings))


class QueuePollers(Workers):
    """One daemon thread per queue, long-polling and invoking its consumer until stopped."""

    def __init__(
        self,
        queue_keys: Sequence[str] | None = None,
        *,
        wait_seconds: int = 1,
        on_batch: Callable[[BatchResult], None] | None = None,
        consumers: Mapping[str, definition.Function] | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        self.consumers = dict(consumers or {})
        self.queue_keys = tuple(queue_keys or (q.key for q in definition.QUEUES))
        for key in self.queue_keys:
            definition.queue(key)  # unknown keys fail now, not in a thread
        self.wait_seconds = wait_seconds
        self.on_batch = on_batch
        self.retry_after_seconds = retry_after_seconds  # tests: see process_batch
        self.errors = 0  # failed polls so far (all queues), for tests and diagnostics
        super().__init__()

    def start(self) -> QueuePollers:
        self._stop.clear()
        for key in self.queue_keys:
            self._spawn(f"poll-{key}", self._run, key)
        return self

    def _poll(self, queue_key: str) -> None:
        batch = process_batch(
            queue_key,
            function=self.consumers.get(queue_key),
            wait_seconds=self.wait_seconds,
            retry_after_seconds=self.retry_after_seconds,
        )
        if batch.received and self.on_batch is not None:
            self.on_batch(batch)

    def _run(self, queue_key: str) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._poll(queue_key)
            except Exception:
                failures += 1
                self.errors += 1
                delay = backoff_seconds(failures)
                logger.exception(
                    "poller error; retrying",
                    extra={"queue": queue_key, "failures": failures, "retry_in_seconds": delay},
                )
                self._stop.wait(delay)
            else:
                failures = 0
