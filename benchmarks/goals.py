"""The goals of issue 16 ("Fast as deployed"), one row each, and what a run measured for them.

A benchmark that measures one of these rows returns a :class:`Measured` (on its
:class:`~benchmarks.harness.Comparison`'s ``goals``); ``make bench`` then prints every row in
this order with its goal, the value measured in this run and whether it is met. A row no
benchmark of the run measured prints as not measured (for example under ``--only``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    AT_LEAST = "≥"
    AT_MOST = "≤"


@dataclass(frozen=True)
class Goal:
    key: str
    measure: str
    direction: Direction
    target: float
    unit: str  # "x" for ratios, else "ms", "s", "req/s", "MB"

    def met(self, value: float) -> bool:
        if self.direction is Direction.AT_LEAST:
            return value >= self.target
        return value <= self.target

    def text(self, value: float) -> str:
        return f"{value:,.2f}{self.unit}" if self.unit == "x" else f"{value:,.2f} {self.unit}"

    def target_text(self) -> str:
        return f"{self.direction.value} {self.text(self.target)}"


GOALS: tuple[Goal, ...] = (
    Goal(
        "upsert_vs_copy",
        "metric upsert path vs COPY of the same rows (rows/s ratio)",
        Direction.AT_LEAST,
        0.70,
        "x",
    ),
    Goal(
        "read_in_process",
        "GET /metrics/ page 1 vs the SQL it runs, in process (time ratio)",
        Direction.AT_MOST,
        1.5,
        "x",
    ),
    Goal(
        "read_deployed",
        "same, deployed settings (DB_NULL_POOL=true, Mangum path)",
        Direction.AT_MOST,
        2.0,
        "x",
    ),
    Goal(
        "read_no_platform_sql",
        "SQL of GET /metrics/ without a platform filter",
        Direction.AT_MOST,
        3.0,
        "ms",
    ),
    Goal(
        "read_rps",
        "req/s of GET /metrics/ at 8 concurrent, one server process",
        Direction.AT_LEAST,
        400.0,
        "req/s",
    ),
    Goal(
        "csv_vs_select",
        "CSV export rows/s vs a plain SELECT of the same rows",
        Direction.AT_LEAST,
        0.5,
        "x",
    ),
    Goal(
        "csv_lambda_body",
        "largest response body of a big CSV through the Lambda path",
        Direction.AT_MOST,
        6.0,
        "MB",
    ),
    Goal(
        "import_api",
        "import of functions/api/handler vs import fastapi (time ratio)",
        Direction.AT_MOST,
        2.0,
        "x",
    ),
    Goal(
        "import_collector",
        "collector handler import vs import fastapi (time ratio)",
        Direction.AT_MOST,
        1.0,
        "x",
    ),
    Goal(
        "import_webhook",
        "webhook handler import vs import fastapi (time ratio)",
        Direction.AT_MOST,
        0.4,
        "x",
    ),
    Goal(
        "scheduler_100k",
        "scheduler: 100k due accounts planned + enqueued, 5 ms per SQS call",
        Direction.AT_MOST,
        60.0,
        "s",
    ),
    Goal(
        "collection_vs_ideal",
        "collection vs ideal (latency x calls / concurrency), X accounts",
        Direction.AT_MOST,
        1.3,
        "x",
    ),
    Goal(
        "vs_dlt",
        "same work vs a dlt 1.31 rest_api pipeline into Postgres (speed ratio)",
        Direction.AT_LEAST,
        2.0,
        "x",
    ),
)
BY_KEY = {goal.key: goal for goal in GOALS}


@dataclass(frozen=True)
class Measured:
    """The value one run measured for the goal ``key``, with how it was taken."""

    key: str
    value: float
    detail: str = ""

    def __post_init__(self) -> None:
        if self.key not in BY_KEY:
            raise KeyError(f"no goal named {self.key!r}")

    @property
    def goal(self) -> Goal:
        return BY_KEY[self.key]

    @property
    def met(self) -> bool:
        return self.goal.met(self.value)


def table(measured: list[Measured]) -> list[str]:
    """The markdown table of every goal: measured value (or "not measured"), goal, met."""
    found = {item.key: item for item in measured}
    lines = ["| measure | this run | goal | met | how |", "|---|---|---|---|---|"]
    for goal in GOALS:
        item = found.get(goal.key)
        if item is None:
            lines.append(f"| {goal.measure} | not measured | {goal.target_text()} | - | |")
            continue
        verdict = "yes" if item.met else "**no**"
        lines.append(
            f"| {goal.measure} | {goal.text(item.value)} | {goal.target_text()} | {verdict} "
            f"| {item.detail} |"
        )
    return lines
