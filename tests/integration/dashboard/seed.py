"""Two tenants with known series: gaps, a renamed metric, post lifetime values, statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.identity.service import create_user_with_key
from socialmetrics.points import MetricPoint
from tests.factories import give_consent, make_account, set_account

GAP_DAYS = (12, 11)  # days ago with no followers point (the platform returned nothing)
RENAMED_AFTER = 8  # views came as "impressions" until this many days ago, then as "views"
POSTS = {"post-a": (120, 4), "post-b": (45, 30), "post-c": (300, 9)}  # likes, comments


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    api_key: str


@dataclass(frozen=True)
class Tenants:
    admin: Person
    ana: Person
    bruno: Person
    instagram: Owner
    facebook: Owner
    whatsapp: Owner
    tiktok: Owner  # Bruno's


def _person(name: str, role: str) -> Person:
    email = f"{name.lower()}@example.com"
    with unit_of_work() as session:
        user_id, key = create_user_with_key(session, name, email, role)
    return Person(user_id, email, key)


def _at(days_ago: int, hour: int = 12) -> datetime:
    day = date.today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _points(owner: Owner, points: list[MetricPoint]) -> None:
    with unit_of_work() as session:
        upsert_points(session, owner, points)


def seed() -> Tenants:
    admin = _person("Admin", "admin")
    ana = _person("Ana", "client")
    bruno = _person("Bruno", "client")
    give_consent(ana.user_id)
    instagram = make_account("Instagram", ana.user_id)
    facebook = make_account("Facebook", ana.user_id)
    whatsapp = make_account("WhatsApp", ana.user_id)
    tiktok = make_account("TikTok", bruno.user_id)
    set_account(facebook.account_id, status="reauth_required", status_reason="token expired")
    followers = [
        MetricPoint("followers", Decimal(1000 + 10 * (20 - d)), _at(d), raw_name="followers_count")
        for d in range(20, 0, -1)
        if d not in GAP_DAYS
    ]
    views = [
        MetricPoint(
            "views",
            Decimal(500 + d),
            _at(d, 0),
            period="day",
            raw_name="impressions" if d > RENAMED_AFTER else "views",
        )
        for d in range(16, 0, -1)
    ]
    posts = [
        MetricPoint(metric, Decimal(value), _at(1), "post", post, "lifetime", raw_name=metric)
        for post, (likes, comments) in POSTS.items()
        for metric, value in (("likes", likes), ("comments", comments))
    ]
    _points(instagram, followers + views + posts)
    _points(
        whatsapp,
        [
            MetricPoint(m, Decimal(v + d), _at(d, 0), period="day")
            for d in range(6, 0, -1)
            for m, v in (("messages_sent", 40), ("messages_delivered", 38), ("messages_read", 20))
        ],
    )
    _points(
        tiktok,
        [MetricPoint("followers", Decimal(7777 + d), _at(d)) for d in range(5, 0, -1)],
    )
    return Tenants(admin, ana, bruno, instagram, facebook, whatsapp, tiktok)
