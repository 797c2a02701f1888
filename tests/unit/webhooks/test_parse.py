"""Unusable payloads are poison; each entry is parsed, checked and rejected on its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from socialmetrics.webhooks.delivery import Delivery, PoisonMessage
from socialmetrics.webhooks.entries import Event, make_key
from socialmetrics.webhooks.parse import parse_delivery, parse_entries
from tests.unit.webhooks.payloads import RECEIVED, as_delivery, whatsapp


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
    assert parse_delivery(as_delivery("meta", {"object": "permissions", "entry": []})) == []


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
    event = parse_delivery(as_delivery("meta", whatsapp([{"id": "w", "status": "sent"}])))[0]
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
        assert parse_delivery(as_delivery("meta", payload)) == []
    assert parse_delivery(as_delivery("x", {"for_user_id": None})) == []


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
    (event,) = parse_delivery(as_delivery("meta", {"object": "page", "entry": [iso]}))
    assert event.occurred_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    rfc = {
        "for_user_id": "1",
        "tweet_create_events": [
            {"id": 5, "created_at": "Wed Oct 10 20:19:24 +0000 2018", "user": {"id": 1}}
        ],
    }
    (post,) = parse_delivery(as_delivery("x", rfc))
    assert post.occurred_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
    bad = {
        "for_user_id": "1",
        "tweet_create_events": [{"id": 6, "created_at": "sometime", "user": {"id": 1}}],
    }
    assert parse_delivery(as_delivery("x", bad))[0].occurred_at == RECEIVED
    tiktok = {
        "event": "video.publish.completed",
        "user_openid": "O",
        "create_time": "-1",
        "content": "{broken",
    }
    (video,) = parse_delivery(as_delivery("tiktok", tiktok))
    assert (video.occurred_at, video.data) == (RECEIVED, {})


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
    entries = parse_entries(as_delivery("meta", payload))
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
    entries = parse_entries(as_delivery("meta", payload), window)
    assert [e.rejected.reason if e.rejected else None for e in entries] == [
        "too_old",
        None,
        "in_the_future",
    ]
    assert len(parse_delivery(as_delivery("meta", payload))) == 3  # no window: all parsed


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
    entries = parse_entries(as_delivery("x", x))
    assert [e.rejected.reason if e.rejected else None for e in entries] == [
        "time_out_of_range",
        None,
    ]
    tiktok = {"event": "authorization.removed", "user_openid": "O" * 300, "create_time": 1}
    (entry,) = parse_entries(as_delivery("tiktok", tiktok))
    assert entry.rejected is not None
    assert entry.rejected.reason == "id_too_long"
