"""scheduler due: the due-accounts index also orders by id

The scheduler claims due accounts with ``ORDER BY next_collect_at, id LIMIT :page``. With an
index on ``next_collect_at`` alone Postgres sorts every due account for every page (a tick over
N due accounts cost O(N²): 0.6 s a page at 20k due); ``(next_collect_at, id)`` hands the rows
over in claim order and the page stops after ``:page`` rows (~15 ms).

Revision ID: scheduler_due
Revises: collection_parts
Create Date: 2026-11-30 16:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduler_due"
down_revision: str | None = "collection_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.drop_index("accounts_due_idx", table_name="accounts", postgresql_where=ACTIVE)
    op.create_index(
        "accounts_due_idx", "accounts", ["next_collect_at", "id"], postgresql_where=ACTIVE
    )


def downgrade() -> None:
    op.drop_index("accounts_due_idx", table_name="accounts", postgresql_where=ACTIVE)
    op.create_index("accounts_due_idx", "accounts", ["next_collect_at"], postgresql_where=ACTIVE)
