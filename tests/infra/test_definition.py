"""The stack definition is consistent, and routes match the way API Gateway ranks them."""

from __future__ import annotations

import pytest

from infra import definition


def test_keys_are_unique_and_references_resolve() -> None:
    keys = [f.key for f in definition.FUNCTIONS]
    assert len(keys) == len(set(keys))
    assert len({q.key for q in definition.QUEUES}) == len(definition.QUEUES)
    for queue in definition.QUEUES:
        definition.function(queue.consumer)
        assert 1 <= queue.batch_size <= 10
        assert queue.max_concurrency >= 2  # the SQS MaximumConcurrency minimum
    for function in definition.FUNCTIONS:
        for queue_key in function.sends_to:
            definition.queue(queue_key)
    for schedule in definition.SCHEDULES:
        definition.function(schedule.target)
    route_keys = [definition.route_key(route) for route, _ in definition.routes()]
    assert len(route_keys) == len(set(route_keys))


def test_visibility_is_six_times_the_consumer_timeout() -> None:
    for queue in definition.QUEUES:
        consumer = definition.function(queue.consumer)
        assert definition.visibility_timeout_seconds(queue) == 6 * consumer.timeout_seconds


def test_webhook_receivers_never_touch_the_database_and_only_enqueue_events() -> None:
    for key in ("webhook_meta", "webhook_x", "webhook_tiktok"):
        function = definition.function(key)
        assert not function.touches_database
        assert not function.decrypts_tokens
        assert function.sends_to == ("events",)
        assert "DATABASE_URL" not in definition.environment(function)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "function"),
    [
        ("GET", "/webhooks/meta", "GET /webhooks/meta", "webhook_meta"),
        ("POST", "/webhooks/meta", "POST /webhooks/meta", "webhook_meta"),
        ("GET", "/webhooks/x", "GET /webhooks/x", "webhook_x"),
        ("POST", "/webhooks/tiktok", "POST /webhooks/tiktok", "webhook_tiktok"),
        ("GET", "/webhooks/tiktok", "ANY /{proxy+}", "api"),  # only POST is routed to TikTok
        ("DELETE", "/webhooks/meta", "ANY /{proxy+}", "api"),
        ("GET", "/", "ANY /", "api"),
        ("GET", "/metrics/", "ANY /{proxy+}", "api"),
        ("post", "/auth/login", "ANY /{proxy+}", "api"),
    ],
)
def test_specific_routes_beat_the_catch_all(
    method: str, path: str, route_key: str, function: str
) -> None:
    matched = definition.match_route(method, path)
    assert matched is not None
    route, target = matched
    assert definition.route_key(route) == route_key
    assert target.key == function


def test_path_parameters_follow_api_gateway() -> None:
    proxy = definition.Route("ANY", "/{proxy+}")
    assert definition.path_parameters(proxy, "/metrics/") == {"proxy": "metrics/"}
    assert definition.path_parameters(proxy, "/users/7/export") == {"proxy": "users/7/export"}
    item = definition.Route("GET", "/users/{id}")
    assert definition.path_parameters(item, "/users/7") == {"id": "7"}
    assert definition.match_route("GET", "/nothing", [(item, definition.function("api"))]) is None


def test_unknown_keys_raise_a_clear_error() -> None:
    with pytest.raises(definition.UnknownKey, match="no function 'nope'"):
        definition.function("nope")
    with pytest.raises(definition.UnknownKey, match="no queue"):
        definition.queue("nope")
    with pytest.raises(definition.UnknownKey, match="no schedule"):
        definition.schedule("nope")


def test_schedule_input_carries_scheduler_context_attributes() -> None:
    payload = definition.schedule_input(definition.schedule("collect-tick"))
    assert payload["time"] == "<aws.scheduler.scheduled-time>"
    assert payload["resources"] == ["<aws.scheduler.schedule-arn>"]
    assert payload["detail"] == {
        "schedule": "collect-tick",
        "attempt": "<aws.scheduler.attempt-number>",
    }
