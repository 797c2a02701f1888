"""TikTok Display API v2: the creator's profile counters and public videos.

An account whose token holds a TikTok API for Business scope (``user.insights`` or
``video.insights``, from ``AccountRef.scopes`` or else ``Credentials.scopes``) is collected and
refreshed through :class:`~socialmetrics.providers.tiktok_business.TikTokBusinessClient`
instead: this class delegates, so ``client_for(Platform.TIKTOK, …)`` serves both APIs.

``/v2/user/info/`` (GET), ``/v2/video/list/`` (POST, ``cursor`` + ``has_more``, ≤20 per page),
``/v2/video/query/`` (POST, ≤20 ids) to re-poll known recent videos; OAuth refresh with
rotating refresh tokens (``/v2/oauth/token/``). Every response carries
``error:{code,message,log_id}``; ``code == "ok"`` is success. No rate-limit headers exist: a
429 with ``rate_limit_exceeded`` means come back after the one-minute window.
Cursor: ``{"newest_create_time": <unix>, "recent_ids": ["…"]}``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from socialmetrics.platforms import Platform
from socialmetrics.providers import errors
from socialmetrics.providers.base import BaseClient, PlatformCalls, PointSink
from socialmetrics.providers.rate_limits import TIKTOK_WINDOW, retry_after
from socialmetrics.providers.tiktok_business import (
    TikTokBusinessClient,
    rotate_token,
    uses_business_api,
)
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    RotateCallback,
    TokenGrant,
)
from socialmetrics.providers.windows import Page, settle_backfill, walk_history

API_VERSION = "v2"
USER_FIELDS = "open_id,display_name,follower_count,following_count,likes_count,video_count"
VIDEO_FIELDS = "id,create_time,title,view_count,like_count,comment_count,share_count"
QUERY_BATCH = 20


class TikTokClient(BaseClient):
    platform = Platform.TIKTOK
    supports_refresh = True
    page_size = 20  # max_count: 1..20

    def _url(self, path: str) -> str:
        return f"{self.settings.tiktok_api_base_url.rstrip('/')}{path}"

    def business(self) -> TikTokBusinessClient:
        """The API for Business client sharing these settings, transport, clock and page size."""
        client = TikTokBusinessClient(self.settings, self.transport, self.clock, self.http)
        client.page_size = self.page_size
        client.call_budget = self.call_budget
        client.renew = self.renew
        return client

    def _error(
        self, response: httpx.Response, payload: Any, now: datetime
    ) -> errors.ProviderError | None:
        status = response.status_code
        body = payload if isinstance(payload, dict) else {}
        error = body.get("error")
        platform = self.platform.value
        if isinstance(error, str):  # OAuth shape {"error","error_description","log_id"}
            message = str(body.get("error_description") or error)
            kind = errors.AuthExpired if error == "invalid_grant" else errors.ProviderError
            return kind(message, platform=platform, status=status, code=error)
        code = error.get("code") if isinstance(error, dict) else None
        message = (
            str((error or {}).get("message") or f"HTTP {status}")
            if isinstance(error, dict)
            else f"HTTP {status}"
        )
        if status == 429 or code == "rate_limit_exceeded":
            return errors.RateLimited(
                message,
                reset_at=retry_after(response.headers, now) or now + TIKTOK_WINDOW,
                platform=platform,
                status=status,
                code=code or "rate_limit_exceeded",
            )
        if code == "access_token_invalid":
            return errors.AuthExpired(message, platform=platform, status=status, code=code)
        if code in ("scope_not_authorized", "scope_permission_missed"):
            return errors.PermissionDenied(message, platform=platform, status=status, code=code)
        if code == "internal_error":
            return errors.Transient(message, platform=platform, status=status, code=code)
        if status >= 400:
            return self._fallback_error(response, message)
        if code not in (None, "ok"):
            return errors.ProviderError(message, platform=platform, status=status, code=code)
        return None

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult:
        if uses_business_api(account.scopes or credentials.scopes):
            return await self.business().collect(account, credentials, cursor)
        videos: list[dict[str, Any]] = []
        async with self.collection(credentials, cursor, API_VERSION) as ctx:
            calls, sink, parts = ctx.calls, ctx.sink, ctx.parts
            new_cursor, now = ctx.new_cursor, ctx.now
            cutoff = int((now - timedelta(days=self.settings.restatement_days)).timestamp())

            async def account_fields() -> None:
                body = await calls.request(
                    "GET", self._url("/v2/user/info/"), params={"fields": USER_FIELDS}
                )
                user = (body.get("data") or {}).get("user")
                if not isinstance(user, dict):
                    raise errors.MalformedResponse("user info without data.user", platform="TikTok")
                sink.add_all(user)

            async def posts() -> None:
                listed = await self._list(calls, cutoff)
                videos.extend(listed)
                self._points(sink, listed)
                times = [v["create_time"] for v in listed if isinstance(v.get("create_time"), int)]
                newest = max([*times, int(cursor.get("newest_create_time") or 0)])
                if newest:
                    new_cursor["newest_create_time"] = newest

            async def post_refresh() -> None:
                seen = {v["id"] for v in videos}
                stale = [str(i) for i in cursor.get("recent_ids", []) if str(i) not in seen]
                for i in range(0, len(stale), QUERY_BATCH):
                    found = await self._query(calls, stale[i : i + QUERY_BATCH])
                    videos.extend(found)
                    self._points(sink, found)

            async def history() -> None:
                backfill = dict(new_cursor.get("backfill") or {})
                state = dict(backfill.get("posts") or {})
                horizon = now - timedelta(days=self.settings.horizon_days(self.platform))

                async def handle(video: dict[str, Any]) -> None:
                    self._points(sink, [video])

                try:
                    await walk_history(
                        lambda after: self._page(calls, after),
                        state,
                        (horizon, datetime.fromtimestamp(cutoff, UTC)),
                        lambda v: _created(v),
                        handle,
                        self.settings.provider_max_pages,
                    )
                finally:
                    new_cursor["backfill"] = {**backfill, "posts": state}
                    settle_backfill(new_cursor, ("posts",))

            await parts.run("account_fields", account_fields, gate=True, account_object=True)
            await parts.run("posts", posts)
            await parts.run("known_posts", post_refresh)
            if not (new_cursor.get("backfill") or {}).get("posts", {}).get("complete"):
                await parts.run("post_history", history)
            recent = [v["id"] for v in videos if (v.get("create_time") or 0) >= cutoff]
            if parts.ok("posts"):
                new_cursor["recent_ids"] = recent[:100]
            return ctx.result()

    @staticmethod
    def _points(sink: PointSink, videos: list[dict[str, Any]]) -> None:
        for video in videos:
            sink.add_all(video, object_type="video", object_id=video["id"], period="lifetime")

    async def _page(self, calls: PlatformCalls, cursor: object) -> Page:
        """One page of ``/v2/video/list/`` from ``cursor`` (None = the newest)."""
        body: dict[str, Any] = {"max_count": self.page_size}
        if cursor is not None:
            body["cursor"] = cursor
        page = await calls.request(
            "POST", self._url("/v2/video/list/"), params={"fields": VIDEO_FIELDS}, json_body=body
        )
        data = page.get("data") or {}
        videos = [
            {**video, "id": str(video["id"])}
            for video in data.get("videos") or []
            if isinstance(video, dict) and "id" in video
        ]
        more = data.get("has_more") and data.get("cursor") is not None
        return videos, data.get("cursor") if more else None

    async def _list(self, calls: PlatformCalls, cutoff: int) -> list[dict[str, Any]]:
        """Videos created since ``cutoff``; pinned videos break the order, so paging stops on
        a page with none inside the window (or at the end, or the page bound)."""
        videos: list[dict[str, Any]] = []
        cursor: object = None
        for _ in range(self.settings.provider_max_pages):
            page, cursor = await self._page(calls, cursor)
            inside = [v for v in page if (v.get("create_time") or 0) >= cutoff]
            videos += inside
            if not inside or cursor is None:
                break
        return videos

    async def _query(self, calls: PlatformCalls, ids: list[str]) -> list[dict[str, Any]]:
        page = await calls.request(
            "POST",
            self._url("/v2/video/query/"),
            params={"fields": VIDEO_FIELDS},
            json_body={"filters": {"video_ids": ids}},
        )
        return [
            {**v, "id": str(v["id"])}
            for v in (page.get("data") or {}).get("videos") or []
            if isinstance(v, dict) and "id" in v
        ]

    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        """Rotating refresh: the old refresh token stops working once this returns."""
        if uses_business_api(credentials.scopes):
            return await self.business().refresh(credentials, on_rotate)
        return await rotate_token(
            self, self._url("/v2/oauth/token/"), credentials, on_rotate, business=False
        )


def _created(video: dict[str, Any]) -> datetime | None:
    created = video.get("create_time")
    if isinstance(created, int) and not isinstance(created, bool):
        return datetime.fromtimestamp(created, UTC)
    return None
