"""Write the sample events in ``events/`` (all but ``events/api/``), signed for local use.

    python scripts/sign_events.py            # rewrite every sample (TikTok signed "now")
    python scripts/sign_events.py --tiktok   # only re-sign the TikTok delivery

Webhook deliveries are API Gateway HTTP API (payload 2.0) events signed with the LOCAL
development secrets (``socialmetrics.config.DEV_SECRET`` for ``META_APP_SECRET``,
``X_CONSUMER_SECRET`` and ``TIKTOK_CLIENT_SECRET``) using each platform's documented algorithm,
computed here with ``hmac`` directly. TikTok signatures carry a timestamp that the receiver
accepts for 5 minutes only, so re-sign before ``make invoke FN=webhook_tiktok …``.
Everything else is deterministic: the fixed instant below keeps the files stable.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra import definition  # noqa: E402
from local.runtime.gateway import build_event  # noqa: E402
from local.runtime.ticks import scheduler_event  # noqa: E402
from socialmetrics.config import DEV_SECRET  # noqa: E402

EVENTS = ROOT / "events"
FIXED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"

WHATSAPP_STATUS = {
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
                                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
                                "status": "delivered",
                                "timestamp": "1768469400",
                                "recipient_id": "16505551234",
                                "conversation": {
                                    "id": "6ceb9d929c1a9b3d5a1f2e0c4f6a1b2c",
                                    "origin": {"type": "utility"},
                                },
                                "pricing": {
                                    "billable": True,
                                    "pricing_model": "PMP",
                                    "category": "utility",
                                },
                            }
                        ],
                    },
                }
            ],
        }
    ],
}
INSTAGRAM_STORY_INSIGHTS = {
    "object": "instagram",
    "entry": [
        {
            "id": "17841400000000001",
            "time": 1768469400,
            "changes": [
                {
                    "field": "story_insights",
                    "value": {
                        "media_id": "18000000000000001",
                        "impressions": 444,
                        "reach": 44,
                        "taps_forward": 4,
                        "taps_back": 3,
                        "exits": 3,
                        "replies": 0,
                    },
                }
            ],
        }
    ],
}
X_ACCOUNT_ACTIVITY = {
    "for_user_id": "2244994945",
    "follow_events": [
        {
            "type": "follow",
            "created_timestamp": "1768469400000",
            "target": {"id": "2244994945", "screen_name": "socialmetrics_demo"},
            "source": {"id": "15087123", "screen_name": "a_follower"},
        }
    ],
}
TIKTOK_DEAUTHORIZED = {
    "client_key": "local-tiktok-client",
    "event": "authorization.removed",
    "create_time": 1768469400,
    "user_openid": "_000Hn5YbGJmY2QzZS00ZjQ3LWFlNDgtOTJjNWU2",
    "content": json.dumps({"reason": 1}),
}


def _raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _hmac(message: bytes) -> bytes:
    return hmac.new(DEV_SECRET.encode(), message, hashlib.sha256).digest()


def meta_signature(body: bytes) -> str:
    return "sha256=" + _hmac(body).hex()


def x_signature(body: bytes) -> str:
    return "sha256=" + base64.b64encode(_hmac(body)).decode()


def tiktok_signature(body: bytes, timestamp: int) -> str:
    return f"t={timestamp},s={_hmac(f'{timestamp}.'.encode() + body).hex()}"


def _route(key: str, method: str) -> definition.Route:
    return next(r for r in definition.function(key).routes if r.method == method)


def api_event(
    key: str,
    method: str,
    *,
    body: bytes = b"",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    user_agent: str,
    request_id: str,
) -> dict[str, Any]:
    route = _route(key, method)
    sent = [
        ("host", HOST),
        ("user-agent", user_agent),
        ("x-amzn-trace-id", "Root=1-6788a0d8-0123456789abcdef01234567"),
        ("x-forwarded-for", "173.252.127.1"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ]
    if body:
        sent += [("content-type", "application/json"), ("content-length", str(len(body)))]
    event = build_event(
        method=method,
        path=route.path,
        query_string=query,
        headers=sent + (headers or []),
        body=body,
        route=route,
        source_ip="173.252.127.1",
        request_id=request_id,
        now=FIXED,
    )
    event["requestContext"]["accountId"] = ACCOUNT
    event["requestContext"]["apiId"] = HOST.split(".")[0]
    return event


def webhook_events(tiktok_now: int) -> dict[str, dict[str, Any]]:
    whatsapp, instagram = _raw(WHATSAPP_STATUS), _raw(INSTAGRAM_STORY_INSIGHTS)
    x_body, tiktok_body = _raw(X_ACCOUNT_ACTIVITY), _raw(TIKTOK_DEAUTHORIZED)
    meta_agent = "facebookexternalua"
    return {
        "webhook_meta/whatsapp_status.json": api_event(
            "webhook_meta",
            "POST",
            body=whatsapp,
            headers=[("x-hub-signature-256", meta_signature(whatsapp))],
            user_agent=meta_agent,
            request_id="Ab1cDeFgHiJkLmA=",
        ),
        "webhook_meta/instagram_story_insights.json": api_event(
            "webhook_meta",
            "POST",
            body=instagram,
            headers=[("x-hub-signature-256", meta_signature(instagram))],
            user_agent=meta_agent,
            request_id="Ab1cDeFgHiJkLmB=",
        ),
        "webhook_meta/subscribe.json": api_event(
            "webhook_meta",
            "GET",
            query=f"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={DEV_SECRET}",
            user_agent=meta_agent,
            request_id="Ab1cDeFgHiJkLmC=",
        ),
        "webhook_x/crc.json": api_event(
            "webhook_x",
            "GET",
            query="crc_token=Y2hhbGxlbmdlLXRva2Vu&nonce=MTU2NjU0MzI1NQ",
            user_agent="Twitter-Webhooks/1.0",
            request_id="Ab1cDeFgHiJkLmD=",
        ),
        "webhook_x/follow.json": api_event(
            "webhook_x",
            "POST",
            body=x_body,
            headers=[("x-twitter-webhooks-signature", x_signature(x_body))],
            user_agent="Twitter-Webhooks/1.0",
            request_id="Ab1cDeFgHiJkLmE=",
        ),
        "webhook_tiktok/authorization_removed.json": api_event(
            "webhook_tiktok",
            "POST",
            body=tiktok_body,
            headers=[("tiktok-signature", tiktok_signature(tiktok_body, tiktok_now))],
            user_agent="TikTok-Webhook",
            request_id="Ab1cDeFgHiJkLmF=",
        ),
    }


def _sqs_batch(queue_key: str, bodies: list[str]) -> dict[str, Any]:
    queue = definition.queue(queue_key)
    sent = int(FIXED.timestamp() * 1000)
    records = []
    for index, body in enumerate(bodies, start=1):
        records.append(
            {
                "messageId": f"0d6e6b0e-5c3a-4f3e-9a55-0000000000{index:02d}",
                "receiptHandle": base64.b64encode(f"{queue.name}:{index}".encode()).decode(),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(sent),
                    "SenderId": "AROAEXAMPLE:socialmetrics-scheduler",
                    "ApproximateFirstReceiveTimestamp": str(sent + 250),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue.name}",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def queue_events() -> dict[str, dict[str, Any]]:
    window = {"window_start": "2026-01-14T09:30:00Z", "window_end": "2026-01-15T09:30:00Z"}
    collect = [
        json.dumps({"platform": platform, "account_id": account, "job_id": job, **window})
        for platform, account, job in (
            ("Instagram", 1, "collect-tick-20260115T0930Z-1"),
            ("Facebook", 2, "collect-tick-20260115T0930Z-2"),
        )
    ]
    deliveries = []
    for provider, payload, headers in (
        (
            "meta",
            WHATSAPP_STATUS,
            {"content-type": "application/json", "x-signed-with": "meta_app_secret"},
        ),
        ("x", X_ACCOUNT_ACTIVITY, {"content-type": "application/json"}),
    ):
        envelope = {
            "v": 1,
            "provider": provider,
            "received_at": FIXED.isoformat(),
            "request_id": f"Ab1cDeFgHiJkL{provider[0]}=",
            "headers": headers,
            "body": _raw(payload).decode(),
        }
        deliveries.append(json.dumps(envelope, separators=(",", ":")))
    return {
        "collector/sqs_batch.json": _sqs_batch("collect-meta", collect),
        "ingest/sqs_batch.json": _sqs_batch("events", deliveries),
    }


def scheduled_events() -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for schedule in definition.SCHEDULES:
        event = scheduler_event(schedule, now=FIXED, account=ACCOUNT, region=REGION)
        event["id"] = "d32c5kddcf5bb8c3"
        files[f"{schedule.target}/scheduled_{schedule.key.replace('-', '_')}.json"] = event
    return files


def migrate_events() -> dict[str, dict[str, Any]]:
    stack = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/SocialMetrics/1f7f4a30-d2b4-11f0"
    token = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:SocialMetrics-MigrateProvider"
    create = {
        "RequestType": "Create",
        "ServiceToken": token,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
        "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/SocialMetrics?X-Amz=1",
        "StackId": stack,
        "RequestId": "5d8b1a2c-7a6f-4f0b-9a3e-2b7c0e9d1f00",
        "LogicalResourceId": "DatabaseMigration",
        "ResourceType": "Custom::DatabaseMigration",
        "ResourceProperties": {
            "ServiceToken": token,
            "MigrationsHash": "3f1c2b7a9d0e4f15",
        },
    }
    return {
        "migrate/custom_resource_create.json": create,
        "migrate/upgrade.json": {"action": "upgrade"},
        "migrate/admin_create.json": {
            "action": "admin_create",
            "name": "Operations",
            "email": "ops@example.com",
        },
        "migrate/admin_rotate.json": {"action": "admin_rotate"},
    }


def write(files: dict[str, dict[str, Any]]) -> None:
    for name, event in files.items():
        path = EVENTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


def all_events(tiktok_now: int) -> dict[str, dict[str, Any]]:
    return {
        **webhook_events(tiktok_now),
        **queue_events(),
        **scheduled_events(),
        **migrate_events(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiktok", action="store_true", help="only re-sign the TikTok sample")
    args = parser.parse_args(argv)
    files = all_events(int(time.time()))
    if args.tiktok:
        files = {k: v for k, v in files.items() if k.startswith("webhook_tiktok/")}
    write(files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
