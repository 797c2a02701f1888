"""The local AWS endpoint: moto's server on loopback, and the resources the stack defines.

:func:`bootstrap` creates, under the same names the deployed stack uses (``infra.definition``),
the KMS key and alias, every SQS queue with its DLQ and redrive policy, the app secret in
Secrets Manager and the export bucket. It is idempotent, and works the same against LocalStack.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from infra import definition
from local.runtime.postgres import free_port
from socialmetrics.aws import client
from socialmetrics.config import Settings


@contextlib.contextmanager
def moto_server(port: int | None = None) -> Iterator[str]:
    """Run moto's server on 127.0.0.1 in a thread; yields its endpoint URL.

    Stopping is bounded: moto's own ``stop`` joins its server thread without a timeout, so it
    runs in a helper thread that is given 10 s (the daemon threads end with the process)."""
    import logging
    import threading

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopper = threading.Thread(target=server.stop, name="moto-stop", daemon=True)
        stopper.start()
        stopper.join(timeout=10)


@dataclass(frozen=True)
class Resources:
    kms_key_id: str
    queue_urls: dict[str, str]
    dlq_urls: dict[str, str]
    secret_arn: str
    export_bucket: str


def _ensure_kms_key(settings: Settings) -> str:
    kms = client("kms")
    with contextlib.suppress(kms.exceptions.NotFoundException):
        key_id: str = kms.describe_key(KeyId=settings.kms_key_alias)["KeyMetadata"]["KeyId"]
        return key_id
    key = kms.create_key(
        Description="socialmetrics token envelope key",
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=settings.kms_key_alias, TargetKeyId=key["KeyId"])
    return str(key["KeyId"])


def _ensure_queue(name: str, attributes: dict[str, str]) -> str:
    sqs = client("sqs")
    url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url


def _ensure_queues(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    sqs = client("sqs")
    urls: dict[str, str] = {}
    dlqs: dict[str, str] = {}
    for queue in definition.QUEUES:
        name = f"{settings.resource_prefix}-{queue.key}"
        dlq_url = _ensure_queue(f"{name}-dlq", {"MessageRetentionPeriod": "1209600"})
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(definition.MAX_RECEIVE_COUNT)}
        )
        attributes = {
            "VisibilityTimeout": str(definition.visibility_timeout_seconds(queue)),
            "RedrivePolicy": redrive,
        }
        url = _ensure_queue(name, {"VisibilityTimeout": attributes["VisibilityTimeout"]})
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        urls[queue.key] = url
        dlqs[queue.key] = dlq_url
    return urls, dlqs


def _ensure_secret(settings: Settings) -> str:
    sm = client("secretsmanager")
    value = json.dumps(
        {name: getattr(settings, name).get_secret_value() for name in definition.APP_SECRET_KEYS}
    )
    try:
        arn: str = sm.create_secret(Name=settings.app_secret_id, SecretString=value)["ARN"]
    except sm.exceptions.ResourceExistsException:
        arn = sm.put_secret_value(SecretId=settings.app_secret_id, SecretString=value)["ARN"]
    return arn


def _ensure_bucket(settings: Settings) -> str:
    """The export bucket as the stack makes it (``infra/exports.py``): private, encrypted,
    exports expiring and unfinished multipart uploads aborted."""
    from infra import exports

    s3 = client("s3")
    name = settings.export_bucket
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=name)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": exports.EXPORT_LIFECYCLE_RULE_ID,
                    "Filter": {"Prefix": exports.EXPORT_OBJECT_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": exports.EXPORT_RETENTION_DAYS},
                    "AbortIncompleteMultipartUpload": {
                        "DaysAfterInitiation": exports.EXPORT_ABORT_UPLOADS_AFTER_DAYS
                    },
                }
            ]
        },
    )
    return name


def bootstrap(settings: Settings) -> Resources:
    """Create (or find) every AWS resource the stack defines, on the configured endpoint."""
    kms_key_id = _ensure_kms_key(settings)
    urls, dlqs = _ensure_queues(settings)
    return Resources(
        kms_key_id=kms_key_id,
        queue_urls=urls,
        dlq_urls=dlqs,
        secret_arn=_ensure_secret(settings),
        export_bucket=_ensure_bucket(settings),
    )


def reset_queues(settings: Settings, resources: Resources) -> Resources:
    """Empty every queue and DLQ, in-flight messages included (tests).

    SQS allows one PurgeQueue per queue per 60 s (moto enforces it too), so queues are
    deleted and created again under the same names instead."""
    sqs = client("sqs")
    for url in [*resources.queue_urls.values(), *resources.dlq_urls.values()]:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=url)
    return bootstrap(settings)


def queue_depth(url: str) -> dict[str, Any]:
    attributes: dict[str, Any] = client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return attributes
