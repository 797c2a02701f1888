"""Webhook receiver: rejecting a forged delivery vs accepting a genuine one, per delivery.

Both go through the real Lambda entry point (``functions.webhook_meta.handler.handler``) with
an API Gateway v2 event carrying a WhatsApp status delivery. A genuine delivery is signed
with the Meta app secret (``X-Hub-Signature-256``) and costs parse + verify + one SQS
``SendMessage`` to the events queue (moto's server on loopback). A forged one carries a
signature made with the wrong secret and is answered 401 after the HMAC check, before any I/O.
The ratio says what a flood of forged requests costs compared with real traffic; the queue is
checked afterwards to hold exactly the genuine deliveries.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.harness import Comparison, duration, median_seconds
from functions.webhook_meta.handler import handler
from infra import definition
from local.runtime.aws import Resources, queue_depth
from local.runtime.invoke import context_for
from socialmetrics.secrets import get_secret
from socialmetrics.security.webhook_signatures import sign_meta


def whatsapp_status(index: int) -> bytes:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            "statuses": [
                                {
                                    "id": f"wamid.bench{index:08d}",
                                    "status": "delivered",
                                    "timestamp": "1768469400",
                                    "recipient_id": "16505551234",
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def api_gateway_event(body: bytes, signature: str, index: int) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event for ``POST /webhooks/meta``."""
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/meta",
        "rawPath": "/webhooks/meta",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "content-length": str(len(body)),
            "user-agent": "facebookexternalua",
            "x-hub-signature-256": signature,
        },
        "requestContext": {
            "http": {"method": "POST", "path": "/webhooks/meta", "protocol": "HTTP/1.1"},
            "requestId": f"bench-{index}",
            "routeKey": "POST /webhooks/meta",
            "stage": "$default",
        },
        "isBase64Encoded": False,
        "body": body.decode(),
    }


def events(count: int, *, forged: bool, first: int = 0) -> list[dict[str, Any]]:
    secret = "not-the-app-secret" if forged else get_secret("meta_app_secret").get_secret_value()
    made = []
    for index in range(first, first + count):
        body = whatsapp_status(index)
        made.append(api_gateway_event(body, sign_meta(secret, body), index))
    return made


def _deliver(batch: list[dict[str, Any]], expected_status: int) -> None:
    for event in batch:
        context: Any = context_for(definition.function("webhook_meta"))
        status = handler(event, context)["statusCode"]
        if status != expected_status:
            raise AssertionError(f"the receiver answered {status}, expected {expected_status}")


def run(resources: Resources, deliveries: int = 100, repeat: int = 3) -> Comparison:
    rounds = repeat + 1  # one warm-up round each
    genuine = iter([events(deliveries, forged=False, first=i * deliveries) for i in range(rounds)])
    forged = iter([events(deliveries, forged=True, first=i * deliveries) for i in range(rounds)])
    events_url = resources.queue_urls["events"]
    before = int(queue_depth(events_url)["ApproximateNumberOfMessages"])
    baseline = median_seconds(lambda: _deliver(next(genuine), 200), repeat, warmup=1)
    candidate = median_seconds(lambda: _deliver(next(forged), 401), repeat, warmup=1)
    queued = int(queue_depth(events_url)["ApproximateNumberOfMessages"]) - before
    if queued != rounds * deliveries:
        raise AssertionError(f"{queued} messages queued, expected {rounds * deliveries}")
    return Comparison(
        name=f"webhook receiver, {deliveries} Meta deliveries through the Lambda handler",
        baseline="accepting genuine ones (verify + SQS SendMessage)",
        candidate="rejecting forged ones (401 after the HMAC check)",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=deliveries,
        unit="deliveries",
        runs=repeat,
        note=(
            f"per delivery: {duration(baseline / deliveries)} accepted vs "
            f"{duration(candidate / deliveries)} rejected; only genuine ones were queued"
        ),
    )
