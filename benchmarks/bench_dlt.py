"""Collection of X accounts: the project's collector against a dlt 1.31 ``rest_api`` pipeline
into Postgres doing the same work (issue 16, row ``vs_dlt``).

Both sides fetch the same accounts from the same platform sandbox (its own process on a
loopback port, every account answering after the same fixed latency) and store what they
fetched in the benchmark's database:

- the project: the accounts registered through the public services (user, consent, envelope-
  encrypted tokens), then ``functions.collector.handler.handler`` called in process with SQS
  events of the ``collect-x`` queue's batch size, one after another (one warm container);
- dlt: a worker in dlt's isolated environment (:mod:`benchmarks.dlt.pipeline`) runs the
  ``rest_api`` source (user lookup + the account's posts, each account's own bearer token)
  into a fresh dataset (schema) with dlt's postgres destination.

The query parameters dlt sends are the ones the collector sent in the warm-up round (read from
the sandbox's request log), and every round checks that both sides made the same calls per
account, that every account was collected and that dlt loaded every user and post. Rounds are
interleaved (the order alternates), after one untimed warm-up round of each side; neither side
counts interpreter start or imports: the project's handler calls are timed in process, dlt's
``pipeline.run`` inside its worker (pipeline creation, extract, normalize, load).
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from benchmarks.dlt import env
from benchmarks.dlt.config import ROOT
from benchmarks.dlt.worker import worker
from benchmarks.goals import Measured
from benchmarks.harness import Comparison, NotMeasured, stop
from infra import definition
from local.runtime import invoke, pollers
from local.runtime.aws import Resources
from local.runtime.process import environment
from local.sandbox.server import base_url_env, free_port
from socialmetrics.aws import client
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.compliance.audit import Actor
from socialmetrics.compliance.consent import record_consent
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.models import PlatformRow
from socialmetrics.identity.service import create_user
from socialmetrics.platforms import Platform
from socialmetrics.registration import register_token

ACCOUNTS = 20
POSTS = 30  # one page of posts per account (the collector asks for 100 a page)
LATENCY_MS = 50
SANDBOX_LOG = 2_000  # the sandbox's state shows its last 2,000 calls; a round must fit
PAGE = 100  # posts per timeline page (the collector's max_results)
VOLATILE = ("start_time",)  # derived from the clock when the request is made
QUEUE = "collect-x"
Call = tuple[str, tuple[tuple[str, str], ...]]


@contextmanager
def sandbox_process(seed: int = 7) -> Iterator[str]:
    """The platform sandbox in its own process (neither side shares an interpreter with it);
    yields its base URL once it answers, stops it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.sandbox.server", "--port", str(port), "--seed", str(seed)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_sandbox/state", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start on {url}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        stop(process)


def make_tenant() -> tuple[int, int]:
    """A client with consent given; returns ``(user_id, the X platform's id)``."""
    with unit_of_work() as session:
        user, _ = create_user(session, "bench dlt", f"dlt-{secrets.token_hex(4)}@example.com")
        record_consent(session, user.user_id, True, Actor.system("bench"))
        platform_id = session.scalar(select(PlatformRow.id).where(PlatformRow.name == "X"))
    if platform_id is None:
        raise RuntimeError("the X platform is not seeded")
    return user.user_id, platform_id


def register_accounts(
    sandbox: httpx.Client, user_id: int, platform_id: int, count: int, posts: int, latency: int
) -> list[tuple[dict[str, str], int]]:
    """``count`` new sandbox X accounts, each registered for the tenant: pairs of (the remote
    ``id`` and ``token``, the project's account id)."""
    pairs = []
    actor = Actor(user_id=user_id, role="client", name="bench")
    for _ in range(count):
        spec = {"platform": "X", "posts": posts, "latency_ms": latency}
        remote = sandbox.post("/_sandbox/accounts", json=spec).raise_for_status().json()
        with unit_of_work() as session:
            registration = register_token(
                session,
                actor,
                user_id,
                platform_id,
                remote["id"],
                remote["access_token"],
                refresh_token=remote["refresh_token"],
                expires_at=datetime.now(UTC) + timedelta(seconds=remote["expires_in"]),
                scopes=remote["scopes"],
            )
        pairs.append(
            ({"id": remote["id"], "token": remote["access_token"]}, registration.account_id)
        )
    return pairs


def sqs_events(account_ids: list[int], queue_arn: str, tag: str) -> list[dict[str, Any]]:
    """The SQS events the collector would receive for these accounts (one a batch)."""
    now = datetime.now(UTC)
    size = definition.queue(QUEUE).batch_size
    records = []
    for index, account_id in enumerate(account_ids):
        body = CollectRequest(
            platform=Platform.X,
            account_id=account_id,
            job_id=f"{tag}-{index}",
            window_start=now - timedelta(days=1),
            window_end=now,
        ).model_dump_json()
        message = {
            "MessageId": f"{tag}-{index}",
            "ReceiptHandle": f"{tag}-{index}",
            "Body": body,
            "MD5OfBody": "",
            "Attributes": {"ApproximateReceiveCount": "1"},
        }
        records.append(pollers.sqs_record(message, queue_arn, "us-east-1"))
    return [{"Records": records[i : i + size]} for i in range(0, len(records), size)]


def collect_with_project(events: list[dict[str, Any]]) -> float:
    """Seconds the collector handler took over ``events`` (one invocation each, in order)."""
    from functions.collector.handler import handler

    collector = definition.function("collector")
    started = time.perf_counter()
    replies = [handler(event, invoke.context_for(collector)) for event in events]
    seconds = time.perf_counter() - started
    failed = [item for reply in replies for item in reply.get("batchItemFailures", [])]
    if failed:
        from socialmetrics.collection.batch import processor

        reasons = sorted({repr(exc) for _, exc, _ in processor.exceptions})
        raise AssertionError(f"the collector kept {len(failed)} messages: {failed[:3]} {reasons}")
    return seconds


def stored_by_project(account_ids: list[int]) -> int:
    """Points the collector stored for these accounts; each must have one succeeded run."""
    with unit_of_work() as session:
        runs = session.execute(
            text("SELECT account_id, outcome FROM collection_runs WHERE account_id = ANY(:ids)"),
            {"ids": account_ids},
        ).all()
        points: int = session.execute(
            text("SELECT count(*) FROM metrics WHERE account_id = ANY(:ids)"), {"ids": account_ids}
        ).scalar_one()
    outcomes = Counter(run.outcome for run in runs)
    if len(runs) != len(account_ids) or outcomes != {"succeeded": len(account_ids)}:
        raise AssertionError(f"collection runs of {len(account_ids)} accounts: {dict(outcomes)}")
    return points


def platform_calls(sandbox: httpx.Client, remote_ids: set[str]) -> list[dict[str, Any]]:
    """The calls the sandbox logged for these accounts, oldest first."""
    requests: list[dict[str, Any]] = sandbox.get("/_sandbox/state").json()["requests"]
    return [call for call in requests if call["account"] in remote_ids]


def call_shape(call: dict[str, Any]) -> Call:
    """A call with the account's id out of its path and clock-derived values blanked."""
    path = str(call["path"]).replace(f"/{call['account']}", "/{id}")
    params = sorted(
        (key, "*" if key in VOLATILE else value) for key, value in parse_qsl(call["query"])
    )
    return path, tuple(params)


def same_calls(project: list[dict[str, Any]], dlt: list[dict[str, Any]]) -> int:
    """Both sides called the same endpoints with the same parameters for every account (as
    many times each); returns the number of calls per account."""

    def by_account(calls: list[dict[str, Any]]) -> dict[str, Counter[Call]]:
        found: dict[str, Counter[Call]] = {}
        for call in calls:
            found.setdefault(call["account"], Counter())[call_shape(call)] += 1
        return found

    ours, theirs = by_account(project), by_account(dlt)
    if ours != theirs:
        shapes = set().union(*ours.values()) ^ set().union(*theirs.values())
        raise AssertionError(f"the two sides made different calls: {sorted(shapes)[:4]}")
    per_account = {sum(counter.values()) for counter in ours.values()}
    if len(per_account) != 1:
        raise AssertionError(f"accounts needed different numbers of calls: {per_account}")
    return per_account.pop()


def collector_params(calls: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """The query parameters of the collector's user lookup and first timeline page."""
    user: dict[str, str] | None = None
    timeline: dict[str, str] | None = None
    for call in calls:
        path, params = str(call["path"]), dict(parse_qsl(call["query"]))
        if path.endswith(f"/users/{call['account']}") and user is None:
            user = params
        elif path.endswith("/tweets") and timeline is None and "pagination_token" not in params:
            timeline = params
    if user is None or timeline is None:
        raise AssertionError("the collector made no user lookup or timeline call")
    return user, timeline


def psycopg2_url(database_url: str) -> str:
    """The benchmark database's URL as dlt's postgres destination takes it (psycopg2). dlt
    insists on a password: a server that trusts loopback (the local default) ignores it."""
    url = make_url(database_url)
    url = url.set(drivername="postgresql", password=url.password or "unused-by-trust-auth")
    return url.render_as_string(hide_password=False)


SIDES = ("project", "dlt", "dlt one at a time")  # dlt with and without parallelized


@dataclass
class Round:
    """One round: fresh accounts, each side's seconds, and what each stored."""

    pairs: list[tuple[dict[str, str], int]]
    tag: str
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    points: int = 0


def run(
    resources: Resources,
    accounts: int = ACCOUNTS,
    posts: int = POSTS,
    latency_ms: int = LATENCY_MS,
    repeat: int = 3,
) -> Comparison:
    if accounts < 1 or len(SIDES) * accounts * (2 + posts // PAGE) > SANDBOX_LOG:
        raise ValueError(f"{accounts} accounts of {posts} posts do not fit the sandbox's log")
    try:
        python = env.ensure()
    except env.EnvironmentUnavailable as exc:
        raise NotMeasured(f"vs_dlt: {exc}") from exc
    queue_arn = client("sqs").get_queue_attributes(
        QueueUrl=resources.queue_urls[QUEUE], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    rounds: list[Round] = []
    with (
        sandbox_process() as sandbox_url,
        # the collector's deployed database pool (one connection per record it runs at once)
        environment(**base_url_env(sandbox_url), **definition.COLLECTOR_POOL),
        httpx.Client(base_url=sandbox_url, timeout=30) as sandbox,
        worker(python, ROOT / ".local" / "bench-dlt.log") as pipeline,
    ):
        user_id, platform_id = make_tenant()
        params: tuple[dict[str, str], dict[str, str]] | None = None
        for index in range(repeat + 1):  # round 0 warms every side up, untimed
            pairs = register_accounts(sandbox, user_id, platform_id, accounts, posts, latency_ms)
            this = Round(pairs, f"dlt-{index}-{secrets.token_hex(3)}")
            remote_ids = {remote["id"] for remote, _ in pairs}
            seen: list[dict[str, Any]] = []
            for side in SIDES[index % 3 :] + SIDES[: index % 3]:  # the project first in round 0
                if side == "project":
                    ids = [account_id for _, account_id in pairs]
                    this.seconds[side] = collect_with_project(sqs_events(ids, queue_arn, this.tag))
                    this.points = stored_by_project(ids)
                elif params is None:
                    raise AssertionError("the warm-up round runs the project first")
                else:
                    job = dlt_job(sandbox_url, this, params, parallelized=side == "dlt")
                    answer = pipeline.run(job)
                    if answer["rows"] != {"users": accounts, "tweets": accounts * posts}:
                        raise AssertionError(f"dlt loaded {answer['rows']}")
                    this.seconds[side] = answer["seconds"]
                logged = platform_calls(sandbox, remote_ids)
                this.calls[side], seen = logged[len(seen) :], logged
                params = params or collector_params(this.calls["project"])
            per_account = {same_calls(this.calls["project"], this.calls[s]) for s in SIDES[1:]}
            rounds.append(this)
    timed = {side: statistics.median(r.seconds[side] for r in rounds[1:]) for side in SIDES}
    project, dlt = timed["project"], timed["dlt"]
    calls = per_account.pop()
    how = (
        f"project {project:.2f} s vs dlt {dlt:.2f} s for {accounts} X accounts x {calls} calls,"
        f" {latency_ms} ms per call, {posts} posts each; dlt parallelized; median of {repeat}"
        " interleaved rounds after a warm-up; interpreter"
        " start and imports excluded on both sides (handler timed in process, dlt's"
        " pipeline.run in its worker)"
    )
    return Comparison(
        name=f"collection of {accounts} X accounts ({calls} calls each, {latency_ms} ms)",
        baseline="dlt 1.31 rest_api pipeline into Postgres (parallelized)",
        candidate=f"collector handler (SQS events of {definition.queue(QUEUE).batch_size})",
        baseline_seconds=dlt,
        candidate_seconds=project,
        unit_count=accounts,
        unit="accounts",
        runs=repeat,
        note=(
            f"same calls on every side; dlt loaded {accounts} users + {accounts * posts} posts,"
            f" the collector stored {rounds[-1].points:,} points; dlt one account at a time:"
            f" {timed['dlt one at a time']:.2f} s; latency alone, one call after another:"
            f" {accounts * calls * latency_ms / 1000:.1f} s"
        ),
        goals=(Measured("vs_dlt", dlt / project, how),),
    )


def dlt_job(
    sandbox_url: str,
    this: Round,
    params: tuple[dict[str, str], dict[str, str]],
    *,
    parallelized: bool,
) -> dict[str, Any]:
    """The worker's job for this round: the accounts, the collector's parameters, a fresh
    dataset (schema) in the benchmark's database."""
    return {
        "base_url": base_url_env(sandbox_url)["X_API_BASE_URL"] + "/2",
        "accounts": [remote for remote, _ in this.pairs],
        "user_params": params[0],
        "timeline_params": params[1],
        "credentials": psycopg2_url(os.environ["DATABASE_URL"]),
        "dataset": f"{this.tag}-{'p' if parallelized else 's'}".replace("-", "_"),
        "parallelized": parallelized,
    }
