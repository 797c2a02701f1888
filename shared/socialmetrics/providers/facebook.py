"""Facebook Pages through the Graph API: Page counters, daily Page insights, recent posts
with their engagement counts and lifetime insights.

Cursor: ``{"insights_until": <unix day>, "newest_post_time": "<iso>"}``. Page insights are
re-read from two days before ``insights_until`` (Meta revises recent days); posts created in
the last ``provider_lookback_days`` are re-polled each run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.providers.base import PointSink
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
    RotateCallback,
    TokenGrant,
)

PAGE_FIELDS = "id,name,followers_count,fan_count"
PAGE_METRICS = [
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_views_total",
]
POST_FIELDS = (
    "id,created_time,shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"
)
POST_METRICS = [
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_video_views",
]


class FacebookClient(GraphClient):
    platform = Platform.FACEBOOK
    supports_refresh = True

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult:
        token = credentials.access_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}"}
        page_id = account.platform_user_id
        now = self.clock()
        sink = PointSink(self.platform, self.api_version, now)
        unavailable: list[str] = []
        async with self.session(token) as session:
            page = await session.request(
                "GET", self.graph_url(page_id), params={"fields": PAGE_FIELDS}, headers=headers
            )
            sink.add_all({k: page.get(k) for k in ("followers_count", "fan_count")})

            since, until = day_window(
                cursor, "insights_until", now, self.settings.provider_lookback_days
            )
            entries = await self.insights(
                session,
                self.graph_url(f"{page_id}/insights"),
                PAGE_METRICS,
                {"period": "day", "since": int(since.timestamp()), "until": int(until.timestamp())},
                headers,
                unavailable,
            )
            for entry in entries:
                for value in entry.get("values") or []:
                    end = parse_graph_time(value.get("end_time"))
                    if end is not None:
                        sink.add(
                            str(entry.get("name")),
                            value.get("value"),
                            period="day",
                            collected_at=end - timedelta(days=1),
                        )

            cutoff = now - timedelta(days=self.settings.provider_lookback_days)
            posts = await self.paged(
                session,
                self.graph_url(f"{page_id}/posts"),
                {"fields": POST_FIELDS},
                headers,
                stop=lambda p: (parse_graph_time(p.get("created_time")) or now) < cutoff,
            )
            for post in posts:
                kw: dict[str, Any] = {
                    "object_type": "post",
                    "object_id": str(post["id"]),
                    "period": "lifetime",
                }
                sink.add("shares.count", (post.get("shares") or {}).get("count"), **kw)
                for edge in ("comments", "reactions"):
                    summary = (post.get(edge) or {}).get("summary") or {}
                    sink.add(f"{edge}.summary.total_count", summary.get("total_count"), **kw)
                for entry in await self.insights(
                    session,
                    self.graph_url(f"{post['id']}/insights"),
                    POST_METRICS,
                    {"period": "lifetime"},
                    headers,
                    unavailable,
                    label="post:",
                ):
                    sink.add(str(entry.get("name")), insight_value(entry), **kw)

            new_cursor: dict[str, Any] = {"insights_until": int(until.timestamp())}
            times = [t for p in posts if (t := parse_graph_time(p.get("created_time")))]
            previous = cursor.get("newest_post_time")
            if times:
                new_cursor["newest_post_time"] = max(times).isoformat()
            elif previous:
                new_cursor["newest_post_time"] = previous
            return CollectResult(
                sink.points, new_cursor, sorted(set(unavailable)), session.usage, session.calls
            )

    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        """Long-lived exchange (``fb_exchange_token``); Page tokens never need it."""
        return await self.exchange(credentials, on_rotate)
