"""Restore a ``scripts.backup_db`` dump into the configured database.

Usage: ``.venv/bin/python -m scripts.restore_db FILE [--clean]``. ``--clean`` drops objects
before re-creating them. Run ``socialmetrics migrate`` afterwards if the dump is older than
the code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from scripts.backup_db import pg_environment, tool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--clean", action="store_true")
    args = parser.parse_args(argv)
    if not args.dump.is_file():
        raise SystemExit(f"no such dump: {args.dump}")
    command = [tool("pg_restore"), "--no-owner", "--exit-on-error"]
    env = pg_environment()
    if args.clean:
        command += ["--clean", "--if-exists"]
    command += [f"--dbname={env['PGDATABASE']}", str(args.dump)]
    subprocess.run(command, check=True, env=env)
    print(f"restored {args.dump}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
