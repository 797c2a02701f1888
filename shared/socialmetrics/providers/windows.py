"""Time windows of a collection: backfill to a horizon, then a restatement window, and the
decaying refresh of post lifetime metrics.

- Day-ranged insights: a cursor ``until`` (unix day) says how far the account is collected.
  A new account starts at ``today - horizon``; while the cursor is behind (a backfill in
  progress) the next chunk starts exactly there (nothing is read twice); once caught up,
  every run re-reads the last ``restatement_days`` because platforms revise recent days.
- Posts: a post's lifetime metrics are refreshed every run while it is younger than the
  restatement window, then ever more rarely (every ``age / 10`` days, at most monthly), so
  the cost of a run stays flat as history grows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

MAX_REFRESH_INTERVAL = timedelta(days=30)
TRACKED_POSTS = 1_000  # post refresh bookkeeping kept in the cursor (newest first)


def midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def day_span(
    previous: object, now: datetime, horizon_days: int, restatement_days: int
) -> tuple[datetime, datetime]:
    """``[since, until)`` in whole UTC days for a cursor value ``previous`` (unix seconds)."""
    until = midnight(now)
    earliest = until - timedelta(days=horizon_days)
    if not isinstance(previous, int | float) or isinstance(previous, bool):
        return earliest, until
    reached = datetime.fromtimestamp(previous, UTC)
    if reached < until - timedelta(days=1):  # backfill in progress: resume exactly there
        return max(earliest, reached), until
    return max(earliest, min(reached, until) - timedelta(days=restatement_days)), until


def note_backfill(
    cursor: dict[str, Any], fetched_from: datetime | None, reached: object, now: datetime
) -> None:
    """Record in ``cursor["backfill"]`` how far back history was fetched (``oldest_at``) and
    whether the walk has reached today (``complete``): the shape every provider shares."""
    state = dict(cursor.get("backfill") or {})
    if fetched_from is not None:
        iso = fetched_from.astimezone(UTC).isoformat()
        old = state.get("oldest_at")
        state["oldest_at"] = min(old, iso) if isinstance(old, str) else iso
    state["complete"] = (
        isinstance(reached, int | float)
        and not isinstance(reached, bool)
        and reached >= midnight(now).timestamp()
    )
    cursor["backfill"] = state


def chunks(since: datetime, until: datetime, days: int) -> list[tuple[datetime, datetime]]:
    """``[since, until)`` cut into spans of at most ``days`` days, oldest first."""
    out: list[tuple[datetime, datetime]] = []
    start = since
    while start < until:
        end = min(start + timedelta(days=days), until)
        out.append((start, end))
        start = end
    return out


def refresh_due(created: float, refreshed: float, now: datetime, restatement_days: int) -> bool:
    """Whether a post created at ``created`` and last refreshed at ``refreshed`` (unix) is due."""
    age = now - datetime.fromtimestamp(created, UTC)
    if age <= timedelta(days=restatement_days):
        return True
    interval = min(age / 10, MAX_REFRESH_INTERVAL)
    return now - datetime.fromtimestamp(refreshed, UTC) >= interval
