"""Plain helpers shared by tests (factories are plain functions, not fixtures)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any


def reset_process_state() -> None:
    """Forget cached settings, engines and AWS clients after the environment changed."""
    from socialmetrics import aws
    from socialmetrics.config import get_settings
    from socialmetrics.db import engine

    engine.dispose()
    get_settings.cache_clear()
    aws.reset_caches()


class FakeLambdaContext:
    """The attributes Lambda's context object carries (what Powertools reads)."""

    def __init__(self, function_name: str = "socialmetrics-test") -> None:
        import uuid

        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/11/28/[$LATEST]test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@contextlib.contextmanager
def serve_http(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a thread; yield its base URL
    and stop it on exit."""
    import uvicorn

    from local.runtime.postgres import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name=f"test-http:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"could not serve on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
