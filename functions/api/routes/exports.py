"""CSV exports: the answer of ``GET /metrics/`` with ``Accept: text/csv`` (a body, or an export
job when the CSV could exceed ``EXPORT_DIRECT_MAX_BYTES``) and ``GET /exports/{export_id}``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from functions.api.deps import CurrentActor, DbSession, header_refs, problem_responses, route
from functions.api.schemas import examples
from socialmetrics.config import get_settings
from socialmetrics.exports import service as exports
from socialmetrics.exports.queries import ExportJob
from socialmetrics.metrics_query.fields import CSV_CHUNK

router = APIRouter(tags=["metrics"])
ExportId = Annotated[
    str, Path(pattern=exports.JOB_ID_PATTERN, description="The job id from the 202 answer")
]
_EXAMPLE_ID = "exp_6f1c2d3e4b5a69788796a5b4c3d2e1f0"


class ExportJobOut(BaseModel):
    """An export job: poll ``status_url`` until ``status`` is ``ready`` (then download
    ``download_url`` before ``download_expires_at``) or ``failed`` (``reason`` says why)."""

    job_id: str = Field(examples=[_EXAMPLE_ID])
    status: Literal["pending", "running", "ready", "failed"]
    status_url: str = Field(examples=[f"/exports/{_EXAMPLE_ID}"])
    created_at: datetime
    expires_at: datetime = Field(description="When the job and its file are deleted.")
    rows: int | None = Field(default=None, description="Rows written (once ready).")
    bytes: int | None = Field(default=None, description="Size of the CSV (once ready).")
    download_url: str | None = Field(
        default=None, description="A presigned URL of the CSV (once ready); a new one per poll."
    )
    download_expires_at: datetime | None = None
    reason: str | None = Field(default=None, description="Why the job failed.")
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "job_id": _EXAMPLE_ID,
                "status": "ready",
                "status_url": f"/exports/{_EXAMPLE_ID}",
                "created_at": "2026-11-30T19:00:00Z",
                "expires_at": "2026-12-01T19:00:00Z",
                "rows": 333000,
                "bytes": 36630000,
                "download_url": "https://socialmetrics-exportbucket.s3.amazonaws.com/exports/"
                f"{_EXAMPLE_ID}.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&…",
                "download_expires_at": "2026-11-30T19:20:00Z",
            }
        )
    )


def _status_url(job_id: str) -> str:
    return f"/exports/{job_id}"


def _out(job: ExportJob, now: datetime) -> ExportJobOut:
    settings = get_settings()
    url = exports.download_url(settings, job)
    return ExportJobOut(
        job_id=job.id,
        status=job.status,  # type: ignore[arg-type]
        status_url=_status_url(job.id),
        created_at=job.created_at,
        expires_at=job.expires_at,
        rows=job.rows,
        bytes=job.bytes,
        download_url=url,
        download_expires_at=None
        if url is None
        else now + timedelta(seconds=settings.export_url_expiry_seconds),
        reason=job.reason,
    )


def _pieces(body: bytes) -> Iterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(view), CSV_CHUNK):
        yield bytes(view[start : start + CSV_CHUNK])


def csv_reply(exported: bytes | ExportJob, now: datetime) -> StreamingResponse | JSONResponse:
    """The CSV (streamed in pieces) when it fit the bound; else queue the job and answer
    202 with it (``Location``: where to poll)."""
    if isinstance(exported, bytes):
        return StreamingResponse(
            _pieces(exported),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="metrics.csv"'},
        )
    exports.enqueue(exported, now)
    return JSONResponse(
        _out(exported, now).model_dump(mode="json", exclude_none=True),
        status_code=202,
        headers={"Location": _status_url(exported.id)},
    )


JOB_RESPONSE = {
    "description": "The CSV would be larger than one response may be: an export job was "
    "queued; poll `status_url`",
    "headers": header_refs("Location"),
    "model": ExportJobOut,
}


@route(
    router,
    "GET",
    "/exports/{export_id}",
    operation_id="getExport",
    summary="An export job's status; once ready, a short-lived download URL of its CSV",
    response_model=ExportJobOut,
    response_model_exclude_none=True,
    responses=problem_responses(401, 404),
)
def get_export(session: DbSession, export_id: ExportId, actor: CurrentActor) -> ExportJobOut:
    now = datetime.now(UTC)
    job = exports.visible_job(session, actor.user_id, actor.is_admin, export_id, now)
    return _out(job, now)
