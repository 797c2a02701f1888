"""Meta payloads (WhatsApp, Instagram, Facebook Page) → events with stable keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from socialmetrics.platforms import Platform
from socialmetrics.webhooks.delivery import Delivery
from socialmetrics.webhooks.parse import parse_delivery
from tests.unit.webhooks.payloads import as_delivery, whatsapp


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
    events = parse_delivery(as_delivery("meta", payload))
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
    first = parse_delivery(as_delivery("meta", payload))
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
    story, comment, mention = parse_delivery(as_delivery("meta", payload))
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
    events = parse_delivery(as_delivery("meta", payload))
    assert [e.event_type for e in events] == [
        "facebook.comment.add",
        "facebook.reaction.remove",
        "facebook.post.add",
        "facebook.mention",
    ]
    assert events[0].event_key == "feed:P1:comment:add:P1_1_c:u1:1767225500"
    assert events[1].event_key == "feed:P1:reaction:remove:P1_1:u2:1767225600"
    assert all(e.account_ids == ("P1",) for e in events)
