"""From the outbox to the endpoints: the relay and one delivery attempt.

**Relay** (:func:`relay`, run by the ``webhook-sender`` function every minute and callable
after any unit of work): claims unrelayed events (``FOR UPDATE SKIP LOCKED``), creates one
``webhook_deliveries`` row per subscribed, enabled endpoint of the tenant, marks the events
relayed, commits, then sends one SQS message per delivery. A crash between commit and send
leaves the delivery ``pending`` and overdue: the next relay re-enqueues deliveries overdue by
more than ``SIGNAL_STALE_SECONDS``.

**Delivery** (:func:`process`, one SQS message ``{"delivery_id", "attempts"}``): the row is
locked, a message whose ``attempts`` no longer matches is a stale duplicate and dropped; one
that arrives before ``next_attempt_at`` goes back with a delay (SQS delays cap at 15 min, so
long waits hop). Otherwise the target is checked again (SSRF), the envelope signed with the
current secret (and the previous one during a rotation overlap) and POSTed to the checked
address. Failure → the next attempt per :func:`retries.retry_delay`; after the last attempt,
or when the endpoint reaches ``SIGNAL_DISABLE_AFTER_FAILURES`` consecutive failures (it is
then disabled and ``webhook_endpoint.disabled`` emitted), the delivery is dead and the event
goes to the DLQ. Queue sends happen before the commit; the ``attempts`` guard makes a send
whose transaction then fails harmless.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.aws import client, queue_url
from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.logging import logger
from socialmetrics.signals import events, signing
from socialmetrics.signals.endpoints import open_secret
from socialmetrics.signals.retries import retry_delay
from socialmetrics.signals.targets import Resolver, UnsafeTarget, check_url, resolve

QUEUE = "webhook-deliveries"
DLQ = f"{QUEUE}-dlq"
USER_AGENT = "socialmetrics-webhooks/1"


class DeliveryMessage(BaseModel):
    delivery_id: int = Field(ge=1)
    attempts: int = Field(default=0, ge=0)


class Result(StrEnum):
    DELIVERED = "delivered"
    RETRY_SCHEDULED = "retry_scheduled"
    DEAD = "dead"  # given up: the event is in the DLQ
    WAITING = "waiting"  # arrived before its time: re-enqueued with a delay
    DUPLICATE = "duplicate"  # already handled (at-least-once redelivery)
    GONE = "gone"  # the endpoint or delivery was deleted


@dataclass(frozen=True, slots=True)
class RelayReport:
    events: int
    deliveries: int
    requeued: int


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    latency_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def enqueue(messages: Sequence[DeliveryMessage], delay_seconds: int = 0) -> None:
    """Send delivery messages (batches of 10)."""
    sqs, url = client("sqs"), queue_url(QUEUE)
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": m.model_dump_json(),
                    "DelaySeconds": max(0, min(900, delay_seconds)),
                }
                for index, m in enumerate(chunk)
            ],
        )
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused {len(response['Failed'])} delivery messages")


def relay(settings: Settings, now: datetime, limit: int = 100) -> RelayReport:
    """Fan unrelayed events out to deliveries and enqueue them (see the module docstring)."""
    with unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT id, user_id, type FROM signal_events WHERE relayed_at IS NULL"
                " ORDER BY created_at, id LIMIT :n FOR UPDATE SKIP LOCKED"
            ),
            {"n": limit},
        ).all()
        fresh: list[DeliveryMessage] = []
        for row in rows:
            ids = session.execute(
                text(
                    "INSERT INTO webhook_deliveries (endpoint_id, event_id, next_attempt_at)"
                    " SELECT id, :ev, :now FROM webhook_endpoints WHERE user_id = :u"
                    " AND disabled_at IS NULL"
                    " AND (cardinality(event_types) = 0 OR :t = ANY(event_types))"
                    " ON CONFLICT DO NOTHING RETURNING id"
                ),
                {"ev": row.id, "u": row.user_id, "t": row.type, "now": now},
            ).scalars()
            fresh.extend(DeliveryMessage(delivery_id=i) for i in ids)
        if rows:
            session.execute(
                text("UPDATE signal_events SET relayed_at = :now WHERE id = ANY(:ids)"),
                {"now": now, "ids": [r.id for r in rows]},
            )
        stale = session.execute(
            text(
                "UPDATE webhook_deliveries SET next_attempt_at = :now, updated_at = now()"
                " WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending'"
                " AND next_attempt_at < :cutoff ORDER BY next_attempt_at LIMIT :n"
                " FOR UPDATE SKIP LOCKED) RETURNING id, attempts"
            ),
            {
                "now": now,
                "cutoff": now - timedelta(seconds=settings.signal_stale_seconds),
                "n": limit,
            },
        ).all()
    enqueue([*fresh, *(DeliveryMessage(delivery_id=r.id, attempts=r.attempts) for r in stale)])
    return RelayReport(events=len(rows), deliveries=len(fresh), requeued=len(stale))


def post_worst_seconds(settings: Settings) -> float:
    """The longest one POST may take: connect, send, and the reply cut at this bound."""
    return 3 * settings.signal_delivery_timeout_seconds


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: Settings,
    transport: httpx.BaseTransport | None = None,
    resolver: Resolver = resolve,
) -> Attempt:
    """One POST to the checked address of ``url``; never raises for network trouble."""
    begun = time.perf_counter()
    try:
        target = check_url(url, settings, resolver)
    except UnsafeTarget as exc:
        return Attempt(None, 0, f"refused: {exc.detail}"[:255])
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with (
            httpx.Client(
                transport=transport,
                timeout=httpx.Timeout(settings.signal_delivery_timeout_seconds),
                follow_redirects=False,
                trust_env=False,
            ) as http,
            http.stream(
                "POST",
                target.connect_url,
                content=body,
                headers={**headers, "host": target.host_header, "user-agent": USER_AGENT},
                extensions=extensions,
            ) as response,
        ):
            read, deadline = 0, begun + post_worst_seconds(settings)
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= settings.signal_response_max_bytes or time.perf_counter() > deadline:
                    break  # enough: a reply is judged by its status, never by a drip-fed body
            status = response.status_code
    except httpx.HTTPError as exc:
        latency = round((time.perf_counter() - begun) * 1000)
        return Attempt(None, latency, f"{type(exc).__name__}: {exc}"[:255])
    latency = round((time.perf_counter() - begun) * 1000)
    return Attempt(status, latency, None if 200 <= status < 300 else f"HTTP {status}")


def _signing_secrets(row: Any, now: datetime) -> list[SecretStr]:
    found = [open_secret(row.user_id, row.secret_ct)]
    if row.previous_secret_ct is not None and (
        row.previous_secret_expires_at is not None and row.previous_secret_expires_at > now
    ):
        found.append(open_secret(row.user_id, row.previous_secret_ct))
    return found


def _dead_letter(row: Any, payload: dict[str, Any], reason: str) -> None:
    client("sqs").send_message(
        QueueUrl=queue_url(DLQ),
        MessageBody=json.dumps(
            {
                "delivery_id": row.id,
                "endpoint_id": row.endpoint_id,
                "reason": reason,
                "event": payload,
            },
            default=str,
        ),
        MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256]}},
    )
    logger.warning(
        "webhook delivery dead-lettered",
        extra={"delivery_id": row.id, "endpoint_id": row.endpoint_id, "reason": reason},
    )


def _record(session: Session, row: Any, attempt: Attempt, number: int, now: datetime) -> None:
    session.execute(
        text(
            "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at,"
            " status_code, latency_ms, error) VALUES (:d, :n, :at, :s, :l, :e)"
        ),
        {
            "d": row.id,
            "n": number,
            "at": now,
            "s": attempt.status_code,
            "l": attempt.latency_ms,
            "e": attempt.error,
        },
    )
    session.execute(
        text(
            "UPDATE webhook_deliveries SET attempts = :n, last_status_code = :s,"
            " last_latency_ms = :l, last_error = :e, updated_at = now() WHERE id = :d"
        ),
        {
            "d": row.id,
            "n": number,
            "s": attempt.status_code,
            "l": attempt.latency_ms,
            "e": attempt.error,
        },
    )


def _disable(session: Session, row: Any, failures: int) -> None:
    reason = f"{failures} consecutive failed deliveries"
    session.execute(
        text(
            "UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = :r,"
            " updated_at = now() WHERE id = :ep"
        ),
        {"r": reason, "ep": row.endpoint_id},
    )
    events.emit(
        session,
        row.user_id,
        "webhook_endpoint.disabled",
        {"endpoint_id": row.endpoint_id, "url": row.url, "reason": reason},
    )


_LOAD = text(
    "SELECT d.id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at,"
    " e.id AS event_id, e.user_id, e.type, e.data, e.created_at,"
    " ep.url, ep.secret_ct, ep.previous_secret_ct, ep.previous_secret_expires_at,"
    " ep.disabled_at, ep.consecutive_failures"
    " FROM webhook_deliveries d JOIN signal_events e ON e.id = d.event_id"
    " JOIN webhook_endpoints ep ON ep.id = d.endpoint_id WHERE d.id = :id FOR UPDATE OF d, ep"
)


def process(
    message: DeliveryMessage,
    settings: Settings,
    now: datetime,
    rng: random.Random,
    transport: httpx.BaseTransport | None = None,
    resolver: Resolver = resolve,
) -> Result:
    """Handle one delivery message at ``now`` (see the module docstring)."""
    with unit_of_work() as session:
        row = session.execute(_LOAD, {"id": message.delivery_id}).one_or_none()
        if row is None:
            return Result.GONE
        if row.status != "pending" or row.attempts != message.attempts:
            return Result.DUPLICATE
        payload = events.envelope(row.event_id, row.type, row.created_at, row.user_id, row.data)
        if row.next_attempt_at > now:
            wait = int((row.next_attempt_at - now).total_seconds() + 0.999)
            enqueue([message], min(wait, settings.signal_requeue_max_delay_seconds))
            return Result.WAITING
        if row.disabled_at is not None:
            session.execute(
                text("UPDATE webhook_deliveries SET status = 'dead' WHERE id = :d"), {"d": row.id}
            )
            _dead_letter(row, payload, "endpoint disabled")
            return Result.DEAD
        raw = events.body(payload)
        headers = signing.headers(
            _signing_secrets(row, now), row.event_id, int(now.timestamp()), raw
        )
        attempt = post(row.url, raw, headers, settings, transport, resolver)
        number = row.attempts + 1
        _record(session, row, attempt, number, now)
        if attempt.ok:
            session.execute(
                text("UPDATE webhook_deliveries SET status = 'succeeded' WHERE id = :d"),
                {"d": row.id},
            )
            session.execute(
                text("UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = :ep"),
                {"ep": row.endpoint_id},
            )
            return Result.DELIVERED
        failures = row.consecutive_failures + 1
        session.execute(
            text("UPDATE webhook_endpoints SET consecutive_failures = :f WHERE id = :ep"),
            {"f": failures, "ep": row.endpoint_id},
        )
        disable = failures >= settings.signal_disable_after_failures
        delay = None if disable else retry_delay(number, rng)
        if delay is None:
            if disable:
                _disable(session, row, failures)
            session.execute(
                text("UPDATE webhook_deliveries SET status = 'dead' WHERE id = :d"), {"d": row.id}
            )
            _dead_letter(row, payload, attempt.error or "failed")
            return Result.DEAD
        due = now + timedelta(seconds=delay)
        session.execute(
            text("UPDATE webhook_deliveries SET next_attempt_at = :due WHERE id = :d"),
            {"due": due, "d": row.id},
        )
        enqueue(
            [DeliveryMessage(delivery_id=row.id, attempts=number)],
            min(delay, settings.signal_requeue_max_delay_seconds),
        )
        return Result.RETRY_SCHEDULED
