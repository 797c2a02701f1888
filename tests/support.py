"""Plain helpers shared by tests (factories are plain functions, not fixtures)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from local.runtime.process import reset_process_state as reset_process_state
from local.runtime.serving import serve_http as serve_http

if TYPE_CHECKING:
    import pytest

# Small budgets so a hung dependency fails in well under a second in tests.
TEST_AWS_BUDGET = {
    "AWS_CONNECT_TIMEOUT_SECONDS": "0.5",
    "AWS_READ_TIMEOUT_SECONDS": "0.3",
    "AWS_MAX_ATTEMPTS": "2",
}


def hang_aws_service(monkeypatch: pytest.MonkeyPatch, service: str, url: str) -> None:
    """Point one AWS service (``KMS``, ``SQS``, ``SECRETS_MANAGER``: botocore's
    ``AWS_ENDPOINT_URL_<SERVICE>`` names) at ``url``, with the small test budget; the other
    services keep ``AWS_ENDPOINT_URL``."""
    for name, value in {**TEST_AWS_BUDGET, f"AWS_ENDPOINT_URL_{service}": url}.items():
        monkeypatch.setenv(name, value)
    reset_process_state()


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
        return 120_000  # a fresh invocation of a 120 s function (the collector's timeout)


class HungServer:
    """A loopback TCP server that accepts every connection and never answers a byte: what a
    hung dependency looks like from the client (connect succeeds, the read times out).

    ``connections`` counts the connections accepted, i.e. the attempts a client made."""

    def __init__(self) -> None:
        import socket

        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.05)
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="hung-server", daemon=True)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._accepted)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._accepted.append(conn)  # held open, never read from or written to

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for conn in self._accepted:
                conn.close()
