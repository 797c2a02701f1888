"""Scheduler fan-out: ``SendMessageBatch`` (10 per call) vs one ``SendMessage`` per account.

The candidate is the scheduler's own :func:`socialmetrics.collection.planning.send_requests`
(messages grouped by platform family, 10 per call); the baseline sends the very same messages
(body, attributes, delay) one call each. Accounts are spread over the five platforms, so all
three family queues are used. Queues are emptied between rounds (untimed) and checked to hold
exactly one message per account after each round.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.harness import Comparison, median_seconds
from local.runtime.aws import Resources, queue_depth, reset_queues
from socialmetrics.aws import client
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.collection.planning import SQS_BATCH, send_requests
from socialmetrics.config import get_settings
from socialmetrics.platforms import Platform, collect_queue_key


def collect_requests(accounts: int) -> list[CollectRequest]:
    now = datetime.now(UTC).replace(microsecond=0)
    platforms = list(Platform)
    return [
        CollectRequest(
            platform=platforms[i % len(platforms)],
            account_id=i + 1,
            job_id="tick-bench",
            window_start=now - timedelta(minutes=15),
            window_end=now,
        )
        for i in range(accounts)
    ]


def send_one_by_one(
    sqs: Any, queue_urls: dict[str, str], requests: list[CollectRequest]
) -> set[int]:
    """The naive fan-out: one ``SendMessage`` per account (same body and attributes)."""
    refused: set[int] = set()
    for request in requests:
        try:
            sqs.send_message(
                QueueUrl=queue_urls[collect_queue_key(request.platform)],
                MessageBody=request.model_dump_json(),
                DelaySeconds=0,
                MessageAttributes={
                    "job_id": {"DataType": "String", "StringValue": request.job_id},
                    "platform": {"DataType": "String", "StringValue": request.platform.value},
                },
            )
        except Exception:
            refused.add(request.account_id)
    return refused


def batch_calls(requests: list[CollectRequest]) -> int:
    """How many ``SendMessageBatch`` calls ``send_requests`` makes for ``requests``."""
    per_queue = Counter(collect_queue_key(request.platform) for request in requests)
    return sum(-(-count // SQS_BATCH) for count in per_queue.values())


def _queued(resources: Resources) -> int:
    return sum(
        int(queue_depth(url)["ApproximateNumberOfMessages"])
        for key, url in resources.queue_urls.items()
        if key.startswith("collect-")
    )


def run(resources: Resources, accounts: int = 500, repeat: int = 3) -> Comparison:
    requests = collect_requests(accounts)
    urls = resources.queue_urls
    rounds: list[int] = []

    def empty_queues() -> None:
        """Untimed: check the previous round enqueued every account once, then empty."""
        if rounds and _queued(resources) != accounts:
            raise AssertionError("not every account was enqueued exactly once")
        reset_queues(get_settings(), resources)  # same names, so the same URLs
        rounds.append(1)

    def one_by_one() -> None:
        if send_one_by_one(client("sqs"), urls, requests):
            raise AssertionError("SQS refused a message")

    def batched() -> None:
        if send_requests(client("sqs"), urls, requests, window_seconds=0):
            raise AssertionError("SQS refused a message")

    baseline = median_seconds(one_by_one, repeat, setup=empty_queues)
    candidate = median_seconds(batched, repeat, setup=empty_queues)
    empty_queues()
    return Comparison(
        name=f"scheduler fan-out of {accounts:,} accounts to SQS (moto on loopback)",
        baseline="one SendMessage per account",
        candidate="send_requests (SendMessageBatch, 10 per call)",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=accounts,
        unit="messages",
        runs=repeat,
        note=f"{batch_calls(requests):,} SQS calls vs {accounts:,} over the three family queues",
    )
