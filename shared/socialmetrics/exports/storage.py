"""The export bucket: a CSV written as an S3 multipart upload, fetched through a presigned URL.

:class:`MultipartUpload` is a sink for ``csv_copy.copy_csv``: it keeps one part in memory
(:data:`PART_BYTES`), uploads it when full and starts the next, so an export of any size never
sits in memory whole. A failed export aborts its upload (and the bucket's lifecycle rule
aborts any that a crash left behind).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from socialmetrics.aws import client
from socialmetrics.logging import logger

PART_BYTES = 8 * 1024 * 1024  # S3 needs >= 5 MiB for every part but the last
OBJECT_PREFIX = "exports/"  # the prefix the bucket's expiry rule applies to
CONTENT_TYPE = "text/csv; charset=utf-8"


def object_key(job_id: str) -> str:
    return f"{OBJECT_PREFIX}{job_id}.csv"


class MultipartUpload:
    """Write bytes with :meth:`write`; :meth:`complete` on success, else the upload is aborted
    when the ``with`` block raises."""

    def __init__(self, bucket: str, key: str, part_bytes: int = PART_BYTES) -> None:
        self.bucket = bucket
        self.key = key
        self.part_bytes = part_bytes
        self.bytes = 0
        self._buffer = bytearray()
        self._parts: list[dict[str, object]] = []
        self._upload_id: str | None = None

    def __enter__(self) -> Self:
        created = client("s3").create_multipart_upload(
            Bucket=self.bucket, Key=self.key, ContentType=CONTENT_TYPE
        )
        self._upload_id = str(created["UploadId"])
        return self

    def write(self, data: bytes, /) -> int:
        self._buffer += data
        self.bytes += len(data)
        if len(self._buffer) >= self.part_bytes:
            self._flush()
        return len(data)

    def _flush(self) -> None:
        number = len(self._parts) + 1
        uploaded = client("s3").upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
        )
        self._parts.append({"PartNumber": number, "ETag": uploaded["ETag"]})
        self._buffer.clear()

    def complete(self) -> None:
        if self._buffer or not self._parts:
            self._flush()
        client("s3").complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        self._upload_id = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._upload_id is None:
            return
        try:
            client("s3").abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )
        except Exception:  # the lifecycle rule aborts it later; the export's error matters
            logger.warning("could not abort the multipart upload", extra={"key": self.key})


def download_url(bucket: str, key: str, expires_in: int) -> str:
    """A presigned GET of ``key`` valid ``expires_in`` seconds, saved as ``metrics.csv``."""
    url: str = client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": 'attachment; filename="metrics.csv"',
        },
        ExpiresIn=expires_in,
    )
    return url
