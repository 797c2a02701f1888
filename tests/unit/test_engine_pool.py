"""The engine's pool: one kept connection per container behind RDS Proxy, no ping per
checkout (a dropped connection is handled by one retry instead, see db/engine.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.pool import QueuePool

from socialmetrics.config import load_settings
from socialmetrics.db.engine import build_engine


def test_deployed_settings_keep_one_connection_without_a_ping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DB_NULL_POOL", "true")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "2")
    engine = build_engine(load_settings())
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 1  # kept between invocations
    assert pool._max_overflow == 2  # a burst's extra connections close on return
    assert pool._pre_ping is False
    engine.dispose()


def test_the_local_pool_keeps_its_configured_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_NULL_POOL", "false")
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    engine = build_engine(load_settings())
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    assert engine.pool._pre_ping is False
    engine.dispose()
