"""Keep the database fast: partitions ahead, VACUUM (ANALYZE) the hot tables, report sizes.

Usage: ``.venv/bin/python -m scripts.optimize_db [--full]``. ``--full`` also REINDEXes
(concurrently) the metrics indexes. Safe to run at any time; the daily maintenance function
already creates partitions, this is for operators.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy import text

from socialmetrics.config import get_settings
from socialmetrics.db.engine import get_engine
from socialmetrics.maintenance.steps import create_partitions

HOT_TABLES = ("metrics", "accounts", "webhook_events", "message_statuses", "audit_log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also reindex metrics concurrently")
    args = parser.parse_args(argv)
    print(create_partitions(get_settings(), datetime.now(UTC)))
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in HOT_TABLES:
            connection.execute(text(f"VACUUM (ANALYZE) {table}"))
            print(f"vacuumed {table}")
        if args.full:
            for index in ("metrics_user_platform_time_idx", "metrics_collected_at_idx"):
                connection.execute(text(f"REINDEX INDEX CONCURRENTLY {index}"))
                print(f"reindexed {index}")
        sizes = connection.execute(
            text(
                "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace "
                "ORDER BY pg_total_relation_size(oid) DESC LIMIT 15"
            )
        )
        for name, size in sizes:
            print(f"{name:32} {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
