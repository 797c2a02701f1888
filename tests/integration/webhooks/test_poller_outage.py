"""A poller survives a database outage: webhooks accepted while the database is unreachable
are ingested once it is back, by the same poller threads (real receivers, moto's SQS, the real
ingest handler, Postgres)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from local.runtime import pollers
from local.runtime.postgres import free_port
from socialmetrics.db.engine import unit_of_work
from tests.integration.webhooks.test_ingest import (
    account,
    message_row,
    post_meta,
    queue,
    status,
    whatsapp,
)
from tests.support import reset_process_state

__all__ = ["queue"]  # the fixture


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_backoff_is_exponential_and_bounded() -> None:
    delays = [pollers.backoff_seconds(n) for n in range(1, 12)]
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(delays) == pollers.BACKOFF_MAX_SECONDS
    assert pollers.backoff_seconds(10_000) == pollers.BACKOFF_MAX_SECONDS


def test_webhooks_accepted_during_a_database_outage_are_ingested_after_it(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = account("WhatsApp", "PN1")
    reported_during_outage = threading.Event()

    def progress(batch: pollers.BatchResult) -> None:
        """Like ``make run``'s progress line: it reads the database after every batch."""
        try:
            with unit_of_work() as session:
                session.execute(text("SELECT count(*) FROM metrics")).scalar_one()
        finally:
            if batch.failed:
                reported_during_outage.set()

    real_url = os.environ["DATABASE_URL"]
    runner = pollers.QueuePollers(
        ["events"], wait_seconds=1, on_batch=progress, retry_after_seconds=2
    )
    with runner:
        monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/x")
        monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
        reset_process_state()
        try:
            post_meta(whatsapp(status("wamid.outage", "read")))  # 200: queued, no database
            assert reported_during_outage.wait(30), "never tried during the outage"
        finally:
            monkeypatch.setenv("DATABASE_URL", real_url)
            monkeypatch.delenv("DB_CONNECT_TIMEOUT_SECONDS")
            reset_process_state()

        def ingested() -> bool:
            try:
                return bool(message_row("wamid.outage").status == "read")
            except Exception:  # no row yet
                return False

        assert wait_for(ingested), "the webhook was not ingested after the outage"
        assert runner.running  # the same threads: no restart
    assert not runner.running
    with unit_of_work() as session:
        counted = session.execute(
            text(
                "SELECT value FROM metrics WHERE account_id = :a AND metric_type = 'messages_read'"
            ),
            {"a": owner.account_id},
        ).scalar_one()
    assert counted == 1
