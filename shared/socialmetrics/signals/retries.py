"""The delivery retry schedule: exponential-ish backoff with jitter over about 24 hours.

Attempt 1 is immediate; after a failed attempt ``n`` the next one waits ``BASE_DELAYS[n-1]``
seconds ±``JITTER`` (5 s, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h: 8 attempts over ~23.6 h). After
the last one the delivery is dead (its event goes to the DLQ)."""

from __future__ import annotations

import random

BASE_DELAYS: tuple[int, ...] = (5, 300, 1_800, 7_200, 18_000, 28_800, 28_800)
JITTER = 0.1
MAX_ATTEMPTS = len(BASE_DELAYS) + 1


def retry_delay(failed_attempts: int, rng: random.Random) -> int | None:
    """Seconds to wait after ``failed_attempts`` failures, or ``None``: give up."""
    if failed_attempts < 1 or failed_attempts > len(BASE_DELAYS):
        return None
    base = BASE_DELAYS[failed_attempts - 1]
    return max(1, round(base * (1 - JITTER + 2 * JITTER * rng.random())))
