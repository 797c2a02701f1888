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

The platform parsers are ``parse_meta``, ``parse_x`` and ``parse_tiktok`` beside this module;
what they produce (:class:`Event`, :class:`Entry`) and the checks are in ``entries``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from socialmetrics.webhooks import limits
from socialmetrics.webhooks.delivery import Delivery
from socialmetrics.webhooks.entries import (
    Entry,
    Event,
)
from socialmetrics.webhooks.limits import Rejected
from socialmetrics.webhooks.parse_meta import parse_meta
from socialmetrics.webhooks.parse_tiktok import parse_tiktok
from socialmetrics.webhooks.parse_x import parse_x


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
