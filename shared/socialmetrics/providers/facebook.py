"""Facebook Pages through the Graph API: Page counters, daily Page insights, recent posts
with their engagement counts and lifetime insights.

Parts: ``account_fields`` (the gate), ``account_insights`` (backfilled to
``FACEBOOK_HORIZON_DAYS`` in 90-day chunks, each a checkpoint; then the last
``RESTATEMENT_DAYS`` re-read every run), ``posts`` and ``post_insights`` (posts of the
restatement window, paged on evidence, every run), ``post_history`` (the backfill walk of
older posts down to the horizon, each post's lifetime values read once, checkpointed per
post in ``cursor["backfill"]["posts"]``).
Cursor: ``{"insights_until": <unix day>, "newest_post_time": "<iso>"}``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.providers.base import PointSink
from socialmetrics.providers.meta import GraphClient, insight_value, parse_graph_time
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    RotateCallback,
    TokenGrant,
)
from socialmetrics.providers.windows import settle_backfill

INSIGHTS_SPAN_DAYS = 90  # Page insights: at most 90 days between since and until
WALKS = ("insights", "posts")  # the backfill is complete when both reached the horizon

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
        page_id = account.platform_user_id
        posts: list[dict[str, Any]] = []
        async with self.collection(credentials, cursor, self.api_version) as ctx:
            calls, sink, unavailable = ctx.calls, ctx.sink, ctx.unavailable
            new_cursor, now = ctx.new_cursor, ctx.now
            cutoff = now - timedelta(days=self.settings.restatement_days)

            async def account_fields() -> None:
                page = await calls.request(
                    "GET", self.graph_url(page_id), params={"fields": PAGE_FIELDS}
                )
                sink.add_all({k: page.get(k) for k in ("followers_count", "fan_count")})

            async def account_insights() -> None:
                await self.daily_insights(
                    ctx,
                    self.graph_url(f"{page_id}/insights"),
                    PAGE_METRICS,
                    INSIGHTS_SPAN_DAYS,
                    WALKS,
                )

            async def list_posts() -> None:
                posts.extend(
                    await self.paged(
                        calls,
                        self.graph_url(f"{page_id}/posts"),
                        {"fields": POST_FIELDS},
                        inside=lambda p: (parse_graph_time(p.get("created_time")) or now) >= cutoff,
                    )
                )
                for post in posts:
                    _post_counts(sink, post)
                times = [t for p in posts if (t := parse_graph_time(p.get("created_time")))]
                if times:
                    new_cursor["newest_post_time"] = max(times).isoformat()

            async def one_post(post: dict[str, Any]) -> None:
                # A name refused once in this run is not asked again (no split calls).
                wanted = [m for m in POST_METRICS if f"post:{m}" not in unavailable]
                for entry in await self.insights(
                    calls,
                    self.graph_url(f"{post['id']}/insights"),
                    wanted,
                    {"period": "lifetime"},
                    unavailable,
                    label="post:",
                ):
                    sink.add(str(entry.get("name")), insight_value(entry), **_post_kw(post))

            async def post_insights() -> None:
                for post in posts:
                    await one_post(post)

            async def post_history() -> None:
                async def handle(post: dict[str, Any]) -> None:
                    _post_counts(sink, post)
                    await one_post(post)

                backfill = dict(new_cursor.get("backfill") or {})
                state = dict(backfill.get("posts") or {})
                try:
                    await self.history(
                        calls,
                        self.graph_url(f"{page_id}/posts"),
                        {"fields": POST_FIELDS},
                        state,
                        (now - timedelta(days=self.settings.horizon_days(self.platform)), cutoff),
                        lambda p: parse_graph_time(p.get("created_time")),
                        handle,
                    )
                finally:
                    new_cursor["backfill"] = {**backfill, "posts": state}
                    settle_backfill(new_cursor, WALKS)

            parts = ctx.parts
            await parts.run("account_fields", account_fields, gate=True, account_object=True)
            await parts.run("account_insights", account_insights)
            await parts.run("posts", list_posts)
            await parts.run("post_insights", post_insights)
            if not (new_cursor.get("backfill") or {}).get("posts", {}).get("complete"):
                await parts.run("post_history", post_history)
            return ctx.result()

    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        """Long-lived exchange (``fb_exchange_token``); Page tokens never need it."""
        return await self.exchange(credentials, on_rotate)


def _post_counts(sink: PointSink, post: dict[str, Any]) -> None:
    kw = _post_kw(post)
    sink.add("shares.count", (post.get("shares") or {}).get("count"), **kw)
    for edge in ("comments", "reactions"):
        summary = (post.get(edge) or {}).get("summary") or {}
        sink.add(f"{edge}.summary.total_count", summary.get("total_count"), **kw)


def _post_kw(post: dict[str, Any]) -> dict[str, Any]:
    return {"object_type": "post", "object_id": str(post["id"]), "period": "lifetime"}
