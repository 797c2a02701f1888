"""Applying webhook events: the ledger row and its effects in the caller's one transaction.

For each event, :func:`ingest_delivery` inserts its key into ``webhook_events``
(``ON CONFLICT DO NOTHING``); a key already there means a repeated delivery, and nothing else
happens. A new key for a known account runs the event's effect — if the account's owner
consents to collection (LGPD); otherwise the key is kept as ``no_consent`` with no payload and
no effect. For an unknown account the event is kept as ``unmatched`` (with its payload) until
:func:`rematch_unmatched` applies it.

Each entry of a delivery is applied on its own (a savepoint per entry): an entry the parser
rejected, or one whose values the database refuses as data (SQLSTATE class 22), is recorded in
``webhook_rejections`` with its reason and the other entries are applied; the SQS message then
succeeds. Entries older than the replay window are rejected the same way (see
:mod:`socialmetrics.webhooks.limits`).

Daily counts are never incremented: after the effects, each touched (account, day) is locked
and its counts are recomputed from the tables (``message_statuses`` for WhatsApp, the ledger for
the other counters) and written with ``upsert_points`` — so re-deliveries, reordering and
concurrent consumers cannot double count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from socialmetrics.accounts import lifecycle
from socialmetrics.compliance.consent import has_active_consent
from socialmetrics.config import get_settings
from socialmetrics.db.metrics import upsert_points
from socialmetrics.logging import logger
from socialmetrics.platforms import Platform, parse_platform
from socialmetrics.points import MetricPoint
from socialmetrics.webhooks import queries
from socialmetrics.webhooks.delivery import Delivery
from socialmetrics.webhooks.entries import Entry, Event
from socialmetrics.webhooks.limits import Rejected, replay_window
from socialmetrics.webhooks.parse import parse_entries
from socialmetrics.webhooks.queries import AccountRef

# Ledger event types counted per day (metric source "webhook").
COUNTERS: dict[str, str] = {
    "whatsapp.message": "messages_received",
    "instagram.comments": "comments_received",
    "instagram.mentions": "mentions",
    "facebook.mention": "mentions",
    "facebook.post.add": "posts_created",
    "facebook.post.remove": "posts_deleted",
    "facebook.comment.add": "comments_received",
    "facebook.comment.remove": "comments_removed",
    "facebook.reaction.add": "reactions_received",
    "facebook.reaction.remove": "reactions_removed",
    "facebook.share.add": "shares_received",
    "facebook.share.remove": "shares_removed",
    "x.follow": "follows_gained",
    "x.unfollow": "follows_lost",
    "x.post.create": "posts_created",
    "tiktok.video.publish.completed": "posts_created",
}
# Events that change an account's state rather than collect data: applied without consent.
CONSENT_FREE = frozenset({"tiktok.authorization.removed"})
# Instagram story_insights value fields → normalised metric (later entries win on a clash).
STORY_METRICS: dict[str, str] = {
    "impressions": "impressions",
    "views": "impressions",
    "reach": "reach",
    "replies": "replies",
    "taps_forward": "taps_forward",
    "taps_back": "taps_back",
    "exits": "exits",
    "shares": "shares",
    "total_interactions": "engagements",
    "profile_visits": "profile_views",
    "follows": "follows_gained",
}


def day_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


@dataclass
class Recount:
    """(account, day) pairs whose derived counts must be recomputed before commit."""

    accounts: dict[int, AccountRef] = field(default_factory=dict)
    counters: set[tuple[int, datetime, str]] = field(default_factory=set)
    whatsapp: set[tuple[int, datetime]] = field(default_factory=set)

    def counter(self, account: AccountRef, day: datetime, metric: str) -> None:
        self.accounts[account.id] = account
        self.counters.add((account.id, day, metric))

    def whatsapp_day(self, account: AccountRef, day: datetime) -> None:
        self.accounts[account.id] = account
        self.whatsapp.add((account.id, day))

    def flush(self, session: Session) -> int:
        """Lock each account-day in a fixed order, recount, upsert; returns rows written."""
        days = sorted({(a, d) for a, d, _ in self.counters} | self.whatsapp)
        written = 0
        for account_id, day in days:
            queries.lock_account_day(session, account_id, day)
            account = self.accounts[account_id]
            points: list[MetricPoint] = []
            if (account_id, day) in self.whatsapp:
                counts = queries.whatsapp_day_counts(session, account_id, day)
                points += [_daily(name, value, day, "derived") for name, value in counts.items()]
            for metric in sorted(m for a, d, m in self.counters if (a, d) == (account_id, day)):
                types = [t for t, name in COUNTERS.items() if name == metric]
                count = queries.count_events(session, account_id, types, day)
                points.append(_daily(metric, count, day, "webhook"))
            written += upsert_points(session, account.owner, points)
        self.counters.clear()
        self.whatsapp.clear()
        return written


def _daily(metric: str, value: int, day: datetime, source: Any) -> MetricPoint:
    return MetricPoint(
        metric_type=metric,
        value=Decimal(value),
        collected_at=day,
        object_type="account",
        object_id="",
        period="day",
        source=source,
    )


# --- effects -------------------------------------------------------------------------------


def apply_effects(session: Session, event: Event, account: AccountRef, recount: Recount) -> None:
    """Run what ``event`` does to ``account``'s data (its ledger row is already written)."""
    day = day_start(event.occurred_at)
    if event.event_type == "whatsapp.status":
        before, after = queries.upsert_message_status(
            session,
            account_id=account.id,
            wamid=str(event.data["wamid"]),
            status=str(event.data["status"]),
            at=event.occurred_at,
            error_code=event.data.get("error_code"),
            pricing_category=event.data.get("pricing_category"),
        )
        recount.whatsapp_day(account, day_start(after))
        if before is not None and day_start(before) != day_start(after):
            recount.whatsapp_day(account, day_start(before))  # the message moved to another day
    elif event.event_type == "instagram.story_insights":
        media_id = str(event.data["media_id"])
        points = [
            MetricPoint(
                metric_type=STORY_METRICS[raw],
                value=Decimal(str(event.data["metrics"][raw])),
                collected_at=event.occurred_at,
                object_type="story",
                object_id=media_id,
                period="lifetime",
                source="webhook",
                raw_name=raw,
            )
            for raw in STORY_METRICS
            if raw in event.data.get("metrics", {})
        ]
        upsert_points(session, account.owner, points)
    elif event.event_type == "tiktok.authorization.removed":
        reason = event.data.get("reason")
        detail = "TikTok authorization removed" + (
            f" (reason {reason})" if reason is not None else ""
        )
        if lifecycle.mark_reauth_required(session, account.id, detail):
            logger.info("account needs reauthorisation", extra={"account_id": account.id})
    elif event.event_type in COUNTERS:
        recount.counter(account, day, COUNTERS[event.event_type])
    else:
        logger.warning("webhook event type has no effect", extra={"type": event.event_type})


# --- ingest --------------------------------------------------------------------------------


@dataclass
class IngestResult:
    applied: int = 0
    duplicates: int = 0
    unmatched: int = 0
    rematched: int = 0
    without_consent: int = 0
    rejected: int = 0


class ConsentCache:
    """Whether each account owner currently consents to collection (one lookup per user)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, bool] = {}

    def allows(self, event: Event, account: AccountRef) -> bool:
        if event.event_type in CONSENT_FREE:
            return True
        if account.user_id not in self.known:
            self.known[account.user_id] = has_active_consent(self.session, account.user_id)
        return self.known[account.user_id]


@dataclass
class _Ingest:
    """One delivery's state while its entries are applied."""

    session: Session
    recount: Recount
    consent: ConsentCache
    result: IngestResult = field(default_factory=IngestResult)
    matched: dict[tuple[Platform, str], AccountRef] = field(default_factory=dict)

    def apply(self, event: Event) -> None:
        session, result = self.session, self.result
        account = queries.find_account(session, event.platform.value, event.account_ids)
        fresh = queries.record_event(
            session,
            provider=event.platform.value,
            event_key=event.event_key,
            event_type=event.event_type,
            platform_user_id=event.account_ids[0] if event.account_ids else None,
            account_id=account.id if account else None,
            payload=event.to_payload(),
        )
        if not fresh:
            result.duplicates += 1
        elif account is None:
            result.unmatched += 1
        elif not self.consent.allows(event, account):
            queries.mark_no_consent(session, event.platform.value, event.event_key)
            result.without_consent += 1
        else:
            apply_effects(session, event, account, self.recount)
            result.applied += 1
            for candidate in event.account_ids:
                self.matched[(event.platform, candidate)] = account


def _is_data_error(exc: DBAPIError) -> bool:
    """The server refused a value (SQLSTATE class 22: out of range, too long, bad format)."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    args = getattr(orig, "args", ())
    if code is None and args and isinstance(args[0], dict):
        code = args[0].get("C")
    return isinstance(code, str) and code.startswith("22")


def _reject(session: Session, delivery: Delivery, entry: Entry, why: Rejected) -> None:
    queries.record_rejection(
        session,
        provider=delivery.provider,
        platform=entry.platform.value if entry.platform else None,
        entry_index=entry.index,
        entry_id=entry.entry_id,
        entry_digest=entry.digest,
        reason=why.reason,
        detail=why.detail,
        request_id=delivery.request_id,
        received_at=delivery.received_at,
    )
    logger.warning(
        "webhook entry rejected",
        extra={
            "provider": delivery.provider,
            "entry_index": entry.index,
            "reason": why.reason,
            "detail": why.detail,
        },
    )


def _apply_entries(
    session: Session, delivery: Delivery, entries: Iterable[Entry], recount: Recount
) -> IngestResult:
    state = _Ingest(session, recount, ConsentCache(session))
    for entry in entries:
        if entry.rejected is not None:
            _reject(session, delivery, entry, entry.rejected)
            state.result.rejected += 1
            continue
        if not entry.events:
            continue  # nothing this system uses: no savepoint needed
        try:
            with session.begin_nested():  # one entry's writes stand or fall together
                for event in entry.events:
                    state.apply(event)
        except DBAPIError as exc:
            if not _is_data_error(exc):
                raise  # the database is unwell: the whole delivery is retried
            refused = Rejected("refused_by_database", str(exc.orig).splitlines()[0][:300])
            _reject(session, delivery, entry, refused)
            state.result.rejected += 1
    # Opportunistic: a known account with events that arrived before it was registered.
    for (platform, candidate), account in state.matched.items():
        if queries.has_unmatched(session, platform.value, [candidate]):
            state.result.rematched += _rematch(session, platform, candidate, account, recount)
    return state.result


def ingest_delivery(session: Session, delivery: Delivery) -> IngestResult:
    """Parse and apply one queued delivery inside the caller's transaction: every acceptable
    entry is applied, every other one is recorded as rejected."""
    window = replay_window(get_settings().webhook_events_retention_days)
    entries = parse_entries(delivery, window)
    recount = Recount()
    result = _apply_entries(session, delivery, entries, recount)
    recount.flush(session)
    logger.info(
        "webhook delivery applied",
        extra={"provider": delivery.provider, "entries": len(entries), **result.__dict__},
    )
    return result


def _rematch(
    session: Session,
    platform: Platform,
    platform_user_id: str,
    account: AccountRef,
    recount: Recount,
) -> int:
    applied = 0
    consent = ConsentCache(session)
    for row in queries.lock_unmatched(session, platform.value, platform_user_id):
        event = Event.from_payload(platform, row.event_type, row.event_key, dict(row.payload))
        if not consent.allows(event, account):
            queries.mark_no_consent(session, platform.value, row.event_key)
            continue
        apply_effects(session, event, account, recount)
        queries.mark_applied(session, row.id, account.id)
        applied += 1
    return applied


def rematch_unmatched(session: Session, platform: Platform | str, platform_user_id: str) -> int:
    """Apply the events that arrived for ``platform_user_id`` before its account existed.

    Call it in the transaction that registers the account (after the account row is written).
    Returns how many waiting events were applied; 0 when the account is unknown.
    """
    if not isinstance(platform, Platform):
        try:
            platform = parse_platform(platform)
        except ValueError:
            return 0  # no provider for that platform, so no webhook can have arrived for it
    account = queries.find_account(session, platform.value, [platform_user_id])
    if account is None:
        return 0
    recount = Recount()
    applied = _rematch(session, platform, platform_user_id, account, recount)
    recount.flush(session)
    if applied:
        logger.info(
            "unmatched webhook events applied",
            extra={"platform": platform.value, "account_id": account.id, "events": applied},
        )
    return applied
