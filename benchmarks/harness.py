"""Shared benchmark plumbing: a throwaway database, repeated timing, ratio reporting."""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from local.runtime import postgres

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Comparison:
    name: str
    baseline: str
    candidate: str
    baseline_seconds: float
    candidate_seconds: float
    unit_count: int

    @property
    def ratio(self) -> float:
        return self.baseline_seconds / self.candidate_seconds if self.candidate_seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.name}: {self.candidate} is {self.ratio:.1f}x faster than {self.baseline} "
            f"({self.unit_count / self.candidate_seconds:,.0f}/s vs "
            f"{self.unit_count / self.baseline_seconds:,.0f}/s; median of runs)"
        )


def median_seconds(run: Callable[[], object], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@contextlib.contextmanager
def migrated_database() -> Iterator[str]:
    """A fresh, migrated database for this benchmark run, dropped afterwards."""
    from socialmetrics.config import get_settings
    from socialmetrics.db import engine, migrate

    with postgres.server(ROOT / ".local" / "bench-pg") as server:
        postgres.wait_ready(server)
        name = f"socialmetrics_bench_{secrets.token_hex(3)}"
        url = postgres.create_database(server, name)
        os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
        os.environ.setdefault("ENVIRONMENT", "test")
        get_settings.cache_clear()
        engine.dispose()
        migrate.upgrade()
        try:
            yield os.environ["DATABASE_URL"]
        finally:
            engine.dispose()
            postgres.drop_database(server, name)
