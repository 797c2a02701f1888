"""Scheduler ticks call targets with the EventBridge Scheduler payload the stack configures."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from infra import definition
from local.runtime import ticks
from tests.integration.runtime import handlers

RECORD = definition.Function(
    key="record", handler="tests.integration.runtime.handlers.record", description="record"
)


@pytest.fixture(autouse=True)
def _forget_calls() -> None:
    handlers.CALLS.clear()


def test_scheduler_event_fills_every_context_attribute() -> None:
    schedule = definition.schedule("collect-tick")
    event = ticks.scheduler_event(
        schedule, now=datetime(2026, 1, 15, 9, 30, 5, tzinfo=UTC), account="111122223333"
    )
    assert "<aws." not in json.dumps(event)
    assert "${AWS::" not in json.dumps(event)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.scheduler"
    assert event["time"] == "2026-01-15T09:30:05Z"
    assert event["account"] == "111122223333"
    assert event["region"] == "us-east-1"
    assert event["resources"] == [
        "arn:aws:scheduler:us-east-1:111122223333:schedule/default/socialmetrics-collect-tick"
    ]
    assert event["detail"] == {"schedule": "collect-tick", "attempt": "1"}
    assert len(event["id"]) == 16


def test_tick_invokes_the_target_on_demand() -> None:
    result = ticks.tick("maintenance-daily", function=RECORD)
    assert result == {"recorded": 1}
    (call,) = handlers.CALLS
    assert call["event"]["detail"]["schedule"] == "maintenance-daily"
    assert call["function"] == "socialmetrics-record"


def test_schedule_targets_come_from_the_definition() -> None:
    assert definition.function(definition.schedule("collect-tick").target).key == "scheduler"
    assert ticks.interval_seconds(definition.schedule("collect-tick")) == 900
    assert ticks.interval_seconds(definition.schedule("maintenance-daily")) == ticks.DAILY
    assert ticks.interval_seconds(definition.Schedule("h", "rate(1 hour)", "api")) == 3600


def test_background_ticks_fire_repeatedly_until_stopped() -> None:
    results: list[tuple[str, object]] = []
    runner = ticks.ScheduleTicks(
        ["collect-tick"],
        interval=0.01,
        on_result=lambda key, result: results.append((key, result)),
        targets={"collect-tick": RECORD},
    )
    with runner:
        deadline = time.monotonic() + 10
        while runner.fired["collect-tick"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not runner.running
    assert runner.fired["collect-tick"] >= 3
    assert results[0][0] == "collect-tick"
    fired = runner.fired["collect-tick"]
    time.sleep(0.05)
    assert runner.fired["collect-tick"] == fired  # stopped means stopped


def test_a_failing_target_does_not_stop_the_ticks() -> None:
    crash = definition.Function(
        key="crash", handler="tests.integration.runtime.handlers.crash", description="crash"
    )
    runner = ticks.ScheduleTicks(["collect-tick"], interval=0.01, targets={"collect-tick": crash})
    with runner:
        deadline = time.monotonic() + 10
        while runner.fired["collect-tick"] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert runner.fired["collect-tick"] >= 2


def test_not_immediately_waits_one_interval_and_stop_is_prompt() -> None:
    runner = ticks.ScheduleTicks(
        ["maintenance-daily"], immediately=False, targets={"maintenance-daily": RECORD}
    )
    runner.start()
    runner.stop(timeout=5)
    assert not runner.running
    assert runner.fired["maintenance-daily"] == 0
