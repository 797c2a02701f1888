"""signal retention: outbound deliveries indexed by event

Maintenance prunes outbound events past ``SIGNAL_EVENTS_RETENTION_DAYS``; their deliveries go
with them (``ON DELETE CASCADE``). The only index holding ``event_id`` led with
``endpoint_id``, so each cascaded delete and the prune's "no pending delivery" check would scan
every delivery; ``(event_id)`` makes both an index probe.

Revision ID: signal_retention
Revises: scheduler_due
Create Date: 2026-11-30 17:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "signal_retention"
down_revision: str | None = "scheduler_due"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("webhook_deliveries_event_idx", "webhook_deliveries", ["event_id"])


def downgrade() -> None:
    op.drop_index("webhook_deliveries_event_idx", table_name="webhook_deliveries")
