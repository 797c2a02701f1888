"""Copy ``.env`` (if any) to ``.local/backups/env-<time>`` readable by the owner only.

Usage: ``.venv/bin/python -m scripts.backup_env``. Deployed stacks keep secrets in Secrets
Manager, not in files: this is for a developer's local overrides.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    source = ROOT / ".env"
    if not source.is_file():
        print("no .env to back up (settings come from the environment)")
        return 0
    target = ROOT / ".local" / "backups" / f"env-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o600)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
