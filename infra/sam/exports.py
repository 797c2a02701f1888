"""The export bucket of the SAM template: private, encrypted, TLS only, exports expiring."""

from __future__ import annotations

from infra import definition, exports
from infra.sam.cfn import Template, deny_without_tls, private_bucket_properties, ref, sub


def objects() -> dict[str, str]:
    """The export objects, as IAM statements name them."""
    return sub(f"${{{exports.EXPORT_BUCKET_ID}.Arn}}/{exports.EXPORT_OBJECTS}")


def resources() -> Template:
    bucket = exports.EXPORT_BUCKET_ID
    return {
        bucket: {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                **private_bucket_properties(),
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": exports.EXPORT_LIFECYCLE_RULE_ID,
                            "Prefix": exports.EXPORT_OBJECT_PREFIX,
                            "Status": "Enabled",
                            "ExpirationInDays": definition.EXPORT_RETENTION_DAYS,
                            "AbortIncompleteMultipartUpload": {
                                "DaysAfterInitiation": exports.EXPORT_ABORT_UPLOADS_AFTER_DAYS
                            },
                        }
                    ]
                },
            },
        },
        f"{bucket}Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref(bucket),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [deny_without_tls(bucket)],
                },
            },
        },
    }
