"""Powertools as the stack configures it: names from the environment, a correlation id on every
handler, tracing only where it can report, app secrets re-read after their max age."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import definition
from tests.support import FakeLambdaContext, reset_process_state

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
HANDLER_MODULES = sorted({f.handler.rpartition(".")[0] for f in definition.FUNCTIONS})


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def _context(function_name: str) -> Any:
    return FakeLambdaContext(function_name)


def _python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
        env={**clean, **env},
    )
    return done.stdout.strip()


def test_every_function_gets_its_own_service_name_and_the_stack_namespace() -> None:
    names = [definition.environment(f)["POWERTOOLS_SERVICE_NAME"] for f in definition.FUNCTIONS]
    assert len(set(names)) == len(definition.FUNCTIONS)
    for function in definition.FUNCTIONS:
        env = definition.environment(function)
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == definition.PREFIX


def test_logger_and_metrics_take_their_names_from_the_environment() -> None:
    printed = _python(
        "from socialmetrics.logging import logger\n"
        "from socialmetrics.observability import metrics\n"
        "print(logger.service, metrics.namespace, metrics.service)",
        POWERTOOLS_SERVICE_NAME="collector",
        POWERTOOLS_METRICS_NAMESPACE="socialmetrics-prod",
    )
    assert printed.split() == ["collector", "socialmetrics-prod", "collector"]


def test_no_handler_imports_the_xray_sdk_where_tracing_is_off() -> None:
    imports = "\n".join(f"import {module}" for module in HANDLER_MODULES)
    printed = _python(
        imports + "\nimport sys\nprint('aws_xray_sdk' in sys.modules)",
        ENVIRONMENT="test",
    )
    assert printed == "False"


def test_inside_lambda_the_tracer_is_built_and_patches_boto_httpx_and_the_driver() -> None:
    printed = _python(
        "from socialmetrics import observability\n"
        "tracer = observability.tracer()\n"
        "from aws_xray_sdk.core.patcher import _PATCHED_MODULES\n"
        "print(type(tracer).__name__, sorted(_PATCHED_MODULES & {'botocore', 'httpx', 'pg8000'}))",
        LAMBDA_TASK_ROOT="/var/task",
        AWS_LAMBDA_FUNCTION_NAME="socialmetrics-collector",
    )
    assert printed == "Tracer ['botocore', 'httpx', 'pg8000']"


def test_traced_functions_run_unchanged_where_tracing_is_off() -> None:
    import asyncio

    from socialmetrics.observability import traced

    @traced("double")
    def double(value: int) -> int:
        return value * 2

    @traced("double_later")
    async def double_later(value: int) -> int:
        return value * 2

    assert double(2) == 4
    loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the thread's loop
    try:
        assert loop.run_until_complete(double_later(3)) == 6
    finally:
        loop.close()


# --- correlation ids -------------------------------------------------------------------------


@pytest.fixture
def event_loop_like_lambda() -> None:
    """Lambda's main thread has an event loop (Mangum uses it); an earlier ``asyncio.run`` in
    this process may have unset it. The new loop stays set, as Lambda's does."""
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())


def test_api_and_receivers_log_with_the_api_gateway_request_id(
    db: str, event_loop_like_lambda: None
) -> None:
    from functions.api.handler import handler as api
    from functions.webhook_x.handler import handler as webhook_x
    from socialmetrics.logging import logger

    health = _event("api/health.json")
    assert api(health, _context("socialmetrics-api"))["statusCode"] == 200
    assert logger.get_correlation_id() == health["requestContext"]["requestId"]
    crc = _event("webhook_x/crc.json")
    assert webhook_x(crc, _context("socialmetrics-webhook-x"))["statusCode"] == 200
    assert logger.get_correlation_id() == crc["requestContext"]["requestId"]


def test_sqs_consumers_log_with_the_message_id(db: str, aws_resources: object) -> None:
    from functions.ingest.handler import handler as ingest
    from socialmetrics.logging import logger

    event = _event("ingest/sqs_batch.json")
    ingest(event, _context("socialmetrics-ingest"))
    assert logger.get_correlation_id() == event["Records"][-1]["messageId"]


def test_scheduled_functions_log_with_the_event_id(db: str, clean_queues: object) -> None:
    from functions.scheduler.handler import handler as scheduler
    from socialmetrics.logging import logger

    event = _event("scheduler/scheduled_collect_tick.json")
    scheduler(event, _context("socialmetrics-scheduler"))
    assert logger.get_correlation_id() == event["id"]


# --- app secret rotation -----------------------------------------------------------------------


@pytest.fixture
def secrets_manager_source(
    aws_resources: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, str, str]]:
    """SECRETS_SOURCE=secretsmanager with the app secret restored afterwards."""
    from socialmetrics.aws import client
    from socialmetrics.config import get_settings

    sm = client("secretsmanager")
    secret_id = get_settings().app_secret_id
    original = sm.get_secret_value(SecretId=secret_id)["SecretString"]
    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    reset_process_state()
    yield sm, secret_id, original
    sm.put_secret_value(SecretId=secret_id, SecretString=original)
    monkeypatch.undo()
    reset_process_state()


def _rotate(sm: Any, secret_id: str, original: str, value: str) -> None:
    """Rotate over the wire, as an operator or a rotation Lambda would."""
    sm.put_secret_value(
        SecretId=secret_id,
        SecretString=json.dumps({**json.loads(original), "x_client_secret": value}),
    )


def test_a_rotated_app_secret_is_picked_up_after_the_max_age(
    secrets_manager_source: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialmetrics.config import get_settings
    from socialmetrics.secrets import get_secret

    sm, secret_id, original = secrets_manager_source
    max_age = 1
    monkeypatch.setenv("APP_SECRET_MAX_AGE_SECONDS", str(max_age))
    get_settings.cache_clear()
    _rotate(sm, secret_id, original, "before-rotation")
    assert get_secret("x_client_secret").get_secret_value() == "before-rotation"

    _rotate(sm, secret_id, original, "after-rotation")
    time.sleep(max_age + 0.5)  # let the cached read expire; no redeploy, no new process

    assert get_secret("x_client_secret").get_secret_value() == "after-rotation"


def test_within_the_max_age_the_cached_secret_is_used(
    secrets_manager_source: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialmetrics.config import get_settings
    from socialmetrics.secrets import get_secret

    sm, secret_id, original = secrets_manager_source
    monkeypatch.setenv("APP_SECRET_MAX_AGE_SECONDS", "3600")
    get_settings.cache_clear()
    _rotate(sm, secret_id, original, "first")
    assert get_secret("x_client_secret").get_secret_value() == "first"
    _rotate(sm, secret_id, original, "second")
    assert get_secret("x_client_secret").get_secret_value() == "first"  # one read per max age


def test_an_unreadable_app_secret_is_a_missing_secret(
    secrets_manager_source: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialmetrics.config import get_settings
    from socialmetrics.secrets import MissingSecret, get_secret

    monkeypatch.setenv("APP_SECRET_ID", "socialmetrics/no-such-secret")
    get_settings.cache_clear()
    with pytest.raises(MissingSecret, match="no-such-secret"):
        get_secret("x_client_secret")
