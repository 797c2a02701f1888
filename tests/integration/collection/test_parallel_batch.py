"""The collector's batch on one loop and one pooled client: records run concurrently, each
outcome mapped to the queue on its own; a token the platform calls expired is refreshed once
and the call sent again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from socialmetrics.providers.runtime import runtime
from tests.integration.collection.conftest import Onboarded, onboard
from tests.integration.collection.test_pipeline import _dlq_bodies, _rows

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:socialmetrics-collect-x"


def _record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "not-a-real-handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def _body(account_id: int, platform: str = "X") -> str:
    now = datetime.now(UTC).isoformat()
    return (
        f'{{"platform": "{platform}", "account_id": {account_id}, "job_id": "t",'
        f' "window_start": "{now}", "window_end": "{now}"}}'
    )


def _event(*accounts: Onboarded) -> dict[str, Any]:
    return {"Records": [_record(f"m-{a.account_id}", _body(a.account_id)) for a in accounts]}


def _account(account_id: int) -> Any:
    with unit_of_work() as session:
        return session.execute(
            text("SELECT status, token_expires_at FROM accounts WHERE id = :a"),
            {"a": account_id},
        ).one()


def _fault(sandbox: httpx.Client, account: Onboarded, kind: str, **extra: Any) -> None:
    body = {"platform": account.platform, "account": account.remote["id"], "kind": kind, **extra}
    assert sandbox.post("/_sandbox/faults", json=body).status_code == 201


def test_one_bad_record_does_not_sink_its_good_neighbours(
    sandbox: httpx.Client, lambda_context: Any
) -> None:
    from functions.collector.handler import handler

    good = [onboard(sandbox, "X"), onboard(sandbox, "X")]
    failing = onboard(sandbox, "X")
    _fault(sandbox, failing, "server_error")
    ghost = _body(999_999)  # no such account: a poison message
    event = _event(good[0], failing, good[1])
    event["Records"] += [_record("m-poison", "{not json"), _record("m-ghost", ghost)]

    reply = handler(event, lambda_context)

    assert reply["batchItemFailures"] == [{"itemIdentifier": f"m-{failing.account_id}"}]
    assert all(_rows(a.account_id) > 0 for a in good)
    assert _rows(failing.account_id) == 0
    assert sorted(d["body"] for d in _dlq_bodies("collect-x")) == sorted(["{not json", ghost])


def test_records_of_a_batch_share_the_containers_client_across_invocations(
    sandbox: httpx.Client, lambda_context: Any
) -> None:
    from functions.collector.handler import handler

    accounts = [onboard(sandbox, "X") for _ in range(3)]
    handler(_event(*accounts[:2]), lambda_context)
    first = runtime().http(_settings())
    reply = handler(_event(accounts[2]), lambda_context)
    assert reply["batchItemFailures"] == []
    assert runtime().http(_settings()) is first
    assert all(_rows(a.account_id) > 0 for a in accounts)


def test_a_token_the_platform_calls_expired_is_refreshed_once_and_the_call_sent_again(
    sandbox: httpx.Client, lambda_context: Any
) -> None:
    from functions.collector.handler import handler

    account = onboard(sandbox, "X")
    before = _account(account.account_id).token_expires_at
    _fault(sandbox, account, "token_expired", times=1)

    reply = handler(_event(account), lambda_context)

    assert reply["batchItemFailures"] == []
    row = _account(account.account_id)
    assert row.status == "active"
    assert row.token_expires_at != before  # the rotated pair was stored
    assert _rows(account.account_id) > 0
    with unit_of_work() as session:
        refreshes = session.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'token.refresh_stored'"
                " AND subject_type = 'account' AND subject_id = :a"
            ),
            {"a": str(account.account_id)},
        ).scalar_one()
    assert refreshes == 1


def test_an_expired_token_whose_refresh_fails_needs_reauth_as_before(
    sandbox: httpx.Client, lambda_context: Any
) -> None:
    from functions.collector.handler import handler

    account = onboard(
        sandbox,
        "X",
        stored_refresh_token="not-a-refresh-token-the-platform-knows",
        stored_expires_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    _fault(sandbox, account, "token_expired")

    reply = handler(_event(account), lambda_context)

    assert reply["batchItemFailures"] == []  # acknowledged, not retried
    assert _account(account.account_id).status == "reauth_required"
    assert _rows(account.account_id) == 0


def _settings() -> Any:
    from socialmetrics.config import get_settings

    return get_settings()
