"""CSV exports: a direct response body when it fits, else an export job run by a worker.

Lambda answers at most 6 MB, and Mangum buffers a streamed body whole, so no CSV response may
grow past ``EXPORT_DIRECT_MAX_BYTES``. :func:`csv_export` decides before any byte is sent:

1. a capped count of the matching rows (an index range scan of at most
   ``EXPORT_DIRECT_MAX_BYTES / ESTIMATED_ROW_BYTES + 1`` entries): more rows → a job;
2. else Postgres renders the CSV (``COPY``, see ``metrics_query/csv_copy.py``) into memory
   and its real size is checked: larger than the bound (unusually long rows) → a job.

A job (``export_jobs``) is queued on ``exports`` after the request commits (:func:`enqueue`);
the export worker (:func:`run_job`) writes the same CSV to the export bucket as a multipart
upload, marks the job ``ready`` and emits ``export.ready`` — the outbound event the LGPD data
export emits too. ``GET /exports/{id}`` then answers a presigned URL. Jobs and objects expire
after ``EXPORT_RETENTION_DAYS`` (:func:`prune_expired_jobs`, the bucket's lifecycle rule).
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from socialmetrics.aws import client, queue_url
from socialmetrics.config import Settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.errors import NotFound
from socialmetrics.exports import queries, storage
from socialmetrics.exports.queries import ExportJob
from socialmetrics.logging import logger
from socialmetrics.metrics_query.csv_copy import copy_csv
from socialmetrics.metrics_query.fields import iso
from socialmetrics.metrics_query.queries import MetricFilter, count_rows
from socialmetrics.signals.events import emit

EXPORTS_QUEUE = "exports"
# A typical row is ~110 bytes; the estimate only picks the path, the real size is checked.
ESTIMATED_ROW_BYTES = 200
JOB_ID_PATTERN = r"^exp_[0-9a-f]{32}$"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to export: the rows ``GET /metrics/`` lists for ``filter`` after the keyset
    ``after``, at most ``limit`` (all when ``None``)."""

    filter: MetricFilter
    after: tuple[datetime, int] | None = None
    limit: int | None = None

    def to_json(self) -> dict[str, Any]:
        fields = {
            name: iso(value) if isinstance(value, datetime) else value
            for name, value in asdict(self.filter).items()
        }
        after = None if self.after is None else [iso(self.after[0]), self.after[1]]
        return {"filter": fields, "after": after, "limit": self.limit}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportRequest:
        """The request stored by :meth:`to_json`; ``ValueError`` (or ``TypeError``/``KeyError``)
        when it is not one."""
        fields = dict(data["filter"])
        for name in ("start", "end"):
            if fields.get(name) is not None:
                fields[name] = datetime.fromisoformat(fields[name])
        after = data["after"]
        return cls(
            filter=MetricFilter(**fields),
            after=None if after is None else (datetime.fromisoformat(after[0]), int(after[1])),
            limit=None if data["limit"] is None else int(data["limit"]),
        )


def direct_row_limit(settings: Settings) -> int:
    return max(1, settings.export_direct_max_bytes // ESTIMATED_ROW_BYTES)


def csv_export(
    session: Session, requested_by: int, settings: Settings, request: ExportRequest, now: datetime
) -> bytes | ExportJob:
    """The CSV itself when it is at most ``EXPORT_DIRECT_MAX_BYTES``, else a new job of the
    user ``requested_by`` (queue it with :func:`enqueue` once the session has committed)."""
    rows = direct_row_limit(settings)
    matching = count_rows(session, request.filter, request.after, rows + 1)
    if request.limit is not None:
        matching = min(matching, request.limit)
    if matching <= rows:
        body = io.BytesIO()
        copy_csv(session, request.filter, request.limit, request.after, body)
        if body.tell() <= settings.export_direct_max_bytes:
            return body.getvalue()
    return queries.insert_job(
        session,
        "exp_" + uuid.uuid4().hex,
        requested_by,
        request.filter.user_id,
        request.to_json(),
        now + timedelta(days=settings.export_retention_days),
    )


def enqueue(job: ExportJob, now: datetime) -> None:
    """Queue ``job`` for the export worker; if SQS refuses, the job is marked failed (the
    caller answers 503) so polling it never waits for a message that was not sent."""
    try:
        client("sqs").send_message(
            QueueUrl=queue_url(EXPORTS_QUEUE), MessageBody=json.dumps({"job_id": job.id})
        )
    except Exception:
        with unit_of_work() as session:
            queries.fail(session, job.id, "The export could not be queued; ask again.", now)
        raise


def visible_job(
    session: Session, user_id: int | None, is_admin: bool, job_id: str, now: datetime
) -> ExportJob:
    """The job, if the caller (``user_id``, an admin or not) may see it: the user who
    requested it, or an admin. Unknown, expired and other users' jobs are all 404."""
    job = queries.get_job(session, job_id)
    if job is None or job.expires_at <= now or (not is_admin and job.requested_by != user_id):
        raise NotFound("Export job not found.")
    return job


def download_url(settings: Settings, job: ExportJob) -> str | None:
    """A fresh presigned URL of a ready job's CSV (``None`` before it is ready)."""
    if job.status != "ready" or job.object_key is None:
        return None
    return storage.download_url(
        settings.export_bucket, job.object_key, settings.export_url_expiry_seconds
    )


# --- the worker ----------------------------------------------------------------------------------


class ExportMessage(BaseModel):
    """The body of an ``exports`` queue message."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    job_id: str = Field(pattern=JOB_ID_PATTERN)


class UnknownJob(LookupError):
    """The message names no export job (never created, or pruned long ago)."""


def run_job(
    message: ExportMessage,
    settings: Settings,
    now: datetime,
    *,
    last_attempt: bool = False,
    part_bytes: int = storage.PART_BYTES,
) -> str:
    """Write the job's CSV to the bucket and mark it ready; returns what happened
    (``ready``, or ``skipped`` for a job already finished or expired, whose message is a
    redelivery). A failure on the ``last_attempt`` marks the job failed with the reason before
    it is raised (the message then goes to the DLQ); earlier failures are retried."""
    with unit_of_work() as session:
        job = queries.get_job(session, message.job_id)
        if job is None:
            raise UnknownJob(message.job_id)
        job = queries.claim(session, message.job_id, now)
    if job is None:
        return "skipped"
    try:
        request = ExportRequest.from_json(job.request)
    except (ValueError, TypeError, KeyError):
        _fail(job, "The export request could not be read.", now)
        return "failed"
    key = storage.object_key(job.id)
    try:
        with (
            unit_of_work() as session,
            storage.MultipartUpload(settings.export_bucket, key, part_bytes) as upload,
        ):
            rows = copy_csv(session, request.filter, request.limit, request.after, upload)
            upload.complete()
    except Exception as exc:
        if last_attempt:
            _fail(
                job, f"The export failed after {job.attempts} attempts ({type(exc).__name__}).", now
            )
        raise
    with unit_of_work() as session:
        queries.finish(session, job.id, key, rows, upload.bytes, now)
        emit(
            session,
            job.requested_by,
            "export.ready",
            {
                "export_id": job.id,
                "user_id": job.user_id,
                "requested_by": job.requested_by,
                "exported_at": iso(now),
                "rows": rows,
                "path": f"/exports/{job.id}",
            },
        )
    logger.info("export ready", extra={"export_id": job.id, "rows": rows, "bytes": upload.bytes})
    return "ready"


def _fail(job: ExportJob, reason: str, now: datetime) -> None:
    with unit_of_work() as session:
        queries.fail(session, job.id, reason, now)
    logger.warning("export failed", extra={"export_id": job.id, "reason": reason})


def prune_expired_jobs(settings: Settings, now: datetime) -> dict[str, Any]:
    """Maintenance: delete jobs past their ``expires_at`` (their objects expire by the
    bucket's lifecycle rule after as many days)."""
    with unit_of_work() as session:
        deleted = queries.delete_expired(session, now)
    return {"deleted": deleted, "retention_days": settings.export_retention_days}
