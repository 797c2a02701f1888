"""Load a handler by its handler string and call it the way Lambda's Python runtime does.

Lambda splits ``"functions.api.handler.handler"`` at the last dot, imports the module (slashes
in ``"functions/api/handler.handler"`` become dots) and calls ``handler(event, context)`` with
a context object. This module does the same, in-process, for the gateway, the queue pollers,
the scheduler ticks and ``make invoke FN=… EVENT=…``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra import definition

Handler = Callable[[Any, Any], Any]
LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "us-east-1"


class HandlerNotFound(ImportError):
    """The handler string does not name an importable, callable attribute."""


@dataclass
class LambdaContext:
    """The attributes and method of Lambda's Python context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    region: str = LOCAL_REGION
    account: str = LOCAL_ACCOUNT
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self._deadline:
            self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        day = time.strftime("%Y/%m/%d", time.gmtime())
        return f"{day}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def context_for(function: definition.Function, request_id: str | None = None) -> LambdaContext:
    """A fresh context for one invocation of ``function`` (memory, timeout, name as deployed)."""
    context = LambdaContext(
        function_name=function.name,
        memory_limit_in_mb=function.memory_mb,
        timeout_seconds=function.timeout_seconds,
    )
    if request_id:
        context.aws_request_id = request_id
    return context


def load_handler(handler: str) -> Handler:
    """Import ``module.attribute`` (or ``path/to/module.attribute``) as Lambda does."""
    module_name, _, attribute = handler.replace("/", ".").rpartition(".")
    if not module_name or not attribute:
        raise HandlerNotFound(f"bad handler {handler!r}: expected 'package.module.function'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise HandlerNotFound(f"cannot import module {module_name!r}: {exc}") from exc
    target = getattr(module, attribute, None)
    if target is None or not callable(target):
        raise HandlerNotFound(f"module {module_name!r} has no callable {attribute!r}")
    handler_callable: Handler = target
    return handler_callable


_thread_state = threading.local()


def _ensure_event_loop() -> None:
    """Give this thread an event loop, as Lambda's main thread has one: handlers such as
    Mangum call ``asyncio.get_event_loop()``, which fails in a plain worker thread."""
    if getattr(_thread_state, "loop", None) is None:
        _thread_state.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_thread_state.loop)


def call(function: definition.Function, event: Any, *, context: LambdaContext | None = None) -> Any:
    """Invoke ``function``'s handler on ``event`` (exceptions propagate, as the runtime
    reports them)."""
    handler = load_handler(function.handler)
    _ensure_event_loop()
    return handler(event, context or context_for(function))


def resolve(name: str) -> definition.Function:
    """A function key from the definition (``collector``), or any handler string
    (``tests.x.handler``) hosted with the defaults of a 30 s / 512 MB function."""
    try:
        return definition.function(name)
    except definition.UnknownKey:
        if "." not in name:
            raise
        return definition.Function(key=name.rpartition(".")[0], handler=name, description=name)


def error_payload(exc: BaseException) -> dict[str, Any]:
    """What Lambda returns for an unhandled exception (errorMessage, errorType, stackTrace)."""
    import traceback

    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def main(name: str, event_path: str) -> int:
    """``make invoke FN=collector EVENT=events/collector/sqs_batch.json``: print the result
    (or Lambda's error payload, exit status 1)."""
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        function = resolve(name)
        load_handler(function.handler)
    except (definition.UnknownKey, HandlerNotFound, OSError, ValueError) as exc:
        print(f"invoke: {exc}")
        return 2
    try:
        result = call(function, event)
    except Exception as exc:
        print(json.dumps(error_payload(exc), indent=2))
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0
