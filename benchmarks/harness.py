"""Shared benchmark plumbing: a throwaway database, an AWS endpoint, timing, ratio reporting.

Every benchmark measures a candidate and its baseline in the same run, on the same database
and endpoint, and reports the ratio: these machines are noisy, absolute numbers move, ratios
hold. Nothing here asserts on time.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.runtime import postgres
from local.runtime.process import environment

if TYPE_CHECKING:
    from benchmarks.goals import Measured
    from local.runtime.aws import Resources
    from socialmetrics.db.metrics import Owner

ROOT = Path(__file__).resolve().parents[1]
# Quiet, offline defaults for a benchmark process (set only when the caller did not).
BENCH_ENV = {
    "ENVIRONMENT": "test",
    "LOG_LEVEL": "ERROR",  # no per-request log lines in the output (or in the timings)
    "POWERTOOLS_METRICS_DISABLED": "true",
    # what every deployed function has: Powertools flushes by itself at 100 metrics and then
    # refuses to without a namespace (long runs of the collector handler reach that)
    "POWERTOOLS_METRICS_NAMESPACE": "socialmetrics-bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
    # pg8000 applies the connect timeout to every socket read: a 100k-row write on a loaded
    # 2-core machine can take longer than the 5 s default.
    "DB_CONNECT_TIMEOUT_SECONDS": "30",
}
DUMMY_AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


@dataclass(frozen=True)
class Comparison:
    """A candidate against its in-run baseline. ``unit`` names what ``unit_count`` counts
    (points, requests, …): rates are then shown per second; without it, per-run times."""

    name: str
    baseline: str
    candidate: str
    baseline_seconds: float
    candidate_seconds: float
    unit_count: int = 1
    unit: str = ""
    runs: int = 3
    note: str = ""
    goals: tuple[Measured, ...] = ()  # the issue-16 goal rows this comparison measures

    @property
    def ratio(self) -> float:
        """How many times faster the candidate is (below 1: it is slower)."""
        return self.baseline_seconds / self.candidate_seconds if self.candidate_seconds else 0.0

    def verdict(self) -> str:
        if self.ratio >= 1 or self.ratio == 0:
            return f"{self.ratio:.1f}x faster"
        return f"{1 / self.ratio:.1f}x slower"

    def detail(self) -> str:
        if self.unit:
            return (
                f"{rate(self.unit_count, self.candidate_seconds)} vs "
                f"{rate(self.unit_count, self.baseline_seconds)} {self.unit}/s"
            )
        return f"{duration(self.candidate_seconds)} vs {duration(self.baseline_seconds)}"

    def line(self) -> str:
        text = (
            f"{self.name}: {self.candidate} is {self.verdict()} than {self.baseline} "
            f"({self.detail()}; median of {self.runs} runs)"
        )
        return f"{text} [{self.note}]" if self.note else text

    def table_row(self) -> str:
        return (
            f"| {self.name} | {self.candidate} | {self.baseline} | "
            f"{self.verdict()} ({self.detail()}) |"
        )


class NotMeasured(Exception):
    """A benchmark that cannot run here (say, its tool could not be installed offline): the
    run goes on, and the reason is printed where its result would be."""


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "∞"


def duration(seconds: float) -> str:
    """A short human duration: µs below 1 ms, ms below 1 s, else s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def samples(
    run: Callable[[], object],
    repeat: int = 3,
    warmup: int = 0,
    setup: Callable[[], object] | None = None,
) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``run`` after ``warmup`` untimed calls;
    ``setup`` (untimed) runs before every call, warm-ups included."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    measured = []
    for round_ in range(warmup + repeat):
        if setup is not None:
            setup()
        started = time.perf_counter()
        run()
        if round_ >= warmup:
            measured.append(time.perf_counter() - started)
    return measured


def median_seconds(
    run: Callable[[], object],
    repeat: int = 3,
    warmup: int = 0,
    setup: Callable[[], object] | None = None,
) -> float:
    return statistics.median(samples(run, repeat, warmup, setup))


def apply_defaults() -> None:
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)


@contextlib.contextmanager
def migrated_database() -> Iterator[str]:
    """A fresh, migrated database for this benchmark run, dropped afterwards."""
    from socialmetrics.db import migrate

    apply_defaults()
    with postgres.server(ROOT / ".local" / "bench-pg") as server:
        postgres.wait_ready(server)
        name = f"socialmetrics_bench_{secrets.token_hex(3)}"
        url = postgres.create_database(server, name).render_as_string(hide_password=False)
        try:
            with environment(DATABASE_URL=url):
                migrate.upgrade()
                yield url
        finally:
            postgres.drop_database(server, name)


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """Wait for a process asked to end (stdin closed or terminated); kill it if it lingers."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextlib.contextmanager
def aws_endpoint() -> Iterator[Resources]:
    """moto's server on a free loopback port, bootstrapped with the stack's resources."""
    from local.runtime import aws as local_aws
    from socialmetrics.config import get_settings

    apply_defaults()
    with (
        local_aws.moto_server() as endpoint,
        environment(
            **DUMMY_AWS_CREDENTIALS,
            AWS_ENDPOINT_URL=endpoint,
            AWS_PROFILE=None,
            AWS_SESSION_TOKEN=None,
        ),
    ):
        yield local_aws.bootstrap(get_settings())


def make_owner(platform_id: int = 3, role: str = "client") -> Owner:
    """A fresh user and one account of ``platform_id`` (placeholder ciphertext) to write to."""
    from sqlalchemy import text

    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.db.metrics import Owner

    tag = secrets.token_hex(4)
    with unit_of_work() as session:
        user_id: int = session.execute(
            text("INSERT INTO users (name, email, role) VALUES ('bench', :e, :r) RETURNING id"),
            {"e": f"bench-{tag}@example.com", "r": role},
        ).scalar_one()
        account_id: int = session.execute(
            text(
                "INSERT INTO accounts (user_id, platform_id, platform_user_id, access_token_ct,"
                " wrapped_key, key_id) VALUES (:u, :p, :pu, '\\x00', '\\x00', 'bench')"
                " RETURNING id"
            ),
            {"u": user_id, "p": platform_id, "pu": f"bench-{tag}"},
        ).scalar_one()
    return Owner(user_id=user_id, platform_id=platform_id, account_id=account_id)
