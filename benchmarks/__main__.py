"""``make bench``: run every benchmark and print ratios against in-run baselines."""

from __future__ import annotations

import sys

from benchmarks import bench_upsert
from benchmarks.harness import migrated_database


def main() -> int:
    with migrated_database():
        results = [bench_upsert.run()]
    for result in results:
        print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
