"""/webhook-endpoints: register (secret once), list, read, delete, rotate, delivery log and
retry, each client seeing only its own; unsafe URLs are 422 problems."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from local.runtime.aws import Resources
from local.runtime.receiver import serve
from socialmetrics.aws import client as aws_client
from socialmetrics.aws import queue_url
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.signals.delivery import QUEUE, DeliveryMessage, process, relay
from socialmetrics.signals.events import emit
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def _register(api: Api, person: Person, url: str, **extra: object) -> dict[str, object]:
    reply = api.call("POST", "/webhook-endpoints", token=person.token, body={"url": url, **extra})
    assert reply.status == 201, reply
    body: dict[str, object] = reply.json()
    return body


def test_the_secret_is_shown_once_and_endpoints_are_private(
    api: Api, client: Person, other: Person
) -> None:
    created = _register(
        api, client, "http://127.0.0.1:9/hook", event_types=["export.ready"], description="ops"
    )
    assert str(created["secret"]).startswith("whsec_")
    endpoint_id = created["id"]
    listed = api.call("GET", "/webhook-endpoints", token=client.token).json()
    assert [e["id"] for e in listed] == [endpoint_id]
    assert "secret" not in listed[0]
    assert str(created["secret"]) not in json.dumps(listed)
    one = api.call("GET", f"/webhook-endpoints/{endpoint_id}", token=client.token)
    assert one.status == 200
    assert one.json()["event_types"] == ["export.ready"]
    assert api.call("GET", f"/webhook-endpoints/{endpoint_id}", token=other.token).status == 404
    assert api.call("GET", "/webhook-endpoints", token=other.token).json() == []
    assert api.call("DELETE", f"/webhook-endpoints/{endpoint_id}", token=other.token).status == 404
    assert api.call("GET", "/webhook-endpoints").status == 401
    rotated = api.call(
        "POST", f"/webhook-endpoints/{endpoint_id}/rotate-secret", token=client.token
    )
    assert rotated.status == 200
    assert rotated.json()["secret"] != created["secret"]
    assert api.call("DELETE", f"/webhook-endpoints/{endpoint_id}", token=client.token).status == 204
    assert api.call("GET", f"/webhook-endpoints/{endpoint_id}", token=client.token).status == 404


def test_unsafe_urls_and_unknown_event_types_are_422_problems(api: Api, client: Person) -> None:
    for body in (
        {"url": "http://10.0.0.1/hook"},
        {"url": "http://169.254.169.254/latest/meta-data"},
        {"url": "ftp://127.0.0.1/hook"},
        {"url": "http://127.0.0.1:9/hook", "event_types": ["account.exploded"]},
        {"url": "http://127.0.0.1:9/hook", "unknown": 1},
    ):
        reply = api.call("POST", "/webhook-endpoints", token=client.token, body=body)
        assert reply.status == 422, (body, reply)
        assert reply.headers["content-type"].startswith("application/problem+json")
    assert api.call("GET", "/webhook-endpoints", token=client.token).json() == []


def test_delivery_log_and_manual_retry(api: Api, client: Person, clean_queues: Resources) -> None:
    with serve() as receiver:
        receiver.status = 503
        created = _register(api, client, receiver.url)
        with unit_of_work() as session:
            emit(session, client.user_id, "export.ready", {"export_id": "x1"})
        settings = get_settings().model_copy(update={"signal_requeue_max_delay_seconds": 0})
        now = datetime.now(UTC)
        relay(settings, now)
        sqs = aws_client("sqs")
        [message] = sqs.receive_message(QueueUrl=queue_url(QUEUE))["Messages"]
        sqs.delete_message(QueueUrl=queue_url(QUEUE), ReceiptHandle=message["ReceiptHandle"])
        process(
            DeliveryMessage.model_validate_json(message["Body"]), settings, now, random.Random()
        )
        path = f"/webhook-endpoints/{created['id']}/deliveries"
        [delivery] = api.call("GET", path, token=client.token).json()
        assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
            "pending",
            1,
            503,
        )
        assert delivery["attempt_log"][0]["latency_ms"] >= 0
        assert delivery["event_type"] == "export.ready"
        busy = api.call("POST", f"{path}/{delivery['id']}/retry", token=client.token)
        assert busy.status == 409  # already pending: its retry is scheduled
        assert api.call("POST", f"{path}/999/retry", token=client.token).status == 404
        with unit_of_work() as session:
            from sqlalchemy import text

            session.execute(text("UPDATE webhook_deliveries SET status = 'dead'"))
        retried = api.call("POST", f"{path}/{delivery['id']}/retry", token=client.token)
        assert retried.status == 202, retried
        assert retried.json()["status"] == "pending"
        [queued] = sqs.receive_message(QueueUrl=queue_url(QUEUE))["Messages"]
        assert json.loads(queued["Body"]) == {"delivery_id": delivery["id"], "attempts": 1}


def _events(user_id: int) -> list[tuple[str, dict[str, object]]]:
    from sqlalchemy import text

    with unit_of_work() as session:
        rows = session.execute(
            text("SELECT type, data FROM signal_events WHERE user_id = :u ORDER BY created_at"),
            {"u": user_id},
        ).all()
    return [(r.type, r.data) for r in rows]


def test_withdrawing_consent_and_exporting_emit_events(api: Api, client: Person) -> None:
    def consent(given: bool) -> None:
        reply = api.call(
            "POST",
            "/consent/",
            token=client.token,
            body={"user_id": client.user_id, "consent_given": given},
        )
        assert reply.status == 201, reply

    consent(True)
    consent(False)
    consent(False)  # already withdrawn: no second event
    export = api.call("GET", f"/users/{client.user_id}/export", token=client.token)
    assert export.status == 200
    events = _events(client.user_id)
    assert [t for t, _ in events] == ["consent.withdrawn", "export.ready"]
    assert events[0][1]["purpose"] == "metrics_collection"
    assert events[1][1]["path"] == f"/users/{client.user_id}/export"


def test_erasure_removes_endpoints_events_and_usage(api: Api, client: Person) -> None:
    from sqlalchemy import text

    _register(api, client, "http://127.0.0.1:9/hook")
    with unit_of_work() as session:
        emit(session, client.user_id, "export.ready", {"export_id": "x1"})
    assert api.call("DELETE", f"/users/{client.user_id}", token=client.token).status == 204
    with unit_of_work() as session:
        left = session.execute(
            text(
                "SELECT (SELECT count(*) FROM webhook_endpoints WHERE user_id = :u)"
                " + (SELECT count(*) FROM signal_events WHERE user_id = :u)"
            ),
            {"u": client.user_id},
        ).scalar_one()
    assert left == 0
