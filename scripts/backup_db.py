"""Back up the database with ``pg_dump`` (custom format) into ``.local/backups/``.

Usage: ``.venv/bin/python -m scripts.backup_db [--out FILE]``. Restore with
``scripts.restore_db``. Token columns are ciphertext: a dump is useless without the KMS key.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from socialmetrics.config import get_settings

ROOT = Path(__file__).resolve().parents[1]


def pg_environment() -> dict[str, str]:
    url = get_settings().database
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGDATABASE": url.database or "",
    }
    if url.password:
        env["PGPASSWORD"] = url.password
    return env


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parser.add_argument("--out", type=Path, default=ROOT / ".local" / "backups" / f"{stamp}.dump")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [tool("pg_dump"), "--format=custom", "--no-owner", f"--file={args.out}"],
        check=True,
        env=pg_environment(),
    )
    args.out.chmod(0o600)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
