"""``make load``: run tests/load/locustfile.py headless and bounded, then print the figures.

    python -m tests.load --host http://127.0.0.1:8000 --users 10 --spawn-rate 5 \\
        --duration 30s --csv .local/load/locust

Locust writes its CSV stats (``<csv>_stats.csv``, ``_failures.csv``, ``_exceptions.csv``,
``_stats_history.csv``; the locustfile adds ``_final_stats.csv``, complete at exit). This
prints one line per request name with the count, failures and the p50/p95/p99 response
times, and exits non-zero when any request failed.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass(frozen=True)
class Row:
    method: str
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float


def _number(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def read_stats(csv_prefix: Path) -> list[Row]:
    """The locustfile's ``<prefix>_final_stats.csv`` (locust's ``_stats.csv`` columns, written
    at exit) as rows; the last one is ``Aggregated``."""
    with Path(f"{csv_prefix}_final_stats.csv").open(newline="") as handle:
        return [
            Row(
                method=line["Type"],
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                p50_ms=_number(line["50%"]),
                p95_ms=_number(line["95%"]),
                p99_ms=_number(line["99%"]),
                rps=_number(line["Requests/s"]),
            )
            for line in csv.DictReader(handle)
        ]


def run(
    host: str,
    *,
    users: int,
    spawn_rate: float,
    duration: str,
    csv_prefix: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> tuple[int, list[Row]]:
    """Run locust headless against ``host``; its exit code and the stats rows."""
    csv_prefix.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        duration,
        "--stop-timeout",
        "10",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    completed = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, check=False)
    return completed.returncode, read_stats(csv_prefix)


def report(rows: list[Row]) -> str:
    lines = [
        f"{'request':<28}{'count':>8}{'fail':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}"
    ]
    for row in rows:
        label = f"{row.method} {row.name}".strip()
        lines.append(
            f"{label[:27]:<28}{row.requests:>8}{row.failures:>6}{row.p50_ms:>9.0f}"
            f"{row.p95_ms:>9.0f}{row.p99_ms:>9.0f}{row.rps:>8.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__)
    parser.add_argument("--host", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="30s", help="locust --run-time, e.g. 30s, 2m")
    parser.add_argument("--csv", type=Path, default=ROOT / ".local" / "load" / "locust")
    args = parser.parse_args(argv)
    code, rows = run(
        args.host,
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration=args.duration,
        csv_prefix=args.csv,
    )
    print(report(rows))
    total = rows[-1] if rows else None
    failures = total.failures if total else 0
    print(
        f"\nerrors: {failures} of {total.requests if total else 0} requests; CSV: {args.csv}_*.csv"
    )
    return code or (1 if failures else 0)


if __name__ == "__main__":
    sys.exit(main())
