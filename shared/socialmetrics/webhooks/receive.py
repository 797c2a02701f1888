"""The receiving side of webhooks: API Gateway v2 event in → verify → enqueue → v2 response out.

Nothing here opens the database or imports FastAPI, SQLAlchemy or pydantic: a receiver must
start fast and keep answering while the database is down. Its settings come from
:func:`~socialmetrics.light_settings.current_settings` (the light reader in a receiver's own
process). A delivery is acknowledged (200) only once it sits on
the ``events`` queue; if the queue (or the secret store) cannot be reached the platform gets a
503 problem and retries, so an event is never lost behind a 200.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from socialmetrics.errors import (
    DomainError,
    Forbidden,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
)
from socialmetrics.light_settings import current_settings
from socialmetrics.logging import bind_correlation_id, logger
from socialmetrics.secrets import SecretName, secret_value
from socialmetrics.security import webhook_signatures as signatures
from socialmetrics.webhooks.delivery import Delivery, Provider

PROBLEM = "application/problem+json"
EVENTS_QUEUE = "events"
SQS_MAX_MESSAGE_BYTES = 262_144
KEPT_HEADERS = ("content-type", "user-agent")

Response = dict[str, Any]


class BadRequest(DomainError):
    status, title, slug = 400, "Bad request", "bad-request"


class MethodNotAllowed(DomainError):
    status, title, slug = 405, "Method not allowed", "method-not-allowed"

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(f"Use {' or '.join(allowed)}.")
        self.allowed = allowed


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """The parts of an API Gateway HTTP API (payload 2.0) event a receiver needs."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    request_id: str | None


def parse_http_event(event: Mapping[str, Any], max_body_bytes: int) -> HttpRequest:
    """Read a v2 event; bodies over ``max_body_bytes`` (after base64 decoding) → 413."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    method = str(http.get("method") or event.get("httpMethod") or "GET").upper()
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    raw_query = event.get("rawQueryString")
    if raw_query:
        query = dict(parse_qsl(str(raw_query), keep_blank_values=True))
    else:
        query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        raise PayloadTooLarge(f"Webhook bodies are limited to {max_body_bytes} bytes.")
    text = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(text) > (max_body_bytes // 3 + 1) * 4:
            raise PayloadTooLarge(f"Webhook bodies are limited to {max_body_bytes} bytes.")
        try:
            body = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("The body is not valid base64.") from None
    else:
        body = str(text).encode()
    if len(body) > max_body_bytes:
        raise PayloadTooLarge(f"Webhook bodies are limited to {max_body_bytes} bytes.")
    return HttpRequest(
        method=method,
        path=str(event.get("rawPath") or ""),
        query=query,
        headers=headers,
        body=body,
        request_id=context.get("requestId"),
    )


# --- responses -----------------------------------------------------------------------------


def reply(status: int, body: str, content_type: str, **headers: str) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": content_type, **headers},
        "body": body,
        "isBase64Encoded": False,
    }


def problem(error: DomainError, path: str, request_id: str | None) -> Response:
    document: dict[str, Any] = {
        "type": error.type_uri,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": path,
    }
    if request_id:
        document["request_id"] = request_id
    extra = {"allow": ", ".join(error.allowed)} if isinstance(error, MethodNotAllowed) else {}
    if isinstance(error, ServiceUnavailable):  # the platform redelivers after a while
        extra["retry-after"] = str(error.retry_after)
    return reply(error.status, json.dumps(document), PROBLEM, **extra)


# --- shared steps --------------------------------------------------------------------------


def _secret(name: SecretName) -> str:
    try:
        return secret_value(name, current_settings())
    except Exception as exc:
        logger.error("webhook secret unavailable", extra={"setting": name, "error": repr(exc)})
        raise ServiceUnavailable("The webhook secret is unavailable; retry later.") from None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not UTF-8 text.") from None


def enqueue(delivery: Delivery) -> str:
    """Put a verified delivery on the events queue; 503 when the queue cannot take it."""
    from socialmetrics.aws import client, queue_url

    message = delivery.to_message()
    if len(message.encode()) > SQS_MAX_MESSAGE_BYTES:
        raise PayloadTooLarge("The delivery does not fit in one queue message.")
    try:
        sent = client("sqs").send_message(QueueUrl=queue_url(EVENTS_QUEUE), MessageBody=message)
    except Exception as exc:
        logger.error(
            "webhook not queued", extra={"provider": delivery.provider, "error": repr(exc)}
        )
        raise ServiceUnavailable("The event queue is unavailable; retry later.") from None
    message_id = str(sent.get("MessageId", ""))
    logger.info(
        "webhook queued",
        extra={"provider": delivery.provider, "message_id": message_id, "bytes": len(message)},
    )
    return message_id


def _accept(request: HttpRequest, provider: Provider, **extra_headers: str) -> Response:
    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    headers.update(extra_headers)
    delivery = Delivery(
        provider=provider,
        body=_text(request.body),
        received_at=datetime.now(UTC),
        request_id=request.request_id,
        headers=headers,
    )
    enqueue(delivery)
    return reply(200, json.dumps({"status": "queued"}), "application/json")


def _verified(check: Callable[[], Any], provider: Provider) -> Any:
    try:
        return check()
    except signatures.InvalidSignature as exc:
        logger.warning(
            "webhook signature rejected", extra={"provider": provider, "why": exc.reason}
        )
        raise Unauthorized(f"Signature rejected: {exc.reason}.") from None


# --- Meta ----------------------------------------------------------------------------------


def _meta_object(body: bytes) -> str | None:
    if b"instagram" not in body:
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload.get("object") if isinstance(payload, dict) else None


def meta(request: HttpRequest) -> Response:
    if request.method == "GET":
        if request.query.get("hub.mode") != "subscribe":
            raise Forbidden("hub.mode must be subscribe.")
        expected = _secret("meta_verify_token").encode()
        given = request.query.get("hub.verify_token", "").encode()
        if not hmac.compare_digest(expected, given):
            logger.warning("meta verify token mismatch")
            raise Forbidden("The verify token does not match.")
        challenge = request.query.get("hub.challenge")
        if not challenge:
            raise BadRequest("hub.challenge is missing.")
        return reply(200, challenge, "text/plain")
    if request.method != "POST":
        raise MethodNotAllowed(("GET", "POST"))
    header = request.headers.get("x-hub-signature-256")
    names: list[SecretName] = ["meta_app_secret"]
    if _meta_object(request.body) == "instagram":
        names.append("instagram_app_secret")
    secrets = [_secret(name) for name in names]
    index = _verified(lambda: signatures.verify_meta(request.body, header, secrets), "meta")
    return _accept(request, "meta", **{"x-signed-with": names[index]})


# --- X -------------------------------------------------------------------------------------


def x(request: HttpRequest) -> Response:
    if request.method == "GET":
        crc_token = request.query.get("crc_token")
        if not crc_token:
            raise BadRequest("crc_token is missing.")
        token = signatures.x_crc_response_token(_secret("x_consumer_secret"), crc_token)
        return reply(200, json.dumps({"response_token": token}), "application/json")
    if request.method != "POST":
        raise MethodNotAllowed(("GET", "POST"))
    header = request.headers.get("x-twitter-webhooks-signature")
    secret = _secret("x_consumer_secret")
    _verified(lambda: signatures.verify_x(request.body, header, secret), "x")
    return _accept(request, "x")


# --- TikTok --------------------------------------------------------------------------------


def tiktok(request: HttpRequest) -> Response:
    if request.method != "POST":
        raise MethodNotAllowed(("POST",))
    header = request.headers.get("tiktok-signature")
    secret = _secret("tiktok_client_secret")
    tolerance = current_settings().tiktok_signature_tolerance_seconds
    signed_at = _verified(
        lambda: signatures.verify_tiktok(
            request.body, header, secret, now=time.time(), tolerance_seconds=tolerance
        ),
        "tiktok",
    )
    return _accept(request, "tiktok", **{"x-signed-at": str(signed_at)})


# --- entry point ---------------------------------------------------------------------------

RECEIVERS: dict[Provider, Callable[[HttpRequest], Response]] = {
    "meta": meta,
    "x": x,
    "tiktok": tiktok,
}


def handle(event: Mapping[str, Any], provider: Provider) -> Response:
    """Answer one API Gateway v2 event for ``provider``'s webhook route."""
    context = event.get("requestContext") or {}
    path, request_id = str(event.get("rawPath") or ""), context.get("requestId")
    bind_correlation_id(request_id)
    try:
        request = parse_http_event(event, current_settings().webhook_max_body_bytes)
        return RECEIVERS[provider](request)
    except DomainError as error:
        return problem(error, path, request_id)
    except Exception:
        logger.exception("webhook receiver failed", extra={"provider": provider})
        return problem(ServiceUnavailable("The webhook could not be accepted."), path, request_id)
