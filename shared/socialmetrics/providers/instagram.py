"""Instagram professional accounts, on either host:

- Facebook Login → ``graph.facebook.com`` (FB user or Page token);
- Instagram Login → ``graph.instagram.com`` (Instagram user token, ``IG…``).

Parts: ``account_fields`` (the gate); ``account_insights`` (daily time series ``reach``,
``follower_count``: backfilled to ``INSTAGRAM_HORIZON_DAYS`` in 30-day chunks, then the
restatement window); ``account_totals`` (the ``total_value``-only metrics, one request per day
for all of them, never a day already stored final; plus ``reach`` as a 28-day total);
``posts`` and ``post_insights`` (media of the restatement window, paged on evidence, insights
per surface FEED / REELS; a metric one surface refuses is skipped for it, not failed);
``post_history`` (the backfill walk of older media down to the horizon, each item's lifetime
values read once, checkpointed per item in ``cursor["backfill"]["posts"]``); ``stories``
and ``story_insights`` (optional).
Cursor: ``{"insights_until", "totals_until": <unix day>, "refused_totals": […],
"newest_post_time": "<iso>"}``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from socialmetrics.platforms import Platform
from socialmetrics.points import ObjectType
from socialmetrics.providers.base import CollectionContext, grant_from, utcnow
from socialmetrics.providers.meta import GraphClient, insight_value, parse_graph_time
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    InstagramLogin,
    RotateCallback,
    TokenGrant,
)
from socialmetrics.providers.windows import chunks, day_span, note_backfill, settle_backfill

SERIES_SPAN_DAYS = 30  # since/until spans of about 30 days at most
TOTALS_FINAL_DAYS = 2  # data lags up to 48 h: older days are final once stored
REACH_TOTAL_DAYS = 28  # reach as unique accounts over 28 days (period days_28)
WALKS = ("insights", "totals", "posts")  # the backfill is complete when all reached the horizon

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
        user_id = account.platform_user_id
        horizon = self.settings.horizon_days(self.platform)
        restatement = self.settings.restatement_days
        insights_url = self.host_url(login, f"{user_id}/insights")
        media: list[dict[str, Any]] = []
        stories: list[dict[str, Any]] = []
        async with self.collection(credentials, cursor, self.api_version) as ctx:
            calls, new_cursor, now = ctx.calls, ctx.new_cursor, ctx.now

            async def account_fields() -> None:
                user = await calls.request(
                    "GET", self.host_url(login, user_id), params={"fields": USER_FIELDS}
                )
                ctx.sink.add_all(
                    {k: user.get(k) for k in ("followers_count", "follows_count", "media_count")}
                )

            async def account_insights() -> None:
                await self.daily_insights(
                    ctx,
                    insights_url,
                    SERIES_METRICS,
                    SERIES_SPAN_DAYS,
                    WALKS,
                    {"metric_type": "time_series"},
                )

            async def account_totals() -> None:
                await self._totals(ctx, insights_url)

            async def list_media() -> None:
                cutoff = now - timedelta(days=restatement)
                media.extend(
                    await self.paged(
                        calls,
                        self.host_url(login, f"{user_id}/media"),
                        {"fields": MEDIA_FIELDS},
                        inside=lambda m: (parse_graph_time(m.get("timestamp")) or now) >= cutoff,
                    )
                )
                times = [t for m in media if (t := parse_graph_time(m.get("timestamp")))]
                if times:
                    new_cursor["newest_post_time"] = max(times).isoformat()

            async def list_stories() -> None:
                stories.extend(
                    await self.paged(
                        calls, self.host_url(login, f"{user_id}/stories"), {"fields": MEDIA_FIELDS}
                    )
                )

            async def media_insights() -> None:
                for item in media:
                    await self._media_points(ctx, login, item)

            async def media_history() -> None:
                async def handle(item: dict[str, Any]) -> None:
                    await self._media_points(ctx, login, item)

                backfill = dict(new_cursor.get("backfill") or {})
                state = dict(backfill.get("posts") or {})
                try:
                    await self.history(
                        calls,
                        self.host_url(login, f"{user_id}/media"),
                        {"fields": MEDIA_FIELDS},
                        state,
                        (now - timedelta(days=horizon), now - timedelta(days=restatement)),
                        lambda m: parse_graph_time(m.get("timestamp")),
                        handle,
                    )
                finally:
                    new_cursor["backfill"] = {**backfill, "posts": state}
                    settle_backfill(new_cursor, WALKS)

            async def story_insights() -> None:
                for item in stories:
                    await self._media_points(ctx, login, item, story=True)

            parts = ctx.parts
            await parts.run("account_fields", account_fields, gate=True, account_object=True)
            await parts.run("account_insights", account_insights)
            await parts.run("account_totals", account_totals)
            await parts.run("posts", list_media)
            await parts.run("post_insights", media_insights)
            if not (new_cursor.get("backfill") or {}).get("posts", {}).get("complete"):
                await parts.run("post_history", media_history)
            await parts.run("stories", list_stories)
            await parts.run("story_insights", story_insights)
            return ctx.result()

    async def _totals(self, ctx: CollectionContext, url: str) -> None:
        """``total_value`` metrics: every name in one request per day (the API has no daily
        series for them), only for days not yet stored final (``TOTALS_FINAL_DAYS``), each day
        a checkpoint; plus ``reach`` as one unique-accounts total over the last 28 days."""
        now = self.clock()
        refused = set(ctx.cursor.get("refused_totals") or [])
        names = [m for m in TOTAL_METRICS if m not in refused]
        since, until = day_span(
            ctx.cursor.get("totals_until"),
            now,
            self.settings.horizon_days(self.platform),
            TOTALS_FINAL_DAYS,
        )
        for day, end in chunks(since, until, 1):
            missing: list[str] = []
            for entry in await self.insights(
                ctx.calls,
                url,
                names,
                {
                    "period": "day",
                    "metric_type": "total_value",
                    "since": int(day.timestamp()),
                    "until": int(end.timestamp()),
                },
                missing,
                group_size=len(names),
            ):
                ctx.sink.add(
                    str(entry.get("name")), insight_value(entry), period="day", collected_at=day
                )
            if missing:  # refused once: never asked again for this account
                refused.update(missing)
                names = [m for m in names if m not in refused]
                ctx.new_cursor["refused_totals"] = sorted(refused)
            ctx.new_cursor["totals_until"] = int(end.timestamp())  # checkpoint
            note_backfill(
                ctx.new_cursor, WALKS, "totals", since, ctx.new_cursor["totals_until"], now
            )
        start = until - timedelta(days=REACH_TOTAL_DAYS)
        for entry in await self.insights(
            ctx.calls,
            url,
            ["reach"],
            {
                "period": "day",
                "metric_type": "total_value",
                "since": int(start.timestamp()),
                "until": int(until.timestamp()),
            },
            [],
        ):
            ctx.sink.add("reach", insight_value(entry), period="days_28", collected_at=start)

    async def _media_points(
        self,
        ctx: CollectionContext,
        login: InstagramLogin,
        item: dict[str, Any],
        story: bool = False,
    ) -> None:
        level: ObjectType = (
            "story" if story else ("reel" if item.get("media_product_type") == "REELS" else "post")
        )
        metrics = STORY_METRICS if story else REEL_METRICS if level == "reel" else FEED_METRICS
        # A metric this surface refused once in this run is not asked again (no split calls).
        metrics = [m for m in metrics if f"{level}:{m}" not in ctx.unavailable]
        kw: dict[str, Any] = {
            "object_type": level,
            "object_id": str(item["id"]),
            "period": "lifetime",
        }
        ctx.sink.add_all({k: item.get(k) for k in ("like_count", "comments_count")}, **kw)
        if item.get("media_type") == "CAROUSEL_ALBUM" and item.get("is_child"):
            return  # carousel children have no insights
        for entry in await self.insights(
            ctx.calls,
            self.host_url(login, f"{item['id']}/insights"),
            metrics,
            {},
            ctx.unavailable,
            label=f"{level}:",
        ):
            ctx.sink.add(str(entry.get("name")), insight_value(entry), **kw)

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
        async with self.calls(token) as calls:
            body = await calls.request(
                "GET",
                f"{base}/refresh_access_token",
                params={"grant_type": "ig_refresh_token", "access_token": token},
            )
        return await self._rotated(grant_from(body, utcnow()), on_rotate)
