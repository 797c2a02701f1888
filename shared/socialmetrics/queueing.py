"""What an SQS consumer does with a message besides acknowledging it.

- :func:`delay_until` — make a message visible again at a given time (a platform's rate-limit
  reset, a retry backoff), capped at SQS's 12-hour visibility limit.
- :func:`dead_letter` — send a poison message straight to its queue's DLQ (the queue named
  ``<name>-dlq``) with the reason, so it is kept for inspection without burning retries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from socialmetrics.aws import client
from socialmetrics.logging import logger

MAX_VISIBILITY_SECONDS = 12 * 3600
# The stack's redrive policy (infra.definition.MAX_RECEIVE_COUNT; a test keeps them equal):
# the receive after this many moves a message to its DLQ.
MAX_RECEIVE_COUNT = 5


@cache
def url_for_arn(queue_arn: str) -> str:
    """The queue URL behind an ``arn:aws:sqs:region:account:name`` ARN."""
    parts = queue_arn.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        raise ValueError(f"not an SQS queue ARN: {queue_arn!r}")
    url: str = client("sqs").get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])[
        "QueueUrl"
    ]
    return url


def seconds_until(when: datetime, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    return max(0, min(MAX_VISIBILITY_SECONDS, int((when - now).total_seconds() + 0.999)))


def delay_until(queue_arn: str, receipt_handle: str, when: datetime) -> int:
    """Hide the message until ``when``; returns the visibility timeout set (seconds)."""
    timeout = seconds_until(when)
    client("sqs").change_message_visibility(
        QueueUrl=url_for_arn(queue_arn), ReceiptHandle=receipt_handle, VisibilityTimeout=timeout
    )
    return timeout


def backoff_seconds(receive_count: int, base_seconds: int, cap_seconds: int = 900) -> int:
    """Exponential retry delay for the ``receive_count``-th delivery (1 → base)."""
    if base_seconds <= 0:
        return 0
    return int(min(cap_seconds, base_seconds * 2 ** max(0, receive_count - 1)))


def dead_letter(queue_arn: str, body: str, reason: str) -> None:
    """Send ``body`` to the DLQ of the queue ``queue_arn`` names, tagged with ``reason``."""
    dlq_arn = f"{queue_arn}-dlq"
    client("sqs").send_message(
        QueueUrl=url_for_arn(dlq_arn),
        MessageBody=body,
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:256] or "unknown"}
        },
    )
    logger.warning("message dead-lettered", extra={"queue": queue_arn, "reason": reason})
