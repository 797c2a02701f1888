"""API read throughput under a bounded concurrent load: ``GET /metrics/`` vs ``GET /health``.

The real app (``functions.api.app.create_app``) is served by uvicorn on a free loopback port
in a thread; an httpx client fires ``requests`` requests with ``concurrency`` in flight (a
small, bounded stand-in for the seed's locust test, without adding locust). The baseline is
``/health`` (one database round trip, no auth); the candidate is a keyset page of
``page_size`` metrics of one client's ``points`` (JWT verified, actor loaded, page queried and
serialised). Every response must be 200. Both run against the same server in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from benchmarks.bench_pagination import populate
from benchmarks.harness import Comparison, make_owner, median_seconds
from local.runtime.serving import serve_http
from socialmetrics.db.engine import unit_of_work
from socialmetrics.identity.service import issue_api_key, login


def serve_api() -> contextlib.AbstractContextManager[str]:
    """The API app on 127.0.0.1:<free port> (uvicorn in a thread), stopped on exit."""
    from functions.api.app import create_app

    return serve_http(create_app(), log_level="error", name="bench-api")


async def _load(
    base_url: str, path: str, headers: dict[str, str], total: int, workers: int
) -> None:
    remaining = iter(range(total))
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as client:

        async def worker() -> None:
            for _ in remaining:
                response = await client.get(path, timeout=30)
                if response.status_code != 200:
                    raise AssertionError(f"GET {path} answered {response.status_code}")

        await asyncio.gather(*(worker() for _ in range(workers)))


def load(base_url: str, path: str, headers: dict[str, str], total: int, workers: int) -> None:
    """``total`` GETs of ``path`` with at most ``workers`` in flight; every one must be 200."""
    asyncio.run(_load(base_url, path, headers, total, workers))


def run(
    requests: int = 500,
    concurrency: int = 10,
    points: int = 20_000,
    page_size: int = 100,
    repeat: int = 3,
) -> Comparison:
    owner = make_owner()
    populate(owner, points)
    with unit_of_work() as session:  # a real key: the API checks the key behind every token
        key = issue_api_key(session, owner.user_id, label="bench")
        token = login(session, key.key.get_secret_value(), None).access_token
    auth = {"Authorization": f"Bearer {token}"}
    metrics_path = f"/metrics/?user_id={owner.user_id}&limit={page_size}"
    with serve_api() as base_url:
        load(base_url, metrics_path, auth, concurrency, concurrency)  # warm both paths
        load(base_url, "/health", {}, concurrency, concurrency)
        baseline = median_seconds(
            lambda: load(base_url, "/health", {}, requests, concurrency), repeat
        )
        candidate = median_seconds(
            lambda: load(base_url, metrics_path, auth, requests, concurrency), repeat
        )
    return Comparison(
        name=(
            f"API under load, {requests} requests with {concurrency} in flight "
            "(uvicorn + httpx on loopback)"
        ),
        baseline="GET /health (one database round trip)",
        candidate=f"GET /metrics/ ({page_size}-row keyset page, JWT)",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=requests,
        unit="requests",
        runs=repeat,
    )
