"""The throwaway-cluster path: with no server configured, one is started, used and stopped."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from local.runtime import postgres
from socialmetrics.config import load_settings
from socialmetrics.db import migrate
from socialmetrics.db.engine import build_engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_throwaway_cluster_starts_migrates_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under the project's .local/ (not /tmp/pytest-of-root, which the postgres user cannot read).
    base = ROOT / ".local" / f"throwaway-{secrets.token_hex(3)}"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with postgres.server(base, allow_default=False) as url:
        assert url.port != 5432
        postgres.wait_ready(url)
        db_url = postgres.create_database(url, "throwaway_check")
        monkeypatch.setenv("DATABASE_URL", db_url.render_as_string(hide_password=False))
        engine = build_engine(load_settings())
        try:
            migrate.upgrade(engine=engine)
            assert migrate.current(engine) is not None
        finally:
            engine.dispose()
        port = url.port
    assert port is not None
    assert not postgres.port_open("127.0.0.1", port)
    shutil.rmtree(base, ignore_errors=True)
