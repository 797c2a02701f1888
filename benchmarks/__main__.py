"""``make bench``: run every benchmark and print ratios against in-run baselines.

``python -m benchmarks`` runs them all (about eight minutes on 2 cores; the first run also
builds dlt's isolated environment for the ``dlt`` comparison);
``--only pagination fanout`` runs a subset; ``--markdown`` also prints the table rows used in
``docs/performance.md``. Everything runs on loopback (dlt's one-time install from PyPI aside):
a throwaway database (dropped at the end) and moto's server on a free port (stopped at the
end).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Sequence

from benchmarks.goals import table
from benchmarks.harness import (
    Comparison,
    NotMeasured,
    apply_defaults,
    aws_endpoint,
    migrated_database,
)

NAMES = (
    "cold_import",
    "upsert",
    "pagination",
    "api_load",
    "webhook",
    "fanout",
    "scheduler",
    "dlt",
)


def _runners(stack: contextlib.ExitStack, wanted: Sequence[str]) -> list[Callable[[], Comparison]]:
    """The selected benchmarks, in order, with the database/endpoint they need entered once."""
    from benchmarks import bench_cold_import

    runners: list[Callable[[], Comparison]] = []
    if "cold_import" in wanted:
        runners.append(bench_cold_import.run)
    if {"upsert", "pagination", "api_load", "scheduler", "dlt"} & set(wanted):
        stack.enter_context(migrated_database())
        from benchmarks import bench_api_load, bench_pagination, bench_scheduler, bench_upsert

        runners += [
            module.run
            for name, module in (
                ("upsert", bench_upsert),
                ("pagination", bench_pagination),
                ("api_load", bench_api_load),
                ("scheduler", bench_scheduler),
            )
            if name in wanted
        ]
    if {"webhook", "fanout", "dlt"} & set(wanted):
        resources = stack.enter_context(aws_endpoint())
        from benchmarks import bench_dlt, bench_fanout, bench_webhook

        if "webhook" in wanted:
            runners.append(lambda: bench_webhook.run(resources))
        if "fanout" in wanted:
            runners.append(lambda: bench_fanout.run(resources))
        if "dlt" in wanted:  # dlt runs in its own environment, built here on first use
            runners.append(lambda: bench_dlt.run(resources))
    return runners


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    parser.add_argument("--markdown", action="store_true", help="also print table rows")
    args = parser.parse_args(argv)
    apply_defaults()
    started = time.perf_counter()
    results: list[Comparison] = []
    with contextlib.ExitStack() as stack:
        for run in _runners(stack, args.only):
            try:
                result = run()
            except NotMeasured as exc:
                print(f"not measured: {exc}", flush=True)
                continue
            results.append(result)
            print(result.line(), flush=True)
    print(f"({len(results)} benchmarks in {time.perf_counter() - started:.0f} s)")
    print("\nGoals (issue 16):")
    for line in table([goal for result in results for goal in result.goals]):
        print(line)
    if args.markdown:
        print("\n| benchmark | candidate | baseline | result |\n|---|---|---|---|")
        for result in results:
            print(result.table_row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
