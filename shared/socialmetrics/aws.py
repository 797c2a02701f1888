"""boto3 clients made in one place, honouring ``AWS_ENDPOINT_URL`` and the region.

Clients are created on first use and cached per process (Lambda reuses them across
invocations); boto3 itself is imported lazily so functions that never call AWS do not pay for it.
Queue URLs are resolved by name once and cached. Settings come through
:func:`~socialmetrics.light_settings.current_settings`, so a webhook receiver builds its SQS
client without importing pydantic.

Every client carries the function's time budget (``AWS_CONNECT_TIMEOUT_SECONDS``,
``AWS_READ_TIMEOUT_SECONDS``, ``AWS_MAX_ATTEMPTS``, set per function by the stack definition):
a hung endpoint fails within ``attempts x (connect + read)`` plus the standard-mode backoff,
and :func:`unreachable` tells such a failure apart from an answer AWS gave.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from socialmetrics.light_settings import current_settings


def _endpoint_url(service: str) -> str | None:
    """The configured endpoint, unless a service-specific ``AWS_ENDPOINT_URL_<SERVICE>`` is set:
    then botocore resolves it (with its own precedence over ``AWS_ENDPOINT_URL``)."""
    if any(name.startswith("AWS_ENDPOINT_URL_") for name in os.environ):
        return None
    return current_settings().aws_endpoint_url or None


_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """A boto3 client for ``service`` pointed at the configured endpoint (moto, LocalStack, AWS),
    made on first use and kept for the process."""
    made = _clients.get(service)
    if made is None:
        made = _clients[service] = _new_client(service)
    return made


def _new_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    settings = current_settings()
    return boto3.session.Session().client(
        service,
        region_name=settings.aws_region,
        endpoint_url=_endpoint_url(service),
        config=Config(
            retries={"total_max_attempts": settings.aws_max_attempts, "mode": "standard"},
            connect_timeout=settings.aws_connect_timeout_seconds,
            read_timeout=settings.aws_read_timeout_seconds,
        ),
    )


def unreachable(exc: BaseException) -> bool:
    """True when ``exc`` says an AWS endpoint did not answer in time or could not be reached
    (connect/read timeout, refused or dropped connection) — retriable, and carrying no
    ``response``, unlike a ``ClientError``."""
    from botocore.exceptions import ConnectionError, HTTPClientError

    return isinstance(exc, ConnectionError | HTTPClientError)


def queue_name(key: str) -> str:
    """Physical queue name for a logical key ("collect-x" → "socialmetrics-collect-x")."""
    return f"{current_settings().resource_prefix}-{key}"


@cache
def queue_url(key: str) -> str:
    """The URL of queue ``key``: from ``QUEUE_URLS`` when the stack set it, else by name."""
    configured = current_settings().queue_urls.get(key)
    if configured:
        return configured
    url: str = client("sqs").get_queue_url(QueueName=queue_name(key))["QueueUrl"]
    return url


def close_connections() -> None:
    """Close the connection pools of the clients made so far; each client stays usable and
    opens new connections on its next call (after a SnapStart restore, the pooled sockets
    belong to a connection that no longer exists)."""
    for made in _clients.values():
        made.close()


def reset_caches() -> None:
    """Forget clients and resolved names (``local.runtime.process.reset_process_state`` calls
    this, with the other process-wide caches, after an endpoint changes)."""
    _clients.clear()
    queue_url.cache_clear()
