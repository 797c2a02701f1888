"""The SQL of ``export_jobs`` (one row per export job; see the ``export_jobs`` migration)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

REASON_MAX = 255  # export_jobs.reason is varchar(255)


@dataclass(frozen=True, slots=True)
class ExportJob:
    id: str
    requested_by: int
    user_id: int | None
    request: dict[str, Any]
    status: str  # pending | running | ready | failed
    reason: str | None
    attempts: int
    object_key: str | None
    rows: int | None
    bytes: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime


_COLUMNS = (
    "id, requested_by, user_id, request, status, reason, attempts, object_key, rows, bytes,"
    " created_at, started_at, finished_at, expires_at"
)


def _job(row: Any) -> ExportJob | None:
    return None if row is None else ExportJob(**row._mapping)


def insert_job(
    session: Session,
    job_id: str,
    requested_by: int,
    user_id: int | None,
    request: dict[str, Any],
    expires_at: datetime,
) -> ExportJob:
    row = session.execute(
        text(
            "INSERT INTO export_jobs (id, requested_by, user_id, request, expires_at)"  # noqa: S608
            " VALUES (:id, :by, :u, CAST(:r AS jsonb), :exp)"
            f" RETURNING {_COLUMNS}"
        ),
        {
            "id": job_id,
            "by": requested_by,
            "u": user_id,
            "r": json.dumps(request),
            "exp": expires_at,
        },
    ).one()
    job = _job(row)
    assert job is not None
    return job


def get_job(session: Session, job_id: str) -> ExportJob | None:
    return _job(
        session.execute(
            text(f"SELECT {_COLUMNS} FROM export_jobs WHERE id = :id"),  # noqa: S608
            {"id": job_id},
        ).one_or_none()
    )


def claim(session: Session, job_id: str, now: datetime) -> ExportJob | None:
    """Mark a pending (or interrupted running) job as running, counting the attempt; ``None``
    when the job is unknown, expired or already finished."""
    return _job(
        session.execute(
            text(
                "UPDATE export_jobs SET status = 'running', attempts = attempts + 1,"  # noqa: S608
                " started_at = :now WHERE id = :id AND status IN ('pending', 'running')"
                f" AND expires_at > :now RETURNING {_COLUMNS}"
            ),
            {"id": job_id, "now": now},
        ).one_or_none()
    )


def finish(
    session: Session, job_id: str, object_key: str, rows: int, size: int, now: datetime
) -> None:
    session.execute(
        text(
            "UPDATE export_jobs SET status = 'ready', object_key = :key, rows = :rows,"
            " bytes = :bytes, finished_at = :now, reason = NULL WHERE id = :id"
        ),
        {"id": job_id, "key": object_key, "rows": rows, "bytes": size, "now": now},
    )


def fail(session: Session, job_id: str, reason: str, now: datetime) -> None:
    session.execute(
        text(
            "UPDATE export_jobs SET status = 'failed', reason = :reason, finished_at = :now"
            " WHERE id = :id AND status <> 'ready'"
        ),
        {"id": job_id, "reason": reason[:REASON_MAX], "now": now},
    )


def delete_expired(session: Session, now: datetime) -> int:
    result = session.execute(text("DELETE FROM export_jobs WHERE expires_at <= :now"), {"now": now})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_for_user(session: Session, user_id: int) -> int:
    """Jobs that hold the user's metrics or that the user requested (erasure)."""
    result = session.execute(
        text("DELETE FROM export_jobs WHERE user_id = :u OR requested_by = :u"), {"u": user_id}
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
