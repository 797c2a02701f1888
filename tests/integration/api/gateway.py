"""Push API Gateway HTTP API v2 events through the real Mangum handler."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mangum import Mangum

EVENTS = Path(__file__).resolve().parents[3] / "events" / "api"


class Context:
    function_name = "socialmetrics-api"
    memory_limit_in_mb = 1024
    aws_request_id = "lambda-request"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:socialmetrics-api"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status = int(raw["statusCode"])
        self.headers = {k.lower(): v for k, v in (raw.get("headers") or {}).items()}
        body = raw.get("body") or ""
        self.text = base64.b64decode(body).decode() if raw.get("isBase64Encoded") else body

    def json(self) -> Any:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.text[:300]}>"


def load_event(name: str, **placeholders: str) -> dict[str, Any]:
    text = (EVENTS / name).read_text()
    for key, value in placeholders.items():
        text = text.replace("{{" + key + "}}", value)
    event: dict[str, Any] = json.loads(text)
    if "jwt" not in placeholders:
        event["headers"].pop("authorization", None)
    return event


def make_event(
    method: str,
    path: str,
    *,
    query: str = "",
    body: Any = None,
    raw_body: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    source_ip: str = "198.51.100.7",
) -> dict[str, Any]:
    all_headers = {"host": "api.example.com", "user-agent": "pytest"}
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    if text is not None:
        all_headers["content-type"] = "application/json"
    all_headers.update(headers or {})
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "pytest",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }
    if text is not None:
        event["body"] = text
    return event


def invoke(handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]) -> Reply:
    """Call a Lambda entry point (the module's ``handler`` or a bare Mangum adapter)."""
    return Reply(handler(event, Context()))


class Api:
    """A tiny client: every call is an API Gateway v2 event through the Mangum handler."""

    def __init__(self, handler: Mangum) -> None:
        self.handler = handler

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        return invoke(self.handler, make_event(method, path, **kwargs))

    def login(self, api_key: str, source_ip: str = "198.51.100.7") -> str:
        reply = self.call("POST", "/auth/login", body={"api_key": api_key}, source_ip=source_ip)
        assert reply.status == 200, reply
        token: str = reply.json()["access_token"]
        return token
