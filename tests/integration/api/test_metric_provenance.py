"""Every metric row says which provider name and API version it came from, so a series that
crossed a deprecation (Instagram ``impressions`` → ``views``) shows the switch."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import upsert_points
from socialmetrics.points import MetricPoint
from tests.factories import make_account
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def test_one_series_shows_the_raw_name_switch_in_json_and_csv(api: Api, client: Person) -> None:
    owner = make_account(platform="Instagram", user_id=client.user_id)
    points = [
        MetricPoint(
            "views",
            Decimal(100),
            datetime(2025, 4, 20, tzinfo=UTC),
            period="day",
            raw_name="impressions",
            api_version="v21.0",
        ),
        MetricPoint(
            "views",
            Decimal(120),
            datetime(2025, 4, 21, tzinfo=UTC),
            period="day",
            raw_name="views",
            api_version="v22.0",
        ),
    ]
    with unit_of_work() as session:
        upsert_points(session, owner, points)
    query = f"user_id={client.user_id}&metric_type=views&start_date=2025-04-20&end_date=2025-04-21"
    rows = api.call("GET", "/metrics/", query=query, token=client.token).json()
    assert [(r["raw_name"], r["api_version"], r["value"]) for r in rows] == [
        ("views", "v22.0", 120),
        ("impressions", "v21.0", 100),
    ]
    exported = api.call(
        "GET", "/metrics/", query=query, token=client.token, headers={"accept": "text/csv"}
    )
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["raw_name"], r["api_version"]) for r in table] == [
        ("views", "v22.0"),
        ("impressions", "v21.0"),
    ]
