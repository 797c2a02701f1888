"""Workers facing a hung dependency (a loopback server that accepts connections and never
answers) fail retriably within their time budget: the SQS record is reported in
``batchItemFailures`` and collected once the dependency answers again; the scheduler leaves
accounts due. Nothing is lost and nothing half-written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from local.runtime import invoke, pollers, ticks
from socialmetrics.aws import client, queue_url
from socialmetrics.config import get_settings
from tests.integration.collection.conftest import onboard
from tests.integration.collection.test_pipeline import _rows
from tests.support import HungServer, hang_aws_service, reset_process_state

PLATFORM_BUDGET = {
    "PROVIDER_CONNECT_TIMEOUT_SECONDS": "0.5",
    "PROVIDER_TIMEOUT_SECONDS": "0.3",
    "PROVIDER_MAX_ATTEMPTS": "2",
}


def _tick() -> dict[str, object]:
    result: dict[str, object] = ticks.tick(
        "collect-tick", now=datetime.now(UTC) + timedelta(seconds=2)
    )
    return result


def _answering_again(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        monkeypatch.delenv(name)
    reset_process_state()


def test_a_hung_kms_fails_the_record_retriably_and_the_message_stays(
    sandbox: httpx.Client, hung_endpoint: HungServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = onboard(sandbox, "X")
    assert _tick()["enqueued"] == 1
    hang_aws_service(monkeypatch, "KMS", hung_endpoint.url)

    batch = pollers.process_batch("collect-x")
    assert batch.received == 1
    assert batch.error is None  # a reported failure, not a crashed invocation
    assert batch.failed == 1
    assert hung_endpoint.connections == get_settings().aws_max_attempts
    assert _rows(account.account_id) == 0

    _answering_again(monkeypatch, "AWS_ENDPOINT_URL_KMS")
    again = pollers.process_batch("collect-x")  # the same message, visible again
    assert (again.received, again.succeeded) == (1, 1)
    assert _rows(account.account_id) > 0


def test_a_hung_platform_api_is_a_retriable_failure(
    sandbox: httpx.Client, hung_endpoint: HungServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = onboard(sandbox, "TikTok")
    assert _tick()["enqueued"] == 1
    sandbox_url = get_settings().tiktok_api_base_url
    for name, value in {**PLATFORM_BUDGET, "TIKTOK_API_BASE_URL": hung_endpoint.url}.items():
        monkeypatch.setenv(name, value)
    reset_process_state()

    batch = pollers.process_batch("collect-tiktok")
    assert (batch.received, batch.failed, batch.error) == (1, 1, None)
    # One request spent its attempts; the client sent nothing more to the hung platform.
    assert hung_endpoint.connections == get_settings().provider_max_attempts
    assert _rows(account.account_id) == 0

    monkeypatch.setenv("TIKTOK_API_BASE_URL", sandbox_url)
    _answering_again(monkeypatch, *PLATFORM_BUDGET)
    again = pollers.process_batch("collect-tiktok")
    assert (again.received, again.succeeded) == (1, 1)
    assert _rows(account.account_id) > 0


def test_a_hung_queue_leaves_accounts_due_after_one_budget(
    sandbox: httpx.Client, hung_endpoint: HungServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboard(sandbox, "X")
    onboard(sandbox, "TikTok")
    # As deployed: the stack passes the queue URLs, so no lookup is needed.
    keys = ("collect-x", "collect-meta", "collect-tiktok")
    monkeypatch.setenv("QUEUE_URLS", json.dumps({key: queue_url(key) for key in keys}))
    hang_aws_service(monkeypatch, "SQS", hung_endpoint.url)

    result = _tick()
    assert (result["enqueued"], result["failed"]) == (0, 2)
    # The fan-out stops at the first unanswered call instead of spending a budget per queue.
    assert hung_endpoint.connections == get_settings().aws_max_attempts

    _answering_again(monkeypatch, "AWS_ENDPOINT_URL_SQS")
    assert _tick()["enqueued"] == 2  # both accounts were left due


def test_a_record_that_cannot_finish_in_the_time_left_goes_back_to_the_queue(
    sandbox: httpx.Client,
) -> None:
    from functions.collector.handler import handler

    account = onboard(sandbox, "X")
    assert _tick()["enqueued"] == 1
    url = queue_url("collect-x")
    (message,) = client("sqs").receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    arn = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    event = {"Records": [pollers.sqs_record(message, arn["Attributes"]["QueueArn"], "us-east-1")]}
    nearly_over = invoke.LambdaContext(
        function_name="socialmetrics-collector", memory_limit_in_mb=1024, timeout_seconds=1
    )
    reply = handler(event, nearly_over)
    assert reply["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    assert _rows(account.account_id) == 0


def test_maintenance_spends_one_budget_on_a_hung_platform_and_runs_every_other_step(
    sandbox: httpx.Client, hung_endpoint: HungServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialmetrics.maintenance.steps import default_steps, run_steps

    onboard(sandbox, "TikTok", expires_in=3_600)
    onboard(sandbox, "TikTok", expires_in=3_600)
    for name, value in {**PLATFORM_BUDGET, "TIKTOK_API_BASE_URL": hung_endpoint.url}.items():
        monkeypatch.setenv(name, value)
    reset_process_state()

    reports = {r.name: r for r in run_steps(get_settings(), datetime.now(UTC), default_steps())}
    assert reports["refresh_expiring_tokens"].ok
    assert reports["refresh_expiring_tokens"].detail["failed"] == 2
    assert hung_endpoint.connections == get_settings().provider_max_attempts  # one account tried
    assert all(report.ok for report in reports.values())
