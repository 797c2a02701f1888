"""The export bucket: private, encrypted, TLS only; export objects expire after the
definition's retention and unfinished multipart uploads are aborted (``infra/exports.py``)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import exports


class Exports(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            exports.EXPORT_BUCKET_ID,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=exports.EXPORT_LIFECYCLE_RULE_ID,
                    prefix=exports.EXPORT_OBJECT_PREFIX,
                    expiration=cdk.Duration.days(exports.EXPORT_RETENTION_DAYS),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(
                        exports.EXPORT_ABORT_UPLOADS_AFTER_DAYS
                    ),
                )
            ],
        )

    def statement(self, actions: tuple[str, ...]) -> iam.PolicyStatement:
        """``actions`` on the export objects (never the whole bucket)."""
        return iam.PolicyStatement(
            actions=list(actions), resources=[self.bucket.arn_for_objects(exports.EXPORT_OBJECTS)]
        )
