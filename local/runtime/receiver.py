"""A small webhook receiver on loopback: the local runtime points a demo endpoint at it so a
new user sees signed events arrive; tests use it as the far end of deliveries.

It verifies each delivery with the endpoint's secret (when it knows it) exactly as
docs/webhooks.md tells receivers to, flags a ``webhook-id`` it has already seen as a replay,
and answers with :attr:`Receiver.status` (tests set 500 to exercise retries)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from socialmetrics.signals.signing import InvalidSignature, verify

MAX_BODY = 1_048_576


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    verified: bool | None  # None: no secret known
    replay: bool

    @property
    def event(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


@dataclass
class Receiver:
    status: int = 200
    secret: str | None = None
    on_delivery: Callable[[Delivery], None] | None = None
    received: list[Delivery] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        verified: bool | None = None
        if self.secret:
            try:
                verify(self.secret, headers, body, int(time.time()))
                verified = True
            except InvalidSignature:
                verified = False
        with self.lock:
            message_id = headers.get("webhook-id", "")
            delivery = Delivery(headers, body, verified, replay=message_id in self.seen)
            self.seen.add(message_id)
            self.received.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        return self.status


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("content-length") or 0), MAX_BODY)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.accept(headers, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def serve(receiver: Receiver | None = None, port: int = 0) -> Iterator[Receiver]:
    """Run ``receiver`` on ``127.0.0.1:port`` (0: a free port) until the block ends."""
    receiver = receiver or Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
