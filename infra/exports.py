"""The export bucket's facts: where the export worker writes CSV exports too large for one API
response (``socialmetrics.exports``), and how long they live. The SAM template, the CDK
``Exports`` construct and the local bootstrap (``local/runtime/aws.py``) all build the bucket
from these: private, encrypted, TLS only, objects under :data:`EXPORT_OBJECT_PREFIX` expiring
after :data:`EXPORT_RETENTION_DAYS` (the jobs are pruned by maintenance after as long), and
unfinished multipart uploads aborted after :data:`EXPORT_ABORT_UPLOADS_AFTER_DAYS`."""

from __future__ import annotations

EXPORT_BUCKET_ID = "ExportBucket"  # logical id (CloudFormation names the bucket itself)
EXPORT_OBJECT_PREFIX = "exports/"  # the same as socialmetrics.exports.storage.OBJECT_PREFIX
EXPORT_OBJECTS = f"{EXPORT_OBJECT_PREFIX}*"  # what IAM grants cover, under the bucket's ARN
EXPORT_RETENTION_DAYS = 1  # EXPORT_RETENTION_DAYS of the functions, and the lifecycle rule
EXPORT_ABORT_UPLOADS_AFTER_DAYS = 1
EXPORT_LIFECYCLE_RULE_ID = "expire-exports"
# What a function may do with export objects: presign a download (the API) / write one as a
# multipart upload, and abort it when the export fails (the export worker).
EXPORT_READ_ACTIONS = ("s3:GetObject",)
EXPORT_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
