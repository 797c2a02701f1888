"""Operator scripts and maintenance steps against real Postgres."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from local.runtime import postgres
from scripts import backup_db, restore_db
from socialmetrics.config import get_settings, load_settings
from socialmetrics.db.engine import build_engine, unit_of_work
from socialmetrics.db.metrics import Owner, ensure_partitions, list_partitions, upsert_points
from socialmetrics.maintenance import steps
from socialmetrics.points import MetricPoint
from tests.factories import make_account

NOW = datetime(2026, 11, 28, 3, 15, tzinfo=UTC)


@pytest.fixture
def owner(db: str) -> Owner:
    return make_account(platform="X")


def test_backup_and_restore_round_trip(
    owner: Owner, tmp_path: Path, pg_server: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work() as session:
        upsert_points(session, owner, [MetricPoint("followers", Decimal(77), NOW)])
    dump = tmp_path / "backup.dump"
    assert backup_db.main(["--out", str(dump)]) == 0
    assert dump.stat().st_size > 0
    name = f"socialmetrics_restore_{secrets.token_hex(3)}"
    target = postgres.create_database(pg_server, name)
    try:
        monkeypatch.setenv("DATABASE_URL", target.render_as_string(hide_password=False))
        get_settings.cache_clear()
        assert restore_db.main([str(dump)]) == 0
        engine = build_engine(load_settings())
        with engine.connect() as connection:
            value = connection.execute(text("SELECT value FROM metrics")).scalar_one()
        engine.dispose()
        assert value == Decimal(77)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        postgres.drop_database(pg_server, name)


def test_partition_step_creates_months_ahead_and_is_idempotent(db: str) -> None:
    settings = get_settings()
    first = steps.create_partitions(settings, NOW)
    again = steps.create_partitions(settings, NOW)
    assert first == again
    assert "metrics_y2027m02" in first["partitions"]
    assert len(first["partitions"]) == settings.partitions_ahead_months + 2


def test_expired_months_are_dropped(owner: Owner) -> None:
    with unit_of_work() as session:
        ensure_partitions(session, date(2023, 1, 1), 1)
        upsert_points(
            session, owner, [MetricPoint("followers", Decimal(1), datetime(2023, 1, 5, tzinfo=UTC))]
        )
    report = steps.drop_expired_metrics(get_settings(), NOW)
    assert "metrics_y2023m01" in report["dropped"]
    with unit_of_work() as session:
        assert "metrics_y2023m01" not in {name for name, _ in list_partitions(session)}
    assert steps.drop_expired_metrics(get_settings(), NOW)["dropped"] == []


def test_ledger_and_audit_pruning_keep_recent_rows(db: str) -> None:
    settings = get_settings()
    old = NOW - timedelta(days=settings.audit_log_retention_days + 1)
    with unit_of_work() as session:
        for moment, key in ((old, "old"), (NOW, "new")):
            session.execute(
                text(
                    "INSERT INTO webhook_events (provider, event_key, event_type, received_at)"
                    " VALUES ('meta', :k, 'messages', :t)"
                ),
                {"k": key, "t": moment},
            )
            session.execute(
                text(
                    "INSERT INTO audit_log (action, subject_type, occurred_at)"
                    " VALUES ('token.decrypt', 'account', :t)"
                ),
                {"t": moment},
            )
    assert steps.prune_webhook_events(settings, NOW)["deleted"] == 1
    assert steps.prune_audit_log(settings, NOW)["deleted"] == 1
    assert steps.prune_webhook_events(settings, NOW)["deleted"] == 0
    with unit_of_work() as session:
        keys = session.execute(text("SELECT event_key FROM webhook_events")).scalars().all()
    assert keys == ["new"]


def test_a_failing_step_does_not_stop_the_others(db: str) -> None:
    def broken(_settings: object, _now: datetime) -> dict[str, object]:
        raise RuntimeError("boom")

    reports = steps.run_steps(
        get_settings(),
        NOW,
        [("broken", broken), ("partitions", steps.create_partitions)],
    )
    assert [(r.name, r.ok) for r in reports] == [("broken", False), ("partitions", True)]
    assert reports[0].detail == {"error": "RuntimeError"}


def test_pending_erasures_are_finished(db: str) -> None:
    from tests.factories import give_consent, make_user

    owner = make_account(platform="TikTok")
    give_consent(owner.user_id)
    kept = make_user("Kept")
    with unit_of_work() as session:
        upsert_points(session, owner, [MetricPoint("followers", Decimal(5), NOW)])
        session.execute(
            text("UPDATE users SET erasure_requested_at = now() WHERE id = :u"),
            {"u": owner.user_id},
        )
    report = steps.finish_pending_erasures(get_settings(), NOW)
    assert report == {"erased": [owner.user_id]}
    with unit_of_work() as session:
        user = session.execute(
            text("SELECT name, email, erased_at FROM users WHERE id = :u"), {"u": owner.user_id}
        ).one()
        assert user.erased_at is not None
        assert user.name == "erased"
        assert session.execute(text("SELECT count(*) FROM metrics")).scalar_one() == 0
        assert session.execute(text("SELECT count(*) FROM accounts")).scalar_one() == 0
        other = session.execute(
            text("SELECT erased_at FROM users WHERE id = :u"), {"u": kept}
        ).scalar_one()
        assert other is None
        roles = (
            session.execute(text("SELECT actor_role FROM audit_log WHERE action = 'user.erase'"))
            .scalars()
            .all()
        )
    assert roles == ["system"]
    assert steps.finish_pending_erasures(get_settings(), NOW) == {"erased": []}


def test_populate_writes_history_once(db: str, aws_resources: object) -> None:
    from scripts.populate_db import populate

    first = populate(users=2, days=10, seed=3)
    assert first["users_created"] == 2
    assert first["points_written"] == 2 * 10 * 26
    again = populate(users=2, days=10, seed=3)
    assert again == {"users_created": 0, "points_written": 0}
    with unit_of_work() as session:
        consents = session.execute(text("SELECT count(*) FROM consents")).scalar_one()
        accounts = session.execute(text("SELECT count(*) FROM accounts")).scalar_one()
    assert consents == 0  # never collected by the scheduler
    assert accounts == 10
