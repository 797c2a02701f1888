"""X and TikTok payloads → events with stable keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from socialmetrics.webhooks.parse import parse_delivery
from tests.unit.webhooks.payloads import as_delivery


def test_x_account_activity_follows_and_posts() -> None:
    payload = {
        "for_user_id": "42",
        "tweet_create_events": [
            {"id_str": "100", "timestamp_ms": "1767225600000", "user": {"id_str": "42"}},
            {
                "id_str": "101",
                "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                "user": {"id_str": "7"},
            },
        ],
        "follow_events": [
            {
                "type": "follow",
                "created_timestamp": "1767225600000",
                "source": {"id": "7"},
                "target": {"id": "42"},
            },
            {
                "type": "unfollow",
                "created_timestamp": "1767225700000",
                "source": {"id": "8"},
                "target": {"id": "42"},
            },
            {
                "type": "follow",
                "created_timestamp": "1767225800000",
                "source": {"id": "42"},
                "target": {"id": "9"},
            },
        ],
    }
    events = parse_delivery(as_delivery("x", payload))
    assert [(e.event_type, e.event_key) for e in events] == [
        ("x.post.create", "post.create:100"),
        ("x.follow", "follow:7:42:1767225600000"),
        ("x.unfollow", "unfollow:8:42:1767225700000"),
    ]
    assert events[0].occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_x_activity_api_envelope_dedupes_on_event_uuid() -> None:
    def xaa(kind: str, uuid: str, payload: dict[str, object]) -> dict[str, object]:
        return {
            "data": {
                "event_uuid": uuid,
                "filter": {"user_id": "42"},
                "event_type": kind,
                "payload": payload,
            }
        }

    follow = parse_delivery(as_delivery("x", xaa("follow.follow", "u-1", {"source": {"id": "7"}})))
    assert [(e.event_type, e.event_key) for e in follow] == [("x.follow", "xaa:u-1")]
    post = parse_delivery(
        as_delivery(
            "x",
            xaa(
                "post.create", "u-2", {"author_id": "42", "created_at": "2026-01-01T10:00:00.000Z"}
            ),
        )
    )
    assert post[0].occurred_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert parse_delivery(as_delivery("x", xaa("post.create", "u-3", {"author_id": "5"}))) == []
    assert parse_delivery(as_delivery("x", xaa("like.create", "u-4", {}))) == []
    own = xaa("follow.follow", "u-5", {"source": {"id": "42"}, "target": {"id": "3"}})
    assert parse_delivery(as_delivery("x", own)) == []
    listed = {"data": [xaa("follow.unfollow", "u-6", {})["data"]]}
    assert [e.event_type for e in parse_delivery(as_delivery("x", listed))] == ["x.unfollow"]
    assert parse_delivery(as_delivery("x", {"something": "else"})) == []


def test_tiktok_events() -> None:
    payload = {
        "client_key": "ck",
        "event": "authorization.removed",
        "create_time": 1767225600,
        "user_openid": "OPEN1",
        "content": json.dumps({"reason": 1}),
    }
    (event,) = parse_delivery(as_delivery("tiktok", payload))
    assert event.event_key.startswith("authorization.removed:OPEN1:1767225600:")
    assert event.data == {"reason": 1}
    other = {**payload, "event": "video.upload.failed"}
    assert parse_delivery(as_delivery("tiktok", other)) == []


def test_tiktok_events_of_one_user_and_second_differ_by_content() -> None:
    base = {
        "client_key": "ck",
        "event": "video.publish.completed",
        "create_time": 1767225600,
        "user_openid": "OPEN1",
    }
    first = {**base, "content": json.dumps({"publish_id": "v1"})}
    second = {**base, "content": json.dumps({"publish_id": "v2"})}
    (a,) = parse_delivery(as_delivery("tiktok", first))
    (b,) = parse_delivery(as_delivery("tiktok", second))
    (again,) = parse_delivery(as_delivery("tiktok", first))
    assert a.event_key != b.event_key
    assert again.event_key == a.event_key  # a re-delivery still dedupes
    spaced = {**base, "content": '{ "publish_id" : "v1" }'}  # same content, other spacing
    assert parse_delivery(as_delivery("tiktok", spaced))[0].event_key == a.event_key
