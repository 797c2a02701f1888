"""Collection: the pooled per-container client, and a collector batch against the ideal.

The sandbox runs in its own process on a loopback port, as a remote platform would: its work
does not compete with the collector's for this interpreter.

- ``run_client_reuse``: X collections (two platform calls each, no added latency) one after
  another, each through a client opened for the operation (the old pattern) vs through the
  container's pooled client; calls per second compared.
- ``run``: N X accounts (two platform calls each; real Postgres, tokens envelope-
  encrypted under the local key provider) collected by the collector's handler from one SQS
  batch of N records, the sandbox adding a fixed latency to every request; compared with the
  ideal ``latency x calls / concurrency`` (concurrency: the records collected at once,
  ``min(N, COLLECT_CONCURRENCY)``; issue 16's goal: at most 1.3x), and with the same batch
  collected one record after another (``COLLECT_CONCURRENCY=1``) as the in-run baseline.

Cursors are cleared before every round (untimed), so each collection makes the same calls
(the account's counters and the first page of its timeline); every round is checked to
have collected all N accounts with exactly two calls each.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from benchmarks.goals import Measured
from benchmarks.harness import ROOT, Comparison, median_seconds
from local.runtime.invoke import LambdaContext
from local.runtime.process import environment
from local.sandbox.server import base_url_env, free_port
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.platforms import Platform

CALLS_PER_ACCOUNT = 2  # GET /2/users/{id}, then the first timeline page (no posts)
QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:socialmetrics-collect-x"


Register = Callable[[dict[str, Any]], dict[str, Any]]


@contextlib.contextmanager
def sandbox() -> Iterator[Register]:
    """The sandbox in its own process on a loopback port (as a remote platform would be: its
    work does not compete with the collector's for this interpreter), quotas out of the way,
    settings pointing at it; yields a function that registers an account there."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.sandbox.server", "--port", str(port), "--seed", "16"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10) as control:
            deadline = time.monotonic() + 30
            while True:
                try:
                    control.get("/_sandbox/state").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("the sandbox did not start") from None
                    time.sleep(0.1)
            control.post("/_sandbox/config", json={"quota": 10**9}).raise_for_status()

            def register(spec: dict[str, Any]) -> dict[str, Any]:
                response = control.post("/_sandbox/accounts", json=spec)
                response.raise_for_status()
                account: dict[str, Any] = response.json()
                return account

            with environment(**base_url_env(url)):
                yield register
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _close_runtime() -> None:
    from socialmetrics.providers.runtime import close_runtime

    close_runtime()


def run_client_reuse(operations: int = 150, repeat: int = 3) -> Comparison:
    from socialmetrics.config import get_settings
    from socialmetrics.providers.registry import client_for
    from socialmetrics.providers.runtime import runtime
    from socialmetrics.providers.types import AccountRef, Credentials

    with sandbox() as register:
        summary = register({"platform": "X", "posts": 0})
        ref = AccountRef(str(summary["id"]))
        credentials = Credentials(SecretStr(str(summary["access_token"])))
        settings = get_settings()
        calls: list[int] = []

        async def collections(pooled: bool) -> None:
            http = runtime().http(settings) if pooled else None
            for _ in range(operations):
                client = client_for(Platform.X, settings, http=http)
                result = await client.collect(ref, credentials, {})
                calls.append(result.calls)
                if result.calls != CALLS_PER_ACCOUNT or result.fatal is not None:
                    raise AssertionError(f"unexpected collection: {result.parts}")

        try:
            baseline = median_seconds(lambda: runtime().run(collections(False)), repeat, 1)
            candidate = median_seconds(lambda: runtime().run(collections(True)), repeat, 1)
        finally:
            _close_runtime()
    return Comparison(
        name=f"client reuse: {operations} X collections in a row (sandbox on loopback)",
        baseline="a new httpx.AsyncClient per operation",
        candidate="the container's pooled client",
        baseline_seconds=baseline,
        candidate_seconds=candidate,
        unit_count=operations * CALLS_PER_ACCOUNT,
        unit="calls",
        runs=repeat,
    )


def _onboard(register: Register, accounts: int, latency_ms: int) -> list[int]:
    """``accounts`` sandbox X accounts, each registered for its own consenting user."""
    from sqlalchemy import text

    from socialmetrics.compliance.audit import Actor
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.registration import register_token

    ids: list[int] = []
    for _ in range(accounts):
        remote = register({"platform": "X", "posts": 0, "latency_ms": latency_ms})
        with unit_of_work() as session:
            user_id = session.execute(
                text(
                    "INSERT INTO users (name, email, role) VALUES ('bench', :e, 'client')"
                    " RETURNING id"
                ),
                {"e": f"bench-{uuid.uuid4().hex[:10]}@example.com"},
            ).scalar_one()
            session.execute(
                text(
                    "INSERT INTO consents (user_id, purpose, given)"
                    " VALUES (:u, 'metrics_collection', true)"
                ),
                {"u": user_id},
            )
            platform_id = session.execute(
                text("SELECT id FROM platforms WHERE name = 'X'")
            ).scalar_one()
            registration = register_token(
                session,
                Actor(user_id=user_id, role="client"),
                user_id,
                platform_id,
                str(remote["id"]),
                str(remote["access_token"]),
                refresh_token=remote.get("refresh_token"),
                expires_at=datetime.now(UTC) + timedelta(seconds=int(remote["expires_in"])),
                scopes=list(remote.get("scopes") or []),
            )
            ids.append(registration.account_id)
    return ids


def sqs_event(account_ids: list[int], job_id: str) -> dict[str, Any]:
    """The SQS event Lambda would deliver for one collect request per account."""
    now = datetime.now(UTC).replace(microsecond=0)
    records = []
    for account_id in account_ids:
        body = CollectRequest(
            platform=Platform.X,
            account_id=account_id,
            job_id=job_id,
            window_start=now - timedelta(minutes=15),
            window_end=now,
        ).model_dump_json()
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def _reset_cursors(account_ids: list[int]) -> None:
    from sqlalchemy import text

    from socialmetrics.db.engine import unit_of_work

    with unit_of_work() as session:
        session.execute(
            text("UPDATE accounts SET sync_cursor = '{}'::jsonb WHERE id = ANY(:ids)"),
            {"ids": account_ids},
        )


def _calls_of(job_id: str) -> list[int]:
    from sqlalchemy import text

    from socialmetrics.db.engine import unit_of_work

    with unit_of_work() as session:
        rows = session.execute(
            text("SELECT (detail->>'calls')::int FROM collection_runs WHERE job_id = :j"),
            {"j": job_id},
        ).scalars()
        return [int(calls or 0) for calls in rows]


def run(accounts: int = 10, latency_ms: int = 50, repeat: int = 3) -> Comparison:
    from functions.collector.handler import handler
    from infra.definition import COLLECTOR_POOL
    from socialmetrics.config import get_settings

    # The collector's deployed pool (one kept connection per record that may run at once).
    with sandbox() as register, environment(TOKEN_KEY_PROVIDER="local", **COLLECTOR_POOL):
        account_ids = _onboard(register, accounts, latency_ms)
        jobs: list[str] = []

        def one_batch() -> None:
            job = f"bench-{uuid.uuid4().hex[:12]}"
            jobs.append(job)
            context = LambdaContext(  # a fresh invocation: its own deadline
                function_name="socialmetrics-collector",
                memory_limit_in_mb=1024,
                timeout_seconds=120,
            )
            reply = handler(sqs_event(account_ids, job), context)
            if reply.get("batchItemFailures"):
                from socialmetrics.collection.batch import processor

                reasons = {repr(exc) for _, exc, _ in processor.exceptions}
                raise AssertionError(f"{len(reply['batchItemFailures'])} records failed: {reasons}")

        def checked_reset() -> None:
            if jobs and _calls_of(jobs[-1]) != [CALLS_PER_ACCOUNT] * accounts:
                raise AssertionError(f"unexpected calls: {_calls_of(jobs[-1])}")
            _reset_cursors(account_ids)

        try:
            with environment(COLLECT_CONCURRENCY="1"):  # the records one after another
                _close_runtime()  # a semaphore's size is fixed at its first use
                sequential = median_seconds(one_batch, repeat, warmup=1, setup=checked_reset)
                _close_runtime()
            measured = median_seconds(one_batch, repeat, warmup=1, setup=checked_reset)
            checked_reset()
            concurrency = min(accounts, get_settings().collect_concurrency)
        finally:
            _close_runtime()
    ideal = latency_ms / 1000 * CALLS_PER_ACCOUNT * accounts / concurrency
    ratio = measured / ideal
    detail = (
        f"{accounts} X accounts x {CALLS_PER_ACCOUNT} calls at {latency_ms} ms, "
        f"concurrency {concurrency}: {measured * 1000:.0f} ms vs ideal {ideal * 1000:.0f} ms"
    )
    return Comparison(
        name=f"collector batch of {accounts} X accounts ({latency_ms} ms per platform call)",
        baseline="its records one after another (COLLECT_CONCURRENCY=1)",
        candidate=f"the collector handler ({concurrency} records at once)",
        baseline_seconds=sequential,
        candidate_seconds=measured,
        unit_count=accounts,
        unit="accounts",
        runs=repeat,
        note=f"{ratio:.2f}x the ideal of {ideal * 1000:.0f} ms (latency x calls / concurrency)",
        goals=(Measured("collection_vs_ideal", ratio, detail),),
    )
