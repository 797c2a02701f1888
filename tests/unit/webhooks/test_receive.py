"""Receiver paths that never reach the queue: subscription checks, CRC, rejects, limits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.webhook_meta.handler import handler as meta
from functions.webhook_tiktok.handler import handler as tiktok
from functions.webhook_x.handler import handler as x
from socialmetrics.config import get_settings
from tests.support import FakeLambdaContext
from tests.unit.webhooks.shapes import http_event

CONTEXT: Any = FakeLambdaContext()

META_SECRET, X_SECRET, VERIFY = "meta-unit-secret", "x-unit-secret", "verify-me"


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("META_APP_SECRET", META_SECRET)
    monkeypatch.setenv("META_VERIFY_TOKEN", VERIFY)
    monkeypatch.setenv("X_CONSUMER_SECRET", X_SECRET)
    monkeypatch.setenv("WEBHOOK_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("SECRETS_SOURCE", "env")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _problem(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status
    assert response["headers"]["content-type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response["body"])
    assert body["status"] == status
    return body


def test_meta_subscription_check_echoes_the_challenge() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    response = meta(http_event("GET", "/webhooks/meta", query=query), CONTEXT)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "text/plain"
    assert response["body"] == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {},
    ],
)
def test_meta_subscription_check_refuses_a_wrong_token(query: dict[str, str]) -> None:
    response = meta(http_event("GET", "/webhooks/meta", query=query), CONTEXT)
    assert response["body"] != "1"
    _problem(response, 403)


def test_meta_subscription_without_challenge_is_a_bad_request() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY}
    _problem(meta(http_event("GET", "/webhooks/meta", query=query), CONTEXT), 400)


def test_x_crc_response_is_exact() -> None:
    token = "crc-token-ÿ-42"
    response = x(http_event("GET", "/webhooks/x", query={"crc_token": token}), CONTEXT)
    digest = hmac.new(X_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    assert json.loads(response["body"]) == {
        "response_token": "sha256=" + base64.b64encode(digest).decode()
    }


def test_x_crc_without_token_is_a_bad_request() -> None:
    _problem(x(http_event("GET", "/webhooks/x"), CONTEXT), 400)


def test_unsupported_methods_are_405_with_allow() -> None:
    response = tiktok(http_event("GET", "/webhooks/tiktok"), CONTEXT)
    _problem(response, 405)
    assert response["headers"]["allow"] == "POST"
    assert meta(http_event("PUT", "/webhooks/meta", body=b"{}"), CONTEXT)["statusCode"] == 405
    assert x(http_event("DELETE", "/webhooks/x"), CONTEXT)["statusCode"] == 405


def test_oversized_bodies_are_413() -> None:
    body = b'{"object":"page","entry":[]}' + b" " * 3000
    _problem(meta(http_event("POST", "/webhooks/meta", body=body), CONTEXT), 413)
    encoded = http_event("POST", "/webhooks/meta", body=body, base64_body=True)
    del encoded["headers"]["content-length"]
    _problem(meta(encoded, CONTEXT), 413)
    plain = http_event("POST", "/webhooks/x", body=body)
    del plain["headers"]["content-length"]
    _problem(x(plain, CONTEXT), 413)


def test_invalid_base64_is_a_bad_request() -> None:
    event = http_event("POST", "/webhooks/meta", body=b"{}")
    event.update(body="***not base64***", isBase64Encoded=True)
    _problem(meta(event, CONTEXT), 400)


def test_unsigned_post_is_401_with_a_problem_and_request_id() -> None:
    event = http_event("POST", "/webhooks/meta", body=b'{"object":"page","entry":[]}')
    body = _problem(meta(event, CONTEXT), 401)
    assert body["instance"] == "/webhooks/meta"
    assert body["request_id"] == event["requestContext"]["requestId"]
    assert "X-Hub-Signature-256" in body["detail"]


# What a receiver's process never loads, even after answering requests: the API framework,
# the database layer and its driver, pydantic (settings come from the light reader), the
# platform HTTP client and the X-Ray SDK.
NEVER_LOADED = (
    "fastapi",
    "starlette",
    "mangum",
    "sqlalchemy",
    "pg8000",
    "socialmetrics.db",
    "socialmetrics.config",
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    "httpx",
    "aws_xray_sdk",
)
_CHILD = """
import json, sys
import functions.webhook_meta.handler, functions.webhook_x.handler
import functions.webhook_tiktok.handler
from functions.webhook_x.handler import handler as x
from functions.webhook_meta.handler import handler as meta
from tests.support import FakeLambdaContext
from tests.unit.webhooks.shapes import http_event

crc = x(http_event("GET", "/webhooks/x", query={"crc_token": "t"}), FakeLambdaContext())
unsigned = meta(http_event("POST", "/webhooks/meta", body=b"{}"), FakeLambdaContext())
never = %r
loaded = sorted(m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in never))
print(json.dumps({"crc": crc["statusCode"], "unsigned": unsigned["statusCode"], "loaded": loaded}))
"""


def test_receivers_answer_without_loading_the_heavy_libraries() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "POWERTOOLS_TRACE_DISABLED")  # tracing off: not in Lambda
    }
    env.update(SECRETS_SOURCE="env", X_CONSUMER_SECRET=X_SECRET, META_APP_SECRET=META_SECRET)
    result = subprocess.run(
        [sys.executable, "-c", _CHILD % (NEVER_LOADED,)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["crc"], report["unsigned"]) == (200, 401)
    assert report["loaded"] == []
