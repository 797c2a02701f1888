"""The local gateway serves HTTP on loopback and calls handlers with API Gateway v2 events."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from infra import definition
from local.runtime.gateway import Gateway, build_event, encode_body
from local.runtime.postgres import free_port

H = "tests.integration.runtime.handlers"


def _fn(name: str, memory: int = 256) -> definition.Function:
    return definition.Function(key=name, handler=f"{H}.{name}", description=name, memory_mb=memory)


ROUTES = (
    (definition.Route("GET", "/webhooks/meta"), _fn("echo", 128)),
    (definition.Route("GET", "/binary"), _fn("binary")),
    (definition.Route("GET", "/plain"), _fn("plain")),
    (definition.Route("GET", "/crash"), _fn("crash")),
    (definition.Route("GET", "/async"), _fn("needs_event_loop")),
    (definition.Route("ANY", "/{proxy+}"), _fn("record")),
)


def _serve(app: Gateway) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    yield from _serve(Gateway(ROUTES))


@pytest.fixture(scope="module")
def always_base64_url() -> Iterator[str]:
    yield from _serve(Gateway(ROUTES, body_encoding="always"))


def _echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    seen: dict[str, Any] = response.json()
    return seen


def test_request_becomes_a_payload_2_0_event(gateway_url: str) -> None:
    response = httpx.get(
        f"{gateway_url}/webhooks/meta?hub.mode=subscribe&tag=a&tag=b",
        headers={"X-Custom-Header": "Value", "Cookie": "a=1; b=2", "User-Agent": "tester/1"},
    )
    event = _echoed(response)["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /webhooks/meta"
    assert event["rawPath"] == "/webhooks/meta"
    assert event["rawQueryString"] == "hub.mode=subscribe&tag=a&tag=b"
    assert event["queryStringParameters"] == {"hub.mode": "subscribe", "tag": "a,b"}
    assert event["headers"]["x-custom-header"] == "Value"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/webhooks/meta",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tester/1",
    }
    assert context["stage"] == "$default"
    assert context["routeKey"] == "GET /webhooks/meta"
    assert isinstance(context["timeEpoch"], int)
    assert response.headers["apigw-requestid"] == context["requestId"]


def test_handler_gets_a_lambda_context(gateway_url: str) -> None:
    seen = _echoed(httpx.get(f"{gateway_url}/webhooks/meta"))
    context = seen["context"]
    assert context["function_name"] == "socialmetrics-echo"
    assert context["memory_limit_in_mb"] == 128
    assert context["aws_request_id"] == seen["event"]["requestContext"]["requestId"]
    assert 0 < context["remaining_ms"] <= 30_000


def test_v2_response_maps_status_headers_and_cookies(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/webhooks/meta")
    assert response.status_code == 201
    assert response.headers["x-handler"] == "echo"
    assert response.headers.get_list("set-cookie") == [
        "session=abc; Path=/; HttpOnly",
        "theme=dark",
    ]


def test_base64_response_body_is_decoded(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/binary")
    assert response.status_code == 200
    assert response.content == b"\x00\x01\xffbinary"


def test_response_without_status_code_is_json_200(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/plain")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"ok": True, "route": "GET /plain"}


def test_specific_route_beats_the_catch_all(gateway_url: str) -> None:
    from tests.integration.runtime import handlers

    handlers.CALLS.clear()
    raw = b'{"exact":"bytes",  "kept": true}'
    response = httpx.post(
        f"{gateway_url}/webhooks/meta", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    event = handlers.CALLS[-1]["event"]
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["pathParameters"] == {"proxy": "webhooks/meta"}
    assert event["body"] == raw.decode()  # byte-exact: signatures are over the raw body
    assert event["isBase64Encoded"] is False


def test_binary_request_bodies_are_base64_encoded(gateway_url: str) -> None:
    from tests.integration.runtime import handlers

    payload = b"\x89PNG\r\n\x1a\n\x00"
    httpx.put(f"{gateway_url}/upload", content=payload, headers={"content-type": "image/png"})
    event = handlers.CALLS[-1]["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_always_base64_mode_encodes_text_too(always_base64_url: str) -> None:
    from tests.integration.runtime import handlers

    httpx.post(f"{always_base64_url}/hook", json={"a": 1})
    event = handlers.CALLS[-1]["event"]
    assert event["isBase64Encoded"] is True
    assert json.loads(base64.b64decode(event["body"])) == {"a": 1}


def test_handler_crash_is_api_gateways_500(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/crash")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_unrouted_request_is_api_gateways_404() -> None:
    app = Gateway(ROUTES[:1])
    for url in _serve(app):
        response = httpx.get(f"{url}/elsewhere")
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


def test_handlers_needing_an_event_loop_work_behind_the_gateway(gateway_url: str) -> None:
    response = httpx.get(f"{gateway_url}/async")
    assert response.status_code == 200
    assert response.text == "async ok"


def test_encode_body_rules() -> None:
    assert encode_body(b"", "application/json", "auto") == (None, False)
    assert encode_body(b"{}", "application/json; charset=utf-8", "auto") == ("{}", False)
    assert encode_body(b"x=1", "", "auto") == ("x=1", False)
    assert encode_body(b"\xff\xfe", "text/plain", "auto") == ("//4=", True)
    assert encode_body(b"{}", "application/vnd.api+json", "auto") == ("{}", False)


def test_build_event_joins_repeated_headers_and_omits_empty_parts() -> None:
    route = definition.Route("POST", "/webhooks/x")
    event = build_event(
        method="post",
        path="/webhooks/x",
        query_string="",
        headers=[("X-Forwarded-For", "1.1.1.1"), ("x-forwarded-for", "2.2.2.2")],
        body=b"",
        route=route,
    )
    assert event["headers"]["x-forwarded-for"] == "1.1.1.1,2.2.2.2"
    for absent in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert absent not in event
    assert event["requestContext"]["http"]["method"] == "POST"


def test_real_api_handler_answers_through_the_gateway(db: str, aws_resources: object) -> None:
    """The stack's own route table and the real Mangum handler: GET /health."""
    for url in _serve(Gateway()):
        response = httpx.get(f"{url}/health")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ok"
