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

from collections.abc import Awaitable, Callable
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
    cursor: dict[str, Any],
    walks: tuple[str, ...],
    walk: str,
    fetched_from: datetime | None,
    reached: object,
    now: datetime,
) -> None:
    """Record how far back the day-ranged ``walk`` (``insights``, ``totals``…) was fetched and
    whether it reached today, then settle the account-wide state over ``walks``."""
    state = dict(cursor.get("backfill") or {})
    current = dict(state.get(walk) or {})
    if fetched_from is not None:
        iso = fetched_from.astimezone(UTC).isoformat()
        old = current.get("oldest_at")
        current["oldest_at"] = min(old, iso) if isinstance(old, str) else iso
    current["complete"] = (
        isinstance(reached, int | float)
        and not isinstance(reached, bool)
        and reached >= midnight(now).timestamp()
    )
    state[walk] = current
    cursor["backfill"] = state
    settle_backfill(cursor, walks)


def settle_backfill(cursor: dict[str, Any], walks: tuple[str, ...]) -> None:
    """``cursor["backfill"]``'s ``complete`` and ``oldest_at`` — the shape every provider
    shares (``GET /accounts`` shows it): complete once every one of ``walks`` is."""
    state = dict(cursor.get("backfill") or {})
    done = [state.get(w) for w in walks]
    state["complete"] = all(isinstance(w, dict) and w.get("complete") for w in done)
    oldest = [w["oldest_at"] for w in done if isinstance(w, dict) and w.get("oldest_at")]
    if oldest:
        state["oldest_at"] = min(oldest)
    cursor["backfill"] = state


Page = tuple[list[dict[str, Any]], object]  # items, the next page's token (None at the end)


async def walk_history(
    fetch_page: Callable[[object], Awaitable[Page]],
    state: dict[str, Any],
    window: tuple[datetime, datetime],
    time_of: Callable[[dict[str, Any]], datetime | None],
    handle: Callable[[dict[str, Any]], Awaitable[None]],
    max_pages: int,
) -> None:
    """The backfill walk of a paged list, newest first: items created in ``[horizon, newer)``
    of ``window`` are handed to ``handle`` once (newer ones are the restatement window's).

    ``state`` is the checkpoint kept in the cursor: ``after`` = the token of the page being
    read, ``skip`` = its items already handled, ``complete``, ``oldest_at``. An interrupted
    walk (call budget, rate limit) resumes at the next item; the walk ends on a page with
    nothing at or after the horizon (pinned items cannot fool it), or at the end."""
    horizon, newer = window
    if horizon >= newer:  # the restatement window already covers the whole horizon
        state.update(complete=True, after=None, skip=0)
        return
    for _ in range(max_pages):
        items, after = await fetch_page(state.get("after"))
        skip = int(state.get("skip") or 0)
        reached = False
        for index, item in enumerate(items):
            moment = time_of(item)
            if moment is None or moment < horizon:
                continue
            reached = True
            if index >= skip and moment < newer:
                await handle(item)
                oldest = state.get("oldest_at")
                stamp = moment.astimezone(UTC).isoformat()
                state["oldest_at"] = min(oldest, stamp) if isinstance(oldest, str) else stamp
            state["skip"] = index + 1
        if not reached or after is None:
            state.update(complete=True, after=None, skip=0)
            return
        state.update(after=after, skip=0)


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
