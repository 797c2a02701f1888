"""Migrations run up, down and up again on an empty database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine

from local.runtime import postgres
from socialmetrics.config import load_settings
from socialmetrics.db import migrate
from socialmetrics.db.engine import build_engine

EXPECTED_TABLES = {
    "platforms",
    "users",
    "api_keys",
    "accounts",
    "metrics",
    "consents",
    "audit_log",
    "webhook_events",
    "webhook_rejections",
    "message_statuses",
    "login_failures",
    "collection_runs",
}


@pytest.fixture
def empty_engine(pg_server: URL, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    name = f"socialmetrics_mig_{secrets.token_hex(4)}"
    url = postgres.create_database(pg_server, name)
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    engine = build_engine(load_settings())
    try:
        yield engine
    finally:
        engine.dispose()
        postgres.drop_database(pg_server, name)


def test_upgrade_downgrade_upgrade_round_trip(empty_engine: Engine) -> None:
    migrate.upgrade(engine=empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= EXPECTED_TABLES
    migrate.downgrade("base", engine=empty_engine)
    assert not EXPECTED_TABLES & set(inspect(empty_engine).get_table_names())
    migrate.upgrade(engine=empty_engine)
    assert migrate.current(empty_engine) is not None
    with empty_engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM platforms ORDER BY id")).scalars().all()
    assert names == ["X", "Facebook", "Instagram", "WhatsApp", "TikTok"]


def test_metrics_is_partitioned_by_month_with_a_default(empty_engine: Engine) -> None:
    migrate.upgrade(engine=empty_engine)
    with empty_engine.connect() as connection:
        strategy = connection.execute(
            text("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'metrics'::regclass")
        ).scalar_one()
        children = connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'metrics'::regclass"
            )
        ).scalars()
        names = set(children)
    assert strategy == "r"
    assert "metrics_default" in names
    assert len([n for n in names if n.startswith("metrics_y")]) >= 4


def test_upgrade_to_metric_series_keeps_every_row_and_adds_the_series_indexes(
    empty_engine: Engine,
) -> None:
    migrate.upgrade("0001", engine=empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO users (name, email) VALUES ('Ana', 'a@e.x')"))
        connection.execute(
            text(
                "INSERT INTO accounts (user_id, platform_id, platform_user_id, access_token_ct, "
                "wrapped_key, key_id) SELECT u.id, 3, 'ig-' || k, '\\x00', '\\x00', 't' "
                "FROM users u, generate_series(1, 2) k"
            )
        )
        connection.execute(
            text(
                "INSERT INTO metrics (user_id, platform_id, account_id, metric_type, value, "
                "collected_at, period) SELECT a.user_id, 3, a.id, 'followers', g, "
                "now() - g * interval '9 days', 'snapshot' "
                "FROM accounts a, generate_series(0, 99) g"
            )
        )
    snapshot = text(
        "SELECT count(*), sum(value), sum(account_id), min(collected_at), max(id) FROM metrics"
    )
    with empty_engine.connect() as connection:
        before = connection.execute(snapshot).one()
    migrate.upgrade("metric_series", engine=empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(snapshot).one() == before
        assert before[0] == 200
        names = set(
            connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'metrics'"))
            .scalars()
            .all()
        )
        # every partition (the default one too) got its own copy of each new index
        per_partition = connection.execute(
            text(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent IN ('metrics_user_time_idx'::regclass, "
                "'metrics_account_time_idx'::regclass)"
            )
        ).scalar_one()
        partitions = connection.execute(
            text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'metrics'::regclass")
        ).scalar_one()
    assert {"metrics_user_time_idx", "metrics_account_time_idx"} <= names
    assert per_partition == 2 * partitions
    migrate.downgrade("0001", engine=empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(snapshot).one() == before
        left = connection.execute(
            text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'metrics_%_time_idx'")
        ).scalar_one()
    assert left == 1  # only 0001's metrics_user_platform_time_idx
