"""Benchmarks run end to end with tiny sizes (a few seconds): they measure real work and check
their own results. No timing is asserted — only that each produced a sane comparison."""

from __future__ import annotations

from benchmarks import (
    bench_cold_import,
    bench_fanout,
    bench_pagination,
    bench_read_path,
    bench_scheduler,
    bench_upsert,
    bench_webhook,
)
from benchmarks.harness import Comparison
from local.runtime.aws import Resources, queue_depth


def assert_measured(result: Comparison) -> None:
    assert result.baseline_seconds > 0
    assert result.candidate_seconds > 0
    assert result.name in result.line()


def test_pagination_benchmark_compares_identical_pages(db: str) -> None:
    result = bench_pagination.run(points=3_000, page=20, page_size=100, repeat=1)
    assert_measured(result)
    assert result.baseline == "OFFSET 1,900"
    assert result.unit_count == 100


def test_read_path_benchmark_measures_the_four_read_goals(db: str) -> None:
    result = bench_read_path.run(points=2_000, calls=3, requests=16, repeat=1)
    assert_measured(result)
    measured = {goal.key: goal for goal in result.goals}
    assert set(measured) == {"read_in_process", "read_deployed", "read_no_platform_sql", "read_rps"}
    assert all(goal.value > 0 for goal in measured.values())
    assert "NOT" not in measured["read_no_platform_sql"].detail  # the index serves the page


def test_fanout_benchmark_enqueues_every_account_and_leaves_the_queues_empty(
    clean_queues: Resources,
) -> None:
    result = bench_fanout.run(clean_queues, accounts=30, repeat=1)
    assert_measured(result)
    assert "4 SQS calls vs 30" in result.note  # X 6 → 1, Meta 18 → 2, TikTok 6 → 1
    for key, url in clean_queues.queue_urls.items():
        if key.startswith("collect-"):
            assert queue_depth(url)["ApproximateNumberOfMessages"] == "0"


def test_webhook_benchmark_queues_only_the_genuine_deliveries(clean_queues: Resources) -> None:
    result = bench_webhook.run(clean_queues, deliveries=3, repeat=1)
    assert_measured(result)
    depth = queue_depth(clean_queues.queue_urls["events"])["ApproximateNumberOfMessages"]
    assert depth == str(3 * 2)  # one warm-up round + one measured round, genuine only


def test_cold_import_benchmark_measures_the_three_handler_goals_as_deployed() -> None:
    result = bench_cold_import.run(repeat=1)
    assert_measured(result)
    assert [goal.key for goal in result.goals] == [
        "import_api",
        "import_collector",
        "import_webhook",
    ]
    assert all(goal.value > 0 for goal in result.goals)
    webhook = result.goals[2].detail
    for heavy in ("fastapi", "pydantic", "sqlalchemy", "boto3", "httpx"):
        assert heavy not in webhook.split("loads ", 1)[1]
    # Development-only packages are hidden as the Lambda layer lacks them; runtime ones are not.
    hidden = bench_cold_import.development_only_modules()
    assert {"pytest", "moto", "rich"} <= hidden
    assert not {"fastapi", "sqlalchemy", "boto3", "socialmetrics"} & hidden


def test_upsert_benchmark_writes_every_round_in_full(db: str) -> None:
    result = bench_upsert.run(rows=300, repeat=1)  # checks the row count itself
    assert_measured(result)
    assert result.baseline == "plain COPY into metrics"
    assert "goal ≥ 0.70" in result.note
    assert "former unnest upsert" in result.note


def test_scheduler_benchmark_enqueues_each_account_once_through_the_standin(db: str) -> None:
    result = bench_scheduler.run(accounts=120, repeat=1)  # checks counts and duplicates itself
    assert_measured(result)
    assert result.baseline_seconds == bench_scheduler.GOAL_SECONDS
    assert "14 calls a tick" in result.note  # X 24 → 3, Meta 72 → 8, TikTok 24 → 3


def test_collection_benchmarks_collect_every_account_with_two_calls_each(db: str) -> None:
    from benchmarks.bench_collection import run, run_client_reuse

    reuse = run_client_reuse(operations=3, repeat=1)
    assert reuse.unit_count == 6  # two calls per collection, checked inside every round
    batch = run(accounts=2, latency_ms=10, repeat=1)
    (goal,) = batch.goals
    assert goal.key == "collection_vs_ideal"
    assert goal.value > 0
    assert "2 X accounts x 2 calls at 10 ms" in goal.detail


def test_csv_benchmark_exports_every_row_through_a_job(
    db: str, clean_queues: Resources, monkeypatch: object
) -> None:
    import pytest

    from benchmarks import bench_csv
    from socialmetrics.config import get_settings

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("EXPORT_DIRECT_MAX_BYTES", "20000")  # 100 rows answered directly
    get_settings.cache_clear()
    try:
        result = bench_csv.run(clean_queues, rows=1_500, repeat=1)  # checks every row itself
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert_measured(result)
    assert [goal.key for goal in result.goals] == ["csv_vs_select", "csv_lambda_body"]
    assert result.goals[1].value < 0.05  # 100 rows directly, else a small 202
