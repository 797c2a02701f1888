"""Receivers over moto's SQS: signed deliveries are queued verbatim; anything else is refused
and leaves the queue empty. Signatures are computed here from the documented algorithms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from functions.webhook_meta.handler import handler as meta
from functions.webhook_tiktok.handler import handler as tiktok
from functions.webhook_x.handler import handler as x
from local.runtime.postgres import free_port
from socialmetrics.aws import client
from socialmetrics.config import get_settings
from tests.integration.webhooks.conftest import SECRETS, receive_all
from tests.support import FakeLambdaContext, reset_process_state
from tests.unit.webhooks.shapes import http_event

CONTEXT: Any = FakeLambdaContext()

PAGE = b'{"object":"page","entry":[{"id":"P1","time":1767225600,"changes":[]}],"t":"caf\\u00e9"}'
INSTAGRAM = b'{"object":"instagram","entry":[{"id":"IG1","time":1767225600,"changes":[]}]}'
X_BODY = b'{"for_user_id":"42","follow_events":[]}'
TIKTOK = (
    b'{"client_key":"ck","event":"authorization.removed","create_time":1767225600,'
    b'"user_openid":"O1","content":"{\\"reason\\":1}"}'
)


def meta_header(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def x_header(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def tiktok_header(secret: str, body: bytes, t: int) -> str:
    signed = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},s={signed}"


def _queued(url: str) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in receive_all(url)]


def _assert_refused(response: dict[str, Any], url: str, status: int = 401) -> None:
    assert response["statusCode"] == status
    assert response["headers"]["content-type"] == "application/problem+json"
    assert json.loads(response["body"])["status"] == status
    assert _queued(url) == []


def test_signed_meta_delivery_is_queued_verbatim(events_queue: str) -> None:
    event = http_event(
        "POST",
        "/webhooks/meta",
        body=PAGE,
        headers={
            "X-Hub-Signature-256": meta_header(SECRETS["META_APP_SECRET"], PAGE),
            "content-type": "application/json",
        },
    )
    response = meta(event, CONTEXT)
    assert response["statusCode"] == 200
    (message,) = _queued(events_queue)
    assert message["provider"] == "meta"
    assert message["body"].encode() == PAGE
    assert message["request_id"] == event["requestContext"]["requestId"]
    assert message["headers"]["content-type"] == "application/json"
    assert message["headers"]["x-signed-with"] == "meta_app_secret"
    assert "x-hub-signature-256" not in message["headers"]


def test_base64_bodies_from_api_gateway_are_verified_on_the_decoded_bytes(
    events_queue: str,
) -> None:
    event = http_event(
        "POST",
        "/webhooks/meta",
        body=PAGE,
        base64_body=True,
        headers={"x-hub-signature-256": meta_header(SECRETS["META_APP_SECRET"], PAGE)},
    )
    assert meta(event, CONTEXT)["statusCode"] == 200
    assert [m["body"].encode() for m in _queued(events_queue)] == [PAGE]


def test_instagram_login_deliveries_may_use_the_instagram_app_secret(events_queue: str) -> None:
    signed = meta_header(SECRETS["INSTAGRAM_APP_SECRET"], INSTAGRAM)
    event = http_event(
        "POST", "/webhooks/meta", body=INSTAGRAM, headers={"x-hub-signature-256": signed}
    )
    assert meta(event, CONTEXT)["statusCode"] == 200
    (message,) = _queued(events_queue)
    assert message["headers"]["x-signed-with"] == "instagram_app_secret"
    # …but a Page delivery signed with the Instagram secret is not Meta's.
    page = http_event(
        "POST",
        "/webhooks/meta",
        body=PAGE,
        headers={"x-hub-signature-256": meta_header(SECRETS["INSTAGRAM_APP_SECRET"], PAGE)},
    )
    _assert_refused(meta(page, CONTEXT), events_queue)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hub-signature-256": meta_header("not-the-app-secret", PAGE)},
        {"x-hub-signature-256": meta_header(SECRETS["META_APP_SECRET"], PAGE + b"\n")},
        {"x-hub-signature-256": "sha256=" + "0" * 64},
        {"x-hub-signature": "sha1=" + hmac.new(b"k", PAGE, hashlib.sha1).hexdigest()},
    ],
    ids=["missing", "wrong-secret", "other-body", "forged", "sha1-only"],
)
def test_meta_unsigned_or_forged_is_401_and_not_queued(
    events_queue: str, headers: dict[str, str]
) -> None:
    _assert_refused(
        meta(http_event("POST", "/webhooks/meta", body=PAGE, headers=headers), CONTEXT),
        events_queue,
    )


def test_signed_x_delivery_is_queued(events_queue: str) -> None:
    signed = x_header(SECRETS["X_CONSUMER_SECRET"], X_BODY)
    event = http_event(
        "POST", "/webhooks/x", body=X_BODY, headers={"x-twitter-webhooks-signature": signed}
    )
    assert x(event, CONTEXT)["statusCode"] == 200
    assert [(m["provider"], m["body"].encode()) for m in _queued(events_queue)] == [("x", X_BODY)]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-twitter-webhooks-signature": x_header("wrong", X_BODY)},
        {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(b"f" * 32).decode()},
    ],
    ids=["missing", "wrong-secret", "forged"],
)
def test_x_unsigned_or_forged_is_401_and_not_queued(
    events_queue: str, headers: dict[str, str]
) -> None:
    _assert_refused(
        x(http_event("POST", "/webhooks/x", body=X_BODY, headers=headers), CONTEXT), events_queue
    )


def test_x_crc_uses_the_consumer_secret(events_queue: str) -> None:
    response = x(http_event("GET", "/webhooks/x", query={"crc_token": "abc"}), CONTEXT)
    expected = x_header(SECRETS["X_CONSUMER_SECRET"], b"abc")
    assert json.loads(response["body"]) == {"response_token": expected}
    assert _queued(events_queue) == []


def test_signed_tiktok_delivery_is_queued(events_queue: str) -> None:
    t = int(time.time())
    header = tiktok_header(SECRETS["TIKTOK_CLIENT_SECRET"], TIKTOK, t)
    event = http_event(
        "POST", "/webhooks/tiktok", body=TIKTOK, headers={"TikTok-Signature": header}
    )
    assert tiktok(event, CONTEXT)["statusCode"] == 200
    (message,) = _queued(events_queue)
    assert (message["provider"], message["body"].encode()) == ("tiktok", TIKTOK)
    assert message["headers"]["x-signed-at"] == str(t)


@pytest.mark.parametrize(
    "header",
    [
        None,
        tiktok_header(SECRETS["TIKTOK_CLIENT_SECRET"], TIKTOK, int(time.time()) - 3600),
        tiktok_header("wrong-secret", TIKTOK, int(time.time())),
        "t=1767225600,s=" + "ab" * 32,
    ],
    ids=["missing", "stale", "wrong-secret", "forged"],
)
def test_tiktok_unsigned_stale_or_forged_is_401_and_not_queued(
    events_queue: str, header: str | None
) -> None:
    headers = {"tiktok-signature": header} if header else {}
    event = http_event("POST", "/webhooks/tiktok", body=TIKTOK, headers=headers)
    _assert_refused(tiktok(event, CONTEXT), events_queue)


@pytest.fixture
def queue_down(events_queue: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    reset_process_state()
    yield
    monkeypatch.undo()
    reset_process_state()


def test_queue_unavailable_is_503_so_the_platform_retries(queue_down: None) -> None:
    signed = x_header(SECRETS["X_CONSUMER_SECRET"], X_BODY)
    event = http_event(
        "POST", "/webhooks/x", body=X_BODY, headers={"x-twitter-webhooks-signature": signed}
    )
    response = x(event, CONTEXT)
    assert response["statusCode"] == 503
    assert response["headers"]["content-type"] == "application/problem+json"


@pytest.fixture
def secrets_in_secrets_manager(events_queue: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    sm = client("secretsmanager")
    secret_id = get_settings().app_secret_id
    original = sm.get_secret_value(SecretId=secret_id)["SecretString"]
    stored = {**json.loads(original), "meta_app_secret": "from-secrets-manager"}
    sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps(stored))
    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    reset_process_state()
    yield "from-secrets-manager"
    sm.put_secret_value(SecretId=secret_id, SecretString=original)
    monkeypatch.undo()
    reset_process_state()


def test_secrets_come_from_secrets_manager_when_configured(
    secrets_in_secrets_manager: str, events_queue: str
) -> None:
    good = meta_header(secrets_in_secrets_manager, PAGE)
    event = http_event("POST", "/webhooks/meta", body=PAGE, headers={"x-hub-signature-256": good})
    assert meta(event, CONTEXT)["statusCode"] == 200
    env_signed = meta_header(SECRETS["META_APP_SECRET"], PAGE)
    stale = http_event(
        "POST", "/webhooks/meta", body=PAGE, headers={"x-hub-signature-256": env_signed}
    )
    assert meta(stale, CONTEXT)["statusCode"] == 401
    assert len(_queued(events_queue)) == 1
