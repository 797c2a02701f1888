"""Each platform's payload → events with stable keys; unusable payloads are poison."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from socialmetrics.platforms import Platform
from socialmetrics.webhooks.delivery import Delivery, PoisonMessage
from socialmetrics.webhooks.parse import Event, make_key, parse_delivery, parse_entries

RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _delivery(provider: str, payload: object) -> Delivery:
    return Delivery(provider=provider, body=json.dumps(payload), received_at=RECEIVED)  # type: ignore[arg-type]


def whatsapp(
    statuses: list[dict[str, object]], messages: list[dict[str, object]] | None = None
) -> dict[str, object]:
    if messages is None:
        messages = []
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "1555", "phone_number_id": "PN1"},
                            "statuses": statuses,
                            "messages": messages,
                        },
                    }
                ],
            }
        ],
    }


def test_whatsapp_statuses_and_messages() -> None:
    payload = whatsapp(
        [
            {
                "id": "wamid.A",
                "status": "delivered",
                "timestamp": "1767225600",
                "pricing": {"category": "utility"},
            },
            {
                "id": "wamid.A",
                "status": "failed",
                "timestamp": "1767225601",
                "errors": [{"code": 131026, "title": "Message undeliverable"}],
            },
            {"id": "wamid.B", "status": "deleted", "timestamp": "1767225600"},
            {"status": "sent"},
        ],
        [
            {
                "id": "wamid.IN",
                "from": "1555",
                "timestamp": "1767225700",
                "type": "text",
                "text": {"body": "hello"},
            }
        ],
    )
    events = parse_delivery(_delivery("meta", payload))
    assert [e.event_key for e in events] == [
        "status:wamid.A:delivered",
        "status:wamid.A:failed",
        "message:wamid.IN",
    ]
    delivered, failed, inbound = events
    assert delivered.platform is Platform.WHATSAPP
    assert delivered.account_ids == ("PN1", "WABA1")
    assert delivered.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert delivered.data == {
        "wamid": "wamid.A",
        "status": "delivered",
        "pricing_category": "utility",
    }
    assert failed.data["error_code"] == 131026
    assert inbound.event_type == "whatsapp.message"
    assert "hello" not in json.dumps(inbound.to_payload())  # message texts are not kept


def test_same_payload_gives_the_same_keys() -> None:
    payload = whatsapp([{"id": "wamid.A", "status": "read", "timestamp": "1767225600"}])
    first = parse_delivery(_delivery("meta", payload))
    again = parse_delivery(Delivery("meta", json.dumps(payload), datetime.now(UTC)))
    assert [e.event_key for e in first] == [e.event_key for e in again]


def test_instagram_story_insights_comments_mentions() -> None:
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": "IG1",
                "time": 1767225600,
                "changes": [
                    {
                        "field": "story_insights",
                        "value": {
                            "media_id": "S1",
                            "impressions": 44,
                            "reach": 40,
                            "taps_forward": 3,
                            "exits": 2,
                            "replies": 0,
                            "note": "x",
                        },
                    },
                    {
                        "field": "comments",
                        "value": {
                            "id": "C1",
                            "text": "nice",
                            "from": {"id": "9", "username": "u"},
                            "media": {"id": "M1"},
                        },
                    },
                    {"field": "mentions", "value": {"comment_id": "C2", "media_id": "M2"}},
                    {"field": "live_comments", "value": {"id": "L1"}},
                ],
            }
        ],
    }
    story, comment, mention = parse_delivery(_delivery("meta", payload))
    assert story.event_key == "story_insights:IG1:S1"
    assert story.data == {
        "media_id": "S1",
        "metrics": {
            "impressions": "44",
            "reach": "40",
            "taps_forward": "3",
            "exits": "2",
            "replies": "0",
        },
    }
    assert comment.event_key == "comments:IG1:C1"
    assert comment.event_type == "instagram.comments"
    assert mention.event_key == "mentions:IG1:C2"
    assert comment.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_facebook_feed_items() -> None:
    payload = {
        "object": "page",
        "entry": [
            {
                "id": "P1",
                "time": 1767225600,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "post_id": "P1_1",
                            "comment_id": "P1_1_c",
                            "from": {"id": "u1"},
                            "created_time": 1767225500,
                        },
                    },
                    {
                        "field": "feed",
                        "value": {
                            "item": "reaction",
                            "verb": "remove",
                            "post_id": "P1_1",
                            "from": {"id": "u2"},
                            "reaction_type": "like",
                        },
                    },
                    {
                        "field": "feed",
                        "value": {"item": "status", "verb": "add", "post_id": "P1_2"},
                    },
                    {"field": "feed", "value": {"item": "comment", "verb": "edited"}},
                    {"field": "mention", "value": {"post_id": "P9_1", "verb": "add"}},
                ],
            }
        ],
    }
    events = parse_delivery(_delivery("meta", payload))
    assert [e.event_type for e in events] == [
        "facebook.comment.add",
        "facebook.reaction.remove",
        "facebook.post.add",
        "facebook.mention",
    ]
    assert events[0].event_key == "feed:P1:comment:add:P1_1_c:u1:1767225500"
    assert events[1].event_key == "feed:P1:reaction:remove:P1_1:u2:1767225600"
    assert all(e.account_ids == ("P1",) for e in events)


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
    events = parse_delivery(_delivery("x", payload))
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

    follow = parse_delivery(_delivery("x", xaa("follow.follow", "u-1", {"source": {"id": "7"}})))
    assert [(e.event_type, e.event_key) for e in follow] == [("x.follow", "xaa:u-1")]
    post = parse_delivery(
        _delivery(
            "x",
            xaa(
                "post.create", "u-2", {"author_id": "42", "created_at": "2026-01-01T10:00:00.000Z"}
            ),
        )
    )
    assert post[0].occurred_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert parse_delivery(_delivery("x", xaa("post.create", "u-3", {"author_id": "5"}))) == []
    assert parse_delivery(_delivery("x", xaa("like.create", "u-4", {}))) == []
    own = xaa("follow.follow", "u-5", {"source": {"id": "42"}, "target": {"id": "3"}})
    assert parse_delivery(_delivery("x", own)) == []
    listed = {"data": [xaa("follow.unfollow", "u-6", {})["data"]]}
    assert [e.event_type for e in parse_delivery(_delivery("x", listed))] == ["x.unfollow"]
    assert parse_delivery(_delivery("x", {"something": "else"})) == []


def test_tiktok_events() -> None:
    payload = {
        "client_key": "ck",
        "event": "authorization.removed",
        "create_time": 1767225600,
        "user_openid": "OPEN1",
        "content": json.dumps({"reason": 1}),
    }
    (event,) = parse_delivery(_delivery("tiktok", payload))
    assert event.event_key.startswith("authorization.removed:OPEN1:1767225600:")
    assert event.data == {"reason": 1}
    other = {**payload, "event": "video.upload.failed"}
    assert parse_delivery(_delivery("tiktok", other)) == []


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("meta", "not json"),
        ("meta", "[1, 2]"),
        ("meta", json.dumps({"object": "page", "entry": "nope"})),
        ("tiktok", json.dumps({"event": "authorization.removed"})),
    ],
)
def test_unusable_payloads_are_poison(provider: str, body: str) -> None:
    with pytest.raises(PoisonMessage):
        parse_delivery(Delivery(provider, body, RECEIVED))  # type: ignore[arg-type]


def test_unknown_meta_objects_yield_nothing() -> None:
    assert parse_delivery(_delivery("meta", {"object": "permissions", "entry": []})) == []


@pytest.mark.parametrize(
    "message",
    [
        "{",
        "[]",
        json.dumps({"provider": "mastodon", "body": "{}", "received_at": RECEIVED.isoformat()}),
        json.dumps({"provider": "x", "received_at": RECEIVED.isoformat()}),
        json.dumps({"provider": "x", "body": "{}", "received_at": "yesterday"}),
        json.dumps({"provider": "x", "body": "{}", "received_at": "2026-01-01T00:00:00"}),
        json.dumps(
            {"provider": "x", "body": "{}", "received_at": RECEIVED.isoformat(), "headers": []}
        ),
    ],
)
def test_bad_queue_messages_are_poison(message: str) -> None:
    with pytest.raises(PoisonMessage):
        Delivery.from_message(message)


def test_delivery_round_trips_through_the_queue_message() -> None:
    delivery = Delivery("x", '{"a": "é"}', RECEIVED, "req-1", {"content-type": "application/json"})
    assert Delivery.from_message(delivery.to_message()) == delivery


def test_event_payload_round_trip_and_long_keys() -> None:
    event = parse_delivery(_delivery("meta", whatsapp([{"id": "w", "status": "sent"}])))[0]
    assert event.occurred_at == RECEIVED  # no timestamp: the time it was received
    again = Event.from_payload(
        event.platform, event.event_type, event.event_key, event.to_payload()
    )
    assert again == event
    long = make_key("x" * 300)
    assert long.startswith("sha256:")
    assert len(long) <= 255


def test_malformed_items_are_skipped_not_fatal() -> None:
    meta_payloads: list[dict[str, object]] = [
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"statuses": [{"id": "w", "status": "sent"}]},
                        }
                    ]
                },
                {
                    "id": "W",
                    "changes": [{"field": "account_update", "value": {}}, {"field": "messages"}],
                },
            ],
        },
        {
            "object": "instagram",
            "entry": [
                {"changes": []},
                {
                    "id": "IG",
                    "changes": [
                        {"field": "comments", "value": "oops"},
                        {
                            "field": "story_insights",
                            "value": {"media_id": "S", "reach": "n/a", "x": True},
                        },
                    ],
                },
            ],
        },
        {
            "object": "page",
            "entry": [
                {"changes": []},
                {
                    "id": "P",
                    "changes": [
                        {"field": "feed", "value": None},
                        {"field": "feed", "value": {"item": "like", "verb": "add"}},
                    ],
                },
            ],
        },
    ]
    for payload in meta_payloads:
        assert parse_delivery(_delivery("meta", payload)) == []
    assert parse_delivery(_delivery("x", {"for_user_id": None})) == []


def test_timestamps_in_other_shapes() -> None:
    iso = {
        "id": "P",
        "time": 0,
        "changes": [
            {
                "field": "feed",
                "value": {
                    "item": "post",
                    "verb": "add",
                    "post_id": "P_1",
                    "created_time": "2026-01-01T10:00:00+0000",
                },
            }
        ],
    }
    (event,) = parse_delivery(_delivery("meta", {"object": "page", "entry": [iso]}))
    assert event.occurred_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    rfc = {
        "for_user_id": "1",
        "tweet_create_events": [
            {"id": 5, "created_at": "Wed Oct 10 20:19:24 +0000 2018", "user": {"id": 1}}
        ],
    }
    (post,) = parse_delivery(_delivery("x", rfc))
    assert post.occurred_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
    bad = {
        "for_user_id": "1",
        "tweet_create_events": [{"id": 6, "created_at": "sometime", "user": {"id": 1}}],
    }
    assert parse_delivery(_delivery("x", bad))[0].occurred_at == RECEIVED
    tiktok = {
        "event": "video.publish.completed",
        "user_openid": "O",
        "create_time": "-1",
        "content": "{broken",
    }
    (video,) = parse_delivery(_delivery("tiktok", tiktok))
    assert (video.occurred_at, video.data) == (RECEIVED, {})


def test_tiktok_events_of_one_user_and_second_differ_by_content() -> None:
    base = {
        "client_key": "ck",
        "event": "video.publish.completed",
        "create_time": 1767225600,
        "user_openid": "OPEN1",
    }
    first = {**base, "content": json.dumps({"publish_id": "v1"})}
    second = {**base, "content": json.dumps({"publish_id": "v2"})}
    (a,) = parse_delivery(_delivery("tiktok", first))
    (b,) = parse_delivery(_delivery("tiktok", second))
    (again,) = parse_delivery(_delivery("tiktok", first))
    assert a.event_key != b.event_key
    assert again.event_key == a.event_key  # a re-delivery still dedupes
    spaced = {**base, "content": '{ "publish_id" : "v1" }'}  # same content, other spacing
    assert parse_delivery(_delivery("tiktok", spaced))[0].event_key == a.event_key


def _page_entry(entry_id: str, time: object) -> dict[str, object]:
    change = {"field": "feed", "value": {"item": "post", "verb": "add", "post_id": "P_1"}}
    return {"id": entry_id, "time": time, "changes": [change]}


def test_each_entry_is_checked_on_its_own() -> None:
    story = {
        "id": "IG",
        "time": 1767225600,
        "changes": [{"field": "story_insights", "value": {"media_id": "S", "reach": 1e400}}],
    }
    huge = "9" * 5000  # longer than Python's int parser takes
    body = (
        '{"object": "instagram", "entry": ['
        + json.dumps(story).replace('"reach": Infinity', '"reach": 1e400')
        + ', {"id": "IG", "time": 1767225600, "changes": [{"field": "story_insights", '
        + f'"value": {{"media_id": "S2", "reach": {huge}}}}}]}}, '
        + json.dumps({**story, "changes": [{"field": "comments", "value": {"id": "C"}}]})
        + "]}"
    )
    entries = parse_entries(Delivery("meta", body, RECEIVED))
    assert [e.rejected.reason if e.rejected else None for e in entries] == [
        "value_out_of_range",
        "value_out_of_range",
        None,
    ]
    assert [len(e.events) for e in entries] == [0, 0, 1]
    payload = {
        "object": "page",
        "entry": [
            _page_entry("1" * 300, 1767225600),
            _page_entry("P", 1e20),
            _page_entry("P", 1767225600),
        ],
    }
    entries = parse_entries(_delivery("meta", payload))
    assert [e.rejected.reason if e.rejected else None for e in entries] == [
        "id_too_long",
        "time_out_of_range",
        None,
    ]
    assert entries[0].entry_id is not None
    assert len(entries[0].entry_id) == 255
    assert len({e.digest for e in entries}) == 3


def test_entries_outside_the_replay_window_are_rejected() -> None:
    window = timedelta(days=30)
    old = int((RECEIVED - timedelta(days=31)).timestamp())
    recent = int((RECEIVED - timedelta(days=29)).timestamp())
    ahead = int((RECEIVED + timedelta(days=2)).timestamp())
    payload = {
        "object": "page",
        "entry": [_page_entry("P", old), _page_entry("P", recent), _page_entry("P", ahead)],
    }
    entries = parse_entries(_delivery("meta", payload), window)
    assert [e.rejected.reason if e.rejected else None for e in entries] == [
        "too_old",
        None,
        "in_the_future",
    ]
    assert len(parse_delivery(_delivery("meta", payload))) == 3  # no window: all parsed


def test_x_items_and_tiktok_deliveries_are_entries_too() -> None:
    x = {
        "for_user_id": "42",
        "follow_events": [
            {
                "type": "follow",
                "created_timestamp": "1e20",
                "source": {"id": "1"},
                "target": {"id": "42"},
            },
            {
                "type": "follow",
                "created_timestamp": "1767225600000",
                "source": {"id": "2"},
                "target": {"id": "42"},
            },
        ],
    }
    entries = parse_entries(_delivery("x", x))
    assert [e.rejected.reason if e.rejected else None for e in entries] == [
        "time_out_of_range",
        None,
    ]
    tiktok = {"event": "authorization.removed", "user_openid": "O" * 300, "create_time": 1}
    (entry,) = parse_entries(_delivery("tiktok", tiktok))
    assert entry.rejected is not None
    assert entry.rejected.reason == "id_too_long"
