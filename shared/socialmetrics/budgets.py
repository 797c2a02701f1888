"""Time budgets at run time: how long one outbound call may take at worst, and whether the
invocation still has that long.

The budgets themselves (connect/read timeouts, attempts, backoff, statement timeout) are
derived per function from its timeout in ``infra/definition.py`` and reach the code through
the settings. A queue consumer asks :func:`ensure_time_left` before it starts a record: a
record that could not finish before the Lambda times out is handed back to the queue at once
(reported in ``batchItemFailures``) instead of being cut off with the rest of the batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from socialmetrics.config import Settings

AWS_BACKOFF_BASE_SECONDS = 1.0  # botocore standard mode, throttling: rand * min(1 x 2^i, 20)
AWS_BACKOFF_CAP_SECONDS = 20.0
# A connected database socket waits ``statement_timeout`` + this for a reply, so the server's
# own timeout (a clean, catchable error) fires first and the socket only catches a database
# that stopped answering.
DB_READ_GRACE_SECONDS = 1.0


class OutOfTime(Exception):
    """Not enough of the invocation is left to run one more unit of work within its budget."""


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def aws_worst_seconds(settings: Settings) -> float:
    """One boto3 call at its longest: every attempt times out, with the longest backoff."""
    attempts = settings.aws_max_attempts
    waits = sum(
        min(AWS_BACKOFF_BASE_SECONDS * 2**i, AWS_BACKOFF_CAP_SECONDS) for i in range(attempts - 1)
    )
    per_attempt = settings.aws_connect_timeout_seconds + settings.aws_read_timeout_seconds
    return float(attempts * per_attempt + waits)


def platform_worst_seconds(settings: Settings) -> float:
    """One platform request at its longest (tenacity: ``min(low x 2^i + rand(0, low), high)``)."""
    attempts = settings.provider_max_attempts
    low, high = settings.provider_backoff_min_seconds, settings.provider_backoff_max_seconds
    waits = sum(min(low * 2**i + low, high) for i in range(attempts - 1))
    per_attempt = settings.provider_connect_timeout_seconds + settings.provider_timeout_seconds
    return float(attempts * per_attempt + waits)


def database_worst_seconds(settings: Settings) -> float:
    """One statement at its longest: a slow connect, then the server's ``statement_timeout``
    and the socket's grace beyond it."""
    return (
        settings.db_connect_timeout_seconds
        + settings.db_statement_timeout_ms / 1000
        + DB_READ_GRACE_SECONDS
    )


def record_seconds(
    settings: Settings, *, aws: bool = False, database: bool = False, platforms: bool = False
) -> float:
    """The longest one unit of work may wait on hung dependencies before it fails retriably:
    one call of each kind it makes, each at its worst."""
    return (
        (aws_worst_seconds(settings) if aws else 0.0)
        + (database_worst_seconds(settings) if database else 0.0)
        + (platform_worst_seconds(settings) if platforms else 0.0)
    )


def ensure_time_left(context: RemainingTime | None, seconds: float) -> None:
    """Raise :class:`OutOfTime` when the invocation has less than ``seconds`` left (no context,
    as in a direct call: always enough)."""
    if context is None:
        return
    left = context.get_remaining_time_in_millis() / 1000
    if left < seconds:
        raise OutOfTime(f"{left:.1f} s left, a record may need {seconds:.1f} s")
