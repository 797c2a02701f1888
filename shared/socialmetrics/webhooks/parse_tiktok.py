"""TikTok webhook deliveries → one entry each, keyed by event, user, time and content digest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

from socialmetrics.logging import logger
from socialmetrics.platforms import Platform
from socialmetrics.webhooks import limits
from socialmetrics.webhooks.delivery import PoisonMessage
from socialmetrics.webhooks.entries import (
    Entry,
    Event,
    from_unix,
    ident,
    make_key,
    parse_entry,
)

TIKTOK_EVENTS = {
    "authorization.removed": "tiktok.authorization.removed",
    "video.publish.completed": "tiktok.video.publish.completed",
}


def _content_digest(content: Any) -> str:
    """A short digest of a TikTok event's content, the same for every re-delivery of it."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _tiktok(payload: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    name, user = str(payload["event"]), str(payload["user_openid"])
    raw: Any = payload.get("content")
    content = raw
    if isinstance(raw, str):
        try:
            content = json.loads(raw)
        except ValueError:
            content = raw  # not JSON: the text itself still names the event
    data: dict[str, Any] = {}
    if isinstance(content, dict) and isinstance(content.get("reason"), int):
        data["reason"] = limits.check_int32(content["reason"], "reason")
    stamp = ident(payload.get("create_time"))
    yield Event(
        Platform.TIKTOK,
        TIKTOK_EVENTS[name],
        make_key(name, user, stamp, _content_digest(content)),
        (user,),
        from_unix(stamp) or received_at,
        data,
    )


def parse_tiktok(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    name, user = payload.get("event"), ident(payload.get("user_openid"))
    if not isinstance(name, str) or not user:
        raise PoisonMessage("tiktok delivery lacks event or user_openid")
    if name not in TIKTOK_EVENTS:
        logger.info("tiktok event not handled", extra={"event": name})
        return []
    return [parse_entry(0, payload, Platform.TIKTOK, user, partial(_tiktok, payload, received_at))]
