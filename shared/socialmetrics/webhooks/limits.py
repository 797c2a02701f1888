"""What one webhook entry may carry before ingest writes it (pure, no I/O).

Every value an entry puts into a column is checked against that column here, so a single
bad entry is refused (:class:`Rejected`, recorded in ``webhook_rejections``) instead of
failing the statement that writes the whole delivery:

- ids: at most :data:`MAX_ID` characters (``platform_user_id``, ``wamid``), story/media ids
  at most :data:`MAX_OBJECT_ID` (``metrics.object_id``);
- times: a real instant (years 1-9999 in UTC), neither older than the replay window nor more
  than :data:`CLOCK_SLACK` ahead of the time the delivery was received;
- metric values: see :func:`socialmetrics.points.value_fits`;
- WhatsApp error codes: a 32-bit integer (``message_statuses.error_code``).

**Replay window.** Meta's signature carries no timestamp, so a captured delivery verifies
forever. The dedupe ledger (``webhook_events``) refuses a replay only while it still holds the
event's key; it keeps keys for ``WEBHOOK_EVENTS_RETENTION_DAYS`` plus :data:`CLOCK_SLACK`
(:func:`ledger_cutoff`). Ingest refuses every event that occurred before
``received_at - WEBHOOK_EVENTS_RETENTION_DAYS`` (:func:`replay_window`), so any event it
accepts is still covered by the ledger: a replay is either a duplicate or rejected as too old.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from socialmetrics.points import value_fits

MAX_ID = 255
MAX_OBJECT_ID = 128
MAX_INT32 = 2**31 - 1
# A platform's clock may run this far ahead of ours (also how long the ledger outlives the
# replay window).
CLOCK_SLACK = timedelta(days=1)
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # one day of margin for any time zone
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class Rejected(ValueError):
    """One entry cannot be applied; ``reason`` is a short stable slug, ``detail`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail[:500]


def replay_window(retention_days: int) -> timedelta:
    """How old an event may be when its delivery is received (the ledger's retention)."""
    return timedelta(days=retention_days)


def ledger_cutoff(now: datetime, retention_days: int) -> datetime:
    """Ledger rows received before this may be pruned: the replay window plus the slack, so a
    key is kept at least as long as ingest would accept its event again."""
    return now - replay_window(retention_days) - CLOCK_SLACK


def check_id(value: str, what: str, limit: int = MAX_ID) -> str:
    if len(value) > limit:
        raise Rejected("id_too_long", f"{what} is {len(value)} characters; at most {limit}.")
    return value


def unix_time(number: float | Decimal) -> datetime:
    """Unix seconds → an aware datetime; a number outside years 1-9999 is :class:`Rejected`."""
    try:
        moment = datetime.fromtimestamp(float(number), UTC)
    except (OverflowError, OSError, ValueError):
        raise Rejected("time_out_of_range", f"time {number} is out of range.") from None
    return check_time(moment)


def check_time(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise Rejected("time_out_of_range", f"time {moment.isoformat()} is out of range.")
    return moment


def check_recent(moment: datetime, received_at: datetime, window: timedelta) -> None:
    """Refuse an event outside [received_at - window, received_at + CLOCK_SLACK]."""
    if moment < received_at - window:
        raise Rejected(
            "too_old",
            f"occurred {moment.isoformat()}, older than the {window.days}-day replay window.",
        )
    if moment > received_at + CLOCK_SLACK:
        raise Rejected("in_the_future", f"occurred {moment.isoformat()}, in the future.")


def check_value(value: Decimal, what: str) -> Decimal:
    if not value_fits(value):
        raise Rejected("value_out_of_range", f"{what} value {value:.6g} is out of range.")
    return value


def check_int32(value: int, what: str) -> int:
    if not -MAX_INT32 - 1 <= value <= MAX_INT32:
        raise Rejected("value_out_of_range", f"{what} {value} is out of range.")
    return value
