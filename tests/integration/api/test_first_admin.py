"""The first admin of a deployed stack: the migrate function (invoked with its real event)
creates it and writes its API key only to Secrets Manager; the operator reads the key over the
wire and logs in through the API."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlalchemy import func, select

from functions.migrate.handler import handler as migrate_handler
from infra import definition
from tests.integration.api.gateway import Api

EVENTS = Path(__file__).resolve().parents[3] / "events" / "migrate"


def _event(name: str, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    event.update(overrides)
    return event


@pytest.fixture
def admin_secret(
    api: Api, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Any]]:
    """A fresh stack-named secret holding the stack's placeholder, and an operator's own
    Secrets Manager client (a separate boto3 client: the key is read over the wire)."""
    from socialmetrics.config import get_settings

    secret_id = f"socialmetrics-test/admin-api-key-{secrets.token_hex(4)}"
    operator = boto3.client("secretsmanager", endpoint_url=aws_endpoint, region_name="us-east-1")
    operator.create_secret(Name=secret_id, SecretString=definition.ADMIN_KEY_PLACEHOLDER)
    monkeypatch.setenv("ADMIN_KEY_SECRET_ID", secret_id)
    get_settings.cache_clear()
    yield secret_id, operator
    operator.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)


def _stored(operator: Any, secret_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        operator.get_secret_value(SecretId=secret_id)["SecretString"]
    )
    return document


def _admins() -> int:
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.db.models import User

    with unit_of_work() as session:
        count: int = session.scalar(select(func.count()).where(User.role == "admin")) or 0
    return count


def test_admin_create_puts_the_key_only_in_the_secret_and_it_logs_in(
    api: Api,
    admin_secret: tuple[str, Any],
    lambda_context: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret_id, operator = admin_secret
    reply = migrate_handler(_event("admin_create.json"), lambda_context)

    stored = _stored(operator, secret_id)
    key = stored["api_key"]
    assert reply["ok"] is True
    assert reply["created"] is True
    assert reply["secret_id"] == secret_id
    assert reply["key_prefix"] == stored["key_prefix"]
    assert key.startswith(stored["key_prefix"] + "_")
    assert stored["user_id"] == reply["user_id"]
    assert key not in json.dumps(reply)
    logged = [(record.getMessage(), str(record.__dict__)) for record in caplog.records]
    assert "first admin" in [message for message, _ in logged]  # logged, without the key
    assert not [message for message, fields in logged if key in fields or key in message]

    token = api.login(key)
    me = api.call("GET", f"/users/{reply['user_id']}", token=token)
    assert me.status == 200, me
    assert (me.json()["role"], me.json()["email"]) == ("admin", "ops@example.com")
    created = api.call(
        "POST", "/users/", token=token, body={"name": "Ana", "email": "ana@example.com"}
    )
    assert created.status == 201, created


def test_a_second_admin_create_changes_nothing(
    api: Api, admin_secret: tuple[str, Any], lambda_context: Any
) -> None:
    secret_id, operator = admin_secret
    first = migrate_handler(_event("admin_create.json"), lambda_context)
    version = operator.describe_secret(SecretId=secret_id)["VersionIdsToStages"]
    again = migrate_handler(
        _event("admin_create.json", email="someone-else@example.com"), lambda_context
    )

    assert (again["created"], again["user_id"]) == (False, first["user_id"])
    assert again["key_prefix"] == first["key_prefix"]
    assert operator.describe_secret(SecretId=secret_id)["VersionIdsToStages"] == version
    assert _admins() == 1
    assert api.login(_stored(operator, secret_id)["api_key"])


def test_admin_rotate_replaces_the_key_and_revokes_the_old_one(
    api: Api, admin_secret: tuple[str, Any], lambda_context: Any
) -> None:
    secret_id, operator = admin_secret
    created = migrate_handler(_event("admin_create.json"), lambda_context)
    old_key = _stored(operator, secret_id)["api_key"]

    rotated = migrate_handler(_event("admin_rotate.json"), lambda_context)

    new = _stored(operator, secret_id)
    assert (rotated["rotated"], rotated["user_id"]) == (True, created["user_id"])
    assert rotated["key_prefix"] == new["key_prefix"] != created["key_prefix"]
    assert new["api_key"] != old_key
    assert new["api_key"] not in json.dumps(rotated)
    assert api.login(new["api_key"])
    refused = api.call("POST", "/auth/login", body={"api_key": old_key})
    assert refused.status == 401, refused
    assert _admins() == 1


def test_admin_create_without_a_stack_secret_creates_it(
    api: Api, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    from socialmetrics.config import get_settings

    secret_id = f"socialmetrics-test/local-admin-{secrets.token_hex(4)}"
    monkeypatch.setenv("ADMIN_KEY_SECRET_ID", secret_id)
    get_settings.cache_clear()
    reply = migrate_handler(_event("admin_create.json"), lambda_context)
    operator = boto3.client("secretsmanager", endpoint_url=aws_endpoint, region_name="us-east-1")
    try:
        assert reply["created"] is True
        assert api.login(_stored(operator, secret_id)["api_key"])
    finally:
        operator.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"action": "admin_create", "name": "Ops", "email": "not-an-email"}, "email"),
        ({"action": "admin_create", "email": "ops@example.com"}, "name is required"),
        ({"action": "admin_rotate"}, "holds no admin key"),
    ],
    ids=["bad-email", "no-name", "rotate-before-create"],
)
def test_bad_admin_requests_fail_with_a_reason_and_create_nothing(
    api: Api,
    admin_secret: tuple[str, Any],
    lambda_context: Any,
    event: dict[str, Any],
    message: str,
) -> None:
    from socialmetrics.identity.first_admin import AdminSetupError

    with pytest.raises(AdminSetupError, match=message):
        migrate_handler(event, lambda_context)
    assert _admins() == 0
    assert _stored(admin_secret[1], admin_secret[0]) == json.loads(definition.ADMIN_KEY_PLACEHOLDER)


def test_admin_create_refuses_an_email_that_belongs_to_a_client(
    api: Api, admin_secret: tuple[str, Any], lambda_context: Any
) -> None:
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.identity.first_admin import AdminSetupError
    from socialmetrics.identity.service import create_user_with_key

    with unit_of_work() as session:
        create_user_with_key(session, "Ops", "ops@example.com", "client")
    with pytest.raises(AdminSetupError, match="not an admin"):
        migrate_handler(_event("admin_create.json"), lambda_context)
    assert _admins() == 0
