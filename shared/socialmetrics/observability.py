"""Powertools Metrics (CloudWatch EMF on stdout) and Tracer (X-Ray), configured by the stack.

Service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``, which the stack sets per function (``infra.definition
.environment``), so every function's logs, metrics and traces say which function they are.

The X-Ray SDK costs ~0.5 s to import, so the Tracer is built only where it can report: inside
Lambda (``LAMBDA_TASK_ROOT``) with ``POWERTOOLS_TRACE_DISABLED`` unset. Built there, it patches
botocore (KMS, SQS, Secrets Manager), httpx (platform calls) and pg8000/SQLAlchemy (the
database); :func:`traced` adds named subsegments around the domain steps. Locally (tests,
``make run``) both decorators return the function unchanged and nothing is imported.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from aws_lambda_powertools.metrics import Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

metrics = Metrics()
_TRUE = frozenset({"1", "true", "yes", "on", "y"})


def tracing_enabled() -> bool:
    """True inside Lambda unless ``POWERTOOLS_TRACE_DISABLED`` is set (Powertools' own rule)."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUE
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled


@functools.cache
def tracer() -> Tracer | None:
    """The process's Tracer (auto-patching boto, httpx and the database driver), or ``None``
    where tracing is off."""
    if not tracing_enabled():
        return None
    from aws_lambda_powertools.tracing import Tracer

    return Tracer()


def capture_lambda_handler(handler: Callable[P, R]) -> Callable[P, R]:
    """Trace a Lambda handler (a no-op where tracing is off); responses are not recorded."""
    active = tracer()
    if active is None:
        return handler
    traced_handler: Callable[P, R] = active.capture_lambda_handler(handler, capture_response=False)
    return traced_handler


def traced(name: str) -> Callable[[F], F]:
    """A named X-Ray subsegment (``## name``) around a function or coroutine function; free
    where tracing is off."""

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                active = tracer()
                if active is None:
                    return await function(*args, **kwargs)
                async with active.provider.in_subsegment_async(f"## {name}"):
                    return await function(*args, **kwargs)

            return cast(F, async_wrapper)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            active = tracer()
            if active is None:
                return function(*args, **kwargs)
            with active.provider.in_subsegment(f"## {name}"):
                return function(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
