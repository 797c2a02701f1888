"""A loopback SQS stand-in that answers ``SendMessageBatch`` after a fixed latency.

moto spends tens of milliseconds of its own CPU per batch, so a fan-out measured against it
measures moto. This server speaks just enough of SQS's JSON protocol (``X-Amz-Target:
AmazonSQS.SendMessageBatch``) for botocore, waits ``--latency-ms`` per call (the network round
trip of real SQS), and records every entry so a caller can check that each message arrived
exactly once. It runs in its own process (:func:`standin`) so its work does not compete for the
caller's interpreter lock.

Control routes (plain HTTP, loopback only): ``GET /stats`` (calls, entries per queue, duplicate
ids), ``POST /reset`` (forget everything), ``POST /fail`` with ``{"ids": [...]}`` (answer those
entry ids with a per-entry failure from now on).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class _State:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.calls = 0
        self.ids: dict[str, Counter[str]] = {}
        self.failing: set[str] = set()

    def send_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        time.sleep(self.latency)
        queue = str(request["QueueUrl"])
        successful, failed = [], []
        with self.lock:
            self.calls += 1
            seen = self.ids.setdefault(queue, Counter())
            for entry in request["Entries"]:
                if entry["Id"] in self.failing:
                    failed.append(
                        {"Id": entry["Id"], "SenderFault": False, "Code": "InternalError"}
                    )
                    continue
                seen[entry["Id"]] += 1
                body = entry["MessageBody"].encode()
                successful.append(
                    {
                        "Id": entry["Id"],
                        "MessageId": str(uuid.uuid4()),
                        "MD5OfMessageBody": hashlib.md5(body, usedforsecurity=False).hexdigest(),
                    }
                )
        return {"Successful": successful, "Failed": failed}

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": self.calls,
                "by_queue": {queue: sum(ids.values()) for queue, ids in self.ids.items()},
                "duplicates": sum(n - 1 for ids in self.ids.values() for n in ids.values()),
            }


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
        disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms ACK wait)

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length) if length else b"{}"
            parsed: dict[str, Any] = json.loads(raw or b"{}")
            return parsed

        def do_GET(self) -> None:
            if self.path == "/stats":
                self._reply(200, state.stats())
            else:
                self._reply(404, {"message": "not found"})

        def do_POST(self) -> None:
            request = self._body()
            target = self.headers.get("X-Amz-Target", "")
            if target == "AmazonSQS.SendMessageBatch":
                self._reply(200, state.send_batch(request))
            elif self.path == "/reset":
                with state.lock:
                    state.calls, state.ids, state.failing = 0, {}, set()
                self._reply(200, {})
            elif self.path == "/fail":
                with state.lock:
                    state.failing = {str(i) for i in request.get("ids", [])}
                self._reply(200, {})
            else:
                error = {"__type": "com.amazonaws.sqs#UnsupportedOperation", "message": target}
                self._reply(400, error)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per call would dominate the output."""

    return Handler


def serve(latency_ms: float, port: int = 0) -> None:
    """Serve on 127.0.0.1 until stdin closes; prints the bound port first."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(_State(latency_ms / 1000)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # the parent closes our stdin to stop us
    server.shutdown()
    server.server_close()


@contextlib.contextmanager
def standin(latency_ms: float = 5.0) -> Iterator[str]:
    """Run the stand-in in a child process; yields its endpoint URL and stops it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.sqs_standin", "--latency-ms", str(latency_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def stats(endpoint: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{endpoint}/stats", timeout=10).json()
    return result


def reset(endpoint: str) -> None:
    httpx.post(f"{endpoint}/reset", json={}, timeout=10).raise_for_status()


def fail_ids(endpoint: str, ids: list[int]) -> None:
    httpx.post(f"{endpoint}/fail", json={"ids": ids}, timeout=10).raise_for_status()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sqs_standin")
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    serve(arguments.latency_ms, arguments.port)
