"""One event loop and one pooled HTTP client per Lambda container.

An ``httpx.AsyncClient`` belongs to the loop it first connected on, so the two live together
here, created on first use and kept for the container's life: every record of every
invocation runs on the same loop and reuses the same keep-alive connections to the
platforms (no new TLS handshake per operation, no new loop per record). Concurrency limits
(:meth:`Runtime.limit`) are loop-bound too and live here as well.

    result = runtime().run(collect(...))          # from synchronous code (the handler)
    close_runtime()                               # tests: close the client, then the loop
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from socialmetrics.config import Settings
from socialmetrics.providers.base import http_client

T = TypeVar("T")


class Runtime:
    """The container's loop, pooled client and named semaphores (all created lazily)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: httpx.AsyncClient | None = None
        self._limits: dict[str, asyncio.Semaphore] = {}

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._open()

    def _open(self) -> asyncio.AbstractEventLoop:
        """The loop, new if there is none (then without the old loop's client and limits)."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            self._http = None  # a client of a closed loop cannot be reused
            self._limits.clear()
        return self._loop

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` to completion on the container's loop."""
        return self.loop.run_until_complete(work)

    def http(self, settings: Settings) -> httpx.AsyncClient:
        """The pooled client (headers and time budget from the settings of its first use;
        each request passes its own time budget as well)."""
        self._open()
        if self._http is None or self._http.is_closed:
            self._http = http_client(settings)
        return self._http

    def limit(self, name: str, size: int) -> asyncio.Semaphore:
        """The semaphore called ``name`` (its size fixed at first use)."""
        self._open()
        if name not in self._limits:
            self._limits[name] = asyncio.Semaphore(max(size, 1))
        return self._limits[name]

    def close(self) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        if self._http is not None and not self._http.is_closed:
            self._loop.run_until_complete(self._http.aclose())
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()
        self._http = None
        self._limits.clear()


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """This container's runtime (created on first use)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime()
    return _runtime


def close_runtime() -> None:
    """Close the pooled client and the loop (tests; a container simply ends)."""
    global _runtime
    if _runtime is not None:
        _runtime.close()
        _runtime = None
