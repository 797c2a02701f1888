"""A receiver whose queue or secret store hangs (accepts connections, never answers) answers a
503 problem with ``Retry-After`` within its time budget, so the platform redelivers later."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from functions.webhook_meta.handler import handler as meta
from functions.webhook_tiktok.handler import handler as tiktok
from functions.webhook_x.handler import handler as x
from socialmetrics.config import get_settings
from tests.integration.webhooks.conftest import SECRETS, receive_all
from tests.integration.webhooks.test_receivers import (
    PAGE,
    TIKTOK,
    X_BODY,
    meta_header,
    tiktok_header,
    x_header,
)
from tests.support import FakeLambdaContext, HungServer, hang_aws_service, reset_process_state
from tests.unit.webhooks.shapes import http_event

CONTEXT: Any = FakeLambdaContext()


def _signed(provider: str) -> dict[str, Any]:
    if provider == "meta":
        header = {"x-hub-signature-256": meta_header(SECRETS["META_APP_SECRET"], PAGE)}
        return http_event("POST", "/webhooks/meta", body=PAGE, headers=header)
    if provider == "x":
        header = {"x-twitter-webhooks-signature": x_header(SECRETS["X_CONSUMER_SECRET"], X_BODY)}
        return http_event("POST", "/webhooks/x", body=X_BODY, headers=header)
    signed = tiktok_header(SECRETS["TIKTOK_CLIENT_SECRET"], TIKTOK, int(time.time()))
    return http_event("POST", "/webhooks/tiktok", body=TIKTOK, headers={"tiktok-signature": signed})


RECEIVERS = {"meta": meta, "x": x, "tiktok": tiktok}


def _assert_retry_later(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 503
    assert response["headers"]["content-type"] == "application/problem+json"
    assert int(response["headers"]["retry-after"]) >= 1
    problem = json.loads(response["body"])
    assert problem["status"] == 503
    assert {"type", "title", "detail", "instance"} <= problem.keys()


@pytest.mark.parametrize("provider", sorted(RECEIVERS))
def test_a_hung_events_queue_is_503_after_the_configured_attempts(
    provider: str,
    events_queue: str,
    hung_endpoint: HungServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hang_aws_service(monkeypatch, "SQS", hung_endpoint.url)
    _assert_retry_later(RECEIVERS[provider](_signed(provider), CONTEXT))
    assert hung_endpoint.connections == get_settings().aws_max_attempts
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS")
    reset_process_state()
    assert receive_all(events_queue) == []  # nothing was half-accepted


def test_a_hung_secret_store_is_503(
    events_queue: str, hung_endpoint: HungServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    hang_aws_service(monkeypatch, "SECRETS_MANAGER", hung_endpoint.url)
    _assert_retry_later(meta(_signed("meta"), CONTEXT))
    assert hung_endpoint.connections == get_settings().aws_max_attempts
