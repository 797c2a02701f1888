"""Each platform's webhook payload → :class:`Event` values with stable keys (pure, no I/O).

A key names the fact the platform told us, so a re-delivered, duplicated or replayed payload
yields the same keys and the ledger (``webhook_events``) can refuse it:

- WhatsApp status: ``status:<wamid>:<status>``; inbound message: ``message:<message id>``.
- Instagram: ``<field>:<entry id>:<value id>`` (comment id, media id), or
  ``<field>:<entry id>:<entry time>`` when the value has no id.
- Facebook feed: ``feed:<page>:<item>:<verb>:<comment/post id>:<from id>:<created_time>``.
- X: ``xaa:<event_uuid>`` (X Activity API); Account Activity: ``post.create:<post id>`` and
  ``<follow|unfollow>:<source>:<target>:<created_timestamp>``.
- TikTok: ``<event>:<user_openid>:<create_time>:<content digest>`` — two different events of
  one user in the same second differ by the SHA-256 of their ``content``; a re-delivery does not.

Only what an effect needs is kept in ``data`` (ids, statuses, numbers — no message texts).
Events no effect uses are not produced at all.

A delivery is split into **entries** (a Meta ``entry[]`` item, one X follow or post, an X
Activity event, a TikTok delivery). Each entry is parsed and checked against the column limits
on its own (:mod:`socialmetrics.webhooks.limits`): an entry that cannot be applied becomes an
:class:`Entry` with a :class:`Rejected` reason and no events; the others are applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

from socialmetrics.logging import logger
from socialmetrics.platforms import Platform
from socialmetrics.points import decimal_from_platform
from socialmetrics.webhooks import limits
from socialmetrics.webhooks.delivery import Delivery, PoisonMessage
from socialmetrics.webhooks.limits import Rejected

MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Event:
    platform: Platform
    event_type: str
    event_key: str
    account_ids: tuple[str, ...]  # candidate platform_user_ids of the account, preferred first
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """What the ledger keeps (enough to apply the event later, once its account exists)."""
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "account_ids": list(self.account_ids),
            "data": self.data,
        }

    @classmethod
    def from_payload(
        cls, platform: Platform, event_type: str, event_key: str, payload: dict[str, Any]
    ) -> Event:
        return cls(
            platform=platform,
            event_type=event_type,
            event_key=event_key,
            account_ids=tuple(str(i) for i in payload.get("account_ids") or ()),
            occurred_at=datetime.fromisoformat(str(payload["occurred_at"])),
            data=dict(payload.get("data") or {}),
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a delivery: its events, or why it is rejected (then ``events`` is empty)."""

    index: int
    entry_id: str | None  # the platform's id for the entry, cut to 255 characters
    digest: str  # SHA-256 of the entry's JSON: names it in the rejections without its content
    platform: Platform | None
    events: tuple[Event, ...] = ()
    rejected: Rejected | None = None


def make_key(*parts: object) -> str:
    key = ":".join(str(part) for part in parts)
    if len(key) > MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int)):
        text = str(value).strip()
        return text or None
    return None


def _unix(value: Any) -> datetime | None:
    """Unix seconds (or milliseconds), as a number or a digit string; ``None`` when it is not
    a positive number, :class:`Rejected` when it is one that no calendar holds (``1e20``)."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    if not number.is_finite() or number <= 0:
        return None
    if number > 10**11:  # milliseconds
        number /= 1000
    return limits.unix_time(number)


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)  # X v1.1 "Wed Oct 10 20:19:24 +0000 2018"
        except (TypeError, ValueError):
            try:
                moment = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
            except ValueError:
                return None
    return limits.check_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


# --- Meta ----------------------------------------------------------------------------------

WHATSAPP_STATUSES = ("sent", "delivered", "read", "failed")


def _whatsapp(entry: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    waba_id = _id(entry.get("id"))
    for change in _dicts(entry.get("changes")):
        value = change.get("value")
        if change.get("field") != "messages" or not isinstance(value, dict):
            continue
        metadata = _obj(value.get("metadata"))
        phone_id = _id(metadata.get("phone_number_id"))
        ids = tuple(i for i in (phone_id, waba_id) if i)
        if not ids:
            logger.warning("whatsapp change without phone_number_id or WABA id")
            continue
        for status in _dicts(value.get("statuses")):
            wamid, name = _id(status.get("id")), status.get("status")
            if not wamid or name not in WHATSAPP_STATUSES:
                continue
            data: dict[str, Any] = {"wamid": wamid, "status": name}
            errors = list(_dicts(status.get("errors")))
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
                _unix(status.get("timestamp")) or received_at,
                data,
            )
        for message in _dicts(value.get("messages")):
            message_id = _id(message.get("id"))
            if message_id:
                yield Event(
                    Platform.WHATSAPP,
                    "whatsapp.message",
                    make_key("message", message_id),
                    ids,
                    _unix(message.get("timestamp")) or received_at,
                    {"message_id": message_id},
                )


def _instagram(entry: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    account = _id(entry.get("id"))
    if not account:
        return
    at = _unix(entry.get("time")) or received_at
    for change in _dicts(entry.get("changes")):
        name, value = change.get("field"), change.get("value")
        if not isinstance(value, dict):
            continue
        if name == "story_insights":
            media_id = _id(value.get("media_id"))
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
            media = _obj(value.get("media"))
            value_id = _id(value.get("id")) or _id(value.get("comment_id"))
            value_id = value_id or _id(value.get("media_id")) or _id(media.get("id"))
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
    page = _id(entry.get("id"))
    if not page:
        return
    entry_time = _unix(entry.get("time")) or received_at
    for change in _dicts(entry.get("changes")):
        name, value = change.get("field"), change.get("value")
        if not isinstance(value, dict):
            continue
        if name == "mention":
            target = _id(value.get("post_id")) or _id(value.get("comment_id"))
            yield Event(
                Platform.FACEBOOK,
                "facebook.mention",
                make_key("mention", page, target or int(entry_time.timestamp())),
                (page,),
                _unix(value.get("created_time")) or entry_time,
                {"id": target} if target else {},
            )
            continue
        item, verb = FEED_ITEMS.get(str(value.get("item"))), value.get("verb")
        if name != "feed" or item is None or verb not in ("add", "remove"):
            continue
        target = _id(value.get("comment_id")) if item == "comment" else None
        target = target or _id(value.get("post_id")) or _id(value.get("share_id"))
        sender = _obj(value.get("from"))
        created = value.get("created_time")
        at = _unix(created) or _iso(created) or entry_time
        yield Event(
            Platform.FACEBOOK,
            f"facebook.{item}.{verb}",
            make_key("feed", page, item, verb, target, _id(sender.get("id")), int(at.timestamp())),
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
        _entry(index, item, platform, item.get("id"), partial(parser, item, received_at))
        for index, item in enumerate(entries)
        if isinstance(item, dict)
    ]


# --- X -------------------------------------------------------------------------------------


def _x_activity(data: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    """X Activity API envelope: ``{"data": {"event_uuid", "filter": {"user_id"}, …}}``."""
    uuid, kind = _id(data.get("event_uuid")), data.get("event_type")
    flt = _obj(data.get("filter"))
    user = _id(flt.get("user_id"))
    types = {"follow.follow": "x.follow", "follow.unfollow": "x.unfollow"}
    types["post.create"] = "x.post.create"
    if not uuid or not user or kind not in types:
        return
    payload = _obj(data.get("payload"))
    if kind.startswith("follow."):
        source = _obj(payload.get("source"))
        if _id(source.get("id")) == user:  # the account followed someone: not a follower change
            return
    else:
        author = _id(payload.get("author_id"))
        if author and author != user:
            return
    at = _iso(payload.get("created_at")) or received_at
    yield Event(Platform.X, types[kind], make_key("xaa", uuid), (user,), at, {})


def _x_post(user: str, post: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    author = _obj(post.get("user"))
    post_id = _id(post.get("id_str")) or _id(post.get("id"))
    if not post_id or (_id(author.get("id_str")) or _id(author.get("id"))) != user:
        return
    at = _unix(post.get("timestamp_ms")) or _iso(post.get("created_at")) or received_at
    yield Event(Platform.X, "x.post.create", make_key("post.create", post_id), (user,), at)


def _x_follow(user: str, follow: dict[str, Any], received_at: datetime) -> Iterator[Event]:
    kind = follow.get("type")
    source = _obj(follow.get("source"))
    target = _obj(follow.get("target"))
    source_id, target_id = _id(source.get("id")), _id(target.get("id"))
    if kind not in ("follow", "unfollow") or target_id != user or not source_id:
        return  # only changes to the account's own followers count
    stamp = _id(follow.get("created_timestamp"))
    yield Event(
        Platform.X,
        f"x.{kind}",
        make_key(kind, source_id, target_id, stamp),
        (user,),
        _unix(stamp) or received_at,
    )


def _x_account_activity(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    user = _id(payload.get("for_user_id"))
    if not user:
        return []
    items = [
        (post, _x_post, post.get("id_str") or post.get("id"))
        for post in _dicts(payload.get("tweet_create_events"))
    ] + [
        (follow, _x_follow, follow.get("created_timestamp"))
        for follow in _dicts(payload.get("follow_events"))
    ]
    return [
        _entry(index, item, Platform.X, entry_id, partial(parser, user, item, received_at))
        for index, (item, parser, entry_id) in enumerate(items)
    ]


def parse_x(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    data = payload.get("data")
    items = [data] if isinstance(data, dict) else list(_dicts(data))
    if isinstance(data, (dict, list)):
        return [
            _entry(
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


# --- TikTok --------------------------------------------------------------------------------

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
    stamp = _id(payload.get("create_time"))
    yield Event(
        Platform.TIKTOK,
        TIKTOK_EVENTS[name],
        make_key(name, user, stamp, _content_digest(content)),
        (user,),
        _unix(stamp) or received_at,
        data,
    )


def parse_tiktok(payload: dict[str, Any], received_at: datetime) -> list[Entry]:
    name, user = payload.get("event"), _id(payload.get("user_openid"))
    if not isinstance(name, str) or not user:
        raise PoisonMessage("tiktok delivery lacks event or user_openid")
    if name not in TIKTOK_EVENTS:
        logger.info("tiktok event not handled", extra={"event": name})
        return []
    return [_entry(0, payload, Platform.TIKTOK, user, partial(_tiktok, payload, received_at))]


# --- entries -------------------------------------------------------------------------------


def _digest(item: Any) -> str:
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _entry(
    index: int,
    item: Any,
    platform: Platform,
    entry_id: Any,
    events: Callable[[], Iterable[Event]],
) -> Entry:
    """Parse one entry and check each of its events against the column limits."""
    ident = _id(entry_id)
    ident = ident if ident is None or len(ident) <= limits.MAX_ID else ident[:254] + "…"
    digest = _digest(item)
    try:
        parsed = tuple(events())
        for event in parsed:
            check_event(event)
    except Rejected as rejected:
        return Entry(index, ident, digest, platform, rejected=rejected)
    except (ArithmeticError, ValueError, TypeError) as exc:  # a shape no parser expected
        unparseable = Rejected("unparseable", f"{type(exc).__name__}: {exc}")
        return Entry(index, ident, digest, platform, rejected=unparseable)
    return Entry(index, ident, digest, platform, parsed)


def check_event(event: Event) -> None:
    """Every value ``event`` will write fits its column (:class:`Rejected` otherwise)."""
    for account_id in event.account_ids:
        limits.check_id(account_id, "account id")
    limits.check_time(event.occurred_at)
    data = event.data
    if "wamid" in data:
        limits.check_id(str(data["wamid"]), "message id")
    if "media_id" in data:
        limits.check_id(str(data["media_id"]), "media id", limits.MAX_OBJECT_ID)
    if isinstance(data.get("error_code"), int):
        limits.check_int32(data["error_code"], "error code")
    for raw, value in (data.get("metrics") or {}).items():
        limits.check_value(Decimal(str(value)), str(raw)[:64])


def check_recent(entry: Entry, received_at: datetime, window: timedelta) -> Entry:
    """``entry``, or a rejection when one of its events falls outside the replay window."""
    try:
        for event in entry.events:
            limits.check_recent(event.occurred_at, received_at, window)
    except Rejected as rejected:
        return Entry(entry.index, entry.entry_id, entry.digest, entry.platform, rejected=rejected)
    return entry


def parse_entries(delivery: Delivery, window: timedelta | None = None) -> list[Entry]:
    """Every entry of one delivery, each with its events or its rejection; with ``window``,
    entries whose events occurred outside the replay window are rejected too.
    :class:`PoisonMessage` when the delivery as a whole can never be parsed."""
    payload = delivery.json_body()
    if delivery.provider == "meta":
        entries = parse_meta(payload, delivery.received_at)
    elif delivery.provider == "x":
        entries = parse_x(payload, delivery.received_at)
    else:
        entries = parse_tiktok(payload, delivery.received_at)
    if window is not None:
        entries = [check_recent(entry, delivery.received_at, window) for entry in entries]
    return entries


def parse_delivery(delivery: Delivery) -> list[Event]:
    """The events of every entry that is not rejected (no replay window)."""
    return [event for entry in parse_entries(delivery) for event in entry.events]
