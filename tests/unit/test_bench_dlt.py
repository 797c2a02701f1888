"""The vs_dlt benchmark's parts that need no dlt: the pin and where its environment lives, the
rest_api configuration, and the checks that both sides did the same work."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from benchmarks import bench_dlt
from benchmarks.dlt import config, env
from benchmarks.harness import Comparison
from socialmetrics.collection.messages import CollectRequest

USER = {"user.fields": "public_metrics,created_at"}
TIMELINE = {"max_results": "100", "tweet.fields": "public_metrics", "start_time": "2026-01-01"}


def call(account: str, path: str, query: str) -> dict[str, str]:
    return {"platform": "X", "account": account, "path": path, "query": query}


def test_dlt_is_pinned_to_1_31_with_its_postgres_driver_and_absent_from_the_project() -> None:
    assert config.pinned_version("dlt") == config.DLT_VERSION == "1.31.0"
    assert config.pinned_version("psycopg2-binary") is not None
    assert "dlt[postgres]==1.31.0" in (config.REQUIREMENTS.parent / "requirements.in").read_text()
    assert importlib.util.find_spec("dlt") is None  # never installed into the project venv


def test_pinned_version_reads_only_exact_pins(tmp_path: Path) -> None:
    pins = tmp_path / "requirements.txt"
    pins.write_text("dlt[postgres]==1.31.0  # the tool\n# psycopg2==2.9\nrich>=13\n")
    assert config.pinned_version("dlt", pins) == "1.31.0"
    assert config.pinned_version("psycopg2", pins) is None
    assert config.pinned_version("rich", pins) is None


def test_the_environment_lives_in_the_ignored_local_folder() -> None:
    assert config.ENV_DIR.parent == config.ROOT / ".local"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(config.ENV_DIR)], cwd=config.ROOT, check=False
    )
    assert ignored.returncode == 0


def test_an_environment_is_current_only_when_built_from_the_same_pins(tmp_path: Path) -> None:
    pins = tmp_path / "requirements.txt"
    pins.write_text("dlt==1.31.0\n")
    built = tmp_path / "env"
    assert not env.is_current(built, pins)
    config.env_python(built).parent.mkdir(parents=True)
    config.env_python(built).touch()
    (built / env.STAMP_NAME).write_text(env.requirements_digest(pins) + "\n")
    assert env.is_current(built, pins)
    pins.write_text("dlt==1.32.0\n")
    assert not env.is_current(built, pins)


def test_a_failed_install_is_reported_with_its_first_and_last_error_lines() -> None:
    script = "echo 'No solution' >&2; echo 'detail' >&2; echo 'hint: offline' >&2; exit 2"
    with pytest.raises(env.EnvironmentUnavailable, match=r"\?\): No solution / hint: offline$"):
        env._run(["sh", "-c", script])
    with pytest.raises(env.EnvironmentUnavailable, match=r"\?\): no output$"):
        env._run(["false", "--"])


def test_rest_api_config_fetches_each_account_with_its_own_token() -> None:
    built = config.rest_api_config("http://127.0.0.1:9/x/2", USER, TIMELINE)
    assert built["client"] == {"base_url": "http://127.0.0.1:9/x/2/"}
    assert built["resource_defaults"] == {"parallelized": True}
    users, tweets = built["resources"]
    for resource in (users, tweets):
        endpoint = resource["endpoint"]
        assert endpoint["headers"] == {"Authorization": "Bearer {resources.accounts.token}"}
        assert endpoint["data_selector"] == "data"
    assert users["endpoint"]["path"] == "users/{resources.accounts.id}"
    assert users["endpoint"]["params"] == USER
    assert users["endpoint"]["paginator"] == "single_page"
    assert tweets["endpoint"]["path"] == "users/{resources.accounts.id}/tweets"
    assert tweets["endpoint"]["params"] == TIMELINE
    assert tweets["endpoint"]["paginator"] == {
        "type": "cursor",
        "cursor_path": "meta.next_token",
        "cursor_param": "pagination_token",
    }
    assert built == json.loads(json.dumps(built))  # plain data: it crosses to the worker


def test_dlt_gets_the_parameters_the_collector_sent() -> None:
    calls = [
        call("7", "/x/2/users/7", "user.fields=public_metrics%2Ccreated_at"),
        call("7", "/x/2/users/7/tweets", "max_results=100&start_time=2026-01-01"),
        call("7", "/x/2/users/7/tweets", "max_results=100&pagination_token=b2Zmc2V0OjEwMA"),
    ]
    user, timeline = bench_dlt.collector_params(calls)
    assert user == {"user.fields": "public_metrics,created_at"}
    assert timeline == {"max_results": "100", "start_time": "2026-01-01"}
    with pytest.raises(AssertionError, match="no user lookup"):
        bench_dlt.collector_params(calls[1:])


def test_same_calls_ignores_the_clock_and_order_but_not_parameters() -> None:
    project = [
        call("7", "/x/2/users/7", "user.fields=a"),
        call("7", "/x/2/users/7/tweets", "start_time=2026-01-01T00%3A00%3A00Z&max_results=100"),
        call("8", "/x/2/users/8", "user.fields=a"),
        call("8", "/x/2/users/8/tweets", "max_results=100&start_time=2026-01-01T00%3A00%3A00Z"),
    ]
    dlt = [
        call("8", "/x/2/users/8/tweets", "max_results=100&start_time=2026-01-01T00%3A00%3A09Z"),
        call("7", "/x/2/users/7/tweets", "max_results=100&start_time=2026-01-01T00%3A00%3A09Z"),
        call("8", "/x/2/users/8", "user.fields=a"),
        call("7", "/x/2/users/7", "user.fields=a"),
    ]
    assert bench_dlt.same_calls(project, dlt) == 2
    fewer = [c for c in dlt if c["path"] != "/x/2/users/8"]
    with pytest.raises(AssertionError, match="different calls"):
        bench_dlt.same_calls(project, fewer)
    other = [{**c, "query": c["query"].replace("100", "50")} for c in dlt]
    with pytest.raises(AssertionError, match="different calls"):
        bench_dlt.same_calls(project, other)


def test_the_collector_gets_events_of_the_queue_batch_size() -> None:
    arn = "arn:aws:sqs:us-east-1:123456789012:socialmetrics-collect-x"
    events = bench_dlt.sqs_events(list(range(1, 13)), arn, "t")
    assert [len(event["Records"]) for event in events] == [5, 5, 2]
    first = events[0]["Records"][0]
    assert first["eventSourceARN"] == arn
    assert CollectRequest.model_validate_json(first["body"]).account_id == 1


def test_dlt_connects_with_psycopg2_and_a_password_it_insists_on() -> None:
    url = bench_dlt.psycopg2_url("postgresql+pg8000://postgres@127.0.0.1:5432/bench")
    assert url == "postgresql://postgres:unused-by-trust-auth@127.0.0.1:5432/bench"
    kept = bench_dlt.psycopg2_url("postgresql+pg8000://u:secret@127.0.0.1:5433/db")
    assert kept == "postgresql://u:secret@127.0.0.1:5433/db"


def test_an_unmeasurable_benchmark_leaves_its_goal_not_measured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import __main__ as cli
    from benchmarks.harness import NotMeasured

    def offline() -> Comparison:
        raise NotMeasured("vs_dlt: could not install the pinned dlt (offline?): no network")

    monkeypatch.setattr(cli, "_runners", lambda stack, wanted: [offline])
    monkeypatch.setattr(cli, "apply_defaults", lambda: None)
    assert cli.main(["--only", "dlt"]) == 0
    out = capsys.readouterr().out
    assert "not measured: vs_dlt: could not install the pinned dlt (offline?)" in out
    row = next(line for line in out.splitlines() if "dlt 1.31" in line)
    assert "| not measured |" in row


def test_a_round_too_big_for_the_sandbox_request_log_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        bench_dlt.run(None, accounts=400, posts=300)  # type: ignore[arg-type]
