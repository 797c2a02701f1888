"""metric.deprecated: announced once per series, when its first point under the replacement
name arrives after points under the deprecated one; collection.part_failed: announced when a
part starts failing, not on every run it keeps failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from socialmetrics.accounts import lifecycle
from socialmetrics.catalog.mappings import normalise
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers.types import PartOutcome
from socialmetrics.signals.producers import deprecation_switches, part_failures
from tests.factories import make_account

DAY = datetime(2026, 11, 1, tzinfo=UTC)
METRIC = normalise(Platform.FACEBOOK, "account", "page_impressions") or "impressions"


def _point(raw: str, day: int) -> MetricPoint:
    return MetricPoint(
        metric_type=METRIC,
        value=Decimal(10 + day),
        collected_at=DAY + timedelta(days=day),
        period="day",
        raw_name=raw,
    )


def _store(owner: Owner, points: list[MetricPoint]) -> list[str]:
    with unit_of_work() as session:
        emitted = deprecation_switches(session, owner, Platform.FACEBOOK, points)
        upsert_points(session, owner, points)
    return emitted


def _events() -> list[dict[str, object]]:
    with unit_of_work() as session:
        rows = session.execute(
            text("SELECT data FROM signal_events WHERE type = 'metric.deprecated' ORDER BY id")
        ).all()
    return [row.data for row in rows]


def test_a_series_switching_to_its_replacement_is_announced_once(db: str) -> None:
    owner = make_account("Facebook")
    other = make_account("Facebook")
    assert _store(owner, [_point("page_impressions", 0), _point("page_impressions", 1)]) == []
    # First point under the replacement name: one event for this account's series.
    assert len(_store(owner, [_point("page_media_view", 2)])) == 1
    # Later points under the new name, and a brand-new account that never had the old name,
    # announce nothing.
    assert _store(owner, [_point("page_media_view", 3)]) == []
    assert _store(other, [_point("page_media_view", 2)]) == []
    [event] = _events()
    assert event == {
        "account_id": owner.account_id,
        "platform": "Facebook",
        "metric_type": METRIC,
        "from_raw_name": "page_impressions",
        "to_raw_name": "page_media_view",
        "deprecated_since": "2025-11-15",
        "note": "blog of 2025-08-15; _paid/_viral/_nonviral removed too",
    }


def test_an_alias_accepted_side_by_side_is_not_a_deprecation(db: str) -> None:
    owner = make_account("X")
    points = [
        MetricPoint(metric_type="followers", value=Decimal(1), collected_at=DAY, raw_name=raw)
        for raw in ("post_count", "tweet_count")
    ]
    with unit_of_work() as session:
        assert deprecation_switches(session, owner, Platform.X, points) == []


def _run(owner: Owner, parts: list[PartOutcome]) -> list[str]:
    """One collection's bookkeeping as the collector does it: announce, then record the run."""
    with unit_of_work() as session:
        emitted = part_failures(session, owner, Platform.WHATSAPP, parts)
        lifecycle.record_run(session, owner.account_id, "job", DAY, "partial", 0, parts, {})
    return emitted


def test_a_part_is_announced_when_it_starts_failing_not_on_every_run(db: str) -> None:
    owner = make_account("WhatsApp")
    ok = PartOutcome("analytics", "succeeded")
    failing = PartOutcome("templates", "failed", "(#100) Unsupported get request")
    assert len(_run(owner, [ok, failing])) == 1
    assert _run(owner, [ok, failing]) == []  # still failing: retried each run, not re-announced
    assert _run(owner, [ok, PartOutcome("templates", "succeeded")]) == []
    assert len(_run(owner, [ok, failing])) == 1  # failing again after a recovery
    with unit_of_work() as session:
        rows = session.execute(
            text("SELECT data FROM signal_events WHERE type = 'collection.part_failed'")
        ).all()
    assert [row.data["part"] for row in rows] == ["templates", "templates"]
    assert rows[0].data["reason"] == "(#100) Unsupported get request"
