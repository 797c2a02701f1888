"""boto3 clients made in one place, honouring ``AWS_ENDPOINT_URL`` and the region.

Clients are created on first use and cached per process (Lambda reuses them across
invocations); boto3 itself is imported lazily so functions that never call AWS do not pay for it.
Queue URLs are resolved by name once and cached.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from socialmetrics.config import get_settings


@cache
def client(service: str) -> Any:
    """A boto3 client for ``service`` pointed at the configured endpoint (moto, LocalStack, AWS)."""
    import boto3
    from botocore.config import Config

    settings = get_settings()
    return boto3.session.Session().client(
        service,
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url or None,
        config=Config(
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=3,
            read_timeout=10,
        ),
    )


def queue_name(key: str) -> str:
    """Physical queue name for a logical key ("collect-x" → "socialmetrics-collect-x")."""
    return f"{get_settings().resource_prefix}-{key}"


@cache
def queue_url(key: str) -> str:
    """The URL of queue ``key``: from ``QUEUE_URLS`` when the stack set it, else by name."""
    configured = get_settings().queue_urls.get(key)
    if configured:
        return configured
    url: str = client("sqs").get_queue_url(QueueName=queue_name(key))["QueueUrl"]
    return url


def reset_caches() -> None:
    """Forget clients and resolved names (tests that switch endpoints call this)."""
    client.cache_clear()
    queue_url.cache_clear()
    from socialmetrics import secrets  # its Secrets Manager reader holds a client

    secrets.reset_cache()
