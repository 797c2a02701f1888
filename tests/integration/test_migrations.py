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
