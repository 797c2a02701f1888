"""Backfill windows, checkpointed history walks, decaying refresh and run outcomes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from socialmetrics.collection.collect import run_outcome
from socialmetrics.providers.errors import BudgetExhausted
from socialmetrics.providers.types import PartOutcome
from socialmetrics.providers.windows import (
    Page,
    chunks,
    day_span,
    refresh_due,
    settle_backfill,
    walk_history,
)

NOW = datetime(2026, 3, 3, 9, tzinfo=UTC)
TODAY = datetime(2026, 3, 3, tzinfo=UTC)


def test_a_new_account_starts_at_the_horizon_a_backfill_resumes_exactly_and_then_restates() -> None:
    assert day_span(None, NOW, 365, 28) == (TODAY - timedelta(days=365), TODAY)
    behind = int((TODAY - timedelta(days=200)).timestamp())
    assert day_span(behind, NOW, 365, 28) == (TODAY - timedelta(days=200), TODAY)
    caught_up = int(TODAY.timestamp())
    assert day_span(caught_up, NOW, 365, 28) == (TODAY - timedelta(days=28), TODAY)
    assert chunks(TODAY - timedelta(days=65), TODAY, 30)[-1] == (TODAY - timedelta(days=5), TODAY)
    assert len(chunks(TODAY - timedelta(days=65), TODAY, 30)) == 3


def test_young_posts_refresh_every_run_old_ones_ever_more_rarely() -> None:
    day = 86_400.0
    now = NOW.timestamp()
    assert refresh_due(now - 3 * day, now - 60, NOW, 28)  # young: every run
    assert not refresh_due(now - 100 * day, now - 5 * day, NOW, 28)  # 100 days old: every 10
    assert refresh_due(now - 100 * day, now - 11 * day, NOW, 28)
    assert not refresh_due(now - 900 * day, now - 20 * day, NOW, 28)  # at most monthly
    assert refresh_due(now - 900 * day, now - 31 * day, NOW, 28)


def _feed() -> dict[object, Page]:
    """Three pages, newest first, with a pinned new item on page 2 and old ones on page 3."""

    def item(name: str, days: int) -> dict[str, Any]:
        return {"id": name, "at": NOW - timedelta(days=days)}

    return {
        None: ([item("a", 1), item("b", 40), item("c", 50)], "p2"),
        "p2": ([item("d", 60), item("pinned", 2), item("e", 70)], "p3"),
        "p3": ([item("f", 400), item("g", 500)], "p4"),
        "p4": ([item("h", 600)], None),
    }


def test_the_history_walk_resumes_at_the_next_item_and_stops_on_evidence() -> None:
    pages = _feed()
    fetched: list[object] = []
    handled: list[str] = []
    budget = {"left": 1}

    async def fetch(after: object) -> Page:
        fetched.append(after)
        return pages[after]

    async def handle(item: dict[str, Any]) -> None:
        if budget["left"] == 0:
            raise BudgetExhausted("spent")
        budget["left"] -= 1
        handled.append(item["id"])

    state: dict[str, Any] = {}
    window = (NOW - timedelta(days=365), NOW - timedelta(days=28))
    with pytest.raises(BudgetExhausted):
        asyncio.run(walk_history(fetch, state, window, lambda i: i["at"], handle, 10))
    assert handled == ["b"]  # "a" is the restatement window's; the budget ends at "c"
    assert (state.get("after"), state["skip"]) == (None, 2)  # still on the first page...
    budget["left"] = 10
    asyncio.run(walk_history(fetch, state, window, lambda i: i["at"], handle, 10))
    assert handled == ["b", "c", "d", "e"]  # ...and resumed at "c": nothing twice
    assert fetched == [None, None, "p2", "p3"]  # page 3 has nothing in the horizon: stop
    assert state["complete"] is True
    assert state["oldest_at"] == (NOW - timedelta(days=70)).isoformat()


def test_backfill_is_complete_only_when_every_walk_is() -> None:
    cursor: dict[str, Any] = {
        "backfill": {"insights": {"complete": True, "oldest_at": "2025-01-02"}}
    }
    settle_backfill(cursor, ("insights", "posts"))
    assert cursor["backfill"]["complete"] is False
    cursor["backfill"]["posts"] = {"complete": True, "oldest_at": "2024-12-01"}
    settle_backfill(cursor, ("insights", "posts"))
    assert cursor["backfill"]["complete"] is True
    assert cursor["backfill"]["oldest_at"] == "2024-12-01"


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        (["succeeded", "skipped"], "succeeded"),
        (["succeeded", "failed"], "partial"),
        (["succeeded", "deferred"], "partial"),
        (["deferred"], "deferred"),
        (["failed", "deferred"], "failed"),
    ],
)
def test_run_outcome_from_the_parts(statuses: list[str], outcome: str) -> None:
    parts = [PartOutcome(f"p{i}", s) for i, s in enumerate(statuses)]  # type: ignore[arg-type]
    assert run_outcome(parts) == outcome
