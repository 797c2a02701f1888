"""POST /accounts/{id}/collect: admin-only, queues the account on its family queue."""

from __future__ import annotations

import json

from local.runtime.aws import Resources
from socialmetrics.aws import client, queue_url
from tests.factories import make_account, set_account
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def _queued(key: str) -> list[dict[str, object]]:
    got = client("sqs").receive_message(QueueUrl=queue_url(key), MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_admin_queues_one_account_now(api: Api, admin: Person, clean_queues: Resources) -> None:
    owner = make_account(platform="TikTok")
    reply = api.call("POST", f"/accounts/{owner.account_id}/collect", token=admin.token)
    assert reply.status == 202, reply
    body = reply.json()
    assert body["account_id"] == owner.account_id
    assert body["job_id"].startswith("manual-")
    [message] = _queued("collect-tiktok")
    assert message["account_id"] == owner.account_id
    assert message["job_id"] == body["job_id"]


def test_clients_and_anonymous_cannot_queue(
    api: Api, client: Person, clean_queues: Resources
) -> None:
    owner = make_account(platform="X", user_id=client.user_id)
    assert (
        api.call("POST", f"/accounts/{owner.account_id}/collect", token=client.token).status == 403
    )
    assert api.call("POST", f"/accounts/{owner.account_id}/collect").status == 401
    assert _queued("collect-x") == []


def test_unknown_or_inactive_account_is_404(
    api: Api, admin: Person, clean_queues: Resources
) -> None:
    owner = make_account(platform="X")
    set_account(owner.account_id, status="revoked")
    for account_id in (owner.account_id, 987_654):
        reply = api.call("POST", f"/accounts/{account_id}/collect", token=admin.token)
        assert reply.status == 404
        assert reply.headers["content-type"] == "application/problem+json"
    assert _queued("collect-x") == []
