"""The benchmark harness: ratio maths, wording, timing loop, and that every benchmark imports.

No timing is asserted here (or anywhere in the suite): only that the reporting is right.
"""

from __future__ import annotations

import importlib
import time

import pytest

from benchmarks.harness import Comparison, duration, median_seconds, samples

BENCHMARKS = (
    "bench_api_load",
    "bench_cold_import",
    "bench_dlt",
    "bench_fanout",
    "bench_pagination",
    "bench_scheduler",
    "bench_upsert",
    "bench_webhook",
)


def comparison(baseline: float, candidate: float, **extra: object) -> Comparison:
    return Comparison(
        name="thing",
        baseline="old way",
        candidate="new way",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        **extra,  # type: ignore[arg-type]
    )


def test_ratio_is_baseline_over_candidate() -> None:
    assert comparison(2.0, 0.5).ratio == 4.0
    assert comparison(0.5, 2.0).ratio == 0.25


def test_zero_candidate_time_gives_no_ratio_instead_of_dividing_by_zero() -> None:
    assert comparison(1.0, 0.0).ratio == 0.0


def test_faster_candidate_is_reported_as_faster_with_rates_per_unit() -> None:
    line = comparison(2.0, 0.5, unit_count=1_000, unit="points", runs=5).line()
    assert line == (
        "thing: new way is 4.0x faster than old way (2,000 vs 500 points/s; median of 5 runs)"
    )


def test_slower_candidate_is_reported_as_slower_not_as_a_fraction_faster() -> None:
    line = comparison(0.5, 2.0).line()
    assert "new way is 4.0x slower than old way" in line
    assert "faster" not in line


def test_without_a_unit_the_times_themselves_are_shown_and_a_note_is_appended() -> None:
    line = comparison(1.5, 0.002, note="checked").line()
    assert "(2.0 ms vs 1.50 s; median of 3 runs) [checked]" in line


def test_table_row_has_the_four_columns_of_docs_performance() -> None:
    row = comparison(2.0, 1.0, unit_count=10, unit="requests").table_row()
    assert row == "| thing | new way | old way | 2.0x faster (10 vs 5 requests/s) |"
    assert row.count("|") == 5


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.000012, "12 µs"), (0.0123, "12.3 ms"), (0.9994, "999.4 ms"), (2.5, "2.50 s")],
)
def test_duration_picks_a_readable_unit(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_samples_time_only_the_measured_calls_and_run_setup_before_each() -> None:
    calls: list[str] = []
    measured = samples(lambda: calls.append("run"), 3, warmup=2, setup=lambda: calls.append("set"))
    assert len(measured) == 3
    assert calls == ["set", "run"] * 5
    assert all(seconds >= 0 for seconds in measured)


def test_samples_refuse_zero_repetitions() -> None:
    with pytest.raises(ValueError, match="repeat"):
        samples(lambda: None, 0)


def test_median_seconds_is_the_median_of_the_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # durations 1, 3, 2
    monkeypatch.setattr(time, "perf_counter", lambda: next(ticks))
    assert median_seconds(lambda: None, 3) == 2.0


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_module_imports_and_has_a_run_function(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(module.run)


def test_the_command_line_knows_every_benchmark_module() -> None:
    from benchmarks.__main__ import NAMES

    assert sorted(f"bench_{name}" for name in NAMES) == sorted(BENCHMARKS)


def test_fanout_counts_one_batch_call_per_ten_messages_per_family_queue() -> None:
    from benchmarks.bench_fanout import batch_calls, collect_requests

    requests = collect_requests(25)  # 5 per platform: X 5, Meta family 15, TikTok 5
    assert [r.account_id for r in requests] == list(range(1, 26))
    assert batch_calls(requests) == 1 + 2 + 1


def test_webhook_events_are_signed_only_when_genuine() -> None:
    from benchmarks.bench_webhook import events
    from socialmetrics.secrets import get_secret
    from socialmetrics.security import webhook_signatures

    secret = get_secret("meta_app_secret").get_secret_value()
    genuine, forged = events(2, forged=False), events(2, forged=True)
    assert genuine[0]["body"] != genuine[1]["body"]  # one distinct delivery each
    for event in genuine:
        header = event["headers"]["x-hub-signature-256"]
        assert webhook_signatures.verify_meta(event["body"].encode(), header, [secret]) == 0
    forged_header = forged[0]["headers"]["x-hub-signature-256"]
    with pytest.raises(webhook_signatures.InvalidSignature):
        webhook_signatures.verify_meta(forged[0]["body"].encode(), forged_header, [secret])


def test_pagination_refuses_a_page_beyond_the_data_set() -> None:
    from benchmarks.bench_pagination import run

    with pytest.raises(ValueError, match="inside the data set"):
        run(points=1_000, page=11, page_size=100)


def test_goal_table_lists_every_goal_with_its_verdict() -> None:
    from benchmarks.goals import GOALS, Measured, table

    lines = table([Measured("upsert_vs_copy", 0.84, "100k rows"), Measured("read_rps", 120.0)])
    assert len(lines) == 2 + len(GOALS)
    assert "| 0.84x | ≥ 0.70x | yes | 100k rows |" in lines[2]
    rps = next(line for line in lines if line.startswith("| req/s"))
    assert "120.00 req/s | ≥ 400.00 req/s | **no**" in rps
    assert sum("not measured" in line for line in lines) == len(GOALS) - 2


def test_a_measurement_must_name_a_goal() -> None:
    from benchmarks.goals import Measured

    with pytest.raises(KeyError):
        Measured("no_such_goal", 1.0)
