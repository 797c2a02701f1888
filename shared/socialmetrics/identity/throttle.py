"""Failed-login throttling per client IP and per key prefix, with its state in Postgres.

Every Lambda instance shares the same counters, so spreading guesses over instances gains
nothing. Only wrong keys are counted and only wrong keys are refused: a correct key logs in
even while its prefix or its address is blocked (see ``identity.service.login``).

- **Per address** (``ip:<address>``): ``LOGIN_MAX_FAILURES`` failures inside
  ``LOGIN_WINDOW_SECONDS`` block that address's wrong keys for one window (429 +
  ``Retry-After``).
- **Per prefix** (``key:<prefix>``), with backoff: the same count blocks guesses at that key for
  one window, the next block for two, then four, … up to :data:`MAX_DOUBLINGS` doublings (64
  windows, 5 h 20 min with the default 300 s). The count of blocks resets when the owner logs in
  or after a quiet period as long as the longest block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialmetrics.db.models import LoginFailure
from socialmetrics.errors import Throttled

MAX_DOUBLINGS = 6

_ENSURE = text(
    "INSERT INTO login_failures (bucket, window_start, failures, blocks) "
    "VALUES (:bucket, :now, 0, 0) ON CONFLICT (bucket) DO NOTHING"
)


def ip_bucket(ip: str | None) -> str:
    return f"ip:{(ip or 'unknown')[:100]}"


def key_bucket(prefix: str) -> str:
    return f"key:{prefix}"


def ensure_not_blocked(session: Session, buckets: Sequence[str], now: datetime) -> None:
    blocked = session.scalar(
        select(LoginFailure.blocked_until)
        .where(LoginFailure.bucket.in_(list(buckets)), LoginFailure.blocked_until > now)
        .order_by(LoginFailure.blocked_until.desc())
        .limit(1)
    )
    if blocked is not None:
        wait = math.ceil((blocked - now).total_seconds())
        raise Throttled("Too many failed logins; try again later.", retry_after=wait)


def block_duration(window: timedelta, blocks: int, backoff: bool) -> timedelta:
    """How long the next block lasts after ``blocks`` earlier consecutive blocks."""
    return window * 2 ** min(blocks, MAX_DOUBLINGS) if backoff else window


def record_failure(
    session: Session, buckets: Sequence[str], now: datetime, max_failures: int, window_seconds: int
) -> None:
    window = timedelta(seconds=window_seconds)
    quiet = window * 2**MAX_DOUBLINGS
    for bucket in buckets:
        backoff = bucket.startswith("key:")
        session.execute(_ENSURE, {"bucket": bucket, "now": now})
        row = session.scalars(
            select(LoginFailure).where(LoginFailure.bucket == bucket).with_for_update()
        ).one()
        if row.window_start < now - quiet:
            row.blocks = 0  # quiet long enough: the backoff starts over
        if row.window_start < now - window:
            row.window_start, row.failures = now, 0
        row.failures += 1
        if row.failures >= max_failures:
            row.blocked_until = now + block_duration(window, row.blocks, backoff)
            row.blocks = row.blocks + 1 if backoff else 0
            row.window_start, row.failures = now, 0  # after the block, a fresh count
    session.flush()


def clear(session: Session, bucket: str) -> None:
    session.query(LoginFailure).filter(LoginFailure.bucket == bucket).delete()
