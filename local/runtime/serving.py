"""An ASGI app served by uvicorn in a thread on a free loopback port (tests and benchmarks)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def serve_http(app: Any, log_level: str = "warning", name: str = "http") -> Iterator[str]:
    """Serve ``app`` on ``127.0.0.1:<free port>``; yield its base URL and stop it on exit."""
    import uvicorn

    from local.runtime.postgres import free_port  # not at import: it loads SQLAlchemy

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, lifespan="off")
    )
    thread = threading.Thread(target=server.run, name=f"{name}:{port}", daemon=True)
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
