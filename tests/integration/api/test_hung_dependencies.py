"""A hung AWS endpoint (accepts connections, never answers) costs the API one time budget and
answers a 503 problem with ``Retry-After`` — never a 500, never API Gateway's bare timeout."""

from __future__ import annotations

import pytest

from socialmetrics.config import get_settings
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api, Reply
from tests.support import HungServer, hang_aws_service

PROBLEM = "application/problem+json"


def _assert_dependency_problem(reply: Reply) -> None:
    assert reply.status == 503, reply
    assert reply.headers["content-type"].startswith(PROBLEM)
    assert int(reply.headers["retry-after"]) >= 1
    body = reply.json()
    assert body["status"] == 503
    assert body["type"].endswith("/dependency-unavailable")
    assert {"title", "detail", "instance"} <= body.keys()


def test_register_token_with_a_hung_kms_answers_503_after_the_configured_attempts(
    api: Api, client: Person, hung_endpoint: HungServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hang_aws_service(monkeypatch, "KMS", hung_endpoint.url)
    reply = api.call(
        "POST",
        "/users/register-token",
        token=client.token,
        body={"platform_user_id": "ig-1", "access_token": "act.secret-1", "platform_id": 3},
    )
    _assert_dependency_problem(reply)
    assert hung_endpoint.connections == get_settings().aws_max_attempts
    listed = api.call("GET", f"/users/{client.user_id}/tokens", token=client.token)
    assert listed.status == 200
    assert listed.json() == []  # nothing half-registered


def test_collect_now_with_a_hung_queue_answers_503_with_retry_after(
    api: Api,
    admin: Person,
    client: Person,
    hung_endpoint: HungServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered = api.call(
        "POST",
        "/users/register-token",
        token=client.token,
        body={"platform_user_id": "ig-2", "access_token": "act.secret-2", "platform_id": 3},
    )
    assert registered.status == 201, registered
    tokens = api.call("GET", f"/users/{client.user_id}/tokens", token=client.token).json()
    account_id = tokens[0]["account_id"]
    hang_aws_service(monkeypatch, "SQS", hung_endpoint.url)
    reply = api.call("POST", f"/accounts/{account_id}/collect", token=admin.token)
    assert reply.status == 503, reply
    assert reply.headers["content-type"].startswith(PROBLEM)
    assert int(reply.headers["retry-after"]) >= 1
    assert hung_endpoint.connections >= 1
