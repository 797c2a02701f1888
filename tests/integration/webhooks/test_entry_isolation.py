"""Per-entry isolation: one bad entry of a signed delivery is recorded as rejected, the good
entries are applied and the SQS message succeeds (real receivers, moto's queue, Postgres)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from functions.webhook_meta.handler import handler as meta
from socialmetrics.db.engine import unit_of_work
from tests.integration.webhooks.conftest import SECRETS
from tests.integration.webhooks.test_ingest import (
    CONTEXT,
    NOW,
    account,
    daily,
    ledger,
    post_meta,
    post_tiktok,
    post_x,
    queue,
    run_ingest,
)
from tests.unit.webhooks.shapes import http_event

__all__ = ["queue"]  # the fixture


def rejections() -> list[Any]:
    with unit_of_work() as session:
        return list(
            session.execute(text("SELECT * FROM webhook_rejections ORDER BY entry_index, id"))
        )


def page_entry(entry_id: str, time: Any, comment: str) -> dict[str, Any]:
    value = {
        "item": "comment",
        "verb": "add",
        "post_id": "1_2",
        "comment_id": comment,
        "from": {"id": "u"},
        "created_time": NOW,
    }
    return {"id": entry_id, "time": time, "changes": [{"field": "feed", "value": value}]}


def story_entry(reach: str) -> str:
    """An Instagram story_insights entry whose reach is given as raw JSON number text."""
    value = '{"media_id": "S1", "impressions": 5, "reach": ' + reach + "}"
    return (
        '{"id": "IG1", "time": ' + str(NOW) + ', "changes": [{"field": "story_insights", '
        '"value": ' + value + "}]}"
    )


def test_bad_meta_entries_are_rejected_and_the_good_ones_applied(queue: str) -> None:
    owner = account("Facebook", "PAGE1")
    post_meta(
        {
            "object": "page",
            "entry": [
                page_entry("PAGE1", NOW, "c1"),
                page_entry("P" * 300, NOW, "c2"),  # longer than the account id column
                page_entry("PAGE1", 1e20, "c3"),  # no calendar holds it
                page_entry("PAGE1", NOW, "c4"),
            ],
        }
    )
    assert run_ingest(queue) == []  # the message succeeded (deleted), nothing for the DLQ
    assert daily(owner.account_id) == {"comments_received": 2}
    rows = rejections()
    assert [(r.entry_index, r.reason, r.provider, r.platform) for r in rows] == [
        (1, "id_too_long", "meta", "Facebook"),
        (2, "time_out_of_range", "meta", "Facebook"),
    ]
    assert len(rows[0].entry_id) == 255
    assert "300 characters" in rows[0].detail


def test_values_numeric_or_json_cannot_carry_are_rejected_entries(queue: str) -> None:
    owner = account("Instagram", "IG1")
    entries = [
        story_entry("40"),
        story_entry("1e200000"),  # overflows NUMERIC
        story_entry("9" * 400),  # fits NUMERIC, but no JSON reader holds it as a number
        story_entry("1e400"),  # an infinite float to Python's default parser
    ]
    body = '{"object": "instagram", "entry": [' + ", ".join(entries) + "]}"
    signed = (
        "sha256="
        + hmac.new(SECRETS["META_APP_SECRET"].encode(), body.encode(), hashlib.sha256).hexdigest()
    )
    reply = meta(
        http_event(
            "POST", "/webhooks/meta", body=body.encode(), headers={"x-hub-signature-256": signed}
        ),
        CONTEXT,
    )
    assert reply["statusCode"] == 200
    assert run_ingest(queue) == []
    with unit_of_work() as session:
        story: dict[str, Any] = dict(
            session.execute(
                text(
                    "SELECT metric_type, value FROM metrics WHERE account_id = :a "
                    "AND object_id = 'S1'"
                ),
                {"a": owner.account_id},
            ).all()
        )
    assert story == {"impressions": 5, "reach": 40}
    assert [(r.entry_index, r.reason) for r in rejections()] == [
        (1, "value_out_of_range"),
        (2, "value_out_of_range"),
        (3, "value_out_of_range"),
    ]


def test_a_replayed_old_delivery_is_rejected_not_applied(queue: str) -> None:
    owner = account("Facebook", "PAGE1")
    month_ago = NOW - int(timedelta(days=31).total_seconds())
    entry = page_entry("PAGE1", month_ago, "old")
    entry["changes"][0]["value"]["created_time"] = month_ago
    captured = {"object": "page", "entry": [entry]}
    for _ in range(2):  # replayed twice: still one rejection row
        post_meta(captured)
        assert run_ingest(queue) == []
    assert ledger() == []
    with unit_of_work() as session:
        counted = session.execute(
            text("SELECT count(*) FROM metrics WHERE account_id = :a"), {"a": owner.account_id}
        ).scalar_one()
    assert counted == 0
    (row,) = rejections()
    assert row.reason == "too_old"
    assert "30-day replay window" in row.detail


def test_bad_x_items_are_rejected_alone(queue: str) -> None:
    owner = account("X", "42")
    follows = [
        {
            "type": "follow",
            "created_timestamp": stamp,
            "source": {"id": source},
            "target": {"id": "42"},
        }
        for stamp, source in ((str(NOW * 1000), "1"), ("1e20", "2"), (str(NOW * 1000 + 1), "3"))
    ]
    post_x({"for_user_id": "42", "follow_events": follows})
    assert run_ingest(queue) == []
    assert daily(owner.account_id) == {"follows_gained": 2}
    assert [(r.entry_index, r.reason, r.platform) for r in rejections()] == [
        (1, "time_out_of_range", "X")
    ]


def test_tiktok_events_in_the_same_second_are_distinct_and_redeliveries_dedupe(
    queue: str,
) -> None:
    owner = account("TikTok", "OPEN1")

    def video(publish_id: str) -> dict[str, Any]:
        return {
            "client_key": "ck",
            "event": "video.publish.completed",
            "create_time": NOW,
            "user_openid": "OPEN1",
            "content": json.dumps({"publish_id": publish_id, "publish_type": "DIRECT_PUBLISH"}),
        }

    post_tiktok(video("v_pub_1"))
    post_tiktok(video("v_pub_2"))  # same type, user and second: another video
    post_tiktok(video("v_pub_1"))  # TikTok re-delivers the first
    assert run_ingest(queue) == []
    assert daily(owner.account_id) == {"posts_created": 2}
    assert len(ledger()) == 2


def test_an_oversized_tiktok_delivery_is_a_rejection_not_poison(queue: str) -> None:
    post_tiktok(
        {
            "client_key": "ck",
            "event": "authorization.removed",
            "create_time": int(time.time()),
            "user_openid": "O" * 300,
        }
    )
    assert run_ingest(queue) == []
    assert [(r.reason, r.provider) for r in rejections()] == [("id_too_long", "tiktok")]
