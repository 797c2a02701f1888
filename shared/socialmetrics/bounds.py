"""The ranges every time and id taken from a request or a cursor must fall in before SQL sees it.

pg8000 converts an aware datetime to UTC while encoding it; outside years 1-9999 that raises
``OverflowError`` halfway through a statement. Ids beyond their column's integer type make the
server fail the statement. Both are the caller's mistake, so they are checked up front and
answered 422. The checks raise ``ValueError`` so that pydantic validators and the parsers of
query strings and cursors (which already turn ``ValueError`` into 422) can share them.
"""

from __future__ import annotations

from datetime import UTC, datetime

INT_MAX = 2**31 - 1  # PostgreSQL integer (platform ids)
BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint (users, accounts, metrics, ...)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; ``ValueError`` when naive or outside years 1-9999 once in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("must carry a timezone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall within years 1-9999 in UTC") from None


def db_id(value: int, maximum: int = BIGINT_MAX) -> int:
    """``value`` if it is a possible row id of a column whose largest value is ``maximum``."""
    if not 1 <= value <= maximum:
        raise ValueError(f"must be an id between 1 and {maximum}")
    return value
