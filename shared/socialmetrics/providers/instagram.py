"""Instagram professional accounts, on either host:

- Facebook Login → ``graph.facebook.com`` (FB user or Page token);
- Instagram Login → ``graph.instagram.com`` (Instagram user token, ``IG…``).

Collects account counters, daily time-series insights (``reach``, ``follower_count``), daily
``total_value`` insights (``views`` and the engagement family), recent media with per-surface
insights (FEED / REELS) and live stories. Cursor: ``{"insights_until": <unix day>,
"newest_post_time": "<iso>"}``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.points import ObjectType
from socialmetrics.providers.base import PointSink, Session, grant_from, utcnow
from socialmetrics.providers.meta import (
    GraphClient,
    day_window,
    insight_value,
    parse_graph_time,
)
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    InstagramLogin,
    RotateCallback,
    TokenGrant,
)

USER_FIELDS = "id,username,followers_count,follows_count,media_count"
SERIES_METRICS = ["reach", "follower_count"]
TOTAL_METRICS = [
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "profile_views",
    "website_clicks",
    "profile_links_taps",
]
MEDIA_FIELDS = "id,media_type,media_product_type,timestamp,like_count,comments_count"
FEED_METRICS = [
    "views",
    "reach",
    "shares",
    "saved",
    "total_interactions",
    "follows",
    "profile_visits",
]
REEL_METRICS = [*FEED_METRICS, "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"]
STORY_METRICS = [
    "views",
    "reach",
    "replies",
    "shares",
    "follows",
    "profile_visits",
    "total_interactions",
]


def login_of(account: AccountRef, credentials: Credentials) -> InstagramLogin:
    if account.login is not None:
        return account.login
    token = credentials.access_token.get_secret_value()
    return "instagram" if token.startswith("IG") else "facebook"


class InstagramClient(GraphClient):
    platform = Platform.INSTAGRAM
    supports_refresh = True

    def host_url(self, login: InstagramLogin, path: str) -> str:
        if login == "facebook":
            return self.graph_url(path)
        base = self.settings.instagram_graph_base_url.rstrip("/")
        return f"{base}/{self.api_version}/{path.lstrip('/')}"

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult:
        login = login_of(account, credentials)
        token = credentials.access_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}"}
        user_id = account.platform_user_id
        now = self.clock()
        sink = PointSink(self.platform, self.api_version, now)
        unavailable: list[str] = []
        async with self.session(token) as session:
            user = await session.request(
                "GET",
                self.host_url(login, user_id),
                params={"fields": USER_FIELDS},
                headers=headers,
            )
            sink.add_all(
                {k: user.get(k) for k in ("followers_count", "follows_count", "media_count")}
            )
            since, until = day_window(
                cursor, "insights_until", now, self.settings.provider_lookback_days
            )
            insights_url = self.host_url(login, f"{user_id}/insights")
            for entry in await self.insights(
                session,
                insights_url,
                SERIES_METRICS,
                {
                    "period": "day",
                    "metric_type": "time_series",
                    "since": int(since.timestamp()),
                    "until": int(until.timestamp()),
                },
                headers,
                unavailable,
            ):
                for value in entry.get("values") or []:
                    end = parse_graph_time(value.get("end_time"))
                    if end is not None:
                        sink.add(
                            str(entry.get("name")),
                            value.get("value"),
                            period="day",
                            collected_at=end - timedelta(days=1),
                        )
            await self._daily_totals(
                session, insights_url, since, until, headers, sink, unavailable
            )

            cutoff = now - timedelta(days=self.settings.provider_lookback_days)
            media = await self.paged(
                session,
                self.host_url(login, f"{user_id}/media"),
                {"fields": MEDIA_FIELDS},
                headers,
                stop=lambda m: (parse_graph_time(m.get("timestamp")) or now) < cutoff,
            )
            stories = await self.paged(
                session,
                self.host_url(login, f"{user_id}/stories"),
                {"fields": MEDIA_FIELDS},
                headers,
            )
            for item in media:
                await self._media_points(session, login, item, headers, sink, unavailable)
            for item in stories:
                await self._media_points(
                    session, login, item, headers, sink, unavailable, story=True
                )

            new_cursor: dict[str, Any] = {"insights_until": int(until.timestamp())}
            times = [t for m in media if (t := parse_graph_time(m.get("timestamp")))]
            if times:
                new_cursor["newest_post_time"] = max(times).isoformat()
            elif cursor.get("newest_post_time"):
                new_cursor["newest_post_time"] = cursor["newest_post_time"]
            return CollectResult(
                sink.points, new_cursor, sorted(set(unavailable)), session.usage, session.calls
            )

    async def _daily_totals(
        self,
        session: Session,
        url: str,
        since: datetime,
        until: datetime,
        headers: dict[str, str],
        sink: PointSink,
        unavailable: list[str],
    ) -> None:
        """``total_value`` metrics, one day per request (they carry no per-day series)."""
        day = since
        while day < until:
            end = day + timedelta(days=1)
            for entry in await self.insights(
                session,
                url,
                TOTAL_METRICS,
                {
                    "period": "day",
                    "metric_type": "total_value",
                    "since": int(day.timestamp()),
                    "until": int(end.timestamp()),
                },
                headers,
                unavailable,
            ):
                sink.add(
                    str(entry.get("name")), insight_value(entry), period="day", collected_at=day
                )
            day = end

    async def _media_points(
        self,
        session: Session,
        login: InstagramLogin,
        item: dict[str, Any],
        headers: dict[str, str],
        sink: PointSink,
        unavailable: list[str],
        story: bool = False,
    ) -> None:
        level: ObjectType = (
            "story" if story else ("reel" if item.get("media_product_type") == "REELS" else "post")
        )
        metrics = STORY_METRICS if story else REEL_METRICS if level == "reel" else FEED_METRICS
        kw: dict[str, Any] = {
            "object_type": level,
            "object_id": str(item["id"]),
            "period": "lifetime",
        }
        sink.add_all({k: item.get(k) for k in ("like_count", "comments_count")}, **kw)
        if item.get("media_type") == "CAROUSEL_ALBUM" and item.get("is_child"):
            return  # carousel children have no insights
        for entry in await self.insights(
            session,
            self.host_url(login, f"{item['id']}/insights"),
            metrics,
            {},
            headers,
            unavailable,
            label=f"{level}:",
        ):
            sink.add(str(entry.get("name")), insight_value(entry), **kw)

    async def refresh(
        self,
        credentials: Credentials,
        on_rotate: RotateCallback | None = None,
        login: InstagramLogin | None = None,
    ) -> TokenGrant:
        """Instagram Login: ``ig_refresh_token`` (token ≥24 h old, unexpired; 60 days more).
        Facebook Login: the long-lived ``fb_exchange_token`` exchange."""
        token = credentials.access_token.get_secret_value()
        if (login or ("instagram" if token.startswith("IG") else "facebook")) == "facebook":
            return await self.exchange(credentials, on_rotate)
        base = self.settings.instagram_graph_base_url.rstrip("/")
        async with self.session(token) as session:
            body = await session.request(
                "GET",
                f"{base}/refresh_access_token",
                params={"grant_type": "ig_refresh_token", "access_token": token},
            )
        return await self._rotated(grant_from(body, utcnow()), on_rotate)
