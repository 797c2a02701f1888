"""The seed's four example exchanges, from the files in events/api, through the Mangum handler.

João is created by an admin whose id is outside the identity sequence, so he gets user id 1
exactly as in the seed, and every later exchange uses the seed's literal ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text

from functions.api.handler import handler as lambda_handler
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.identity.service import issue_api_key
from socialmetrics.points import MetricPoint
from tests.integration.api.gateway import Api, invoke, load_event


def _admin_outside_sequence() -> str:
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO users (id, name, email, role) "
                "VALUES (1000, 'Seed Admin', 'admin@exemplo.com', 'admin')"
            )
        )
        return issue_api_key(session, 1000).key.get_secret_value()


def test_the_seed_exchanges_reply_exactly_as_the_seed(api: Api) -> None:
    admin_jwt = api.login(_admin_outside_sequence())

    # Flow 3: POST /users/ (admin)
    created = invoke(api.handler, load_event("create_user.json", jwt=admin_jwt))
    assert created.status == 201, created
    body = created.json()
    api_key = body.pop("api_key")
    assert api_key.startswith("sm_test_")
    body.pop("warnings")  # the seed's body names no platform_id, so its token is not stored
    assert body == {"user_id": 1, "name": "João Silva", "email": "joao@exemplo.com"}

    login = invoke(api.handler, load_event("login.json", api_key=api_key))
    assert login.status == 200, login
    assert login.json()["token_type"] == "bearer"
    jwt = login.json()["access_token"]

    # Flow 5: POST /consent/
    consent = invoke(api.handler, load_event("consent.json", jwt=jwt))
    assert (consent.status, consent.json()) == (201, {"message": "Consent recorded"})

    # Flow 1: POST /users/register-token/
    registered = invoke(api.handler, load_event("register_token.json", jwt=jwt))
    assert (registered.status, registered.json()) == (
        201,
        {"message": "Token registered successfully"},
    )

    # Flow 2: GET /metrics/?user_id=1&platform=Instagram&start_date=…&end_date=…
    with unit_of_work() as session:
        account_id = session.execute(text("SELECT id FROM accounts")).scalar_one()
        upsert_points(
            session,
            Owner(user_id=1, platform_id=3, account_id=account_id),
            [
                MetricPoint("impressions", Decimal(1000), datetime(2025, 1, 2, 10, tzinfo=UTC)),
                MetricPoint("impressions", Decimal(5), datetime(2025, 5, 2, 0, tzinfo=UTC)),
            ],
        )
    metrics = invoke(api.handler, load_event("get_metrics.json", jwt=jwt))
    assert metrics.status == 200, metrics
    [row] = metrics.json()
    seed_shape = {
        k: row[k]
        for k in ("metric_id", "user_id", "platform_id", "metric_type", "value", "collected_at")
    }
    assert seed_shape == {
        "metric_id": 1,
        "user_id": 1,
        "platform_id": 3,
        "metric_type": "impressions",
        "value": 1000,
        "collected_at": "2025-01-02T10:00:00Z",
    }
    assert {"object_type", "object_id", "period", "source"} <= set(row)


def test_the_module_level_lambda_handler_answers_health(api: Api) -> None:
    reply = invoke(lambda_handler, load_event("health.json"))
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "database": "reachable"}
    assert reply.headers["x-request-id"] == "health-1"
