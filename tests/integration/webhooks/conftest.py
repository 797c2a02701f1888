"""Webhook test fixtures: known platform secrets, an empty events queue, queue helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.runtime.aws import Resources
from socialmetrics.aws import client, queue_url
from socialmetrics.config import get_settings

SECRETS = {
    "META_APP_SECRET": "meta-app-secret-test",
    "INSTAGRAM_APP_SECRET": "instagram-app-secret-test",
    "META_VERIFY_TOKEN": "meta-verify-token-test",
    "X_CONSUMER_SECRET": "x-consumer-secret-test",
    "TIKTOK_CLIENT_SECRET": "tiktok-client-secret-test",
}


@pytest.fixture
def platform_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRETS_SOURCE", "env")
    get_settings.cache_clear()
    yield SECRETS
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def events_queue(clean_queues: Resources, platform_secrets: dict[str, str]) -> str:
    return queue_url("events")


def receive_all(url: str, visibility: int = 30) -> list[dict[str, Any]]:
    """Every visible message on the queue (received, so now in flight)."""
    sqs = client("sqs")
    messages: list[dict[str, Any]] = []
    for _ in range(20):
        got = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=visibility,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not got:
            break
        messages.extend(got)
    return messages


def queue_arn(url: str) -> str:
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])
