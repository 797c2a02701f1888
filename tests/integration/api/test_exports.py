"""Export jobs end to end: the API's answer through Mangum (size asserted), the worker writing
to S3 over the wire, polling, tenant isolation, the DLQ and expiry."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from local.runtime import aws as local_aws
from local.runtime import pollers
from socialmetrics.aws import client as aws_client
from socialmetrics.aws import queue_url
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner
from socialmetrics.exports import service
from socialmetrics.exports.service import ExportMessage
from tests.factories import make_account
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api, Reply

ROOT = Path(__file__).resolve().parents[3]
LAMBDA_LIMIT_BYTES = 6 * 1024 * 1024
SMALL_BOUND = 4_096  # EXPORT_DIRECT_MAX_BYTES in these tests: 20 rows direct at most
CSV = {"accept": "text/csv"}


def _metrics(owner: Owner, count: int) -> None:
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO metrics (collected_at, user_id, platform_id, account_id, metric_type,"
                " value, object_type, object_id, period)"
                " SELECT timestamptz '2025-06-01' + n * interval '1 hour', :u, :p, :a,"
                " 'impressions', n * 1.5, 'post', 'post-' || mod(n, 7), 'day'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"u": owner.user_id, "p": owner.platform_id, "a": owner.account_id, "count": count},
        )


@pytest.fixture
def bound(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("EXPORT_DIRECT_MAX_BYTES", str(SMALL_BOUND))
    get_settings.cache_clear()
    yield SMALL_BOUND
    monkeypatch.delenv("EXPORT_DIRECT_MAX_BYTES", raising=False)
    get_settings.cache_clear()


def _lambda_size(reply: Reply) -> int:
    """The size of the whole Lambda response (what the 6 MB limit applies to)."""
    return len(json.dumps(reply.raw).encode())


def _job(api: Api, person: Person, query: str = "") -> dict[str, Any]:
    reply = api.call("GET", "/metrics/", token=person.token, query=query, headers=CSV)
    assert reply.status == 202, reply
    assert _lambda_size(reply) < 2_048
    job: dict[str, Any] = reply.json()
    assert reply.headers["location"] == job["status_url"] == f"/exports/{job['job_id']}"
    return job


def _direct_csv(
    api: Api, person: Person, monkeypatch: pytest.MonkeyPatch, query: str = ""
) -> bytes:
    monkeypatch.delenv("EXPORT_DIRECT_MAX_BYTES", raising=False)  # the default bound again
    get_settings.cache_clear()
    reply = api.call("GET", "/metrics/", token=person.token, query=query, headers=CSV)
    assert reply.status == 200, reply
    return reply.text.encode()


def test_a_small_export_is_the_csv_body_within_the_bound(
    api: Api, client: Person, bound: int
) -> None:
    _metrics(make_account(user_id=client.user_id), 8)
    reply = api.call("GET", "/metrics/", token=client.token, headers=CSV)
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("text/csv")
    assert len(reply.text.encode()) <= bound
    assert _lambda_size(reply) < LAMBDA_LIMIT_BYTES
    assert len(reply.text.splitlines()) == 9  # the header and eight rows


def test_a_large_export_answers_202_with_a_job_and_the_worker_writes_the_same_csv(
    api: Api,
    client: Person,
    bound: int,
    clean_queues: local_aws.Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _metrics(make_account(user_id=client.user_id), 300)
    job = _job(api, client, "metric_type=impressions")
    assert job["status"] == "pending"
    polled = api.call("GET", job["status_url"], token=client.token).json()
    assert polled["status"] == "pending"
    assert "download_url" not in polled

    drained = pollers.drain("exports")
    assert (drained.received, drained.failed) == (1, 0)

    ready = api.call("GET", job["status_url"], token=client.token)
    assert ready.status == 200, ready
    body = ready.json()
    assert (body["status"], body["rows"]) == ("ready", 300)
    downloaded = httpx.get(body["download_url"], timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"] == 'attachment; filename="metrics.csv"'
    assert downloaded.content == _direct_csv(api, client, monkeypatch, "metric_type=impressions")
    assert body["bytes"] == len(downloaded.content)
    with unit_of_work() as session:
        [event] = session.execute(
            text("SELECT user_id, data FROM signal_events WHERE type = 'export.ready'")
        ).all()
    assert event.user_id == client.user_id
    assert (event.data["export_id"], event.data["rows"]) == (job["job_id"], 300)


def test_a_limit_within_the_bound_is_answered_directly(
    api: Api, client: Person, bound: int
) -> None:
    _metrics(make_account(user_id=client.user_id), 300)
    reply = api.call("GET", "/metrics/", token=client.token, query="limit=5", headers=CSV)
    assert reply.status == 200, reply
    assert len(reply.text.splitlines()) == 6


def test_a_big_job_is_uploaded_in_parts_and_its_object_equals_the_direct_csv(
    api: Api, client: Person, bound: int, clean_queues: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1_024)  # the server is ours
    _metrics(make_account(user_id=client.user_id), 400)
    job = _job(api, client)
    message = ExportMessage(job_id=job["job_id"])
    assert service.run_job(message, get_settings(), datetime.now(UTC), part_bytes=4_096) == "ready"
    parts = client_s3_parts(job["job_id"])
    assert parts > 1
    url = api.call("GET", job["status_url"], token=client.token).json()["download_url"]
    assert httpx.get(url, timeout=10).content == _direct_csv(api, client, monkeypatch)
    # A redelivered message finds the job done and leaves it alone.
    assert service.run_job(message, get_settings(), datetime.now(UTC)) == "skipped"


def client_s3_parts(job_id: str) -> int:
    """How many parts the object was uploaded in (a multipart ETag ends in ``-<parts>``)."""
    head = aws_client("s3").head_object(
        Bucket=get_settings().export_bucket, Key=f"exports/{job_id}.csv"
    )
    etag = str(head["ETag"]).strip('"')
    return int(etag.rpartition("-")[2]) if "-" in etag else 1


def test_a_job_is_visible_to_its_requester_and_admins_only(
    api: Api,
    client: Person,
    other: Person,
    admin: Person,
    bound: int,
    clean_queues: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _metrics(make_account(user_id=client.user_id), 50)
    job = _job(api, client)
    assert api.call("GET", job["status_url"], token=other.token).status == 404
    assert api.call("GET", job["status_url"], token=admin.token).status == 200
    unknown = api.call("GET", "/exports/exp_" + "0" * 32, token=client.token)
    assert unknown.status == 404
    malformed = api.call("GET", "/exports/..%2Fsecret", token=client.token)
    assert malformed.status in (404, 422)
    assert malformed.headers["content-type"] == "application/problem+json"
    # The other user's export holds none of the client's rows.
    assert len(_direct_csv(api, other, monkeypatch).splitlines()) == 1


def _sqs_event(body: str, receive_count: int) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        (ROOT / "events" / "export_worker" / "sqs_batch.json").read_text()
    )
    record = copy.deepcopy(event["Records"][0])
    record["body"] = body
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return {"Records": [record]}


def test_an_export_failing_on_its_last_attempt_is_failed_with_a_reason(
    api: Api,
    client: Person,
    bound: int,
    clean_queues: object,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: object,
) -> None:
    from functions.export_worker.handler import handler

    _metrics(make_account(user_id=client.user_id), 50)
    job = _job(api, client)
    monkeypatch.setenv("EXPORT_BUCKET", "socialmetrics-no-such-bucket")
    get_settings.cache_clear()
    body = json.dumps({"job_id": job["job_id"]})
    first = handler(_sqs_event(body, 1), lambda_context)  # type: ignore[arg-type]
    assert len(first["batchItemFailures"]) == 1  # retried: still running
    assert api.call("GET", job["status_url"], token=client.token).json()["status"] == "running"
    last = handler(_sqs_event(body, 5), lambda_context)  # type: ignore[arg-type]
    assert len(last["batchItemFailures"]) == 1  # SQS moves it to the DLQ
    failed = api.call("GET", job["status_url"], token=client.token).json()
    assert failed["status"] == "failed"
    assert "2 attempts" in failed["reason"]
    assert "download_url" not in failed


def test_messages_that_cannot_be_processed_go_to_the_dlq(
    db: str, clean_queues: local_aws.Resources
) -> None:
    sqs = aws_client("sqs")
    for body in ("not json", '{"job_id": "exp_' + "1" * 32 + '"}', '{"job_id": "x"}'):
        sqs.send_message(QueueUrl=queue_url("exports"), MessageBody=body)
    drained = pollers.drain("exports")
    assert (drained.received, drained.failed) == (3, 0)
    dead = sqs.receive_message(
        QueueUrl=clean_queues.dlq_urls["exports"],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    )["Messages"]
    reasons = sorted(m["MessageAttributes"]["reason"]["StringValue"] for m in dead)
    assert reasons == ["invalid message: 1", "invalid message: 1", "no such export job"]


def test_jobs_expire_and_the_bucket_expires_their_objects(
    api: Api, client: Person, bound: int, clean_queues: local_aws.Resources
) -> None:
    _metrics(make_account(user_id=client.user_id), 50)
    job = _job(api, client)
    later = datetime.now(UTC) + timedelta(days=get_settings().export_retention_days, seconds=1)
    assert service.run_job(ExportMessage(job_id=job["job_id"]), get_settings(), later) == (
        "skipped"
    )
    with unit_of_work() as session:
        session.execute(
            text("UPDATE export_jobs SET expires_at = now() - interval '1 second' WHERE id = :i"),
            {"i": job["job_id"]},
        )
    assert api.call("GET", job["status_url"], token=client.token).status == 404
    assert service.prune_expired_jobs(get_settings(), datetime.now(UTC))["deleted"] == 1
    assert service.prune_expired_jobs(get_settings(), datetime.now(UTC))["deleted"] == 0
    rules = aws_client("s3").get_bucket_lifecycle_configuration(Bucket=clean_queues.export_bucket)
    [rule] = rules["Rules"]
    assert rule["Expiration"]["Days"] == get_settings().export_retention_days
    assert rule["Filter"]["Prefix"] == "exports/"


def test_erasure_deletes_the_users_export_jobs(
    api: Api, client: Person, admin: Person, bound: int, clean_queues: object
) -> None:
    _metrics(make_account(user_id=client.user_id), 50)
    _job(api, client)
    _job(api, admin, f"user_id={client.user_id}")
    reply = api.call("DELETE", f"/users/{client.user_id}", token=admin.token)
    assert reply.status in (200, 204), reply
    with unit_of_work() as session:
        assert session.execute(text("SELECT count(*) FROM export_jobs")).scalar_one() == 0
