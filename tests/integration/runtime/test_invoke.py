"""Handlers load by handler string and run with a Lambda-shaped context."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from infra import definition
from local.runtime import invoke

H = "tests.integration.runtime.handlers"


def test_load_handler_accepts_dotted_and_slashed_handler_strings() -> None:
    dotted = invoke.load_handler(f"{H}.echo")
    slashed = invoke.load_handler("tests/integration/runtime/handlers.echo")
    assert dotted is slashed


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("tests.integration.runtime.nope.handler", "cannot import module"),
        (f"{H}.missing", "has no callable 'missing'"),
        (f"{H}.not_callable", "has no callable 'not_callable'"),
        ("handler", "bad handler"),
    ],
)
def test_load_handler_reports_what_is_wrong(handler: str, message: str) -> None:
    with pytest.raises(invoke.HandlerNotFound, match=message):
        invoke.load_handler(handler)


def test_context_looks_like_lambdas() -> None:
    context = invoke.context_for(definition.function("collector"), "req-1")
    assert context.function_name == "socialmetrics-collector"
    assert context.memory_limit_in_mb == 1024
    assert context.aws_request_id == "req-1"
    assert context.invoked_function_arn.endswith(":function:socialmetrics-collector")
    assert context.log_group_name == "/aws/lambda/socialmetrics-collector"
    assert "[$LATEST]" in context.log_stream_name
    assert 0 < context.get_remaining_time_in_millis() <= 120_000


def test_call_gives_worker_threads_an_event_loop() -> None:
    function = invoke.resolve(f"{H}.needs_event_loop")
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(invoke.call(function, {})))
    thread.start()
    thread.join(10)
    assert results == [{"statusCode": 200, "body": "async ok"}]


def test_resolve_prefers_definition_keys_and_rejects_unknown_names() -> None:
    assert invoke.resolve("ingest").handler == "functions.ingest.handler.handler"
    assert invoke.resolve(f"{H}.plain").handler == f"{H}.plain"
    with pytest.raises(definition.UnknownKey):
        invoke.resolve("nope")


def test_main_prints_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"routeKey": "GET /x"}))
    assert invoke.main(f"{H}.plain", str(event)) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "route": "GET /x"}


def test_main_prints_lambdas_error_payload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text("{}")
    assert invoke.main(f"{H}.crash", str(event)) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["errorType"] == "RuntimeError"
    assert payload["errorMessage"] == "boom"
    assert payload["stackTrace"]


def test_main_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke.main("nope", str(tmp_path / "missing.json")) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert invoke.main(f"{H}.plain", str(bad)) == 2
    assert invoke.main("nope", str(_write(tmp_path))) == 2
    assert "no function 'nope'" in capsys.readouterr().out


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "ok.json"
    path.write_text("{}")
    return path


def test_cli_invoke_subcommand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from local.runtime.__main__ import main

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"routeKey": "POST /webhooks/x"}))
    assert main(["invoke", f"{H}.plain", str(event)]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "route": "POST /webhooks/x"}
