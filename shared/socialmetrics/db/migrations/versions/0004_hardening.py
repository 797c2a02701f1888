"""hardening: webhook entries rejected at ingest, and a backoff counter for login throttling

Revision ID: hardening
Revises: signals
Create Date: 2026-11-30 15:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hardening"
down_revision: str | None = "signals"  # chained after 0003_signals
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=True),
        sa.Column("entry_index", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=255), nullable=True),
        sa.Column("entry_digest", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "rejected_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "entry_digest", name="webhook_rejections_entry_key"),
    )
    op.create_index(
        "webhook_rejections_rejected_at_idx", "webhook_rejections", ["rejected_at"], unique=False
    )
    op.add_column(
        "login_failures",
        sa.Column("blocks", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("login_failures", "blocks")
    op.drop_index("webhook_rejections_rejected_at_idx", table_name="webhook_rejections")
    op.drop_table("webhook_rejections")
