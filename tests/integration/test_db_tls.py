"""With TLS required, a server that does not speak TLS is refused: no plaintext fallback."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from socialmetrics.config import load_settings
from socialmetrics.db.engine import build_engine


def test_required_tls_never_falls_back_to_plaintext(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = build_engine(load_settings())
    with engine.connect() as connection:
        server_ssl = connection.execute(text("SHOW ssl")).scalar_one()
    engine.dispose()
    monkeypatch.setenv("DB_SSL_MODE", "require")
    engine = build_engine(load_settings())
    try:
        if server_ssl == "on":
            with engine.connect() as connection:
                encrypted = connection.execute(
                    text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                ).scalar_one()
            assert encrypted is True
        else:
            with pytest.raises(DBAPIError), engine.connect():
                pass
    finally:
        engine.dispose()
