"""The AWS endpoint is moto's server over HTTP; bootstrap creates what the stack defines."""

from __future__ import annotations

import json

from infra import definition
from local.runtime import aws as local_aws
from socialmetrics.aws import client, queue_url
from socialmetrics.config import get_settings
from socialmetrics.secrets import get_secret


def test_every_queue_has_a_dlq_with_redrive(aws_resources: local_aws.Resources) -> None:
    sqs = client("sqs")
    for queue in definition.QUEUES:
        url = queue_url(queue.key)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(f"{queue.name}-dlq")
        assert int(redrive["maxReceiveCount"]) == definition.MAX_RECEIVE_COUNT
        assert (
            int(attributes["VisibilityTimeout"])
            >= 6 * definition.function(queue.consumer).timeout_seconds
        )


def test_bootstrap_is_idempotent(aws_resources: local_aws.Resources) -> None:
    again = local_aws.bootstrap(get_settings())
    assert again.kms_key_id == aws_resources.kms_key_id
    assert again.queue_urls == aws_resources.queue_urls


def test_kms_alias_resolves_and_rotation_is_on(aws_resources: local_aws.Resources) -> None:
    kms = client("kms")
    key = kms.describe_key(KeyId=get_settings().kms_key_alias)["KeyMetadata"]
    assert key["KeyId"] == aws_resources.kms_key_id
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]


def test_secrets_come_from_secrets_manager(
    aws_resources: local_aws.Resources, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    from tests.support import reset_process_state

    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    reset_process_state()
    try:
        value = get_secret("meta_verify_token").get_secret_value()
    finally:
        monkeypatch.undo()
        reset_process_state()
    assert value == get_settings().meta_verify_token.get_secret_value()


def test_configured_queue_urls_skip_the_lookup(
    aws_resources: local_aws.Resources, monkeypatch: object
) -> None:
    import pytest

    from tests.support import reset_process_state

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("QUEUE_URLS", json.dumps({"events": "https://sqs.example/123/custom"}))
    reset_process_state()
    try:
        assert queue_url("events") == "https://sqs.example/123/custom"
        assert queue_url("collect-x") == aws_resources.queue_urls["collect-x"]
    finally:
        monkeypatch.undo()
        reset_process_state()
