"""X webhook payloads (X Activity API events, Account Activity posts and follows) → entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

from socialmetrics.logging import logger
from socialmetrics.platforms import Platform
from socialmetrics.webhooks.entries import (
    Entry,
    Event,
    dicts,
    from_iso,
    from_unix,
    ident,
    make_key,
    obj,
    parse_entry,
)


def _x_activity(data: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    """X Activity API envelope: ``{"data": {"event_uuid", "filter": {"user_id"}, …}}``."""
    uuid, kind = ident(data.get("event_uuid")), data.get("event_type")
    flt = obj(data.get("filter"))
    user = ident(flt.get("user_id"))
    types = {"follow.follow": "x.follow", "follow.unfollow": "x.unfollow"}
    types["post.create"] = "x.post.create"
    if not uuid or not user or kind not in types:
        return
    payload = obj(data.get("payload"))
    if kind.startswith("follow."):
        source = obj(payload.get("source"))
        if ident(source.get("id")) == user:  # the account followed someone: not a follower change
            return
    else:
        author = ident(payload.get("author_id"))
        if author and author != user:
            return
    at = from_iso(payload.get("created_at")) or received_at
    yield Event(Platform.X, types[kind], make_key("xaa", uuid), (user,), at, {})


def _x_post(user: str, post: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    author = obj(post.get("user"))
    post_id = ident(post.get("id_str")) or ident(post.get("id"))
    if not post_id or (ident(author.get("id_str")) or ident(author.get("id"))) != user:
        return
    at = from_unix(post.get("timestamp_ms")) or from_iso(post.get("created_at")) or received_at
    yield Event(Platform.X, "x.post.create", make_key("post.create", post_id), (user,), at)


def _x_follow(user: str, follow: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    kind = follow.get("type")
    source = obj(follow.get("source"))
    target = obj(follow.get("target"))
    source_id, target_id = ident(source.get("id")), ident(target.get("id"))
    if kind not in ("follow", "unfollow") or target_id != user or not source_id:
        return  # only changes to the account's own followers count
    stamp = ident(follow.get("created_timestamp"))
    yield Event(
        Platform.X,
        f"x.{kind}",
        make_key(kind, source_id, target_id, stamp),
        (user,),
        from_unix(stamp) or received_at,
    )


def _x_account_activity(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    user = ident(payload.get("for_user_id"))
    if not user:
        return []
    items = [
        (post, _x_post, post.get("id_str") or post.get("id"))
        for post in dicts(payload.get("tweet_create_events"))
    ] + [
        (follow, _x_follow, follow.get("created_timestamp"))
        for follow in dicts(payload.get("follow_events"))
    ]
    return [
        parse_entry(index, item, Platform.X, entry_id, partial(parser, user, item, received_at))
        for index, (item, parser, entry_id) in enumerate(items)
    ]


def parse_x(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    data = payload.get("data")
    items = [data] if isinstance(data, dict) else list(dicts(data))
    if isinstance(data, (dict, list)):
        return [
            parse_entry(
                index,
                item,
                Platform.X,
                item.get("event_uuid"),
                partial(_x_activity, item, received_at),
            )
            for index, item in enumerate(items)
        ]
    if "for_user_id" in payload:
        return _x_account_activity(payload, received_at)
    logger.info("x delivery not handled", extra={"keys": sorted(payload)[:10]})
    return []
