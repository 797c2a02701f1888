"""Failed-login throttling per client IP and per key prefix, with its state in Postgres.

Every Lambda instance shares the same counters, so spreading guesses over instances gains
nothing. A bucket that reaches ``LOGIN_MAX_FAILURES`` inside ``LOGIN_WINDOW_SECONDS`` is blocked
for one window; while blocked, every login through it answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from socialmetrics.db.models import LoginFailure
from socialmetrics.errors import Throttled

_RECORD = text(
    """
    INSERT INTO login_failures AS f (bucket, window_start, failures, blocked_until)
    VALUES (:bucket, :now, 1, CASE WHEN 1 >= :max THEN CAST(:blocked AS timestamptz) END)
    ON CONFLICT (bucket) DO UPDATE SET
        window_start = CASE WHEN f.window_start < :cutoff THEN :now ELSE f.window_start END,
        failures = CASE WHEN f.window_start < :cutoff THEN 1 ELSE f.failures + 1 END,
        blocked_until = CASE
            WHEN (CASE WHEN f.window_start < :cutoff THEN 1 ELSE f.failures + 1 END) >= :max
            THEN CAST(:blocked AS timestamptz) ELSE f.blocked_until END
    RETURNING failures
    """
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


def record_failure(
    session: Session, buckets: Sequence[str], now: datetime, max_failures: int, window_seconds: int
) -> None:
    window = timedelta(seconds=window_seconds)
    for bucket in buckets:
        session.execute(
            _RECORD,
            {
                "bucket": bucket,
                "now": now,
                "cutoff": now - window,
                "blocked": now + window,
                "max": max_failures,
            },
        )


def clear(session: Session, bucket: str) -> None:
    session.query(LoginFailure).filter(LoginFailure.bucket == bucket).delete()
