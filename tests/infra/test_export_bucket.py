"""The export bucket and its grants, the same in the CDK stack and the SAM template: private,
encrypted, TLS only, exports expiring; only the api may read and only the worker may write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import compare, definition, exports
from tests.infra.conftest import Synth

OBJECTS = f"${{{exports.EXPORT_BUCKET_ID}.Arn}}/{exports.EXPORT_OBJECTS}"


def _bucket(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [found] = [
        (name, body)
        for name, body in document["Resources"].items()
        if body["Type"] == "AWS::S3::Bucket" and name.startswith(exports.EXPORT_BUCKET_ID)
    ]
    return found


@pytest.fixture(params=["cdk", "sam"])
def document(request: pytest.FixtureRequest, synth: Synth) -> dict[str, Any]:
    return synth.document if request.param == "cdk" else compare.sam_document()


def test_the_bucket_is_private_encrypted_tls_only_and_expires_exports(
    document: dict[str, Any],
) -> None:
    name, bucket = _bucket(document)
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["Prefix"] == exports.EXPORT_OBJECT_PREFIX
    assert rule["ExpirationInDays"] == definition.EXPORT_RETENTION_DAYS
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    [policy] = [
        body
        for body in document["Resources"].values()
        if body["Type"] == "AWS::S3::BucketPolicy" and name in json.dumps(body)
    ]
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Action"]) == ("Deny", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_the_api_reads_and_only_the_worker_writes_export_objects(
    document: dict[str, Any],
) -> None:
    functions = compare.model(document)["functions"]
    bucket = f"${{{exports.EXPORT_BUCKET_ID}"
    s3 = {
        name: {grant for grant in function["iam"] if bucket in grant}
        for name, function in functions.items()
    }
    assert s3.pop("function:socialmetrics-api") == {f"s3:GetObject {OBJECTS}"}
    assert s3.pop("function:socialmetrics-export-worker") == {
        f"s3:PutObject {OBJECTS}",
        f"s3:AbortMultipartUpload {OBJECTS}",
    }
    assert not any(s3.values())
    worker = functions["function:socialmetrics-export-worker"]
    assert "EXPORT_BUCKET=<computed>" in worker["environment"]
    [source] = worker["queues"]
    assert (source["queue"], source["batch_size"], source["partial_batch"]) == (
        "${queue:socialmetrics-exports.Arn}",
        1,
        True,
    )
