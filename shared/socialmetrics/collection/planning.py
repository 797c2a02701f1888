"""Pick the accounts that are due and fan them out to their platform family's queue.

An account is due when its user's latest ``metrics_collection`` consent is *given*, its status
is ``active`` and ``next_collect_at`` has passed. Due rows are claimed a page at a time with
``FOR UPDATE SKIP LOCKED`` — two overlapping scheduler runs never claim the same account — and
``next_collect_at`` advances by the account's cadence in the same transaction that sends the
messages, so running the same tick twice enqueues nothing twice. Messages are sent with
``SendMessageBatch`` (10 per call, :data:`SEND_CONCURRENCY` calls in flight: boto3 clients are
thread-safe) and spread across the window with per-message delays so each platform's quota sees
a trickle, not a burst. An entry SQS refuses is left due; once SQS does not answer within its
time budget, the rest of the tick is left due without further calls. There is no page cap: a
tick runs until nothing is due or the invocation has too little time left for one more page.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import defaultdict
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.accounts import lifecycle
from socialmetrics.aws import unreachable
from socialmetrics.budgets import RemainingTime, aws_worst_seconds, database_worst_seconds
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.platforms import Platform, collect_queue_key

SQS_BATCH = 10
SQS_MAX_DELAY_SECONDS = 900
# SendMessageBatch calls in flight at once: botocore's default connection pool per client (10),
# so no call waits for or discards a connection.
SEND_CONCURRENCY = 10

_CLAIM = text(
    """
    SELECT a.id, a.next_collect_at, a.cadence_minutes, a.last_collected_at, p.name AS platform
    FROM accounts a
    JOIN platforms p ON p.id = a.platform_id
    JOIN users u ON u.id = a.user_id
    WHERE a.status = 'active'
      AND a.next_collect_at <= :now
      AND u.erased_at IS NULL AND u.erasure_requested_at IS NULL
      AND (
        SELECT c.given FROM consents c
        WHERE c.user_id = a.user_id AND c.purpose = 'metrics_collection'
        ORDER BY c.created_at DESC, c.id DESC LIMIT 1
      ) IS TRUE
    ORDER BY a.next_collect_at, a.id
    LIMIT :limit
    FOR UPDATE OF a SKIP LOCKED
    """
)


@dataclass
class TickResult:
    job_id: str
    claimed: int = 0
    enqueued: int = 0
    failed: int = 0
    out_of_time: bool = False
    by_queue: dict[str, int] = field(default_factory=dict)


def job_id_for(tick_time: datetime) -> str:
    """A stable id for one tick (the same scheduled time gives the same id)."""
    return "tick-" + hashlib.sha256(tick_time.isoformat().encode()).hexdigest()[:16]


def spread_delays(count: int, window_seconds: int) -> list[int]:
    """Evenly spaced SQS delays (seconds) that spread ``count`` messages over the window."""
    window = min(max(window_seconds, 0), SQS_MAX_DELAY_SECONDS)
    if count <= 1 or window == 0:
        return [0] * count
    step = window / count
    return [min(int(i * step), window) for i in range(count)]


def claim_due(session: Session, now: datetime, limit: int) -> list[Any]:
    return list(session.execute(_CLAIM, {"now": now, "limit": limit}))


def _requests(rows: list[Any], job_id: str, now: datetime) -> list[CollectRequest]:
    requests = []
    for row in rows:
        start = row.last_collected_at or (now - timedelta(minutes=row.cadence_minutes))
        requests.append(
            CollectRequest(
                platform=Platform(row.platform),
                account_id=row.id,
                job_id=job_id,
                window_start=min(start, now),
                window_end=now,
            )
        )
    return requests


def _batches(
    queue_urls: dict[str, str], requests: list[CollectRequest], window_seconds: int
) -> list[tuple[str, list[CollectRequest], list[dict[str, Any]]]]:
    """``(queue url, requests, entries)`` per ``SendMessageBatch`` call, per family queue."""
    by_queue: dict[str, list[CollectRequest]] = defaultdict(list)
    for request in requests:
        by_queue[collect_queue_key(request.platform)].append(request)
    batches = []
    for key, queued in by_queue.items():
        delays = spread_delays(len(queued), window_seconds)
        for start in range(0, len(queued), SQS_BATCH):
            chunk = queued[start : start + SQS_BATCH]
            entries = [
                {
                    "Id": str(request.account_id),
                    "MessageBody": request.model_dump_json(),
                    "DelaySeconds": delays[start + offset],
                    "MessageAttributes": {
                        "job_id": {"DataType": "String", "StringValue": request.job_id},
                        "platform": {"DataType": "String", "StringValue": request.platform.value},
                    },
                }
                for offset, request in enumerate(chunk)
            ]
            batches.append((queue_urls[key], chunk, entries))
    return batches


def send_requests(
    sqs: Any,
    queue_urls: dict[str, str],
    requests: list[CollectRequest],
    window_seconds: int,
    executor: Executor | None = None,
) -> set[int]:
    """Send each request to its platform family's queue; returns account ids SQS refused.

    With an ``executor`` the ``SendMessageBatch`` calls after the first run concurrently on it;
    without, one after another. The first call goes alone, and once a call finds SQS unreachable
    the calls not yet started are skipped (their accounts count as refused), so a hung endpoint
    costs about one call's time budget, not one per call."""
    hung = threading.Event()

    def send(batch: tuple[str, list[CollectRequest], list[dict[str, Any]]]) -> set[int]:
        url, chunk, entries = batch
        if hung.is_set():
            return {request.account_id for request in chunk}
        try:
            response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        except Exception as exc:
            if unreachable(exc):
                hung.set()
            return {request.account_id for request in chunk}
        return {int(failure["Id"]) for failure in response.get("Failed", [])}

    batches = _batches(queue_urls, requests, window_seconds)
    if not batches:
        return set()
    refused = send(batches[0])  # alone: a hung SQS costs one call's budget, not one per thread
    rest = batches[1:]
    for failed in executor.map(send, rest) if executor is not None else map(send, rest):
        refused |= failed
    return refused


def page_seconds() -> float:
    """The longest one page may take when its dependencies hang: a database statement, then
    SQS calls until the first one that times out (later calls are skipped)."""
    settings = get_settings()
    return database_worst_seconds(settings) + aws_worst_seconds(settings)


def run_tick(
    sqs: Any,
    queue_urls: dict[str, str],
    *,
    now: datetime,
    page_size: int,
    window_seconds: int,
    context: RemainingTime | None = None,
) -> TickResult:
    """Claim due accounts page by page, enqueue them, advance the ones SQS accepted.

    Each page is one unit of work (committed after its messages were accepted), so row locks
    are short and a crash loses at most one page's claims — never a message: an account whose
    message was not accepted stays due for the next tick. The loop ends when a page comes back
    short (nothing more is due: every claimed account moved past ``now``), when SQS refused
    something, or when ``context`` has less than :func:`page_seconds` left — the rest stays due
    for the next tick."""
    result = TickResult(job_id=job_id_for(now))
    budget = page_seconds()
    with ThreadPoolExecutor(SEND_CONCURRENCY, thread_name_prefix="fan-out") as executor:
        while context is None or context.get_remaining_time_in_millis() / 1000 >= budget:
            with unit_of_work() as session:
                rows = claim_due(session, now, page_size)
                requests = _requests(rows, result.job_id, now)
                refused = send_requests(sqs, queue_urls, requests, window_seconds, executor)
                accepted = [r.account_id for r in requests if r.account_id not in refused]
                if accepted:
                    lifecycle.advance_schedule(session, accepted, now)
            result.claimed += len(rows)
            result.enqueued += len(accepted)
            result.failed += len(refused)
            for request in requests:
                if request.account_id not in refused:
                    key = collect_queue_key(request.platform)
                    result.by_queue[key] = result.by_queue.get(key, 0) + 1
            if refused or len(rows) < page_size:
                break
        else:
            result.out_of_time = True
    return result


class AccountNotCollectable(Exception):
    """The account does not exist or is not active."""


def enqueue_now(session: Session, sqs: Any, queue_urls: dict[str, str], account_id: int) -> str:
    """Queue one account for collection right away (admin action); returns the job id.

    Consent is still enforced by the collector when the message arrives."""
    row = session.execute(
        text(
            "SELECT a.id, a.status, a.cadence_minutes, a.last_collected_at, p.name AS platform"
            " FROM accounts a JOIN platforms p ON p.id = a.platform_id WHERE a.id = :id"
        ),
        {"id": account_id},
    ).one_or_none()
    if row is None or row.status != "active":
        raise AccountNotCollectable(f"account {account_id} is not an active account")
    now = datetime.now(UTC)
    job_id = "manual-" + uuid.uuid4().hex[:16]
    request = _requests([row], job_id, now)[0]
    if send_requests(sqs, queue_urls, [request], window_seconds=0):
        raise RuntimeError("SQS refused the message")
    return job_id
