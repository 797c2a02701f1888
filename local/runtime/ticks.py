"""Local EventBridge Scheduler: call each schedule's target with the event Scheduler sends.

moto keeps schedules but never fires them, so the local runtime does: :func:`tick` invokes a
schedule's target once, now; :class:`ScheduleTicks` does it on an interval in a background
thread. The payload is the schedule's ``Input`` from the stack definition
(:func:`infra.definition.schedule_input`) with the context attributes Scheduler substitutes
(``<aws.scheduler.scheduled-time>`` …) and the account/region filled in — the same event the
deployed function receives.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from infra import definition
from local.runtime import invoke
from local.runtime.workers import Workers
from socialmetrics.config import get_settings
from socialmetrics.logging import logger

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
DAILY = 86400.0


def interval_seconds(schedule: definition.Schedule) -> float:
    """The period of a ``rate(...)`` expression; ``cron(...)`` schedules tick daily locally."""
    match = _RATE.match(schedule.expression.strip())
    if match is None:
        return DAILY
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


def scheduler_event(
    schedule: definition.Schedule,
    *,
    now: datetime | None = None,
    attempt: int = 1,
    account: str = invoke.LOCAL_ACCOUNT,
    region: str | None = None,
) -> dict[str, Any]:
    """The payload EventBridge Scheduler delivers to ``schedule``'s target."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    region = region or get_settings().aws_region
    arn = (
        f"arn:aws:scheduler:{region}:{account}:schedule/default/{definition.PREFIX}-{schedule.key}"
    )
    values = {
        "<aws.scheduler.execution-id>": uuid.uuid4().hex[:16],
        "<aws.scheduler.scheduled-time>": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.schedule-arn>": arn,
        "<aws.scheduler.attempt-number>": str(attempt),
        "${AWS::AccountId}": account,
        "${AWS::Region}": region,
    }
    text = json.dumps(definition.schedule_input(schedule))
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    event: dict[str, Any] = json.loads(text)
    return event


def tick(
    schedule_key: str,
    *,
    function: definition.Function | None = None,
    now: datetime | None = None,
) -> Any:
    """Invoke ``schedule_key``'s target (or ``function``) once with the scheduled event."""
    schedule = definition.schedule(schedule_key)
    target = function or definition.function(schedule.target)
    return invoke.call(target, scheduler_event(schedule, now=now))


class ScheduleTicks(Workers):
    """Background ticks: each schedule fires on start (``immediately``) and then every
    ``interval`` seconds (default: the schedule's own rate) until :meth:`stop`."""

    def __init__(
        self,
        schedule_keys: Sequence[str] | None = None,
        *,
        interval: float | None = None,
        immediately: bool = True,
        on_result: Callable[[str, Any], None] | None = None,
        targets: Mapping[str, definition.Function] | None = None,
    ) -> None:
        self.targets = dict(targets or {})
        self.schedules = tuple(
            definition.schedule(key)
            for key in (schedule_keys or [s.key for s in definition.SCHEDULES])
        )
        self.interval = interval
        self.immediately = immediately
        self.on_result = on_result
        self.fired: dict[str, int] = {s.key: 0 for s in self.schedules}
        super().__init__()

    def start(self) -> ScheduleTicks:
        self._stop.clear()
        for schedule in self.schedules:
            self._spawn(f"tick-{schedule.key}", self._run, schedule)
        return self

    def _fire(self, schedule: definition.Schedule) -> None:
        try:
            result = tick(schedule.key, function=self.targets.get(schedule.key))
        except Exception:
            logger.exception("scheduled target failed", extra={"schedule": schedule.key})
            return
        finally:
            self.fired[schedule.key] += 1
        if self.on_result is not None:
            try:
                self.on_result(schedule.key, result)
            except Exception:  # a failing report never ends the thread
                logger.exception("tick report failed", extra={"schedule": schedule.key})

    def _run(self, schedule: definition.Schedule) -> None:
        period = self.interval if self.interval is not None else interval_seconds(schedule)
        if not self.immediately and self._stop.wait(period):
            return
        while not self._stop.is_set():
            self._fire(schedule)
            if self._stop.wait(period):
                return
