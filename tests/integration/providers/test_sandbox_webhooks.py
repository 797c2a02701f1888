"""Webhook deliveries signed like the platforms sign them, posted over loopback HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from local.sandbox import webhooks
from local.sandbox.server import base_url_env

SECRET = "app-secret-for-tests"


def test_meta_delivery_is_signed_over_the_exact_raw_body(sandbox: httpx.Client) -> None:
    payload = webhooks.whatsapp_status_payload("WABA1", "wamid.1", "failed", 1767225600)
    delivery = webhooks.meta_delivery(payload, SECRET)
    url = f"{sandbox.base_url}/_sandbox/inbox"
    assert webhooks.deliver(url, delivery).status_code == 200

    received = sandbox.get("/_sandbox/inbox").json()["deliveries"][-1]
    body = received["body"].encode()
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert received["headers"]["x-hub-signature-256"] == expected
    status = json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert status["errors"][0]["code"] == 131026


def test_x_delivery_and_crc_use_base64_hmac_of_the_consumer_secret() -> None:
    delivery = webhooks.x_delivery({"for_user_id": "1", "favorite_events": []}, SECRET)
    digest = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).digest()
    assert delivery.headers["x-twitter-webhooks-signature"] == (
        "sha256=" + base64.b64encode(digest).decode()
    )
    crc = webhooks.x_crc_response("challenge", SECRET)
    token = hmac.new(SECRET.encode(), b"challenge", hashlib.sha256).digest()
    assert crc == {"response_token": "sha256=" + base64.b64encode(token).decode()}


def test_tiktok_signature_covers_timestamp_dot_body() -> None:
    delivery = webhooks.tiktok_delivery({"event": "authorization.removed"}, SECRET, 1767225600)
    t, s = (part.split("=", 1)[1] for part in delivery.headers["TikTok-Signature"].split(","))
    signed = f"{t}.".encode() + delivery.body
    assert t == "1767225600"
    assert s == hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()


def test_base_url_env_points_every_platform_at_the_sandbox() -> None:
    env = base_url_env("http://127.0.0.1:9999/", graph_api_version="v25.0")
    assert env["X_API_BASE_URL"] == "http://127.0.0.1:9999/x"
    assert env["GRAPH_API_BASE_URL"] == "http://127.0.0.1:9999/graph"
    assert env["INSTAGRAM_GRAPH_BASE_URL"] == "http://127.0.0.1:9999/instagram"
    assert env["TIKTOK_API_BASE_URL"] == "http://127.0.0.1:9999/tiktok"
    assert env["GRAPH_API_VERSION"] == "v25.0"


def test_control_api_rejects_unknown_platforms_and_reports_state(sandbox: httpx.Client) -> None:
    assert sandbox.post("/_sandbox/accounts", json={"platform": "MySpace"}).status_code == 422
    state = sandbox.get("/_sandbox/state").json()
    assert state["seed"] == 7
    assert {"accounts", "windows", "faults", "requests"} <= set(state)
