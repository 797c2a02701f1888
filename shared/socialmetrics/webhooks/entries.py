"""What parsing a webhook delivery produces, and the checks every parsed entry passes.

:class:`Event` (a fact with a stable key) and :class:`Entry` (one entry of a delivery: its
events or why it is rejected); :func:`parse_entry` parses one entry and checks each event
against the column limits (:mod:`socialmetrics.webhooks.limits`). The field readers (``ident``,
``from_unix``, ``from_iso``, ``obj``, ``dicts``) are shared by the platform parsers
(``parse_meta``, ``parse_x``, ``parse_tiktok``), which tolerate any payload shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.webhooks import limits
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


def ident(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int)):
        text = str(value).strip()
        return text or None
    return None


def from_unix(value: Any) -> datetime | None:
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


def from_iso(value: Any) -> datetime | None:
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


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _digest(item: Any) -> str:
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_entry(
    index: int,
    item: Any,
    platform: Platform,
    entry_id: Any,
    events: Callable[[], Iterable[Event]],
) -> Entry:
    """Parse one entry and check each of its events against the column limits."""
    entry_ident = ident(entry_id)
    if entry_ident is not None and len(entry_ident) > limits.MAX_ID:
        entry_ident = entry_ident[:254] + "…"
    digest = _digest(item)
    try:
        parsed = tuple(events())
        for event in parsed:
            check_event(event)
    except Rejected as rejected:
        return Entry(index, entry_ident, digest, platform, rejected=rejected)
    except (ArithmeticError, ValueError, TypeError) as exc:  # a shape no parser expected
        unparseable = Rejected("unparseable", f"{type(exc).__name__}: {exc}")
        return Entry(index, entry_ident, digest, platform, rejected=unparseable)
    return Entry(index, entry_ident, digest, platform, parsed)


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
