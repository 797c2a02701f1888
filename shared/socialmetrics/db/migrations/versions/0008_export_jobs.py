"""export jobs: CSV exports too large for one API response, written to S3 by a worker

One row per requested export: who asked (``requested_by``), whose metrics (``user_id``; NULL
when an admin exported every user's), what was asked (``request``: the filter, keyset and
limit), and where it stands (``pending`` → ``running`` → ``ready`` | ``failed`` with a
``reason``). Rows and their S3 objects expire at ``expires_at`` (maintenance prunes the rows,
the bucket's lifecycle rule the objects).

Revision ID: export_jobs
Revises: signal_retention
Create Date: 2026-11-30 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "export_jobs"
down_revision: str | None = "signal_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE export_jobs (
            id text PRIMARY KEY,
            requested_by bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            user_id bigint REFERENCES users (id) ON DELETE CASCADE,
            request jsonb NOT NULL,
            status varchar(16) NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'ready', 'failed')),
            reason varchar(255),
            attempts smallint NOT NULL DEFAULT 0,
            object_key text,
            rows bigint,
            bytes bigint,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            expires_at timestamptz NOT NULL
        )
        """
    )
    op.create_index("export_jobs_requested_by_idx", "export_jobs", ["requested_by", "created_at"])
    op.create_index("export_jobs_user_idx", "export_jobs", ["user_id"])
    op.create_index("export_jobs_expires_at_idx", "export_jobs", ["expires_at"])


def downgrade() -> None:
    op.drop_table("export_jobs")
