"""Every function's outbound calls fit inside its timeout, with a margin to answer.

For each function of the stack definition this reads back the environment the function gets
(through the settings class, as the function would), recomputes each kind of call's worst case
from the libraries' own rules — botocore's standard-mode backoff at its longest, tenacity's
exponential wait with full jitter, pg8000's connect timeout plus Postgres' statement timeout —
and checks: worst case of each kind < timeout - margin, and all kinds in a row too.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from botocore.retries.standard import ExponentialBackoff, RetryContext

from infra import definition
from socialmetrics import budgets
from socialmetrics.config import Settings
from socialmetrics.providers.base import retry_wait
from tests.infra.conftest import ROOT

FUNCTIONS = [pytest.param(f, id=f.key) for f in definition.FUNCTIONS]


class _AlwaysThrottled:
    """Throttling errors get botocore's longest backoff (1 s base instead of 50 ms)."""

    @staticmethod
    def is_throttling_error_from_context(context: RetryContext) -> bool:
        return True


def _settings(function: definition.Function) -> Settings:
    env = definition.environment(function)
    return Settings.model_validate({name.lower(): value for name, value in env.items()})


def aws_worst_seconds(settings: Settings) -> float:
    backoff = ExponentialBackoff(random=lambda: 1.0, throttling_detector=_AlwaysThrottled())
    waits = sum(
        backoff.delay_amount(RetryContext(attempt_number=attempt))
        for attempt in range(1, settings.aws_max_attempts)
    )
    per_attempt = settings.aws_connect_timeout_seconds + settings.aws_read_timeout_seconds
    return float(settings.aws_max_attempts * per_attempt + waits)


def provider_worst_seconds(settings: Settings) -> float:
    wait = retry_wait(settings)
    waits = sum(
        min(wait.multiplier * wait.exp_base ** (n - 1) + wait.jitter, wait.max)
        for n in range(1, settings.provider_max_attempts)
    )
    per_attempt = settings.provider_connect_timeout_seconds + settings.provider_timeout_seconds
    return float(settings.provider_max_attempts * per_attempt + waits)


def db_worst_seconds(settings: Settings) -> float:
    """pg8000 connects within its timeout; the server cancels a statement at
    ``statement_timeout``; a server that stopped answering is cut off by the socket's read
    timeout, the grace later."""
    statement = settings.db_statement_timeout_ms / 1000
    return settings.db_connect_timeout_seconds + statement + definition.DB_READ_GRACE_SECONDS


def _worst_cases(function: definition.Function) -> dict[str, float]:
    settings = _settings(function)
    worst = {"aws": aws_worst_seconds(settings)}
    if function.touches_database:
        worst["database"] = db_worst_seconds(settings)
    if function.calls_platforms:
        worst["platforms"] = provider_worst_seconds(settings)
    return worst


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_outbound_call_ends_before_the_timeout_minus_the_margin(
    function: definition.Function,
) -> None:
    margin = definition.budget(function).margin_seconds
    assert margin >= max(2, 0.2 * function.timeout_seconds)
    limit = function.timeout_seconds - margin
    worst = _worst_cases(function)
    for kind, seconds in worst.items():
        assert 0 < seconds < limit, f"{function.key}: {kind} may take {seconds} s of {limit} s"
    # One hung call of every kind, one after the other, still leaves the margin.
    assert sum(worst.values()) < limit, f"{function.key}: {worst} exceed {limit} s"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_gets_the_budget_of_what_it_calls(function: definition.Function) -> None:
    env = definition.environment(function)
    assert {"AWS_CONNECT_TIMEOUT_SECONDS", "AWS_READ_TIMEOUT_SECONDS", "AWS_MAX_ATTEMPTS"} <= set(
        env
    )
    assert ("DB_STATEMENT_TIMEOUT_MS" in env) is function.touches_database
    assert ("DB_CONNECT_TIMEOUT_SECONDS" in env) is function.touches_database
    assert ("PROVIDER_TIMEOUT_SECONDS" in env) is function.calls_platforms
    assert ("PROVIDER_CONNECT_TIMEOUT_SECONDS" in env) is function.calls_platforms
    assert ("PROVIDER_MAX_ATTEMPTS" in env) is function.calls_platforms


def test_the_webhook_receivers_fail_fast_on_a_hung_queue() -> None:
    for key in ("webhook_meta", "webhook_x", "webhook_tiktok"):
        function = definition.function(key)
        assert aws_worst_seconds(_settings(function)) < function.timeout_seconds - 2


def test_template_yaml_carries_every_budget() -> None:
    document: dict[str, Any] = yaml.safe_load((ROOT / "template.yaml").read_text())
    resources = document["Resources"]
    for function in definition.FUNCTIONS:
        body = resources[f"{definition.camel(function.key)}Function"]["Properties"]
        variables = body["Environment"]["Variables"]
        assert body["Timeout"] == function.timeout_seconds
        for name, value in definition.budget(function).environment().items():
            assert variables[name] == value, (function.key, name)


def test_the_local_runtime_is_never_looser_than_a_deployed_function() -> None:
    local = definition.local_budget_environment()
    for function in definition.FUNCTIONS:
        for name, value in definition.budget(function).environment().items():
            assert float(local[name]) <= float(value), (function.key, name)


def test_the_database_grace_is_one_value() -> None:
    assert definition.DB_READ_GRACE_SECONDS == budgets.DB_READ_GRACE_SECONDS


def test_a_timeout_too_short_for_any_budget_is_refused() -> None:
    tiny = definition.Function(key="tiny", handler="x.handler", description="", timeout_seconds=3)
    with pytest.raises(ValueError, match="leaves no time budget"):
        definition.budget(tiny)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_runtime_bounds_are_never_below_the_libraries_worst_case(
    function: definition.Function,
) -> None:
    """Queue consumers compare the time left with these bounds before starting a record."""
    settings = _settings(function)
    assert budgets.aws_worst_seconds(settings) >= aws_worst_seconds(settings)
    assert budgets.platform_worst_seconds(settings) >= provider_worst_seconds(settings)
    assert budgets.database_worst_seconds(settings) >= db_worst_seconds(settings)
    needed = budgets.record_seconds(
        settings,
        aws=True,
        database=function.touches_database,
        platforms=function.calls_platforms,
    )
    assert needed < function.timeout_seconds - definition.budget(function).margin_seconds


TIMES = "\N{MULTIPLICATION SIGN}"


def _seconds(value: float) -> str:
    return f"{round(value, 1):g} s"


def architecture_row(function: definition.Function) -> str:
    budget = definition.budget(function)
    s = _settings(function)
    aws = (
        f"{_seconds(s.aws_connect_timeout_seconds)} / {_seconds(s.aws_read_timeout_seconds)}"
        f" {TIMES} {s.aws_max_attempts} → {_seconds(budgets.aws_worst_seconds(s))}"
    )
    database = (
        f"{_seconds(s.db_connect_timeout_seconds)} + {_seconds(s.db_statement_timeout_ms / 1000)}"
        f" → {_seconds(budgets.database_worst_seconds(s))}"
        if function.touches_database
        else "—"
    )
    platforms = (
        f"{_seconds(s.provider_connect_timeout_seconds)} / {_seconds(s.provider_timeout_seconds)}"
        f" {TIMES} {s.provider_max_attempts}, ≤ {_seconds(s.provider_backoff_max_seconds)}"
        f" → {_seconds(budgets.platform_worst_seconds(s))}"
        if function.calls_platforms
        else "—"
    )
    return (
        f"| {function.key} | {function.timeout_seconds} s | {budget.margin_seconds} s"
        f" | {budget.usable_seconds} s | {aws} | {database} | {platforms} |"
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_architecture_doc_lists_each_functions_budget(function: definition.Function) -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert architecture_row(function) in text.splitlines()


def compliance_row_start(function: definition.Function) -> str:
    s = _settings(function)
    waits = [
        _seconds(budgets.aws_worst_seconds(s)),
        _seconds(budgets.database_worst_seconds(s)) if function.touches_database else "—",
        _seconds(budgets.platform_worst_seconds(s)) if function.calls_platforms else "—",
    ]
    return f"| {function.key} | {function.timeout_seconds} s | {' / '.join(waits)} |"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_compliance_doc_lists_each_functions_longest_wait(
    function: definition.Function,
) -> None:
    lines = (ROOT / "docs" / "compliance.md").read_text().splitlines()
    assert any(line.startswith(compliance_row_start(function)) for line in lines)
