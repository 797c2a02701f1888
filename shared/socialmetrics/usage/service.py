"""Platform calls per tenant, platform and UTC day, and X's pay-per-use reads with an
estimated cost; the per-tenant monthly X budget that pauses X collection before it is spent.

Calls are counted where every platform request goes through (the provider session's
request hook, ``providers.base.Session``) and recorded with the collection's results in the
collector's unit of work. X bills each post and user read once per UTC day: the objects of a
collection (its points' ``object_type``/``object_id``) are deduplicated per tenant and day in
``usage_billed_objects`` and only new ones count. Prices come from ``X_PRICE_POST_READ_USD``
and ``X_PRICE_USER_READ_USD``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.config import Settings
from socialmetrics.points import MetricPoint
from socialmetrics.signals.events import emit

X = "X"


@dataclass(frozen=True, slots=True)
class UsageRow:
    user_id: int
    platform: str
    day: date
    calls: int
    post_reads: int
    user_reads: int
    estimated_cost_usd: Decimal


def _cost(post_reads: int, user_reads: int, settings: Settings) -> Decimal:
    return (
        Decimal(str(settings.x_price_post_read_usd)) * post_reads
        + Decimal(str(settings.x_price_user_read_usd)) * user_reads
    ).quantize(Decimal("0.0001"))


def billed_objects(points: list[MetricPoint]) -> set[tuple[str, str]]:
    """The X objects a collection read: the user (account-level points) and each post."""
    found: set[tuple[str, str]] = set()
    for point in points:
        if point.object_type == "account":
            found.add(("user", point.object_id or "self"))
        elif point.object_type == "post":
            found.add(("post", point.object_id))
    return found


def record_collection(
    session: Session,
    user_id: int,
    platform: str,
    calls: int,
    points: list[MetricPoint],
    now: datetime,
) -> None:
    """Add one collection's calls (and, for X, its newly billed reads) to today's row."""
    day = now.astimezone(UTC).date()
    posts = users = 0
    if platform == X:
        objects = billed_objects(points)
        if objects:
            kinds = session.execute(
                text(
                    "INSERT INTO usage_billed_objects (user_id, day, object_type, object_id)"
                    " SELECT :u, :d, t, o FROM unnest(CAST(:ts AS text[]), CAST(:os AS text[]))"
                    " AS x(t, o) ON CONFLICT DO NOTHING RETURNING object_type"
                ),
                {
                    "u": user_id,
                    "d": day,
                    "ts": [t for t, _ in sorted(objects)],
                    "os": [o for _, o in sorted(objects)],
                },
            ).scalars()
            fresh = list(kinds)
            posts, users = fresh.count("post"), fresh.count("user")
    session.execute(
        text(
            "INSERT INTO usage_daily (user_id, platform, day, calls, post_reads, user_reads)"
            " VALUES (:u, :p, :d, :c, :pr, :ur) ON CONFLICT (user_id, platform, day) DO UPDATE"
            " SET calls = usage_daily.calls + :c, post_reads = usage_daily.post_reads + :pr,"
            " user_reads = usage_daily.user_reads + :ur"
        ),
        {"u": user_id, "p": platform, "d": day, "c": calls, "pr": posts, "ur": users},
    )


def month_cost(session: Session, user_id: int, now: datetime, settings: Settings) -> Decimal:
    start = now.astimezone(UTC).date().replace(day=1)
    row = session.execute(
        text(
            "SELECT COALESCE(sum(post_reads), 0) AS posts, COALESCE(sum(user_reads), 0) AS users"
            " FROM usage_daily WHERE user_id = :u AND platform = 'X' AND day >= :s"
        ),
        {"u": user_id, "s": start},
    ).one()
    return _cost(int(row.posts), int(row.users), settings)


def x_budget_paused(session: Session, user_id: int, now: datetime, settings: Settings) -> bool:
    """True when the tenant's X spend this month reached ``X_BUDGET_PAUSE_PCT`` of its budget
    (no budget: never). The first pause of a month emits ``usage.budget_paused``."""
    budget = session.execute(
        text("SELECT x_monthly_budget_usd FROM users WHERE id = :u"), {"u": user_id}
    ).scalar_one_or_none()
    if budget is None:
        return False
    spent = month_cost(session, user_id, now, settings)
    limit = Decimal(budget) * Decimal(str(settings.x_budget_pause_pct)) / 100
    if spent < limit:
        return False
    month = now.astimezone(UTC).strftime("%Y-%m")
    already = session.execute(
        text(
            "SELECT 1 FROM signal_events WHERE user_id = :u AND type = 'usage.budget_paused'"
            " AND data->>'month' = :m LIMIT 1"
        ),
        {"u": user_id, "m": month},
    ).one_or_none()
    if already is None:
        emit(
            session,
            user_id,
            "usage.budget_paused",
            {
                "platform": X,
                "month": month,
                "budget_usd": str(budget),
                "estimated_spend_usd": str(spent),
            },
        )
    return True


def usage_report(
    session: Session, user_id: int | None, since: date, until: date, settings: Settings
) -> list[UsageRow]:
    rows = session.execute(
        text(
            "SELECT user_id, platform, day, calls, post_reads, user_reads FROM usage_daily"
            " WHERE (CAST(:u AS bigint) IS NULL OR user_id = :u) AND day BETWEEN :s AND :e"
            " ORDER BY day, user_id, platform LIMIT 10000"
        ),
        {"u": user_id, "s": since, "e": until},
    ).all()
    return [_row(r, settings) for r in rows]


def _row(r: Any, settings: Settings) -> UsageRow:
    return UsageRow(
        user_id=r.user_id,
        platform=r.platform,
        day=r.day,
        calls=r.calls,
        post_reads=r.post_reads,
        user_reads=r.user_reads,
        estimated_cost_usd=_cost(r.post_reads, r.user_reads, settings),
    )


def x_budget(session: Session, user_id: int) -> Decimal | None:
    value = session.execute(
        text("SELECT x_monthly_budget_usd FROM users WHERE id = :u"), {"u": user_id}
    ).scalar_one_or_none()
    return None if value is None else Decimal(value)


def set_x_budget(session: Session, user_id: int, budget_usd: Decimal | None) -> None:
    session.execute(
        text("UPDATE users SET x_monthly_budget_usd = :b, updated_at = now() WHERE id = :u"),
        {"b": budget_usd, "u": user_id},
    )
