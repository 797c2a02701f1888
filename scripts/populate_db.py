"""Fill the configured database with realistic test data: users, accounts and metric history.

Usage: ``.venv/bin/python -m scripts.populate_db [--users 20] [--days 90] [--seed 7]``.
Each user gets one account per platform (tokens are random placeholders, envelope-encrypted
like real ones, and no consent is recorded, so the scheduler never tries to collect them) and
``--days`` of daily account-level metrics that grow deterministically from ``--seed``.
Written with the same one-statement upsert as the collector: a second run with the same seed
adds no rows (the placeholder tokens are rotated, as a re-registration would).
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from socialmetrics.compliance.audit import Actor
from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.db.models import PlatformRow, User
from socialmetrics.points import MetricPoint
from socialmetrics.registration import register_token

METRICS: dict[str, tuple[str, ...]] = {
    "X": ("followers", "following", "posts_count", "impressions", "likes", "shares"),
    "Facebook": ("followers", "impressions", "reach", "engagements", "profile_views"),
    "Instagram": ("followers", "following", "posts_count", "views", "reach", "saves"),
    "WhatsApp": ("messages_sent", "messages_delivered", "messages_read", "messages_failed"),
    "TikTok": ("followers", "following", "posts_count", "likes", "video_views"),
}
ACTOR = Actor.system("populate_db")


def _series(rng: random.Random, days: int, start: int) -> list[int]:
    values, current = [], start
    for _ in range(days):
        current = max(0, current + rng.randint(-start // 50 - 1, start // 20 + 3))
        values.append(current)
    return values


def populate(users: int, days: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    written = created = 0
    with unit_of_work() as session:
        platforms = {p.name: p.id for p in session.scalars(select(PlatformRow))}
    for index in range(users):
        email = f"populated-{seed}-{index}@example.com"
        with unit_of_work() as session:
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                user = User(name=f"Cliente {index}", email=email, role="client")
                session.add(user)
                session.flush()
                created += 1
            user_id = user.id
        for platform, metrics in METRICS.items():
            with unit_of_work() as session:
                registration = register_token(
                    session,
                    ACTOR,
                    user_id,
                    platforms[platform],
                    f"pop-{seed}-{index}-{platform.lower()}",
                    secrets.token_urlsafe(32),
                )
                owner = Owner(user_id, platforms[platform], registration.account_id)
                points = [
                    MetricPoint(
                        metric_type=metric,
                        value=Decimal(value),
                        collected_at=today - timedelta(days=days - day),
                        period="day" if metric.startswith("messages_") else "snapshot",
                        source="poll",
                        raw_name=metric,
                        api_version="populate",
                    )
                    for metric in metrics
                    for day, value in enumerate(_series(rng, days, rng.randint(50, 50_000)))
                ]
                written += upsert_points(session, owner, points)
    return {"users_created": created, "points_written": written}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not (0 < args.users <= 10_000 and 0 < args.days <= 3_650):
        parser.error("--users must be 1..10000 and --days 1..3650")
    print(populate(args.users, args.days, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
