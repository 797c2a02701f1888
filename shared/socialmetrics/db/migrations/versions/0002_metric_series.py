"""metric series: indexes for a user's rows in time order and for one account's rows

``GET /metrics/`` orders by ``collected_at DESC, id DESC`` and continues from a keyset
cursor. ``(user_id, platform_id, collected_at, id)`` serves it only with a platform filter;
a client's plain ``GET /metrics/`` (no platform) and the new ``account_id`` filter need
their own ``(…, collected_at, id)`` index to be answered by a backward range scan instead of
a sort of every matching row. Created on the partitioned parent, so Postgres builds one per
monthly partition (and every partition attached later gets its own).

Revision ID: metric_series
Revises: 0001
Create Date: 2026-11-30 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "metric_series"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "metrics_user_time_idx": ["user_id", "collected_at", "id"],
    "metrics_account_time_idx": ["account_id", "collected_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "metrics", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="metrics")
