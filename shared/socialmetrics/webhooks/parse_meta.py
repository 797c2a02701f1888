"""Meta webhook payloads (WhatsApp, Instagram, Facebook Page) → entries and events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from socialmetrics.logging import logger
from socialmetrics.platforms import Platform
from socialmetrics.points import decimal_from_platform
from socialmetrics.webhooks.delivery import PoisonMessage
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

WHATSAPP_STATUSES = ("sent", "delivered", "read", "failed")


def _whatsapp(entry: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    waba_id = ident(entry.get("id"))
    for change in dicts(entry.get("changes")):
        value = change.get("value")
        if change.get("field") != "messages" or not isinstance(value, dict):
            continue
        metadata = obj(value.get("metadata"))
        phone_id = ident(metadata.get("phone_number_id"))
        ids = tuple(i for i in (phone_id, waba_id) if i)
        if not ids:
            logger.warning("whatsapp change without phone_number_id or WABA id")
            continue
        for status in dicts(value.get("statuses")):
            wamid, name = ident(status.get("id")), status.get("status")
            if not wamid or name not in WHATSAPP_STATUSES:
                continue
            data: dict[str, Any] = {"wamid": wamid, "status": name}
            errors = list(dicts(status.get("errors")))
            if errors and isinstance(errors[0].get("code"), int):
                data["error_code"] = errors[0]["code"]
            pricing = status.get("pricing")
            if isinstance(pricing, dict) and isinstance(pricing.get("category"), str):
                data["pricing_category"] = pricing["category"][:32]
            yield Event(
                Platform.WHATSAPP,
                "whatsapp.status",
                make_key("status", wamid, name),
                ids,
                from_unix(status.get("timestamp")) or received_at,
                data,
            )
        for message in dicts(value.get("messages")):
            message_id = ident(message.get("id"))
            if message_id:
                yield Event(
                    Platform.WHATSAPP,
                    "whatsapp.message",
                    make_key("message", message_id),
                    ids,
                    from_unix(message.get("timestamp")) or received_at,
                    {"message_id": message_id},
                )


def _instagram(entry: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    account = ident(entry.get("id"))
    if not account:
        return
    at = from_unix(entry.get("time")) or received_at
    for change in dicts(entry.get("changes")):
        name, value = change.get("field"), change.get("value")
        if not isinstance(value, dict):
            continue
        if name == "story_insights":
            media_id = ident(value.get("media_id"))
            metrics = {
                key: str(number)
                for key, raw in value.items()
                if key != "media_id" and (number := decimal_from_platform(raw)) is not None
            }
            if media_id and metrics:
                yield Event(
                    Platform.INSTAGRAM,
                    "instagram.story_insights",
                    make_key(name, account, media_id),
                    (account,),
                    at,
                    {"media_id": media_id, "metrics": metrics},
                )
        elif name in ("comments", "mentions"):
            media = obj(value.get("media"))
            value_id = ident(value.get("id")) or ident(value.get("comment_id"))
            value_id = value_id or ident(value.get("media_id")) or ident(media.get("id"))
            yield Event(
                Platform.INSTAGRAM,
                f"instagram.{name}",
                make_key(name, account, value_id or int(at.timestamp())),
                (account,),
                at,
                {"id": value_id} if value_id else {},
            )


FEED_ITEMS = {"post": "post", "status": "post", "photo": "post", "video": "post"}
FEED_ITEMS.update({"comment": "comment", "reaction": "reaction", "share": "share"})


def _facebook(entry: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    page = ident(entry.get("id"))
    if not page:
        return
    entry_time = from_unix(entry.get("time")) or received_at
    for change in dicts(entry.get("changes")):
        name, value = change.get("field"), change.get("value")
        if not isinstance(value, dict):
            continue
        if name == "mention":
            target = ident(value.get("post_id")) or ident(value.get("comment_id"))
            yield Event(
                Platform.FACEBOOK,
                "facebook.mention",
                make_key("mention", page, target or int(entry_time.timestamp())),
                (page,),
                from_unix(value.get("created_time")) or entry_time,
                {"id": target} if target else {},
            )
            continue
        item, verb = FEED_ITEMS.get(str(value.get("item"))), value.get("verb")
        if name != "feed" or item is None or verb not in ("add", "remove"):
            continue
        target = ident(value.get("comment_id")) if item == "comment" else None
        target = target or ident(value.get("post_id")) or ident(value.get("share_id"))
        sender = obj(value.get("from"))
        created = value.get("created_time")
        at = from_unix(created) or from_iso(created) or entry_time
        yield Event(
            Platform.FACEBOOK,
            f"facebook.{item}.{verb}",
            make_key(
                "feed", page, item, verb, target, ident(sender.get("id")), int(at.timestamp())
            ),
            (page,),
            at,
            {"id": target} if target else {},
        )


MetaParser = Callable[[dict[str, Any], datetime], Iterator[Event]]
META_OBJECTS: dict[str, tuple[Platform, MetaParser]] = {
    "whatsapp_business_account": (Platform.WHATSAPP, _whatsapp),
    "instagram": (Platform.INSTAGRAM, _instagram),
    "page": (Platform.FACEBOOK, _facebook),
}


def parse_meta(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise PoisonMessage("meta delivery has no entry list")
    handled = META_OBJECTS.get(str(payload.get("object")))
    if handled is None:
        logger.info("meta object not handled", extra={"object": str(payload.get("object"))})
        return []
    platform, parser = handled
    return [
        parse_entry(index, item, platform, item.get("id"), partial(parser, item, received_at))
        for index, item in enumerate(entries)
        if isinstance(item, dict)
    ]
