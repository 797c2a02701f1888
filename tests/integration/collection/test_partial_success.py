"""Partial success is the normal case: every value fetched before or around a failure is
stored, the run records each part's outcome, and the account stays `active` unless the
token itself failed. Plus the backfill of a new account across invocations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from local.runtime import pollers, ticks
from socialmetrics.collection.collect import collect_account
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.platforms import Platform
from tests.integration.collection.conftest import Onboarded, onboard


def _collect_once(queue: str) -> None:
    assert ticks.tick("collect-tick", now=datetime.now(UTC) + timedelta(seconds=2))["enqueued"]
    result = pollers.drain(queue, max_batches=5, retry_after_seconds=0)
    assert (result.received, result.succeeded) == (1, 1)


def _run(account_id: int) -> Any:
    with unit_of_work() as session:
        return session.execute(
            text(
                "SELECT outcome, parts, points_written FROM collection_runs"
                " WHERE account_id = :a ORDER BY id DESC LIMIT 1"
            ),
            {"a": account_id},
        ).one()


def _parts(run: Any) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in run.parts}


def _status(account_id: int) -> tuple[str, str | None]:
    with unit_of_work() as session:
        row = session.execute(
            text("SELECT status, status_reason FROM accounts WHERE id = :a"), {"a": account_id}
        ).one()
    return row.status, row.status_reason


def _stored(account_id: int, object_type: str | None = None) -> set[tuple[str, str]]:
    sql = "SELECT DISTINCT object_id, metric_type FROM metrics WHERE account_id = :a"
    if object_type:
        sql += " AND object_type = :t"
    with unit_of_work() as session:
        rows = session.execute(text(sql), {"a": account_id, "t": object_type})
        return {(r.object_id, r.metric_type) for r in rows}


def _fault(sandbox: httpx.Client, account: Onboarded, **fault: Any) -> None:
    body = {"platform": account.platform, "account": account.remote["id"], **fault}
    assert sandbox.post("/_sandbox/faults", json=body).status_code == 201


def test_a_429_on_the_second_call_keeps_the_counters_and_defers_the_timeline(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "X")
    _fault(sandbox, account, kind="throttle", after=1, times=1)  # the 2nd request: the timeline
    _collect_once("collect-x")
    run = _run(account.account_id)
    parts = _parts(run)
    assert run.outcome == "partial"
    assert parts["account_fields"]["status"] == "succeeded"
    assert parts["posts"]["status"] == "deferred"
    assert parts["posts"]["retry_at"] is not None
    assert ("", "followers") in _stored(account.account_id, "account")  # fetched before the 429
    assert _status(account.account_id) == ("active", None)
    with unit_of_work() as session:  # due again at the reset, not a day later
        due = session.execute(
            text("SELECT next_collect_at FROM accounts WHERE id = :a"), {"a": account.account_id}
        ).scalar_one()
    assert due <= datetime.now(UTC) + timedelta(minutes=16)


def test_a_404_on_optional_whatsapp_templates_keeps_the_analytics(sandbox: httpx.Client) -> None:
    account = onboard(sandbox, "WhatsApp")
    _fault(sandbox, account, kind="not_found", path="message_templates")
    _collect_once("collect-meta")
    run = _run(account.account_id)
    parts = _parts(run)
    assert parts["templates"]["status"] == "failed"
    assert "does not exist" in parts["templates"]["detail"]
    assert parts["template_analytics"]["status"] == "skipped"
    assert parts["account_insights"]["status"] == "succeeded"
    assert parts["phone_numbers"]["status"] == "succeeded"  # the parts after it still ran
    metrics = {m for _, m in _stored(account.account_id)}
    assert {"messages_sent", "messages_delivered"} <= metrics
    assert _status(account.account_id) == ("active", None)


def test_a_pinned_newer_post_on_page_two_is_collected(sandbox: httpx.Client) -> None:
    # 60 posts one day apart (7-day window here), the newest listed 30th: page 1 (25 items)
    # holds a few inside the window, page 2 holds the newer post after older ones, page 3
    # holds nothing inside: paging stops there instead of walking every page.
    account = onboard(sandbox, "Instagram", posts=60, post_interval_minutes=1440, newest_at=30)
    newest = account.remote["posts"][0]
    _collect_once("collect-meta")
    assert newest in {o for o, _ in _stored(account.account_id)}
    pages = [
        r
        for r in sandbox.get("/_sandbox/state").json()["requests"]
        if r["account"] == account.remote["id"] and r["path"].endswith("/media")
    ]
    assert len(pages) == 3
    assert _status(account.account_id) == ("active", None)


def test_a_metric_one_media_product_type_rejects_is_skipped_for_it_only(
    sandbox: httpx.Client,
) -> None:
    account = onboard(sandbox, "Instagram", invalid_metrics=["REELS:profile_visits"])
    _collect_once("collect-meta")
    run = _run(account.account_id)
    parts = _parts(run)
    assert run.outcome == "succeeded"
    assert parts["post_insights"]["status"] == "succeeded"
    assert parts["reel_insights.profile_visits"]["status"] == "skipped"
    with unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT object_type, raw_name FROM metrics WHERE account_id = :a"
                " AND object_type IN ('post', 'reel')"
            ),
            {"a": account.account_id},
        ).all()
    by_type = {(r.object_type, r.raw_name) for r in rows}
    assert ("post", "profile_visits") in by_type  # FEED still has it
    assert ("reel", "profile_visits") not in by_type
    assert ("reel", "reach") in by_type  # the reel's other metrics arrived
    assert _status(account.account_id) == ("active", None)


def test_the_account_object_404ing_run_after_run_becomes_not_found(
    sandbox: httpx.Client, monkeypatch: Any
) -> None:
    monkeypatch.setenv("ACCOUNT_NOT_FOUND_STRIKES", "2")
    get_settings.cache_clear()
    account = onboard(sandbox, "Facebook")
    _fault(sandbox, account, kind="not_found")
    now = datetime.now(UTC)
    request = CollectRequest(
        platform=Platform.FACEBOOK,
        account_id=account.account_id,
        job_id="manual",
        window_start=now,
        window_end=now,
    )
    collect_account(request, get_settings())
    assert _status(account.account_id)[0] == "active"  # one 404 can be a hiccup
    collect_account(request, get_settings())
    status, reason = _status(account.account_id)
    assert status == "not_found"
    assert reason is not None
    assert "does not exist" in reason  # the platform's own message
    get_settings.cache_clear()


def test_a_new_account_is_backfilled_across_invocations_without_refetching(
    sandbox: httpx.Client, monkeypatch: Any
) -> None:
    monkeypatch.setenv("X_HORIZON_DAYS", "365")
    monkeypatch.setenv("COLLECT_CALL_BUDGET", "3")  # account, newer posts, one older page
    get_settings.cache_clear()
    settings = get_settings()
    account = onboard(sandbox, "X", posts=400, post_interval_minutes=1440)  # 400 days
    now = datetime.now(UTC)
    request = CollectRequest(
        platform=Platform.X,
        account_id=account.account_id,
        job_id="manual",
        window_start=now,
        window_end=now,
    )
    invocations = 0
    complete = False
    while not complete and invocations < 20:
        outcome = collect_account(request, settings)
        invocations += 1
        with unit_of_work() as session:
            cursor = session.execute(
                text("SELECT sync_cursor FROM accounts WHERE id = :a"), {"a": account.account_id}
            ).scalar_one()
        complete = bool(cursor.get("backfill", {}).get("complete"))
        if not complete:
            assert outcome.run_outcome == "partial"
            assert _parts(_run(account.account_id))["posts"]["status"] == "deferred"
    assert complete
    assert invocations >= 3  # it really was cut into several invocations
    timeline = [
        r["query"]
        for r in sandbox.get("/_sandbox/state").json()["requests"]
        if r["account"] == account.remote["id"] and r["path"].endswith("/tweets")
    ]
    backfill = [q for q in timeline if "since_id" not in q]
    assert len(backfill) == len(set(backfill))  # no page asked twice
    # 365 days of daily posts (the newest is 10 minutes old) = 365 or 366 posts, each stored.
    posts = {o for o, _ in _stored(account.account_id, "post")}
    assert 365 <= len(posts) <= 366
    remote = set(account.remote["posts"])
    assert posts <= remote
    get_settings.cache_clear()


def test_instagram_media_history_is_walked_once_across_invocations(
    sandbox: httpx.Client, monkeypatch: Any
) -> None:
    monkeypatch.setenv("INSTAGRAM_HORIZON_DAYS", "60")
    monkeypatch.setenv("RESTATEMENT_DAYS", "7")
    monkeypatch.setenv("COLLECT_CALL_BUDGET", "40")
    get_settings.cache_clear()
    settings = get_settings()
    account = onboard(sandbox, "Instagram", posts=90, post_interval_minutes=1440, stories=0)
    now = datetime.now(UTC)
    request = CollectRequest(
        platform=Platform.INSTAGRAM,
        account_id=account.account_id,
        job_id="manual",
        window_start=now,
        window_end=now,
    )
    complete, invocations = False, 0
    while not complete and invocations < 20:
        collect_account(request, settings)
        invocations += 1
        with unit_of_work() as session:
            cursor = session.execute(
                text("SELECT sync_cursor FROM accounts WHERE id = :a"), {"a": account.account_id}
            ).scalar_one()
        complete = bool(cursor["backfill"].get("complete"))
    assert complete
    assert invocations >= 3
    media_in_horizon = account.remote["posts"][:60]  # one a day, the newest 10 minutes old
    stored = {o for o, _ in _stored(account.account_id) if o}
    assert set(media_in_horizon) <= stored
    assert not set(account.remote["posts"][61:]) & stored  # beyond the horizon: never read
    insight_calls = [
        r["path"].split("/")[-2]
        for r in sandbox.get("/_sandbox/state").json()["requests"]
        if r["account"] == account.remote["id"] and r["path"].endswith("/insights")
    ]
    older = [m for m in insight_calls if m in set(media_in_horizon[8:])]
    assert len(older) == len(set(older))  # an older media item's insights: read exactly once
    assert cursor["backfill"]["oldest_at"] <= (now - timedelta(days=59)).isoformat()
    get_settings.cache_clear()
