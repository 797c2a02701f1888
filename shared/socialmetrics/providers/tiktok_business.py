"""TikTok API for Business (v1.3): a business account's organic analytics.

Used instead of the Display API when the account's token holds a Business scope
(:data:`BUSINESS_SCOPES`, see :func:`uses_business_api`); :class:`TikTokClient` delegates here,
so ``client_for(Platform.TIKTOK, …)`` stays the only entry point.

- ``GET business/get/?business_id&start_date&end_date&fields=[…]`` → the ``followers_count``
  snapshot and daily ``metrics[]`` (``date`` = the UTC day; period ``"day"``);
- ``GET business/video/list/?business_id&fields=[…]&cursor&max_count`` (≤20 per page,
  ``cursor`` + ``has_more``, bounded, newest first, until the lookback cutoff) and the same
  endpoint with ``filters={"video_ids":[…]}`` to re-poll known recent videos → lifetime
  per-video metrics; ``total_time_watched``/``average_time_watched`` are seconds and stored
  as ms (catalog ``SCALES``);
- ``POST tt_user/oauth2/refresh_token/`` (JSON) with rotating refresh tokens; expiries from
  ``expires_in`` / ``refresh_token_expires_in``.

Header ``Access-Token: <token>`` (no ``Bearer``). Envelope
``{"code":0,"message":"OK","request_id","data"}``: any non-zero ``code`` is an error;
40100 = rate limited ([M] Airbyte); other 401xx = token expired/invalid/revoked, 40001 = no
permission, 5xxxx = server error ([L]: the full code list is not in the reference).
Cursor: ``{"business_until": <unix day>, "newest_create_time": <unix>, "recent_ids": […]}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from socialmetrics.platforms import Platform
from socialmetrics.providers import errors
from socialmetrics.providers.base import BaseClient, PlatformCalls, grant_from, utcnow
from socialmetrics.providers.rate_limits import TIKTOK_WINDOW, retry_after
from socialmetrics.providers.types import (
    AccountRef,
    CollectResult,
    Credentials,
    RotateCallback,
    TokenGrant,
)
from socialmetrics.providers.windows import (
    Page,
    day_span,
    note_backfill,
    settle_backfill,
    walk_history,
)

# Scopes only the API for Business grants (Login Kit / Display API tokens never carry them):
# account insights and video insights of a TikTok business account.
BUSINESS_SCOPES = frozenset({"user.insights", "video.insights"})
ACCOUNT_FIELDS = ("followers_count", "profile_views", "video_views", "likes", "comments", "shares")
DAILY_METRICS = ACCOUNT_FIELDS
VIDEO_METRICS = (
    "video_views",
    "likes",
    "comments",
    "shares",
    "reach",
    "full_video_watched_rate",
    "total_time_watched",
    "average_time_watched",
)
VIDEO_FIELDS = ("item_id", "create_time", *VIDEO_METRICS)
FILTER_BATCH = 20
WALKS = ("insights", "posts")  # the backfill is complete when both reached the horizon
RATE_LIMITED = 40100
PERMISSION_CODES = frozenset({40001})
DEFAULT_VERSION = "v1.3"
VERSION = re.compile(r"v\d+(\.\d+)*")


def uses_business_api(scopes: Iterable[str]) -> bool:
    """True when the granted scopes include one only the API for Business issues."""
    return not BUSINESS_SCOPES.isdisjoint(scopes)


def _code(payload: Any) -> int | None:
    value = payload.get("code") if isinstance(payload, dict) else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _day(value: object) -> datetime | None:
    """``YYYY-MM-DD`` → that day's UTC midnight."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _epoch(value: object) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


class TikTokBusinessClient(BaseClient):
    platform = Platform.TIKTOK
    supports_refresh = True
    page_size = 20  # max_count: 1..20
    auth_header = "Access-Token"  # the bare token, no "Bearer"
    auth_scheme = None

    @property
    def api_version(self) -> str:
        """``business-v1.3``: the version segment of the configured base URL."""
        tail = self.settings.tiktok_business_base_url.rstrip("/").rsplit("/", 1)[-1]
        version = tail if VERSION.fullmatch(tail) else DEFAULT_VERSION
        return f"business-{version}"

    def _url(self, path: str) -> str:
        return f"{self.settings.tiktok_business_base_url.rstrip('/')}/{path.lstrip('/')}"

    def _error(
        self, response: httpx.Response, payload: Any, now: datetime
    ) -> errors.ProviderError | None:
        status = response.status_code
        code = _code(payload)
        text = payload.get("message") if isinstance(payload, dict) else None
        message = str(text or f"HTTP {status}")
        kw: dict[str, Any] = {"platform": self.platform.value, "status": status, "code": code}
        if code == RATE_LIMITED or status == 429:
            kw["code"] = code or RATE_LIMITED
            reset = retry_after(response.headers, now) or now + TIKTOK_WINDOW
            return errors.RateLimited(message, reset_at=reset, **kw)
        if code is not None and 40100 < code < 40200:
            return errors.AuthExpired(message, **kw)
        if code in PERMISSION_CODES:
            return errors.PermissionDenied(message, **kw)
        if (code is not None and code >= 50000) or status >= 500:
            return errors.Transient(message, **kw)
        if status >= 400:
            return self._fallback_error(response, message)
        if code not in (None, 0):
            return errors.ProviderError(message, **kw)
        return None

    async def collect(
        self, account: AccountRef, credentials: Credentials, cursor: dict[str, Any]
    ) -> CollectResult:
        business_id = account.platform_user_id
        videos: list[dict[str, Any]] = []
        async with self.collection(credentials, cursor, self.api_version) as ctx:
            calls, sink, parts, unavailable = ctx.calls, ctx.sink, ctx.parts, ctx.unavailable
            new_cursor, now = ctx.new_cursor, ctx.now
            since, until = day_span(
                cursor.get("business_until"),
                now,
                self.settings.horizon_days(self.platform),
                self.settings.restatement_days,
            )
            cutoff = int((now - timedelta(days=self.settings.restatement_days)).timestamp())

            async def account_fields() -> None:
                params: dict[str, Any] = {
                    "business_id": business_id,
                    "fields": json.dumps(list(ACCOUNT_FIELDS)),
                }
                if since < until:  # end_date is inclusive: the last whole day
                    params["start_date"] = since.date().isoformat()
                    params["end_date"] = (until - timedelta(days=1)).date().isoformat()
                body = await calls.request("GET", self._url("business/get/"), params=params)
                data = body.get("data")
                if not isinstance(data, dict):
                    raise errors.MalformedResponse(
                        "business/get without data", platform=self.platform.value
                    )
                sink.add("followers_count", data.get("followers_count"))
                for entry in data.get("metrics") or []:
                    day = _day(entry.get("date")) if isinstance(entry, dict) else None
                    if day is not None:
                        sink.add_all(
                            {k: entry.get(k) for k in DAILY_METRICS}, period="day", collected_at=day
                        )
                new_cursor["business_until"] = int(until.timestamp())
                note_backfill(
                    new_cursor, WALKS, "insights", since, new_cursor["business_until"], now
                )

            async def posts() -> None:
                try:
                    videos.extend(await self._list(calls, business_id, cutoff))
                except errors.PermissionDenied:
                    unavailable.append("video:business/video/list")
                    return
                seen = {v["item_id"] for v in videos}
                stale = [str(i) for i in cursor.get("recent_ids", []) if str(i) not in seen]
                for i in range(0, len(stale), FILTER_BATCH):
                    videos.extend(
                        await self._filtered(calls, business_id, stale[i : i + FILTER_BATCH])
                    )

            async def history() -> None:
                backfill = dict(new_cursor.get("backfill") or {})
                state = dict(backfill.get("posts") or {})
                horizon = now - timedelta(days=self.settings.horizon_days(self.platform))

                async def handle(video: dict[str, Any]) -> None:
                    videos.append(video)

                try:
                    await walk_history(
                        lambda after: self._page(calls, business_id, after),
                        state,
                        (horizon, datetime.fromtimestamp(cutoff, UTC)),
                        lambda v: _created(v),
                        handle,
                        self.settings.provider_max_pages,
                    )
                finally:
                    new_cursor["backfill"] = {**backfill, "posts": state}
                    settle_backfill(new_cursor, WALKS)

            await parts.run("account_fields", account_fields, gate=True, account_object=True)
            await parts.run("posts", posts)
            if parts.ok("posts") and not (new_cursor.get("backfill") or {}).get("posts", {}).get(
                "complete"
            ):
                await parts.run("post_history", history)
            for video in videos:
                sink.add_all(
                    {k: video.get(k) for k in VIDEO_METRICS},
                    object_type="video",
                    object_id=video["item_id"],
                    period="lifetime",
                )
            times = [t for v in videos if (t := _epoch(v.get("create_time"))) is not None]
            if parts.ok("posts"):
                new_cursor["recent_ids"] = [
                    v["item_id"] for v in videos if (_epoch(v.get("create_time")) or 0) >= cutoff
                ][:100]
            newest = max([*times, int(cursor.get("newest_create_time") or 0)])
            if newest:
                new_cursor["newest_create_time"] = newest
            return ctx.result()

    @staticmethod
    def _videos(page: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        data = page.get("data")
        if not isinstance(data, dict):
            raise errors.MalformedResponse("business/video/list without data", platform="TikTok")
        videos = [
            {**v, "item_id": str(v["item_id"])}
            for v in data.get("videos") or []
            if isinstance(v, dict) and v.get("item_id") is not None
        ]
        return videos, data

    async def _page(self, calls: PlatformCalls, business_id: str, cursor: object) -> Page:
        """One page of ``business/video/list/`` from ``cursor`` (None = the newest)."""
        params: dict[str, Any] = {
            "business_id": business_id,
            "fields": json.dumps(list(VIDEO_FIELDS)),
            "max_count": self.page_size,
        }
        if cursor is not None:
            params["cursor"] = cursor
        page = await calls.request("GET", self._url("business/video/list/"), params=params)
        batch, data = self._videos(page)
        more = data.get("has_more") and data.get("cursor") is not None
        return batch, data.get("cursor") if more else None

    async def _list(
        self, calls: PlatformCalls, business_id: str, cutoff: int
    ) -> list[dict[str, Any]]:
        """Newest first, page by page, until a page holds no video inside the window (pinned
        videos break the order), the end, or the bound."""
        videos: list[dict[str, Any]] = []
        cursor: object = None
        for _ in range(self.settings.provider_max_pages):
            batch, cursor = await self._page(calls, business_id, cursor)
            inside = [v for v in batch if (_epoch(v.get("create_time")) or 0) >= cutoff]
            videos += inside
            if not inside or cursor is None:
                break
        return videos

    async def _filtered(
        self, calls: PlatformCalls, business_id: str, ids: list[str]
    ) -> list[dict[str, Any]]:
        page = await calls.request(
            "GET",
            self._url("business/video/list/"),
            params={
                "business_id": business_id,
                "fields": json.dumps(list(VIDEO_FIELDS)),
                "filters": json.dumps({"video_ids": ids}),
                "max_count": len(ids),
            },
        )
        return self._videos(page)[0]

    async def refresh(
        self, credentials: Credentials, on_rotate: RotateCallback | None = None
    ) -> TokenGrant:
        """Rotating refresh: the old refresh token stops working once this returns."""
        return await rotate_token(
            self, self._url("tt_user/oauth2/refresh_token/"), credentials, on_rotate, business=True
        )


async def rotate_token(
    client: BaseClient,
    url: str,
    credentials: Credentials,
    on_rotate: RotateCallback | None,
    *,
    business: bool,
) -> TokenGrant:
    """TikTok's rotating refresh, for both APIs: the Display API takes a form with
    ``client_key`` and answers the grant itself; the API for Business takes JSON with
    ``client_id`` and answers it inside ``data`` (``refresh_token_expires_in``), sometimes
    without the scopes, which are then kept (they route the next refresh to this API)."""
    if credentials.refresh_token is None:
        raise errors.AuthExpired("no refresh token", platform=client.platform.value)
    refresh_token = credentials.refresh_token.get_secret_value()
    secret = client.secret("tiktok_client_secret")
    key = client.settings.tiktok_client_key
    fields = {
        "client_secret": secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    async with client.calls(refresh_token, secret) as calls:
        if business:
            body = await calls.request("POST", url, json_body={"client_id": key, **fields})
        else:
            body = await calls.request("POST", url, data={"client_key": key, **fields})
    if business:
        data = body.get("data")
        if not isinstance(data, dict):
            raise errors.MalformedResponse(
                "token response without data", platform=client.platform.value
            )
        body = {**data, "refresh_expires_in": data.get("refresh_token_expires_in")}
    grant = grant_from(body, utcnow(), scope_sep=",")
    if business and not grant.scopes:
        grant = replace(grant, scopes=credentials.scopes)
    return await client._rotated(grant, on_rotate)


def _created(video: dict[str, Any]) -> datetime | None:
    epoch = _epoch(video.get("create_time"))
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None
