"""Outbound events and their delivery logs are pruned after their retention, never while the
relay or a delivery still needs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.maintenance.steps import prune_signal_events
from socialmetrics.signals.events import emit
from tests.factories import make_user

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _event(user_id: int, age_days: int, *, relayed: bool, delivery: str | None) -> str:
    with unit_of_work() as session:
        event_id = emit(session, user_id, "consent.withdrawn", {"user_id": user_id})
        created = NOW - timedelta(days=age_days)
        session.execute(
            text("UPDATE signal_events SET created_at = :c, relayed_at = :r WHERE id = :id"),
            {"c": created, "r": created if relayed else None, "id": event_id},
        )
        if delivery is not None:
            endpoint = session.execute(
                text(
                    "INSERT INTO webhook_endpoints (user_id, url, secret_ct)"
                    " VALUES (:u, 'https://hooks.example.com/x', :s) RETURNING id"
                ),
                {"u": user_id, "s": b"\x00ct"},
            ).scalar_one()
            session.execute(
                text(
                    "INSERT INTO webhook_deliveries (endpoint_id, event_id, status)"
                    " VALUES (:e, :id, :s)"
                ),
                {"e": endpoint, "id": event_id, "s": delivery},
            )
    return event_id


def _remaining() -> set[str]:
    with unit_of_work() as session:
        return set(session.execute(text("SELECT id FROM signal_events")).scalars())


def test_old_delivered_events_go_with_their_log_and_pending_ones_stay(db: str) -> None:
    user = make_user()
    days = get_settings().signal_events_retention_days
    delivered = _event(user, days + 1, relayed=True, delivery="succeeded")
    dead = _event(user, days + 5, relayed=True, delivery="dead")
    no_endpoint = _event(user, days + 1, relayed=True, delivery=None)
    pending = _event(user, days + 1, relayed=True, delivery="pending")
    unrelayed = _event(user, days + 1, relayed=False, delivery=None)
    recent = _event(user, days - 1, relayed=True, delivery="succeeded")

    report = prune_signal_events(get_settings(), NOW)

    assert report["deleted"] == 3
    assert _remaining() == {pending, unrelayed, recent}
    assert {delivered, dead, no_endpoint}.isdisjoint(_remaining())
    with unit_of_work() as session:  # the delivery log went with its events
        statuses = sorted(session.execute(text("SELECT status FROM webhook_deliveries")).scalars())
    assert statuses == ["pending", "succeeded"]
    assert prune_signal_events(get_settings(), NOW)["deleted"] == 0  # idempotent
