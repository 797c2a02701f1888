"""The locust load test runs against a local stack for a few seconds: every kind of request
is made, and none fails."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.identity.service import create_user_with_key
from socialmetrics.points import MetricPoint
from tests.factories import give_consent, make_account
from tests.load.__main__ import report, run

NAMES = {
    "login",
    "platforms",
    "metrics page",
    "metrics summary",
    "metrics csv",
    "register-token",
    "webhook meta",
    "webhook x",
}


@pytest.mark.slow
def test_locust_makes_every_request_without_a_failure(stack_url: str, tmp_path: Path) -> None:
    with unit_of_work() as session:
        user_id, api_key = create_user_with_key(session, "Load", "load@example.com", "client")
    give_consent(user_id)
    owner = make_account("Instagram", user_id)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with unit_of_work() as session:
        upsert_points(
            session,
            owner,
            [
                MetricPoint(metric, Decimal(hour), start + timedelta(hours=hour))
                for hour in range(240)
                for metric in ("impressions", "reach")
            ],
        )
    env = {**os.environ, "LOAD_API_KEY": api_key}
    code, rows = run(
        stack_url,
        users=3,
        spawn_rate=3,
        duration="10s",
        csv_prefix=tmp_path / "locust",
        env=env,
        timeout=120,
    )
    print(report(rows))
    by_name = {row.name: row for row in rows}
    total = by_name.pop("Aggregated")
    assert code == 0, report(rows)
    assert total.failures == 0
    assert total.requests > 0
    assert set(by_name) == NAMES
    assert all(row.requests > 0 for row in by_name.values())
