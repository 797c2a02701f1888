"""Per-part collection outcomes and the `not_found` account status.

- ``accounts.status`` gains ``not_found`` (the account object itself 404s, run after run);
- ``accounts.not_found_strikes`` counts those runs in a row (reset when the account answers);
- ``collection_runs.parts`` holds each part's outcome (name, status, detail, retry_at);
- ``collection_runs (account_id, id)`` serves the newest-first keyset page of an account's runs.

Revision ID: collection_parts
Revises: hardening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "collection_parts"
down_revision: str | None = "hardening"
branch_labels: str | None = None
depends_on: str | None = None

STATUSES = "'active', 'reauth_required', 'not_found', 'revoked'"
OLD_STATUSES = "'active', 'reauth_required', 'revoked'"


def upgrade() -> None:
    op.drop_constraint("accounts_status_check", "accounts", type_="check")
    op.create_check_constraint("accounts_status_check", "accounts", f"status IN ({STATUSES})")
    op.add_column(
        "accounts",
        sa.Column("not_found_strikes", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "collection_runs",
        sa.Column(
            "parts", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
    )
    op.create_index("collection_runs_account_id_idx", "collection_runs", ["account_id", "id"])


def downgrade() -> None:
    op.drop_index("collection_runs_account_id_idx", table_name="collection_runs")
    op.drop_column("collection_runs", "parts")
    op.drop_column("accounts", "not_found_strikes")
    op.execute("UPDATE accounts SET status = 'reauth_required' WHERE status = 'not_found'")
    op.drop_constraint("accounts_status_check", "accounts", type_="check")
    op.create_check_constraint("accounts_status_check", "accounts", f"status IN ({OLD_STATUSES})")
