"""Throwaway Lambda handlers the runtime tests host (loaded by handler string, like Lambda)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

CALLS: list[dict[str, Any]] = []


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the event and the context it saw (API Gateway v2 response)."""
    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "invoked_function_arn": context.invoked_function_arn,
        },
    }
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-handler": "echo"},
        "cookies": ["session=abc; Path=/; HttpOnly", "theme=dark"],
        "body": json.dumps(seen),
    }


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/octet-stream"},
        "isBase64Encoded": True,
        "body": base64.b64encode(b"\x00\x01\xffbinary").decode(),
    }


def plain(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"ok": True, "route": event["routeKey"]}  # no statusCode: API GW infers 200 JSON


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("boom")


def needs_event_loop(event: dict[str, Any], context: Any) -> dict[str, Any]:
    loop = asyncio.get_event_loop()  # what Mangum does; Lambda's thread has a loop
    value = loop.run_until_complete(asyncio.sleep(0, result="async ok"))
    return {"statusCode": 200, "body": value}


def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append({"event": event, "function": context.function_name})
    return {"recorded": len(CALLS)}


def partial(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails every record whose body says {"fail": true} (ReportBatchItemFailures)."""
    CALLS.append({"event": event, "function": context.function_name})
    failures = [
        {"itemIdentifier": r["messageId"]}
        for r in event["Records"]
        if json.loads(r["body"]).get("fail")
    ]
    return {"batchItemFailures": failures}


def wrong_identifier(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append({"event": event, "function": context.function_name})
    return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}


not_callable = 42
