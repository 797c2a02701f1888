"""Scheduler: due accounts fan out once to their family queue; consent and status gate it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from benchmarks import sqs_standin
from functions.scheduler.handler import handler, tick_time
from local.runtime.aws import Resources
from socialmetrics.aws import client, queue_url
from socialmetrics.collection.messages import CollectRequest
from socialmetrics.collection.planning import run_tick, spread_delays
from socialmetrics.db.engine import unit_of_work
from tests.factories import give_consent, make_account, make_user, set_account
from tests.support import reset_process_state

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FAMILY_QUEUES = ("collect-x", "collect-meta", "collect-tiktok")


def _drain(key: str) -> list[dict[str, Any]]:
    sqs = client("sqs")
    bodies: list[dict[str, Any]] = []
    for _ in range(50):
        got = sqs.receive_message(
            QueueUrl=queue_url(key), MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not got:
            break
        bodies.extend(json.loads(m["Body"]) for m in got)
    return bodies


def _due_account(platform: str, user_id: int | None = None, consent: bool = True) -> int:
    user_id = user_id or make_user()
    if consent:
        give_consent(user_id)
    owner = make_account(platform=platform, user_id=user_id)
    set_account(owner.account_id, next_collect_at=NOW - timedelta(minutes=5))
    return owner.account_id


def _tick(now: datetime = NOW) -> Any:
    urls = {key: queue_url(key) for key in FAMILY_QUEUES}
    return run_tick(client("sqs"), urls, now=now, page_size=2, window_seconds=0)


@pytest.fixture
def queues(db: str, clean_queues: Resources) -> Resources:
    return clean_queues


def test_due_accounts_go_to_their_family_queue_once(queues: Resources) -> None:
    ids = {p: _due_account(p) for p in ("X", "Instagram", "Facebook", "WhatsApp", "TikTok")}
    result = _tick()
    assert result.enqueued == 5
    assert result.by_queue == {"collect-x": 1, "collect-meta": 3, "collect-tiktok": 1}
    meta = [CollectRequest.model_validate(b) for b in _drain("collect-meta")]
    assert {m.account_id for m in meta} == {ids["Instagram"], ids["Facebook"], ids["WhatsApp"]}
    assert {m.platform.value for m in meta} == {"Instagram", "Facebook", "WhatsApp"}
    assert [b["account_id"] for b in _drain("collect-x")] == [ids["X"]]
    assert all(m.window_end == NOW and m.window_start < NOW for m in meta)
    with unit_of_work() as session:
        nexts = session.execute(text("SELECT DISTINCT next_collect_at FROM accounts")).scalars()
        assert list(nexts) == [NOW + timedelta(days=1)]


def test_the_same_tick_twice_enqueues_nothing_twice(queues: Resources) -> None:
    for _ in range(3):
        _due_account("Instagram")
    assert _tick().enqueued == 3
    assert _tick().enqueued == 0
    assert len(_drain("collect-meta")) == 3


def test_consent_and_status_gate_collection(queues: Resources) -> None:
    withdrawn_user = make_user()
    give_consent(withdrawn_user, True)
    give_consent(withdrawn_user, False)
    _due_account("X", user_id=withdrawn_user, consent=False)
    _due_account("X", consent=False)  # never consented
    reauth = _due_account("X")
    set_account(reauth, status="reauth_required")
    future = _due_account("X")
    set_account(future, next_collect_at=NOW + timedelta(minutes=1))
    regained_user = make_user()
    give_consent(regained_user, False)
    regained = _due_account("X", user_id=regained_user)  # latest consent: given
    result = _tick()
    assert result.enqueued == 1
    assert [b["account_id"] for b in _drain("collect-x")] == [regained]


def test_two_schedulers_at_once_enqueue_each_account_once(queues: Resources) -> None:
    ids = {_due_account(p) for p in ("X", "TikTok", "Instagram") for _ in range(4)}
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(_tick().enqueued)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == len(ids)
    seen = [b["account_id"] for key in FAMILY_QUEUES for b in _drain(key)]
    assert sorted(seen) == sorted(ids)


def test_handler_takes_a_scheduler_event(queues: Resources, lambda_context: Any) -> None:
    _due_account("TikTok")
    event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": "2026-11-28T12:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/collect-tick"],
        "detail": "{}",
    }
    reply = handler(event, lambda_context)
    assert reply["enqueued"] == 1
    assert reply["by_queue"] == {"collect-tiktok": 1}


def test_spread_delays_cover_the_window_within_sqs_limits() -> None:
    assert spread_delays(3, 0) == [0, 0, 0]
    delays = spread_delays(10, 900)
    assert delays == sorted(delays)
    assert delays[0] == 0
    assert max(delays) < 900
    assert max(spread_delays(5, 5_000)) <= 900


def test_tick_time_falls_back_to_now_for_bad_input() -> None:
    assert tick_time({"time": "2026-11-28T12:00:00Z"}) == NOW
    assert tick_time({"time": "garbage"}).tzinfo is not None
    assert tick_time({}).tzinfo is not None


def test_concurrent_fan_out_sends_every_due_account_exactly_once(queues: Resources) -> None:
    platforms = ("X", "Instagram", "Facebook", "WhatsApp", "TikTok")
    ids = {_due_account(platforms[i % 5]) for i in range(60)}
    urls = {key: queue_url(key) for key in FAMILY_QUEUES}
    # pages of 25: four SendMessageBatch calls a page, three of them at once on the pool
    result = run_tick(client("sqs"), urls, now=NOW, page_size=25, window_seconds=0)
    assert (result.claimed, result.enqueued, result.failed) == (60, 60, 0)
    assert not result.out_of_time
    seen = [b["account_id"] for key in FAMILY_QUEUES for b in _drain(key)]
    assert sorted(seen) == sorted(ids)  # each account once, none twice
    with unit_of_work() as session:
        due = session.execute(
            text("SELECT count(*) FROM accounts WHERE next_collect_at <= :now"), {"now": NOW}
        ).scalar_one()
    assert due == 0


@pytest.fixture
def standin_sqs(queues: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SQS stand-in (a loopback server speaking SendMessageBatch) as the SQS endpoint."""
    with sqs_standin.standin(latency_ms=0) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", endpoint)
        reset_process_state()
        yield endpoint
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS")
    reset_process_state()


def test_a_failed_batch_entry_leaves_only_that_account_due(standin_sqs: str) -> None:
    ids = sorted(_due_account("Instagram") for _ in range(12))
    sqs_standin.fail_ids(standin_sqs, [ids[3]])
    urls = {key: f"{standin_sqs}/123456789012/{key}" for key in FAMILY_QUEUES}
    result = run_tick(client("sqs"), urls, now=NOW, page_size=50, window_seconds=0)
    assert (result.enqueued, result.failed) == (11, 1)
    with unit_of_work() as session:
        due = session.execute(
            text("SELECT id FROM accounts WHERE next_collect_at <= :now"), {"now": NOW}
        ).scalars()
        assert list(due) == [ids[3]]
    sqs_standin.fail_ids(standin_sqs, [])
    again = run_tick(client("sqs"), urls, now=NOW, page_size=50, window_seconds=0)
    assert (again.enqueued, again.failed) == (1, 0)
    assert sqs_standin.stats(standin_sqs)["duplicates"] == 0


class _EndingInvocation:
    def get_remaining_time_in_millis(self) -> int:
        return 1_000


def test_a_tick_without_time_for_one_more_page_leaves_the_accounts_due(queues: Resources) -> None:
    _due_account("X")
    urls = {key: queue_url(key) for key in FAMILY_QUEUES}
    result = run_tick(
        client("sqs"), urls, now=NOW, page_size=2, window_seconds=0, context=_EndingInvocation()
    )
    assert (result.claimed, result.enqueued, result.out_of_time) == (0, 0, True)
    assert _tick().enqueued == 1  # still due for the next tick
