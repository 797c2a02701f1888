"""Time budgets: every outbound call a function makes gets one, derived from the function's timeout.

Every outbound call — AWS (boto3), the database (pg8000), a platform API (httpx + tenacity) —
gets a time budget derived from its function's timeout, so a hung dependency ends in a 503
problem or a retried message instead of the Lambda (or API Gateway) timing out first.

  margin  = max(2 s, 20 % of the timeout)   kept for the function's own work and its reply
  usable  = timeout - margin
  share   = usable / (number of dependency kinds the function calls: AWS, database, platforms)

Each kind's worst case for one call fits strictly inside its share, so even one hung call of
every kind in a row ends before ``timeout - margin``:
  AWS       attempts x (connect + read) + botocore's standard backoff between attempts
  platforms attempts x (connect + read) + tenacity's exponential backoff with jitter
  database  connect + statement_timeout + the socket's grace beyond it
tests/infra/test_budgets.py recomputes these worst cases from the settings each function
receives and checks the inequalities. ``infra.definition`` applies :func:`budget` to each of its
functions (``definition.environment``); this module needs nothing from it but the four fields
of :class:`Budgeted`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

BUDGET_MARGIN_FRACTION = 0.2
BUDGET_MIN_MARGIN_SECONDS = 2
RETRY_MORE_FROM_SECONDS = 15.0  # a share this long affords 3 attempts; shorter ones get 2
AWS_CONNECT_TIMEOUT_SECONDS = 1.0  # in-region endpoints connect in milliseconds
AWS_READ_TIMEOUT_MAX_SECONDS = 3.0  # KMS, SQS, Secrets Manager answer in milliseconds
AWS_THROTTLE_BACKOFF_BASE_SECONDS = 1.0  # botocore standard mode: rand * min(1 x 2^i, 20)
AWS_THROTTLE_BACKOFF_CAP_SECONDS = 20.0
PROVIDER_CONNECT_TIMEOUT_SECONDS = 2.0
PROVIDER_READ_TIMEOUT_MAX_SECONDS = 10.0  # Graph insights may take seconds to compute
PROVIDER_BACKOFF_MIN_SECONDS = 0.5  # tenacity: min(0.5 x 2^i + rand(0, 0.5), max)
PROVIDER_BACKOFF_MAX_SECONDS = 5.0
DB_CONNECT_TIMEOUT_MAX_SECONDS = 5  # TLS to RDS Proxy inside the VPC
# A connected socket waits statement_timeout + this for a reply, so the server's own timeout
# (a clean error) fires first; the same value as socialmetrics.budgets.DB_READ_GRACE_SECONDS.
DB_READ_GRACE_SECONDS = 1.0


class Budgeted(Protocol):
    """What a budget is derived from: a function of the definition (``definition.Function``)."""

    @property
    def key(self) -> str: ...

    @property
    def timeout_seconds(self) -> int: ...

    @property
    def touches_database(self) -> bool: ...

    @property
    def calls_platforms(self) -> bool: ...


@dataclass(frozen=True)
class Budget:
    """The time budget of one function's outbound calls (``None``: the kind is not used)."""

    timeout_seconds: int
    margin_seconds: int
    share_seconds: float
    aws_connect_timeout_seconds: float
    aws_read_timeout_seconds: float
    aws_max_attempts: int
    provider_connect_timeout_seconds: float | None = None
    provider_timeout_seconds: float | None = None
    provider_max_attempts: int | None = None
    provider_backoff_min_seconds: float | None = None
    provider_backoff_max_seconds: float | None = None
    db_connect_timeout_seconds: int | None = None
    db_statement_timeout_ms: int | None = None

    @property
    def usable_seconds(self) -> int:
        return self.timeout_seconds - self.margin_seconds

    def environment(self) -> dict[str, str]:
        """The budget as the environment variables the settings read (``AWS_MAX_ATTEMPTS`` …)."""
        values = {
            name: value
            for name, value in vars(self).items()
            if name not in ("timeout_seconds", "margin_seconds", "share_seconds")
            and value is not None
        }
        return {name.upper(): _env_number(value) for name, value in values.items()}


def _env_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _below(seconds: float, step: float) -> float:
    """The largest multiple of ``step`` strictly below ``seconds``."""
    return (math.ceil(round(seconds / step, 6)) - 1) * step


def _attempts(share: float) -> int:
    return 3 if share >= RETRY_MORE_FROM_SECONDS else 2


def aws_backoff_worst_seconds(attempts: int) -> float:
    """botocore's standard-mode waits between ``attempts`` tries at their longest (throttling)."""
    return float(
        sum(
            min(AWS_THROTTLE_BACKOFF_BASE_SECONDS * 2**i, AWS_THROTTLE_BACKOFF_CAP_SECONDS)
            for i in range(attempts - 1)
        )
    )


def provider_backoff_worst_seconds(attempts: int, low: float, high: float) -> float:
    """tenacity's ``wait_exponential_jitter(multiplier=low, jitter=low, max=high)`` waits
    between ``attempts`` tries at their longest."""
    return float(sum(min(low * 2**i + low, high) for i in range(attempts - 1)))


def budget(f: Budgeted) -> Budget:
    """``f``'s outbound time budget, derived from its timeout (see the module docstring)."""
    margin = max(BUDGET_MIN_MARGIN_SECONDS, math.ceil(f.timeout_seconds * BUDGET_MARGIN_FRACTION))
    kinds = 1 + int(f.touches_database) + int(f.calls_platforms)
    share = (f.timeout_seconds - margin) / kinds
    aws_attempts = _attempts(share)
    aws_read = _below(
        (share - aws_backoff_worst_seconds(aws_attempts)) / aws_attempts
        - AWS_CONNECT_TIMEOUT_SECONDS,
        0.5,
    )
    if aws_read <= 0:
        raise ValueError(f"function {f.key!r}: {f.timeout_seconds} s leaves no time budget")
    result = Budget(
        timeout_seconds=f.timeout_seconds,
        margin_seconds=margin,
        share_seconds=share,
        aws_connect_timeout_seconds=AWS_CONNECT_TIMEOUT_SECONDS,
        aws_read_timeout_seconds=min(AWS_READ_TIMEOUT_MAX_SECONDS, aws_read),
        aws_max_attempts=aws_attempts,
    )
    if f.calls_platforms:
        attempts = _attempts(share)
        backoff = provider_backoff_worst_seconds(
            attempts, PROVIDER_BACKOFF_MIN_SECONDS, PROVIDER_BACKOFF_MAX_SECONDS
        )
        read = _below((share - backoff) / attempts - PROVIDER_CONNECT_TIMEOUT_SECONDS, 0.5)
        result = replace(
            result,
            provider_connect_timeout_seconds=PROVIDER_CONNECT_TIMEOUT_SECONDS,
            provider_timeout_seconds=min(PROVIDER_READ_TIMEOUT_MAX_SECONDS, read),
            provider_max_attempts=attempts,
            provider_backoff_min_seconds=PROVIDER_BACKOFF_MIN_SECONDS,
            provider_backoff_max_seconds=PROVIDER_BACKOFF_MAX_SECONDS,
        )
    if f.touches_database:
        connect = max(1, min(DB_CONNECT_TIMEOUT_MAX_SECONDS, int(share // 4)))
        result = replace(
            result,
            db_connect_timeout_seconds=connect,
            db_statement_timeout_ms=round(
                _below(share - connect - DB_READ_GRACE_SECONDS, 0.1) * 1000
            ),
        )
    return result


def strictest_environment(functions: Iterable[Budgeted]) -> dict[str, str]:
    """The budget variables for a process that hosts all of ``functions``: each variable takes
    its strictest (smallest) value across the functions that set it."""
    strictest: dict[str, float] = {}
    for f in functions:
        for name, value in budget(f).environment().items():
            strictest[name] = min(strictest.get(name, math.inf), float(value))
    return {name: _env_number(value) for name, value in strictest.items()}
