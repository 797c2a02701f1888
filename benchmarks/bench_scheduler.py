"""Scheduler tick at scale: 100k due accounts planned and enqueued in one ``run_tick``, against
a loopback SQS stand-in that answers each ``SendMessageBatch`` after a fixed 5 ms (see
``benchmarks.sqs_standin``), compared with the goal of 60 s (issue 16).

Every round starts with all the benchmark's accounts due again (untimed) and checks afterwards
that the tick enqueued each of them exactly once and advanced every one.
"""

from __future__ import annotations

import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from benchmarks import sqs_standin
from benchmarks.goals import Measured
from benchmarks.harness import DUMMY_AWS_CREDENTIALS, Comparison, median_seconds
from local.runtime.process import environment
from socialmetrics.aws import client
from socialmetrics.collection.planning import SEND_CONCURRENCY, run_tick
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work

GOAL_SECONDS = 60.0
LATENCY_MS = 5.0
QUEUES = ("collect-x", "collect-meta", "collect-tiktok")
ACCOUNTS_PER_USER = 100


def seed_due_accounts(count: int, due_at: datetime) -> str:
    """``count`` active accounts (spread over the five platforms, 100 per consenting user),
    all due at ``due_at``; returns the tag their ``platform_user_id`` starts with."""
    tag = f"fan-{secrets.token_hex(4)}"
    users = -(-count // ACCOUNTS_PER_USER)
    with unit_of_work() as session:
        session.execute(
            text(
                "INSERT INTO users (name, email, role) SELECT 'fan-out', :tag || '-' || g ||"
                " '@example.com', 'client' FROM generate_series(1, :users) g"
            ),
            {"tag": tag, "users": users},
        )
        session.execute(
            text(
                "INSERT INTO consents (user_id, purpose, given) SELECT id, 'metrics_collection',"
                " true FROM users WHERE email LIKE :tag || '-%'"
            ),
            {"tag": tag},
        )
        session.execute(
            text(
                """
                INSERT INTO accounts (user_id, platform_id, platform_user_id, access_token_ct,
                                      wrapped_key, key_id, next_collect_at)
                SELECT u.id, p.id, :tag || '-' || g, '\\x00', '\\x00', 'bench', :due
                FROM generate_series(0, :count - 1) g
                JOIN LATERAL (SELECT id FROM users WHERE email = :tag || '-' || (g / :per + 1)
                              || '@example.com') u ON true
                JOIN LATERAL (SELECT id FROM platforms ORDER BY id OFFSET mod(g, 5) LIMIT 1) p
                  ON true
                """
            ),
            {"tag": tag, "count": count, "per": ACCOUNTS_PER_USER, "due": due_at},
        )
    with unit_of_work() as session:  # statistics, as a live database has them
        session.execute(text("ANALYZE users, consents, accounts"))
    return tag


def make_due(tag: str, due_at: datetime) -> None:
    with unit_of_work() as session:
        session.execute(
            text("UPDATE accounts SET next_collect_at = :due WHERE platform_user_id LIKE :p"),
            {"due": due_at, "p": f"{tag}-%"},
        )


def still_due(tag: str, now: datetime) -> int:
    with unit_of_work() as session:
        count: int = session.execute(
            text(
                "SELECT count(*) FROM accounts WHERE platform_user_id LIKE :p"
                " AND next_collect_at <= :now"
            ),
            {"p": f"{tag}-%", "now": now},
        ).scalar_one()
    return count


def run(accounts: int = 100_000, repeat: int = 3) -> Comparison:
    now = datetime.now(UTC).replace(microsecond=0)
    due_at = now - timedelta(minutes=5)
    tag = seed_due_accounts(accounts, due_at)
    page_size = get_settings().scheduler_page_size
    with (
        sqs_standin.standin(LATENCY_MS) as endpoint,
        environment(**DUMMY_AWS_CREDENTIALS, AWS_ENDPOINT_URL=endpoint),
    ):
        urls = {key: f"{endpoint}/123456789012/{key}" for key in QUEUES}
        checked: list[int] = []
        cpu: list[float] = []

        def check() -> None:
            """Untimed: the previous round enqueued each account once; then all due again."""
            if checked:
                stats = sqs_standin.stats(endpoint)
                sent = sum(stats["by_queue"].values())
                if sent != accounts or stats["duplicates"] or still_due(tag, now):
                    raise AssertionError(f"fan-out incomplete: {stats}")
                checked.append(stats["calls"])
            else:
                checked.append(0)
            make_due(tag, due_at)
            sqs_standin.reset(endpoint)

        def tick() -> None:
            started = time.process_time()
            result = run_tick(client("sqs"), urls, now=now, page_size=page_size, window_seconds=900)
            cpu.append(time.process_time() - started)
            if result.enqueued != accounts or result.failed:
                raise AssertionError(f"tick enqueued {result.enqueued} of {accounts}")

        candidate = median_seconds(tick, repeat, setup=check)
        check()
    return Comparison(
        name=f"scheduler tick: {accounts:,} due accounts planned + enqueued",
        baseline=f"the {GOAL_SECONDS:.0f} s goal",
        candidate=f"run_tick ({SEND_CONCURRENCY} SendMessageBatch calls in flight)",
        baseline_seconds=GOAL_SECONDS,
        candidate_seconds=candidate,
        unit_count=accounts,
        unit="accounts",
        runs=repeat,
        note=(
            f"SQS stand-in answering after {LATENCY_MS:.0f} ms; {checked[-1]:,} calls a tick "
            f"(one after another: ≥ {checked[-1] * LATENCY_MS / 1000:.1f} s of latency alone); "
            f"pages of {page_size}; scheduler CPU {statistics.median(cpu):.1f} s a tick"
        ),
        goals=(
            Measured(
                "scheduler_100k",
                candidate * 100_000 / accounts,
                f"{accounts:,} accounts (scaled to 100k), median of {repeat}",
            ),
        ),
    )
