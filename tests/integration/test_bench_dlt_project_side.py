"""The project's half of the vs_dlt benchmark, end to end and offline (dlt itself is installed
only by ``make bench``): sandbox in its own process, accounts registered through the public
services, the collector handler over SQS events, and the checks the benchmark relies on."""

from __future__ import annotations

import httpx

from benchmarks import bench_dlt
from local.runtime.aws import Resources
from local.runtime.process import environment
from local.sandbox.server import base_url_env
from socialmetrics.aws import client
from socialmetrics.providers.x import USER_FIELDS


def test_the_collector_side_stores_every_account_and_yields_the_calls_dlt_mirrors(
    db: str, clean_queues: Resources
) -> None:
    url = clean_queues.queue_urls[bench_dlt.QUEUE]
    arn = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    with (
        bench_dlt.sandbox_process() as sandbox_url,
        environment(**base_url_env(sandbox_url)),
        httpx.Client(base_url=sandbox_url, timeout=30) as sandbox,
    ):
        user_id, platform_id = bench_dlt.make_tenant()
        pairs = bench_dlt.register_accounts(sandbox, user_id, platform_id, 6, 4, 0)
        ids = [account_id for _, account_id in pairs]
        events = bench_dlt.sqs_events(ids, arn["Attributes"]["QueueArn"], "it")
        assert [len(event["Records"]) for event in events] == [5, 1]

        assert bench_dlt.collect_with_project(events) > 0
        points = bench_dlt.stored_by_project(ids)
        calls = bench_dlt.platform_calls(sandbox, {remote["id"] for remote, _ in pairs})

    assert points > 6 * 4  # user counters plus every post's metrics, for each account
    assert bench_dlt.same_calls(calls, list(reversed(calls))) == 2
    user, timeline = bench_dlt.collector_params(calls)
    assert user == {"user.fields": USER_FIELDS}
    assert {"max_results", "start_time", "tweet.fields"} <= set(timeline)
